"""Every masked-LM family works wherever a BERT does, checked against transformers on tiny models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline

from bertui.engine import AnalysisRequest
from bertui.engine.inference import Engine
from bertui.headless.documents import fill_request
from tests import tiny_families

FAMILIES = {  # fixture → (architecture, mask token, has NSP head, has segments)
    "bert_dir": ("BertForPreTraining", "[MASK]", True, True),
    "bert_mlm_only_dir": ("BertForPreTraining", "[MASK]", False, True),  # loaded with both heads; NSP absent
    "roberta_dir": ("RobertaForMaskedLM", "<mask>", False, False),
    "distilbert_dir": ("DistilBertForMaskedLM", "[MASK]", False, False),
    "albert_dir": ("AlbertForMaskedLM", "[MASK]", False, False),  # transformers 5: no token_type_ids
    "electra_dir": ("ElectraForMaskedLM", "[MASK]", False, True),
    "modernbert_dir": ("ModernBertForMaskedLM", "[MASK]", False, False),
    "deberta_v3_dir": ("DebertaV2ForMaskedLM", "[MASK]", False, False),  # token_type_ids, but no table
    "deberta_v3_new_head_dir": ("DebertaV2ForMaskedLM", "[MASK]", False, False),
    "xlm_roberta_dir": ("XLMRobertaForMaskedLM", "<mask>", False, False),
    "multilingual_bert_dir": ("BertForPreTraining", "[MASK]", True, True),
    "mpnet_dir": ("MPNetForMaskedLM", "<mask>", False, False),
    "roformer_dir": ("RoFormerForMaskedLM", "[MASK]", False, True),
    "klue_roberta_dir": ("RobertaForMaskedLM", "[MASK]", False, False),  # segment ids, one-row table
}
BUILDERS = {"modernbert_dir": tiny_families.build_modernbert,
            "deberta_v3_dir": tiny_families.build_deberta_v3,
            "deberta_v3_new_head_dir": lambda folder: tiny_families.build_deberta_v3(folder, legacy=False),
            "xlm_roberta_dir": tiny_families.build_xlm_roberta,
            "multilingual_bert_dir": tiny_families.build_multilingual_bert,
            "mpnet_dir": tiny_families.build_mpnet, "roformer_dir": tiny_families.build_roformer,
            "klue_roberta_dir": tiny_families.build_klue_roberta}


def test_family_is_recognised_with_its_own_mask_and_heads(family):
    name, _folder, engine = family
    architecture, mask_token, has_nsp, has_segments = FAMILIES[name]
    info = engine.info
    assert (info.architecture, engine.mask_token, info.has_nsp_head, info.has_segments) == (
        architecture, mask_token, has_nsp, has_segments)
    assert engine._heads.mlm is not None  # the head table knows it: MLM runs at mask positions only


SIZES = {"bert_dir": (2, 64, 4, 128), "bert_mlm_only_dir": (2, 64, 4, 128), "modernbert_dir": (3, 32, 2, 48)}
"""(layers, hidden size, heads, feed-forward size) as tests/tiny_*.py build them; the rest: (2, 32, 2, 48)."""


def test_the_model_card_gives_the_sizes_each_family_was_built_with(family):
    """Each family names its sizes its own way (DistilBERT: dim, n_layers, hidden_dim)."""
    name, folder, engine = family
    info = engine.info
    sizes = (info.layers, info.hidden_size, info.heads, info.intermediate_size)
    assert sizes == SIZES.get(name, (2, 32, 2, 48))
    assert info.tokenizer_class == type(AutoTokenizer.from_pretrained(folder)).__name__


def test_fill_equals_the_pipeline(family):
    _name, folder, engine = family
    text = "the dog likes [MASK] pizza."  # [MASK] is understood whatever the model's spelling
    (mask,) = engine.analyze(fill_request(text, top_k=4)).masks
    reference = pipeline("fill-mask", model=str(folder), device="cpu")(
        text.replace("[MASK]", engine.mask_token), top_k=4)
    assert [p.token for p in mask.predictions] == [r["token"] for r in reference]
    assert [p.score for p in mask.predictions] == pytest.approx([r["score"] for r in reference], abs=1e-4)


def test_fill_of_a_pair_equals_the_model_given_the_tokenizers_pair(family):
    """Segment ids go in only where the model has a table for segment B (type_vocab_size of 2 or more); a
    model with one row (klue/roberta-base's RoBERTa under a BERT tokenizer) takes its default, segment 0."""
    _name, folder, engine = family
    text, pair = "the dog likes [MASK] pizza.", "the cat is blue."
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    inputs = tokenizer(text.replace("[MASK]", engine.mask_token), pair, return_tensors="pt")
    if getattr(model.config, "type_vocab_size", 0) < 2:
        inputs.pop("token_type_ids", None)
    at = inputs["input_ids"][0].tolist().index(tokenizer.mask_token_id)
    with torch.no_grad():
        top = model(**inputs).logits[0, at].softmax(-1).topk(4)
    (mask,) = engine.analyze(fill_request(text, pair, top_k=4)).masks
    assert [p.token for p in mask.predictions] == top.indices.tolist()
    assert [p.score for p in mask.predictions] == pytest.approx(top.values.tolist(), abs=1e-4)


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
    embeddings = model.base_model.embeddings
    layer_norm = getattr(embeddings, "LayerNorm", None) or embeddings.norm
    handle = layer_norm.register_forward_pre_hook(lambda _m, args: captured.update(x=args[0]))
    with torch.no_grad():
        expected = model(**inputs, output_attentions=True).attentions
    handle.remove()
    last = len(expected) - 1
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the dog likes pizza.", attention=True,
                                              attention_layer=last, embeddings=True, surprisal=True))
    np.testing.assert_allclose(analysis.attention.weights, expected[last][0].numpy(), atol=1e-5)
    if getattr(embeddings, "position_embeddings", None) is not None:
        assert [e.sum_norm for e in analysis.embeddings] == pytest.approx(
            captured["x"][0].norm(dim=-1).tolist(), abs=1e-4)
    else:  # rotary or relative positions: no position table to break the sum into
        assert analysis.embeddings is None
    assert len(analysis.surprisal.tokens) == len(analysis.encoding.tokens) - 2


