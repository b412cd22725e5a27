"""Every masked-LM family works wherever a BERT does, checked against transformers on tiny models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline

from bertui.engine import AnalysisRequest
from bertui.engine.inference import Engine

FAMILIES = {  # fixture → (architecture, mask token, has NSP head)
    "bert_dir": ("BertForPreTraining", "[MASK]", True),
    "bert_mlm_only_dir": ("BertForPreTraining", "[MASK]", False),  # loaded with both heads; NSP absent
    "roberta_dir": ("RobertaForMaskedLM", "<mask>", False),
    "distilbert_dir": ("DistilBertForMaskedLM", "[MASK]", False),
    "albert_dir": ("AlbertForMaskedLM", "[MASK]", False),
    "electra_dir": ("ElectraForMaskedLM", "[MASK]", False),
}


@pytest.fixture(scope="module", params=list(FAMILIES))
def family(request):
    folder = request.getfixturevalue(request.param)
    return request.param, folder, Engine.load(str(folder), device="cpu")


def test_family_is_recognised_with_its_own_mask_and_heads(family):
    name, _folder, engine = family
    architecture, mask_token, has_nsp = FAMILIES[name]
    assert (engine.info.architecture, engine.mask_token, engine.info.has_nsp_head) == (
        architecture, mask_token, has_nsp)
    assert engine._heads.mlm is not None  # the head table knows it: MLM runs at mask positions only


def test_fill_equals_the_pipeline(family):
    _name, folder, engine = family
    text = "the dog likes [MASK] pizza."  # [MASK] is understood whatever the model's spelling
    (mask,) = engine.fill(text, top_k=4)
    reference = pipeline("fill-mask", model=str(folder), device="cpu")(
        text.replace("[MASK]", engine.mask_token), top_k=4)
    assert [p.token for p in mask.predictions] == [r["token"] for r in reference]
    assert [p.score for p in mask.predictions] == pytest.approx([r["score"] for r in reference], abs=1e-4)


def test_pair_segments_equal_the_tokenizer(family):
    _name, folder, engine = family
    reference = AutoTokenizer.from_pretrained(folder)("the dog", "a cat", return_token_type_ids=True)
    encoding = engine.encode("the dog", "a cat")
    assert list(encoding.input_ids) == reference["input_ids"]
    assert list(encoding.token_type_ids) == reference["token_type_ids"]
    assert encoding.sequence_ids.count(1) >= 2


def test_attention_and_embeddings_equal_the_eager_model(family):
    _name, folder, engine = family
    model = AutoModelForMaskedLM.from_pretrained(folder, attn_implementation="eager").eval()
    inputs = AutoTokenizer.from_pretrained(folder)("the dog likes pizza.", return_tensors="pt")
    captured = {}
    layer_norm = model.base_model.embeddings.LayerNorm
    handle = layer_norm.register_forward_pre_hook(lambda _m, args: captured.update(x=args[0]))
    with torch.no_grad():
        expected = model(**inputs, output_attentions=True).attentions
    handle.remove()
    last = len(expected) - 1
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the dog likes pizza.", attention=True,
                                              attention_layer=last, embeddings=True, surprisal=True))
    np.testing.assert_allclose(analysis.attention.weights, expected[last][0].numpy(), atol=1e-5)
    assert [e.sum_norm for e in analysis.embeddings] == pytest.approx(captured["x"][0].norm(dim=-1).tolist(),
                                                                     abs=1e-4)
    assert len(analysis.surprisal.tokens) == len(analysis.encoding.tokens) - 2
