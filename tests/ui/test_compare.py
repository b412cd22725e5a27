"""``--compare``: a second model answering beside the first, checked against each engine's own analyze."""

from __future__ import annotations

import pytest

from bertui.engine.results import Analysis, AnalysisRequest
from bertui.ui.text import visible
from bertui.ui.widgets.compare_panel import NO_NSP_HEAD
from bertui.ui.widgets.mask_panel import MaskPanel
from tests import tiny_models
from tests.ui.conftest import TINY, Gate, drained, screen_text, type_text, until, values_of

ROBERTA, DISTILBERT, OTHER_BERT = "tiny-roberta", "tiny-distilbert", "tiny-bert-seed-11"
CANDIDATES = ("it was good .", "the sky is blue .")


@pytest.fixture(scope="session")
def folders(roberta_dir, distilbert_dir, tmp_path_factory):
    return {ROBERTA: roberta_dir, DISTILBERT: distilbert_dir,
            OTHER_BERT: tiny_models.build_bert(tmp_path_factory.mktemp("bert-11"), seed=11)}


@pytest.fixture(scope="session")
def compare_loader(loader, folders):
    """The UI tests' loader, plus B models under names of their own (no temporary paths on screen)."""

    def load(spec, *, device, dtype, progress):
        if spec not in folders:
            return loader(spec, device=device, dtype=dtype, progress=progress)
        from bertui.engine.inference import Engine

        return Engine.load(str(folders[spec]), device="cpu", dtype=dtype, progress=progress)

    return load


@pytest.fixture(scope="session")
def reference(compare_loader):
    """Each model loaded on its own, to compute what the panes should show."""
    engines = {}

    def engine(spec):
        if spec not in engines:
            engines[spec] = compare_loader(spec, device="cpu", dtype="float32", progress=lambda stage: None)
        return engines[spec]

    return engine


async def both_answered(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.main.model.info is not None and app.main.compare.info is not None
                and app.main.results_current and app.main.compare.answered, "both models' answers")
    await drained(pilot)


def assert_same(shown: Analysis, expected: Analysis) -> None:
    assert shown.encoding == expected.encoding
    assert [m.position for m in shown.masks] == [m.position for m in expected.masks]
    for got, want in zip(shown.masks, expected.masks):
        assert [p.token_str for p in got.predictions] == [p.token_str for p in want.predictions]
        assert [p.score for p in got.predictions] == \
            pytest.approx([p.score for p in want.predictions], abs=1e-6)
    assert (shown.next_sentence is None) == (expected.next_sentence is None)
    if expected.next_sentence is not None:
        assert shown.next_sentence.is_next == pytest.approx(expected.next_sentence.is_next, abs=1e-6)
    if expected.ranking is None:
        assert shown.ranking is None
    else:
        assert [(r.candidate, r.rank) for r in shown.ranking] == \
            [(r.candidate, r.rank) for r in expected.ranking]
        assert [r.is_next for r in shown.ranking] == \
            pytest.approx([r.is_next for r in expected.ranking], abs=1e-6)


async def test_bert_beside_roberta_one_text_two_mask_spellings(make_app, compare_loader, reference):
    app = make_app(engine_loader=compare_loader, compare=ROBERTA, candidates=CANDIDATES)
    async with app.run_test(size=(120, 40)) as pilot:
        await both_answered(pilot)
        await type_text(pilot, "the dog ate my [MASK] .")
        await both_answered(pilot)
        request = AnalysisRequest(0, "the dog ate my [MASK] .", top_k=5, candidates=CANDIDATES)
        a, b = app.main.shown[1], app.main.compare.shown
        assert_same(a, reference(TINY).analyze(request))
        assert_same(b, reference(ROBERTA).analyze(request))
        # The same [MASK] is each model's own mask token.
        assert [a.encoding.tokens[m.position] for m in a.masks] == ["[MASK]"]
        assert [b.encoding.tokens[m.position] for m in b.masks] == ["<mask>"]
        tokens = app.main.compare.query_one("#compare-tokens").content.plain
        counts = f"{len(b.encoding.tokens)} tokens (A: {len(a.encoding.tokens)})"
        assert tokens.startswith(f"Split differs from A · {counts}")
        assert tokens.splitlines()[1] == " ".join(b.encoding.tokens)
        text = screen_text(app)
        assert "<mask> 1 of 1" in text and "[MASK] 1 of 1" in text
        top = b.masks[0].predictions[0]
        assert f"{top.score * 100:.1f}%" in text
        assert " ".join(NO_NSP_HEAD.split()[:4]) in text

        # RoBERTa's spelling works for BERT too.
        await pilot.press("ctrl+u")
        await type_text(pilot, "my <mask> is big .")
        await both_answered(pilot)
        assert app.main.shown[1].encoding.tokens[app.main.shown[1].masks[0].position] == "[MASK]"
        assert_same(app.main.compare.shown, reference(ROBERTA).analyze(
            AnalysisRequest(0, "my <mask> is big .", top_k=5, candidates=CANDIDATES)))


