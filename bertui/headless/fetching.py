"""A hub model's download on stderr while a headless command loads it: the file, bytes, rate and time left,
as a Rich bar, only when stderr is a terminal (in a pipe or a log, nothing). Ctrl+C stops the download
(the command exits 130) and the next run resumes it, as huggingface_hub resumes a partial file."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from bertui.engine.download import Download, size


class DownloadBar:
    """A ``progress`` callback for ``Engine.load``: draws downloads, ignores the stages' words."""

    def __init__(self, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, stage: str | Download) -> None:
        if not isinstance(stage, Download) or not self._enabled:
            return
        if self._bar is None:
            self._bar = _start()
        task = self._tasks.get(stage.file)
        if task is None:
            task = self._tasks[stage.file] = self._bar.add_task(stage.file, total=stage.total, rate="")
        self._bar.update(task, completed=stage.done, total=stage.total, rate=f"{size(stage.rate)}/s")

    def __enter__(self) -> DownloadBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()


def _start() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("downloading {task.description}"), BarColumn(), DownloadColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=Console(stderr=True))
    bar.start()
    return bar
