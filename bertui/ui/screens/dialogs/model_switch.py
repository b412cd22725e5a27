"""The dialog that asks which model to load next: a hub id, a local folder, or demo."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from bertui.ui.screens.dialogs.dialog import Dialog
from bertui.ui.text import ShowControls


class ModelSwitchScreen(Dialog[str | None]):
    """Dismisses with the spec typed (stripped), or None when cancelled or left empty."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Switch model")
            yield Input(self._current, id="model-spec", highlighter=ShowControls(),
                        placeholder="hub id (bert-base-uncased), a folder, or demo")
            yield Label("enter loads it · escape cancels · demo = tiny built-in model, random predictions",
                        classes="hint")

    @on(Input.Submitted)
    def _load(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
