"""The main screen's model lifecycle: load, ready, failed, crashed, restart, and what each shows.

``ModelLifecycle`` is a part of ``MainScreen`` (a base class of it, declaring what it reads of the
rest): it turns the backends' messages into ``ModelState``
changes (plain Python, ``bertui.ui.model_state``) and tells the banner, the status line, the model card
and the mask panel what the state now is. A crash keeps every pane as it is and offers the restart key.
"""

from __future__ import annotations

from textual.content import Content
from textual.screen import Screen

from bertui.ui import actions
from bertui.ui.backends.protocol import ModelBackend
from bertui.ui.messages import ModelCrashed, ModelDownloading, ModelFailed, ModelLoading, ModelReady
from bertui.ui.model_state import ModelState
from bertui.ui.text import outside, visible
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.mask_panel import MaskPanel
from bertui.ui.widgets.model_banner import BannerState, ModelBanner
from bertui.ui.widgets.model_card import DEMO_LABEL, CardState, ModelCard
from bertui.ui.widgets.sentences import Sentences
from bertui.ui.widgets.status_line import StatusLine


class ModelLifecycle(Screen[None]):
    model: ModelState
    backend: ModelBackend

    def request_changed(self) -> None:
        raise NotImplementedError  # MainScreen's

    def load(self, spec: str) -> None:
        self.model.load(spec)
        self._show_loading(spec, "starting")
        # After the first paint: the backend's torch import competes with the event loop for the GIL.
        self.call_after_refresh(self.backend.load, spec)

    def _show_loading(self, spec: str, stage: str) -> None:
        self.query_one(ModelBanner).state = BannerState("loading", spec, stage)
        self.query_one(StatusLine).state = (f"loading {spec}: {stage}…", "busy")
        if self.model.info is None:
            self.query_one(ModelCard).state = CardState(spec)
            self.query_one("#masks", MaskPanel).waiting = f"Waiting for {spec} to load…"

    def on_model_loading(self, message: ModelLoading) -> None:
        if self.model.is_loading(message.spec):
            self._show_loading(message.spec, message.stage)

    def on_model_downloading(self, message: ModelDownloading) -> None:
        if self.model.is_loading(message.spec):
            self.query_one(ModelBanner).state = BannerState(
                "loading", message.spec, key=actions.key_for("cancel_download"), download=message.download)
            self.query_one(StatusLine).state = (f"downloading {message.spec}: {message.download.describe()}",
                                                "busy")

    def action_cancel_download(self) -> None:
        """Stop the hub download of the model being loaded (the banner then says it was cancelled)."""
        if self.model.loading is not None:
            self.backend.cancel_download()

    def on_model_ready(self, message: ModelReady) -> None:
        info = message.info
        if self.model.ready(message.spec, info):
            self.query_one(ModelBanner).state = None
        self.query_one(Sentences).mask_token = info.mask_token
        self.query_one(ModelCard).state = self.card_state()
        self.query_one(Leaderboard).no_nsp_reason = info.no_nsp_reason
        self.query_one(StatusLine).model = (Content.assemble(outside(message.spec, "bold"),
                                                             f" · {info.device} {info.dtype}"),
                                            DEMO_LABEL if info.is_demo else "")
        self.refresh_bindings()
        self.request_changed()  # the text on screen, asked of the model now in use

    def on_model_failed(self, message: ModelFailed) -> None:
        status = self.query_one(StatusLine)
        if self.model.failed(message.spec, message.error):  # a switch failed: the model in use answers
            self.query_one(ModelBanner).state = None
            self.notify(visible(message.error), title=f"Cannot load {visible(message.spec)}",
                        severity="error", timeout=10, markup=False)
            status.state = (f"cannot load {message.spec}; still using {self.model.spec}", "error")
            return
        self.query_one(ModelBanner).state = BannerState("failed", message.spec, message.error)
        self.query_one(ModelCard).state = self.card_state()
        self.query_one("#masks", MaskPanel).waiting = "No model: see above."
        status.state = (f"cannot load {message.spec}", "error")
        self.refresh_bindings()

    def on_model_crashed(self, message: ModelCrashed) -> None:
        """A model's process died: say how, keep every pane as it is, offer the restart key."""
        key = actions.key_for("restart_model")
        spec = self.model.crashed(message.backend, message.spec)
        if message.backend is self.backend:
            self.query_one(ModelBanner).state = BannerState("crashed", spec, message.reason, key)
            self.query_one(StatusLine).state = (f"{message.reason}; {key} restarts it", "error")
        else:
            self.notify(visible(f"{message.reason}. {key} restarts it."), title=f"Model B stopped: {spec}",
                        severity="error", timeout=30, markup=False)

    def action_restart_model(self) -> None:
        stopped = self.model.restart()
        if not stopped:
            self.notify("The model is running: nothing to restart.")
            return
        for backend in stopped:
            backend.restart()
        if self.model.backend in stopped and self.model.loading is not None:
            self._show_loading(self.model.loading, "starting")
        self.request_changed()

    def card_state(self) -> CardState:
        """What the model card says: the model in use, or the one that failed to load, or the one loading."""
        state = self.model
        if state.info is not None:
            return CardState(state.spec, state.info)
        if state.failure is not None:
            return CardState(state.failure[0], failed=True)
        return CardState(state.wanted)
