"""Engine numbers equal transformers' own reference computation on the same weights."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from transformers import AutoTokenizer, BertForNextSentencePrediction, pipeline

from bertui.engine import AnalysisRequest, InputError
from bertui.engine.batching import release_cached_memory
from bertui.engine.budget import SIZES, Budgets
from bertui.engine.inference import Engine
from bertui.headless.documents import fill_one, fill_request


@pytest.fixture(scope="module")
def fill_mask(bert_dir):
    return pipeline("fill-mask", model=str(bert_dir), device="cpu")


def _assert_same_predictions(ours, theirs, *, check_sequence: bool = True):
    assert [p.token for p in ours.predictions] == [t["token"] for t in theirs]
    assert [p.token_str for p in ours.predictions] == [t["token_str"] for t in theirs]
    for p, t in zip(ours.predictions, theirs):
        assert p.score == pytest.approx(t["score"], abs=1e-4)
        # the pipeline drops a predicted special token from its sequence; bertui shows it
        if check_sequence and not (t["token_str"].startswith("[") or t["token_str"].startswith("<")):
            assert p.sequence == t["sequence"]


@pytest.mark.parametrize("text", ["soccer is a really fun [MASK].", "[MASK]",
                                  "the capital of france is [MASK] ."])
def test_fill_equals_the_fill_mask_pipeline(engine, fill_mask, text):
    (mask,) = engine.analyze(fill_request(text, top_k=7)).masks
    _assert_same_predictions(mask, fill_mask(text, top_k=7))


def test_every_mask_gets_the_pipelines_predictions(engine, fill_mask):
    text = "the [MASK] ate my [MASK] ."
    masks = engine.analyze(fill_request(text, top_k=5)).masks
    reference = fill_mask(text, top_k=5)
    assert len(masks) == 2
    for ours, theirs in zip(masks, reference):
        # the pipeline keeps [CLS]/[SEP] in multi-mask sequences; scores and tokens must match
        _assert_same_predictions(ours, theirs, check_sequence=False)
    assert masks[0].predictions[0].sequence.endswith("ate my [MASK].")


def _reference_is_next(bert_dir, first, second):
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    model = BertForNextSentencePrediction.from_pretrained(bert_dir).eval()
    with torch.no_grad():
        logits = model(**tokenizer(first, second, return_tensors="pt")).logits
    return logits.softmax(-1)[0].tolist()


def test_next_sentence_equals_bert_for_next_sentence_prediction(engine, bert_dir):
    first, second = "the dog ate my pizza.", "it was very good!"
    is_next, not_next = _reference_is_next(bert_dir, first, second)
    analysis = engine.analyze(AnalysisRequest(request_id=3, text_a=first, text_b=second))
    assert analysis.next_sentence.is_next == pytest.approx(is_next, abs=1e-4)
    assert analysis.next_sentence.not_next == pytest.approx(not_next, abs=1e-4)


CANDIDATES = [
    "it was good.",
    "the sky is blue and the river is green and the big red house is very small " * 3,
    "a",
    "paris is the capital of france.",
    "she likes to play soccer, a really fun game, every day and every night.",
    "it was good.",  # a duplicate ranks beside its twin
]


def test_batched_ranking_equals_one_by_one(engine):
    first = "the dog ate my pizza."
    ranked = engine.rank(first, CANDIDATES)
    alone = {i: engine.rank(first, [c])[0] for i, c in enumerate(CANDIDATES)}
    assert sorted(r.index for r in ranked) == list(range(len(CANDIDATES)))
    for entry in ranked:
        assert entry.candidate == CANDIDATES[entry.index]
        assert entry.is_next == pytest.approx(alone[entry.index].is_next, abs=1e-5)
        assert entry.not_next == pytest.approx(alone[entry.index].not_next, abs=1e-5)
    assert [r.rank for r in ranked] == list(range(1, len(CANDIDATES) + 1))
    assert [r.is_next for r in ranked] == sorted((r.is_next for r in ranked), reverse=True)


def test_ranking_matches_the_reference_model(engine, bert_dir):
    first = "the dog ate my pizza."
    for entry in engine.rank(first, CANDIDATES[:3]):
        assert entry.is_next == pytest.approx(_reference_is_next(bert_dir, first, entry.candidate)[0],
                                              abs=1e-4)


def test_the_token_budget_on_a_cpu_is_one_the_calibration_chose(engine):
    """On a CPU the budget is fitted to the machine (tests/test_budget.py): one of the sizes tried."""
    assert engine.token_budget in SIZES


def test_serving_a_person_typing_takes_the_live_budget(bert_dir, monkeypatch):
    """Streams and lists run chunks of the batch budget; a request loop's engine (go_live) gives way
    between chunks of the live one."""
    monkeypatch.setattr("bertui.engine.inference.fitted_budget", lambda *_a: Budgets(batch=2048, live=256))
    engine = Engine.load(str(bert_dir), device="cpu")
    assert engine.token_budget == 2048 and not engine.should_stop()
    newer_waiting = lambda: True  # noqa: E731
    engine.go_live(newer_waiting)
    assert engine.token_budget == 256 and engine.should_stop is newer_waiting


def test_small_chunks_give_the_same_ranking(engine, monkeypatch):
    first = "the dog ate my pizza."
    whole = engine.rank(first, CANDIDATES)
    monkeypatch.setattr(engine, "token_budget", 40)  # forces one or two rows a chunk
    engine._rank_cache = None
    chunked = engine.rank(first, CANDIDATES)
    # Each candidate's probability is the same to 1e-5; two of the tiny model's are equal to 1e-7, so
    # their order may swap with the padding: each ranking is checked to be in order instead.
    alone = {r.index: r.is_next for r in whole}
    assert sorted(r.index for r in chunked) == sorted(alone)
    for ranked in chunked:
        assert ranked.is_next == pytest.approx(alone[ranked.index], abs=1e-5)
    for ranking in (whole, chunked):
        assert [r.is_next for r in ranking] == sorted((r.is_next for r in ranking), reverse=True)


def test_a_pair_past_the_models_length_is_cut_as_the_tokenizer_cuts_it(engine, bert_dir):
    """A mask spelled [mask] becomes the model's [MASK] in both texts, and a pair longer than the model's
    positions is truncated (longest first) as transformers' tokenizer does with ``max_length``."""
    first, long = "the dog ate my [mask].", "the sky is blue and the river is green " * 20
    assert len(engine.encode(first, long).tokens) == engine.info.max_length  # really past it
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    model = BertForNextSentencePrediction.from_pretrained(bert_dir).eval()
    expected = []
    for a, b in ((first, long), (long, first)):
        inputs = tokenizer(a.replace("[mask]", "[MASK]"), b.replace("[mask]", "[MASK]"), truncation=True,
                           max_length=engine.info.max_length, return_tensors="pt")
        with torch.no_grad():
            expected.append(model(**inputs).logits.softmax(-1)[0].tolist())
    engine._rank_cache = None
    ranked = engine.rank_many([(first, [long]), (long, [first])])
    assert [(r.is_next, r.not_next) for (r,) in ranked] == [pytest.approx(e, abs=1e-4) for e in expected]


