"""Nearest vocabulary entries == scikit-learn's exact cosine search, on the input table and on the head's
transform of a hidden state against the output embeddings (which is what the vocabulary projection reads)."""

from __future__ import annotations

import pytest
import torch
from sklearn.neighbors import NearestNeighbors
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertui.errors import InputError

TEXT = "the dog likes [MASK] pizza ."
K = 5


def sklearn_ids(table: torch.Tensor, queries: torch.Tensor, k: int) -> list[list[int]]:
    search = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(table.detach().numpy())
    return search.kneighbors(queries.detach().numpy(), return_distance=False).tolist()


def test_nearest_in_the_input_table_equal_sklearn(family):
    _name, _folder, engine = family
    near = engine.near(TEXT, k=K)
    table = engine._model.get_input_embeddings().weight.detach()
    ids = [near.encoding.input_ids[t.position] for t in near.tokens]
    expected = sklearn_ids(table, table[ids], K + 1)
    for token, token_id, row in zip(near.tokens, ids, expected):
        assert [n.token for n in token.table] == [i for i in row if i != token_id][:K]
        cosine = torch.nn.functional.cosine_similarity(table[token_id], table[token.table[0].token], dim=0)
        assert token.table[0].cosine == pytest.approx(float(cosine), abs=1e-5)


def test_nearest_to_a_token_in_context_equal_sklearn_on_the_output_embeddings(family):
    """The reference reads the head's transform from transformers' model: the input of its output-embedding
    Linear (DeBERTa-v2/v3's newer head: its LayerNorm, whose output it multiplies by the word embeddings)."""
    _name, folder, engine = family
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    inputs = tokenizer(TEXT.replace("[MASK]", engine.mask_token), return_tensors="pt")
    if getattr(model.config, "type_vocab_size", 0) < 2:
        inputs.pop("token_type_ids", None)
    new_deberta = hasattr(model, "lm_predictions")
    end = model.lm_predictions.lm_head.LayerNorm if new_deberta else model.get_output_embeddings()
    table = model.get_input_embeddings().weight if new_deberta else end.weight
    seen = []
    end.register_forward_hook(lambda _m, args, out: seen.append(out if new_deberta else args[0]))
    with torch.no_grad():
        model(**inputs)
    transformed = seen[0][0, 1:-1]  # every position but [CLS] and [SEP]
    near = engine.near(TEXT, k=K)  # the last layer: what the model's own head reads
    assert [t.position for t in near.tokens] == list(range(1, inputs["input_ids"].shape[1] - 1))
    assert [[n.token for n in t.context] for t in near.tokens] == sklearn_ids(table, transformed, K)


def test_near_at_an_earlier_layer_and_its_limits(engine):
    near = engine.near(TEXT, layer=0, k=3)
    assert near.layer == 0 and all(len(t.context) == 3 for t in near.tokens)
    assert near.tokens[0].context != engine.near(TEXT, k=3).tokens[0].context
    for layer in (-1, engine.info.layers + 1):
        with pytest.raises(InputError, match="no layer"):
            engine.near(TEXT, layer=layer)


def test_the_normalised_tables_are_made_once_per_model(engine):
    engine.near(TEXT, k=2)
    tables = dict(engine._nearest._unit)
    engine.near("a cat", k=2)
    assert set(tables) == {"input", "output"}
    assert all(engine._nearest._unit[name] is tables[name] for name in tables)
