"""Characters that would act on the terminal instead of being shown are shown as symbols instead.

User text, model specs, file paths and a checkpoint's own vocabulary can all hold control characters:
ESC starts an escape sequence, C1 0x9b is a one-byte CSI, NUL and BEL do their own things. None of them
may reach the terminal raw, so every such character is drawn as its Unicode "control picture"
(ESC → ␛, NUL → ␀, newline → ␊) or, for the C1 range, as U+FFFD. One character becomes one character,
so offsets into the text (the cursor, token spans) stay valid. ``outside`` is the short way to put
such text on screen: it returns Content, which is never markup.
"""

from __future__ import annotations

import re

from rich.highlighter import Highlighter
from rich.text import Text
from textual.content import Content

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_PICTURES = {**{code: 0x2400 + code for code in range(0x20)}, 0x7F: 0x2421,
             **{code: 0xFFFD for code in range(0x80, 0xA0)}}


def visible(text: str) -> str:
    """``text`` with every control character replaced by a visible symbol of the same length."""
    return text.translate(_PICTURES) if _CONTROL.search(text) else text


def outside(text: str, style: str = "") -> Content:
    """Text from outside (typed, pasted, a vocabulary entry, a spec, a path, an error) as Content: every
    control character shown as a symbol, and never read as markup. The way to put such text on screen."""
    return Content.styled(visible(text), style) if style else Content(visible(text))


def show_controls(text: Text) -> None:
    """Replace control characters of a Rich Text in place; its spans stay where they were."""
    plain = text.plain
    shown = visible(plain)
    if shown is not plain:
        text.plain = shown


class ShowControls(Highlighter):
    """For an Input that shows text a person pasted (a pasted ESC must not reach the terminal)."""

    def highlight(self, text: Text) -> None:
        show_controls(text)
