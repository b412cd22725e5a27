"""Attention, embedding breakdown, whole-word masking and surprisal against transformers' own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertForMaskedLM

from bertui.engine import AnalysisRequest
from bertui.errors import InputError

TEXT = "the dog is playing outside"


@pytest.fixture(scope="module")
def reference(bert_dir):
    model = BertForMaskedLM.from_pretrained(bert_dir, attn_implementation="eager").eval()
    return model, AutoTokenizer.from_pretrained(bert_dir)


def test_attention_equals_output_attentions_of_the_eager_model_one_layer_at_a_time(engine, reference):
    model, tokenizer = reference
    with torch.no_grad():
        expected = model(**tokenizer(TEXT, "a cat", return_tensors="pt"), output_attentions=True).attentions
    for layer in range(len(expected)):
        analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=TEXT, text_b="a cat", attention=True,
                                                  attention_layer=layer))
        maps = analysis.attention
        assert (maps.layer, maps.layers, maps.heads) == (layer, len(expected), expected[0].shape[1])
        np.testing.assert_allclose(maps.weights, expected[layer][0].numpy(), atol=1e-5)
        np.testing.assert_allclose(maps.matrix().sum(-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(maps.matrix(), expected[layer][0].numpy().mean(0), atol=1e-5)
        np.testing.assert_allclose(maps.matrix(1), expected[layer][0, 1].numpy(), atol=1e-5)
    with pytest.raises(InputError, match="no attention layer 9"):
        engine.analyze(AnalysisRequest(request_id=2, text_a=TEXT, attention=True, attention_layer=9))


def test_attention_pass_leaves_the_fast_kernel_and_the_numbers_alone(engine, monkeypatch):
    plain = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] dog"))
    engine.analyze(AnalysisRequest(request_id=2, text_a="the [MASK] dog", attention=True))
    fast = torch.nn.functional.scaled_dot_product_attention
    calls: list[int] = []
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention",
                        lambda *args, **kwargs: calls.append(1) or fast(*args, **kwargs))
    again = engine.analyze(AnalysisRequest(request_id=3, text_a="the [MASK] dog"))
    assert calls  # the plain pass runs on sdpa again, not on the eager kernel the attention pass needed
    assert plain.attention is None
    assert [p.score for p in plain.masks[0].predictions] == pytest.approx(
        [p.score for p in again.masks[0].predictions], abs=1e-6)


def test_embedding_breakdown_adds_up_to_what_layer_norm_receives(engine, reference, bert_dir):
    model, tokenizer = reference
    captured = {}
    embeddings = model.bert.embeddings
    handle = embeddings.LayerNorm.register_forward_pre_hook(lambda _m, args: captured.update(x=args[0]))
    with torch.no_grad():
        model(**tokenizer(TEXT, "a cat", return_tensors="pt"))
    handle.remove()
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=TEXT, text_b="a cat", embeddings=True))
    summed = captured["x"][0].norm(dim=-1).tolist()
    assert [e.sum_norm for e in analysis.embeddings] == pytest.approx(summed, abs=1e-4)
    first = analysis.embeddings[1]
    assert -1 <= first.token_cosine <= 1 and first.token_norm > 0 and first.position_norm > 0


def test_surprisal_scores_each_token_as_if_masked_alone(engine, reference):
    model, tokenizer = reference
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=TEXT, surprisal=True))
    ids = tokenizer(TEXT, return_tensors="pt")["input_ids"]
    assert [t.position for t in analysis.surprisal.tokens] == list(range(1, ids.shape[1] - 1))
    total = 0.0
    for scored in analysis.surprisal.tokens:
        masked = ids.clone()
        masked[0, scored.position] = tokenizer.mask_token_id
        with torch.no_grad():
            probs = model(input_ids=masked).logits[0, scored.position].softmax(-1)
        true_id = ids[0, scored.position]
        assert scored.token == tokenizer.convert_ids_to_tokens(int(true_id))
        assert scored.probability == pytest.approx(probs[true_id].item(), rel=1e-3)
        assert scored.rank == int((probs > probs[true_id]).sum()) + 1
        assert scored.surprisal == pytest.approx(-math.log2(probs[true_id].item()), abs=1e-3)
        total += math.log(probs[true_id].item())
    assert analysis.surprisal.pseudo_log_likelihood == pytest.approx(total, abs=1e-3)


def test_masking_a_whole_word_fills_every_piece(engine, reference):
    model, tokenizer = reference
    text = "the xylophone dog"
    encoding = engine.encode(text)
    pieces = [i for i, w in enumerate(encoding.word_ids) if w == 1]
    assert len(pieces) >= 2, encoding.tokens
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text, masked=tuple(pieces), top_k=5))
    assert analysis.encoding.mask_positions == tuple(pieces)
    assert all(analysis.encoding.tokens[i] == "[MASK]" for i in pieces)
    (word,) = analysis.words
    assert word.positions == tuple(pieces) and len(word.words) == 5
    assert list(word.scores) == sorted(word.scores, reverse=True)
    # reference: pieces are predicted independently in one pass, so the best joint filling is the
    # product of each piece's best valid id (a plain piece first, ## pieces after)
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    ids[0, pieces] = tokenizer.mask_token_id
    with torch.no_grad():
        probs = model(input_ids=ids).logits[0, pieces].softmax(-1)
    vocab = tokenizer.convert_ids_to_tokens(list(range(probs.shape[1])))
    best_ids = [max((i for i, t in enumerate(vocab) if t.startswith("##") == (n > 0)), key=lambda i: row[i])
                for n, row in enumerate(probs)]
    assert word.scores[0] == pytest.approx(math.prod(probs[n, i].item() for n, i in enumerate(best_ids)),
                                           rel=1e-4)
    assert word.words[0] == tokenizer.convert_tokens_to_string(tokenizer.convert_ids_to_tokens(best_ids))


def test_masking_one_token_needs_no_retyping_and_ignores_special_positions(engine):
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the dog", masked=(0, 2, 99)))
    assert analysis.encoding.mask_positions == (2,)
    assert analysis.words == ()


@pytest.mark.parametrize("family", ["bert", "roberta"])
def test_embedding_breakdown_equals_a_plain_calculation_from_the_tables(request, family):
    """Every norm and cosine, from the weight tables read directly (RoBERTa's positions start after its
    padding index) and the textbook formulas."""
    from bertui.engine.inference import Engine

    folder = request.getfixturevalue(f"{family}_dir")
    engine = Engine.load(str(folder), device="cpu")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    state = _embedding_tables(folder)
    encoded = tokenizer(TEXT, "a cat", return_token_type_ids=True)
    ids, segments = encoded["input_ids"], encoded["token_type_ids"]
    first_position = 0 if family == "bert" else tokenizer.pad_token_id + 1
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=TEXT, text_b="a cat", embeddings=True))
    assert len(analysis.embeddings) == len(ids)

    def norm(v):
        return math.sqrt(sum(x * x for x in v))

    def cosine(u, v):
        return sum(x * y for x, y in zip(u, v)) / (norm(u) * norm(v))

    for i, (token_id, segment, row) in enumerate(zip(ids, segments, analysis.embeddings)):
        word = state["word_embeddings.weight"][token_id].tolist()
        kind = state["token_type_embeddings.weight"][segment].tolist()
        position = state["position_embeddings.weight"][first_position + i].tolist()
        total = [a + b + c for a, b, c in zip(word, kind, position)]
        assert row.position == i
        assert (row.token_norm, row.segment_norm, row.position_norm, row.sum_norm) == pytest.approx(
            (norm(word), norm(kind), norm(position), norm(total)), abs=1e-4)
        assert (row.token_cosine, row.segment_cosine, row.position_cosine) == pytest.approx(
            (cosine(word, total), cosine(kind, total), cosine(position, total)), abs=1e-4)


def _embedding_tables(folder):
    """The checkpoint's embedding weights by their names inside the embeddings module."""
    from safetensors.torch import load_file

    (weights,) = folder.glob("*.safetensors")
    tensors = load_file(weights)
    return {name.split("embeddings.", 1)[1]: tensor for name, tensor in tensors.items()
            if "embeddings." in name}


