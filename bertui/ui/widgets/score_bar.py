"""A probability as a horizontal bar of block characters, eighths of a cell for precision."""

from __future__ import annotations

from textual.content import Content

EIGHTHS = " ▏▎▍▌▋▊▉"


def score_bar(score: float, width: int) -> Content:
    """``width`` cells: filled in proportion to ``score`` (0..1), the rest a faint track."""
    eighths = round(max(0.0, min(1.0, score)) * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (EIGHTHS[part] if part else "")
    return Content.assemble((filled, "$accent"), ("·" * (width - len(filled)), "$foreground 20%"))


def percent(score: float) -> str:
    return f"{score * 100:5.1f}%"
