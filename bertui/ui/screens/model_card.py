"""The model card as a dialog, for terminals too narrow to show it beside the results."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from bertui.ui.widgets.model_card import ModelCard


class ModelCardScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f2,q", "dismiss", "Close")]

    def __init__(self, describe: Callable[[ModelCard], None]) -> None:
        super().__init__()
        self._describe = describe

    def compose(self) -> ComposeResult:
        yield ModelCard(id="card-dialog")

    def on_mount(self) -> None:
        card = self.query_one(ModelCard)
        card.border_subtitle = "escape closes"
        self._describe(card)
