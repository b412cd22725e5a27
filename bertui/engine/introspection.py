"""Looking inside the model: attention maps, the input-embedding breakdown and whole-word fillings.
Each is computed only when a request asks for it; none changes the plain analysis path. (Surprisal,
the per-token PLL, lives in ``scoring`` with the other masked-copy scores.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from bertui.engine.loading import OFFSET_POSITIONS
from bertui.engine.results import (
    AttentionMaps,
    EmbeddingBreakdown,
    Encoding,
    WordPrediction,
)
from bertui.errors import InputError


def attention_maps(attentions: Sequence[torch.Tensor], layer: int) -> AttentionMaps:
    """Layer ``layer``'s [1, heads, L, L] weights as one float32 [heads, L, L] array on the host."""
    if not 0 <= layer < len(attentions):
        raise InputError(f"no attention layer {layer}: this model has layers 0 to {len(attentions) - 1}")
    return AttentionMaps(weights=attentions[layer][0].float().cpu().numpy(), layer=layer,
                         layers=len(attentions))


def embedding_breakdown(encoder: torch.nn.Module, inputs: dict[str, torch.Tensor],
                        model_type: str) -> tuple[EmbeddingBreakdown, ...] | None:
    """Norms of each token's word, segment and position embeddings and their cosine to the sum.

    None for a family whose embedding module has no separate word and position tables.
    """
    embeddings = getattr(encoder, "embeddings", None)
    if embeddings is None or getattr(embeddings, "word_embeddings", None) is None or \
            getattr(embeddings, "position_embeddings", None) is None:  # rotary or relative positions
        return None
    ids = inputs["input_ids"][0]
    positions = torch.arange(ids.shape[0], device=ids.device)
    if model_type in OFFSET_POSITIONS:
        positions = positions + embeddings.padding_idx + 1
    word = embeddings.word_embeddings(ids).float()
    position = embeddings.position_embeddings(positions).float()
    segment_table = getattr(embeddings, "token_type_embeddings", None)
    segments = inputs.get("token_type_ids", torch.zeros_like(ids[None]))[0]
    segment = segment_table(segments).float() if segment_table is not None else torch.zeros_like(word)
    total = word + segment + position

    def cosine(part: torch.Tensor) -> list[float]:
        return torch.nn.functional.cosine_similarity(part, total, dim=-1).tolist()

    norms = [part.norm(dim=-1).tolist() for part in (word, segment, position, total)]
    cosines = [cosine(part) for part in (word, segment, position)]
    return tuple(EmbeddingBreakdown(i, norms[0][i], norms[1][i], norms[2][i], norms[3][i],
                                    cosines[0][i], cosines[1][i], cosines[2][i])
                 for i in range(ids.shape[0]))


def word_groups(encoding: Encoding) -> list[list[int]]:
    """The token positions of each word (its pieces, left to right), special tokens left out."""
    groups: dict[tuple[int | None, int], list[int]] = {}
    for position, (sequence, word) in enumerate(zip(encoding.sequence_ids, encoding.word_ids)):
        if word is not None:
            groups.setdefault((sequence, word), []).append(position)
    return list(groups.values())


def whole_words(encoding: Encoding, probs: torch.Tensor, continuation: torch.Tensor | None,
                token_of: Callable[[list[int]], list[str]], join: Callable[[list[str]], str],
                top_k: int) -> tuple[WordPrediction, ...]:
    """Joint fillings of every word of two or more pieces that are all masked.

    ``probs[i]`` is the vocabulary distribution at ``encoding.mask_positions[i]``. A beam keeps the
    ``top_k`` best products of the pieces' probabilities. With WordPiece (``continuation`` marks the
    ``##`` ids) a word starts with a plain piece and goes on with ``##`` pieces.
    """
    row_of = {position: row for row, position in enumerate(encoding.mask_positions)}
    results = []
    for positions in word_groups(encoding):
        if len(positions) < 2 or any(p not in row_of for p in positions):
            continue
        beam: list[tuple[float, list[int]]] = [(1.0, [])]
        for depth, position in enumerate(positions):
            piece = probs[row_of[position]]
            if continuation is not None:
                piece = piece.masked_fill(continuation if depth == 0 else ~continuation, 0.0)
            scores, ids = piece.topk(min(top_k, piece.shape[0]))
            beam = sorted(((score * s, [*ids_so_far, i]) for score, ids_so_far in beam
                           for s, i in zip(scores.tolist(), ids.tolist())), key=lambda item: -item[0])[:top_k]
        results.append(WordPrediction(positions=tuple(positions),
                                      words=tuple(join(token_of(ids)) for _, ids in beam),
                                      scores=tuple(score for score, _ in beam)))
    return tuple(results)
