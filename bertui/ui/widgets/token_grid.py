"""The token grid: one column per WordPiece token, rows token / input id / segment / attention mask.

The row names stay put on the left; the columns scroll sideways. Special tokens, masks and the two
segments each have their own look. The cursor column selects a token, and the app marks that token's
characters in the sentence it came from.

With surprisal on, a last row gives each real token's rank when it alone is masked, on a colour from
green (expected) to red (surprising); the border names the selected token's numbers and the sentence's
pseudo-log-likelihood. ``m`` and ``w`` mask the selected token or its whole word without retyping.

The grid is drawn as one piece of Content in ``show`` (not a DataTable, which sizes its columns later,
on idle): what is on screen after an answer is complete at once, for people and for snapshots alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from bertui.engine.results import Encoding, Surprisal, TokenSurprisal
from bertui.ui.visible import outside, visible
from bertui.ui.widgets.heat import SurprisalScale

ROWS = ("", "token", "id", "segment", "attention")
GAP = 2  # cells between columns
SPECIAL = "$text-muted italic"
MASK = "$text-warning bold on $warning-muted"
SEGMENTS = ("$text-primary", "$text-success")
CURSOR = ("on $primary 30%", "on $accent 45%")  # blurred, focused


def probability_text(probability: float) -> str:
    """Percent while it reads as one; a real token can be far less likely than 0.1 %."""
    return f"{probability * 100:.1f}%" if probability >= 0.001 else f"{probability:.1e}"


class TokenGrid(Horizontal, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous token", show=False),
        Binding("right", "move(1)", "Next token", show=False),
        Binding("home", "move_to(0)", "First token", show=False),
        Binding("end", "move_to(-1)", "Last token", show=False),
        Binding("m", "toggle_mask(False)", "Mask token",
                tooltip="Mask the selected token, or unmask it (text unchanged)"),
        Binding("w", "toggle_mask(True)", "Mask word",
                tooltip="Whole-word mask: every piece of the word, or unmask"),
    ]
    BINDING_GROUP_TITLE = "Token grid"

    @dataclass
    class Selected(Message):
        """A token was selected: the characters ``span`` of sentence ``sequence`` (0 = A, 1 = B).

        Both are None for a special token, or when the grid lets go of its selection.
        """

        sequence: int | None
        span: tuple[int, int] | None

    @dataclass
    class MaskToggled(Message):
        """Mask (or unmask, if all are masked already) the tokens at ``positions``; the text stays."""

        positions: tuple[int, ...]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.encoding: Encoding | None = None
        self.surprisal: Surprisal | None = None
        self.cursor_column = 0
        self._starts: list[int] = []  # first cell of each column
        self._columns: list[list[Content]] = []
        self.row_names: tuple[str, ...] = ROWS
        self.border_title = "Tokens"

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("\n".join(ROWS), "bold"), id="grid-labels")
        with HorizontalScroll(id="grid-scroll", can_focus=False):
            yield Static(id="grid-cells")

    def show(self, encoding: Encoding, follow: tuple[int, int] | None = None,
             surprisal: Surprisal | None = None) -> None:
        """Show ``encoding``; put the cursor on the token at ``follow`` = (sequence, caret) if given.

        ``surprisal``: add its strip as a last row.
        """
        self.encoding, self.surprisal = encoding, surprisal
        cursor = self.cursor_column if follow is None else self._token_at(*follow)
        self.cursor_column = max(0, min(cursor, len(encoding.tokens) - 1))
        self.border_title = f"Tokens · {len(encoding.tokens)}"
        self.set_class(bool(encoding.truncated), "-truncated")
        self._draw()

    def _draw(self) -> None:
        encoding = self.encoding
        if encoding is None:
            return
        rows = self.row_names = ROWS if self.surprisal is None else (*ROWS, "surprisal")
        self.query_one("#grid-labels", Static).update(Content.styled("\n".join(rows), "bold"))
        strip = None if self.surprisal is None else self._strip()
        columns = self._columns = [self._column(position) + ([] if strip is None else [strip[position]])
                                   for position in range(len(encoding.tokens))]
        widths = [max(cell.cell_length for cell in column) for column in columns]
        self._starts = [sum(widths[:i]) + GAP * i for i in range(len(widths))]
        lines = []
        for row in range(len(rows)):
            parts = []
            for position, (column, width) in enumerate(zip(columns, widths)):
                cell = column[row].pad_right(width - column[row].cell_length)
                if position == self.cursor_column:
                    cell = cell.stylize_before(CURSOR[self.has_focus])
                parts.append(cell)
            lines.append(Content(" " * GAP).join(parts))
        self.query_one("#grid-cells", Static).update(Content("\n").join(lines))
        self._describe_selection()
        self.call_after_refresh(self._scroll_to_cursor)

    def row(self, name: str) -> list[str]:
        """The plain text of each cell of row ``name``: "token", "id", "segment", "attention", "surprisal"."""
        index = self.row_names.index(name)
        return [column[index].plain for column in self._columns]

    def _column(self, position: int) -> list[Content]:
        encoding = self.encoding
        segment = SEGMENTS[encoding.token_type_ids[position] % 2]
        masked = position in encoding.mask_positions
        look = MASK if masked else SPECIAL if encoding.special[position] else segment
        return [
            Content.styled(str(position), "$text-muted"),
            outside(encoding.tokens[position], look),
            Content.styled(str(encoding.input_ids[position]), MASK if masked else ""),
            Content.styled("AB"[encoding.token_type_ids[position] % 2], segment),
            Content(str(encoding.attention_mask[position])),
        ]

    def _strip(self) -> list[Content]:
        """Each scored token's rank on its surprisal colour; special tokens and masks stay blank."""
        scale = SurprisalScale(self)
        scored = {token.position: token for token in self.surprisal.tokens}
        return [Content() if (token := scored.get(position)) is None else
                Content.styled(str(token.rank), scale.style(token.surprisal))
                for position in range(len(self.encoding.tokens))]

    def scored(self) -> TokenSurprisal | None:
        """The selected token's surprisal, if the strip is on and the token was scored."""
        if self.surprisal is None or self.encoding is None:
            return None
        return next((token for token in self.surprisal.tokens if token.position == self.cursor_column), None)

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
                numbers = (f" p {probability_text(token.probability)} · rank {token.rank}"
                           f" · {token.surprisal:.1f} bits")
                parts.append(Content.assemble(outside(token.token, "bold"), numbers))
        self.border_subtitle = Content(" · ").join(parts)

    def mask_targets(self, whole_word: bool) -> tuple[int, ...]:
        """The selected token's position, or its word's (every piece); () for a special token."""
        if self.encoding is None or not self.encoding.tokens:
            return ()
        encoding = self.encoding
        position = self.cursor_column
        sequence = encoding.sequence_ids[position]
        word = encoding.word_ids[position] if encoding.word_ids else None
        if sequence is None:
            return ()
        if not whole_word or word is None:
            return (position,)
        return tuple(i for i, (s, w) in enumerate(zip(encoding.sequence_ids, encoding.word_ids))
                     if s == sequence and w == word)

    def action_toggle_mask(self, whole_word: bool) -> None:
        self.post_message(self.MaskToggled(self.mask_targets(whole_word)))

    def _scroll_to_cursor(self) -> None:
        if not self._starts:
            return
        scroll = self.query_one("#grid-scroll", HorizontalScroll)
        start = self._starts[self.cursor_column]
        end = start + cell_len(visible(self.encoding.tokens[self.cursor_column])) + GAP
        if start < scroll.scroll_x:
            scroll.scroll_to(x=start, animate=False)
        elif end > scroll.scroll_x + scroll.size.width:
            scroll.scroll_to(x=end - scroll.size.width, animate=False)

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
        sequence = self.encoding.sequence_ids[self.cursor_column]
        return (None, None) if sequence is None else (sequence, self.encoding.offsets[self.cursor_column])

    def _select(self, position: int) -> None:
        if self.encoding is None or not self.encoding.tokens:
            return
        self.cursor_column = max(0, min(position, len(self.encoding.tokens) - 1))
        self._draw()
        if self.has_focus:
            self.post_message(self.Selected(*self.selected()))

    def action_move(self, step: int) -> None:
        self._select(self.cursor_column + step)

    def action_move_to(self, position: int) -> None:
        self._select(position if position >= 0 else len(self._starts) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self.query_one("#grid-cells", Static))
        if offset is not None and self._starts:
            self.focus()
            self._select(max(i for i, start in enumerate(self._starts) if start <= offset.x))

    def on_focus(self) -> None:
        self._draw()
        self.post_message(self.Selected(*self.selected()))

    def on_blur(self) -> None:
        self._draw()
        self.post_message(self.Selected(None, None))
