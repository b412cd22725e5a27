"""The token grid: one column per WordPiece token, rows token / input id / segment / attention mask.

With surprisal on, a last row gives each real token's rank when it alone is masked, on a colour from
green (expected) to red (surprising); the border names the selected token's numbers and the sentence's
pseudo-log-likelihood. ``m`` and ``w`` mask the selected token or its whole word without retyping.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable

from bertui.engine.results import Encoding, Surprisal, TokenSurprisal
from bertui.ui.messages import MaskToggled, TokenSelected
from bertui.ui.widgets.heat import SurprisalScale

ROWS = ("token", "id", "segment", "attention")


def probability_text(probability: float) -> str:
    """Percent while it reads as one; a real token can be far less likely than 0.1 %."""
    return f"{probability * 100:.1f}%" if probability >= 0.001 else f"{probability:.1e}"


class TokenGrid(DataTable):
    """Special tokens, masks and the two segments each have their own look; columns scroll sideways.

    Moving the cursor column selects a token; the app marks its characters in the sentence it came from.
    """

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "token-grid--special", "token-grid--mask", "token-grid--segment-a", "token-grid--segment-b",
    }
    DEFAULT_CSS = """
    TokenGrid > .token-grid--special { color: $text-muted; text-style: italic; }
    TokenGrid > .token-grid--mask { color: $text-warning; background: $warning-muted; text-style: bold; }
    TokenGrid > .token-grid--segment-a { color: $text-primary; }
    TokenGrid > .token-grid--segment-b { color: $text-success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor_left", "Previous token", show=False),
        Binding("right", "cursor_right", "Next token", show=False),
        Binding("home", "scroll_home", "First token", show=False),
        Binding("end", "scroll_end", "Last token", show=False),
        Binding("m", "toggle_mask(False)", "Mask token",
                tooltip="Mask the selected token, or unmask it (text unchanged)"),
        Binding("w", "toggle_mask(True)", "Mask word",
                tooltip="Whole-word mask: every piece of the word, or unmask"),
    ]
    BINDING_GROUP_TITLE = "Token grid"

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="column", zebra_stripes=False, **kwargs)
        self.encoding: Encoding | None = None
        self.surprisal: Surprisal | None = None
        self.border_title = "Tokens"

    def show(self, encoding: Encoding, follow: tuple[int, int] | None = None,
             surprisal: Surprisal | None = None) -> None:
        """Show ``encoding``; put the cursor on the token at ``follow`` = (sequence, character) if given.

        ``surprisal``: add its strip as a last row.
        """
        keep = self.cursor_column
        self.encoding, self.surprisal = encoding, surprisal
        self.clear(columns=True)
        for position in range(len(encoding.tokens)):
            self.add_column(Text(str(position), style="dim"), key=str(position))
        for name, row in zip(ROWS, self._rows(encoding)):
            self.add_row(*row, label=Text(name), key=name)
        if surprisal is not None:
            self.add_row(*self._strip(encoding, surprisal), label=Text("surprisal"), key="surprisal")
        self._measure_now()
        column = keep if follow is None else self._token_at(*follow)
        self.move_cursor(column=min(column, len(encoding.tokens) - 1), animate=False)
        count = len(encoding.tokens)
        self.border_title = f"Tokens · {count}"
        self._describe_selection()
        self.set_class(bool(encoding.truncated), "-truncated")

    def _measure_now(self) -> None:
        """Size the columns now, not at the DataTable's next idle (its own way, after adding rows).

        The app repaints while answers arrive; a paint between the rebuild and that idle caches rows
        drawn without labels in header-wide columns, and the grid can stay so until the next edit.
        """
        rows, self._new_rows = set(self._new_rows), set()
        self._require_update_dimensions = False
        self._update_dimensions(rows)

    def _strip(self, encoding: Encoding, surprisal: Surprisal) -> list[Text]:
        """Each scored token's rank on its surprisal colour; special tokens and masks stay blank."""
        scale = SurprisalScale(self)
        scored = {token.position: token for token in surprisal.tokens}
        cells = []
        for position in range(len(encoding.tokens)):
            token = scored.get(position)
            cells.append(Text() if token is None else
                         Text(str(token.rank), style=scale.style(token.surprisal).rich_style))
        return cells

    def scored(self) -> TokenSurprisal | None:
        """The selected token's surprisal, if the strip is on and the token was scored."""
        if self.surprisal is None or self.encoding is None:
            return None
        position = min(self.cursor_column, len(self.encoding.tokens) - 1)
        return next((token for token in self.surprisal.tokens if token.position == position), None)

    def _describe_selection(self) -> None:
        """The border's subtitle: truncation; with surprisal on, the PLL and the selected token's numbers."""
        encoding = self.encoding
        parts = []
        if encoding.truncated:
            parts.append(Content(f"{encoding.truncated} tokens cut at the model's max length"))
        if self.surprisal is not None:
            parts.append(Content(f"PLL {self.surprisal.pseudo_log_likelihood:.2f}"))
            token = self.scored()
            if token is not None:
                parts.append(Content.assemble(
                    (token.token, "bold"),
                    f" p {probability_text(token.probability)} · rank {token.rank} · {token.surprisal:.1f} bits"))
        self.border_subtitle = Content(" · ").join(parts)

    def mask_targets(self, whole_word: bool) -> tuple[int, ...]:
        """The selected token's position, or its word's (every piece); () for a special token."""
        if self.encoding is None or not self.encoding.tokens:
            return ()
        encoding = self.encoding
        position = min(self.cursor_column, len(encoding.tokens) - 1)
        sequence = encoding.sequence_ids[position]
        word = encoding.word_ids[position] if encoding.word_ids else None
        if sequence is None:
            return ()
        if not whole_word or word is None:
            return (position,)
        return tuple(i for i, (s, w) in enumerate(zip(encoding.sequence_ids, encoding.word_ids))
                     if s == sequence and w == word)

    def action_toggle_mask(self, whole_word: bool) -> None:
        self.post_message(MaskToggled(self.mask_targets(whole_word)))

    def _rows(self, encoding: Encoding) -> tuple[list[Text], ...]:
        special = self.get_component_rich_style("token-grid--special", partial=True)
        mask = self.get_component_rich_style("token-grid--mask", partial=True)
        segments = (self.get_component_rich_style("token-grid--segment-a", partial=True),
                    self.get_component_rich_style("token-grid--segment-b", partial=True))
        masks = set(encoding.mask_positions)
        tokens, ids, types, attention = [], [], [], []
        for position, token in enumerate(encoding.tokens):
            segment = segments[encoding.token_type_ids[position] % 2]
            if position in masks:
                look = mask
            elif encoding.special[position]:
                look = special
            else:
                look = segment
            tokens.append(Text(token, style=look))
            ids.append(Text(str(encoding.input_ids[position]), style=look if position in masks else Style()))
            types.append(Text("AB"[encoding.token_type_ids[position] % 2], style=segment))
            attention.append(Text(str(encoding.attention_mask[position])))
        return tokens, ids, types, attention

    def _token_at(self, sequence: int, caret: int) -> int:
        """The token of ``sequence`` just left of ``caret`` (the one being typed); else the cursor's."""
        found = self.cursor_column
        for position, (owner, (start, _end)) in enumerate(zip(self.encoding.sequence_ids,
                                                               self.encoding.offsets)):
            if owner == sequence and start < max(caret, 1):
                found = position
        return found

    def selected(self) -> tuple[int | None, tuple[int, int] | None]:
        """(sequence, character span) of the token under the cursor; (None, None) for a special token."""
        if self.encoding is None or not self.encoding.tokens:
            return None, None
        position = min(self.cursor_column, len(self.encoding.tokens) - 1)
        sequence = self.encoding.sequence_ids[position]
        return (None, None) if sequence is None else (sequence, self.encoding.offsets[position])

    @on(DataTable.ColumnHighlighted)
    def _announce(self, event: DataTable.ColumnHighlighted) -> None:
        event.stop()
        if self.encoding is not None:
            self._describe_selection()
        if self.has_focus:
            self.post_message(TokenSelected(*self.selected()))

    def on_focus(self) -> None:
        self.post_message(TokenSelected(*self.selected()))

    def on_blur(self) -> None:
        self.post_message(TokenSelected(None, None))
