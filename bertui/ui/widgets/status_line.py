"""The status line: what is running, the number of tokens on screen, the last answer's latency, and the
model and device in use: four reactives the screen sets, each drawn by its watcher."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import var
from textual.widgets import Label

from bertui.ui.text import outside


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        max-height: 3;
        background: $panel;
        padding: 0 1;
        #status-state { width: 1fr; height: auto; color: $text-success; }
        #status-state.-busy { color: $text-warning; }
        #status-state.-error { color: $text-error; }
        #status-demo { color: $text-warning; margin-left: 1; }
        #status-latency { color: $text-muted; margin: 0 2; }
        #status-tokens { color: $text-muted; margin-left: 2; }
    }
    """

    state: var[tuple[str | Content, str]] = var(("", ""), init=False, always_update=True)
    """What is running (outside text as a str) and its tone: "" (plain), "busy" or "error"."""
    tokens: var[int] = var(0, init=False)
    """Tokens of the answer on screen."""
    latency: var[str] = var("", init=False)
    """How long the last answer took, as said."""
    model: var[tuple[Content, str]] = var((Content(""), ""), init=False)
    """The model and device, and its demo label (hidden on narrow screens: the panes say it)."""

    def compose(self) -> ComposeResult:
        yield Label(id="status-state")
        yield Label(id="status-tokens")
        yield Label(id="status-latency")
        yield Label(id="status-model")
        yield Label(id="status-demo")

    def watch_state(self, state: tuple[str | Content, str]) -> None:
        what, tone = state
        label = self.query_one("#status-state", Label)
        label.update(outside(what) if isinstance(what, str) else what)
        for name in ("busy", "error"):
            label.set_class(tone == name, f"-{name}")

    def watch_tokens(self, count: int) -> None:
        self.query_one("#status-tokens", Label).update(Content(f"{count:,} token{'s' * (count != 1)}"))

    def watch_latency(self, text: str) -> None:
        self.query_one("#status-latency", Label).update(Content(text))

    def watch_model(self, model: tuple[Content, str]) -> None:
        text, demo = model
        self.query_one("#status-model", Label).update(text)
        self.query_one("#status-demo", Label).update(Content(demo))
