"""Target words at the masks: the field where a person lists them, and their scores at every mask.

The field is live, as the candidates are: every change posts ``Input.Changed`` and the screen asks the
model again (debounced). A one-piece word is read from the logits the top-k come from (no encoder pass);
a word of several pieces is scored whole, its pieces counted; a word with no vocabulary pieces says so.
"""

from __future__ import annotations

import math
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label, Static

from bertui.engine.results import MaskTargets, TargetScore
from bertui.ui.text import ShowControls, outside, probability_text

MAX_TARGETS = 32
"""Words scored at most (a word of several pieces costs a pass per mask): a pasted list is cut here."""


def parse_targets(text: str) -> tuple[str, ...]:
    """The words of a comma-separated list, stripped, each once, in order; at most ``MAX_TARGETS``."""
    words = dict.fromkeys(word.strip() for word in text.split(","))
    return tuple(word for word in words if word)[:MAX_TARGETS]


class TargetsRow(Horizontal):
    """The field, named: it stays at the top of the pane while the lists scroll under it."""

    DEFAULT_CSS = """
    TargetsRow { dock: top; height: 1; margin-bottom: 1; }
    TargetsRow > Label { width: auto; color: $text-accent; text-style: bold; margin-right: 1; }
    TargetsRow > Input { width: 1fr; }
    """

    def __init__(self, targets: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = targets

    def compose(self) -> ComposeResult:
        yield Label("Targets")
        yield Input(", ".join(self._initial), placeholder="words to score: he, she, they", compact=True,
                    select_on_focus=False, highlighter=ShowControls(), id="targets-field")

    @property
    def targets(self) -> tuple[str, ...]:
        return parse_targets(self.query_one(Input).value)


class TargetScores(Static):
    """Per mask, each target's probability, log-probability and rank (or pieces, or why not scored)."""

    DEFAULT_CSS = """
    TargetScores { margin-top: 1; }
    """

    def show(self, masks: tuple[MaskTargets, ...], mask_token: str) -> None:
        lines: list[Content] = []
        for number, mask in enumerate(masks, start=1):
            where = f" at {mask_token} {number}" if len(masks) > 1 else ""
            lines.append(Content.assemble((f"Targets{where}", "$text-accent bold"),
                                          (f" · token {mask.position}", "$text-muted")))
            width = min(18, max(4, *(outside(score.target).cell_length for score in mask.scores)))
            lines.append(Content.styled(f"  {'word':<{width}}       p   log p  rank", "$text-muted"))
            lines += [self._line(score, width) for score in mask.scores]
        self.update(Content("\n").join(lines))
        self.display = bool(lines)

    @staticmethod
    def _line(score: TargetScore, width: int) -> Content:
        word = outside(score.target).truncate(width, ellipsis=True, pad=True)
        if score.log_prob is None:
            why = score.note or "not in the vocabulary"
            return Content.assemble("  ", word, "  ", (why, "$text-warning"))
        log_prob = "−∞" if math.isinf(score.log_prob) else f"{score.log_prob:.2f}".replace("-", "−")
        where = str(score.rank) if score.rank is not None else f"{len(score.pieces)} pieces"
        return Content.assemble("  ", word, f" {probability_text(math.exp(score.log_prob)):>7}",
                                f" {log_prob:>7}  ", where)
