"""The request the main screen makes of the model, built from what is on it: a pure function, no Textual.

The screen gathers the facts (the texts, k, the candidates and target words, the grid's masks, the open
views); ``build_request`` turns them into one AnalysisRequest. Tests call it without a pilot
(tests/ui/test_request.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from bertui.engine.results import AnalysisRequest
from bertui.ui.key_masks import KeyMasks, Texts

NO_KEY_MASKS = KeyMasks()
MOST_JOINT_MASKS = 8
"""Joint fillings are asked for 2 to this many masks: each mask past the first costs an encoder pass."""


@dataclass(frozen=True)
class Views:
    """The views inside the model that are open: each asks the model for more."""

    attention: bool = False
    embeddings: bool = False
    surprisal: bool = False
    attention_layer: int = 0
    """The layer the attention view shows (one layer is asked for)."""


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
        attention_layer=views.attention_layer if views.attention else 0)
