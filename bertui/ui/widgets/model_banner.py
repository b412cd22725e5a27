"""The banner over the results while no model answers: loading (with a spinner; while the weights come from
the hub, a bar with the file, bytes, rate and time left), why loading failed, or how the model's process
ended (the text stays; a key restarts it). With Textual's animations off (``TEXTUAL_ANIMATIONS=none``)
there is no spinner: the words say it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Button, LoadingIndicator, ProgressBar, Static

from bertui.engine.download import Download
from bertui.ui.text import outside


@dataclass(frozen=True)
class BannerState:
    """What the banner says: ``kind`` of news about ``spec``, with its ``text`` (the loading stage, why
    loading failed, or how the process ended), the ``key`` that cancels the download or restarts the model,
    and, while the weights come from the hub, how far their ``download`` is."""

    kind: Literal["loading", "failed", "crashed"]
    spec: str
    text: str = ""
    key: str = ""
    download: Download | None = None


class ModelBanner(Vertical):
    """Hidden unless it has the ``-loading``, ``-failed`` or ``-crashed`` class (from ``state``)."""

    DEFAULT_CSS = """
    ModelBanner {
        display: none;
        height: auto;
        padding: 0 1;
        &.-loading, &.-failed, &.-crashed { display: block; }
        &.-failed, &.-crashed { border: round $frame-error; border-title-color: $text-error; }
        #banner-loading, #banner-error, #banner-actions, #banner-crashed { display: none; height: auto; }
        &.-loading #banner-loading, &.-failed #banner-error, &.-failed #banner-actions { display: block; }
        &.-crashed #banner-error, &.-crashed #banner-crashed { display: block; }
        LoadingIndicator { width: 11; height: 1; background: transparent; }
        #banner-progress { display: none; width: 1fr; }
        &.-downloading #banner-progress { display: block; }
        #banner-stage { width: 1fr; }
        #banner-actions, #banner-crashed { margin-top: 1; }
        #banner-actions Button { margin-right: 2; }
    }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="banner-loading"):
            yield LoadingIndicator()
            yield Static(id="banner-stage")
        yield ProgressBar(id="banner-progress", show_eta=False)
        yield Static(id="banner-error")
        with Horizontal(id="banner-actions"):
            yield Button("Use the demo model (random predictions)", id="use-demo", variant="warning",
                         compact=True, action="screen.use_demo")
            yield Button("Switch model…", id="switch-model", compact=True, action="screen.switch_model")
        with Horizontal(id="banner-crashed"):
            yield Button("Restart model", id="restart-model", variant="warning", compact=True,
                         action="screen.restart_model")

    def on_mount(self) -> None:
        self.query_one(LoadingIndicator).display = self.app.animation_level != "none"

    state: reactive[BannerState | None] = reactive(None)
    """What the banner says; None hides it."""

    def watch_state(self, state: BannerState | None) -> None:
        if state is None:
            self.set_classes("")
        elif state.download is not None:
            self._downloading(state.spec, state.download, state.key)
        elif state.kind == "loading":
            self._loading(state.spec, state.text)
        elif state.kind == "failed":
            self._failed(state.spec, state.text)
        else:
            self._crashed(state.spec, state.text, state.key)

    def _loading(self, spec: str, stage: str) -> None:
        self.query_one("#banner-stage", Static).update(Content.assemble(
            "Loading ", outside(spec, "bold"), outside(f" — {stage}…"),
            ("  Type away: your text is analysed as soon as the model is ready.", "$text-muted")))
        self.set_classes("-loading")

    def _downloading(self, spec: str, download: Download, key: str) -> None:
        """``spec``'s weights are coming from the hub: ``download`` says how far; ``key`` cancels."""
        self.query_one("#banner-stage", Static).update(Content.assemble(
            "Downloading ", outside(spec, "bold"), " — ", outside(download.describe()),
            (f"  {key} cancels.", "$text-muted")))
        self.query_one(ProgressBar).update(total=download.total, progress=download.done)
        self.set_classes("-loading -downloading")

    def _failed(self, spec: str, error: str) -> None:
        self.border_title = Content.assemble("Cannot load ", outside(spec, "bold"))
        self.query_one("#banner-error", Static).update(Content.assemble(
            outside(error), ("\nctrl+g loads the built-in demo model; ctrl+o loads another.", "$text-muted")))
        self.set_classes("-failed")

    def _crashed(self, spec: str, reason: str, key: str) -> None:
        """The process running ``spec`` ended (``reason``); ``key`` restarts it."""
        self.border_title = Content.assemble("The model stopped: ", outside(spec, "bold"))
        self.query_one("#banner-error", Static).update(Content.assemble(
            outside(reason), (f"\nYour text is kept. {key} restarts the model; ctrl+o loads another.",
                              "$text-muted")))
        self.set_classes("-crashed")
