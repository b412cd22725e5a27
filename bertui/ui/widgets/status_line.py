"""The status line: what is running, the number of tokens on screen, the last answer's latency, and the
model and device in use."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
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

    def compose(self) -> ComposeResult:
        yield Label(id="status-state")
        yield Label(id="status-tokens")
        yield Label(id="status-latency")
        yield Label(id="status-model")
        yield Label(id="status-demo")

    def state(self, what: str | Content, tone: str = "") -> None:
        """``tone``: "" (plain), "busy", "error" — a CSS class on the state label."""
        label = self.query_one("#status-state", Label)
        label.update(outside(what) if isinstance(what, str) else what)
        for name in ("busy", "error"):
            label.set_class(tone == name, f"-{name}")

    def tokens(self, count: int) -> None:
        self.query_one("#status-tokens", Label).update(Content(f"{count:,} token{'s' * (count != 1)}"))

    def latency(self, text: str) -> None:
        self.query_one("#status-latency", Label).update(Content(text))

    def model(self, text: Content, demo: str = "") -> None:
        """The model and device; ``demo`` is its demo label (hidden on narrow screens: the panes say it)."""
        self.query_one("#status-model", Label).update(text)
        self.query_one("#status-demo", Label).update(Content(demo))
