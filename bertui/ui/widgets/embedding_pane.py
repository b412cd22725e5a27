"""The embedding breakdown of the selected token: BERT's input is token + segment + position embeddings.

For each part, its norm and its cosine to the sum (what LayerNorm then receives): the larger and the
better aligned a part, the more of the input it is. The app asks for the breakdown only while shown.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bertui.engine.results import EmbeddingBreakdown, Encoding
from bertui.ui.widgets.score_bar import score_bar

PARTS = ("token", "segment", "position")
BAR = 12


def norm_text(value: float) -> str:
    return f"{value:8.3f}"


def cosine_text(value: float) -> str:
    return f"{value:+7.3f}"


class EmbeddingPane(VerticalScroll):
    DEFAULT_CLASSES = "pane"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Embeddings"
        self.border_subtitle = "before LayerNorm · bars: norm ÷ the largest"
        self.breakdown: tuple[EmbeddingBreakdown, ...] | None = None
        self.encoding: Encoding | None = None
        self.position = 0
        self._waiting = "Waiting for the model…"

    def compose(self) -> ComposeResult:
        yield Static(id="embeddings-body")

    def waiting(self, why: str) -> None:
        self.encoding = None
        self._waiting = why
        self._render_pane()

    def show(self, breakdown: tuple[EmbeddingBreakdown, ...] | None, encoding: Encoding,
             position: int) -> None:
        """``breakdown`` None: the model's embeddings have no separate token and position tables."""
        self.breakdown, self.encoding = breakdown, encoding
        self.select(position)

    def select(self, position: int) -> None:
        self.position = position
        self._render_pane()

    def selected(self) -> EmbeddingBreakdown | None:
        if self.encoding is None or not self.breakdown:
            return None
        return self.breakdown[max(0, min(self.position, len(self.breakdown) - 1))]

    def _render_pane(self) -> None:
        body = self.query_one("#embeddings-body", Static)
        self.border_title = "Embeddings"
        if self.encoding is None:
            body.update(Content.styled(self._waiting, "$text-muted"))
            return
        part = self.selected()
        if part is None:
            body.update(Content.styled("This model's embeddings have no separate token and position "
                                       "tables to break down.", "$text-muted"))
            return
        encoding = self.encoding
        segment = "AB"[encoding.token_type_ids[part.position] % 2]
        self.border_title = Content.assemble(f"Embeddings · {part.position} ",
                                             (encoding.tokens[part.position], "bold"),
                                             f" · segment {segment}")
        rows = ((PARTS[0], part.token_norm, part.token_cosine),
                (PARTS[1], part.segment_norm, part.segment_cosine),
                (PARTS[2], part.position_norm, part.position_cosine))
        largest = max(part.token_norm, part.segment_norm, part.position_norm, part.sum_norm) or 1.0
        lines = [Content.styled(f"{'':9}{'norm':>8}{'cos to sum':>11}", "$text-muted")]
        for name, norm, cosine in rows:
            lines.append(Content.assemble(f"{name:<9}", norm_text(norm), "    ", cosine_text(cosine), " ",
                                          score_bar(norm / largest, BAR)))
        lines.append(Content.assemble(("sum      ", "bold"), norm_text(part.sum_norm), " " * 12,
                                      score_bar(part.sum_norm / largest, BAR)))
        body.update(Content("\n").join(lines))
