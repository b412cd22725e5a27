"""The layer lens (the "logit lens" of a masked LM): the model's own masked-LM head read at every layer.

From one forward with hidden states, the hidden states of the mask positions only (embeddings included)
go through the head in one call: [layers + 1, masks, H] → [layers + 1, masks, V]. The last row is the
model's own answer (``readout`` says per family what the last layer has been through that the others
have not, so it equals the logits). Per layer: the top-k, the rank and probability of the final top-1,
each target's log-probability and rank, and KL(final ‖ layer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from bertui.engine.inside_results import Candidate, LensLayer, LensTarget, MaskLens
from bertui.engine.readout import Readout

Decode = Callable[[list[int]], str]


def lens_log_probs(readout: Readout, hidden_states: Sequence[torch.Tensor],
                   positions: Sequence[int]) -> torch.Tensor:
    """Vocabulary log-probabilities [layers + 1, masks, V] at ``positions`` of row 0, every layer."""
    at = [state[0, list(positions)] for state in hidden_states]  # each [masks, H]
    earlier = torch.cat(at[:-1])
    if readout.final_norm is not None:
        earlier = readout.final_norm(earlier)
    logits = readout.head(torch.cat([earlier, at[-1]]))  # one head call for every layer
    return logits.float().log_softmax(-1).reshape(len(at), len(positions), -1)


def formed_at(top1: list[int]) -> int:
    """The first layer from which the last layer's top-1 stays top-1."""
    layer = len(top1) - 1
    while layer > 0 and top1[layer - 1] == top1[-1]:
        layer -= 1
    return layer


def mask_lens(position: int, log_probs: torch.Tensor, top_k: int, targets: Sequence[tuple[str, int | None]],
              decode: Decode) -> MaskLens:
    """One mask's lens from its [layers + 1, V] log-probabilities; ``targets``: (word, one-piece id)."""
    probs = log_probs.exp()
    top_p, top_ids = probs.topk(min(top_k, probs.shape[-1]), dim=-1)
    final_id = int(top_ids[-1, 0])
    final_rank = (log_probs > log_probs[:, final_id:final_id + 1]).sum(-1) + 1
    final = probs[-1]
    kl = torch.where(final > 0, final * (log_probs[-1] - log_probs), 0.0).sum(-1)  # 0 · log 0 = 0
    target_columns = {word: (log_probs[:, piece], (log_probs > log_probs[:, piece:piece + 1]).sum(-1) + 1)
                      for word, piece in targets if piece is not None}
    layers = []
    for layer in range(log_probs.shape[0]):
        top = tuple(Candidate(token, decode([token]), p)
                    for token, p in zip(top_ids[layer].tolist(), top_p[layer].tolist()))
        scored = tuple(LensTarget(word, float(target_columns[word][0][layer]),
                                  int(target_columns[word][1][layer])) if word in target_columns
                       else LensTarget(word, None, None) for word, _ in targets)
        layers.append(LensLayer(layer=layer, top=top, final_rank=int(final_rank[layer]),
                                final_probability=float(probs[layer, final_id]), kl=float(kl[layer]),
                                targets=scored))
    answer = Candidate(final_id, decode([final_id]), float(final[final_id]))
    return MaskLens(position=position, final=answer, formed_at=formed_at(top_ids[:, 0].tolist()),
                    layers=tuple(layers))
