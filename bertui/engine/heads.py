"""Split a masked-LM model into its encoder and its heads.

Running the encoder once and the MLM head only at the mask positions is what makes an analysis
cheaper than a plain ``model(**inputs)`` (whose head projects *every* position onto the vocabulary).
Each supported family names its head modules differently; the table below is the one place that
knows. A model outside it still works, through the full forward (``mlm`` is None).

Which families take the full forward: none of those listed. Running the head at the mask positions
only is exact when the head is position-wise — each position's logits depend on that position's
final hidden state alone — and every head below is: BERT / multilingual BERT / RoFormer / legacy
DeBERTa (``cls.predictions``), RoBERTa / XLM-R / CamemBERT / MPNet (``lm_head``), DistilBERT,
ELECTRA, ALBERT, ModernBERT (``head`` + ``decoder``; its ``sparse_prediction`` only filters rows when
training with labels) and DeBERTa-v2/v3's newer ``lm_predictions`` (a dense + norm, then the tied word
embeddings: still per position). A family outside the table (remote code, a new architecture) gets
the full forward because nothing guarantees its head is position-wise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel

Head = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ModelHeads:
    encoder: nn.Module
    """The base model: inputs → (sequence output, pooled output if it has a pooler)."""
    mlm: Head | None
    """Hidden states of the mask positions [n, H] → vocabulary logits [n, V]; None: use the full model."""
    nsp: Head | None
    """Pooled output [b, H] → [IsNext, NotNext] logits [b, 2]; None: no next-sentence head."""


def _chain(*modules: Callable[[torch.Tensor], torch.Tensor]) -> Head:
    def head(hidden: torch.Tensor) -> torch.Tensor:
        for module in modules:
            hidden = module(hidden)
        return hidden

    return head


def _with_word_embeddings(head: nn.Module, word_embeddings: nn.Module) -> Head:
    def run(hidden: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = head(hidden, word_embeddings)
        return logits

    return run


def split_heads(model: PreTrainedModel, *, has_nsp_head: bool) -> ModelHeads:
    """The encoder, MLM head and (when its weights were in the checkpoint) NSP head of ``model``."""
    part = model.get_submodule
    name = type(model).__name__
    mlm: Head | None = None
    nsp: Head | None = None
    if name.endswith("ForPreTraining") and hasattr(model, "cls"):  # BERT-style pretraining heads
        mlm = part("cls.predictions")
        nsp = part("cls.seq_relationship") if has_nsp_head else None
    elif hasattr(model, "cls"):  # BertForMaskedLM and kin: RoFormer, legacy DeBERTa-v2/v3
        mlm = part("cls.predictions")
    elif hasattr(model, "lm_predictions"):  # DeBERTa-v2/v3 with legacy=False: reads the word embeddings
        mlm = _with_word_embeddings(part("lm_predictions"), model.get_input_embeddings())
    elif hasattr(model, "head") and hasattr(model, "decoder"):  # ModernBERT
        mlm = _chain(part("head"), part("decoder"))
    elif hasattr(model, "lm_head"):  # RoBERTa, XLM-R, CamemBERT, MPNet
        mlm = part("lm_head")
    elif hasattr(model, "vocab_projector"):  # DistilBERT
        mlm = _chain(part("vocab_transform"), part("activation"), part("vocab_layer_norm"),
                     part("vocab_projector"))
    elif hasattr(model, "generator_lm_head"):  # ELECTRA generator
        mlm = _chain(part("generator_predictions"), part("generator_lm_head"))
    elif hasattr(model, "predictions"):  # ALBERT
        mlm = part("predictions")
    return ModelHeads(encoder=model.base_model, mlm=mlm, nsp=nsp)
