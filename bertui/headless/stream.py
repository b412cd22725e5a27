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
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from bertui.engine.encoding import without_surrogates
from bertui.errors import InputError
from bertui.headless.documents import fill_json, fill_request, nsp_json, score_json
from bertui.headless.export import dumps
from bertui.headless.inside import COMMANDS as INSIDE_COMMANDS
from bertui.headless.inside import inside_json, options_json
from bertui.headless.provenance import provenance

STREAM_VERSION = 1
MAX_LINE_BYTES = 1 << 20
DEFAULT_WINDOW = 256
EXIT_LINES_FAILED = 3
KEYS = {"id", "text", "pair", "targets", "candidates"}


@dataclass(frozen=True)
class Options:
    """What every line is asked, from the command line; a JSON line's own pair/targets/candidates win."""

    command: str
    window: int = DEFAULT_WINDOW
    top_k: int = 5
    targets: tuple[str, ...] = ()
    beam: int = 0
    joint: bool = True
    pair: str | None = None
    candidates: tuple[str, ...] = field(default=())
    method: str = "grad-input"
    """explain: grad-input, grad-norm, ig or rollout; ``target``/``contrast``: one-piece words or None."""
    target: str | None = None
    contrast: str | None = None
    steps: int = 50
    words: bool = False
    layer: int | None = None
    """near: the layer whose hidden state is read (None: the last)."""

    def to_json(self) -> dict:
        document: dict = {"window": self.window, "pair": self.pair}
        if self.command in INSIDE_COMMANDS:
            document.update(options_json(self))
        if self.command == "fill":
            document.update(top_k=self.top_k, targets=list(self.targets), beam=self.beam, joint=self.joint)
        if self.command == "nsp":
            document["candidates"] = list(self.candidates)
        return document


@dataclass(frozen=True)
class Line:
    number: int
    id: object
    text: str
    pair: str | None = None
    targets: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()

    def input_json(self) -> dict:
        document: dict = {"text": self.text}
        if self.pair is not None:
            document["pair"] = self.pair
        if self.targets:
            document["targets"] = list(self.targets)
        if self.candidates:
            document["candidates"] = list(self.candidates)
        return document


def error_record(number: int, message: str, line_id: object = None) -> dict:
    return {"id": number if line_id is None else line_id, "line": number, "error": message}


# -- reading ------------------------------------------------------------------------------------------
def read_lines(handle: BinaryIO) -> Iterator[tuple[int, int, bytes | None]]:
    """(line number, bytes read so far, the line) for every line; None for a line over MAX_LINE_BYTES,
    which is skipped in pieces, never held whole."""
    number = consumed = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        consumed += len(raw)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(MAX_LINE_BYTES)
                consumed += len(raw)
            yield number, consumed, None
        else:
            yield number, consumed, raw


def _strings(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(f'"{name}" must be a list of strings')
    return tuple(without_surrogates(item) for item in value)


def parse(number: int, raw: bytes | None, options: Options) -> Line | dict | None:
    """A Line, an error record, or None for a blank line (skipped: no record)."""
    if raw is None:
        return error_record(number, f"too long: the line is over {MAX_LINE_BYTES:,} bytes")
    text = without_surrogates(raw.decode("utf-8", errors="replace")).strip()
    if not text:
        return None
    if not text.startswith("{"):
        return Line(number, number, text, options.pair, options.targets, options.candidates)
    try:
        document = json.loads(text)
    except ValueError as error:
        return error_record(number, f"not JSON: {error}")
    line_id = document.get("id", number)
    try:
        unknown = set(document) - KEYS
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}: "
                             f"a line has {', '.join(sorted(KEYS))}")
        if isinstance(line_id, (dict, list)):
            raise InputError('"id" must be a string or a number')
        if not isinstance(document.get("text"), str) or not document["text"].strip():
            raise InputError('no text: a JSON line needs "text"')
        pair = document.get("pair", options.pair)
        if pair is not None and not isinstance(pair, str):
            raise InputError('"pair" must be a string')
        return Line(number, line_id, without_surrogates(document["text"]),
                    None if pair is None else without_surrogates(pair),
                    _strings(document["targets"], "targets") if "targets" in document else options.targets,
                    _strings(document["candidates"], "candidates") if "candidates" in document
                    else options.candidates)
    except InputError as error:
        return error_record(number, str(error), line_id)