def test_a_tokenizer_that_does_not_know_the_models_length_is_cut_at_the_models_positions(tmp_path, bert_dir):
    """Many older checkpoints save no model_max_length (transformers then says 10**30): every path cuts
    at the model's own positions, as the reference does when given them."""
    import json
    import shutil

    shutil.copytree(bert_dir, tmp_path / "m")
    settings = tmp_path / "m" / "tokenizer_config.json"
    settings.write_text(json.dumps({k: v for k, v in json.loads(settings.read_text()).items()
                                    if k != "model_max_length"}))
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "m")
    positions = BertForNextSentencePrediction.from_pretrained(bert_dir).config.max_position_embeddings
    assert tokenizer.model_max_length > 10**9  # the tokenizer alone would not cut
    engine = Engine.load(str(tmp_path / "m"), device="cpu")
    first, long = "the dog ate my [MASK] .", "the sky is blue and the river is green " * 20
    assert engine.info.max_length == positions == len(engine.encode(first, long).tokens)
    (ranked,) = engine.rank(first, [long])
    inputs = tokenizer(first, long, truncation=True, max_length=positions, return_tensors="pt")
    with torch.no_grad():
        expected = BertForNextSentencePrediction.from_pretrained(bert_dir).eval()(**inputs).logits.softmax(-1)
    assert [ranked.is_next, ranked.not_next] == pytest.approx(expected[0].tolist(), abs=1e-4)
    assert engine.analyze(fill_request(first, long)).masks[0].predictions
    assert len(engine.score(long * 2)[0].tokens) == positions


