"""The model's one worker thread: load (or reload) a model, then answer the latest request.

torch is imported only in that thread (the default loader imports the engine when it runs), so the
event loop never imports, loads or runs the model. Requests are not queued: there is one pending slot,
and a newer request replaces one that has not started, so a burst of typing costs at most one pass
beyond the one already running. Answers go back to the app as messages tagged with the request id.

A staged service answers in two stages: the masks (one encoder pass) first, then the next-sentence
ranking (a second, batched pass) only if no newer request is waiting by then. While a person types,
each answer costs one pass instead of two, and the masks never wait for a ranking that is stale.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from textual.message import Message

from bertui.engine.errors import BertuiError, first_line
from bertui.engine.results import Analysis, AnalysisRequest, ModelInfo, RankedCandidate
from bertui.ui.messages import (
    AnalysisDone,
    AnalysisFailed,
    ModelFailed,
    ModelLoading,
    ModelReady,
    RankingDone,
    RankingFailed,
)

EngineLoader = Callable[..., Any]
"""``loader(spec, device=..., dtype=..., progress=...)`` → an engine; ``Engine.load``'s signature."""

# from_pretrained is not safe in two threads at once (two loads of one folder can report the MLM head
# missing). An app has one worker, but a process may hold two apps (tests): one load at a time.
_ONE_LOAD_AT_A_TIME = threading.Lock()


class Target(Protocol):
    def post_message(self, message: Message) -> bool: ...


class ModelBackend(Protocol):
    """All the UI asks of a model, wherever it runs: answers come back to the target as messages
    (ModelLoading, ModelReady, ModelFailed, AnalysisDone, AnalysisFailed, RankingDone, RankingFailed)."""

    def load(self, spec: str) -> None: ...

    def submit(self, request: AnalysisRequest) -> None: ...

    def close(self) -> None: ...


Connect = Callable[[Target, bool], ModelBackend]
"""``connect(target, staged)``: a model backend whose answers go to ``target`` (the app makes them)."""


class Answerer(Protocol):
    """What the worker asks of an engine (bertui.engine.inference.Engine, or a test's wrapper of one)."""

    info: ModelInfo

    def analyze(self, request: AnalysisRequest, *, rank: bool = True) -> Analysis: ...

    def rank(self, first: str, candidates: Sequence[str]) -> tuple[RankedCandidate, ...]: ...


def ranked_later(request: AnalysisRequest, info: ModelInfo) -> bool:
    """Whether a staged service answers ``request``'s ranking in a second stage (RankingDone).

    Only candidates to rank with a next-sentence head cost a pass; otherwise the first answer is whole.
    """
    return bool(request.candidates) and info.has_nsp_head


def load_engine(spec: str, *, device: str, dtype: str, progress: Callable[[str], None],
                trust_remote_code: bool = False):
    """The real loader: importing the engine imports torch, so it runs in the worker thread only.

    The app passes ``trust_remote_code`` with functools.partial, so loaders keep one signature.
    torch leaves one core to the event loop, so keys are handled at once while the model runs.
    """
    from bertui.engine.inference import Engine

    return Engine.load(spec, device=device, dtype=dtype, progress=progress,
                       trust_remote_code=trust_remote_code,
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


def describe(error: Exception) -> str:
    """bertui's own errors are written for a person already; any other is shortened to a line."""
    return str(error) if isinstance(error, BertuiError) else short_error(error)


def short_error(error: Exception) -> str:
    """A person-sized line for an error that is not one of bertui's own."""
    name = type(error).__name__
    return f"{name}: {first_line(error)[:160]}" if str(error).strip() else name


class ModelService:
    def __init__(self, target: Target, *, loader: EngineLoader = load_engine, device: str = "auto",
                 dtype: str = "float32", staged: bool = False) -> None:
        """``staged``: answer the ranking apart, after the masks (see ``ranked_later``)."""
        self._target = target
        self._staged = staged
        self._loader = loader
        self._device = device
        self._dtype = dtype
        self._ready = threading.Condition()
        self._spec_to_load: str | None = None
        self._request: AnalysisRequest | None = None
        self._closed = False
        self._engine: Answerer | None = None  # touched by the worker thread only
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
        staged = self._staged and ranked_later(request, self._engine.info)
        try:
            analysis = self._engine.analyze(request, rank=False) if staged else self._engine.analyze(request)
        except Exception as error:  # noqa: BLE001 — reported; the worker serves the next request
            self._target.post_message(AnalysisFailed(request.request_id, describe(error)))
            return
        self._target.post_message(AnalysisDone(analysis))
        if not staged or self.pending is not None:
            return  # a newer request is waiting: its answer will carry the ranking of the text on screen
        try:
            ranking = self._engine.rank(request.text_a, request.candidates)
        except Exception as error:  # noqa: BLE001 — as above
            self._target.post_message(RankingFailed(request.request_id, describe(error)))
        else:
            self._target.post_message(RankingDone(request.request_id, ranking))
