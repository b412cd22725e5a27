"""The input pane: sentence A, and sentence B in pair mode. Masks and the selected token are marked.

Tokens masked from the grid (m / w) are marked as masks too, though their text stays as typed.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Input, Label

from bertui.ui.text import show_controls, unjoined, visible

# Every spelling the engine accepts for a mask, plus the model's own token (added once it is known).
MASK_SPELLINGS = (r"\[mask\]", r"<mask>")
MASK_SPAN = 16  # longer than any mask spelling, so a mask cut by the window's edge is still found


def mask_pattern(mask_token: str | None) -> re.Pattern[str]:
    """Every spelling of a mask, ``mask_token`` (the model's own, once known) included."""
    token = () if mask_token is None else (re.escape(mask_token),)
    return re.compile("|".join((*MASK_SPELLINGS, *token)), re.IGNORECASE)


class Marks(Highlighter):
    """Styles the masks and the span of the token selected in the grid; control characters are shown as
    symbols (see ``visible``), the rest of the text stays plain.

    Only masks near the visible part of the line are styled: the Input renders its whole value on every
    refresh, and styling each of 70,000 masks in a pasted megabyte made every keystroke take seconds.
    """

    def __init__(self, field: SentenceInput) -> None:
        self._field = field

    def highlight(self, text: Text) -> None:
        field = self._field
        show_controls(text)
        text.plain = unjoined(text.plain)  # same length: the spans stay
        # A character at cell c has index >= c / 2 (wide characters take two cells); the window's end is
        # generous for zero-width characters. Outside the window nothing is on screen to style.
        scroll, width = field.scroll_offset.x, max(field.size.width, 80)
        start = max(0, scroll // 2 - MASK_SPAN)
        end = scroll + 4 * width + MASK_SPAN
        mask_style = field.get_component_rich_style("sentence-input--mask")
        for match in field.mask_pattern.finditer(text.plain, start, end):
            text.stylize(mask_style, match.start(), match.end())
        for start, end in field.masked_spans:
            text.stylize(mask_style, start, end)
        if field.span is not None:
            text.stylize(field.get_component_rich_style("sentence-input--token"), *field.span)


class SentenceInput(Input):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"sentence-input--mask", "sentence-input--token"}
    DEFAULT_CSS = """
    SentenceInput > .sentence-input--mask { color: $text-warning; text-style: bold; }
    SentenceInput > .sentence-input--token { background: $accent 40%; text-style: underline; }
    SentenceInput { width: 1fr; }
    """

    span: reactive[tuple[int, int] | None] = reactive(None)
    """Characters of the token selected in the grid."""
    masked_spans: reactive[tuple[tuple[int, int], ...]] = reactive(())
    """Characters of the tokens masked from the grid."""
    mask_token: reactive[str | None] = reactive(None)
    """The model's own mask token, marked as a mask too once the model is known."""

    def __init__(self, value: str = "", **kwargs: Any) -> None:
        super().__init__(value, select_on_focus=False, compact=True, **kwargs)
        self.highlighter = Marks(self)
        self.mask_pattern = mask_pattern(None)

    def _position_to_cell(self, position: int) -> int:
        """Cells before ``position`` as drawn (the Marks highlighter's text), so the cursor and the
        scrolling agree with what is on screen (Input measures its raw value)."""
        return cell_len(unjoined(visible(self.value[:position])))

    def watch_mask_token(self, mask_token: str | None) -> None:
        self.mask_pattern = mask_pattern(mask_token)


class Sentences(Vertical):
    """Sentence A always; sentence B only in pair mode (the ``-pair`` class shows it)."""

    DEFAULT_CLASSES = "pane"
    DEFAULT_CSS = """
    Sentences {
        height: auto;
        .sentence-row { height: 1; }
        .sentence-row Label { width: 2; text-style: bold; }
        .sentence-row Label.segment-a { color: $text-primary; }
        .sentence-row Label.segment-b { color: $text-success; }
        #row-b { display: none; }
        &.-pair #row-b { display: block; }
    }
    """

    pair: reactive[bool] = reactive(False)
    """Pair mode: sentence B is shown."""
    mask_token: reactive[str | None] = reactive(None)
    """The model's own mask token (both sentences mark it)."""
    selected: reactive[tuple[int | None, tuple[int, int] | None]] = reactive((None, None), init=False)
    """(sequence, character span) of the token selected in the grid: marked in sentence A (sequence 0) or
    B (1); (None, None) marks nothing."""
    masked: reactive[tuple[tuple[int, tuple[int, int]], ...]] = reactive((), init=False)
    """(sequence, character span) of every token masked from the grid."""

    def __init__(self, text_a: str = "", text_b: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text_a = text_a
        self._text_b = text_b
        self.border_title = "Sentence"

    def compose(self) -> ComposeResult:
        with Horizontal(id="row-a", classes="sentence-row"):
            yield Label("A", classes="segment-a")
            yield SentenceInput(self._text_a, id="sentence-a", placeholder="Type a sentence; "
                                "ctrl+t inserts a mask where a word should be guessed").data_bind(
                Sentences.mask_token)
        with Horizontal(id="row-b", classes="sentence-row"):
            yield Label("B", classes="segment-b")
            yield SentenceInput(self._text_b, id="sentence-b",
                                placeholder="The sentence that follows A").data_bind(Sentences.mask_token)

    @property
    def field_a(self) -> SentenceInput:
        return self.query_one("#sentence-a", SentenceInput)

    @property
    def field_b(self) -> SentenceInput:
        return self.query_one("#sentence-b", SentenceInput)

    def watch_pair(self, pair: bool) -> None:
        self.set_class(pair, "-pair")
        self.border_title = "Sentences A · B" if pair else "Sentence"

    def watch_selected(self, selected: tuple[int | None, tuple[int, int] | None]) -> None:
        sequence, span = selected
        self.field_a.span = span if sequence == 0 else None
        self.field_b.span = span if sequence == 1 else None

    def watch_masked(self, masked: tuple[tuple[int, tuple[int, int]], ...]) -> None:
        self.field_a.masked_spans = tuple(span for sequence, span in masked if sequence == 0)
        self.field_b.masked_spans = tuple(span for sequence, span in masked if sequence == 1)
