"""The banner over the results while no model answers: loading (with a spinner), or why loading failed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, LoadingIndicator, Static

from bertui.ui.visible import outside


class ModelBanner(Vertical):
    """Hidden unless it has the ``-loading`` or ``-failed`` class."""

    SCOPED_CSS = False  # for the app's ``-steady`` class, which stops the spinner
    DEFAULT_CSS = """
    ModelBanner {
        display: none;
        height: auto;
        padding: 0 1;
        &.-loading, &.-failed { display: block; }
        &.-failed { border: round $frame-error; border-title-color: $text-error; }
        #banner-loading, #banner-error, #banner-actions { display: none; height: auto; }
        &.-loading #banner-loading, &.-failed #banner-error, &.-failed #banner-actions { display: block; }
        LoadingIndicator { width: 11; height: 1; background: transparent; }
        #banner-stage { width: 1fr; }
        #banner-actions { margin-top: 1; }
        #banner-actions Button { margin-right: 2; }
    }
    .-steady ModelBanner LoadingIndicator {
        display: none;  /* no animation in tests and screenshots: the words say it */
    }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="banner-loading"):
            yield LoadingIndicator()
            yield Static(id="banner-stage")
        yield Static(id="banner-error")
        with Horizontal(id="banner-actions"):
            yield Button("Use the demo model (random predictions)", id="use-demo", variant="warning",
                         compact=True)
            yield Button("Switch model…", id="switch-model", compact=True)

    def loading(self, spec: str, stage: str) -> None:
        self.query_one("#banner-stage", Static).update(Content.assemble(
            "Loading ", outside(spec, "bold"), f" — {stage}…",
            ("  Type away: your text is analysed as soon as the model is ready.", "$text-muted")))
        self.set_classes("-loading")

    def failed(self, spec: str, error: str) -> None:
        self.border_title = Content.assemble("Cannot load ", outside(spec, "bold"))
        self.query_one("#banner-error", Static).update(Content.assemble(
            outside(error), ("\nctrl+g loads the built-in demo model; ctrl+o loads another.", "$text-muted")))
        self.set_classes("-failed")

    def hide(self) -> None:
        self.set_classes("")
