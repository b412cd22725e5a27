"""The request the main screen makes of the model, built from what is on it: a pure function, no Textual.

The screen gathers the facts (the texts, k, the candidates and target words, the grid's masks, the open
views); ``build_request`` turns them into one AnalysisRequest. Tests call it without a pilot
(tests/ui/test_request.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import islice

from bertui.engine.inside_results import EXPLAIN_METHODS, InsideAsk
from bertui.engine.results import AnalysisRequest, Encoding
from bertui.ui.key_masks import KeyMasks, Texts

NO_KEY_MASKS = KeyMasks()
MOST_JOINT_MASKS = 8
"""Joint fillings are asked for 2 to this many masks: each mask past the first costs an encoder pass."""


@dataclass(frozen=True)
class Why:
    """The Why strip's question: which method explains which of the selected mask's predictions (0: its
    top-1), rather than which (None: none); and how it is drawn (``words``: each word's pieces summed)."""

    method: str = "grad-input"
    target: int = 0
    contrast: int | None = None
    words: bool = False

    def cycled(self, part: str, top_k: int) -> Why:
        """The next question by ``part``: "method" (gradient × input → gradient norm → integrated gradients →
        rollout), "target" (the next of the top-k), "contrast" (none, then each other one of the top-k), or
        "words" (the word view on or off)."""
        if part == "method":
            return replace(self, method=EXPLAIN_METHODS[(EXPLAIN_METHODS.index(self.method) + 1)
                                                        % len(EXPLAIN_METHODS)])
        if part == "target":
            target = (self.target + 1) % max(1, top_k)
            return replace(self, target=target, contrast=None if self.contrast == target else self.contrast)
        if part == "contrast":
            choices = [None, *(rank for rank in range(top_k) if rank != self.target)]
            now = choices.index(self.contrast) if self.contrast in choices else 0
            return replace(self, contrast=choices[(now + 1) % len(choices)])
        return replace(self, words=not self.words)

    @property
    def question(self) -> tuple[str, int, int | None]:
        """(method, target, contrast) as the model is asked them: rollout takes no contrast."""
        return self.method, self.target, None if self.method == "rollout" else self.contrast

    def asked_by(self, ask: InsideAsk | None) -> bool:
        """Whether ``ask`` asked this question (an answer to it explains what the strip says it does)."""
        return ask is not None and (ask.explain, ask.explain_target, ask.explain_contrast) == self.question


@dataclass(frozen=True)
class Views:
    """The views inside the model that are open: each asks the model for more."""

    attention: bool = False
    embeddings: bool = False
    """The embedding breakdown, and the selected token's nearest vocabulary entries."""
    surprisal: bool = False
    attention_layer: int = 0
    """The layer the attention view shows (one layer is asked for)."""
    lens: bool = False
    why: Why | None = None
    """The Why strip's question while it is on."""
    selected: tuple[int, ...] = ()
    """The token selected in the grid (while it has focus) when it is a token of the text that is not a
    mask: the lens reads it too."""
    selected_mask: int | None = None
    """The grid's selected token when it is a mask: the one the Why strip explains (else the first)."""


def selection(encoding: Encoding | None, cursor: int, chosen: bool) -> tuple[tuple[int, ...], int | None]:
    """``Views.selected`` and ``Views.selected_mask`` for the grid's cursor over ``encoding``; ``chosen``:
    the grid has focus (else its cursor only follows the typing, and a token that is not a mask is not
    read)."""
    if encoding is None or not 0 <= cursor < len(encoding.tokens) or encoding.special[cursor]:
        return (), None
    if cursor in encoding.mask_positions:
        return (), cursor
    return ((cursor,) if chosen else ()), None


def inside_ask(views: Views) -> InsideAsk | None:
    """What the open views ask of the model inside a prediction (None: no such view is open)."""
    if not (views.lens or views.embeddings or views.why):
        return None
    ask = InsideAsk(lens=views.lens, lens_at=views.selected if views.lens else (), near=views.embeddings)
    if views.why is None:
        return ask
    method, target, contrast = views.why.question
    return replace(ask, explain=method, explain_at=views.selected_mask, explain_target=target,
                   explain_contrast=contrast)


def masks_in(texts: Texts, masked: int, pattern: re.Pattern[str]) -> int:
    """How many masks the texts hold (typed, matched by ``pattern``, and ``masked`` from the grid),
    counted up to one past ``MOST_JOINT_MASKS``."""
    found = (match for text in texts if text for match in pattern.finditer(text))
    return masked + sum(1 for _ in islice(found, MOST_JOINT_MASKS + 1))


def build_request(request_id: int, texts: Texts, *, top_k: int, candidates: tuple[str, ...] = (),
                  targets: tuple[str, ...] = (), key_masks: KeyMasks = NO_KEY_MASKS,
                  views: Views | None = None, mask_pattern: re.Pattern[str]) -> AnalysisRequest:
    """The request for ``texts`` (A, and B in pair mode): k, candidates, the grid's masks (only if set
    in these texts), target words, joint fillings (for 2 to ``MOST_JOINT_MASKS`` masks) and the open
    views (with surprisal in pair mode, A and B each scored alone too)."""
    text_a, text_b = texts
    views = views or Views()
    masked = key_masks.for_texts(texts)
    return AnalysisRequest(
        request_id=request_id, text_a=text_a, text_b=text_b, top_k=top_k, candidates=candidates,
        masked=masked, attention=views.attention, embeddings=views.embeddings, surprisal=views.surprisal,
        targets=targets, joint=2 <= masks_in(texts, len(masked), mask_pattern) <= MOST_JOINT_MASKS,
        alone=views.surprisal and text_b is not None,
        attention_layer=views.attention_layer if views.attention else 0, inside=inside_ask(views))
