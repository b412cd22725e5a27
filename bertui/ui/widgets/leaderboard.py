"""The next-sentence leaderboard: candidates that may follow sentence A, ranked by IsNext.

The candidates are the person's list, edited here (add, edit, delete, reorder); every change posts
CandidatesChanged and the app asks the model again. An edit is live: the text goes to the model as it
is typed, and escape puts the old text back. The list shows either the ranking or the person's order.
The ranking comes after the rest of an answer; until then the last one stays, dimmed, under a note.

The screen sets ``answer`` (and ``no_nsp_reason`` when a model loads); the order shown (``ranked``) and
the candidate being edited (``editing``) are reactives too; their watchers redraw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.widgets import Input, OptionList, Static

from bertui.engine.results import NextSentence, RankedCandidate
from bertui.ui.text import drawn, outside, visible
from bertui.ui.widgets.score_bar import A_TO_B, rank_lead, scored_row

# Sentence A is repeated above the list up to this many characters (a pasted megabyte is not wrapped).
FIRST_SHOWN = 2000


def bar_width(width: int) -> int:
    """Bars shrink in narrow panes to leave the candidates room."""
    return max(4, min(10, width // 7))


LIST_ACTIONS = {"add", "edit", "delete", "move", "toggle_order"}


@dataclass(frozen=True)
class BoardAnswer:
    """The answer for sentence A = ``first``; ``ranking`` None: the model has no NSP head, unless
    ``pending`` says why ``first``'s ranking is not in yet (a few words): then the last ranking stays,
    dimmed, so the rows do not jump while A is typed."""

    first: str
    ranking: tuple[RankedCandidate, ...] | None
    next_sentence: NextSentence | None = None
    pending: str | None = None


class Leaderboard(Vertical):
    DEFAULT_CLASSES = "pane"
    DEFAULT_CSS = """
    Leaderboard {
        #leaderboard-first { text-wrap: nowrap; text-overflow: ellipsis; }
        #leaderboard-head { height: auto; }
        /* The scrollbar's room kept: rows are wrapped under their indent to the width left, which a
           scrollbar coming later would narrow (the board itself is not resized then). */
        #candidates { height: 1fr; border: none; padding: 0; background: transparent;
                      scrollbar-gutter: stable; }
        #candidate-editor { display: none; margin-top: 1; }
        &.-editing #candidate-editor { display: block; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a,insert", "add", "Add", tooltip="Add a candidate"),
        Binding("e", "edit", "Edit", tooltip="Edit the candidate (enter too); live, escape undoes"),
        Binding("x,delete", "delete", "Delete", tooltip="Delete the candidate"),
        Binding("shift+up", "move(-1)", "Move", key_display="⇧↑↓", tooltip="Move the candidate up"),
        Binding("shift+down", "move(1)", "Move down", show=False, tooltip="Move the candidate down"),
        Binding("s", "toggle_order", "Order", tooltip="Show the ranking, or your order"),
        Binding("escape", "cancel_edit", "Cancel edit", show=False),
    ]
    BINDING_GROUP_TITLE = "Next-sentence candidates"

    class CandidatesChanged(Message):
        """The candidates were added to, edited, deleted or reordered."""

    answer: var[BoardAnswer | None] = var(None, init=False, always_update=True)
    """The answer on screen (None: no model has answered yet)."""
    no_nsp_reason: var[str] = var("", init=False)
    """Why the model in use has no next-sentence head (ModelInfo.no_nsp_reason)."""
    ranked: var[bool] = var(True, init=False)
    """The rows in the ranking's order (else in the person's)."""
    editing: var[int | None] = var(None, init=False)
    """The candidate being edited, if any."""

    def __init__(self, candidates: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.candidates: list[str] = list(candidates)
        self.border_title = "Next sentence"
        self.ranking: dict[tuple[int, str], RankedCandidate] = {}
        """The ranking the rows show, by (index, candidate): the last one in while another is pending."""
        self._rows: list[int] = []  # candidate index of each row on screen
        self._before_edit: str | None = None  # None: the candidate being edited is new

    @property
    def has_nsp_head(self) -> bool | None:
        """Whether the model that answered has a next-sentence head (None: none has answered)."""
        answer = self.answer
        return None if answer is None else answer.ranking is not None or answer.pending is not None

    def compose(self) -> ComposeResult:
        yield Static(id="leaderboard-first")
        yield Static(id="leaderboard-head")
        yield OptionList(id="candidates", markup=False)
        yield Input(id="candidate-editor", placeholder="A sentence that might follow A", compact=True,
                    select_on_focus=False)

    def on_mount(self) -> None:
        self._refresh_rows()

    def on_resize(self) -> None:
        self.call_after_refresh(self._refresh_rows)  # rows are wrapped to the list's new width

    # -- watchers -------------------------------------------------------------------------------------
    def watch_answer(self, answer: BoardAnswer | None) -> None:
        if answer is not None and answer.pending is None:
            self.ranking = {(entry.index, entry.candidate): entry for entry in answer.ranking or ()}
        self._refresh_rows()

    def watch_no_nsp_reason(self) -> None:
        self._refresh_rows()

    def watch_ranked(self) -> None:
        self._refresh_rows()

    def watch_editing(self, editing: int | None) -> None:
        self.set_class(editing is not None, "-editing")
        self.refresh_bindings()

    # -- drawing --------------------------------------------------------------------------------------
    def _order(self) -> list[int]:
        indices = list(range(len(self.candidates)))
        if self.ranked:
            indices.sort(key=lambda i: -(entry.is_next if (entry := self._entry(i)) else -1.0))
        return indices

    def _entry(self, index: int) -> RankedCandidate | None:
        return self.ranking.get((index, self.candidates[index]))

    def _refresh_rows(self) -> None:
        self._draw_head()
        options = self.query_one("#candidates", OptionList)
        chosen = self.selected_index()
        self._rows = order = self._order()
        options.clear_options()
        width = options.scrollable_content_region.width
        options.add_options([self._row(index, width) for index in order])
        if chosen is not None and chosen in order:
            options.highlighted = order.index(chosen)
        elif order:
            options.highlighted = 0
        pending = None if self.answer is None else self.answer.pending
        self.border_subtitle = "" if self.has_nsp_head is False else pending or (
            "ranked by IsNext" if self.ranked else "your order")

    def _row(self, index: int, width: int) -> Content:
        """``prefix`` (rank, bar, probability) then the candidate, wrapped under itself in ``width``."""
        text = Content(drawn(self.candidates[index]))
        if index == self.editing:
            text = Content.assemble(("✎ ", "$text-accent"), text)
        entry = self._entry(index)
        if not self.has_nsp_head:
            prefix = Content.styled("  • ", "$text-muted")
        elif entry is None:
            prefix = Content.assemble(("  … ", "$text-muted"), " " * (bar_width(width) + 8))
        else:
            rank_style = "$text-accent bold" if entry.rank == 1 else "$text-muted"
            prefix = scored_row(rank_lead(entry.rank, rank_style), entry.is_next, bar_width(width)) + " "
            if self.answer is not None and self.answer.pending:  # another A's ranking: all faint
                prefix = Content.styled(prefix.plain, "$foreground 40%")
        indent = prefix.cell_length
        lines = text.wrap(width - indent) if width > indent + 8 else [text]
        # No-break spaces: the list would strip ordinary ones from the start of a line.
        return Content("\n" + "\u00a0" * indent).join([prefix + lines[0], *lines[1:]])

    def _draw_head(self) -> None:
        answer = self.answer
        text = "" if answer is None else answer.first
        first = self.query_one("#leaderboard-first", Static)
        shown = text if len(text) <= FIRST_SHOWN else text[:FIRST_SHOWN] + "…"
        first.update(Content.assemble(("After A: ", "$text-muted"), outside(shown)))
        first.display = bool(text)
        lines = []
        if self.has_nsp_head is False:
            reason = self.no_nsp_reason or "this model has no next-sentence head"
            lines.append(Content.styled(visible(f"{reason[0].upper()}{reason[1:]}: nothing to rank."),
                                        "$text-warning"))
        elif answer is not None and answer.next_sentence is not None:
            width = self.query_one("#candidates", OptionList).scrollable_content_region.width
            lines.append(scored_row(A_TO_B, answer.next_sentence.is_next, bar_width(width))
                         + Content.styled(" sentence B", "$text-success"))
        if not self.candidates:
            lines.append(Content.styled("No candidates yet: press a to add one.", "$text-muted"))
        head = self.query_one("#leaderboard-head", Static)
        head.update(Content("\n").join(lines))
        head.display = bool(lines)

    def selected_index(self) -> int | None:
        """The candidate under the list's cursor (its index in the person's order)."""
        highlighted = self.query_one("#candidates", OptionList).highlighted
        rows = self._rows
        return rows[highlighted] if highlighted is not None and highlighted < len(rows) else None

    # -- editing --------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_edit":
            return self.editing is not None
        if action in LIST_ACTIONS and self.editing is not None:
            return False
        if action in {"edit", "delete", "move"} and self.selected_index() is None:
            return None
        return True

    def _changed(self) -> None:
        self._refresh_rows()
        self.post_message(self.CandidatesChanged())

    def action_add(self) -> None:
        self.candidates.append("")
        self._start_edit(len(self.candidates) - 1, before=None)

    def action_edit(self) -> None:
        index = self.selected_index()
        if index is not None:
            self._start_edit(index, before=self.candidates[index])

    @on(OptionList.OptionSelected)
    def _edit_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

    def action_delete(self) -> None:
        index = self.selected_index()
        if index is not None:
            del self.candidates[index]
            self._changed()

    def action_move(self, step: int) -> None:
        """Move the selected candidate in the person's order (the list switches to that order)."""
        index = self.selected_index()
        if index is None or not 0 <= index + step < len(self.candidates):
            return
        self.candidates[index], self.candidates[index + step] = self.candidates[index + step], \
            self.candidates[index]
        self.set_reactive(Leaderboard.ranked, False)  # drawn by _changed
        self._changed()
        self.query_one("#candidates", OptionList).highlighted = self._rows.index(index + step)

    def action_toggle_order(self) -> None:
        self.ranked = not self.ranked

    def _start_edit(self, index: int, before: str | None) -> None:
        self.editing, self._before_edit = index, before
        editor = self.query_one("#candidate-editor", Input)
        with editor.prevent(Input.Changed):
            editor.value = self.candidates[index]
        editor.cursor_position = len(editor.value)
        if before is None:
            self._changed()
        else:
            self._refresh_rows()
        editor.focus()

    @on(Input.Changed, "#candidate-editor")
    def _edit_live(self, event: Input.Changed) -> None:
        event.stop()
        if self.editing is not None:
            self.candidates[self.editing] = event.value
            self._changed()

    @on(Input.Submitted, "#candidate-editor")
    def _edit_done(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish_edit(keep=bool(event.value.strip()))

    def action_cancel_edit(self) -> None:
        if self._before_edit is None:
            self._finish_edit(keep=False)
        elif self.editing is not None:
            self.candidates[self.editing] = self._before_edit
            self._finish_edit(keep=True)

    def _finish_edit(self, keep: bool) -> None:
        index, self.editing = self.editing, None
        if index is None:
            return
        if not keep:
            del self.candidates[index]
        self._changed()
        options = self.query_one("#candidates", OptionList)
        if keep:
            options.highlighted = self._rows.index(index)
        options.focus()
