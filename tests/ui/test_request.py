"""The main screen's request, built from what is on screen: a pure function, no app and no pilot."""

from __future__ import annotations

import re

from bertui.engine.inside_results import EXPLAIN_METHODS, InsideAsk
from bertui.engine.results import Encoding
from bertui.ui.key_masks import KeyMasks
from bertui.ui.request import (
    MOST_JOINT_MASKS,
    NO_KEY_MASKS,
    Views,
    Why,
    build_request,
    inside_ask,
    masks_in,
    selection,
)

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


def encoding(tokens: tuple[str, ...]) -> Encoding:
    count = len(tokens)
    special = tuple(token in ("[CLS]", "[SEP]") for token in tokens)
    return Encoding(tokens=tokens, input_ids=tuple(range(count)), token_type_ids=(0,) * count,
                    attention_mask=(1,) * count, offsets=((0, 0),) * count, sequence_ids=(0,) * count,
                    special=special, mask_positions=tuple(i for i, t in enumerate(tokens) if t == "[MASK]"))


def test_the_why_strips_keys_cycle_its_question():
    why = Why()
    methods = [why.method]
    for _ in EXPLAIN_METHODS:
        why = why.cycled("method", 3)
        methods.append(why.method)
    assert methods == [*EXPLAIN_METHODS, EXPLAIN_METHODS[0]]
    contrasts = [why.contrast]
    for _ in range(3):
        why = why.cycled("contrast", 3)
        contrasts.append(why.contrast)
    assert contrasts == [None, 1, 2, None]  # never the explained prediction itself
    on_second = Why(contrast=1).cycled("target", 3)
    assert (on_second.target, on_second.contrast) == (1, None)  # it was the contrast: dropped
    assert Why(target=2).cycled("target", 3).target == 0 and Why().cycled("words", 3).words


def test_the_views_ask_for_the_selected_token_only_as_it_applies():
    text = encoding(("[CLS]", "the", "[MASK]", "[SEP]"))
    assert selection(text, 1, chosen=True) == ((1,), None)
    assert selection(text, 1, chosen=False) == ((), None)  # the cursor only follows the typing
    assert selection(text, 2, chosen=False) == ((), 2) and selection(text, 0, chosen=True) == ((), None)
    assert inside_ask(Views()) is None and inside_ask(Views(attention=True)) is None
    ask = inside_ask(Views(lens=True, why=Why(method="rollout", target=1, contrast=0), selected=(1,),
                           selected_mask=2))
    assert ask == InsideAsk(lens=True, lens_at=(1,), explain="rollout", explain_at=2, explain_target=1)
    assert inside_ask(Views(embeddings=True)) == InsideAsk(near=True)
    assert Why(method="rollout", contrast=0).asked_by(ask) is False and \
        Why(method="rollout", target=1, contrast=0).asked_by(ask)
