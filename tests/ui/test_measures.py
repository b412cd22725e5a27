"""The measures in the app: target words at the masks, the joint fillings ("together"), PLL and PLL
word-l2r beside the surprisal strip, and which sentence of a pair the model prefers. Numbers are checked
against transformers run by hand here (plain log_softmax loops), not against the engine."""

from __future__ import annotations

import json
import math

import pytest

from bertui import session
from bertui.engine.demo import build_demo_model
from bertui.ui.app import build_app
from bertui.ui.text import probability_text
from bertui.ui.widgets.joint_list import JointList
from bertui.ui.widgets.sentence_scores import SentenceScores
from bertui.ui.widgets.targets import TargetScores
from tests.ui.conftest import TINY, settle, shown, type_text, until


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny BERT's own weights (the same seeded recipe as the app's), through transformers."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    folder = build_demo_model(tmp_path_factory.mktemp("reference"), max_positions=128)
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)

    def log_probs(text: str) -> torch.Tensor:
        """[masks, V] log-probabilities at each mask of ``text``."""
        batch = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**batch).logits[0]
        return logits[batch["input_ids"][0] == tokenizer.mask_token_id].log_softmax(-1)

    def pll(text: str) -> float:
        """Each real token masked alone, one forward each: the sum of log P(token | rest)."""
        ids = tokenizer(text, return_tensors="pt")["input_ids"]
        total = 0.0
        for position in range(1, ids.shape[1] - 1):
            masked = ids.clone()
            masked[0, position] = tokenizer.mask_token_id
            with torch.no_grad():
                logits = model(input_ids=masked).logits[0, position]
            total += float(logits.log_softmax(-1)[ids[0, position]])
        return total

    return tokenizer, log_probs, pll


async def test_typed_targets_are_scored_at_every_mask(make_app, reference):
    tokenizer, log_probs, _ = reference
    text = "the dog ate my [MASK] ."
    app = make_app(text_a=text)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one("#targets-field").focus()
        await type_text(pilot, "he, she, ☃")
        await settle(pilot)
        request, analysis = shown(app)
        assert request.targets == ("he", "she", "☃")
        expected = log_probs(text)[0]
        he, she, snowman = analysis.targets[0].scores
        for score, word in ((he, "he"), (she, "she")):
            truth = expected[tokenizer.convert_tokens_to_ids(word)]
            assert score.log_prob == pytest.approx(float(truth), abs=1e-4)
            assert score.rank == int((expected > truth).sum()) + 1
        assert snowman.log_prob is None
        shown_text = app.query_one(TargetScores).content.plain
        shown_p = probability_text(he.probability)
        assert shown_p in shown_text and f"{she.log_prob:.2f}".replace("-", "−") \
            in shown_text and str(she.rank) in shown_text
        assert "not in the model's vocabulary" in shown_text


async def test_a_multi_piece_target_says_how_many_pieces(make_app):
    app = make_app(text_a="the dog ate my [MASK] .", targets=("xqzzyq",))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        score = shown(app)[1].targets[0].scores[0]
        assert len(score.pieces) > 1
        assert f"{len(score.pieces)} pieces" in app.query_one(TargetScores).content.plain


async def test_two_masks_show_what_fills_them_together(make_app):
    app = make_app(text_a="the dog ate my [MASK] .", top_k=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not shown(app)[0].joint and not app.query_one(JointList).display  # one mask: no list
        await pilot.press("home")
        await type_text(pilot, "[MASK] ")
        await settle(pilot)
        request, analysis = shown(app)
        assert request.joint and analysis.joint is not None and len(analysis.joint.fillings) == 3
        listed = app.query_one(JointList)
        assert listed.display and "Together · 2 masks" in listed.content.plain
        best = analysis.joint.fillings[0]
        assert " · ".join(token.strip() for token in best.tokens) in listed.content.plain


async def test_f6_switches_the_pll_variant_that_colours_the_strip(make_app):
    app = make_app(text_a="the dog ate unhappily .")  # un ##ha ##pp ##ily: several pieces
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        surprisal = shown(app)[1].surprisal
        grid = app.query_one("#grid")
        pieces = [t for t in surprisal.tokens if t.log_prob_word_l2r != t.log_prob]
        assert pieces  # a word of several pieces, scored differently by the two variants
        scores = app.query_one(SentenceScores)
        assert scores.display and f"{surprisal.pll_word_l2r:.2f}".replace("-", "−") in scores.content.plain
        assert [t.surprisal for t in grid.surprisal.tokens] == [t.surprisal for t in surprisal.tokens]
        await pilot.press("f6")
        await until(pilot, lambda: app.main.word_l2r, "f6 to switch the variant")
        assert app.main.word_l2r and app.main.results_current  # no new request: both are in the answer
        coloured = {t.position: t.surprisal for t in grid.surprisal.tokens}
        for token in pieces:
            assert coloured[token.position] == pytest.approx(-token.log_prob_word_l2r / math.log(2))
        assert "PLL word-l2r" in next(line for line in scores.content.plain.splitlines() if "◀" in line)


async def test_pair_mode_says_which_sentence_the_model_prefers(make_app, reference):
    _, _, pll = reference
    a, b = "the dog ate my pizza .", "the dog ate my city ."
    app = make_app(text_a=a, text_b=b, pair=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not shown(app)[0].alone  # the view is off: nothing scored alone
        await pilot.press("f5")
        await settle(pilot)
        alone_a, alone_b = shown(app)[1].alone
        assert alone_a.pseudo_log_likelihood == pytest.approx(pll(a), abs=1e-4)
        assert alone_b.pseudo_log_likelihood == pytest.approx(pll(b), abs=1e-4)
        margin = abs(pll(a) - pll(b))
        preferred = "A" if pll(a) > pll(b) else "B"
        said = app.query_one(SentenceScores).content.plain
        assert f"prefers {preferred} by {margin:.2f} nats" in said
        assert said.count("prefers") == 2  # under PLL and under PLL word-l2r


async def test_targets_are_kept_in_the_session(loader, tmp_path):
    path = tmp_path / "session.json"
    app = build_app(TINY, device="cpu", session_file=path, engine_loader=loader)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.query_one("#targets-field").focus()
        await type_text(pilot, "he, she,, he ,they")
        await settle(pilot)
    assert session.restore(path).session.targets == ("he", "she", "they")
    assert json.loads(path.read_text())["targets"] == ["he", "she", "they"]
    again = build_app(None, device="cpu", session_file=path, engine_loader=loader)
    async with again.run_test() as pilot:
        await settle(pilot)
        assert shown(again)[0].targets == ("he", "she", "they")
