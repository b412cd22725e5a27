"""Long inputs headless: a 5,000-token text through an 8,192-position model (a tiny ModernBERT, whose layers
mix global and local attention), whole, through the command line's main."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer

from tests import tiny_families
from tests.test_cli import ok_json

REPEATS = 1000  # "the dog likes pizza ." is five tokens: 5,000 tokens, then [CLS] and [SEP]
TEXT = "the dog likes pizza . " * (REPEATS // 2) + "the dog likes [MASK] . " + \
    "the dog likes pizza . " * (REPEATS // 2 - 2) + "the [MASK] likes pizza ."


@pytest.fixture(scope="module")
def modernbert_dir(tmp_path_factory):
    return tiny_families.build_modernbert(tmp_path_factory.mktemp("modernbert"))


def test_tokenize_keeps_every_token(modernbert_dir):
    out = ok_json("tokenize", "-", "--model", str(modernbert_dir), stdin=TEXT)
    expected = AutoTokenizer.from_pretrained(modernbert_dir)(TEXT)["input_ids"]
    assert len(expected) > 5000 and out["truncated"] == 0
    assert out["input_ids"] == expected


def test_fill_reads_the_whole_text_and_equals_a_plain_forward(modernbert_dir):
    out = ok_json("fill", "-", "--model", str(modernbert_dir), "--top-k", "3", stdin=TEXT)
    tokenizer = AutoTokenizer.from_pretrained(modernbert_dir)
    model = AutoModelForMaskedLM.from_pretrained(modernbert_dir).eval()
    inputs = tokenizer(TEXT, return_tensors="pt")
    positions = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero()[:, 0].tolist()
    with torch.no_grad():
        probs = model(**inputs).logits[0, positions].softmax(-1)
    scores, ids = probs.topk(3)
    assert [m["position"] for m in out["masks"]] == positions and positions[-1] > 4990
    for mask, row_scores, row_ids in zip(out["masks"], scores.tolist(), ids.tolist()):
        assert [p["token"] for p in mask["predictions"]] == row_ids
        assert [p["score"] for p in mask["predictions"]] == pytest.approx(row_scores, abs=1e-4)
