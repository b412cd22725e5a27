"""The masked-LM head as a reader of any layer: what the last hidden state has been through that the
other layers' have not, and where the head's transform ends and its vocabulary projection begins.

What the encoder does after its last layer, per family (transformers 5): ModernBERT applies its
``final_norm``, and ``hidden_states[-1]`` is that normalised output; every other family in the head table
(BERT, multilingual BERT, RoBERTa, XLM-R, CamemBERT, DistilBERT, ALBERT, ELECTRA, DeBERTa-v2/v3, MPNet,
RoFormer) hands its last layer's output to the head as it is. So the lens reads layer l < last as
``head(final_norm(h_l))`` and the last layer as ``head(h_last)``, which is the model's own logits.

The head's transform (dense → activation → norm in every family) ends where its vocabulary projection
starts: the input of the output-embeddings Linear, or for DeBERTa-v2/v3's newer head (which multiplies by
the word embeddings itself) the output of its LayerNorm. A forward hook reads it there, so the transform
is the model's own code, not a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from bertui.engine.heads import Head, ModelHeads


@dataclass(frozen=True)
class Readout:
    head: Head
    """The model's own MLM head: hidden states [n, H] → vocabulary logits [n, V]."""
    final_norm: Head | None
    """What the last layer's output went through before the head (ModernBERT's final_norm), else None."""
    transform_end: nn.Module
    """The module at the boundary between the head's transform and its vocabulary projection."""
    transform_is_input: bool
    """True: the transform's result is ``transform_end``'s input; False: its output."""
    output_embeddings: torch.Tensor
    """The vocabulary projection's weight [V, E]: each token's output embedding."""

    def logits(self, hidden: torch.Tensor, *, last: bool) -> torch.Tensor:
        """The head at hidden states of one layer; ``last`` says they had the final norm already."""
        if self.final_norm is not None and not last:
            hidden = self.final_norm(hidden)
        return self.head(hidden)

    def transformed(self, hidden: torch.Tensor, *, last: bool) -> torch.Tensor:
        """The head's transform of hidden states [n, H] → [n, E], read where the projection takes it."""
        found: list[torch.Tensor] = []

        def keep(_module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            found.append(args[0] if self.transform_is_input else output)

        handle = self.transform_end.register_forward_hook(keep)
        try:
            self.logits(hidden, last=last)
        finally:
            handle.remove()
        return found[0]


def readout(model: Any, heads: ModelHeads) -> Readout | None:
    """The head of ``model`` taken apart; None for a model outside the head table (no separate head)."""
    if heads.mlm is None:
        return None
    norm = getattr(heads.encoder, "final_norm", None)  # ModernBERT
    if hasattr(model, "lm_predictions"):  # DeBERTa-v2/v3, legacy=False: LayerNorm → · word embeddings
        end: nn.Module = model.lm_predictions.lm_head.LayerNorm
        weight = model.get_input_embeddings().weight
        return Readout(heads.mlm, norm, end, False, weight)
    projection = model.get_output_embeddings()
    return Readout(heads.mlm, norm, projection, True, projection.weight)
