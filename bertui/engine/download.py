"""Download progress of a hub model, through huggingface_hub's own hook: the ``tqdm_class`` it draws each
file's bar with (``hf_hub_download``, and ``snapshot_download`` for sharded weights).

``progress_bar(report)`` makes such a class: it draws nothing, and every quarter of a second hands
``report`` a ``Download`` (the file, bytes so far, its size, the rate). ``report`` may raise
``DownloadCancelled`` to stop the download: it is a BaseException, as ``KeyboardInterrupt`` and asyncio's
``CancelledError`` are, so that no ``except Exception`` on the way (transformers', huggingface_hub's)
takes it for a failure to recover from. The part already downloaded stays in the cache as huggingface_hub
keeps it (``blobs/*.incomplete``), and the next download of that file resumes from it.

No torch here, and tqdm only when a bar is made: the app's side may import ``Download``.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REPORT_SECONDS = 0.25


@dataclass(frozen=True)
class Download:
    """How far the download of one file of a hub model is."""

    file: str
    done: int
    """Bytes of the file on disk, a resumed part included."""
    total: int | None
    """The file's size, when the hub said it."""
    rate: float
    """Bytes a second in this run."""

    @property
    def seconds_left(self) -> float | None:
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)

    def describe(self) -> str:
        """``model.safetensors: 120.3 MB of 440.5 MB, 12.1 MB/s, 27 s left`` (for a person)."""
        of = f" of {size(self.total)}" if self.total else ""
        left = self.seconds_left
        eta = f", {_duration(left)} left" if left is not None else ""
        return f"{self.file}: {size(self.done)}{of}, {size(self.rate)}/s{eta}"


class DownloadCancelled(BaseException):
    """Raised by a ``report`` to stop the download (Escape in the app); a later load resumes it."""


Report = Callable[[Download], None]


def size(count: float) -> str:
    """Bytes for a person: ``440.5 MB``."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _file_name(description: str) -> str:
    """The file a bar's description names: ``name``, ``name: reconstructing file`` (a xet file), or the
    end of its URL (``(…)org/model/resolve/main/model.safetensors``)."""
    name = description.removesuffix(": reconstructing file").rsplit("/", 1)[-1].removeprefix("(…)").strip()
    return name or "a file"


def progress_bar(report: Report) -> type[Any]:
    """A ``tqdm_class`` for huggingface_hub that reports each file's bytes to ``report``, drawing nothing."""
    from tqdm.std import tqdm

    lock = threading.Lock()  # sharded weights come in threads: one report at a time

    class Bar(tqdm):  # type: ignore[misc]  # tqdm has no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._started = time.perf_counter()
            self._first = kwargs.get("initial", 0)  # a resumed file's bytes came before this run
            super().__init__(*args, **{**kwargs, "file": io.StringIO(), "disable": False,
                                       "mininterval": REPORT_SECONDS})

        def display(self, msg: str | None = None, pos: int | None = None) -> None:
            description = self.desc or ""
            # Byte bars only (not the count of files), and not the network-bytes twin of a file's bar.
            if self.unit != "B" or "downloading bytes" in description.lower():
                return
            elapsed = time.perf_counter() - self._started
            with lock:
                report(Download(_file_name(description), int(self.n), int(self.total) if self.total else None,
                                (self.n - self._first) / elapsed if elapsed > 0 else 0.0))

    return Bar