@pytest.mark.parametrize(("device", "released"), [("cuda", ["cuda"]), ("mps", ["mps"]), ("cpu", [])])
def test_out_of_memory_gives_back_that_accelerators_cached_blocks(monkeypatch, device, released):
    calls: list[str] = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append("cuda"))
    monkeypatch.setattr(torch.mps, "empty_cache", lambda: calls.append("mps"))
    release_cached_memory(torch.device(device))
    assert calls == released


def _encoder_failing_above(engine, most_rows: int, error: Exception, sizes: list[int]):
    """The engine's encoder, except that a batch of more than ``most_rows`` rows raises ``error``."""
    real = engine._heads.encoder

    def encoder(**inputs):
        sizes.append(inputs["input_ids"].shape[0])
        if sizes[-1] > most_rows:
            raise error
        return real(**inputs)

    return dataclasses.replace(engine._heads, encoder=encoder)


@pytest.mark.parametrize("error", [
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    RuntimeError("MPS backend out of memory (MPS allocated: 8.00 GB)"),
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                 "you tried to allocate 68719476736 bytes"),
], ids=["cuda", "mps", "cpu"])
def test_out_of_memory_halves_the_chunk_and_ranks_the_same(engine, monkeypatch, error):
    first = "the dog ate my pizza."
    engine._rank_cache = None
    whole = engine.rank(first, CANDIDATES)
    sizes: list[int] = []
    monkeypatch.setattr(engine, "token_budget", 4096)  # every candidate fits one chunk, whatever was fitted
    monkeypatch.setattr(engine, "_heads", _encoder_failing_above(engine, 2, error, sizes))
    engine._rank_cache = None
    retried = engine.rank(first, CANDIDATES)
    assert sizes[:2] == [len(CANDIDATES), len(CANDIDATES) // 2]  # all at once, then half
    assert sum(n for n in sizes if n <= 2) == len(CANDIDATES)  # every candidate ran once, in time
    assert [r.index for r in retried] == [r.index for r in whole]
    for a, b in zip(retried, whole):
        assert a.is_next == pytest.approx(b.is_next, abs=1e-5)


def test_out_of_memory_even_for_one_candidate_says_what_to_do(engine, monkeypatch):
    sizes: list[int] = []
    monkeypatch.setattr(engine, "_heads", _encoder_failing_above(
        engine, 0, torch.OutOfMemoryError("CUDA out of memory."), sizes))
    engine._rank_cache = None
    with pytest.raises(InputError) as refused:
        engine.rank("the dog ate my pizza.", CANDIDATES)
    shortest = min(len(engine.encode("the dog ate my pizza.", c).tokens) for c in CANDIDATES)  # tried first
    assert str(refused.value) == (
        f"out of memory on cpu ranking even one candidate at a time ({shortest} tokens): use shorter "
        "sentences, --dtype bfloat16 or float16, or --device cpu")
    assert sizes[-1] == 1


def test_other_runtime_errors_are_not_retried(engine, monkeypatch):
    sizes: list[int] = []
    monkeypatch.setattr(engine, "token_budget", 4096)  # every candidate fits one chunk, whatever was fitted
    monkeypatch.setattr(engine, "_heads", _encoder_failing_above(
        engine, 0, RuntimeError("mat1 and mat2 shapes cannot be multiplied"), sizes))
    engine._rank_cache = None
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        engine.rank("the dog ate my pizza.", CANDIDATES)
    assert sizes == [len(CANDIDATES)]


def test_analysis_without_mask_or_pair_runs_no_forward(engine, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the encoder ran")

    monkeypatch.setattr(engine, "_forward", forbidden)
    analysis = engine.analyze(AnalysisRequest(request_id=9, text_a="just words"))
    assert analysis.request_id == 9 and analysis.masks == () and analysis.next_sentence is None
    assert analysis.encoding.tokens == ("[CLS]", "just", "words", "[SEP]")
    assert (analysis.words, analysis.targets, analysis.notes, analysis.joint) == ((), (), (), None)


def test_an_analysis_that_asks_for_no_view_computes_none(engine, monkeypatch):
    """Attention, the embedding breakdown and surprisal cost nothing while their views are closed: the
    attention kernel is not switched, no attention weights are asked for, no extra pass runs."""
    switches: list = []
    monkeypatch.setattr(engine._model, "set_attn_implementation", switches.append)
    asked: list[dict] = []
    forward = engine._heads.encoder.forward

    def recording(**inputs):
        asked.append({k: v for k, v in inputs.items() if not isinstance(v, torch.Tensor)})
        return forward(**inputs)

    monkeypatch.setattr(engine._heads.encoder, "forward", recording)
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] is blue.", text_b="a day."),
                              rank=False)
    assert (analysis.attention, analysis.embeddings, analysis.surprisal) == (None, None, None)
    assert switches == [] and asked == [{}] and engine.passes > 0
    engine.score("the dog is blue.")  # the masked copies' passes, and the targets' and joint fills'
    request = AnalysisRequest(request_id=2, text_a="the [MASK] is [MASK].", targets=("dog",), joint=True)
    engine.analyze(request, rank=False)
    assert switches == [] and all(options == {} for options in asked)


