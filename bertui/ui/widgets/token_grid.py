"""The token grid: one column per WordPiece token, rows token / input id / segment / attention mask.

The row names stay put on the left; the columns scroll sideways. Special tokens, masks and the two
segments each have their own look. The cursor column selects a token, and the app marks that token's
characters in the sentence it came from.

With surprisal on, a last row gives each real token's rank when it alone is masked, on a colour from
green (expected) to red (surprising); the border names the selected token's numbers and the sentence's
pseudo-log-likelihood. ``m`` and ``w`` mask the selected token or its whole word without retyping.

The grid is drawn as one piece of Content in ``show`` (not a DataTable, which sizes its columns later,
on idle): what is on screen after an answer is complete at once, for people and for snapshots alike.
Only the columns in view are drawn, from a first column that follows the cursor (the wheel moves it
too), so a 5,000-token paste costs what a short one does, and the view always starts on a column's
first cell: no wide character is ever cut in half, and every row starts at the same cell. Tokens are
drawn through ``cells.drawn`` and measured by ``cells.width`` (what the terminal counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.style import Style
from textual.widgets import Static

from bertui.engine.results import Encoding, Surprisal, TokenSurprisal
from bertui.ui.text import drawn, fit, signed, width
from bertui.ui.widgets.heat import SurprisalScale

ROWS = ("", "token", "id", "segment", "attention")
GAP = 2  # cells between columns
SPECIAL = "$text-muted italic"
MASK = "$text-warning bold on $warning-muted"
SEGMENTS = ("$text-primary", "$text-success")
CURSOR = ("on $primary 30%", "on $accent 45%")  # blurred, focused
NO_SEGMENTS = "no segments in this model"
WHEEL = 3  # columns a wheel step moves the view


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
        self.segments = True
        self.cursor_column = 0
        self.first_column = 0
        """The leftmost column in view."""
        self._starts: list[int] = []  # first cell of each column
        self._widths: list[int] = []
        self._tokens: list[str] = []  # as drawn
        self._strip_cells: list[tuple[str, Style | str]] | None = None
        self.row_names: tuple[str, ...] = ROWS
        self.border_title = "Tokens"

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("\n".join(ROWS), "bold"), id="grid-labels")
        yield Static(id="grid-cells")

    def show(self, encoding: Encoding, follow: tuple[int, int] | None = None,
             surprisal: Surprisal | None = None, segments: bool = True) -> None:
        """Show ``encoding``; put the cursor on the token at ``follow`` = (sequence, caret) if given.

        ``surprisal``: add its strip as a last row. ``segments``: False for a model without token type
        ids, whose segment row then says so instead of showing a row of zeros.
        """
        self.encoding, self.surprisal, self.segments = encoding, surprisal, segments
        cursor = self.cursor_column if follow is None else self._token_at(*follow)
        self.cursor_column = max(0, min(cursor, len(encoding.tokens) - 1))
        self._tokens = [drawn(token) for token in encoding.tokens]
        self._widths = [max(width(token), len(str(position)), len(str(token_id)), 1)
                        for position, (token, token_id) in enumerate(zip(self._tokens, encoding.input_ids))]
        self._strip_cells = None if surprisal is None else self._strip()
        if self._strip_cells is not None:
            self._widths = [max(w, len(rank)) for w, (rank, _style) in zip(self._widths, self._strip_cells)]
        starts, at = [], 0
        for column_width in self._widths:
            starts.append(at)
            at += column_width + GAP
        self._starts = starts
        self.set_class(bool(encoding.truncated), "-truncated")
        self._draw(follow_cursor=True)

    def _view_width(self) -> int:
        cells = self.query_one("#grid-cells", Static)
        if cells.size.width:
            return cells.size.width
        return max(1, self.app.size.width - max(len(name) for name in self.row_names) - 6)

    def in_view(self) -> range:
        """The positions of the columns drawn now (the last one may be cut at the right edge)."""
        if not self._starts:
            return range(0)
        left, view = self._starts[self.first_column], self._view_width()
        end = self.first_column
        while end < len(self._starts) and self._starts[end] - left < view:
            end += 1
        return range(self.first_column, end)

    def _follow_cursor(self) -> None:
        """Move the first column just enough that the cursor's column is wholly in view."""
        view, cursor = self._view_width(), self.cursor_column
        self.first_column = min(self.first_column, cursor)
        while (self.first_column < cursor and self._starts[cursor] + self._widths[cursor]
               - self._starts[self.first_column] > view):
            self.first_column += 1

    def _draw(self, follow_cursor: bool = False) -> None:
        encoding = self.encoding
        if encoding is None:
            return
        rows = self.row_names = ROWS if self.surprisal is None else (*ROWS, "surprisal")
        self.query_one("#grid-labels", Static).update(Content.styled("\n".join(rows), "bold"))
        self.first_column = max(0, min(self.first_column, len(self._starts) - 1))
        if follow_cursor:
            self._follow_cursor()
        view, left = self._view_width(), self._starts[self.first_column] if self._starts else 0
        shown = self.in_view()
        lines: list[list[Content]] = [[] for _ in rows]
        for position in shown:
            cells = min(self._widths[position], view - (self._starts[position] - left))
            gap = Content(" " * min(GAP, view - (self._starts[position] - left) - cells))
            cursor = CURSOR[self.has_focus] if position == self.cursor_column else ""
            for row, (text, style) in enumerate(self._cells(position)):
                cell = Content.styled(fit(text, cells), style)
                lines[row] += [cell.stylize_before(cursor) if cursor else cell, gap]
        if not self.segments:
            lines[3] = [Content.styled(fit(NO_SEGMENTS, view), "$text-muted italic")]
        self.query_one("#grid-cells", Static).update(Content("\n").join(Content.assemble(*line)
                                                                          for line in lines))
        count = len(encoding.tokens)
        self.border_title = (f"Tokens · {count}" if len(shown) >= count else
                             f"Tokens · {count} · {shown.start}–{shown.stop - 1} in view")
        self._describe_selection()

    def row(self, name: str) -> list[str]:
        """The plain text of each cell of row ``name``: "token", "id", "segment", "attention", "surprisal"."""
        index = self.row_names.index(name)
        return [self._cells(position)[index][0] for position in range(len(self._tokens))]

    def _cells(self, position: int) -> list[tuple[str, Style | str]]:
        """(text, style) of each row's cell in column ``position``."""
        encoding = self.encoding
        segment = SEGMENTS[encoding.token_type_ids[position] % 2]
        masked = position in encoding.mask_positions
        look = MASK if masked else SPECIAL if encoding.special[position] else segment
        cells = [
            (str(position), "$text-muted"),
            (self._tokens[position], look),
            (str(encoding.input_ids[position]), MASK if masked else ""),
            ("AB"[encoding.token_type_ids[position] % 2] if self.segments else "", segment),
            (str(encoding.attention_mask[position]), ""),
        ]
        if self._strip_cells is not None:
            cells.append(self._strip_cells[position])
        return cells

    def _strip(self) -> list[tuple[str, Style | str]]:
        """Each scored token's rank on its surprisal colour; special tokens and masks stay blank."""
        scale = SurprisalScale(self)
        scored = {token.position: token for token in self.surprisal.tokens}
        return [("", "") if (token := scored.get(position)) is None else
                (str(token.rank), scale.style(token.surprisal))
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
            parts.append(Content(f"PLL {signed(self.surprisal.pseudo_log_likelihood)}"))
            token = self.scored()
            if token is not None:
                numbers = (f" p {probability_text(token.probability)} · rank {token.rank}"
                           f" · {token.surprisal:.1f} bits")
                parts.append(Content.assemble(Content.styled(drawn(token.token), "bold"), numbers))
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
        self._draw(follow_cursor=True)
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
            x = self._starts[self.first_column] + offset.x
            self._select(max(i for i, start in enumerate(self._starts) if start <= x))

    def _scroll_view(self, step: int, event: events.MouseEvent) -> None:
        """The wheel moves the view, not the cursor."""
        if self._starts:
            event.stop()
            self.first_column += step
            self._draw()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll_view(WHEEL, event)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll_view(-WHEEL, event)

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        self._scroll_view(WHEEL, event)

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        self._scroll_view(-WHEEL, event)

    def on_resize(self) -> None:
        self._draw(follow_cursor=True)

    def on_focus(self) -> None:
        self._draw()
        self.post_message(self.Selected(*self.selected()))

    def on_blur(self) -> None:
        self._draw()
        self.post_message(self.Selected(None, None))
