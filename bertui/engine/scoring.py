"""Scores of given tokens under a masked LM, all from masked copies of the input run in batched passes:
the pseudo-log-likelihood of a sentence (Salazar et al., 2020) and its word-l2r variant (Kauf & Ivanova,
2023), which the surprisal strip and ``bertui score`` show, and chosen target words at a mask.

Every function here reads the model through a ``Scorer``: many rows per forward, as many as a token
budget allows, the vocabulary head run only at the positions asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import torch

from bertui.engine.introspection import word_groups
from bertui.engine.results import Encoding, MaskTargets, Surprisal, TargetScore, TokenSurprisal

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

T = TypeVar("T")
LogitsAt = Callable[[dict[str, torch.Tensor], torch.Tensor, torch.Tensor], torch.Tensor]
"""(inputs of n rows, row of each pair [m], position of each pair [m]) → vocabulary logits [m, V]."""
Job = tuple[int, tuple[int, ...], int]
"""(row of the inputs, positions to mask in it, position whose token is scored)."""


@dataclass(frozen=True)
class Scorer:
    logits_at: LogitsAt
    mask_id: int
    token_budget: int
    """Rows × length of one forward at most (one row always goes, however long)."""


def batched_log_probs(scorer: Scorer, inputs: dict[str, torch.Tensor], pairs: Sequence[tuple[int, int]],
                      reduce: Callable[[torch.Tensor, Sequence[tuple[int, int]]], list[T]]) -> list[T]:
    """Vocabulary log-probabilities at each (row, position) of ``inputs`` (rows as given, masks and all),
    in chunks of rows that fit the token budget; ``reduce(log_probs [m, V], pairs of the chunk)`` turns
    each chunk into a list (so no [all pairs, V] array is ever held). ``pairs`` must be sorted by row."""
    rows, length = inputs["input_ids"].shape
    per_chunk = max(1, scorer.token_budget // max(1, length))
    found: list[T] = []
    at = 0
    for start in range(0, rows, per_chunk):
        end = min(rows, start + per_chunk)
        first = at
        while at < len(pairs) and pairs[at][0] < end:
            at += 1
        chunk_pairs = pairs[first:at]
        if not chunk_pairs:
            continue
        device = inputs["input_ids"].device
        row_index = torch.tensor([row - start for row, _ in chunk_pairs], device=device)
        positions = torch.tensor([position for _, position in chunk_pairs], device=device)
        chunk = {name: tensor[start:end] for name, tensor in inputs.items()}
        log_probs = scorer.logits_at(chunk, row_index, positions).float().log_softmax(-1)
        found += reduce(log_probs, chunk_pairs)
    return found


def score_tokens(scorer: Scorer, inputs: dict[str, torch.Tensor],
                 jobs: Sequence[Job]) -> list[tuple[float, int]]:
    """(log P(token), rank in the vocabulary) of the token at each job's scored position, given its row
    with the job's positions masked: one masked copy per job, all in batched passes."""
    if not jobs:
        return []
    source = torch.tensor([row for row, _, _ in jobs], device=inputs["input_ids"].device)
    copies = {name: tensor.expand(int(inputs["input_ids"].shape[0]), -1)[source].clone()
              for name, tensor in inputs.items()}
    truth = [int(inputs["input_ids"][row, position]) for row, _, position in jobs]
    for copy, (_, masked, _) in enumerate(jobs):
        copies["input_ids"][copy, list(masked)] = scorer.mask_id

    def reduce(log_probs: torch.Tensor, pairs: Sequence[tuple[int, int]]) -> list[tuple[float, int]]:
        true_ids = torch.tensor([truth[copy] for copy, _ in pairs], device=log_probs.device)
        true_log_probs = log_probs.gather(1, true_ids[:, None])
        ranks = (log_probs > true_log_probs).sum(-1) + 1
        return list(zip(true_log_probs[:, 0].tolist(), ranks.tolist()))

    return batched_log_probs(scorer, copies, [(copy, position) for copy, (_, _, position) in enumerate(jobs)],
                             reduce)


def surprisal(scorer: Scorer, encoding: Encoding, inputs: dict[str, torch.Tensor],
              token_of: Callable[[int], str]) -> Surprisal:
    """Each real token masked alone and scored (PLL), and with its word's later pieces masked too (word-l2r).

    Masks in the text are not scored. A piece that ends its word needs no second copy: both variants
    mask the same positions for it.
    """
    return surprisals(scorer, [encoding], inputs, token_of)[0]


