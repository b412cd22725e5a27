"""Streams: ``bertui tokenize|fill|score|nsp --file PATH`` answer one input per line, one record per line.

The output is JSONL: a header line (``{"bertui_stream": 1, "command", "options", "provenance"}``), then one
record per non-blank input line, in input order: ``{"id", "line", "input", ...the command's keys}``, or
``{"id", "line", "error"}`` for a line that cannot be answered. The input is read a window of lines at a
time (never whole); the engine sorts a window's lines by length and runs them in padded batches.

``--out FILE`` is written to ``FILE.part`` and renamed to ``FILE`` when the run ends, so ``FILE`` is
always complete; ``--resume`` continues a ``FILE.part`` left by an interrupted run: it drops the records
of the last window it holds (the window may be incomplete) and starts again there, so every window is
batched as an uninterrupted run batches it and the bytes come out the same.

Under torchrun, window w goes to rank w % N: each rank writes its windows to a shard, and rank 0 merges
the shards by line number after a barrier. Window by window the batches are the same as one process's,
so the merged output is byte-identical to it (same device kind and thread count).

The modules: ``records`` (the format: options, lines in, records out), ``answers`` (a window answered),
``output`` (``.part``, resume, the merge of shards), ``ranks`` (torchrun), ``progress`` (the bar).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bertui.errors import InputError
from bertui.headless.stream.answers import answer_lines
from bertui.headless.stream.output import finished_records, merge, part_path, resume_point, synced_close
from bertui.headless.stream.progress import ProgressBar
from bertui.headless.stream.ranks import Ranks, windows
from bertui.headless.stream.records import (
    DEFAULT_WINDOW,
    Record,
    StreamOptions,
    encoded,
    header,
    open_input,
    parse,
)

if TYPE_CHECKING:
    from bertui.engine.inference import Engine

__all__ = ["DEFAULT_WINDOW", "EXIT_LINES_FAILED", "Ranks", "StreamOptions", "run"]

EXIT_LINES_FAILED = 3


def run(engine: Engine, options: StreamOptions, source: str, out: Path | None, *, resume: bool,
        ranks: Ranks) -> int:
    """Answer every line of ``source``; 0 when every line was answered, else EXIT_LINES_FAILED."""
    if resume and out is None:
        raise InputError("--resume continues an --out file: give --out")
    if ranks.size > 1 and source == "-":
        raise InputError("under torchrun every rank reads the input: give --file a path, not standard input")
    head = header(engine.info, options)
    shared = ranks.broadcast(None if out is not None or ranks.rank else tempfile.mkdtemp(prefix="bertui-"))
    target = out if out is not None else Path(shared or ".") / "stream.jsonl"
    part = part_path(target, ranks.rank, ranks.size)
    if resume and out is not None and out.exists() and not part.exists() and ranks.size == 1:
        print(f"bertui: {out} is complete already: nothing to resume", file=sys.stderr)
        return EXIT_LINES_FAILED if any("error" in json.loads(raw) for raw in finished_records(out)) else 0
    resuming = resume and part.exists()
    first, errors = resume_point(part, head, options.window) if resuming else (1, 0)
    errors += _answer_all(engine, options, source, None if out is None and ranks.size == 1 else part,
                          head=None if resuming else head, first=first, ranks=ranks)
    if ranks.size > 1:
        ranks.barrier()
        if ranks.rank == 0:
            errors = merge(target, ranks.size, out is None)
        errors = ranks.broadcast(errors)
        if shared and ranks.rank == 0:
            shutil.rmtree(shared, ignore_errors=True)
    elif out is not None:
        part.replace(out)
    return EXIT_LINES_FAILED if errors else 0


def _answer_all(engine: Engine, options: StreamOptions, source: str, part: Path | None, *,
                head: Record | None, first: int, ranks: Ranks) -> int:
    """This rank's windows from line ``first`` on, answered into ``part`` (appended to; standard output
    when None), after ``head`` when one is given; returns the error records written."""
    handle, total = open_input(source)
    progress = ProgressBar(total, enabled=ranks.rank == 0)
    sink = sys.stdout.buffer if part is None else part.open("wb" if head is not None else "ab")
    errors = done = 0
    try:
        if head is not None:
            sink.write(encoded(head))
        for consumed, batch in windows(handle, options.window, first, ranks):
            parsed = [item for item in (parse(n, raw, options) for n, raw in batch) if item is not None]
            records = answer_lines(engine, options, parsed)
            sink.write(b"".join(encoded(record) for record in records))
            sink.flush()
            errors += sum("error" in record for record in records)
            done += len(batch)
            progress.update(consumed, done)
    finally:
        progress.close()
        if handle is not sys.stdin.buffer:
            handle.close()
        if part is not None:
            synced_close(sink)
    return errors
