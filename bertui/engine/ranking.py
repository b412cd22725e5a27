"""Next-sentence ranking: every (first, candidate) pair tokenized at once, sorted by length and run in
padded chunks within the token budget; the IsNext head read from each pair's pooled output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from bertui.engine.encoding import normalize_masks
from bertui.engine.results import RankedCandidate, ranked
from bertui.errors import InputError

if TYPE_CHECKING:
    from bertui.engine.heads import ModelHeads
    from bertui.engine.loading import Loaded
    from bertui.engine.results import ModelInfo


class NextSentenceRanking:
    """What ``Engine`` provides for these methods, and the one ranking it keeps (the text on screen is
    ranked again after every keystroke that leaves sentence A and the candidates as they were)."""

    _heads: ModelHeads
    _loaded: Loaded
    _tokenizer: Any
    info: ModelInfo
    mask_token: str
    _rank_cache: tuple[tuple[str, tuple[str, ...]], tuple[RankedCandidate, ...]] | None = None

    if TYPE_CHECKING:
        def _model_inputs(self, batch: Any) -> dict[str, torch.Tensor]: ...
        def _in_chunks(self, lengths: Sequence[int], run: Callable[[list[int]], None], what: str, *,
                       most_rows: int | None = None, copies: Sequence[int] | None = None) -> None: ...

    @torch.inference_mode()
    def rank(self, first: str, candidates: Sequence[str]) -> tuple[RankedCandidate, ...]:
        """Candidates ranked by IsNext after ``first``: padded batches, sorted by length, chunked."""
        if not self.info.has_nsp_head:
            raise InputError(self.info.no_nsp_reason)
        key = (first, tuple(candidates))
        if self._rank_cache and self._rank_cache[0] == key:
            return self._rank_cache[1]
        ranking = ranked(candidates, self._is_next_batched([(first, c) for c in candidates]))
        self._rank_cache = (key, ranking)
        return ranking

    @torch.inference_mode()
    def rank_many(self, lists: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[RankedCandidate, ...]]:
        """``rank`` for many (first, candidates), every pair of them batched together."""
        if not self.info.has_nsp_head:
            raise InputError(self.info.no_nsp_reason)
        pairs = [(first, c) for first, candidates in lists for c in candidates]
        probabilities = iter(self._is_next_batched(pairs))
        return [ranked(candidates, [next(probabilities) for _ in candidates]) for _, candidates in lists]

    def _is_next_batched(self, pairs: list[tuple[str, str]]) -> list[tuple[float, float]]:
        """[IsNext, NotNext] of each (first, candidate), in padded batches sorted by length."""
        if not pairs:
            return []
        encoded = self._tokenizer([normalize_masks(first, self.mask_token) for first, _ in pairs],
                                  [normalize_masks(candidate, self.mask_token) for _, candidate in pairs],
                                  truncation=True, max_length=self._loaded.max_length,
                                  return_token_type_ids=True)
        rows = [{name: encoded[name][i] for name in ("input_ids", "token_type_ids", "attention_mask")}
                for i in range(len(pairs))]
        results: list[tuple[float, float]] = [(0.0, 0.0)] * len(rows)

        def run(chunk: list[int]) -> None:
            for i, (is_next, not_next) in zip(chunk, self._is_next_chunk([rows[i] for i in chunk])):
                results[i] = (is_next, not_next)

        self._in_chunks([len(row["input_ids"]) for row in rows], run, "ranking even one candidate")
        return results

    def _is_next_chunk(self, rows: list[dict[str, list[int]]]) -> list[list[float]]:
        """[IsNext, NotNext] of each (already tokenized) pair, from one padded forward."""
        padded = self._tokenizer.pad(rows, return_tensors="pt")
        out = self._heads.encoder(**self._model_inputs(padded))
        nsp = self._heads.nsp
        assert nsp is not None  # rank and rank_many refuse a model without one
        probabilities: list[list[float]] = nsp(out.pooler_output).float().softmax(-1).tolist()
        return probabilities
