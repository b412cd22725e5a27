"""The in-process backend: the model's request loop in one worker thread of the app.

The model normally runs in a child process (``bertui.ui.backends.process``). ``ModelService`` runs the same
request loop (``bertui.model.loop.RequestLoop``) in a thread of the app's own process instead: for engines
that cannot be sent to another process (tests' fakes and wrappers, benchmarks' counters). torch is
imported only in that thread (the loader imports the engine when it runs), but its Python-level work
holds the GIL the event loop needs, which is why the app uses a process when it can.
"""

from __future__ import annotations

import threading

from bertui.engine.results import AnalysisRequest
from bertui.model.loop import EngineLoader, RequestLoop, load_engine
from bertui.ui.backends.protocol import Target
from bertui.ui.messages import answer


class ModelService:
    def __init__(self, target: Target, *, loader: EngineLoader = load_engine, device: str = "auto",
                 dtype: str = "float32", staged: bool = False) -> None:
        """``staged``: answer the ranking apart, after the masks (``bertui.model.loop.ranked_later``)."""
        def emit(kind: str, *args: object) -> None:
            target.post_message(answer(kind, args))

        self.server = RequestLoop(emit, loader=loader, device=device, dtype=dtype, staged=staged)
        self.thread = threading.Thread(target=self.server.serve, name="bertui-model", daemon=True)

    # -- called from the event loop (never blocks on the model) --------------------------------------
    def load(self, spec: str) -> None:
        """Load ``spec`` once the current job is done; the current engine serves until it is ready."""
        self.server.load(spec)
        if not self.thread.is_alive():
            self.thread.start()

    def submit(self, request: AnalysisRequest) -> None:
        """Answer ``request`` next, replacing any request still waiting."""
        self.server.submit(request)

    def cancel_download(self) -> None:
        """Stop the hub download of the model being loaded (ModelFailed says so)."""
        self.server.cancel_download()

    @property
    def pending(self) -> AnalysisRequest | None:
        """The request waiting for the worker, if any (the one running is not counted)."""
        return self.server.pending

    def close(self) -> None:
        """Stop after the current job; the thread is a daemon, so nothing waits for it."""
        self.server.close()
