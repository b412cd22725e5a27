"""The model's one worker thread: load (or reload) a model, then answer the latest request.

torch is imported only in that thread (the default loader imports the engine when it runs), so the
event loop never imports, loads or runs the model. Requests are not queued: there is one pending slot,
and a newer request replaces one that has not started, so a burst of typing costs at most one pass
beyond the one already running. Answers go back to the app as messages tagged with the request id.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any, Protocol

from textual.message import Message

from bertui.engine.errors import BertuiError
from bertui.engine.results import AnalysisRequest
from bertui.ui.messages import AnalysisDone, AnalysisFailed, ModelFailed, ModelLoading, ModelReady

EngineLoader = Callable[..., Any]
"""``loader(spec, device=..., dtype=..., progress=...)`` → an engine; ``Engine.load``'s signature."""

# from_pretrained is not safe in two threads at once (two loads of one folder can report the MLM head
# missing). An app has one worker, but a process may hold two apps (tests): one load at a time.
_ONE_LOAD_AT_A_TIME = threading.Lock()


class Target(Protocol):
    def post_message(self, message: Message) -> bool: ...


def load_engine(spec: str, *, device: str, dtype: str, progress: Callable[[str], None],
                trust_remote_code: bool = False):
    """The real loader: importing the engine imports torch, so it runs in the worker thread only.

    The app passes ``trust_remote_code`` with functools.partial, so loaders keep one signature.
    torch leaves one core to the event loop, so keys are handled at once while the model runs.
    """
    from bertui.engine.inference import Engine

    return Engine.load(spec, device=device, dtype=dtype, progress=progress, trust_remote_code=trust_remote_code,
                       leave_core_for_ui=True)


def keep_collector_off_long_lived_objects(*, free_replaced: bool) -> None:
    """Freeze what exists once a model is loaded, so the garbage collector stops walking it.

    With torch, transformers, a model and the app in memory, a full collection walks hundreds of
    thousands of objects while holding the GIL: measured at 0.4 s, an event-loop stall in mid-typing.
    Frozen objects are skipped by later collections (reference counting still frees them). A replaced
    model is part of a reference cycle, so after a switch one full collection frees it first, here in
    the worker while the loading banner is still up.
    """
    if free_replaced:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def short_error(error: Exception) -> str:
    """A person-sized line for an error that is not one of bertui's own."""
    text = str(error).strip().splitlines()
    detail = text[0][:160] if text else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class ModelService:
    def __init__(self, target: Target, *, loader: EngineLoader = load_engine, device: str = "auto",
                 dtype: str = "float32") -> None:
        self._target = target
        self._loader = loader
        self._device = device
        self._dtype = dtype
        self._ready = threading.Condition()
        self._spec_to_load: str | None = None
        self._request: AnalysisRequest | None = None
        self._closed = False
        self._engine = None  # touched by the worker thread only
        self._thread = threading.Thread(target=self._serve, name="bertui-model", daemon=True)

    # -- called from the event loop (never blocks on the model) --------------------------------------
    def load(self, spec: str) -> None:
        """Load ``spec`` once the current job is done; the current engine serves until it is ready."""
        with self._ready:
            self._spec_to_load = spec
            self._ready.notify()
        if not self._thread.is_alive():
            self._thread.start()

    def submit(self, request: AnalysisRequest) -> None:
        """Answer ``request`` next, replacing any request still waiting."""
        with self._ready:
            self._request = request
            self._ready.notify()

    @property
    def pending(self) -> AnalysisRequest | None:
        """The request waiting for the worker, if any (the one running is not counted)."""
        with self._ready:
            return self._request

    def close(self) -> None:
        """Stop after the current job; the thread is a daemon, so nothing waits for it."""
        with self._ready:
            self._closed = True
            self._ready.notify()

    # -- the worker thread ---------------------------------------------------------------------------
    def _serve(self) -> None:
        while True:
            with self._ready:
                while not self._closed and self._spec_to_load is None and (
                        self._request is None or self._engine is None):
                    self._ready.wait()
                if self._closed:
                    return
                spec, self._spec_to_load = self._spec_to_load, None
                request = None
                if spec is None:
                    request, self._request = self._request, None
            if spec is not None:
                self._load(spec)
            else:
                self._analyze(request)

    def _load(self, spec: str) -> None:
        def progress(stage: str) -> None:
            self._target.post_message(ModelLoading(spec, stage))

        progress("starting")
        try:
            with _ONE_LOAD_AT_A_TIME:
                engine = self._loader(spec, device=self._device, dtype=self._dtype, progress=progress)
        except BertuiError as error:
            self._target.post_message(ModelFailed(spec, str(error)))
        except Exception as error:  # noqa: BLE001 — a broken loader must not take the thread down
            self._target.post_message(ModelFailed(spec, f"cannot load {spec!r}: {short_error(error)}"))
        else:
            switched = self._engine is not None
            self._engine = engine
            keep_collector_off_long_lived_objects(free_replaced=switched)
            self._target.post_message(ModelReady(spec, engine.info))

    def _analyze(self, request: AnalysisRequest) -> None:
        try:
            analysis = self._engine.analyze(request)
        except BertuiError as error:
            self._target.post_message(AnalysisFailed(request.request_id, str(error)))
        except Exception as error:  # noqa: BLE001 — reported; the worker serves the next request
            self._target.post_message(AnalysisFailed(request.request_id, short_error(error)))
        else:
            self._target.post_message(AnalysisDone(analysis))
