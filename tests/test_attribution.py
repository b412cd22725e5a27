"""Attribution against captum and against plain loops written here, on transformers' own model fed the word
embeddings (``inputs_embeds``): gradient × input and gradient norm == captum, integrated gradients == a plain
Gauss–Legendre loop, attention rollout == a plain numpy loop over ``output_attentions``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import InputXGradient, Saliency
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertui.engine.inference import Engine
from bertui.errors import InputError
from bertui.headless.documents import fill_request

TEXT = "the dog likes [MASK] pizza ."


class Reference:
    """transformers' model as a function of the word embeddings of ``text``, at its first mask."""

    def __init__(self, folder, engine, text=TEXT, **load):
        self.model = AutoModelForMaskedLM.from_pretrained(folder, **load).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        inputs = self.tokenizer(text.replace("[MASK]", engine.mask_token), return_tensors="pt")
        if getattr(self.model.config, "type_vocab_size", 0) < 2:
            inputs.pop("token_type_ids", None)
        self.ids = inputs.pop("input_ids")
        self.others = dict(inputs)
        self.position = self.ids[0].tolist().index(self.tokenizer.mask_token_id)
        with torch.no_grad():
            self.embeds = self.model.get_input_embeddings()(self.ids)

    def log_probs(self, embeds: torch.Tensor) -> torch.Tensor:
        rows = {name: tensor.expand(embeds.shape[0], -1) for name, tensor in self.others.items()}
        out = self.model(inputs_embeds=embeds, **rows)
        logits = out.logits if hasattr(out, "logits") else out.prediction_logits
        return logits[:, self.position].log_softmax(-1)

    def value(self, target: int, contrast: int | None = None):
        def value(embeds: torch.Tensor) -> torch.Tensor:
            log_probs = self.log_probs(embeds)
            return log_probs[:, target] - (0 if contrast is None else log_probs[:, contrast])

        return value

    def baseline(self) -> torch.Tensor:
        """Every token but the specials and the masks replaced by [PAD] (the mask where there is no pad)."""
        special = set(self.tokenizer.all_special_ids) - {self.tokenizer.pad_token_id}
        blank = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else \
            self.tokenizer.mask_token_id
        ids = [t if t in special else blank for t in self.ids[0].tolist()]
        with torch.no_grad():
            return self.model.get_input_embeddings()(torch.tensor([ids]))


def test_gradient_times_input_and_gradient_norm_equal_captum(family):
    _name, folder, engine = family
    reference = Reference(folder, engine)
    (explained,) = engine.explain(TEXT, method="grad-input").explanations
    (norms,) = engine.explain(TEXT, method="grad-norm").explanations
    top1 = int(reference.log_probs(reference.embeds).argmax())
    assert explained.target.token == top1 == norms.target.token
    value = reference.value(top1)
    expected = InputXGradient(value).attribute(reference.embeds.clone().requires_grad_()).sum(-1)[0]
    np.testing.assert_allclose(explained.scores, expected.detach().numpy(), atol=1e-5)
    saliency = Saliency(value).attribute(reference.embeds.clone().requires_grad_(), abs=True).norm(dim=-1)[0]
    np.testing.assert_allclose(norms.scores, saliency.detach().numpy(), atol=1e-5)
    with torch.no_grad():
        assert explained.value == pytest.approx(float(value(reference.embeds)[0]), abs=1e-5)


