"""The token grid: one column per WordPiece token, rows token / input id / segment / attention mask.

The row names stay put on the left; the columns scroll sideways. Special tokens, masks and the two
segments each have their own look. The cursor column selects a token, and the app marks that token's
characters in the sentence it came from.

The grid is drawn as one piece of Content in ``show`` (not a DataTable, which sizes its columns later,
on idle): what is on screen after an answer is complete at once, for people and for snapshots alike.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll
from textual.content import Content
from textual.widgets import Static

from bertui.engine.results import Encoding
from bertui.ui.messages import TokenSelected
from bertui.ui.visible import visible

ROWS = ("", "token", "id", "segment", "attention")
GAP = 2  # cells between columns
SPECIAL = "$text-muted italic"
MASK = "$text-warning bold on $warning-muted"
SEGMENTS = ("$text-primary", "$text-success")
CURSOR = ("on $primary 30%", "on $accent 45%")  # blurred, focused


class TokenGrid(Horizontal, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous token", show=False),
        Binding("right", "move(1)", "Next token", show=False),
        Binding("home", "move_to(0)", "First token", show=False),
        Binding("end", "move_to(-1)", "Last token", show=False),
    ]
    BINDING_GROUP_TITLE = "Token grid"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.encoding: Encoding | None = None
        self.cursor = 0
        self._starts: list[int] = []  # first cell of each column
        self.border_title = "Tokens"

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("\n".join(ROWS), "bold"), id="grid-labels")
        with HorizontalScroll(id="grid-scroll", can_focus=False):
            yield Static(id="grid-cells")

    def show(self, encoding: Encoding, follow: tuple[int, int] | None = None) -> None:
        """Show ``encoding``; put the cursor on the token at ``follow`` = (sequence, caret) if given."""
        self.encoding = encoding
        cursor = self.cursor if follow is None else self._token_at(*follow)
        self.cursor = max(0, min(cursor, len(encoding.tokens) - 1))
        self.border_title = f"Tokens · {len(encoding.tokens)}"
        self.border_subtitle = (f"{encoding.truncated} tokens cut at the model's max length"
                                if encoding.truncated else "")
        self.set_class(bool(encoding.truncated), "-truncated")
        self._draw()

    def _draw(self) -> None:
        encoding = self.encoding
        if encoding is None:
            return
        columns = [self._column(position) for position in range(len(encoding.tokens))]
        widths = [max(cell.cell_length for cell in column) for column in columns]
        self._starts = [sum(widths[:i]) + GAP * i for i in range(len(widths))]
        lines = []
        for row in range(len(ROWS)):
            parts = []
            for position, (column, width) in enumerate(zip(columns, widths)):
                cell = column[row].pad_right(width - column[row].cell_length)
                if position == self.cursor:
                    cell = cell.stylize_before(CURSOR[self.has_focus])
                parts.append(cell)
            lines.append(Content(" " * GAP).join(parts))
        self.query_one("#grid-cells", Static).update(Content("\n").join(lines))
        self.call_after_refresh(self._scroll_to_cursor)

    def _column(self, position: int) -> list[Content]:
        encoding = self.encoding
        segment = SEGMENTS[encoding.token_type_ids[position] % 2]
        masked = position in encoding.mask_positions
        look = MASK if masked else SPECIAL if encoding.special[position] else segment
        return [
            Content.styled(str(position), "$text-muted"),
            Content.styled(visible(encoding.tokens[position]), look),
            Content.styled(str(encoding.input_ids[position]), MASK if masked else ""),
            Content.styled("AB"[encoding.token_type_ids[position] % 2], segment),
            Content(str(encoding.attention_mask[position])),
        ]

    def _scroll_to_cursor(self) -> None:
        if not self._starts:
            return
        scroll = self.query_one("#grid-scroll", HorizontalScroll)
        start = self._starts[self.cursor]
        end = start + cell_len(visible(self.encoding.tokens[self.cursor])) + GAP
        if start < scroll.scroll_x:
            scroll.scroll_to(x=start, animate=False)
        elif end > scroll.scroll_x + scroll.size.width:
            scroll.scroll_to(x=end - scroll.size.width, animate=False)

    def _token_at(self, sequence: int, caret: int) -> int:
        """The token of ``sequence`` just left of ``caret`` (the one being typed); else the cursor's."""
        found = self.cursor
        for position, (owner, (start, _end)) in enumerate(zip(self.encoding.sequence_ids,
                                                               self.encoding.offsets)):
            if owner == sequence and start < max(caret, 1):
                found = position
        return found

    def selected(self) -> tuple[int | None, tuple[int, int] | None]:
        """(sequence, character span) of the token under the cursor; (None, None) for a special token."""
        if self.encoding is None or not self.encoding.tokens:
            return None, None
        sequence = self.encoding.sequence_ids[self.cursor]
        return (None, None) if sequence is None else (sequence, self.encoding.offsets[self.cursor])

    def _select(self, position: int) -> None:
        if self.encoding is None or not self.encoding.tokens:
            return
        self.cursor = max(0, min(position, len(self.encoding.tokens) - 1))
        self._draw()
        self.post_message(TokenSelected(*self.selected()))

    def action_move(self, step: int) -> None:
        self._select(self.cursor + step)

    def action_move_to(self, position: int) -> None:
        self._select(position if position >= 0 else len(self._starts) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self.query_one("#grid-cells", Static))
        if offset is not None and self._starts:
            self.focus()
            self._select(max(i for i, start in enumerate(self._starts) if start <= offset.x))

    def on_focus(self) -> None:
        self._draw()
        self.post_message(TokenSelected(*self.selected()))

    def on_blur(self) -> None:
        self._draw()
        self.post_message(TokenSelected(None, None))
