"""The dialog that asks which token to go to: its index in the grid (0 is the first)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from bertui.ui.screens.dialogs.dialog import Dialog


class TokenJumpScreen(Dialog[int | None]):
    """Dismisses with the index typed (within 0..count-1), or None when cancelled or left empty."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, count: int, current: int) -> None:
        super().__init__()
        self._count, self._current = count, current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Go to token (0–{self._count - 1})")
            yield Input(id="token-index", type="integer", placeholder=f"a token index (now {self._current})")
            yield Label("enter goes there · escape cancels · a negative index counts from the end",
                        classes="hint")

    @on(Input.Submitted)
    def _go(self, event: Input.Submitted) -> None:
        try:
            index = int(event.value)
        except ValueError:
            self.dismiss(None)
            return
        self.dismiss(max(0, min(self._count - 1, index if index >= 0 else self._count + index)))
