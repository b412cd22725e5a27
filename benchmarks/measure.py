"""Timing and memory measures: medians of interleaved runs, and a process's peak resident memory."""

from __future__ import annotations

import math
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

STATUS = Path("/proc/self/status")


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def side_by_side(ours: Callable[[], object], theirs: Callable[[], object], repeat: int,
                 warmup: int = 1) -> tuple[list[float], list[float]]:
    """Seconds per call of each, interleaved (and the first of each pair alternating), so that the
    load other work puts on a shared machine falls on both alike."""
    for _ in range(warmup):
        ours()
        theirs()
    a: list[float] = []
    b: list[float] = []
    for i in range(repeat):
        pair = ((ours, a), (theirs, b)) if i % 2 == 0 else ((theirs, b), (ours, a))
        for call, times in pair:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return a, b


def timed(call: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _status_kib(field: str, pid: int | None = None) -> int:
    status = STATUS if pid is None else Path(f"/proc/{pid}/status")
    found = re.search(rf"^{field}:\s+(\d+) kB", status.read_text(), re.M)
    return int(found.group(1)) if found else 0  # an exited process not yet waited for has no memory


def rss_mib(pid: int | None = None) -> float:
    return _status_kib("VmRSS", pid) / 1024


def peak_rss_mib(pid: int | None = None) -> float:
    """A process's (this one's by default) high-water mark of resident memory since start, or since
    ``reset_peak``."""
    return _status_kib("VmHWM", pid) / 1024


def reset_peak() -> bool:
    """Restart the high-water mark at the current RSS (Linux ≥ 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class PeakGrowth:
    """Peak resident memory above the starting point while the ``with`` body runs, in MiB.

    Large tensors are mmap'd and unmapped on free, so a body's working set shows here even after
    earlier work in the same process.
    """

    def __enter__(self) -> PeakGrowth:
        reset_peak()
        self._before = rss_mib()
        self.mib = 0.0
        return self

    def __exit__(self, *_exc) -> None:
        self.mib = max(0.0, peak_rss_mib() - self._before)