# -- answering ----------------------------------------------------------------------------------------
def check(engine, command: str, line: Line) -> None:
    """InputError when the line cannot be answered: too long, no mask for fill, no candidates for nsp."""
    encoding = engine.encode(line.text, line.pair)
    if encoding.truncated:
        raise InputError(f"too long: {len(encoding.input_ids) + encoding.truncated} tokens, over the model's "
                         f"maximum of {engine.info.max_length}")
    if command in ("fill", "lens", "explain") and not encoding.mask_positions:
        raise InputError(f"no mask in the text: write {engine.mask_token} where a word should be predicted")
    if command in ("score", "near") and all(encoding.special):
        raise InputError("nothing to score: the text has no tokens")
    if command == "nsp" and not line.candidates:
        raise InputError('no candidates: give "candidates" in the line, or candidates on the command line')


def compute(engine, options: Options, lines: list[Line]) -> list[dict]:
    """The command's JSON for each (checked) line, batched across the lines."""
    if options.command == "tokenize":
        return [engine.encode(line.text, line.pair).to_json() for line in lines]
    if options.command in INSIDE_COMMANDS:
        return [inside_json(engine, options, line.text, line.pair, line.targets) for line in lines]
    if options.command == "fill":
        requests = [fill_request(line.text, line.pair, top_k=options.top_k, targets=line.targets,
                                 beam=options.beam, joint=options.joint) for line in lines]
        return [fill_json(engine, analysis) for analysis in engine.analyze_many(requests, rank=False)]
    if options.command == "score":
        scored = engine.score_many([(line.text, line.pair) for line in lines])
        return [score_json(line.text, line.pair, *found) for line, found in zip(lines, scored)]
    rankings = engine.rank_many([(line.text, line.candidates) for line in lines])
    return [nsp_json(line.text, ranking) for line, ranking in zip(lines, rankings)]


def answer(engine, options: Options, parsed: list[Line | dict]) -> list[dict]:
    """One record per parsed line, in order; a batch that fails on its input is answered line by line."""
    good: list[Line] = []
    for item in parsed:
        if isinstance(item, Line):
            try:
                check(engine, options.command, item)
                good.append(item)
            except InputError as error:
                parsed[parsed.index(item)] = error_record(item.number, str(error), item.id)
    try:
        results = dict(zip((line.number for line in good), compute(engine, options, good))) if good else {}
    except InputError:
        if len(good) == 1:
            raise
        return [record for item in parsed for record in answer(engine, options, [item])]
    return [item if isinstance(item, dict) else
            {"id": item.id, "line": item.number, "input": item.input_json(), **results[item.number]}
            for item in parsed]


def header(engine, options: Options) -> dict:
    return {"bertui_stream": STREAM_VERSION, "command": options.command, "options": options.to_json(),
            "provenance": provenance(engine.info)}


# -- writing and resuming -----------------------------------------------------------------------------
def _line(document: dict) -> bytes:
    return (dumps(document, indent=None) + "\n").encode("utf-8")


def resume_point(part: Path, head: dict, window: int) -> tuple[int, int]:
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


class Progress:
    """A Rich progress bar on stderr (lines, lines/s, ETA from the bytes read), only when it is a TTY."""

    def __init__(self, total_bytes: int | None, enabled: bool) -> None:
        self._bar = None
        if not (enabled and sys.stderr.isatty()):
            return
        from rich.console import Console
        from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("{task.fields[lines]:,} lines"),
                        TextColumn("{task.fields[rate]:.1f} lines/s"), BarColumn(),
                        TaskProgressColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=False)
        self._task = self._bar.add_task("stream", total=total_bytes, lines=0, rate=0.0)
        self._started = time.perf_counter()
        self._bar.start()

    def update(self, consumed: int, lines: int) -> None:
        if self._bar is not None:
            rate = lines / max(1e-9, time.perf_counter() - self._started)
            self._bar.update(self._task, completed=consumed, lines=lines, rate=rate)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


# -- the run ------------------------------------------------------------------------------------------
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

    def broadcast(self, value):
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


def options_from(args: argparse.Namespace, candidates: tuple[str, ...] = ()) -> Options:
    from bertui.defaults import DEFAULT_TOP_K

    return Options(command=args.command, window=args.window,
                   top_k=getattr(args, "top_k", None) or DEFAULT_TOP_K,
                   targets=tuple(getattr(args, "targets", ())), beam=getattr(args, "beam", 0),
                   joint=not getattr(args, "no_joint", False), pair=getattr(args, "pair", None),
                   candidates=candidates, method=getattr(args, "method", "grad-input"),
                   target=getattr(args, "target", None), contrast=getattr(args, "contrast", None),
                   steps=getattr(args, "steps", 50), words=getattr(args, "words", False),
                   layer=getattr(args, "layer", None))