def test_every_whole_word_filling_equals_a_search_over_all_pairs(engine, reference):
    """All top-k joint fillings of a two-piece word (not just the best), against every (plain, ##) pair."""
    model, tokenizer = reference
    text = "the xy dog"
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text, masked=(2, 3), top_k=6))
    assert analysis.encoding.tokens[1:4] == ("the", "[MASK]", "[MASK]")
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids[0, 2:4].tolist()) == ["x", "##y"]
    ids[0, 2:4] = tokenizer.mask_token_id
    with torch.no_grad():
        probs = model(input_ids=ids).logits[0, 2:4].softmax(-1)
    vocab = tokenizer.convert_ids_to_tokens(list(range(probs.shape[1])))
    follows = torch.tensor([t.startswith("##") for t in vocab])
    # Every (plain, ##) pair, without the V × V matrix (3.7 GB at bert-base-uncased's 30,522 words): a pair
    # among the 6 best products of two non-negative vectors has each side among its own vector's 6 best,
    # so the 6 × 6 block of the two top-6 lists holds every pair the full search would rank first.
    plain, follow = (probs[0] * ~follows).topk(6), (probs[1] * follows).topk(6)
    joint = plain.values[:, None] * follow.values[None, :]
    scores, flat = joint.flatten().topk(6)
    pairs = [(plain.indices[i // 6].item(), follow.indices[i % 6].item()) for i in flat.tolist()]
    (word,) = analysis.words
    assert word.positions == (2, 3)
    assert list(word.scores) == pytest.approx(scores.tolist(), rel=1e-4)
    assert list(word.words) == [tokenizer.convert_tokens_to_string([vocab[a], vocab[b]]) for a, b in pairs]


@pytest.mark.parametrize("budget", [1, 20])  # one row per chunk; a few rows per chunk
def test_surprisal_in_small_chunks_scores_every_token_the_same(engine, monkeypatch, budget):
    whole = engine.analyze(AnalysisRequest(request_id=1, text_a=TEXT, surprisal=True)).surprisal
    monkeypatch.setattr(engine, "token_budget", budget)
    chunked = engine.analyze(AnalysisRequest(request_id=2, text_a=TEXT, surprisal=True)).surprisal
    assert [t.position for t in chunked.tokens] == [t.position for t in whole.tokens]
    assert [t.probability for t in chunked.tokens] == pytest.approx([t.probability for t in whole.tokens],
                                                                    rel=1e-4)
