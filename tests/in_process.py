"""``bertui ARGS`` through the command line's own ``main`` in the test process, its standard streams swapped.

Torch is already imported here, so a call costs the model load alone: a console-script subprocess costs
about 7 s of the suite each on 2 cores (torch's import, every time). What only a real process shows
(the console script and ``python -m bertui`` starting, signals, bytes reaching a terminal, torchrun) is
still tested in subprocesses: tests/test_cli.py, test_hostile.py, test_stream.py.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from unittest import mock


@dataclass(frozen=True)
class Done:
    """What ``subprocess.run(..., capture_output=True, text=True)`` would hand back."""

    returncode: int
    stdout: str
    stderr: str


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    """A text stream with a ``.buffer`` underneath, as sys.stdin/stdout have (JSONL is written as bytes)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", write_through=True)


def bertui(*args: str, stdin: str | bytes = "") -> Done:
    from bertui.cli import main

    out, err = _stream(), _stream()
    given = _stream(stdin if isinstance(stdin, bytes) else stdin.encode())
    with mock.patch.object(sys, "stdin", given), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code if isinstance(stop.code, int) else 1
    return Done(code, out.buffer.getvalue().decode(), err.buffer.getvalue().decode())
