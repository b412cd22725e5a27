"""In a served app (``bertui serve``, ``App.is_web``) results go to the browser as downloads.

The app runs on the server, so a path typed in it would be the server's: a served app never writes
one. Export and copy hand the text to textual-serve instead, which the page fetches (with its token)
and the browser saves.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from textual.app import App

MIME_TYPES = {"json": "application/json", "md": "text/markdown", "csv": "text/csv"}


def download_name(typed: str, fallback: str) -> str:
    """The file name the browser is offered: the last part of what was typed, no folders."""
    return PurePath(typed.strip().replace("\\", "/")).name or fallback


def deliver(app: App[Any], text: str, name: str, fmt: str) -> None:
    app.deliver_text(io.StringIO(text), save_filename=name, encoding="utf-8",
                     mime_type=MIME_TYPES.get(fmt, "text/plain"))
    app.notify(f"{name} goes to your browser as a download.", title="Exported", markup=False)
