"""The mask panel: for every mask, the model's top-k fillings with a bar per probability."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bertui.engine.results import MaskPrediction
from bertui.ui.visible import visible
from bertui.ui.widgets.model_card import DEMO_LABEL
from bertui.ui.widgets.score_bar import percent, score_bar


class MaskPanel(VerticalScroll):
    def __init__(self, title: str = "Predictions", **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        self._masks: tuple[MaskPrediction, ...] = ()
        self._mask_token = "[MASK]"
        self._demo = False

    def compose(self) -> ComposeResult:
        yield Static(id="mask-body")

    def waiting(self, why: str) -> None:
        self._masks = ()
        self.query_one("#mask-body", Static).update(Content.styled(why, "$text-muted"))

    def show(self, masks: tuple[MaskPrediction, ...], mask_token: str, demo: bool) -> None:
        self._masks, self._mask_token, self._demo = masks, mask_token, demo
        self._render_masks()

    def show_top_k(self, top_k: int) -> None:
        self.border_subtitle = f"top-k {top_k}"

    def on_resize(self) -> None:
        if self._masks:
            self._render_masks()

    def _render_masks(self) -> None:
        lines: list[Content] = []
        if self._demo:
            lines.append(Content.styled(DEMO_LABEL, "$text-warning"))
        if not self._masks:
            lines.append(Content.assemble(
                "No mask to fill. Put ", (self._mask_token, "$text-warning bold"),
                " where a word should be guessed (ctrl+t inserts it)."))
        words = [visible(p.token_str) for mask in self._masks for p in mask.predictions]
        width = self.scrollable_content_region.width
        # Rank, word, bar and percentage on one line: in a narrow pane the words give way first.
        word_width = min(18, max(6, *(cell_len(w) for w in words)), max(4, width - 18)) if words else 6
        bar_width = max(6, min(40, width - word_width - 12))
        for number, mask in enumerate(self._masks, start=1):
            lines.append(Content.assemble(
                (f"{self._mask_token} {number}", "$text-warning bold"),
                (f" of {len(self._masks)} · token {mask.position}", "$text-muted")))
            for rank, prediction in enumerate(mask.predictions, start=1):
                word = Content(visible(prediction.token_str)).truncate(word_width, ellipsis=True, pad=True)
                lines.append(Content.assemble(
                    (f"{rank:>3} ", "$text-muted"), word,
                    " ", score_bar(prediction.score, bar_width), " ", percent(prediction.score)))
        self.query_one("#mask-body", Static).update(Content("\n").join(lines))
