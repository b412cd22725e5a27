"""Chunks of batched forwards (bertui.engine.batching): within the token budget, cut where a longer row
would push the padding past a tenth of the chunk (once the chunk is big enough to run at the machine's
rate), every row run exactly once, halved on out-of-memory."""

from __future__ import annotations

import random

import pytest
import torch

from bertui.engine.batching import PADDING_SHARE, SMALLEST_CHUNK, in_chunks
from bertui.errors import InputError

CPU = torch.device("cpu")


def _mixed_lengths(rows: int, seed: int = 0) -> list[int]:
    """Lengths of short lines as a stream sees them: 8 to 40 tokens, most of them short."""
    draw = random.Random(seed)
    return [8 + int(32 * draw.random() ** 2) for _ in range(rows)]


def _chunks(lengths: list[int], budget: int, copies: list[int] | None = None) -> list[list[int]]:
    ran: list[list[int]] = []
    in_chunks(lengths, ran.append, "running even one row", budget=budget, device=CPU, copies=copies)
    return ran


def _padding(chunk: list[int], lengths: list[int], copies: list[int]) -> tuple[int, int]:
    """(padding, tokens) of a chunk whose rows stand for ``copies`` rows each."""
    longest = max(lengths[i] for i in chunk)
    rows = sum(copies[i] for i in chunk)
    return rows * longest - sum(copies[i] * lengths[i] for i in chunk), rows * longest


@pytest.mark.parametrize("budget", [256, 1024, 4096])
@pytest.mark.parametrize("weighted", [False, True], ids=["rows", "masked copies"])
def test_every_chunk_fits_the_budget_and_keeps_its_padding_within_a_tenth(budget, weighted):
    lengths = _mixed_lengths(400)
    copies = [length - 2 for length in lengths] if weighted else [1] * len(lengths)
    chunks = _chunks(lengths, budget, copies if weighted else None)
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(lengths)))
    smallest = max(SMALLEST_CHUNK, budget // 8)
    for chunk in chunks:
        ordered = sorted(lengths[i] for i in chunk)
        assert len(chunk) * ordered[-1] <= budget or len(chunk) == 1
        padding, tokens = _padding(chunk, lengths, copies)
        before = chunk[:-1]  # the chunk as it was when its longest row joined
        small = sum(copies[i] for i in before) * max((lengths[i] for i in before), default=0) < smallest
        assert padding <= PADDING_SHARE * tokens or small, (ordered, padding, tokens)
    padding, tokens = map(sum, zip(*(_padding(chunk, lengths, copies) for chunk in chunks)))
    assert padding <= PADDING_SHARE * tokens


def test_rows_of_one_length_fill_the_budget_as_before():
    """No padding to save: a chunk ends only where one more row would go over the budget."""
    assert [len(chunk) for chunk in _chunks([16] * 100, 512)] == [32, 32, 32, 4]


def test_a_small_chunk_takes_longer_rows_rather_than_run_below_the_machines_rate():
    """Two rows of 10 tokens are too few for a pass of their own: rows of 40 join them until the chunk
    holds 128 tokens; then a fifth row would leave 30 % of it padding."""
    lengths = [10, 10, 40, 40, 40, 40]
    chunks = _chunks(lengths, 1024)
    assert [sorted(lengths[i] for i in chunk) for chunk in chunks] == [[10, 10, 40, 40], [40, 40]]


def test_the_chunk_is_cut_where_the_length_jumps():
    lengths = [10] * 20 + [14] * 20  # 20 rows of 10 hold 200 tokens: a 14 would pad them by 28 %
    assert [sorted({lengths[i] for i in chunk}) for chunk in _chunks(lengths, 1024)] == [[10], [14]]


def test_an_accelerators_big_budget_wants_big_passes():
    """At 16,384 tokens (an accelerator's) a chunk of 200 tokens is under an eighth of the budget: the
    rows of 14 join it rather than make two passes of it."""
    lengths = [10] * 20 + [14] * 20
    assert len(_chunks(lengths, 16384)) == 1


def test_masked_copies_weigh_a_sentence_by_the_rows_it_puts_through_the_encoder():
    """As rows, 8 sentences of 10 tokens and 8 of 12 are one small chunk; as the masked copies they stand
    for (8 each), 640 tokens of length 10 are cut from the longer ones, which would pad them by 17 %."""
    lengths = [10] * 8 + [12] * 8
    assert len(_chunks(lengths, 4096)) == 1
    assert len(_chunks(lengths, 4096, copies=[length - 2 for length in lengths])) == 2


def test_out_of_memory_halves_the_chunk_and_every_row_runs_once():
    lengths = _mixed_lengths(60, seed=1)
    sizes: list[int] = []
    ran: list[int] = []

    def run(chunk: list[int]) -> None:
        sizes.append(len(chunk))
        if len(chunk) > 4:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        ran.extend(chunk)

    in_chunks(lengths, run, "running even one row", budget=4096, device=CPU)
    first = sizes[0]
    assert first > 4 and sizes[1] == first // 2  # the first chunk, then its half
    assert sorted(ran) == list(range(len(lengths)))
    assert all(size <= 4 for size in sizes[sizes.index(next(s for s in sizes if s <= 4)):])


def test_out_of_memory_at_one_row_says_what_failed():
    def run(chunk: list[int]) -> None:
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    with pytest.raises(InputError, match=r"on cpu running even one row at a time \(12 tokens\)"):
        in_chunks([30, 12], run, "running even one row", budget=4096, device=CPU)
