"""The real app in a pseudo-terminal, read as a person sees it: what it paints, and when.

Shared by the launch benchmark and scripts/measure_latency.py.
"""

from __future__ import annotations

import compileall
import os
import pty
import re
import select
import struct
import sys
import time
from pathlib import Path

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]")
ROOT = Path(__file__).resolve().parents[1]
FIRST_PAINT = b"Sentence"  # the sentence field's label: the window's frame is on screen
MODEL_READY = b"cpu float32"  # the status line names the loaded model's device and dtype


class Screen:
    """The app's output as plain text (escape sequences removed), read as it arrives."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.raw = b""

    def wait_for(self, pattern: bytes, timeout: float, since: int = 0) -> tuple[float, int]:
        """The time ``pattern`` appeared in the text after offset ``since``; and the new offset."""
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


def compiled(checkout: Path = ROOT) -> None:
    """bertui's bytecode written, as an install writes it (pip compiles a wheel's modules; a checkout's
    first run writes them), so that a timed launch reads it as Textual's is read. Where
    PYTHONDONTWRITEBYTECODE is set (this project's machines set it) every launch would otherwise compile
    bertui's modules from source again: about 50 ms before the first paint that no user pays."""
    compileall.compile_dir(str(checkout / "bertui"), quiet=1)


# The floor under any Textual app's first paint: one Static, on the same terminal, same interpreter.
BARE_TEXTUAL = ["-c", "from textual.app import App\nfrom textual.widgets import Static\n"
                      "class Bare(App):\n    def compose(self):\n        yield Static('Sentence A')\n"
                      "Bare().run()"]


class App:
    """``python -m bertui --model MODEL --device cpu`` (or ``python ARGS``) in a pty of ``columns`` ×
    ``rows``."""

    def __init__(self, model: str, columns: int = 120, rows: int = 36, args: list[str] | None = None) -> None:
        args = args or ["-m", "bertui", "--model", model, "--device", "cpu"]
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm-256color"
            os.chdir(ROOT)
            os.execv(sys.executable, [sys.executable, *args])
        import fcntl
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.screen = Screen(self.fd)

    def since_start(self, pattern: bytes, timeout: float) -> float:
        """Seconds from launch until ``pattern`` is on screen."""
        return self.screen.wait_for(pattern, timeout)[0] - self.started

    def close(self) -> None:
        os.write(self.fd, b"\x11")  # ctrl+q
        time.sleep(0.5)
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
