"""Live while typing: work for text no longer on screen gives way to the newer text between its batched
passes (``Engine.should_stop`` → ``Superseded``), in the engine and through the thread backend."""

from __future__ import annotations

import pytest

from bertui.engine.budget import Budgets
from bertui.engine.results import AnalysisRequest
from bertui.errors import Superseded
from bertui.ui.backends.thread import ModelService
from bertui.ui.messages import AnalysisDone, ModelReady, RankingDone
from tests.ui.conftest import TINY, Inbox

FIRST = "the dog ate my pizza."
CANDIDATES = tuple(f"sentence number {i} is {'very ' * (i % 7)}long." for i in range(40))


@pytest.fixture
def engine(loader):
    engine = loader(TINY, device="cpu", dtype="float32", progress=lambda _stage: None)
    engine.budgets = Budgets(batch=48, live=48)  # a few rows a chunk: many chunks, live or not
    engine.token_budget = 48
    return engine


def chunks_counted(engine) -> list[int]:
    """The rows of each ranking chunk run from now on."""
    seen: list[int] = []
    run = engine._is_next_chunk

    def counted(rows):
        seen.append(len(rows))
        return run(rows)

    engine._is_next_chunk = counted
    return seen


def test_a_ranking_stops_between_chunks_when_asked_and_a_later_one_is_whole(engine):
    whole = engine.rank(FIRST, CANDIDATES)
    engine._rank_cache = None
    seen = chunks_counted(engine)
    engine.should_stop = lambda: len(seen) >= 2
    with pytest.raises(Superseded):
        engine.rank(FIRST, CANDIDATES)
    assert len(seen) == 2  # asked between chunks: the third never ran
    engine.should_stop = lambda: False
    assert engine.rank(FIRST, CANDIDATES) == whole  # nothing half-done was kept


def test_the_scorers_passes_stop_too(engine):
    engine.should_stop = lambda: True
    with pytest.raises(Superseded):
        engine.score("the old farmer walked across the muddy field before the storm.")
    with pytest.raises(Superseded):
        engine.analyze(AnalysisRequest(1, "the [MASK] sat on the [MASK].", surprisal=True), rank=False)


def test_a_ranking_in_progress_is_abandoned_when_a_newer_request_arrives(engine):
    inbox = Inbox()
    service = ModelService(inbox, loader=lambda *_a, **_k: engine, device="cpu", staged=True)
    service.load(TINY)
    inbox.wait_for(ModelReady)
    seen = chunks_counted(engine)
    first = AnalysisRequest(1, FIRST, candidates=CANDIDATES)
    newer = AnalysisRequest(2, FIRST + " then we left.", candidates=CANDIDATES)
    run = engine._is_next_chunk

    def typing_meanwhile(rows):
        if not seen:  # the first chunk of the first ranking: a key comes meanwhile
            service.submit(newer)
        return run(rows)

    engine._is_next_chunk = typing_meanwhile
    service.submit(first)
    assert [m.request_id for m in inbox.wait_for(RankingDone)] == [2]
    service.close()
    assert [m.analysis.request_id for m in inbox.messages if isinstance(m, AnalysisDone)] == [1, 2]
    assert not [m for m in inbox.messages if isinstance(m, RankingDone) and m.request_id == 1]
    ran = len(seen)
    engine._rank_cache = None
    engine.rank(newer.text_a, CANDIDATES)
    whole = len(seen) - ran
    assert whole > 2 and ran == 1 + whole  # one chunk of the stale ranking, then the newer one whole
