"""The mask panel: for every mask, the model's top-k fillings with a bar per probability.

A word whose WordPieces are all masked is one entry: its joint fillings of every piece, not the pieces'
separate guesses. Below the lists: the target words' scores at every mask (typed in the field at the
top) and, with two or more masks, the fillings of all of them together.

What it shows is two reactives: ``answer`` (the model's, for the text on screen) and ``waiting`` (why
there is none); setting either draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive, var
from textual.widgets import Static

from bertui.engine.results import JointFill, MaskPrediction, MaskTargets, WordPrediction
from bertui.ui.text import drawn, outside, visible
from bertui.ui.widgets.joint_list import JointList
from bertui.ui.widgets.model_card import DEMO_LABEL
from bertui.ui.widgets.score_bar import rank_lead, scored_row
from bertui.ui.widgets.targets import TargetScores, TargetsRow


@dataclass(frozen=True)
class MaskAnswer:
    """The model's fillings for every mask (``words``: whole words masked, each filled as one), the
    target words' scores at every mask and the joint fillings (None: hidden)."""

    masks: tuple[MaskPrediction, ...]
    mask_token: str = "[MASK]"
    demo: bool = False
    words: tuple[WordPrediction, ...] = ()
    targets: tuple[MaskTargets, ...] = ()
    joint: JointFill | None = None


class MaskPanel(VerticalScroll):
    top_k: reactive[int | None] = reactive(None)
    """Predictions per mask, named in the border (None: not named)."""
    answer: var[MaskAnswer | None] = var(None, init=False, always_update=True)
    """The answer shown (None: none, for the reason in ``waiting``)."""
    waiting: var[str] = var("", init=False, always_update=True)
    """Why there are no predictions (may name a model spec or an error, shown as text); setting it
    clears the answer."""

    def __init__(self, title: str = "Predictions", targets: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._targets = targets
        self.border_title = title

    def compose(self) -> ComposeResult:
        yield TargetsRow(self._targets, id="targets")
        yield Static(id="mask-body")
        yield TargetScores(id="target-scores")
        yield JointList(id="joint")

    def watch_waiting(self, why: str) -> None:
        self.set_reactive(MaskPanel.answer, None)
        self.query_one("#mask-body", Static).update(outside(why, "$text-muted"))
        self.query_one(TargetScores).show((), "")
        self.query_one(JointList).show(None)

    def watch_answer(self, answer: MaskAnswer | None) -> None:
        if answer is not None:
            self._render_masks(answer)
            self.query_one(TargetScores).show(answer.targets, answer.mask_token)
            self.query_one(JointList).show(answer.joint)

    @property
    def targets(self) -> tuple[str, ...]:
        """The target words typed in the field."""
        return self.query_one(TargetsRow).targets

    @staticmethod
    def _entries(answer: MaskAnswer) -> list[MaskPrediction | WordPrediction]:
        """The masks in text order, each whole word once, where its first piece is."""
        word_at = {word.positions[0]: word for word in answer.words}
        pieces = {position for word in answer.words for position in word.positions}
        return [word_at.get(mask.position, mask) for mask in answer.masks
                if mask.position in word_at or mask.position not in pieces]

    def watch_top_k(self, top_k: int | None) -> None:
        self.border_subtitle = "" if top_k is None else f"top-k {top_k}"

    def on_resize(self) -> None:
        if self.answer is not None and self.answer.masks:
            self._render_masks(self.answer)

    def watch_show_vertical_scrollbar(self) -> None:
        """The rows were fitted to the width without the scrollbar (or with it): fit them again, or the
        percentage wraps under its row when a long list brings the scrollbar in."""
        self.on_resize()

    def _render_masks(self, answer: MaskAnswer) -> None:
        lines: list[Content] = []
        mask_token = answer.mask_token
        if answer.demo:
            lines.append(Content.styled(DEMO_LABEL, "$text-warning"))
        if not answer.masks:
            lines.append(Content.assemble(
                "No mask to fill. Put ", outside(mask_token, "$text-warning bold"),
                " where a word should be guessed (ctrl+t inserts it)."))
        entries = self._entries(answer)
        fillings = [self._fillings(entry) for entry in entries]
        texts = [text for entry in fillings for text, _ in entry]
        width = self.scrollable_content_region.width
        # Rank, word, bar and percentage on one line: in a narrow pane the words give way first.
        word_width = min(18, max(6, *(cell_len(w) for w in texts)), max(4, width - 18)) if texts else 6
        bar_width = max(6, min(40, width - word_width - 12))
        for number, (entry, choices) in enumerate(zip(entries, fillings), start=1):
            if isinstance(entry, WordPrediction):
                lines.append(Content.assemble(
                    (f"word {number}", "$text-warning bold"),
                    (f" of {len(entries)} · {len(entry.positions)} pieces, tokens "
                     f"{entry.positions[0]}–{entry.positions[-1]}", "$text-muted")))
            else:
                lines.append(Content.assemble(
                    (f"{visible(mask_token)} {number}", "$text-warning bold"),
                    (f" of {len(entries)} · token {entry.position}", "$text-muted")))
            for rank, (text, score) in enumerate(choices, start=1):
                word = Content(text).truncate(word_width, ellipsis=True, pad=True)
                lines.append(scored_row(rank_lead(rank), score, bar_width, word=word))
        self.query_one("#mask-body", Static).update(Content("\n").join(lines))

    @staticmethod
    def _fillings(entry: MaskPrediction | WordPrediction) -> list[tuple[str, float]]:
        if isinstance(entry, WordPrediction):
            return [(drawn(word), score) for word, score in zip(entry.words, entry.scores)]
        return [(drawn(prediction.token_str), prediction.score) for prediction in entry.predictions]
