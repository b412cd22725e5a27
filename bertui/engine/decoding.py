"""Token ids back to text (the postprocess stage): predictions as transformers' fill-mask pipeline writes
them, token pieces, and the spelling of a joint filling."""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import PreTrainedTokenizerFast

from bertui.engine.results import Encoding, MaskPrediction, Prediction

Spell = Callable[[list[int]], tuple[tuple[str, ...], str]]
"""Filled ids → (the text of each mask's token, the whole sequence)."""


class Decoder:
    def __init__(self, tokenizer: PreTrainedTokenizerFast) -> None:
        self._tokenizer = tokenizer

    def text(self, ids: list[int]) -> str:
        return str(self._tokenizer.decode(ids))

    def piece(self, token_id: int) -> str:
        """The vocabulary entry of ``token_id`` (``##ing``, ``Ġthe``), not its text."""
        return str(self._tokenizer.convert_ids_to_tokens(token_id))

    def pieces(self, ids: list[int]) -> list[str]:
        return list(self._tokenizer.convert_ids_to_tokens(ids))

    def predictions(self, encoding: Encoding, probs: torch.Tensor, top_k: int) -> tuple[MaskPrediction, ...]:
        """The ``top_k`` most likely tokens at each mask of ``encoding`` (``probs``: [masks, V]), each with
        the sequence it makes (the text's special tokens left out, its other masks kept)."""
        scores, token_ids = probs.topk(min(top_k, probs.shape[-1]), dim=-1)
        ids = list(encoding.input_ids)
        kept = [i for i, special in enumerate(encoding.special) if not special]
        masks: list[MaskPrediction] = []
        for position, row_scores, row_ids in zip(encoding.mask_positions, scores.tolist(),
                                                 token_ids.tolist()):
            predictions: list[Prediction] = []
            for score, token_id in zip(row_scores, row_ids):
                filled = ids.copy()
                filled[position] = token_id
                predictions.append(Prediction(score=score, token=token_id, token_str=self.text([token_id]),
                                              sequence=self.text([filled[i] for i in kept])))
            masks.append(MaskPrediction(position=position, predictions=tuple(predictions)))
        return tuple(masks)

    def speller(self, encoding: Encoding) -> Spell:
        """How a joint filling of ``encoding``'s masks is written."""
        positions = encoding.mask_positions
        kept = [i for i, special in enumerate(encoding.special) if not special]

        def spell(ids: list[int]) -> tuple[tuple[str, ...], str]:
            return tuple(self.text([ids[p]]) for p in positions), self.text([ids[i] for i in kept])

        return spell
