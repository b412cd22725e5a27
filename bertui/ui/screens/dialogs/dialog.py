"""What every bertui dialog shares: it sits in the middle of the screen, and a form in it is framed
(``#dialog``) with its hints (``hint``, ``-warning``, ``-error``) under it."""

from __future__ import annotations

from textual.screen import ModalScreen, ScreenResultType


class Dialog(ModalScreen[ScreenResultType]):
    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        #dialog {
            width: 70;
            max-width: 100%;
            height: auto;
            border: round $frame-focus;
            background: $surface;
            padding: 1 2;
        }
        #dialog .hint { width: 100%; color: $text-muted; margin-top: 1; }
        #dialog .hint.-warning { color: $text-warning; }
        #dialog .hint.-error { color: $text-error; }
    }
    """