def surprisals(scorer: Scorer, encodings: Sequence[Encoding], inputs: dict[str, torch.Tensor],
               token_of: Callable[[int], str]) -> list[Surprisal]:
    """``surprisal`` of each encoding, row i of ``inputs`` (padded rows), all their masked copies batched."""
    jobs: list[Job] = []
    plans = []
    for row, encoding in enumerate(encodings):
        positions = [i for i, special in enumerate(encoding.special)
                     if not special and encoding.input_ids[i] != scorer.mask_id]
        to_the_right = {p: tuple(word[word.index(p) + 1:]) for word in word_groups(encoding) for p in word}
        wider = [p for p in positions if to_the_right.get(p)]
        plans.append((encoding, positions, wider, len(jobs)))
        jobs += [(row, (p,), p) for p in positions] + [(row, (p, *to_the_right[p]), p) for p in wider]
    scores = score_tokens(scorer, inputs, jobs)
    found = []
    for encoding, positions, wider, start in plans:
        plain = scores[start:start + len(positions)]
        l2r = dict(zip(wider, (log_p for log_p, _ in scores[start + len(positions):start + len(positions) +
                                                            len(wider)])))
        tokens = tuple(TokenSurprisal(position=position, token=token_of(encoding.input_ids[position]),
                                      probability=math.exp(log_p), rank=int(rank),
                                      surprisal=-log_p / math.log(2), log_prob=log_p,
                                      log_prob_word_l2r=l2r.get(position, log_p))
                       for position, (log_p, rank) in zip(positions, plain))
        found.append(Surprisal(tokens=tokens, pseudo_log_likelihood=sum(t.log_prob for t in tokens),
                               pll_word_l2r=sum(t.log_prob_word_l2r for t in tokens)))
    return found


def target_pieces(tokenizer: PreTrainedTokenizerFast, target: str) -> tuple[int, ...]:
    """The vocabulary ids of a target word, as the fill-mask pipeline finds them: the word itself if it
    is a vocabulary entry (so RoBERTa's ``he`` is the piece without the leading-space mark, `` he`` the
    one with it), else its tokenization. Empty when it has no pieces or any piece is the unknown token."""
    entry = tokenizer.backend_tokenizer.token_to_id(target)  # get_vocab() would copy 30k entries per call
    if entry is not None:
        return (entry,)
    ids = tuple(tokenizer(target, add_special_tokens=False)["input_ids"])
    return () if tokenizer.unk_token_id is not None and tokenizer.unk_token_id in ids else ids


def target_scores(scorer: Scorer, encoding: Encoding, inputs: dict[str, torch.Tensor],
                  log_probs: torch.Tensor, targets: Sequence[str], tokenizer: PreTrainedTokenizerFast,
                  max_length: int) -> tuple[MaskTargets, ...]:
    """Each target at each mask: one-piece targets from ``log_probs`` (the plain pass's [masks, V]),
    longer ones by widening the mask to one mask per piece and scoring the pieces as joint fillings are."""
    pieces = {target: target_pieces(tokenizer, target) for target in targets}
    names = {target: tuple(tokenizer.convert_ids_to_tokens(list(ids))) for target, ids in pieces.items()}
    masks = []
    for row, position in enumerate(encoding.mask_positions):
        scores = []
        for target in targets:
            ids = pieces[target]
            if not ids:
                scores.append(TargetScore(target, (), None, None, "not in the model's vocabulary"))
            elif len(ids) == 1:
                row_log_p = log_probs[row, ids[0]]
                rank = int((log_probs[row] > row_log_p).sum()) + 1
                scores.append(TargetScore(target, names[target], float(row_log_p), rank))
            elif len(encoding.input_ids) - 1 + len(ids) > max_length:
                scores.append(TargetScore(target, names[target], None, None,
                                          f"{len(ids)} pieces do not fit the model's maximum length"))
            else:
                log_p = _widened_score(scorer, inputs, position, ids)
                scores.append(TargetScore(target, names[target], log_p, None,
                                          f"{len(ids)} pieces: the mask widened to {len(ids)} masks, scored "
                                          "as their PLL"))
        masks.append(MaskTargets(position=position, scores=tuple(scores)))
    return tuple(masks)


def _widened_score(scorer: Scorer, inputs: dict[str, torch.Tensor], position: int,
                   ids: tuple[int, ...]) -> float:
    """The masked positions' PLL of ``ids`` written in place of the token at ``position``."""
    def widen(tensor: torch.Tensor, middle: torch.Tensor) -> torch.Tensor:
        return torch.cat([tensor[:, :position], middle, tensor[:, position + 1:]], dim=1)

    filled = {name: widen(tensor, tensor[:, position:position + 1].expand(-1, len(ids)))
              for name, tensor in inputs.items()}
    filled["input_ids"] = widen(inputs["input_ids"], torch.tensor([ids], device=inputs["input_ids"].device))
    span = range(position, position + len(ids))
    return sum(log_p for log_p, _ in score_tokens(scorer, filled, [(0, (p,), p) for p in span]))
