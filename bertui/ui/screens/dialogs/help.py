"""The help screen: every key, read from the bindings themselves so it cannot drift from them."""

from __future__ import annotations

import textwrap
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bertui.ui.screens.dialogs.dialog import Dialog

HELP_TEXT_WIDTH = 74
"""Cells for a row inside the dialog's 80 (its frame, padding and scroll bar take 6)."""
TEXT_KEYS = (
    ("← → home end", "Move in the sentence (ctrl+← → by word)"),
    ("^w ^u ^k", "Delete the word left / all left / all right"),
    ("tab shift+tab", "Next / previous pane"),
)


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = """
    HelpScreen #help {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $frame-focus;
        border-title-color: $text-accent;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as keys:
            keys.border_title = "bertui keys"
            keys.border_subtitle = "escape closes"
            yield Static(self._content())

    def _content(self) -> Content:
        rows = [("Typing", list(TEXT_KEYS))]
        for title, bindings in self._sections:
            rows.append((title, [(self._keys(binding), binding.tooltip or binding.description)
                                 for binding in bindings
                                 if isinstance(binding, Binding) and binding.description]))
        width = max(len(keys) for _, entries in rows for keys, _ in entries) + 2
        lines: list[Content] = []
        for title, entries in rows:
            lines.append(Content.styled(title, "bold $text-accent"))
            for keys, description in entries:
                # A long description goes on under itself, never under the keys (it would read as a key).
                said = textwrap.wrap(description, HELP_TEXT_WIDTH - width) or [""]
                lines.append(Content.assemble((keys.ljust(width), "$text-primary"), said[0]))
                lines += [Content(" " * width + more) for more in said[1:]]
            lines.append(Content(""))
        return Content("\n").join(lines[:-1])

    def _keys(self, binding: Binding) -> str:
        if binding.key_display:
            return binding.key_display
        return " / ".join(self.app.get_key_display(Binding(key, "")) for key in binding.key.split(","))
