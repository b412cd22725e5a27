"""How fast the real app is, measured from outside through a pseudo-terminal, as a person sees it.

    .venv/bin/python scripts/measure_latency.py [--model demo] [--keys 30] [--size 120x36]

Starts ``python -m bertui`` in a pty and reads what it paints:

* first paint: launch → the window's frame is on screen;
* model ready: launch → the status line names the loaded model;
* first answer: launch → the first analysis (the token grid's count) is on screen;
* keystroke → masks: a key that adds a token → the grid and mask panel repainted for it (median and
  90th percentile over ``--keys`` keystrokes, each after the previous answer; includes the app's
  30 ms debounce and the terminal write).
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import statistics
import struct
import sys
import time
from pathlib import Path

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]")
ROOT = Path(__file__).resolve().parents[1]


class Screen:
    """The app's output as plain text (escape sequences removed), read as it arrives."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.raw = b""

    def wait_for(self, pattern: bytes, timeout: float, since: int = 0) -> tuple[float, int]:
        """Seconds until ``pattern`` appears in the text after offset ``since``; and the new offset."""
        deadline = time.perf_counter() + timeout
        while True:
            text = ANSI.sub(b"", self.raw[since:])
            if pattern in text:
                return time.perf_counter(), len(self.raw)
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{pattern!r} did not appear in {timeout} s")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.raw += os.read(self.fd, 65536)
                except OSError:
                    raise TimeoutError("the app exited") from None


def launch(model: str, columns: int, rows: int) -> tuple[int, int, float]:
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "bertui", "--model", model, "--device", "cpu"])
    import fcntl
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return pid, fd, started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--size", default="120x36")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.split("x"))

    pid, fd, started = launch(args.model, columns, rows)
    screen = Screen(fd)
    try:
        painted, _ = screen.wait_for(b"Sentence", 30)
        ready, _ = screen.wait_for(b"cpu float32", 300)
        answered, seen = screen.wait_for(b"Tokens \xc2\xb7 ", 60)
        print(f"first paint      {1000 * (painted - started):7.0f} ms after launch")
        print(f"model ready      {1000 * (ready - started):7.0f} ms after launch")
        print(f"first answer     {1000 * (answered - started):7.0f} ms after launch")

        os.write(fd, b"\x15")  # ctrl+u: empty sentence A → [CLS] [SEP]
        _, seen = screen.wait_for(b"Tokens \xc2\xb7 2", 10, seen)
        os.write(fd, b"[MASK]")
        _, seen = screen.wait_for(b"Tokens \xc2\xb7 3", 10, seen)
        latencies = []
        for count in range(4, 4 + args.keys):
            os.write(fd, b" ")  # a space adds no token: its answer repaints nothing we wait for
            time.sleep(0.15)
            sent = time.perf_counter()
            os.write(fd, b"a")
            shown, seen = screen.wait_for(f"Tokens \u00b7 {count}".encode(), 10, seen)
            latencies.append(1000 * (shown - sent))
        latencies.sort()
        p90 = latencies[max(0, round(0.9 * len(latencies)) - 1)]
        print(f"keystroke→masks  {statistics.median(latencies):7.1f} ms median, {p90:.1f} ms p90 "
              f"(n={len(latencies)}, includes the 30 ms debounce)")
    finally:
        os.write(fd, b"\x11")  # ctrl+q
        time.sleep(0.5)
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
