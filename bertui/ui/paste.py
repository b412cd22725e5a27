"""A bracketed paste that holds an ESC arrives whole and in order.

Textual's terminal parser (``textual._xterm_parser.XTermParser``, 8.2) reads an ESC inside a bracketed
paste as the start of a key sequence: what follows it comes out as key presses, ahead of the paste, and
the paste keeps only the text before it (``abc ␛[1mdef`` became ``^[1mdefabc`` in the field). This parser
hides each ESC inside a paste from it (as a noncharacter it has no meaning for) and puts the ESC back in
the Paste event; the field then shows it as ␛ (``bertui.ui.text``), never sends it. ``install`` makes the
terminal and web drivers build this parser instead of Textual's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual import events
from textual._xterm_parser import XTermParser
from textual.message import Message

START, END = "\x1b[200~", "\x1b[201~"
HIDDEN_ESC = "\ufdd0"
"""A noncharacter: never typed, never in a tokenizer's vocabulary, no meaning to the parser."""


class PasteParser(XTermParser):
    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._pasting = False
        self._held = ""  # the start of a marker cut by the end of a read, held back
        self._passed = ""  # the start of the start marker at a read's end, passed on (it may be a key)

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # the end of input
            return super().feed(data)
        hidden = self._hidden(data)
        return self._restored(super().feed(hidden)) if hidden else ()

    @staticmethod
    def _restored(messages: Iterable[Message]) -> Iterator[Message]:
        for message in messages:
            if isinstance(message, events.Paste) and HIDDEN_ESC in message.text:
                message = events.Paste(message.text.replace(HIDDEN_ESC, "\x1b"))
            yield message

    def _hidden(self, data: str) -> str:
        """``data`` with every ESC inside a paste hidden, the paste's own markers kept."""
        data, self._held = self._held + data, ""
        out: list[str] = []
        rest = START[len(self._passed):]
        if self._passed and data.startswith(rest):  # the start marker began at the last read's end
            out.append(rest)
            self._pasting, data = True, data[len(rest):]
        self._passed = ""
        while data:
            marker = END if self._pasting else START
            found = data.find(marker)
            if found < 0:
                # A marker cut by the read's end waits for the rest (a lone ESC outside a paste is a key).
                cut = _marker_start(data, marker, 1 if self._pasting else 3)
                data, self._held = data[:len(data) - cut], data[len(data) - cut:]
                if not self._pasting and not cut:  # an ESC or "ESC [" went on as it is: a key, or the start
                    self._passed = data[len(data) - _marker_start(data, START, 1):]
                out.append(self._shown(data))
                break
            out += [self._shown(data[:found]), marker]
            self._pasting = not self._pasting
            data = data[found + len(marker):]
        return "".join(out)

    def _shown(self, text: str) -> str:
        return text.replace("\x1b", HIDDEN_ESC) if self._pasting else text


def _marker_start(data: str, marker: str, shortest: int) -> int:
    """How many characters at the end of ``data`` begin ``marker`` (at least ``shortest``; else 0)."""
    for size in range(len(marker) - 1, shortest - 1, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


def install() -> None:
    """Make Textual's terminal and web drivers parse input with ``PasteParser``."""
    from textual.drivers import linux_driver, web_driver

    linux_driver.XTermParser = PasteParser  # type: ignore[misc]
    web_driver.XTermParser = PasteParser  # type: ignore[misc]
