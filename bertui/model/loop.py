"""The model's request loop, wherever it runs: load (or reload) a model, then answer the latest request.

No Textual and no torch at import: the app's worker thread (``bertui.ui.backends.thread``) and the model
process (``bertui.model.process``) both run a ``RequestLoop``, and only its answers' way out differs.
Answers leave through ``emit(kind, *args)``, where ``kind`` names a message of ``bertui.ui.messages`` and
``args`` are its fields (frozen result dataclasses, plain values): the thread posts them as messages, the
process sends them down its pipe.

Requests are not queued: there is one pending slot, and a newer request replaces one that has not started,
so a burst of typing costs at most one pass beyond the one already running. A staged server answers in two
stages: the masks (one encoder pass) first, then the next-sentence ranking (a second, batched pass) once
no newer request has come for ``RANK_AFTER_QUIET`` (typing has paused).

Live while typing: work under way gives way to newer text. The engine asks ``should_stop`` between its
batched passes (ranking chunks, masked copies for surprisal and scores, joint beam steps) and abandons a
pass once a newer request waits (``Superseded``): a stale ranking never holds up the next key's masks. An
analysis gives way so only if the one before it was answered, so that typing faster than the model
answers still shows every other answer rather than none.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from bertui.engine.download import Download, DownloadCancelled
from bertui.engine.results import Analysis, AnalysisRequest, ModelInfo, RankedCandidate
from bertui.errors import BertuiError, Superseded, first_line

EngineLoader = Callable[..., Any]
"""``loader(spec, device=..., dtype=..., progress=...)`` → an engine; ``Engine.load``'s signature.
``progress`` is told each stage in words, and a ``Download`` while weights come from the hub."""
Emit = Callable[..., None]
"""``emit(kind, *args)``: one answer, ``kind`` the name of its message in ``bertui.ui.messages``."""

# from_pretrained is not safe in two threads at once (two loads of one folder can report the MLM head
# missing). A process may hold two servers (tests, --compare in threads): one load at a time.
_ONE_LOAD_AT_A_TIME = threading.Lock()
RANK_AFTER_QUIET = 0.15
"""Seconds without a newer request (since the one answered came) before its ranking starts: longer than
the gap between two keys of a fast typist, short beside the ranking itself."""


class Answerer(Protocol):
    """What a server asks of an engine (bertui.engine.inference.Engine, or a test's wrapper of one)."""

    info: ModelInfo

    def go_live(self, should_stop: Callable[[], bool]) -> None: ...

    def analyze(self, request: AnalysisRequest, *, rank: bool = True) -> Analysis: ...

    def rank(self, first: str, candidates: Sequence[str]) -> tuple[RankedCandidate, ...]: ...


def ranked_later(request: AnalysisRequest, info: ModelInfo) -> bool:
    """Whether a staged server answers ``request``'s ranking in a second stage (RankingDone).

    Only candidates to rank with a next-sentence head cost a pass; otherwise the first answer is whole.
    """
    return bool(request.candidates) and info.has_nsp_head


def load_engine(spec: str, *, device: str, dtype: str, progress: Callable[[str | Download], None],
                trust_remote_code: bool = False) -> Answerer:
    """The real loader: importing the engine imports torch, so it runs where the model lives only.

    The app passes ``trust_remote_code`` with functools.partial, so loaders keep one signature (and a
    partial of this module-level function can be sent to the model process).
    torch leaves one core to the event loop, so keys are handled at once while the model runs.
    """
    from bertui.engine.inference import Engine

    return Engine.load(spec, device=device, dtype=dtype, progress=progress,
                       trust_remote_code=trust_remote_code,
                       leave_core_for_ui=True)


def keep_collector_off_long_lived_objects(*, free_replaced: bool) -> None:
    """Freeze what exists once a model is loaded, so the garbage collector stops walking it.

    With torch, transformers and a model in memory, a full collection walks hundreds of thousands of
    objects while holding the GIL: measured at 0.4 s, an event-loop stall in mid-typing when the model
    shares the app's process. Frozen objects are skipped by later collections (reference counting still
    frees them). A replaced model is part of a reference cycle, so after a switch one full collection
    frees it first, while the loading banner is still up.
    """
    if free_replaced:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def error_text(error: Exception) -> str:
    """bertui's own errors are written for a person already; any other is shortened to a line."""
    if isinstance(error, BertuiError):
        return str(error)
    name = type(error).__name__
    return f"{name}: {first_line(error)[:160]}" if str(error).strip() else name


class RequestLoop:
    def __init__(self, emit: Emit, *, loader: EngineLoader = load_engine, device: str = "auto",
                 dtype: str = "float32", staged: bool = False) -> None:
        """``staged``: answer the ranking apart, after the masks (see ``ranked_later``)."""
        self._emit = emit
        self._staged = staged
        self._loader = loader
        self._device = device
        self._dtype = dtype
        self._ready = threading.Condition()
        self._spec_to_load: str | None = None
        self._request: AnalysisRequest | None = None
        self._closed = False
        self._cancel_download = threading.Event()
        self._submitted_at = 0.0
        self._may_give_way = False
        self._gave_way = False
        self.engine: Answerer | None = None
        """The engine answering; touched by the thread running ``serve`` only."""

    # -- called from any thread (never blocks on the model) ------------------------------------------
    def load(self, spec: str) -> None:
        """Load ``spec`` once the current job is done; the current engine serves until it is ready."""
        with self._ready:
            self._spec_to_load = spec
            self._ready.notify()

    def cancel_download(self) -> None:
        """Stop the hub download of the model being loaded, if one is under way (ModelFailed says so)."""
        self._cancel_download.set()

    def submit(self, request: AnalysisRequest) -> None:
        """Answer ``request`` next, replacing any request still waiting."""
        with self._ready:
            self._request = request
            self._submitted_at = time.monotonic()
            self._ready.notify()

    @property
    def pending(self) -> AnalysisRequest | None:
        """The request waiting, if any (the one running is not counted)."""
        with self._ready:
            return self._request

    def close(self) -> None:
        """``serve`` returns after the current job."""
        with self._ready:
            self._closed = True
            self._ready.notify()

    # -- the serving thread --------------------------------------------------------------------------
    def serve(self) -> None:
        """Answer until closed."""
        while True:
            with self._ready:
                while not self._closed and self._spec_to_load is None and (
                        self._request is None or self.engine is None):
                    self._ready.wait()
                if self._closed:
                    return
                spec, self._spec_to_load = self._spec_to_load, None
                request = None
                if spec is None:
                    request, self._request = self._request, None
            if spec is not None:
                self._load(spec)
            elif request is not None:
                self._analyze(request)

    def _load(self, spec: str) -> None:
        def progress(stage: str | Download) -> None:
            if not isinstance(stage, Download):
                self._emit("ModelLoading", spec, stage)
            elif self._cancel_download.is_set():
                raise DownloadCancelled  # out of huggingface_hub's download, which drops its partial file
            else:
                self._emit("ModelDownloading", spec, stage)

        self._cancel_download.clear()
        progress("starting")
        try:
            with _ONE_LOAD_AT_A_TIME:
                engine = self._loader(spec, device=self._device, dtype=self._dtype, progress=progress)
        except DownloadCancelled:
            self._emit("ModelFailed", spec, f"the download of {spec} was cancelled; loading it again starts "
                                            "the download again")
        except BertuiError as error:
            self._emit("ModelFailed", spec, str(error))
        except Exception as error:
            self._emit("ModelFailed", spec, f"cannot load {spec!r}: {error_text(error)}")
        else:
            switched = self.engine is not None
            self.engine = engine
            engine.go_live(self._newer_waiting)
            keep_collector_off_long_lived_objects(free_replaced=switched)
            self._emit("ModelReady", spec, engine.info)

    def _newer_waiting(self) -> bool:
        """The engine's ``should_stop``: a newer request waits, and the work under way may give way."""
        return self._may_give_way and self.pending is not None

    def _analyze(self, request: AnalysisRequest) -> None:
        engine = self.engine
        assert engine is not None  # serve takes a request only once an engine is ready
        staged = self._staged and ranked_later(request, engine.info)
        self._may_give_way = not self._gave_way
        try:
            analysis = engine.analyze(request, rank=False) if staged else engine.analyze(request)
        except Superseded:
            self._gave_way = True
            return
        except Exception as error:
            self._emit("AnalysisFailed", request.request_id, error_text(error))
            return
        finally:
            self._may_give_way = False
        self._gave_way = False
        self._emit("AnalysisDone", analysis)
        if not staged or not self._quiet():
            return  # a newer request is waiting: its answer will carry the ranking of the text on screen
        self._may_give_way = True
        try:
            ranking = engine.rank(request.text_a, request.candidates)
        except Superseded:
            return
        except Exception as error:
            self._emit("RankingFailed", request.request_id, error_text(error))
        else:
            self._emit("RankingDone", request.request_id, ranking)
        finally:
            self._may_give_way = False

    def _quiet(self) -> bool:
        """Wait until ``RANK_AFTER_QUIET`` has passed since the last request came; False if a newer one
        comes meanwhile (or the loop is closing)."""
        with self._ready:
            self._ready.wait_for(lambda: self._request is not None or self._closed,
                                 timeout=self._submitted_at + RANK_AFTER_QUIET - time.monotonic())
            return self._request is None and not self._closed
