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
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from bertui.engine.results import MaskTargets, TargetScore
from bertui.ui.text import ShowControls, outside, probability_text, signed

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
    """Per mask, each target's probability, log-probability and rank (or pieces, or why not scored).

    Drawn to the pane's width, as the predictions are: the words give way first, and a row that still
    does not fit is cut, never wrapped (a rank or "N pieces" on a line of its own reads as another row).
    """

    DEFAULT_CSS = """
    TargetScores { display: none; margin-top: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    masks: reactive[tuple[MaskTargets, ...]] = reactive((), init=False)
    """Each mask's target scores, in mask order."""
    mask_token: reactive[str] = reactive("[MASK]", init=False)
    """The model's own mask token, to name the masks by."""

    def show(self, masks: tuple[MaskTargets, ...], mask_token: str) -> None:
        self.set_reactive(TargetScores.mask_token, mask_token)
        self.masks = masks

    def watch_masks(self, masks: tuple[MaskTargets, ...]) -> None:
        self.display = bool(masks)
        self._draw()

    def on_resize(self) -> None:
        if self.masks:
            self._draw()

    def _draw(self) -> None:
        masks, lines = self.masks, []
        for number, mask in enumerate(masks, start=1):
            where = f" at {self.mask_token} {number}" if len(masks) > 1 else ""
            lines.append(Content.assemble((f"Targets{where}", "$text-accent bold"),
                                          (f" · token {mask.position}", "$text-muted")))
            end = max((len(_where(score)) for score in mask.scores if score.log_prob is not None), default=4)
            words = max((outside(score.target).cell_length for score in mask.scores), default=4)
            # "  word  p  log p  rank": the word takes what the numbers leave it, 4 to 18 cells.
            width = max(4, min(18, words, (self.size.width or 80) - 20 - max(4, end)))
            lines.append(Content.styled(f"  {'word':<{width}}       p   log p  rank", "$text-muted"))
            lines += [self._line(score, width) for score in mask.scores]
        self.update(Content("\n").join(lines))

    @staticmethod
    def _line(score: TargetScore, width: int) -> Content:
        word = outside(score.target).truncate(width, ellipsis=True, pad=True)
        if score.log_prob is None:
            why = score.note or "not in the vocabulary"
            return Content.assemble("  ", word, "  ", (why, "$text-warning"))
        log_prob = "−∞" if math.isinf(score.log_prob) else signed(score.log_prob)
        return Content.assemble("  ", word, f" {probability_text(math.exp(score.log_prob)):>7}",
                                f" {log_prob:>7}  ", _where(score))


def _where(score: TargetScore) -> str:
    """The rank of a one-piece word; a word of several pieces has none, it is scored whole."""
    return str(score.rank) if score.rank is not None else f"{len(score.pieces)} pieces"
