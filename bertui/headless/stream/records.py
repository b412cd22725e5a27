"""The JSONL format of a stream: what a run is asked (StreamOptions), input lines read and parsed into
Lines or error records, the header, and one record a line out."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from bertui.defaults import DEFAULT_STEPS, DEFAULT_TOP_K, DEFAULT_WINDOW
from bertui.engine.encoding import without_surrogates
from bertui.engine.results import ModelInfo
from bertui.errors import InputError
from bertui.headless.export import dumps
from bertui.headless.inside import COMMANDS as INSIDE_COMMANDS
from bertui.headless.inside import options_json
from bertui.headless.provenance import provenance

STREAM_VERSION = 1
MAX_LINE_BYTES = 1 << 20
KEYS = {"id", "text", "pair", "targets", "candidates"}

Record = dict[str, Any]
"""One output line: ``{"id", "line", "input", ...the command's keys}`` or ``{"id", "line", "error"}``."""


@dataclass(frozen=True)
class StreamOptions:
    """What every line is asked, from the command line; a JSON line's own pair/targets/candidates win."""

    command: str
    window: int = DEFAULT_WINDOW
    top_k: int = DEFAULT_TOP_K
    targets: tuple[str, ...] = ()
    beam: int = 0
    joint: bool = True
    pair: str | None = None
    candidates: tuple[str, ...] = field(default=())
    method: str = "grad-input"
    """explain: grad-input, grad-norm, ig or rollout; ``target``/``contrast``: one-piece words or None."""
    target: str | None = None
    contrast: str | None = None
    steps: int = DEFAULT_STEPS
    words: bool = False
    layer: int | None = None
    """near: the layer whose hidden state is read (None: the last)."""

    @classmethod
    def from_json(cls, command: str, document: dict[str, Any]) -> StreamOptions:
        """The options a stream's header records (``to_json``); lists become tuples, unknown keys are left."""
        known: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                                 for key, value in document.items() if key in cls.__dataclass_fields__}
        return cls(command=command, **known)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"window": self.window, "pair": self.pair}
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

    def input_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"text": self.text}
        if self.pair is not None:
            document["pair"] = self.pair
        if self.targets:
            document["targets"] = list(self.targets)
        if self.candidates:
            document["candidates"] = list(self.candidates)
        return document


def error_record(number: int, message: str, line_id: object = None) -> Record:
    return {"id": number if line_id is None else line_id, "line": number, "error": message}


def header(info: ModelInfo, options: StreamOptions) -> Record:
    return {"bertui_stream": STREAM_VERSION, "command": options.command, "options": options.to_json(),
            "provenance": provenance(info)}


def encoded(record: Record) -> bytes:
    """One record as its line of the stream."""
    return (dumps(record, indent=None) + "\n").encode("utf-8")


# -- reading ------------------------------------------------------------------------------------------
def open_input(source: str) -> tuple[BinaryIO, int | None]:
    """The input (``-``: standard input) and its size in bytes when it has one; the caller closes it."""
    if source == "-":
        return sys.stdin.buffer, None
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror or error}") from None
    return handle, os.fstat(handle.fileno()).st_size


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


def parse(number: int, raw: bytes | None, options: StreamOptions) -> Line | Record | None:
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
