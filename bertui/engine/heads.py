"""Split a masked-LM model into its encoder and its heads.

Running the encoder once and the MLM head only at the mask positions is what makes an analysis
cheaper than a plain ``model(**inputs)`` (whose head projects *every* position onto the vocabulary).
Each supported family names its head modules differently; the table below is the one place that
knows. A model outside it still works, through the full forward (``mlm`` is None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

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


def split_heads(model: nn.Module, *, nsp_loaded: bool) -> ModelHeads:
    """The encoder, MLM head and (when its weights were in the checkpoint) NSP head of ``model``."""
    encoder = model.base_model
    name = type(model).__name__
    mlm: Head | None = None
    nsp: Head | None = None
    if name.endswith("ForPreTraining") and hasattr(model, "cls"):  # BERT-style pretraining heads
        mlm = model.cls.predictions
        nsp = model.cls.seq_relationship if nsp_loaded else None
    elif hasattr(model, "cls"):  # BertForMaskedLM and kin
        mlm = model.cls.predictions
    elif hasattr(model, "lm_head"):  # RoBERTa, XLM-R, CamemBERT
        mlm = model.lm_head
    elif hasattr(model, "vocab_projector"):  # DistilBERT
        mlm = _chain(model.vocab_transform, model.activation, model.vocab_layer_norm, model.vocab_projector)
    elif hasattr(model, "generator_lm_head"):  # ELECTRA generator
        mlm = _chain(model.generator_predictions, model.generator_lm_head)
    elif hasattr(model, "predictions"):  # ALBERT
        mlm = model.predictions
    return ModelHeads(encoder=encoder, mlm=mlm, nsp=nsp)

