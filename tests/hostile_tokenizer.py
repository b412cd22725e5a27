"""A checkpoint whose tokenizer tries to write to the terminal: the hostile tokenizer fixture.

Any ``tokenizer.json`` can carry a normalizer, and a ``Replace`` normalizer turns a typed word into
whatever it likes, here the sequences a terminal obeys: a colour (CSI), the clipboard (OSC 52), the
window title (OSC 0), the bell, and the one-byte C1 CSI. The vocabulary holds those tokens too, and
entries with C0 and C1 controls, a bidi override, a zero-width joiner and a 1,000-character token, so the
model predicts them (a tiny random BERT over a small vocabulary puts every entry in the top-k).

A lone surrogate cannot be a vocabulary entry (a tokenizer.json is UTF-8); typed text with one is in
tests/hostile_cases.py.
"""

from __future__ import annotations

import json
from pathlib import Path

TYPED = {  # typed word -> the token the normalizer makes of it
    "hello": "\x1b[41mRED\x1b[0m",
    "clip": "\x1b]52;c;cHduZWQ=\x07",
    "title": "\x1b]0;pwned\x07",
    "bell": "\x07\x07",
    "csi": "\x9b31mC1",
    "long": "L" * 1000,
}
ENTRIES = ("a\x00b\x01c\x7fd", "e\x85f\x9cg", "\u202eevil", "x\u200dy", "\u200b", "\x1b[2J\x1b[H",
           "dog", "the", "sat", "on", "mat", ".")
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
SENTENCE = "hello clip title bell csi long the dog [MASK] on the mat ."
"""Every hostile word typed, and a mask the model fills from the hostile vocabulary."""


def build_hostile_bert(folder: Path) -> Path:
    """A tiny BertForPreTraining with the hostile tokenizer, saved as any checkpoint is."""
    import torch
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForPreTraining, PreTrainedTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(dict.fromkeys((*SPECIALS, *TYPED.values(), *ENTRIES)))}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=2000))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace(Regex(rf"\b{word}\b"), token) for word, token in TYPED.items()])
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", sep_token="[SEP]",
                                   pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                                   model_max_length=64)
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)
    BertForPreTraining(config).save_pretrained(folder)
    assert json.loads((folder / "tokenizer.json").read_text("utf-8"))["normalizer"]["type"] == "Sequence"
    return folder
