"""The layer lens against transformers' own computation: at the last layer it is the model's logits for every
family; at the other layers it is the family's own head (ModernBERT: after its final norm)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertui.engine.lens import formed_at, lens_log_probs
from bertui.engine.scoring import target_pieces
from bertui.errors import InputError
from bertui.headless.documents import fill_request

TEXT = "the dog likes [MASK] pizza [MASK] ."


def reference(folder, engine, text=TEXT):
    """transformers' model, its inputs for ``text``, its outputs with hidden states and the mask positions."""
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    inputs = tokenizer(text.replace("[MASK]", engine.mask_token), return_tensors="pt")
    if getattr(model.config, "type_vocab_size", 0) < 2:
        inputs.pop("token_type_ids", None)
    with torch.no_grad():
        out = model(**inputs, output_hidden_states=True)
    masks = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero()[:, 0].tolist()
    return model, out, masks


def logits_of(out) -> torch.Tensor:
    return out.logits if hasattr(out, "logits") else out.prediction_logits


def test_the_lens_at_the_last_layer_is_the_models_logits(family):
    _name, folder, engine = family
    _model, out, masks = reference(folder, engine)
    expected = logits_of(out)[0, masks].log_softmax(-1)
    batch, encoding = engine._tokenize(TEXT, None)
    with torch.inference_mode():
        found = lens_log_probs(engine._readout, engine._hidden_states(batch), encoding.mask_positions)
    assert found.shape[0] == engine.info.layers + 1
    torch.testing.assert_close(found[-1], expected, atol=1e-5, rtol=0)
    lens = engine.lens(TEXT, top_k=3)
    for mask, row in zip(lens.masks, expected):
        top = row.exp().topk(3)
        last = mask.layers[-1]
        assert [c.token for c in last.top] == top.indices.tolist() == [mask.final.token] + \
            [c.token for c in last.top[1:]]
        assert [c.probability for c in last.top] == pytest.approx(top.values.tolist(), abs=1e-5)
        assert (last.final_rank, last.kl) == (1, pytest.approx(0.0, abs=1e-5))


def test_each_earlier_layer_is_the_head_at_that_layers_hidden_state(family):
    """The reference applies each family's head by hand: ModernBERT's final norm first, the rest as is."""
    name, folder, engine = family
    model, out, masks = reference(folder, engine)
    head = engine._heads.mlm
    norm = getattr(model.base_model, "final_norm", None)
    assert (norm is not None) == (name == "modernbert_dir")
    lens = engine.lens(TEXT, top_k=2, targets=("dog", "pizza"))
    final = logits_of(out)[0, masks].log_softmax(-1)
    for layer, hidden in enumerate(out.hidden_states[:-1]):
        with torch.no_grad():
            at = hidden[0, masks]
            expected = head(at if norm is None else norm(at)).log_softmax(-1)
        for mask, row, final_row in zip(lens.masks, expected, final):
            found = mask.layers[layer]
            assert [c.token for c in found.top] == row.topk(2).indices.tolist()
            assert found.kl == pytest.approx(float((final_row.exp() * (final_row - row)).sum()), abs=1e-4)
            answer = mask.final.token
            assert found.final_rank == int((row > row[answer]).sum()) + 1
            assert found.final_probability == pytest.approx(float(row[answer].exp()), abs=1e-5)
            for target in found.targets:
                if target.log_prob is not None:
                    (piece,) = target_pieces(AutoTokenizer.from_pretrained(folder), target.target)
                    assert target.log_prob == pytest.approx(float(row[piece]), abs=1e-4)
                    assert target.rank == int((row > row[piece]).sum()) + 1


@pytest.mark.parametrize(("top1", "expected"), [([5, 5, 5], 0), ([1, 5, 5], 1), ([5, 1, 5], 2),
                                                ([1, 2, 3], 2), ([7], 0)])
def test_formed_at_is_where_the_final_answer_stays_on_top(top1, expected):
    assert formed_at(top1) == expected


def test_targets_that_are_not_one_piece_are_named_in_the_notes(engine):
    lens = engine.lens("the [MASK] is blue.", targets=("sky", "skyscraperish"))
    (mask,) = lens.masks
    assert [t.target for t in mask.layers[0].targets] == ["sky", "skyscraperish"]
    assert mask.layers[0].targets[0].log_prob is not None
    assert mask.layers[0].targets[1].log_prob is None and mask.layers[0].targets[1].rank is None
    assert lens.notes and "skyscraperish" in lens.notes[0]


def test_the_lens_needs_a_mask_and_runs_one_forward(engine):
    with pytest.raises(InputError, match="no mask"):
        engine.lens("the sky is blue.")
    before = engine.passes
    lens = engine.lens("the [MASK] is [MASK].")
    assert engine.passes == before + 1
    assert lens.layers == engine.info.layers and len(lens.masks) == 2
    assert all(len(mask.layers) == lens.layers + 1 for mask in lens.masks)


def test_many_masks_go_through_the_head_in_groups_and_each_matches_fill(engine):
    text = " ".join(["the [MASK]"] * 11) + " ."
    lens = engine.lens(text, top_k=3)
    fill = engine.analyze(fill_request(text, top_k=3)).masks
    assert len(lens.masks) == len(fill) == 11
    for mask, filled in zip(lens.masks, fill):
        assert [c.token for c in mask.layers[-1].top] == [p.token for p in filled.predictions]
        assert mask.final.probability == pytest.approx(filled.predictions[0].score, abs=1e-5)


def test_a_text_cut_at_the_maximum_length_says_so_in_every_view(engine):
    text = "[MASK] " + "the dog " * 100  # past the tiny model's 128 positions
    for view in (engine.lens(text), engine.explain(text), engine.near(text, k=1)):
        assert view.notes and "cut at the model's maximum of 128" in view.notes[0]
    assert engine.lens("the [MASK] .").notes == ()
