"""The main screen's views inside the model: opening and closing them (f3, f4, f10, f12 and the Why strip's
keys flip the screen's reactives; their watchers are here), following the grid's selected token, and the
Why strip's row for the answer on screen.

``InsideControls`` is mixed into ``MainScreen`` and reads its state (the ledger, the model, the panes); the
reactives themselves are the screen's. A view is part of the request while open: opening one, or moving
the selection to a token its answer lacks, asks the model again (latest wins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget

from bertui.engine.inside_results import Unavailable
from bertui.ui.ledger import RequestLedger, Shown
from bertui.ui.model_state import ModelState
from bertui.ui.request import Why
from bertui.ui.widgets.inside import InsideViews
from bertui.ui.widgets.sentences import Sentences
from bertui.ui.widgets.strips import WhyStrip
from bertui.ui.widgets.token_grid import TokenGrid

if TYPE_CHECKING:
    from bertui.engine.results import AnalysisRequest
    from bertui.ui.widgets.attention_view import AttentionView


class InsideControls(Screen[None]):
    model: ModelState
    ledger: RequestLedger
    show_lens: var[bool]
    show_why: var[bool]
    why: var[Why]
    _focus_before_attention: Widget | None

    def request_changed(self) -> None:
        raise NotImplementedError  # the screen's

    def asked(self) -> AnalysisRequest:
        raise NotImplementedError  # the screen's

    def redraw_grid(self) -> None:
        raise NotImplementedError  # the screen's

    def _why_strip(self, shown: Shown) -> WhyStrip | None:
        """The Why strip of the answer on screen, while on: its explanation if it answers the strip's
        question, else what is awaited."""
        if not self.show_why:
            return None
        request, analysis = shown
        explained = None if analysis.inside is None else analysis.inside.explained
        if explained is None or not self.why.asked_by(request.inside):
            return WhyStrip(note=self._asking())
        if isinstance(explained, Unavailable):
            return WhyStrip(note=explained.reason)
        return WhyStrip(explained.explanations[0], words=self.why.words)

    def _show_inside(self, shown: Shown | None) -> None:
        """The views inside the model: the answer on screen, from the grid's selected token."""
        inside = self.query_one(InsideViews)
        inside.set_reactive(InsideViews.position, self.query_one(TokenGrid).cursor_column)
        inside.shown = shown

    @on(TokenGrid.Selected)
    def _token_selected(self, message: TokenGrid.Selected) -> None:
        self.query_one(Sentences).selected = (message.sequence, message.span)
        self._selection_moved()

    def _selection_moved(self) -> None:
        """The grid's selected token moved: the views follow it, and the lens and the Why strip ask the
        model when their answer on screen does not cover it."""
        self.query_one(InsideViews).position = self.query_one(TokenGrid).cursor_column
        if (self.show_lens or self.show_why) and self.ledger.sent is not None and \
                self.asked().inside != self.ledger.sent.inside:
            self.request_changed()

    def on_attention_view_layer_chosen(self) -> None:
        self.request_changed()  # the view shows one layer: ask the model for the one chosen

    def on_attention_view_step(self, message: AttentionView.Step) -> None:
        self.query_one(TokenGrid).action_move(message.step)
        self._selection_moved()

    async def watch_show_attention(self, opening: bool) -> None:
        view = await self._view_toggled("attention", opening)
        # Its keys work while it has focus: give it focus on opening, and give it back on closing.
        if opening:
            self._focus_before_attention = self.focused
            self.set_focus(view)
        elif view.has_focus or self.focused is None:
            before = self._focus_before_attention
            self.set_focus(before if before is not None and before.is_attached
                           else self.query_one(Sentences).field_a)

    async def watch_show_embeddings(self, opening: bool) -> None:
        await self._view_toggled("embeddings", opening)

    async def watch_show_lens(self, opening: bool) -> None:
        await self._view_toggled("lens", opening)

    def watch_show_why(self) -> None:
        self.request_changed()
        self.redraw_grid()  # the grid shows the strip (asking) or drops it at once

    def watch_why(self, before: Why, why: Why) -> None:
        if self.show_why and before.question != why.question:
            self.request_changed()
        self.redraw_grid()

    async def _view_toggled(self, name: str, opening: bool) -> Widget:
        """Show or hide a view inside the model; the next request asks the model for it, or stops asking."""
        self.query_one("#results").set_class(opening, f"-{name}")
        self.request_changed()
        return await self.query_one(InsideViews).open(name, opening, self._asking())

    def _asking(self) -> str:
        """What a view says until its answer comes."""
        return "Asking the model…" if self.model.info is not None else "Waiting for the model…"
