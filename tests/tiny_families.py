"""Tiny models of the newer masked-LM families, each with a tokenizer of its own kind built offline with the
``tokenizers`` library (no download), saved with save_pretrained and loaded back through from_pretrained.

ModernBERT: byte-level BPE, [MASK], no token_type_ids, 8,192 positions, local + global attention layers.
DeBERTa-v3: SentencePiece-style Unigram, [MASK], relative positions. XLM-RoBERTa: Unigram, <mask>.
Multilingual BERT: cased WordPiece with Hangul, CJK and accented pieces. MPNet: WordPiece, <s> </s> <mask>.
RoFormer: rotary positions, with a BERT WordPiece tokenizer (RoFormer's own tokenizer needs rjieba).
KLUE RoBERTa: a RoBERTa (one segment embedding) with a Korean BERT WordPiece tokenizer, as klue/roberta-base.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import (
    BertConfig,
    BertForPreTraining,
    BertTokenizer,
    DebertaV2Config,
    DebertaV2ForMaskedLM,
    DebertaV2Tokenizer,
    ModernBertConfig,
    ModernBertForMaskedLM,
    MPNetConfig,
    MPNetForMaskedLM,
    MPNetTokenizer,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForMaskedLM,
    RoFormerConfig,
    RoFormerForMaskedLM,
    XLMRobertaConfig,
    XLMRobertaForMaskedLM,
    XLMRobertaTokenizer,
)

from tests.tiny_models import WORDS, _byte_level_vocab, _wordpiece_vocab

SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 48}
LONG_POSITIONS = 8192
# Multilingual BERT keeps case and has pieces for many scripts: Hangul syllables, CJK, accented Latin.
MULTILINGUAL = ("The", "Dog", "Paris", "축구", "축구는", "정말", "재미있는", "경기", "놀이", "##는", "##이다",
                "##다", "이", "##이", "다", "東京", "日本", "##の", "首都", "café", "résumé")


def _save(folder: Path, model, tokenizer) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _unigram(specials: list[str]) -> list[tuple[str, float]]:
    pieces = [(token, 0.0) for token in specials]
    pieces += [("▁" + word, -float(i + 2)) for i, word in enumerate(WORDS)]
    return pieces + [(ch, -50.0) for ch in "▁abcdefghijklmnopqrstuvwxyz.,!?"]


def build_modernbert(folder: Path, *, layers: int = 3) -> Path:
    """Three layers by default: ModernBERT alternates global attention (layer 0) with local windows."""
    vocab = _byte_level_vocab()  # <s> <pad> </s> <unk> ... <mask>; ModernBERT's own specials follow
    merges = []
    # merges that build each word left to right, first with its leading space (Ġ), then without
    for piece in [f"Ġ{word}" for word in WORDS] + list(WORDS):
        for end in range(2, len(piece) + 1):
            merge = (piece[:end - 1], piece[end - 1])
            if merge not in merges:
                merges.append(merge)
            vocab.setdefault(piece[:end], len(vocab))
    for token in ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"):
        vocab[token] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
        mask_token="[MASK]", unk_token="[UNK]", model_input_names=["input_ids", "attention_mask"],
        model_max_length=LONG_POSITIONS)
    config = ModernBertConfig(vocab_size=len(vocab), **{**SMALL, "num_hidden_layers": layers},
                              max_position_embeddings=LONG_POSITIONS, local_attention=16,
                              global_attn_every_n_layers=3, pad_token_id=vocab["[PAD]"],
                              bos_token_id=vocab["[CLS]"], cls_token_id=vocab["[CLS]"],
                              eos_token_id=vocab["[SEP]"], sep_token_id=vocab["[SEP]"])
    torch.manual_seed(17)
    return _save(folder, ModernBertForMaskedLM(config), tokenizer)


def build_deberta_v3(folder: Path, *, legacy: bool = True) -> Path:
    """``legacy=False``: the newer MLM head (``lm_predictions``), which reads the word embeddings."""
    pieces = _unigram(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tokenizer = DebertaV2Tokenizer(vocab=pieces, model_max_length=64)
    config = DebertaV2Config(vocab_size=len(pieces), **SMALL, max_position_embeddings=64,
                             relative_attention=True, position_buckets=16, pos_att_type=["p2c", "c2p"],
                             position_biased_input=False, type_vocab_size=0, pad_token_id=0, legacy=legacy)
    torch.manual_seed(19)
    return _save(folder, DebertaV2ForMaskedLM(config), tokenizer)


def build_xlm_roberta(folder: Path) -> Path:
    pieces = [*_unigram(["<s>", "<pad>", "</s>", "<unk>"]), ("<mask>", 0.0)]
    tokenizer = XLMRobertaTokenizer(vocab=pieces, model_max_length=64)
    config = XLMRobertaConfig(vocab_size=len(pieces), **SMALL, max_position_embeddings=66, type_vocab_size=1,
                              pad_token_id=1)
    torch.manual_seed(23)
    return _save(folder, XLMRobertaForMaskedLM(config), tokenizer)


def build_multilingual_bert(folder: Path) -> Path:
    """A cased multilingual-style BERT (BertForPreTraining, NSP head included) that knows some Hangul."""
    vocab = _wordpiece_vocab()
    for token in MULTILINGUAL:
        vocab.setdefault(token, len(vocab))
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=False, model_max_length=64)
    config = BertConfig(vocab_size=len(vocab), **SMALL, max_position_embeddings=64)
    torch.manual_seed(29)
    return _save(folder, BertForPreTraining(config), tokenizer)


def build_mpnet(folder: Path) -> Path:
    vocab = {token: i for i, token in enumerate(["<s>", "<pad>", "</s>", "[UNK]", *WORDS, "<mask>"])}
    tokenizer = MPNetTokenizer(vocab=vocab, do_lower_case=True, model_max_length=64)
    config = MPNetConfig(vocab_size=len(vocab), **SMALL, max_position_embeddings=66, pad_token_id=1)
    torch.manual_seed(31)
    return _save(folder, MPNetForMaskedLM(config), tokenizer)


def build_roformer(folder: Path) -> Path:
    vocab = _wordpiece_vocab()
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=64)
    config = RoFormerConfig(vocab_size=len(vocab), **SMALL, max_position_embeddings=64, embedding_size=32)
    torch.manual_seed(37)
    return _save(folder, RoFormerForMaskedLM(config), tokenizer)


def build_klue_roberta(folder: Path) -> Path:
    """klue/roberta-base's shape: RobertaForMaskedLM with type_vocab_size 1, and a BERT tokenizer ([CLS]=0,
    [PAD]=1, [SEP]=2, [UNK]=3, [MASK]=4) that returns segment ids 1 for sentence B."""
    specials = ["[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"]
    vocab = {token: i for i, token in enumerate([*specials, *WORDS, *MULTILINGUAL])}
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=False, model_max_length=64)
    config = RobertaConfig(vocab_size=len(vocab), **SMALL, max_position_embeddings=66, type_vocab_size=1,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2)
    torch.manual_seed(41)
    return _save(folder, RobertaForMaskedLM(config), tokenizer)