def test_elapsed_time_runs_from_the_request_to_its_answer_in_milliseconds(engine, monkeypatch):
    from bertui.engine import inference

    clock = iter([100.0, 100.25])
    monkeypatch.setattr(inference.time, "perf_counter", lambda: next(clock))
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] is blue."), rank=False)
    assert analysis.elapsed_ms == pytest.approx(250.0) and analysis.notes == ()


def test_a_text_past_the_models_length_says_how_much_was_cut(engine):
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] is blue. " * 60), rank=False)
    dropped = analysis.encoding.truncated
    assert dropped > 0 and analysis.notes == (
        f"{dropped} tokens cut at the model's maximum of {engine.info.max_length}",)


def test_analysis_carries_everything_for_the_panes(engine):
    request = AnalysisRequest(request_id=42, text_a="the [MASK] is blue.", text_b="a [MASK] day.", top_k=3,
                              candidates=("it was good.", "paris"))
    analysis = engine.analyze(request)
    assert analysis.request_id == 42
    assert [len(m.predictions) for m in analysis.masks] == [3, 3]
    assert analysis.next_sentence.is_next + analysis.next_sentence.not_next == pytest.approx(1.0)
    assert {r.candidate for r in analysis.ranking} == {"it was good.", "paris"}
    assert analysis.elapsed_ms > 0


def test_analysis_without_ranking_runs_one_pass_and_leaves_the_rank_cache_alone(engine, monkeypatch):
    """The app's first stage: masks and the pair's IsNext from one pass; the ranking is left to rank()."""
    request = AnalysisRequest(request_id=7, text_a="the [MASK] is blue.", text_b="a day.",
                              candidates=("paris",))
    full = engine.analyze(request)
    passes = []
    hook = engine._heads.encoder.register_forward_hook(lambda *args: passes.append(1))
    try:
        with monkeypatch.context() as patched:
            patched.setattr(engine, "rank", lambda *args: pytest.fail("ranked"))
            staged = engine.analyze(dataclasses.replace(request, text_b="another day."), rank=False)
    finally:
        hook.remove()
    assert staged.ranking is None and len(passes) == 1
    assert len(staged.masks) == 1 and staged.next_sentence != full.next_sentence  # its own pair, answered
    assert engine.rank(request.text_a, request.candidates) is full.ranking  # still cached: no second pass


def test_model_without_nsp_head_says_so(bert_mlm_only_dir):
    engine = Engine.load(str(bert_mlm_only_dir), device="cpu")
    assert not engine.info.has_nsp_head
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="a", text_b="b", candidates=("c",)))
    assert analysis.ranking is None and analysis.next_sentence is None
    saved_without = (r"has no next-sentence head in its weights: a BERT saved without them "
                     r"\(BertForMaskedLM; missing bert\.pooler\.dense\.bias, .*"
                     r"cls\.seq_relationship\.weight\), so next-sentence scores cannot be computed; a full "
                     r"pretraining checkpoint \(such as the original bert-base-uncased files\) has them$")
    with pytest.raises(InputError, match=saved_without):
        engine.rank("a", ["b"])


