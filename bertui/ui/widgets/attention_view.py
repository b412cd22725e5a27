"""The attention view: where the selected token looks, in one layer and head or the mean of the heads.

A heat row shades every token by the weight the selected token gives it; inputs of up to
``MATRIX_MAX_TOKENS`` tokens also get the whole token × token matrix. Shades are relative to the
largest weight of their row, so a row always has one full-strength cell; numbers (``n``) give the
weights themselves, in percent. The app asks the model for attention only while this view is open, and
for one layer: moving to another layer (``LayerChosen``) asks the model for that one.

State lives in reactives (the maps, the layer, head, token and numbers); their watchers draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.style import Style
from textual.widgets import Static

from bertui.engine.results import AttentionMaps, Encoding
from bertui.ui.text import drawn
from bertui.ui.widgets.heat import shade, theme_colors

if TYPE_CHECKING:  # numpy only in annotations: not imported before the first paint
    import numpy as np

MATRIX_MAX_TOKENS = 24
"""Longest input that also gets the full matrix: 24 columns of 3 cells fit beside the predictions."""
MATRIX_CELL = 3
MATRIX_LABEL = 7
"""Characters of a token's text in a matrix row label."""


def row_percent(weight: float) -> str:
    """A weight of the heat row as the numbers show it."""
    return f"{weight * 100:.1f}"


def matrix_percent(weight: float) -> str:
    """A weight of the matrix as the numbers show it (whole percents: 3 cells a column)."""
    return f"{weight * 100:{MATRIX_CELL}.0f}"


