"""Tiny models that the tests build themselves, saved with save_pretrained and loaded back through the
real loading path. Random weights from fixed seeds: the tests compare bertui to transformers' own
computation on the same weights, never to remembered numbers."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import (
    AlbertConfig,
    AlbertForMaskedLM,
    AlbertTokenizer,
    BertConfig,
    BertModel,
    BertTokenizer,
    DistilBertConfig,
    DistilBertForMaskedLM,
    ElectraConfig,
    ElectraForMaskedLM,
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaTokenizer,
)

from bertui.engine.demo import build_demo_model

TINY_POSITIONS = 128
WORDS = ("the a an is was of and to in it he she they we you i my this that dog cat pizza sky blue "
         "green fun game sport soccer really very good bad day night paris france capital city river "
         "bank money tree house big small red eat eats ate like likes loves play plays . , ! ?").split()


def build_bert(folder: Path, *, with_nsp_head: bool = True, seed: int = 7) -> Path:
    """A tiny BERT (BertForPreTraining, or BertForMaskedLM without the NSP head): the demo's recipe
    (bert-base-uncased's vocabulary) with 128 positions."""
    return build_demo_model(folder, seed=seed, with_nsp_head=with_nsp_head, max_positions=TINY_POSITIONS)


def build_bert_encoder_only(folder: Path) -> Path:
    """A bare BertModel checkpoint: no masked-LM head, as many sentence encoders ship."""
    build_demo_model(folder)
    config = BertConfig.from_pretrained(folder)
    torch.manual_seed(0)
    for stale in folder.glob("*.safetensors"):
        stale.unlink()
    BertModel(config).save_pretrained(folder)
    return folder


def _byte_level_vocab() -> dict[str, int]:
    # GPT-2's byte ↔ unicode table: every byte gets a printable character.
    visible = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = visible[:], 0
    for byte in range(256):
        if byte not in visible:
            visible.append(byte)
            chars.append(256 + extra)
            extra += 1
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for ch in chars:
        vocab.setdefault(chr(ch), len(vocab))
    for word in WORDS:
        vocab.setdefault("Ġ" + word, len(vocab))
    vocab["<mask>"] = len(vocab)
    return vocab


def build_roberta(folder: Path) -> Path:
    """A tiny RoBERTa: byte-level BPE, <mask>, no token types, position ids offset by padding."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = _byte_level_vocab()
    merges = []  # words are whole tokens; everything else falls back to bytes
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=64)
    config = RobertaConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=48, max_position_embeddings=66, type_vocab_size=1,
                           pad_token_id=1)
    torch.manual_seed(3)
    RobertaForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_distilbert(folder: Path) -> Path:
    """A tiny DistilBERT: BERT's WordPiece, no token types, no NSP."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = _wordpiece_vocab()
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=64)
    config = DistilBertConfig(vocab_size=len(vocab), dim=32, n_layers=2, n_heads=2, hidden_dim=48,
                              max_position_embeddings=64)
    torch.manual_seed(5)
    DistilBertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _wordpiece_vocab() -> dict[str, int]:
    return {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}


def build_albert(folder: Path) -> Path:
    """A tiny ALBERT: a SentencePiece-style unigram vocabulary, factorised embeddings, segments."""
    folder.mkdir(parents=True, exist_ok=True)
    pieces = [("<pad>", 0.0), ("<unk>", 0.0), ("[CLS]", 0.0), ("[SEP]", 0.0), ("[MASK]", 0.0)]
    pieces += [("▁" + word, -float(i + 2)) for i, word in enumerate(WORDS)]
    pieces += [(ch, -50.0) for ch in "abcdefghijklmnopqrstuvwxyz.,!?"]
    tokenizer = AlbertTokenizer(vocab=pieces, model_max_length=64)
    config = AlbertConfig(vocab_size=len(pieces), embedding_size=16, hidden_size=32, num_hidden_layers=2,
                          num_attention_heads=2, intermediate_size=48, max_position_embeddings=64,
                          pad_token_id=0)
    torch.manual_seed(11)
    AlbertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_electra(folder: Path) -> Path:
    """A tiny ELECTRA generator (the masked-LM half of ELECTRA): WordPiece, segments, no NSP."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = _wordpiece_vocab()
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=64)
    config = ElectraConfig(vocab_size=len(vocab), embedding_size=16, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=48, max_position_embeddings=64)
    torch.manual_seed(13)
    ElectraForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
