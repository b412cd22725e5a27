"""Streams under torchrun: which rank this process is, and which windows of the input are its share.

Window w goes to rank w % N. Only Python objects and barriers cross the process group (gloo), never
tensors, so it runs the same on CPUs and GPUs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from bertui.headless.stream.records import read_lines

T = TypeVar("T")


@dataclass
class Ranks:
    rank: int = 0
    size: int = 1

    @classmethod
    def from_env(cls) -> Ranks:
        """torchrun's WORLD_SIZE/RANK: the process group over gloo (only objects and barriers cross it)."""
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return cls()
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("gloo")
        return cls(dist.get_rank(), dist.get_world_size())

    def device(self, asked: str) -> str:
        """Under torchrun, cuda (or auto with a GPU) means this rank's own GPU, cuda:LOCAL_RANK."""
        if self.size > 1 and asked in ("auto", "cuda"):
            import torch

            if torch.cuda.is_available():
                return f"cuda:{os.environ.get('LOCAL_RANK', '0')}"
        return asked

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value``, on every rank."""
        if self.size == 1:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.size > 1:
            import torch.distributed as dist

            dist.barrier()


def windows(handle: BinaryIO, window: int, first: int,
            ranks: Ranks) -> Iterator[tuple[int, list[tuple[int, bytes | None]]]]:
    """(bytes read, [(line number, bytes)]) for this rank's windows of lines from line ``first`` on."""
    batch: list[tuple[int, bytes | None]] = []
    consumed = 0
    for number, consumed, raw in read_lines(handle):
        if number < first:
            continue
        if (number - 1) // window % ranks.size == ranks.rank:
            batch.append((number, raw))
        if number % window == 0 and batch:
            yield consumed, batch
            batch = []
    if batch:
        yield consumed, batch
