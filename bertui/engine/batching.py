"""Batched forwards within a token budget: rows sorted by length, padded, chunked where the padding would
grow past a tenth of a chunk, halved on out-of-memory.

Every batched pass of the engine (NSP ranking, masked copies for PLL, target words, joint fills, stream
windows) runs through ``in_chunks``, so memory stays bounded for any list or text length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from bertui.errors import InputError

PADDING_SHARE = 0.10
"""A chunk takes a longer row only while its padding stays within this share of its tokens…"""
SMALLEST_CHUNK = 128
"""…unless it holds fewer tokens than this (or an eighth of the budget, where that is more): a pass that
small runs the matrix products below the machine's rate (on a CPU, under about 100 tokens at bert-base
size; an accelerator's big budget wants big passes), which costs more than the padding saves."""


def in_chunks(lengths: Sequence[int], run: Callable[[list[int]], None], what: str, *, budget: int,
              device: torch.device, most_rows: int | None = None, copies: Sequence[int] | None = None,
              give_way: Callable[[], None] | None = None) -> None:
    """``run(chunk)`` over the indices of ``lengths`` sorted by length, in chunks whose rows × longest
    length fit ``budget`` (tokens: rows × padded length, ``bertui.engine.budget``) and whose padding stays
    within ``PADDING_SHARE`` of their tokens (``chunk_end``); ``copies[i]`` (default 1) is how many rows of
    index i's length its run puts through the encoder (a sentence's masked copies), for that share. A
    chunk that runs out of memory on ``device`` is retried in halves, and ``what`` ("ranking even one
    candidate") says what failed when even a single row does not fit. ``give_way()`` is called before
    every chunk but the first: it raises to abandon work that a newer request made stale."""
    by_length = sorted(range(len(lengths)), key=lambda i: lengths[i])
    sorted_lengths = [lengths[i] for i in by_length]
    weights = [copies[i] for i in by_length] if copies is not None else None
    most_rows = most_rows or len(lengths)
    start = 0
    while start < len(by_length):
        end = chunk_end(sorted_lengths, start, budget, most_rows, weights)
        chunk = by_length[start:end]
        if start and give_way is not None:
            give_way()
        try:
            run(chunk)
        except RuntimeError as error:  # torch.OutOfMemoryError is a RuntimeError too
            if not out_of_memory(error):
                raise
            release_cached_memory(device)
            if len(chunk) == 1:
                raise InputError(
                    f"out of memory on {device} {what} at a time "
                    f"({lengths[chunk[0]]} tokens): use shorter sentences, "
                    "--dtype bfloat16 or float16, or --device cpu") from None
            most_rows = len(chunk) // 2
            continue
        start = end


def chunk_end(sorted_lengths: Sequence[int], start: int, budget: int, most_rows: int,
              copies: Sequence[int] | None = None) -> int:
    """Where the chunk from ``start`` ends (exclusive) in ``sorted_lengths`` (ascending): one row at
    least; then the next row joins while the chunk's rows × its length fit ``budget``, it holds fewer than
    ``most_rows`` rows, and either the chunk still holds fewer tokens than ``SMALLEST_CHUNK`` (or an
    eighth of the budget) or its padding with that row would stay within ``PADDING_SHARE`` of its tokens.
    ``copies`` weighs each row for the padding and the smallest size (default 1 each)."""
    smallest = max(SMALLEST_CHUNK, budget // 8)

    def weight(i: int) -> int:
        return copies[i] if copies is not None else 1

    rows, real = weight(start), weight(start) * sorted_lengths[start]
    end = start + 1
    while end < len(sorted_lengths) and end - start < most_rows:
        length = sorted_lengths[end]  # the longest so far: every row of the chunk is padded to it
        if (end + 1 - start) * length > budget:
            break
        grown_rows, grown_real = rows + weight(end), real + weight(end) * length
        small = rows * sorted_lengths[end - 1] < smallest
        if not small and grown_rows * length - grown_real > PADDING_SHARE * grown_rows * length:
            break
        rows, real = grown_rows, grown_real
        end += 1
    return end


def pad_rows(pad_token_id: int | None,
             rows: Sequence[Mapping[str, Sequence[int]]]) -> dict[str, list[list[int]]]:
    """Rows of model inputs, right-padded to the longest (padding unattended)."""
    length = max(len(row["input_ids"]) for row in rows)
    pads = {"input_ids": pad_token_id or 0, "token_type_ids": 0, "attention_mask": 0}
    return {name: [list(row[name]) + [pad] * (length - len(row[name])) for row in rows]
            for name, pad in pads.items()}


def release_cached_memory(device: torch.device) -> None:
    """Give the accelerator's cached blocks back after an out-of-memory, before a smaller retry."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()


def out_of_memory(error: RuntimeError) -> bool:
    """CUDA's OutOfMemoryError, MPS's and the CPU allocator's failures all say so in their message."""
    text = str(error).lower()
    # torch.OutOfMemoryError is new in torch 2.5; pyproject allows 2.4.
    return isinstance(error, getattr(torch, "OutOfMemoryError", ())) or "out of memory" in text \
        or "can't allocate memory" in text
