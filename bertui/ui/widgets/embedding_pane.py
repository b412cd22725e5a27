"""The embedding breakdown of the selected token: BERT's input is token + segment + position embeddings;
and what lies near it.

For each part, its norm and its cosine to the sum (what LayerNorm then receives): the larger and the
better aligned a part, the more of the input it is. Below, the token's nearest vocabulary entries by
cosine: to its row of the input embedding table, and to its hidden state in context (the last layer,
through the masked-LM head's transform) among the output embeddings. The app asks for both only while
the pane is shown. The answer, the selected token and the note shown while waiting are reactives;
their watchers draw. Tokens are vocabulary text, so they are drawn through ``outside``.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.reactive import var

from bertui.engine.inside_results import Near, TokenNear, Unavailable
from bertui.engine.results import EmbeddingBreakdown, Encoding
from bertui.ui.text import drawn, fit, outside
from bertui.ui.widgets.answer_pane import AnswerPane
from bertui.ui.widgets.heat import room_in
from bertui.ui.widgets.score_bar import score_bar

PARTS = ("token", "segment", "position")
BAR = 12
Shown = tuple[Encoding, tuple[EmbeddingBreakdown, ...] | None, Near | Unavailable | None]
NEAR_SHOWN = 5
"""Neighbours shown of each kind (the model gives more; the export has them all)."""


def norm_text(value: float) -> str:
    return f"{value:8.3f}"


def cosine_text(value: float) -> str:
    return f"{value:+7.3f}"


class EmbeddingPane(AnswerPane):
    BODY = "embeddings-body"
    DEFAULT_CSS = """
    EmbeddingPane {
        #embeddings-body { width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    }
    """

    answer: var[Shown | None] = var(None, init=False, always_update=True)
    """The tokens, each one's breakdown (None: the model's embeddings have no separate token and
    position tables to break down) and their nearest entries (None: not asked). ``position``: the token
    shown."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Embeddings"
        self.border_subtitle = "before LayerNorm · bars: norm ÷ the largest"

    def show(self, breakdown: tuple[EmbeddingBreakdown, ...] | None, encoding: Encoding,
             position: int, near: Near | Unavailable | None = None) -> None:
        """``breakdown`` None: the model's embeddings have no separate token and position tables."""
        self.set_reactive(EmbeddingPane.position, position)
        self.answer = encoding, breakdown, near

    def selected(self) -> EmbeddingBreakdown | None:
        if self.answer is None or not self.answer[1]:
            return None
        breakdown = self.answer[1]
        return breakdown[max(0, min(self.position, len(breakdown) - 1))]

    def _draw(self) -> None:
        body = self.body
        self.border_title = "Embeddings"
        if self.answer is None:
            body.update(Content.styled(self.note, "$text-muted"))
            return
        encoding, _breakdown, near = self.answer
        part = self.selected()
        if part is None:
            lines = [Content.styled("This model's embeddings have no separate token and position tables to "
                                    "break down.", "$text-muted")]
        else:
            segment = "AB"[encoding.token_type_ids[part.position] % 2]
            self.border_title = Content.assemble(f"Embeddings · {part.position} ",
                                                 outside(encoding.tokens[part.position], "bold"),
                                                 f" · segment {segment}")
            lines = self._rows(part)
        if near is not None:
            lines += [Content(""), *self._near(near)]
        body.update(Content("\n").join(lines))

    def _near(self, near: Near | Unavailable) -> list[Content]:
        """The selected token's nearest entries: in the table and in context, side by side."""
        if isinstance(near, Unavailable):
            return [outside(f"Near: {near.reason}", "$text-muted")]  # the engine's words may quote a token
        token = next((t for t in near.tokens if t.position == self.position), None)
        if token is None:
            return [Content.styled("Near: select a token of the text (not [CLS] or [SEP]).", "$text-muted")]
        room = room_in(self)
        cells = max(4, (room - 17) // 2)
        header = fit("near" + fit(" table", cells + 8) + f"context, layer {near.layer}", room)
        return [Content.styled(header.rstrip(), "$text-muted"), *self._near_rows(token, cells)]

    @staticmethod
    def _near_rows(token: TokenNear, cells: int) -> list[Content]:
        rows = []
        for rank, (table, context) in enumerate(zip(token.table[:NEAR_SHOWN], token.context[:NEAR_SHOWN]), 1):
            rows.append(Content.assemble(
                Content.styled(f"{rank:>2}  ", "$text-muted"), outside(fit(drawn(table.token_str), cells)),
                f" {table.cosine:4.2f}   ", outside(fit(drawn(context.token_str), cells)),
                f" {context.cosine:4.2f}"))
        return rows

    @staticmethod
    def _rows(part: EmbeddingBreakdown) -> list[Content]:
        """A line per part (norm, cosine to the sum, bar), then the sum's; bars against the largest norm."""
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
        return lines
