"""How a result looks outside JSON: a pandas DataFrame, an HTML table for Jupyter, a Rich table for a
terminal, all three from the same rows (one dict per row).

Values from outside (typed text, vocabulary entries) are inert in every form: escaped in HTML, never read
as Rich markup, and a value that Python would not print as it is (a control character, ESC) is shown as
its ``repr``, as a Python prompt shows it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

PANDAS_MISSING = ("bertui's .to_pandas() needs pandas, which is not installed: "
                  "pip install 'bertui[pandas]' (or pip install pandas)")
MAX_SHOWN_ROWS = 60
"""Rows drawn in Jupyter or a terminal; the rest are counted in the caption (``to_pandas`` has them all)."""


def data_frame(rows: Sequence[dict[str, Any]]) -> Any:
    """A pandas DataFrame of ``rows``; ImportError naming the extra when pandas is missing."""
    try:
        import pandas
    except ImportError as error:
        raise ImportError(PANDAS_MISSING) from error
    return pandas.DataFrame(list(rows))


def shown(value: Any) -> str:
    """A cell's text: floats to 4 decimals, None empty, unprintable text as its repr."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    return text if text.isprintable() else repr(text)


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _caption(caption: str, rows: Sequence[dict[str, Any]]) -> str:
    hidden = len(rows) - MAX_SHOWN_ROWS
    return f"{caption} ({hidden:,} more rows: .to_pandas() has them all)" if hidden > 0 else caption


def html_table(rows: Sequence[dict[str, Any]], caption: str) -> str:
    columns = _columns(rows)
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(shown(row.get(column)))}</td>" for column in columns)
                   + "</tr>" for row in rows[:MAX_SHOWN_ROWS])
    return (f"<table><caption>{html.escape(shown(_caption(caption, rows)))}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def rich_table(rows: Sequence[dict[str, Any]], caption: str) -> Any:
    """A ``rich.table.Table``; every cell a ``Text``, so nothing in it is read as markup."""
    from rich.table import Table
    from rich.text import Text

    columns = _columns(rows)
    table = Table(title=Text(shown(_caption(caption, rows))), title_justify="left")
    for column in columns:
        table.add_column(Text(column))
    for row in rows[:MAX_SHOWN_ROWS]:
        table.add_row(*(Text(shown(row.get(column))) for column in columns))
    return table
