"""The layout checker: what the screen shows, pane by pane, read back from the painted cells.

``problems(app)`` lists every way the screen on show breaks the layout rules (empty: none):

- **borders whole**: every framed widget's four corners are painted where its region says, and its left
  and right edges are one unbroken column of the same frame character;
- **no row wraps**: every row of a table or a list (a line with columns two spaces apart, or a score
  bar) fits the width of the widget that draws it, so none spills onto the next line (a wrapped rank or
  percentage reads as a row of its own); prose (a sentence, a hint) may wrap;
- **no sideways scroll**: nothing on screen can scroll sideways, except a text field (a sentence longer
  than its field scrolls under the cursor, as every field does), the footer's keys, and the views that
  are a matrix (the attention matrix past its width scrolls by design, and says so in its border).

Cells come from the compositor's painted strips, cut into graphemes the way Rich measures them (so a
wide character is one cell and an empty one after it).
"""

from __future__ import annotations

import re

from rich.cells import split_graphemes
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Static

SIDEWAYS_BY_DESIGN = {"attention"}
"""Ids of the widgets whose content is a matrix that scrolls sideways on purpose."""
BOX = range(0x2500, 0x25A0)
COLUMNS = re.compile(r"\S {2,}\S|[▏▎▍▌▋▊▉█·]{3}")


def cells(app) -> list[list[str]]:
    """The screen on show as rows of cells: a wide grapheme, then "" for the cell it also covers."""
    rows = []
    for strip in app.screen._compositor.render_strips():
        row: list[str] = []
        for segment in strip:
            spans, _ = split_graphemes(segment.text)
            for start, end, width in spans:
                if width == 0 and row:
                    row[-1] += segment.text[start:end]
                    continue
                row += [segment.text[start:end]] + [""] * (width - 1)
        rows.append(row)
    return rows


def _framed(widget: Widget) -> bool:
    styles = widget.styles
    return all(edge[0] not in ("", "none", "hidden", "blank") for edge in
               (styles.border_top, styles.border_right, styles.border_bottom, styles.border_left))


def _border(widget: Widget, rows: list[list[str]]) -> list[str]:
    region = widget.region
    if not region.area or region.bottom > len(rows):
        return []
    x, y, right, bottom = region.x, region.y, region.right - 1, region.bottom - 1
    name = _name(widget)

    def at(row: int, column: int) -> str:
        return rows[row][column] if column < len(rows[row]) else ""

    broken = [f"{name}: corner ({column}, {row}) is {at(row, column)!r}"
              for row, column in ((y, x), (y, right), (bottom, x), (bottom, right))
              if not at(row, column) or ord(at(row, column)[0]) not in BOX]
    for column in (x, right):
        side = {at(row, column) for row in range(y + 1, bottom)}
        if len(side) > 1:
            broken.append(f"{name}: edge at column {column} is broken: {sorted(side)}")
    return broken


def _lines(widget: Static) -> list[Content]:
    visual = widget.visual
    return list(visual.split("\n")) if isinstance(visual, Content) else []


def _row(line: Content) -> bool:
    """A row of a table or a list: columns apart by two spaces or more, or a bar. Prose may wrap."""
    return bool(COLUMNS.search(line.plain.strip()))


def _wrapped(widget: Widget) -> list[str]:
    if isinstance(widget, OptionList):
        # A prompt breaks its own lines (a candidate's hanging indent): any line of it that the list
        # wraps again, at the width left beside a scrollbar, loses the indent.
        width = widget.scrollable_content_region.width
        lines = [line for option in widget.options if isinstance(option.prompt, Content)
                 for line in option.prompt.split("\n")]
        return [f"{_name(widget)}: line {line.plain!r} ({line.cell_length} cells) wraps at {width}"
                for line in lines if line.cell_length > width]
    width = widget.content_size.width
    if not isinstance(widget, Static) or widget.styles.text_wrap == "nowrap":
        return []
    return [f"{_name(widget)}: row {line.plain!r} ({line.cell_length} cells) wraps at {width}"
            for line in _lines(widget) if line.cell_length > width and _row(line)]


def _sideways(widget: Widget) -> list[str]:
    if widget.id in SIDEWAYS_BY_DESIGN or not widget.is_scrollable or isinstance(widget, (Input, Footer)):
        return []
    return [f"{_name(widget)} scrolls sideways by {widget.max_scroll_x}"] if widget.max_scroll_x > 0 else []


def _name(widget: Widget) -> str:
    return f"#{widget.id}" if widget.id else type(widget).__name__


def problems(app) -> list[str]:
    """Every broken border, wrapped row and sideways scroll on the screen now (see the module)."""
    rows = cells(app)
    found: list[str] = []
    for widget in app.screen.walk_children(Widget, with_self=True):
        if not widget.display or not widget.region.area:
            continue
        if _framed(widget):
            found += _border(widget, rows)
        found += _wrapped(widget) + _sideways(widget)
    return found
