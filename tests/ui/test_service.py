"""The in-process model service on its own: one worker thread, latest request wins, errors never kill it.

The same request loop (``bertui.model.loop.RequestLoop``) runs in the model process:
tests/ui/test_client.py."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from bertui.engine.results import Analysis, AnalysisRequest, Encoding, RankedCandidate
from bertui.errors import InputError, ModelLoadError
from bertui.ui.backends.thread import ModelService
from bertui.ui.messages import (
    AnalysisDone,
    AnalysisFailed,
    ModelFailed,
    ModelLoading,
    ModelReady,
    RankingDone,
    RankingFailed,
)
from tests.ui.conftest import Gate, Inbox

EMPTY = Encoding(tokens=(), input_ids=(), token_type_ids=(), attention_mask=(), offsets=(), sequence_ids=(),
                 special=(), mask_positions=())


class FakeEngine:
    info = "fake info"
    mask_token = "[MASK]"

    def __init__(self, gate: Gate | None = None) -> None:
        self.gate = gate
        self.threads: set[str] = set()
        self.seen: list[int] = []

    def go_live(self, should_stop) -> None:
        self.should_stop = should_stop

    def analyze(self, request: AnalysisRequest) -> Analysis:
        self.threads.add(threading.current_thread().name)
        self.seen.append(request.request_id)
        if self.gate and request.text_a == "slow":
            self.gate.wait()
        if request.text_a == "bad input":
            raise InputError("no mask to fill")
        if request.text_a == "crash":
            raise RuntimeError("tensor on fire\nlong traceback text")
        return Analysis(request_id=request.request_id, encoding=EMPTY)


class RankingEngine(FakeEngine):
    """A fake with a next-sentence head: ``asked`` holds analyze's ``rank`` flags, ``ranked`` rank's A."""

    info = SimpleNamespace(has_nsp_head=True)

    def __init__(self, gate: Gate | None = None) -> None:
        super().__init__(gate)
        self.asked: list[bool] = []
        self.ranked: list[str] = []

    def analyze(self, request: AnalysisRequest, *, rank: bool = True) -> Analysis:
        self.asked.append(rank)
        return super().analyze(request)

    def rank(self, first: str, candidates) -> tuple[RankedCandidate, ...]:
        self.ranked.append(first)
        if first == "rank fails":
            raise RuntimeError("nsp on fire")
        return tuple(RankedCandidate(rank=i, candidate=c, is_next=0.5, not_next=0.5, index=i - 1)
                     for i, c in enumerate(candidates, start=1))


def service_with(engine: FakeEngine, inbox: Inbox, fail: set[str] = frozenset(),
                 staged: bool = False) -> ModelService:
    def loader(spec, *, device, dtype, progress):
        progress("loading weights")
        if spec in fail:
            raise ModelLoadError(f"cannot load {spec!r}: not here")
        return engine

    return ModelService(inbox, loader=loader, device="cpu", staged=staged)


def test_a_burst_of_requests_does_not_queue():
    gate, inbox = Gate(), Inbox()
    engine = FakeEngine(gate)
    service = service_with(engine, inbox)
    service.load("fake")
    service.submit(AnalysisRequest(1, "slow"))
    assert gate.entered.wait(10)
    for request_id in range(2, 11):  # typed while the worker is busy
        service.submit(AnalysisRequest(request_id, "fast"))
    assert service.pending.request_id == 10
    gate.open()
    done = inbox.wait_for(AnalysisDone, 2)
    assert [message.analysis.request_id for message in done] == [1, 10]
    assert engine.seen == [1, 10] and engine.threads == {"bertui-model"}
    assert service.pending is None
    service.close()


def test_requests_before_the_model_is_ready_wait_for_it():
    inbox = Inbox()
    service = service_with(FakeEngine(), inbox)
    service.submit(AnalysisRequest(1, "early"))
    service.submit(AnalysisRequest(2, "earlier text replaced"))
    service.load("fake")
    assert inbox.wait_for(AnalysisDone)[0].analysis.request_id == 2
    stages = [message.stage for message in inbox.of(ModelLoading)]
    assert stages == ["starting", "loading weights"]
    assert inbox.of(ModelReady)[0].info == "fake info"
    service.close()


def test_errors_are_reported_and_the_worker_carries_on():
    inbox = Inbox()
    service = service_with(FakeEngine(), inbox, fail={"broken"})
    service.load("broken")
    assert inbox.wait_for(ModelFailed)[0].error == "cannot load 'broken': not here"
    service.load("fake")
    inbox.wait_for(ModelReady)
    service.submit(AnalysisRequest(1, "bad input"))
    assert inbox.wait_for(AnalysisFailed)[0].error == "no mask to fill"  # bertui's own: as it is
    service.submit(AnalysisRequest(2, "crash"))
    failed = inbox.wait_for(AnalysisFailed, 2)[1]
    assert (failed.request_id, failed.error) == (2, "RuntimeError: tensor on fire")
    service.submit(AnalysisRequest(3, "fine"))
    assert inbox.wait_for(AnalysisDone)[0].analysis.request_id == 3
    service.close()


def test_a_loader_that_breaks_is_reported_not_raised():
    inbox = Inbox()

    def loader(spec, **options):
        raise OSError("disk gone")

    service = ModelService(inbox, loader=loader)
    service.load("x")
    assert inbox.wait_for(ModelFailed)[0].error == "cannot load 'x': OSError: disk gone"
    service.close()


class CyclicEngine(FakeEngine):
    """An engine in a reference cycle, as a loaded transformers model is: only the collector frees it."""

    def __init__(self) -> None:
        super().__init__()
        self.myself = self


def test_the_collector_skips_a_loaded_model_and_frees_a_replaced_one():
    import gc
    import weakref

    inbox = Inbox()
    engines = {"first": CyclicEngine(), "second": CyclicEngine()}

    def loader(spec, *, device, dtype, progress):
        return engines.pop(spec)

    service = ModelService(inbox, loader=loader, device="cpu")
    try:
        gc.unfreeze()
        service.load("first")
        inbox.wait_for(ModelReady)
        assert gc.get_freeze_count() > 0  # what exists now is out of the collector's walks
        first = weakref.ref(service.server.engine)
        service.load("second")
        inbox.wait_for(ModelReady, 2)
        assert first() is None  # the replaced model was collected, not frozen for good
    finally:
        service.close()
        gc.unfreeze()


def test_a_staged_service_posts_the_masks_then_the_ranking():
    inbox, engine = Inbox(), RankingEngine()
    service = service_with(engine, inbox, staged=True)
    service.load("fake")
    service.submit(AnalysisRequest(1, "fine", candidates=("x", "y")))
    ranking = inbox.wait_for(RankingDone)[0]
    answers = [m for m in inbox.messages if isinstance(m, (AnalysisDone, RankingDone))]
    assert [type(m) for m in answers] == [AnalysisDone, RankingDone]
    assert answers[0].analysis.ranking is None and engine.asked == [False]
    assert ranking.request_id == 1 and [r.candidate for r in ranking.ranking] == ["x", "y"]
    service.submit(AnalysisRequest(2, "no candidates"))  # nothing to rank: one stage, whole
    inbox.wait_for(AnalysisDone, 2)
    assert engine.asked == [False, True] and engine.ranked == ["fine"]
    service.close()


def test_the_ranking_is_skipped_while_newer_text_waits():
    gate, inbox = Gate(), Inbox()
    engine = RankingEngine(gate)
    service = service_with(engine, inbox, staged=True)
    service.load("fake")
    service.submit(AnalysisRequest(1, "slow", candidates=("x",)))
    assert gate.entered.wait(10)
    service.submit(AnalysisRequest(2, "fast", candidates=("x",)))
    gate.open()
    assert [m.request_id for m in inbox.wait_for(RankingDone)] == [2]
    assert [m.analysis.request_id for m in inbox.of(AnalysisDone)] == [1, 2]
    assert engine.ranked == ["fast"]  # request 1's ranking was never computed
    service.close()


def test_a_ranking_that_fails_is_reported_and_the_worker_carries_on():
    inbox, engine = Inbox(), RankingEngine()
    service = service_with(engine, inbox, staged=True)
    service.load("fake")
    service.submit(AnalysisRequest(1, "rank fails", candidates=("x",)))
    failed = inbox.wait_for(RankingFailed)[0]
    assert (failed.request_id, failed.error) == (1, "RuntimeError: nsp on fire")
    assert inbox.of(AnalysisDone)[0].analysis.request_id == 1  # its masks were answered all the same
    service.submit(AnalysisRequest(2, "fine", candidates=("x",)))
    assert inbox.wait_for(RankingDone)[0].request_id == 2
    service.close()