def test_integrated_gradients_equal_a_plain_gauss_legendre_loop(family):
    _name, folder, engine = family
    reference = Reference(folder, engine)
    steps = 16
    (explained,) = engine.explain(TEXT, method="ig", steps=steps).explanations
    value = reference.value(explained.target.token)
    baseline, embeds = reference.baseline(), reference.embeds
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    total = torch.zeros_like(embeds)
    for node, weight in zip(nodes, weights):  # one forward and one backward per step
        point = (baseline + 0.5 * (node + 1) * (embeds - baseline)).requires_grad_(True)
        (grad,) = torch.autograd.grad(value(point).sum(), point)
        total += 0.5 * weight * grad
    expected = ((embeds - baseline) * total).sum(-1)[0]
    np.testing.assert_allclose(explained.scores, expected.numpy(), atol=1e-4)
    with torch.no_grad():
        ends = (float(value(embeds)[0]), float(value(baseline)[0]))
    assert (explained.value, explained.baseline_value) == pytest.approx(ends, abs=1e-5)
    assert explained.delta == pytest.approx(sum(explained.scores) - (ends[0] - ends[1]), abs=1e-4)
    assert explained.steps == steps


def test_attention_rollout_equals_a_plain_numpy_loop(family):
    _name, folder, engine = family
    reference = Reference(folder, engine, attn_implementation="eager")
    with torch.no_grad():
        attentions = reference.model(input_ids=reference.ids, **reference.others,
                                     output_attentions=True).attentions
    length = reference.ids.shape[1]
    rolled = np.eye(length)
    for weights in attentions:
        mixed = 0.5 * weights[0].double().numpy().mean(axis=0) + 0.5 * np.eye(length)
        rolled = (mixed / mixed.sum(axis=-1, keepdims=True)) @ rolled
    (explained,) = engine.explain(TEXT, method="rollout").explanations
    np.testing.assert_allclose(explained.scores, rolled[reference.position], atol=1e-6)


def test_a_contrast_explains_the_difference_of_log_probabilities(bert_dir, engine):
    reference = Reference(bert_dir, engine)
    lens = engine.lens(TEXT, top_k=2)
    top = lens.masks[0].layers[-1].top
    (explained,) = engine.explain(TEXT, method="grad-input", target=top[0].token_str,
                                  contrast=top[1].token_str).explanations
    target, contrast = explained.target.token, explained.contrast.token
    assert (target, contrast) == (top[0].token, top[1].token)
    value = reference.value(target, contrast)
    with torch.no_grad():
        assert explained.value == pytest.approx(float(value(reference.embeds)[0]), abs=1e-5)
    expected = InputXGradient(value).attribute(reference.embeds.clone().requires_grad_()).sum(-1)[0]
    np.testing.assert_allclose(explained.scores, expected.detach().numpy(), atol=1e-5)
    assert explained.contrast.probability == pytest.approx(lens.masks[0].layers[-1].top[1].probability)


def test_several_masks_are_explained_together_each_as_alone(bert_dir, engine):
    """One row per mask in one forward and one backward: each mask's scores are its own question's."""
    text = "the [MASK] likes [MASK] pizza ."
    reference = Reference(bert_dir, engine, text)
    explained = engine.explain(text, method="grad-input", contrast="cat")
    ids = reference.ids[0].tolist()
    masks = [i for i, token in enumerate(ids) if token == reference.tokenizer.mask_token_id]
    assert [e.position for e in explained.explanations] == masks
    for explanation, position in zip(explained.explanations, masks):
        reference.position = position
        value = reference.value(explanation.target.token, explanation.contrast.token)
        assert explanation.target.token == int(reference.log_probs(reference.embeds).argmax())
        expected = InputXGradient(value).attribute(reference.embeds.clone().requires_grad_()).sum(-1)[0]
        np.testing.assert_allclose(explanation.scores, expected.detach().numpy(), atol=1e-5)


def test_the_word_view_sums_each_words_pieces(engine):
    explained = engine.explain("the skyscraperish [MASK] is blue .", method="grad-input")
    (explanation,) = explained.explanations
    tokens = explained.encoding.tokens
    (word,) = [w for w in explanation.words if len(w.positions) > 1]
    assert word.word == "skyscraperish"
    assert [tokens[p] for p in word.positions][1].startswith("##")
    assert word.score == pytest.approx(sum(explanation.scores[p] for p in word.positions))
    assert [w.word for w in explanation.words] == ["the", "skyscraperish", "[MASK]", "is", "blue", "."]


