"""The token grid: one column per WordPiece token, rows token / input id / segment / attention mask.

The row names stay put on the left; the columns scroll sideways. Special tokens, masks and the two
segments each have their own look. The cursor column selects a token, and the app marks that token's
characters in the sentence it came from.

Rows below them (``strips``): surprisal, each real token's rank masked alone, green to red (the border
names the selected token's numbers and the PLL); the Why strip, each token's part in the explained
prediction (the title says what is explained). ``m`` / ``w`` mask the selected token / its whole word.

The screen sets ``answer``; its watcher lays the columns out (``columns``) and draws, as moving the
cursor (``cursor_column``) or scrolling (``first_column``) does. The grid is one piece of Content (not
a DataTable, which sizes its columns later, on idle): complete at once after an answer, for people and
snapshots alike. Only the columns in view are drawn, from a first column that follows the cursor (the
wheel moves it too), so a 5,000-token paste costs what a short one does, and the view always starts on
a column's first cell: no wide character is ever cut in half, and every row starts at the same cell.
Tokens are drawn through ``text.drawn`` and measured by ``text.width`` (what the terminal counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static

from bertui.engine.results import Encoding, Surprisal, TokenSurprisal
from bertui.ui.text import drawn, fit, probability_text, signed, width
from bertui.ui.widgets.strips import Cell, WhyStrip, surprisal_cells, why_cells, why_title

ROWS = ("", "token", "id", "segment", "attention")
GAP = 2  # cells between columns
SPECIAL = "$text-muted italic"
MASK = "$text-warning bold on $warning-muted"
SEGMENTS = ("$text-primary", "$text-success")
CURSOR = ("on $primary 30%", "on $accent 45%")  # blurred, focused
NO_SEGMENTS = "no segments in this model"
WHEEL = 3  # columns a wheel step moves the view


@dataclass(frozen=True)
class GridAnswer:
    """What the grid shows: ``encoding``, with ``surprisal``'s strip as a last row if given.

    ``segments``: False for a model without token type ids, whose segment row then says so instead of
    showing a row of zeros. ``follow``: (sequence, caret) of the sentence being typed in: the cursor
    goes to the token there. ``why``: the Why strip's row, when it is on.
    """

    encoding: Encoding
    surprisal: Surprisal | None = None
    segments: bool = True
    follow: tuple[int, int] | None = None
    why: WhyStrip | None = None


class Columns(NamedTuple):
    """Where each column is: its first cell, its width, and its token as drawn."""

    starts: tuple[int, ...] = ()
    widths: tuple[int, ...] = ()
    tokens: tuple[str, ...] = ()


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

    DEFAULT_CSS = """
    TokenGrid {
        height: auto;
        &.pane.-truncated { border-subtitle-color: $text-warning; }  /* over the frame's muted one */
        #grid-labels { width: auto; padding-right: 2; }
        #grid-cells { width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    }
    """
    DEFAULT_CLASSES = "pane"

    answer: var[GridAnswer | None] = var(None, init=False, always_update=True)
    """The tokens shown (None: none yet)."""
    cursor_column: var[int] = var(0, init=False)
    """The selected token."""
    first_column: var[int] = var(0, init=False)
    """The leftmost column in view."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = Columns()
        """Where each column of the answer is (set with it)."""
        self._extra: dict[str, list[Cell]] = {}
        """The cells of the rows below the fixed ones (surprisal, why), by row name."""
        self.row_names: tuple[str, ...] = ROWS
        self.border_title = "Tokens"

    @property
    def encoding(self) -> Encoding | None:
        return None if self.answer is None else self.answer.encoding

    @property
    def surprisal(self) -> Surprisal | None:
        return None if self.answer is None else self.answer.surprisal

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("\n".join(ROWS), "bold"), id="grid-labels")
        yield Static(id="grid-cells")

    def watch_answer(self, answer: GridAnswer | None) -> None:
        """Lay the columns out, put the cursor where the person types (if ``follow``), draw."""
        if answer is None:
            return
        encoding = answer.encoding
        cursor = self.cursor_column if answer.follow is None else self._token_at(*answer.follow)
        self.set_reactive(TokenGrid.cursor_column, max(0, min(cursor, len(encoding.tokens) - 1)))
        tokens = [drawn(token) for token in encoding.tokens]
        widths = [max(width(token), len(str(position)), len(str(token_id)), 1)
                  for position, (token, token_id) in enumerate(zip(tokens, encoding.input_ids))]
        self._extra = {}
        if answer.surprisal is not None:
            self._extra["surprisal"] = surprisal_cells(answer.surprisal, len(tokens), self)
        if answer.why is not None:
            self._extra["why"] = why_cells(answer.why, len(tokens), self)
        for cells in self._extra.values():
            widths = [max(w, len(text)) for w, (text, _style) in zip(widths, cells)]
        starts, at = [], 0
        for column_width in widths:
            starts.append(at)
            at += column_width + GAP
        self.columns = Columns(tuple(starts), tuple(widths), tuple(tokens))
        self.set_class(bool(encoding.truncated), "-truncated")
        self._draw(follow_cursor=True)

    def watch_cursor_column(self) -> None:
        self._draw(follow_cursor=True)
        if self.has_focus:
            self.post_message(self.Selected(*self.selected()))

    def watch_first_column(self) -> None:
        self._draw()

    def _view_width(self) -> int:
        cells = self.query_one("#grid-cells", Static)
        if cells.size.width:
            return cells.size.width
        return max(1, self.app.size.width - max(len(name) for name in self.row_names) - 6)

    def in_view(self) -> range:
        """The positions of the columns drawn now (the last one may be cut at the right edge)."""
        if not self.columns.starts:
            return range(0)
        left, view = self.columns.starts[self.first_column], self._view_width()
        end = self.first_column
        while end < len(self.columns.starts) and self.columns.starts[end] - left < view:
            end += 1
        return range(self.first_column, end)

    def _follow_cursor(self, first: int) -> int:
        """The first column moved just enough that the cursor's column is wholly in view."""
        view, cursor, (starts, widths, _tokens) = self._view_width(), self.cursor_column, self.columns
        first = min(first, cursor)
        while first < cursor and starts[cursor] + widths[cursor] - starts[first] > view:
            first += 1
        return first

    def _draw(self, follow_cursor: bool = False) -> None:
        answer = self.answer
        if answer is None:
            return
        encoding = answer.encoding
        rows = self.row_names = (*ROWS, *self._extra)
        self.query_one("#grid-labels", Static).update(Content.styled("\n".join(rows), "bold"))
        first = max(0, min(self.first_column, len(self.columns.starts) - 1))
        self.set_reactive(TokenGrid.first_column, self._follow_cursor(first) if follow_cursor else first)
        view, left = self._view_width(), self.columns.starts[self.first_column] if self.columns.starts else 0
        shown = self.in_view()
        lines: list[list[Content]] = [[] for _ in rows]
        for position in shown:
            cells = min(self.columns.widths[position], view - (self.columns.starts[position] - left))
            gap = Content(" " * min(GAP, view - (self.columns.starts[position] - left) - cells))
            cursor = CURSOR[self.has_focus] if position == self.cursor_column else ""
            for row, (text, style) in enumerate(self._cells(answer, position)):
                cell = Content.styled(fit(text, cells), style)
                lines[row] += [cell.stylize_before(cursor) if cursor else cell, gap]
        if not answer.segments:
            lines[3] = [Content.styled(fit(NO_SEGMENTS, view), "$text-muted italic")]
        if answer.why is not None and answer.why.explanation is None:
            lines[-1] = [Content.styled(fit(drawn(answer.why.note), view), "$text-muted italic")]
        self.query_one("#grid-cells", Static).update(Content("\n").join(Content.assemble(*line)
                                                                          for line in lines))
        count = len(encoding.tokens)
        title = Content(f"Tokens · {count}" if len(shown) >= count else
                        f"Tokens · {count} · {shown.start}–{shown.stop - 1} in view")
        why = () if answer.why is None else (" · ", why_title(answer.why))
        self.border_title = Content.assemble(title, *why)
        self._describe_selection(encoding)

    def row(self, name: str) -> list[str]:
        """The plain text of each cell of row ``name``: "token", "id", "segment", "attention", "surprisal",
        "why"."""
        index = self.row_names.index(name)
        answer = self.answer
        return [] if answer is None else [self._cells(answer, position)[index][0]
                                          for position in range(len(self.columns.tokens))]

    def _cells(self, answer: GridAnswer, position: int) -> list[Cell]:
        """(text, style) of each row's cell in column ``position``."""
        encoding = answer.encoding
        segment = SEGMENTS[encoding.token_type_ids[position] % 2]
        masked = position in encoding.mask_positions
        look = MASK if masked else SPECIAL if encoding.special[position] else segment
        cells: list[Cell] = [
            (str(position), "$text-muted"),
            (self.columns.tokens[position], look),
            (str(encoding.input_ids[position]), MASK if masked else ""),
            ("AB"[encoding.token_type_ids[position] % 2] if answer.segments else "", segment),
            (str(encoding.attention_mask[position]), ""),
        ]
        cells += [row[position] for row in self._extra.values()]
        return cells

    def scored(self) -> TokenSurprisal | None:
        """The selected token's surprisal, if the strip is on and the token was scored."""
        if self.surprisal is None or self.encoding is None:
            return None
        return next((token for token in self.surprisal.tokens if token.position == self.cursor_column), None)

    def _describe_selection(self, encoding: Encoding) -> None:
        """The border's subtitle: truncation; with surprisal on, the PLL and the selected token's numbers."""
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
        encoding = self.encoding
        if encoding is None:
            return found
        for position, (owner, (start, _end)) in enumerate(zip(encoding.sequence_ids, encoding.offsets)):
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
        column = max(0, min(position, len(self.encoding.tokens) - 1))
        if column == self.cursor_column:  # the watcher does not run: draw and say it all the same
            self.watch_cursor_column()
        self.cursor_column = column

    def action_move(self, step: int) -> None:
        self._select(self.cursor_column + step)

    def action_move_to(self, position: int) -> None:
        self._select(position if position >= 0 else len(self.columns.starts) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self.query_one("#grid-cells", Static))
        if offset is not None and self.columns.starts:
            self.focus()
            x = self.columns.starts[self.first_column] + offset.x
            self._select(max(i for i, start in enumerate(self.columns.starts) if start <= x))

    @on(events.MouseScrollDown)
    @on(events.MouseScrollUp)
    @on(events.MouseScrollRight)
    @on(events.MouseScrollLeft)
    def _scroll_view(self, event: events.MouseEvent) -> None:
        """The wheel moves the view, not the cursor."""
        if self.columns.starts:
            event.stop()
            forward = isinstance(event, (events.MouseScrollDown, events.MouseScrollRight))
            step = WHEEL if forward else -WHEEL
            self.first_column = max(0, min(self.first_column + step, len(self.columns.starts) - 1))

    def on_resize(self) -> None:
        self._draw(follow_cursor=True)

    def on_focus(self) -> None:
        self._draw()
        self.post_message(self.Selected(*self.selected()))

    def on_blur(self) -> None:
        self._draw()
        self.post_message(self.Selected(None, None))
