"""Why a mask's prediction: a score for every input token, with respect to the word embeddings.

The explained quantity is log p(target) at the mask, or log p(target) − log p(contrast) ("X rather than
Y"), as a function of the word embeddings (``inputs_embeds``: the word table's rows, before the
embedding layer adds positions and segments and normalises). A token's score sums its row over the
embedding dimension.

- gradient × input and gradient norm come from one forward and one backward for every mask at once, a
  row per mask (captum's InputXGradient and Saliency would each run their own, per mask; the tests hold
  both to captum, 1e-5); the app's Why strip takes the backward alone, through the analysis's own
  forward (``backward``);
- integrated gradients is captum's (Gauss–Legendre rule), its steps batched ``rows`` at a time;
  the baseline keeps [CLS], [SEP] (every special token) and the masks and puts the [PAD] embedding in
  place of every other token (the mask's embedding where a tokenizer has no pad), positions and
  segments unchanged: "the same frame with no words in it". The convergence delta is reported;
- attention rollout (Abnar & Zuidema, 2020) needs no gradient: per layer the mean over heads,
  ½A + ½I, rows normalised, multiplied through the layers; a mask's scores are its row. It does not
  depend on the target.

Gradients are on for these passes only (``torch.enable_grad`` outside inference mode); the weights'
own gradients are never computed (``torch.autograd.grad`` asks for the embeddings' only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

ValueOf = Callable[[torch.Tensor], torch.Tensor]
"""Word embeddings [b, L, E] → the explained quantity of each row [b]."""
LogProbsAt = Callable[[torch.Tensor, Sequence[int]], torch.Tensor]
"""(word embeddings [b, L, E], a position per row) → vocabulary log-probabilities there [b, V]."""


@dataclass(frozen=True)
class Question:
    """What to explain at one mask: log p(target) − log p(contrast), or log p(target) alone."""

    position: int
    target: int
    contrast: int | None = None

    def value_of(self, log_probs_at: LogProbsAt) -> ValueOf:
        def value(embeds: torch.Tensor) -> torch.Tensor:
            log_probs = log_probs_at(embeds, [self.position] * embeds.shape[0])
            return difference(log_probs, torch.full_like(log_probs[:, 0], self.target, dtype=torch.long),
                              self.contrast)

        return value


def difference(log_probs: torch.Tensor, targets: torch.Tensor, contrast: int | None) -> torch.Tensor:
    """Each row's log p(target) − log p(contrast) (log p(target) alone without a contrast)."""
    found = log_probs.gather(1, targets[:, None])[:, 0]
    return found if contrast is None else found - log_probs[:, contrast]


@dataclass(frozen=True)
class Gradients:
    """One row per mask: its vocabulary log-probabilities, explained token, value and per-token scores."""

    log_probs: torch.Tensor
    targets: list[int]
    values: list[float]
    grad_input: list[list[float]]
    grad_norm: list[list[float]]


@dataclass(frozen=True)
class Integrated:
    value: float
    baseline_value: float
    scores: list[float]
    delta: float


GradientsAt = Callable[[Sequence[int], "int | None", "int | None"], "Gradients"]
"""(positions, target, contrast) → their Gradients, from a forward already run (the app's analysis)."""


def gradients(log_probs_at: LogProbsAt, embeds: torch.Tensor, positions: Sequence[int], target: int | None,
              contrast: int | None) -> Gradients:
    """Gradient × input (summed over the embedding) and gradient norm of each token, for every mask at
    once: one row per mask in one forward and one backward (rows do not interact, so the gradient of the
    rows' sum is each row's own). ``target`` None: each mask's top-1, read from that same forward."""
    with torch.inference_mode(False), torch.enable_grad():
        rows = embeds.detach().expand(len(positions), -1, -1).clone().requires_grad_(True)
        return backward(log_probs_at(rows, positions), rows, target, contrast)


def backward(log_probs: torch.Tensor, rows: torch.Tensor, target: int | None,
             contrast: int | None) -> Gradients:
    """``gradients`` from a forward that gave ``log_probs`` [b, V], its row i from ``rows[i]`` (word
    embeddings [b, L, E] that require grad), under ``torch.enable_grad`` outside inference mode."""
    chosen = log_probs.detach().argmax(-1) if target is None else \
        torch.full((log_probs.shape[0],), target, device=rows.device)
    values = difference(log_probs, chosen, contrast)
    (grad,) = torch.autograd.grad(values.sum(), rows)
    return Gradients(log_probs=log_probs.detach(), targets=chosen.tolist(), values=values.detach().tolist(),
                     grad_input=(grad * rows.detach()).sum(-1).tolist(), grad_norm=grad.norm(dim=-1).tolist())


def integrated_gradients(value_of: ValueOf, embeds: torch.Tensor, baseline: torch.Tensor, steps: int,
                         rows: int) -> Integrated:
    """captum's integrated gradients from ``baseline`` to ``embeds`` [1, L, E], ``rows`` steps a pass."""
    from captum.attr import IntegratedGradients  # captum imports matplotlib: only when asked

    with torch.inference_mode(False), torch.enable_grad():
        embeds, baseline = embeds.detach().clone(), baseline.detach().clone()
        attributions, delta = IntegratedGradients(value_of).attribute(
            embeds, baselines=baseline, n_steps=steps, method="gausslegendre",
            internal_batch_size=max(1, rows), return_convergence_delta=True)
        with torch.no_grad():
            ends = value_of(torch.cat([embeds, baseline]))
    return Integrated(value=float(ends[0]), baseline_value=float(ends[1]),
                      scores=attributions.detach()[0].sum(-1).tolist(), delta=float(delta[0]))


def rollout(attentions: Sequence[torch.Tensor]) -> torch.Tensor:
    """Attention rollout [L, L] from every layer's [1, heads, L, L] weights (float64)."""
    length = attentions[0].shape[-1]
    eye = torch.eye(length, dtype=torch.float64, device=attentions[0].device)
    rolled = eye
    for weights in attentions:
        mixed = 0.5 * weights[0].double().mean(0) + 0.5 * eye
        rolled = (mixed / mixed.sum(-1, keepdim=True)) @ rolled
    return rolled


def baseline_ids(input_ids: Sequence[int], keep: Sequence[bool], blank: int) -> list[int]:
    """The baseline's ids: ``blank`` wherever ``keep`` is False."""
    return [token if kept else blank for token, kept in zip(input_ids, keep)]
