"""The model card as a dialog, for terminals too narrow to show it beside the results."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from bertui.ui.screens.dialogs.dialog import Dialog
from bertui.ui.widgets.model_card import CardState, ModelCard


class ModelCardScreen(Dialog[None]):
    DEFAULT_CSS = """
    ModelCardScreen #card-dialog {
        display: block;
        width: 50;
        max-width: 100%;
        height: auto;
        border: round $frame-focus;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f2,q", "dismiss", "Close")]

    def __init__(self, state: CardState) -> None:
        super().__init__()
        self._state = state

    def compose(self) -> ComposeResult:
        yield ModelCard(id="card-dialog")

    def on_mount(self) -> None:
        card = self.query_one(ModelCard)
        card.border_subtitle = "escape closes"
        card.state = self._state