async def test_nsp_where_both_have_it_and_the_same_split(make_app, compare_loader, reference):
    app = make_app(engine_loader=compare_loader, compare=OTHER_BERT, text_a="the dog ate my [MASK] .",
                   candidates=CANDIDATES)
    async with app.run_test(size=(120, 40)) as pilot:
        await both_answered(pilot)
        await pilot.press("ctrl+b")
        await type_text(pilot, "it was good .")
        await both_answered(pilot)
        request = AnalysisRequest(0, "the dog ate my [MASK] .", "it was good .", top_k=5,
                                  candidates=CANDIDATES)
        b = app.main.compare.shown
        assert_same(b, reference(OTHER_BERT).analyze(request))
        assert b.next_sentence.is_next != pytest.approx(app.main.shown[1].next_sentence.is_next)  # two models
        nsp = app.main.compare.query_one("#compare-nsp").content.plain
        assert "A→B" in nsp and f"{b.next_sentence.is_next * 100:5.1f}%" in nsp
        for entry in b.ranking:
            assert f"{entry.rank:>3} " in nsp and f"{entry.is_next * 100:5.1f}% {entry.candidate}" in nsp
        tokens = app.main.compare.query_one("#compare-tokens").content.plain
        assert tokens.startswith("Same split as A")


async def test_top_k_and_distilbert_split(make_app, compare_loader, reference):
    app = make_app(engine_loader=compare_loader, compare=DISTILBERT, text_a="the dog ate my [MASK] zymurgy .",
                   top_k=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await both_answered(pilot)
        app.query_one("#grid").focus()  # + is text in a sentence
        await pilot.press("plus")
        await both_answered(pilot)
        b = app.main.compare.shown
        assert_same(b, reference(DISTILBERT).analyze(AnalysisRequest(0, "the dog ate my [MASK] zymurgy .",
                                                                     top_k=4)))
        assert len(b.masks[0].predictions) == 4
        # bert-base-uncased's vocabulary splits "zymurgy" into z ##ym ##urg ##y, the tiny DistilBERT's
        # has no piece of it ([UNK]): shown as a difference.
        assert "[UNK]" in b.encoding.tokens and "##urg" in app.main.shown[1].encoding.tokens
        assert "[CLS] the dog ate my [MASK] [UNK] . [SEP]" in \
            app.main.compare.query_one("#compare-tokens").content.plain


async def test_an_answer_from_b_to_an_old_request_is_dropped(make_app, compare_loader):
    gate = Gate()

    def load(spec, **options):
        engine = compare_loader(spec, **options)
        if spec != DISTILBERT:
            return engine
        analyze = engine.analyze

        def held(request):
            if "dog" in request.text_a:
                gate.wait()
            return analyze(request)

        engine.analyze = held
        return engine

    app = make_app(engine_loader=load, compare=DISTILBERT)
    async with app.run_test() as pilot:
        await both_answered(pilot)
        masks = app.main.compare.query_one(MaskPanel)
        painted = values_of(masks, "answer")
        await type_text(pilot, "the dog [MASK]")
        await until(pilot, gate.entered.is_set)
        await until(pilot, lambda: app.main.results_current)  # A has answered; B is held
        await pilot.press("ctrl+u")
        await type_text(pilot, "my cat [MASK]")
        await until(pilot, lambda: app.main.compare.backend.pending is not None
                    and app.main.compare.backend.pending.text_a == "my cat [MASK]")
        gate.open()
        await both_answered(pilot)
        sequences = [p.sequence for found in painted for mask in found.masks for p in mask.predictions]
        assert sequences and all("dog" not in sequence for sequence in sequences)
        assert all(sequence.startswith("my cat ") for sequence in sequences)
        assert app.main.compare.shown.request_id == app.main.ledger.latest_id


async def test_b_that_cannot_load_leaves_a_working(make_app, compare_loader):
    app = make_app(engine_loader=compare_loader, compare="no-such-model", text_a="the dog ate my [MASK] .")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.main.compare.has_class("-failed"))
        await until(pilot, lambda: app.main.model.info is not None and app.main.results_current)
        assert app.main.shown[1].masks
        assert "no such model here" in app.main.compare.query_one("#compare-masks #mask-body").content.plain
        assert app.query_one("#status-state").content.plain == "ready"


def test_compare_snapshot(make_app, snap_compare, compare_loader):
    app = make_app(engine_loader=compare_loader, compare=DISTILBERT, text_a="the dog ate my [MASK] .",
                   candidates=CANDIDATES)
    assert snap_compare(app, terminal_size=(100, 30), run_before=both_answered)


async def test_control_characters_in_b_s_pane_are_shown_never_sent(make_app, compare_loader):
    """B's candidates (and its tokens and spec) are drawn through ``visible`` like A's: none reach the
    terminal raw."""
    from tests.hostile_cases import ESC_CODES
    from tests.ui.test_hostile_app import CONTROLS, painted

    app = make_app(engine_loader=compare_loader, compare=OTHER_BERT, text_a="a [MASK] .",
                   candidates=(ESC_CODES,))
    async with app.run_test(size=(140, 40)) as pilot:
        await both_answered(pilot)
        assert not [text for text in painted(app) if CONTROLS.search(text)]
        assert visible(ESC_CODES) in app.main.compare.query_one("#compare-nsp").content.plain
