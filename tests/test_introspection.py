"""Attention, embedding breakdown, whole-word masking and surprisal against transformers' own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertForMaskedLM

from bertui.engine import AnalysisRequest
from bertui.engine.errors import InputError

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
    with pytest.raises(InputError, match="no attention layer 9"):
        engine.analyze(AnalysisRequest(request_id=2, text_a=TEXT, attention=True, attention_layer=9))


def test_attention_pass_leaves_the_fast_kernel_and_the_numbers_alone(engine):
    plain = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] dog"))
    engine.analyze(AnalysisRequest(request_id=2, text_a="the [MASK] dog", attention=True))
    again = engine.analyze(AnalysisRequest(request_id=3, text_a="the [MASK] dog"))
    assert engine._model.config._attn_implementation == engine._attn_implementation
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