def test_a_model_outside_the_head_table_takes_the_full_forward():
    """No MLM head for a bare encoder or ELECTRA's discriminator (both outside the table, whatever their
    name), and no NSP head for a masked-LM-only BERT even when asked for one."""
    from transformers import BertConfig, BertForMaskedLM, BertModel, ElectraConfig, ElectraForPreTraining

    from bertui.engine.heads import split_heads

    bert = BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=8, max_position_embeddings=16)
    electra = ElectraConfig(vocab_size=40, embedding_size=8, hidden_size=8, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=8, max_position_embeddings=16)
    for model in (BertModel(bert), ElectraForPreTraining(electra)):
        heads = split_heads(model, has_nsp_head=True)
        assert (heads.encoder, heads.mlm, heads.nsp) == (model.base_model, None, None)
    masked_lm = BertForMaskedLM(bert)
    heads = split_heads(masked_lm, has_nsp_head=True)
    assert (heads.mlm, heads.nsp) == (masked_lm.cls.predictions, None)


def test_a_family_outside_the_head_table_is_served_by_its_full_forward(roberta_dir, monkeypatch):
    """What a new architecture or remote code gets: the whole model's logits, read at the masks."""
    from bertui.engine import inference
    from bertui.engine.heads import ModelHeads

    monkeypatch.setattr(inference, "split_heads",
                        lambda model, has_nsp_head: ModelHeads(encoder=model.base_model, mlm=None, nsp=None))
    engine = Engine.load(str(roberta_dir), device="cpu")
    calls: list[str] = []
    forward = engine._model.forward
    monkeypatch.setattr(engine._model, "forward", lambda **inputs: calls.append("model") or forward(**inputs))
    (mask,) = engine.analyze(fill_request("the dog likes [MASK] pizza.", top_k=4)).masks
    fill_mask = pipeline("fill-mask", model=str(roberta_dir), device="cpu")
    reference = fill_mask("the dog likes <mask> pizza.", top_k=4)
    assert [p.token for p in mask.predictions] == [r["token"] for r in reference]
    assert [p.score for p in mask.predictions] == pytest.approx([r["score"] for r in reference], abs=1e-4)
    assert calls == ["model"]