def test_a_pretraining_checkpoint_without_its_nsp_weights_is_told_so_plainly(tmp_path, bert_dir):
    """Its config says BertForPreTraining, so 'NSP exists only in pretraining checkpoints' would confuse."""
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(bert_dir, tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    tensors = {k: v for k, v in load_file(weights).items() if not k.startswith("cls.seq_relationship.")}
    save_file(tensors, weights, metadata={"format": "pt"})
    engine = Engine.load(str(tmp_path / "m"), device="cpu")
    assert not engine.info.has_nsp_head
    assert engine.info.no_nsp_reason == (
        f"{str(tmp_path / 'm')!r} is a BERT pretraining checkpoint (BertForPreTraining) but its "
        "next-sentence weights are missing (cls.seq_relationship.bias, cls.seq_relationship.weight), so "
        "next-sentence scores cannot be computed: the checkpoint is incomplete; the masked-LM head is intact")
    assert "exists only" not in engine.info.no_nsp_reason


def test_a_bert_without_nsp_weights_or_architecture_says_it_has_none(tmp_path, bert_dir):
    import json
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(bert_dir, tmp_path / "m")
    weights, config = tmp_path / "m" / "model.safetensors", tmp_path / "m" / "config.json"
    tensors = {k: v for k, v in load_file(weights).items() if not k.startswith("cls.seq_relationship.")}
    save_file(tensors, weights, metadata={"format": "pt"})
    config.write_text(json.dumps({k: v for k, v in json.loads(config.read_text()).items()
                                  if k != "architectures"}))
    reason = Engine.load(str(tmp_path / "m"), device="cpu").info.no_nsp_reason
    assert reason.startswith(f"{str(tmp_path / 'm')!r} has no next-sentence head in its weights: a BERT "
                             "saved without them (no architecture; missing cls.seq_relationship.bias, "
                             "cls.seq_relationship.weight), so next-sentence scores cannot be computed")


def test_a_family_without_nsp_says_it_is_the_family(roberta_dir):
    info = Engine.load(str(roberta_dir), device="cpu").info
    assert info.no_nsp_reason.endswith(
        "(roberta) has no next-sentence head: next-sentence prediction was a pretraining task of BERT only "
        "(RoBERTa, DistilBERT, ELECTRA, DeBERTa, ModernBERT and MPNet dropped it; ALBERT's sentence-order "
        "head is not used here)")


def test_top_k_below_one_is_refused_and_above_the_vocabulary_is_clamped(engine):
    with pytest.raises(InputError, match="at least 1"):
        engine.analyze(fill_request("the [MASK]", top_k=0))
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK]", top_k=10**6))
    assert len(analysis.masks[0].predictions) == engine.info.vocab_size
    assert any("top-k lowered" in note for note in analysis.notes)


def test_fill_of_a_pair_reads_the_mask_in_the_pairs_context(engine, bert_dir):
    from transformers import BertForMaskedLM

    text, pair = "the [MASK] ate my pizza .", "it was a cat ."
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    inputs = tokenizer(text, pair, return_tensors="pt")
    at = inputs["input_ids"][0].tolist().index(tokenizer.mask_token_id)
    with torch.no_grad():
        top = BertForMaskedLM.from_pretrained(bert_dir).eval()(**inputs).logits[0, at].softmax(-1).topk(3)
    (mask,) = engine.analyze(fill_request(text, pair, top_k=3)).masks
    assert [p.token for p in mask.predictions] == top.indices.tolist()
    assert [p.score for p in mask.predictions] == pytest.approx(top.values.tolist(), abs=1e-4)


def test_a_mask_in_sentence_b_is_read_whatever_its_spelling(engine, bert_dir):
    expected = AutoTokenizer.from_pretrained(bert_dir)("the dog .", "it ate my [MASK] .")["input_ids"]
    for spelling in ("[MASK]", "[mask]", "<mask>", "<MASK>"):
        encoding = engine.encode("the dog .", f"it ate my {spelling} .")
        assert list(encoding.input_ids) == expected, spelling
        (mask,) = engine.analyze(fill_request("the dog .", f"it ate my {spelling} .")).masks
        assert encoding.sequence_ids[mask.position] == 1, spelling