def _open(source: str) -> tuple[BinaryIO, int | None]:
    if source == "-":
        return sys.stdin.buffer, None
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror or error}") from None
    return handle, os.fstat(handle.fileno()).st_size


def run(engine, options: Options, source: str, out: Path | None, *, resume: bool, ranks: Ranks) -> int:
    """Answer every line of ``source``; 0 when every line was answered, else EXIT_LINES_FAILED."""
    if resume and out is None:
        raise InputError("--resume continues an --out file: give --out")
    if ranks.size > 1 and source == "-":
        raise InputError("under torchrun every rank reads the input: give --file a path, not standard input")
    head = header(engine, options)
    shared = ranks.broadcast(None if out is not None or ranks.rank else tempfile.mkdtemp(prefix="bertui-"))
    target = out if out is not None else Path(shared or ".") / "stream.jsonl"
    part = target.with_name(f"{target.name}.part") if ranks.size == 1 else \
        target.with_name(f"{target.name}.part{ranks.rank}of{ranks.size}")
    to_stdout = out is None and ranks.size == 1
    if resume and out.exists() and not part.exists() and ranks.size == 1:
        print(f"bertui: {out} is complete already: nothing to resume", file=sys.stderr)
        return EXIT_LINES_FAILED if any("error" in json.loads(raw) for raw in _records(out)) else 0
    resuming = resume and part.exists()
    first, errors = resume_point(part, head, options.window) if resuming else (1, 0)
    handle, total = _open(source)
    progress = Progress(total, enabled=ranks.rank == 0)
    sink = sys.stdout.buffer if to_stdout else part.open("ab" if resuming else "wb")
    try:
        if not resuming:
            sink.write(_line(head))
        done = 0
        for _window, consumed, batch in _windows(handle, options.window, first, ranks):
            records = answer(engine, options, [item for item in (parse(n, raw, options) for n, raw in batch)
                                               if item is not None])
            sink.write(b"".join(_line(record) for record in records))
            sink.flush()
            errors += sum("error" in record for record in records)
            done += len(batch)
            progress.update(consumed, done)
    finally:
        progress.close()
        if handle is not sys.stdin.buffer:
            handle.close()
        if not to_stdout:
            os.fsync(sink.fileno())
            sink.close()
    if ranks.size > 1:
        ranks.barrier()
        if ranks.rank == 0:
            errors = _merge(target, ranks.size, out is None)
        errors = ranks.broadcast(errors)
        if shared and ranks.rank == 0:
            shutil.rmtree(shared, ignore_errors=True)
    elif out is not None:
        os.replace(part, out)
    return EXIT_LINES_FAILED if errors else 0


def _windows(handle: BinaryIO, window: int, first: int, ranks: Ranks):
    """(window index, bytes read, [(line number, bytes)]) for this rank's windows from line ``first`` on."""
    batch: list[tuple[int, bytes | None]] = []
    index = consumed = 0
    for number, consumed, raw in read_lines(handle):
        if number < first:
            continue
        index = (number - 1) // window
        if index % ranks.size == ranks.rank:
            batch.append((number, raw))
        if number % window == 0 and batch:
            yield index, consumed, batch
            batch = []
    if batch:
        yield index, consumed, batch


def _records(path: Path) -> Iterator[bytes]:
    """The record lines of a finished stream file, after its header."""
    with path.open("rb") as handle:
        handle.readline()
        yield from handle


def _merge(target: Path, size: int, to_stdout: bool) -> int:
    """Rank 0: the shards merged by line number into ``target`` (or stdout); returns the error records."""
    shards = [target.with_name(f"{target.name}.part{rank}of{size}") for rank in range(size)]
    handles = [shard.open("rb") for shard in shards]
    errors = 0
    merged_part = target.with_name(f"{target.name}.part")
    sink = sys.stdout.buffer if to_stdout else merged_part.open("wb")
    try:
        sink.write(handles[0].readline())
        for other in handles[1:]:
            other.readline()

        def records(handle):
            for raw in handle:
                record = json.loads(raw)
                yield record["line"], "error" in record, raw

        for _, failed, raw in heapq.merge(*(records(handle) for handle in handles)):
            errors += failed
            sink.write(raw)
        sink.flush()
    finally:
        for handle in handles:
            handle.close()
        if not to_stdout:
            os.fsync(sink.fileno())
            sink.close()
    if not to_stdout:
        os.replace(merged_part, target)
    for shard in shards:
        shard.unlink()
    return errors
