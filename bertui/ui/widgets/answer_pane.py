"""A scrolling pane that draws the model's answer for the grid's selected token into one Static: the
embedding breakdown and the layer lens.

The answer, the selected token and the note shown while there is no answer are reactives; each of their
watchers (and a resize: rows are fitted to the pane's width) calls the subclass's ``_draw``.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import Static


class AnswerPane(VerticalScroll):
    DEFAULT_CLASSES = "pane"
    BODY = ""
    """The id of the Static the pane draws into."""

    answer: var[Any] = var(None, init=False, always_update=True)
    """The subclass's answer; None while there is nothing to show, for the reason in ``note``."""
    position: var[int] = var(0, init=False)
    """The grid's selected token."""
    note: var[str] = var("Waiting for the model…", init=False)

    def compose(self) -> ComposeResult:
        yield Static(id=self.BODY)

    @property
    def body(self) -> Static:
        return self.query_one(f"#{self.BODY}", Static)

    def waiting(self, why: str) -> None:
        self.set_reactive(AnswerPane.note, why)
        self.answer = None

    def watch_answer(self) -> None:
        self._draw()

    def watch_position(self) -> None:
        self._draw()

    def watch_note(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        raise NotImplementedError