class AttentionView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    AttentionView {
        height: 1fr;
        overflow-x: auto;
        /* the matrix scrolls sideways; the heat row wraps itself at the pane's width */
        #attention-body { width: auto; text-wrap: nowrap; }
    }
    """
    DEFAULT_CLASSES = "pane"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "layer(1)", "Layer", key_display="[ ]",
                tooltip="Next / previous layer"),
        Binding("left_square_bracket", "layer(-1)", "", show=False),  # described with ]
        Binding("full_stop", "head(1)", "Head", key_display=", .",
                tooltip="Next / previous head (then the mean of all heads)"),
        Binding("comma", "head(-1)", "", show=False),  # described with .
        Binding("a", "mean", "Mean", tooltip="The mean over all heads, or back to one head"),
        Binding("n", "numbers", "Numbers", tooltip="Show or hide the weights in percent"),
        Binding("left", "token(-1)", "Previous token", show=False,
                tooltip="Attention from the previous token"),
        Binding("right", "token(1)", "Next token", show=False, tooltip="Attention from the next token"),
    ]
    BINDING_GROUP_TITLE = "Attention view (f3)"

    @dataclass
    class Step(Message):
        """Select the token ``step`` places away in the grid: this view follows the grid's selection."""

        step: int

    @dataclass
    class LayerChosen(Message):
        """The person moved to layer ``layer``: the model is asked for its attention."""

        layer: int

    maps: var[AttentionMaps | None] = var(None, init=False)
    """One layer's weights from the model (None: waiting)."""
    layer_index: var[int] = var(0, init=False)
    """The layer to show (from 0); until the model answers for it, the view says it is asking.
    (Not ``layer``: that is Textual's CSS layer of a widget.)"""
    head_index: var[int | None] = var(0, init=False)
    """None: the mean over heads."""
    position: var[int] = var(0, init=False)
    """The token whose attention is shown (the grid's selection)."""
    numbers: var[bool] = var(False, init=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Attention"
        self.border_subtitle = "[ ] layer · , . head · a mean · n numbers"
        self.encoding: Encoding | None = None
        self._waiting = "Waiting for the model…"

    def compose(self) -> ComposeResult:
        yield Static(id="attention-body")

    def on_mount(self) -> None:
        self._render_view()

    # -- what to show -----------------------------------------------------------------------------
    def waiting(self, why: str) -> None:
        self._waiting = why
        self.maps = None
        self._render_view()

    def show(self, maps: AttentionMaps, encoding: Encoding, position: int) -> None:
        """Show ``maps`` of ``encoding`` from the token at ``position``; the head stays if it exists."""
        self.encoding = encoding
        self.set_reactive(AttentionView.layer_index, maps.layer)  # the layer asked for: no new question
        if self.head_index is not None:
            self.set_reactive(AttentionView.head_index, min(self.head_index, maps.heads - 1))
        self.set_reactive(AttentionView.position, position)
        self.maps = maps
        self._render_view()  # a new answer of the same maps object still redraws

    def _from(self, maps: AttentionMaps) -> int:
        return max(0, min(self.position, int(maps.weights.shape[-1]) - 1))

    # -- watchers ---------------------------------------------------------------------------------
    def watch_layer_index(self, layer: int) -> None:
        self.post_message(self.LayerChosen(layer))
        self._render_view()

    def watch_head_index(self) -> None:
        self._render_view()

    def watch_position(self) -> None:
        self._render_view()

    def watch_numbers(self) -> None:
        self._render_view()

    # -- keys -------------------------------------------------------------------------------------
    def action_layer(self, step: int) -> None:
        if self.maps is not None:
            self.layer_index = (self.layer_index + step) % self.maps.layers

    def action_head(self, step: int) -> None:
        """Heads in a ring with the mean after the last one."""
        if self.maps is None:
            return
        ring = [*range(self.maps.heads), None]
        self.head_index = ring[(ring.index(self.head_index) + step) % len(ring)]

    def action_mean(self) -> None:
        self.head_index = 0 if self.head_index is None else None

    def action_numbers(self) -> None:
        self.numbers = not self.numbers

    def action_token(self, step: int) -> None:
        self.post_message(self.Step(step))

    def on_resize(self) -> None:
        if self.maps is not None:
            self._render_view()

    # -- drawing ----------------------------------------------------------------------------------
    def _render_view(self) -> None:
        if not self.is_mounted:
            return  # on_mount draws
        body = self.query_one("#attention-body", Static)
        maps = self.maps
        if maps is None or self.encoding is None:
            self.border_title = "Attention"
            body.update(Content.styled(self._waiting, "$text-muted"))
            return
        if maps.layer != self.layer_index:
            self.border_title = f"Attention · layer {self.layer_index + 1}/{maps.layers}"
            body.update(Content.styled(f"Asking the model for layer {self.layer_index + 1}…", "$text-muted"))
            return
        head = self.head_index
        which = f"mean of {maps.heads} heads" if head is None else f"head {head + 1}/{maps.heads}"
        self.border_title = f"Attention · layer {self.layer_index + 1}/{maps.layers} · {which}"
        tokens = tuple(drawn(token) for token in self.encoding.tokens[:maps.weights.shape[-1]])
        matrix = maps.matrix(head)
        chosen = self._from(maps)
        low, high = theme_colors(self, "surface", "accent")
        lines = [Content.assemble("From ", (f"{chosen} ", "$text-muted"), (tokens[chosen], "bold"),
                                  " to each token")]
        width = max(20, self.scrollable_content_region.width)
        lines += self._heat_row(matrix[chosen], tokens, chosen, width, low, high)
        lines.append(Content(""))
        if len(tokens) > MATRIX_MAX_TOKENS:
            lines.append(Content.styled(
                f"The full matrix is drawn for up to {MATRIX_MAX_TOKENS} tokens; "
                f"this input has {len(tokens)}. "
                "Move through the tokens (← →) to see each row.", "$text-muted"))
        else:
            lines += self._matrix(matrix, tokens, chosen, low, high)
        lines += [Content(""), Content.styled("Shade: weight ÷ the largest of its row · n: weights in %",
                                              "$text-muted")]
        body.update(Content("\n").join(lines))

    def _heat_row(self, row: np.ndarray, tokens: tuple[str, ...], chosen: int, width: int,
                  low: Color, high: Color) -> list[Content]:
        """The (drawn) tokens, each on its shade, wrapped to ``width``; numbers underneath when asked."""
        peak = float(row.max()) or 1.0
        lines: list[Content] = []
        top: list[Content] = []
        bottom: list[Content] = []
        used = 0
        for position, token in enumerate(tokens):
            weight = float(row[position])
            cells = max(cell_len(token), 4 if self.numbers else 1)
            style = shade(low, high, weight / peak)
            if position == chosen:
                style += Style(bold=True, underline=True)
            if top and used + cells > width:
                lines += [Content(" ").join(top)] + ([Content(" ").join(bottom)] if self.numbers else [])
                top, bottom, used = [], [], 0
            top.append(Content.styled(token + " " * (cells - cell_len(token)), style))
            bottom.append(Content.styled(row_percent(weight).rjust(cells), "$text-muted"))
            used += cells + 1
        if top:
            lines += [Content(" ").join(top)] + ([Content(" ").join(bottom)] if self.numbers else [])
        return lines

    def _matrix(self, matrix: np.ndarray, tokens: tuple[str, ...], chosen: int, low: Color,
                high: Color) -> list[Content]:
        """Rows attend from, columns to: one line per token, one shaded cell per token it attends to."""
        label = 2 + 1 + MATRIX_LABEL + 1
        header = [Content.styled("from ↓ to →".ljust(label), "$text-muted")]
        for position in range(len(tokens)):
            header.append(Content.styled(f"{position:>{MATRIX_CELL}}",
                                         "bold $text-accent" if position == chosen else "$text-muted"))
        lines = [Content.assemble(*header)]
        for source, token in enumerate(tokens):
            row = matrix[source]
            peak = float(row.max()) or 1.0
            name = Content(token).truncate(MATRIX_LABEL, ellipsis=True, pad=True)
            mark = "bold $text-accent" if source == chosen else ""
            parts = [Content.styled(f"{source:>2} ", "$text-muted"), name.stylize(mark) if mark else name,
                     Content(" ")]
            for target in range(len(tokens)):
                text = matrix_percent(float(row[target])) if self.numbers else " " * MATRIX_CELL
                parts.append(Content.styled(text, shade(low, high, float(row[target]) / peak)))
            lines.append(Content.assemble(*parts))
        return lines
