"""The floor under bertui's first paint as a person sees it: a bare Textual app that shows one bordered
Input titled "Sentence", as bertui's sentence field is (benchmarks/tmux_paint.py)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input


class BareInput(App[None]):
    CSS = "Input { border: round $accent; }"

    def compose(self) -> ComposeResult:
        field = Input("The capital of France is [MASK].")
        field.border_title = "Sentence"
        yield field


if __name__ == "__main__":
    BareInput().run()
