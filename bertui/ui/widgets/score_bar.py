"""Scores drawn as bars: a probability as a horizontal bar of block characters (eighths of a cell for
precision), and the one scored row every ranking pane draws with it: a lead (a rank, or a label such as
"A→B"), an optional fixed-width word, the bar, the percentage, then optional text."""

from __future__ import annotations

from textual.content import Content

EIGHTHS = " ▏▎▍▌▋▊▉"
A_TO_B = Content.styled("A→B ", "$text-success bold")
"""The lead of the row that scores sentence B after A."""


def score_bar(score: float, width: int) -> Content:
    """``width`` cells: filled in proportion to ``score`` (0..1), the rest a faint track."""
    eighths = round(max(0.0, min(1.0, score)) * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (EIGHTHS[part] if part else "")
    return Content.assemble((filled, "$accent"), ("·" * (width - len(filled)), "$foreground 20%"))


def percent(score: float) -> str:
    return f"{score * 100:5.1f}%"


def rank_lead(number: int, style: str = "$text-muted") -> Content:
    """A rank as the lead of a scored row: right-aligned in three cells, then a space."""
    return Content.styled(f"{number:>3} ", style)


def scored_row(lead: Content, score: float, bar_width: int, *, word: Content | None = None,
               text: Content | None = None) -> Content:
    """``lead``, then ``word`` (already cut to its column), the bar, the percentage, then ``text``."""
    parts = [lead]
    if word is not None:
        parts += [word, Content(" ")]
    parts += [score_bar(score, bar_width), Content(" "), Content(percent(score))]
    if text is not None:
        parts += [Content(" "), text]
    return Content.assemble(*parts)
