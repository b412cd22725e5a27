"""Batched forwards within a token budget: rows sorted by length, padded, chunked, halved on out-of-memory.

Every batched pass of the engine (NSP ranking, masked copies for PLL, target words, joint fills, stream
windows) runs through ``in_chunks``, so memory stays bounded for any list or text length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from bertui.errors import InputError


def in_chunks(lengths: Sequence[int], run: Callable[[list[int]], None], what: str, *, budget: int,
              device: torch.device, most_rows: int | None = None,
              give_way: Callable[[], None] | None = None) -> None:
    """``run(chunk)`` over the indices of ``lengths`` sorted by length, in chunks whose rows × longest
    length fit ``budget`` (tokens: rows × padded length, ``bertui.engine.budget``); a chunk that runs out
    of memory on ``device`` is retried in halves, and ``what`` ("ranking even one candidate") says what
    failed when even a single row does not fit. ``give_way()`` is called before every chunk but the first:
    it raises to abandon work that a newer request made stale."""
    by_length = sorted(range(len(lengths)), key=lambda i: lengths[i])
    most_rows = most_rows or len(lengths)
    start = 0
    while start < len(by_length):
        # The longest row of a chunk is its last (sorted), so rows × that length bounds the chunk.
        end = start + 1
        while end < len(by_length) and end - start < most_rows and \
                (end + 1 - start) * lengths[by_length[end]] <= budget:
            end += 1
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
