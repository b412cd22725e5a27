"""The main screen's request, built from what is on screen: a pure function, no app and no pilot."""

from __future__ import annotations

import re

from bertui.ui.key_masks import KeyMasks
from bertui.ui.request import MOST_JOINT_MASKS, NO_KEY_MASKS, Views, build_request, masks_in

MASK = re.compile(r"\[MASK\]", re.IGNORECASE)


def test_the_texts_k_candidates_and_targets_are_asked_as_they_are():
    request = build_request(7, ("a [MASK]", "b"), top_k=3, candidates=("x", ""), targets=("he",),
                            mask_pattern=MASK)
    assert (request.request_id, request.text_a, request.text_b, request.top_k) == (7, "a [MASK]", "b", 3)
    assert request.candidates == ("x", "") and request.targets == ("he",)
    assert not (request.attention or request.embeddings or request.surprisal or request.alone)


def test_grid_masks_are_asked_only_for_the_texts_they_were_chosen_in():
    masks = KeyMasks().toggled(("the dog", None), (2,))
    assert build_request(1, ("the dog", None), top_k=5, key_masks=masks, mask_pattern=MASK).masked == (2,)
    assert build_request(1, ("the cat", None), top_k=5, key_masks=masks, mask_pattern=MASK).masked == ()


def test_joint_fillings_are_asked_for_two_masks_up_to_the_most():
    def joint(text: str, masks: KeyMasks = NO_KEY_MASKS) -> bool:
        return build_request(1, (text, None), top_k=5, key_masks=masks, mask_pattern=MASK).joint

    assert not joint("a [MASK] b")
    assert joint("a [mask] b [MASK]")
    assert joint("a [MASK] b", KeyMasks().toggled(("a [MASK] b", None), (3,)))  # typed + from the grid
    assert joint("[MASK] " * MOST_JOINT_MASKS)
    assert not joint("[MASK] " * (MOST_JOINT_MASKS + 1))
    assert masks_in(("[MASK] " * 100, None), 0, MASK) == MOST_JOINT_MASKS + 1  # counting stops there


def test_open_views_ask_for_more_and_surprisal_in_pair_mode_scores_each_sentence_alone():
    views = Views(attention=True, embeddings=True, surprisal=True, attention_layer=2)
    alone = build_request(1, ("a", None), top_k=5, views=views, mask_pattern=MASK)
    pair = build_request(1, ("a", "b"), top_k=5, views=views, mask_pattern=MASK)
    assert alone.attention and alone.embeddings and alone.surprisal and alone.attention_layer == 2
    assert not alone.alone and pair.alone
    closed = build_request(1, ("a", None), top_k=5, views=Views(attention_layer=2), mask_pattern=MASK)
    assert closed.attention_layer == 0  # one layer is asked for only while the view shows it
