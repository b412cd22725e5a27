"""`bertui score` leaves a mask typed in the text unscored (README: "Sentence scores"): the mask is part of
the context, not a word of the sentence. Pinned against transformers: 6 tokens for
``the [MASK] sat on the mat .``, each masked alone with the typed mask kept, and their sum as the PLL."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoTokenizer, BertForMaskedLM

from bertui.cli import main

TEXT = "the [MASK] sat on the mat ."


def test_a_typed_mask_is_context_not_a_scored_token(bert_dir, capsys):
    assert main(["score", TEXT, "--model", str(bert_dir)]) == 0
    sentence = json.loads(capsys.readouterr().out)["sentences"][0]
    model = BertForMaskedLM.from_pretrained(bert_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    ids = tokenizer(TEXT)["input_ids"]
    scored = [i for i, token in enumerate(ids)
              if token not in (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.mask_token_id)]
    assert [token["position"] for token in sentence["tokens"]] == scored == [1, 3, 4, 5, 6, 7]
    total = 0.0
    for position in scored:
        masked = torch.tensor([ids])
        masked[0, position] = tokenizer.mask_token_id  # the typed mask at 2 stays a mask
        with torch.no_grad():
            total += model(input_ids=masked).logits[0, position].log_softmax(-1)[ids[position]].item()
    assert sentence["pll"] == pytest.approx(total, abs=1e-4)
