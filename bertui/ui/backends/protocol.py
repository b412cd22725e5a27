"""What the UI asks of a model (``ModelBackend``), wherever the model runs, and how the app makes one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.message import Message

from bertui.engine.results import AnalysisRequest


class Target(Protocol):
    def post_message(self, message: Message) -> bool: ...


class ModelBackend(Protocol):
    """All the UI asks of a model, wherever it runs: answers come back to the target as messages
    (ModelLoading, ModelDownloading, ModelReady, ModelFailed, AnalysisDone, AnalysisFailed, RankingDone,
    RankingFailed; and ModelCrashed from a backend whose process can die: such a backend also has
    ``restart()``)."""

    def load(self, spec: str) -> None: ...

    def submit(self, request: AnalysisRequest) -> None: ...

    def cancel_download(self) -> None: ...

    def close(self) -> None: ...


Connect = Callable[[Target, bool], ModelBackend]
"""``connect(target, staged)``: a model backend whose answers go to ``target`` (the app makes them)."""