def test_fill_without_a_mask_explains(engine):
    with pytest.raises(InputError, match=r"write \[MASK\]"):
        fill_one(engine, "no mask here")


def test_model_info_describes_the_loaded_model(engine, bert_dir):
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(bert_dir)
    info = engine.info
    assert (info.layers, info.hidden_size, info.heads, info.intermediate_size, info.vocab_size) == (
        config.num_hidden_layers, config.hidden_size, config.num_attention_heads, config.intermediate_size,
        config.vocab_size)
    assert info.architecture == "BertForPreTraining" and info.has_nsp_head
    assert info.no_nsp_reason == ""
    assert info.parameters == sum(p.numel() for p in engine._model.parameters())
    assert (info.device, info.dtype, info.tokenizer_fast, info.mask_token) == ("cpu", "float32", True,
                                                                               "[MASK]")
    assert info.load_seconds == pytest.approx(engine._loaded.seconds, abs=5e-4) and info.load_seconds > 0


def test_ranking_chunks_never_exceed_the_token_budget(engine, monkeypatch):
    """Every chunk of more than one row holds at most the engine's token_budget tokens (rows × padded length);
    a chunk stops only where one more row would go over it; every candidate runs exactly once."""
    budget = 44  # the first chunk, 4 rows of 11 tokens, fills it exactly
    monkeypatch.setattr(engine, "token_budget", budget)
    candidates = [" ".join(["word"] * n) for n in (1, 2, 2, 3, 5, 8, 1, 13, 4, 4, 6, 21, 2, 9)]
    shapes: list[tuple[int, int]] = []
    real = engine._heads.encoder

    def encoder(**inputs):
        shapes.append(tuple(inputs["input_ids"].shape))
        return real(**inputs)

    monkeypatch.setattr(engine, "_heads", dataclasses.replace(engine._heads, encoder=encoder))
    engine._rank_cache = None
    ranked = engine.rank("the dog ate my pizza.", candidates)
    assert sorted(r.index for r in ranked) == list(range(len(candidates)))
    assert sum(rows for rows, _ in shapes) == len(candidates)
    assert any(rows > 1 for rows, _ in shapes)  # the budget is really exercised
    lengths = sorted(len(engine.encode("the dog ate my pizza.", c).tokens) for c in candidates)
    start = 0
    for rows, padded in shapes:
        chunk = lengths[start:start + rows]
        assert padded == chunk[-1]  # sorted by length: the longest row is the chunk's last
        if rows > 1:
            assert rows * padded <= budget, shapes
        if start + rows < len(lengths):  # greedy: one more row would have gone over the budget
            assert (rows + 1) * lengths[start + rows] > budget, shapes
        start += rows


@pytest.fixture(scope="module")
def sure_bert_dir(bert_dir, tmp_path_factory):
    """The tiny BERT with its NSP head biased hard towards IsNext: the two probabilities are far apart,
    so a swap cannot hide inside a tolerance around 0.5."""
    from transformers import BertForPreTraining

    model = BertForPreTraining.from_pretrained(bert_dir)
    with torch.no_grad():
        model.cls.seq_relationship.bias.copy_(torch.tensor([3.0, -3.0]))
    folder = tmp_path_factory.mktemp("sure-bert")
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(bert_dir).save_pretrained(folder)
    return folder


def test_is_next_and_not_next_are_in_the_references_logits_order(sure_bert_dir):
    first, second = "the dog ate my pizza.", "it was very good!"
    tokenizer = AutoTokenizer.from_pretrained(sure_bert_dir)
    model = BertForNextSentencePrediction.from_pretrained(sure_bert_dir).eval()
    with torch.no_grad():
        logits = model(**tokenizer(first, second, return_tensors="pt")).logits[0]
    # transformers' own convention: index 0 is "B follows A" (IsNext), index 1 is "B is random"
    is_next, not_next = logits.softmax(-1).tolist()
    assert is_next > 0.9 > 0.1 > not_next
    engine = Engine.load(str(sure_bert_dir), device="cpu")
    paired = engine.analyze(AnalysisRequest(request_id=1, text_a=first, text_b=second, candidates=(second,)))
    (ranked,) = paired.ranking
    for ours in (paired.next_sentence, ranked):
        assert (ours.is_next, ours.not_next) == pytest.approx((is_next, not_next), abs=1e-4)