def test_integrated_gradients_batch_their_steps_within_the_token_budget(engine, monkeypatch):
    length = len(engine.encode(TEXT).input_ids)
    monkeypatch.setattr(engine, "token_budget", 10 * length)  # ten steps a pass
    before = engine.passes
    (batched,) = engine.explain(TEXT, method="ig", steps=40).explanations
    batched_passes = engine.passes - before
    monkeypatch.setattr(engine, "token_budget", length)  # one step a pass
    before = engine.passes
    (single,) = engine.explain(TEXT, method="ig", steps=40).explanations
    assert batched_passes <= 4 + 4 < 40 <= engine.passes - before
    np.testing.assert_allclose(batched.scores, single.scores, atol=1e-5)


def test_gradients_stay_off_the_weights_and_out_of_the_other_passes(engine):
    engine.explain(TEXT, method="ig", steps=4)
    engine.explain(TEXT, method="grad-norm")
    assert all(parameter.grad is None for parameter in engine._model.parameters())
    assert not torch.is_grad_enabled() or not torch.is_inference_mode_enabled()
    assert engine.analyze(fill_request(TEXT)).masks  # the inference-mode path still works


@pytest.mark.parametrize(("options", "message"), [
    ({"method": "shap"}, "no method"),
    ({"method": "rollout", "contrast": "cat"}, "rollout does not depend"),
    ({"target": "skyscraperish"}, "pieces"),
    ({"contrast": "qqqzzzxx"}, "pieces|not in the vocabulary"),
    ({"method": "ig", "steps": 0}, "at least 1 step"),
])
def test_questions_explain_cannot_answer_are_refused(engine, options, message):
    with pytest.raises(InputError, match=message):
        engine.explain(TEXT, **options)
    with pytest.raises(InputError, match="no mask"):
        engine.explain("the sky is blue.")


def test_korean_on_a_multilingual_model(tmp_path):
    """Lens, explain (word view) and near on Hangul with a multilingual-style cased WordPiece BERT."""
    from tests.tiny_families import build_multilingual_bert

    engine = Engine.load(str(build_multilingual_bert(tmp_path / "mbert")), device="cpu")
    text = "축구는 정말 재미있는 [MASK] 이다."
    lens = engine.lens(text, targets=("경기", "놀이"))
    assert [t.target for t in lens.masks[0].layers[0].targets] == ["경기", "놀이"]
    assert all(t.log_prob is not None for t in lens.masks[0].layers[-1].targets)
    (explanation,) = engine.explain(text, method="grad-input", target="경기").explanations
    assert explanation.target.token_str == "경기"
    assert [w.word for w in explanation.words][:3] == ["축구는", "정말", "재미있는"]
    near = engine.near(text, layer=1, k=3)
    assert [t.token for t in near.tokens][:2] == ["축구는", "정말"]


def test_a_family_outside_the_head_table_is_explained_through_its_full_forward(roberta_dir, monkeypatch):
    """No separate head: explain runs the whole model (same scores as with the head table); the lens and
    near, which read the head apart, say why they cannot."""
    from bertui.engine import inference
    from bertui.engine.heads import ModelHeads

    text = "the dog likes <mask> pizza ."
    with_head = Engine.load(str(roberta_dir), device="cpu")
    monkeypatch.setattr(inference, "split_heads",
                        lambda model, has_nsp_head: ModelHeads(encoder=model.base_model, mlm=None, nsp=None))
    whole = Engine.load(str(roberta_dir), device="cpu")
    for method in ("grad-input", "ig", "rollout"):
        (expected,) = with_head.explain(text, method=method, steps=8).explanations
        (found,) = whole.explain(text, method=method, steps=8).explanations
        assert found.target.token == expected.target.token
        np.testing.assert_allclose(found.scores, expected.scores, atol=1e-5)
    for view in (whole.lens, whole.near):
        with pytest.raises(InputError, match="outside the families"):
            view(text)
