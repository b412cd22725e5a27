"""A stream's progress bar on stderr: lines, lines/s, and an ETA from the bytes read."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class ProgressBar:
    """A Rich progress bar on stderr, only when it is a TTY (and ``enabled``: rank 0 under torchrun)."""

    def __init__(self, total_bytes: int | None, enabled: bool) -> None:
        self._bar: Progress | None = None
        if not (enabled and sys.stderr.isatty()):
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.fields[lines]:,} lines"),
                             TextColumn("{task.fields[rate]:.1f} lines/s"), BarColumn(),
                             TaskProgressColumn(), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=False)
        self._task: TaskID = self._bar.add_task("stream", total=total_bytes, lines=0, rate=0.0)
        self._started = time.perf_counter()
        self._bar.start()

    def update(self, consumed: int, lines: int) -> None:
        if self._bar is not None:
            rate = lines / max(1e-9, time.perf_counter() - self._started)
            self._bar.update(self._task, completed=consumed, lines=lines, rate=rate)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
