"""Where a stream's records go: ``FILE.part`` renamed to ``FILE`` at the end, resumed after an interruption,
and, under torchrun, one shard per rank merged by line number."""

from __future__ import annotations

import heapq
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from bertui.errors import InputError
from bertui.headless.stream.records import Record


def part_path(target: Path, rank: int, size: int) -> Path:
    """The file a run writes before it is complete: ``FILE.part``, or a rank's shard ``FILE.partRofN``."""
    return target.with_name(f"{target.name}.part" if size == 1 else f"{target.name}.part{rank}of{size}")


def synced_close(handle: BinaryIO) -> None:
    """Flush ``handle`` to the disk and close it, so a rename after it publishes whole bytes."""
    os.fsync(handle.fileno())
    handle.close()


def resume_point(part: Path, head: Record, window: int) -> tuple[int, int]:
    """(first line to answer, error records kept) for an interrupted ``part``, cut back to the start of
    the last window it holds; InputError when it was written by another command, options or model."""
    with part.open("rb+") as handle:
        written = handle.readline()
        try:
            same = json.loads(written) == head
        except ValueError:
            raise InputError(f"cannot resume {part}: its first line is not a bertui stream header") from None
        if not same:
            raise InputError(f"cannot resume {part}: it was written with another command, options or model; "
                             "remove it, or run again without --resume")
        offset = cut = len(written)
        first, kept, in_last, seen = 1, 0, 0, False  # in_last: error records of the last window seen
        for raw in iter(handle.readline, b""):
            if not raw.endswith(b"\n"):
                break  # cut off mid-write
            record = json.loads(raw)
            start = (record["line"] - 1) // window * window + 1
            if not seen or start != first:  # a later window: the one before it is complete
                kept += in_last
                first, cut, in_last, seen = start, offset, 0, True
            in_last += "error" in record
            offset += len(raw)
        handle.truncate(cut)
    return first, kept


def finished_records(path: Path) -> Iterator[bytes]:
    """The record lines of a finished stream file, after its header."""
    with path.open("rb") as handle:
        handle.readline()
        yield from handle


def _numbered(handle: BinaryIO) -> Iterator[tuple[int, bool, bytes]]:
    """(line number, whether it is an error record, the record's bytes) for a shard's records."""
    for raw in handle:
        record = json.loads(raw)
        yield record["line"], "error" in record, raw


def merge(target: Path, size: int, to_stdout: bool) -> int:
    """Rank 0: the shards merged by line number into ``target`` (or stdout); returns the error records."""
    shards = [part_path(target, rank, size) for rank in range(size)]
    handles = [shard.open("rb") for shard in shards]
    errors = 0
    merged_part = part_path(target, 0, 1)
    sink = sys.stdout.buffer if to_stdout else merged_part.open("wb")
    try:
        sink.write(handles[0].readline())
        for other in handles[1:]:
            other.readline()
        for _, failed, raw in heapq.merge(*(_numbered(handle) for handle in handles)):
            errors += failed
            sink.write(raw)
        sink.flush()
    finally:
        for handle in handles:
            handle.close()
        if not to_stdout:
            synced_close(sink)
    if not to_stdout:
        os.replace(merged_part, target)
    for shard in shards:
        shard.unlink()
    return errors
