"""Colour scales of the inside views, from the theme's own colours so every theme reads the same way,
and the width their rows are laid out to.

Attention is a shade from the pane's background to the accent; surprisal runs green → amber → red.
"""

from __future__ import annotations

from textual.color import Color, Gradient
from textual.dom import DOMNode
from textual.style import Style
from textual.widget import Widget

SURPRISAL_CEILING_BITS = 12.0
"""−log2 p at which the surprisal colour is fully red: the real token had p ≤ 1/4096."""


def theme_colors(node: DOMNode, *names: str) -> tuple[Color, ...]:
    """Colour variables of the app's theme (``surface``, ``accent``, ``success``…), in ``names``' order:
    the theme's variables are generated once for them all (about 0.4 ms a time)."""
    variables = node.app.get_css_variables()
    return tuple(Color.parse(variables[name]) for name in names)


def shade(low: Color, high: Color, amount: float) -> Style:
    """A background ``amount`` (0..1) of the way from ``low`` to ``high``, with text that reads on it."""
    background = low.blend(high, max(0.0, min(1.0, amount)))
    return Style(background=background, foreground=background.get_contrast_text(0.9))


class SurprisalScale:
    """The colour of a token's surprisal: 0 bits (certain) green, amber half way, ≥ the ceiling red."""

    def __init__(self, node: DOMNode) -> None:
        success, warning, error = theme_colors(node, "success", "warning", "error")
        self._gradient = Gradient((0.0, success), (0.5, warning), (1.0, error))

    def style(self, bits: float) -> Style:
        background = self._gradient.get_color(max(0.0, min(1.0, bits / SURPRISAL_CEILING_BITS)))
        return Style(background=background, foreground=background.get_contrast_text(0.9))


def room_in(pane: Widget) -> int:
    """Cells a scrolling pane's rows may take: its content width less a vertical scrollbar's, drawn or
    not (so a row laid out before the scrollbar comes still fits after)."""
    return max(1, pane.content_region.width - pane.styles.scrollbar_size_vertical)
