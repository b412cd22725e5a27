"""The views inside a prediction asked of an analysis (the app's road: ``AnalysisRequest.inside``) answer what
``bertui lens`` / ``explain`` / ``near`` answer, which tests/test_lens.py, test_attribution.py and
test_nearest.py hold to transformers, captum and sklearn; the lens and near cost no pass of their own."""

from __future__ import annotations

import pytest

from bertui.engine.inside_results import InsideAsk, Unavailable
from bertui.engine.results import AnalysisRequest
from bertui.errors import Superseded

TEXT = "the dog likes [MASK] pizza and [MASK] ."


def ask(engine, inside: InsideAsk, text: str = TEXT, **fields):
    return engine.analyze(AnalysisRequest(request_id=1, text_a=text, inside=inside, **fields))


def test_the_lens_of_an_analysis_is_the_lens_command_from_the_same_single_pass(engine):
    plain_before = engine.passes
    engine.analyze(AnalysisRequest(request_id=1, text_a=TEXT))
    plain = engine.passes - plain_before
    before = engine.passes
    analysis = ask(engine, InsideAsk(lens=True), targets=("dog",), top_k=3)
    assert engine.passes - before == plain == 1
    assert analysis.inside is not None and analysis.inside.explained is None and analysis.inside.near is None
    assert analysis.inside.lens == engine.lens(TEXT, top_k=3, targets=("dog",))


def test_the_lens_reads_the_selected_token_too_but_never_a_special_one(engine):
    encoding = engine.encode(TEXT)
    dog = encoding.tokens.index("dog")
    lens = ask(engine, InsideAsk(lens=True, lens_at=(dog, 0, 99))).inside.lens
    assert [mask.position for mask in lens.masks] == sorted([dog, *encoding.mask_positions])
    without_masks = ask(engine, InsideAsk(lens=True, lens_at=(1,)), text="the dog .").inside.lens
    assert [mask.position for mask in without_masks.masks] == [1]
    assert ask(engine, InsideAsk(lens=True), text="the dog .").inside.lens == Unavailable(
        "no mask in the text: write [MASK] where a word should be predicted")


@pytest.mark.parametrize("method", ["grad-input", "grad-norm", "rollout"])
def test_the_explained_mask_and_ranks_are_the_explain_commands(engine, method):
    analysis = ask(engine, InsideAsk(explain=method, explain_at=None, explain_target=1, explain_contrast=0))
    second, first = (p.token_str for p in analysis.masks[0].predictions[1::-1])
    contrast = None if method == "rollout" else first  # rollout does not depend on the token
    expected = engine.explain(TEXT, method=method, target=second, contrast=contrast).explanations[0]
    (found,) = analysis.inside.explained.explanations
    assert found.position == analysis.masks[0].position
    assert found.target.token_str == second and (found.contrast is None) == (method == "rollout")
    assert found.scores == pytest.approx(expected.scores, abs=1e-5)  # one row here, two there
    assert found.value == pytest.approx(expected.value, abs=1e-5)


def test_the_explained_mask_is_the_one_asked_and_a_rank_past_k_is_the_last(engine):
    analysis = ask(engine, InsideAsk(explain="grad-input", explain_target=50), top_k=2)
    second_mask = analysis.masks[1]
    found = ask(engine, InsideAsk(explain="grad-input", explain_at=second_mask.position, explain_target=50),
                top_k=2).inside.explained.explanations[0]
    assert found.position == second_mask.position
    assert found.target.token == second_mask.predictions[-1].token
    assert analysis.inside.explained.explanations[0].position == analysis.masks[0].position


def test_near_of_an_analysis_is_the_near_command(engine):
    found = ask(engine, InsideAsk(near=True, near_layer=1)).inside.near
    assert found == engine.near(TEXT, layer=1)
    assert ask(engine, InsideAsk(near=True, near_layer=99)).inside.near == Unavailable(
        f"no layer 99: this model has layers 0 (the embeddings) to {engine.info.layers}")


def test_a_view_that_cannot_answer_says_why_and_the_analysis_stands(engine):
    analysis = ask(engine, InsideAsk(explain="grad-input", lens=True, near=True), text="no mask here .")
    assert analysis.encoding.tokens[1:4] == ("no", "mask", "here")
    explained = analysis.inside.explained
    assert isinstance(explained, Unavailable) and "no mask" in explained.reason
    assert isinstance(analysis.inside.lens, Unavailable)
    assert analysis.inside.near.tokens[0].token == "no"
    assert "no method" in ask(engine, InsideAsk(explain="magic")).inside.explained.reason


def test_an_explanation_by_passes_of_its_own_gives_way_to_newer_text(engine):
    engine.should_stop = lambda: True
    try:
        with pytest.raises(Superseded):
            ask(engine, InsideAsk(explain="ig"))
        # one pass (the gradient methods: a backward through it): nothing to give way between
        assert ask(engine, InsideAsk(lens=True, explain="grad-input")).inside.explained.explanations
    finally:
        engine.should_stop = lambda: False


def test_a_gradient_explanation_is_one_backward_through_the_analysiss_own_pass(engine):
    before = engine.passes
    analysis = ask(engine, InsideAsk(explain="grad-norm"))
    assert engine.passes - before == 1
    plain = engine.analyze(AnalysisRequest(request_id=2, text_a=TEXT))
    assert analysis.masks == plain.masks  # the pass from the word embeddings reads the same
    with_attention = ask(engine, InsideAsk(explain="grad-norm"), attention=True)  # its own passes then
    assert with_attention.inside.explained.explanations[0].scores == pytest.approx(
        analysis.inside.explained.explanations[0].scores, abs=1e-5)


def test_every_family_answers_the_views_as_its_commands_do(family):
    name, _folder, engine = family
    text = f"the dog likes {engine.mask_token} pizza ."
    inside = ask(engine, InsideAsk(lens=True, near=True, explain="grad-input"), text=text).inside
    assert inside.lens == engine.lens(text), name
    assert inside.near == engine.near(text), name
    (found,) = inside.explained.explanations
    (expected,) = engine.explain(text).explanations
    assert found.target == expected.target and found.scores == pytest.approx(expected.scores, abs=1e-5), name
