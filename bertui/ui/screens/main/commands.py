"""The main screen's commands: its ``action_…`` methods (the keys, palette entries and help lines for
them are declared once, in ``bertui/ui/actions.py``), including copying and exporting the results.

``Commands`` is mixed into ``MainScreen`` and reads its state (the ledger, the model, the panes); it
holds no state of its own (the restart key's action is the model lifecycle's, in ``model.py``).
Dialogs, help and the served-download helper are imported when first asked for, so the first paint does
not pay for them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual import on
from textual.binding import Binding, BindingType
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Input

from bertui.ui import actions
from bertui.ui.key_masks import KeyMasks, Texts
from bertui.ui.ledger import RequestLedger, Shown
from bertui.ui.model_state import ModelState
from bertui.ui.request import Why
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.model_card import CardState
from bertui.ui.widgets.sentences import SentenceInput, Sentences
from bertui.ui.widgets.token_grid import TokenGrid


class Commands(Screen[None]):
    model: ModelState
    ledger: RequestLedger
    top_k: reactive[int]
    show_surprisal: var[bool]
    show_why: var[bool]
    why: var[Why]

    key_masks: KeyMasks
    opened: bool

    def load(self, spec: str) -> None:
        raise NotImplementedError  # the model lifecycle's

    def request_changed(self) -> None:
        raise NotImplementedError  # the screen's

    def texts_on_screen(self) -> Texts:
        raise NotImplementedError  # the screen's

    def card_state(self) -> CardState:
        raise NotImplementedError  # the model lifecycle's

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.opened:
            return None  # greyed until the panes are mounted, after the first frame
        if action == "change_k":
            return not isinstance(self.focused, Input)  # +/- are text while typing
        if action == "toggle" and parameters == ("word_l2r",):
            return True if self.show_surprisal else None  # shown, greyed, while the strip is off
        return True

    def action_why(self, part: str) -> None:
        """The Why strip's next question (``Why.cycled``); the strip opens if it was off."""
        self.why = self.why.cycled(part, self.top_k)
        self.show_why = True

    def action_edit_targets(self) -> None:
        self.set_focus(self.query_one("#targets-field"))

    def action_toggle_mask(self, whole_word: bool) -> None:
        self.query_one(TokenGrid).action_toggle_mask(whole_word)

    @on(TokenGrid.MaskToggled)
    def _mask_toggled(self, message: TokenGrid.MaskToggled) -> None:
        """Mask or unmask tokens of the text the grid shows; never positions of another text."""
        texts = self.texts_on_screen()
        shown = self.ledger.shown
        if shown is None or (shown.request.text_a, shown.request.text_b) != texts:
            self.notify("The tokens are catching up with the text: try again in a moment.",
                        severity="warning")
            return
        encoding = shown.analysis.encoding
        positions = tuple(p for p in message.positions
                          if 0 <= p < len(encoding.tokens) and not encoding.special[p])
        typed = set(encoding.mask_positions) - set(self.key_masks.for_texts(texts))
        if not positions:
            self.notify("Special tokens cannot be masked: select a token of the text.", severity="warning")
        elif set(positions) <= typed:
            self.notify("This mask is typed in the sentence: delete it there.", severity="warning")
        else:
            self.key_masks = self.key_masks.toggled(texts, tuple(p for p in positions if p not in typed))
            self.request_changed()

    def action_change_k(self, step: int) -> None:
        self.top_k += step

    def action_insert_mask(self) -> None:
        focused = self.focused
        field = focused if isinstance(focused, SentenceInput) else self.query_one(Sentences).field_a
        start, end = sorted(field.selection)
        field.replace(self.model.mask_token, start, end)
        self.set_focus(field)

    def action_clear(self) -> None:
        sentences = self.query_one(Sentences)
        sentences.field_a.clear()
        sentences.field_b.clear()
        self.set_focus(sentences.field_a)

    def action_switch_model(self) -> None:
        from bertui.ui.screens.dialogs.model_switch import ModelSwitchScreen

        def chosen(spec: str | None) -> None:
            if spec:
                self.load(spec)

        self.app.push_screen(ModelSwitchScreen(self.model.wanted), chosen)

    def action_jump_token(self) -> None:
        from bertui.ui.screens.dialogs.token_jump import TokenJumpScreen

        grid = self.query_one(TokenGrid)
        if grid.encoding is None or not grid.encoding.tokens:
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                grid.focus()
                grid.action_move_to(index)

        self.app.push_screen(TokenJumpScreen(len(grid.encoding.tokens), grid.cursor_column), chosen)

    def action_use_demo(self) -> None:
        self.load("demo")

    def action_model_card(self) -> None:
        from bertui.ui.screens.dialogs.card import ModelCardScreen

        self.app.push_screen(ModelCardScreen(self.card_state()))

    def action_help(self) -> None:
        from bertui.ui.screens.dialogs.help import HelpScreen
        from bertui.ui.widgets.attention_view import AttentionView

        everywhere: list[BindingType] = [*actions.BINDINGS,
                                         Binding("ctrl+p", "command_palette", "Command palette"),
                                         Binding("ctrl+q", "quit", "Quit")]
        self.app.push_screen(HelpScreen([("Everywhere", everywhere),
                                         (TokenGrid.BINDING_GROUP_TITLE, TokenGrid.BINDINGS),
                                         (AttentionView.BINDING_GROUP_TITLE, AttentionView.BINDINGS),
                                         (Leaderboard.BINDING_GROUP_TITLE, Leaderboard.BINDINGS)]))

    def _whole_results(self, verb: str) -> Shown | None:
        """The results to copy or export, if whole (a ranking still to come is not left out)."""
        why_not = self.ledger.not_whole()
        if why_not is not None:
            self.notify(f"Nothing to {verb} yet: {why_not}.", severity="warning")
            return None
        return self.ledger.shown

    def action_copy_json(self) -> None:
        shown = self._whole_results("copy")
        if shown is None:
            return
        from bertui.headless import export  # not on the way to the first frame: 10 ms of imports

        text = export.to_json(*shown, self.model.info)  # the same document as Export… as JSON
        if self.app.is_web:  # a served app's clipboard would be the server's
            from bertui.ui import downloads
            from bertui.ui.screens.dialogs.export_file import DEFAULT_NAME as DEFAULT_EXPORT_NAME

            downloads.deliver(self.app, text, DEFAULT_EXPORT_NAME, "json")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the results as JSON ({len(text):,} characters).")

    def action_export(self) -> None:
        shown = self._whole_results("export")
        if shown is None:
            return
        from bertui.headless import export
        from bertui.ui.screens.dialogs.export_file import ExportScreen

        def written(path: Path | None) -> None:
            if path is not None:
                self.notify(f"Wrote {path}", title="Exported", markup=False)

        self.app.push_screen(ExportScreen(partial(export.render, request=shown.request,
                                                  analysis=shown.analysis, info=self.model.info)), written)
