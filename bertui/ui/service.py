"""What the UI asks of a model (``ModelBackend``), and the in-process backend: one worker thread.

The model normally runs in a child process (``bertui.ui.client``). ``ModelService`` runs the same
request loop (``bertui.serving.Server``) in a thread of the app's own process instead: for engines
that cannot be sent to another process (tests' fakes and wrappers, benchmarks' counters). torch is
imported only in that thread (the loader imports the engine when it runs), but its Python-level work
holds the GIL the event loop needs, which is why the app uses a process when it can.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from textual.message import Message

from bertui.engine.results import AnalysisRequest
from bertui.serving import EngineLoader, Server, load_engine
from bertui.ui.messages import answer


class Target(Protocol):
    def post_message(self, message: Message) -> bool: ...


class ModelBackend(Protocol):
    """All the UI asks of a model, wherever it runs: answers come back to the target as messages
    (ModelLoading, ModelReady, ModelFailed, AnalysisDone, AnalysisFailed, RankingDone, RankingFailed;
    and ModelCrashed from a backend whose process can die: such a backend also has ``restart()``)."""

    def load(self, spec: str) -> None: ...

    def submit(self, request: AnalysisRequest) -> None: ...

    def close(self) -> None: ...


Connect = Callable[[Target, bool], ModelBackend]
"""``connect(target, staged)``: a model backend whose answers go to ``target`` (the app makes them)."""


class ModelService:
    def __init__(self, target: Target, *, loader: EngineLoader = load_engine, device: str = "auto",
                 dtype: str = "float32", staged: bool = False) -> None:
        """``staged``: answer the ranking apart, after the masks (``serving.ranked_later``)."""
        self.server = Server(lambda kind, *args: target.post_message(answer(kind, args)), loader=loader,
                             device=device, dtype=dtype, staged=staged)
        self._thread = threading.Thread(target=self.server.serve, name="bertui-model", daemon=True)

    # -- called from the event loop (never blocks on the model) --------------------------------------
    def load(self, spec: str) -> None:
        """Load ``spec`` once the current job is done; the current engine serves until it is ready."""
        self.server.load(spec)
        if not self._thread.is_alive():
            self._thread.start()

    def submit(self, request: AnalysisRequest) -> None:
        """Answer ``request`` next, replacing any request still waiting."""
        self.server.submit(request)

    @property
    def pending(self) -> AnalysisRequest | None:
        """The request waiting for the worker, if any (the one running is not counted)."""
        return self.server.pending

    def close(self) -> None:
        """Stop after the current job; the thread is a daemon, so nothing waits for it."""
        self.server.close()
