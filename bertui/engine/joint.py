"""Joint fillings of several masks: what fills them *together*, not each on its own.

A beam search fills one mask per step, the one the model is most confident about in each kept
filling, and re-encodes the partly filled text before the next step (one batched pass per step).
The fillings it ends with are ranked by the masked positions' pseudo-log-likelihood, the sum over the
masks of log P(filled token | every other token filled), so a filling's score does not depend on the
order the beam happened to fill it in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from bertui.engine.results import JointFill, JointFilling
from bertui.engine.scoring import Scorer, batched_log_probs, score_tokens

Fills = tuple[tuple[int, int], ...]
"""(position, token id) of the masks filled so far, sorted by position."""


def joint_fill(scorer: Scorer, inputs: dict[str, torch.Tensor], positions: Sequence[int], width: int,
               top_k: int, spell: Callable[[list[int]], tuple[tuple[str, ...], str]],
               first: torch.Tensor | None = None) -> JointFill:
    """Top ``top_k`` fillings of the masks at ``positions`` in ``inputs`` (one row), from a beam of ``width``.

    ``first``: log-probabilities [masks, V] at ``positions`` from a pass already run on ``inputs``,
    which the first step then reuses. ``spell(filled ids)`` gives the tokens' text and the sequence.
    """
    passes = 0
    beam: list[tuple[float, Fills]] = [(0.0, ())]
    for step in range(len(positions)):
        if step == 0 and first is not None:
            options = [[_top(first[i], width) for i in range(len(positions))]]
        else:
            options = _options(scorer, inputs, beam, positions, width)
            passes += 1
        # No two paths ever reach the same fill set: siblings differ in the token at the mask they fill,
        # and paths from different parents already differ in an earlier mask's token.
        grown: list[tuple[float, Fills]] = []
        for (score, fills), per_mask in zip(beam, options):
            done = {position for position, _ in fills}
            open_masks = [(p, found) for p, found in zip(positions, per_mask) if p not in done]
            position, (log_probs, ids) = max(open_masks, key=lambda item: item[1][0][0])
            grown += [(score + log_p, tuple(sorted((*fills, (position, token_id)))))
                      for log_p, token_id in zip(log_probs, ids)]
        beam = sorted(grown, key=lambda item: -item[0])[:width]
    fillings = _rank(scorer, inputs, [fills for _, fills in beam], positions, spell)
    return JointFill(positions=tuple(positions), beam=width, fillings=tuple(fillings[:top_k]),
                     passes=passes + 1)


def _top(log_probs: torch.Tensor, width: int) -> tuple[list[float], list[int]]:
    values, ids = log_probs.topk(min(width, log_probs.shape[-1]))
    return values.tolist(), ids.tolist()


def _filled(inputs: dict[str, torch.Tensor], every: Sequence[Fills]) -> dict[str, torch.Tensor]:
    """One row per fill set: ``inputs`` with those masks filled (the others stay masks)."""
    rows = {name: tensor.expand(len(every), -1).clone() for name, tensor in inputs.items()}
    for row, fills in enumerate(every):
        for position, token_id in fills:
            rows["input_ids"][row, position] = token_id
    return rows


def _options(scorer: Scorer, inputs: dict[str, torch.Tensor], beam: list[tuple[float, Fills]],
             positions: Sequence[int], width: int) -> list[list[tuple[list[float], list[int]]]]:
    """For each kept filling, the top ``width`` tokens at every mask (filled ones too: cheap, and it keeps
    the lists aligned with ``positions``), from one batched pass over the partly filled texts."""
    rows = _filled(inputs, [fills for _, fills in beam])
    pairs = [(row, position) for row in range(len(beam)) for position in positions]
    found = batched_log_probs(scorer, rows, pairs,
                              lambda log_probs, _pairs: [_top(row, width) for row in log_probs])
    return [found[row * len(positions):(row + 1) * len(positions)] for row in range(len(beam))]


def _rank(scorer: Scorer, inputs: dict[str, torch.Tensor], every: list[Fills], positions: Sequence[int],
          spell: Callable[[list[int]], tuple[tuple[str, ...], str]]) -> list[JointFilling]:
    """Every complete filling scored by its masked positions' PLL (one batched pass), best first."""
    rows = _filled(inputs, every)
    jobs = [(row, (position,), position) for row in range(len(every)) for position in positions]
    log_probs = [log_p for log_p, _ in score_tokens(scorer, rows, jobs)]
    fillings = []
    for row, fills in enumerate(every):
        terms = tuple(log_probs[row * len(positions):(row + 1) * len(positions)])
        ids = [token_id for _, token_id in fills]
        tokens, sequence = spell(rows["input_ids"][row].tolist())
        fillings.append(JointFilling(token_ids=tuple(ids), tokens=tokens, sequence=sequence, score=sum(terms),
                                     log_probs=terms))
    return sorted(fillings, key=lambda filling: -filling.score)
