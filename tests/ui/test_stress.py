"""A seeded burst of typing, deleting, pair-mode switches and candidate edits against a slow engine that
fails once: afterwards every pane shows exactly the answer for the final text, and nothing is left behind.

The burst is a fixed number of actions drawn from the seed (printed, and in the test's id), so a failure
replays: ``pytest tests/ui/test_stress.py -k "burst and 2"``. How the actions interleave with the
engine's answers still depends on the machine; that is what the burst is for.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from bertui.engine.results import AnalysisRequest
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.mask_panel import MaskPanel
from bertui.ui.widgets.token_grid import TokenGrid
from tests.ui.conftest import TINY, settle, until

WORDS = ("the", "dog", "[MASK]", "ate", "my", "pizza", ".", "sky", "is", "blue", "[mask]")
BURST_ACTIONS = 40  # per seed: two seeds of 40 cost what one of 80 did (about 65 s in CI), and vary more


class SlowEngine:
    """The real tiny engine behind a delay; its ``fail_at``-th analysis raises once."""

    def __init__(self, engine, delay: float, fail_at: int) -> None:
        self.engine = engine
        self.info = engine.info
        self.mask_token = engine.mask_token
        self._delay = delay
        self._fail_at = fail_at
        self.calls = 0
        self.failed = 0
        self.running = 0
        self._lock = threading.Lock()

    def go_live(self, should_stop) -> None:
        self.engine.go_live(should_stop)

    def rank(self, first, candidates):
        return self.engine.rank(first, candidates)

    def analyze(self, request: AnalysisRequest, **options):
        with self._lock:
            self.calls += 1
            self.running += 1
            call = self.calls
        try:
            assert self.running == 1, "two analyses at once"
            time.sleep(self._delay)
            if call == self._fail_at:
                self.failed += 1
                raise RuntimeError("injected failure")
            return self.engine.analyze(request, **options)
        finally:
            with self._lock:
                self.running -= 1


def same_analysis(shown, fresh) -> None:
    assert shown.encoding == fresh.encoding
    assert [m.position for m in shown.masks] == [m.position for m in fresh.masks]
    for ours, theirs in zip(shown.masks, fresh.masks):
        assert [p.token for p in ours.predictions] == [p.token for p in theirs.predictions]
        assert [p.score for p in ours.predictions] == pytest.approx([p.score for p in theirs.predictions],
                                                                    abs=1e-6)
    assert (shown.next_sentence is None) == (fresh.next_sentence is None)
    if fresh.next_sentence:
        assert shown.next_sentence.is_next == pytest.approx(fresh.next_sentence.is_next, abs=1e-6)
    assert [(r.index, r.candidate) for r in shown.ranking] == [(r.index, r.candidate) for r in fresh.ranking]


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_random_burst_ends_showing_the_final_text(loader, make_app, seed):
    engines: list[SlowEngine] = []

    def slow_loader(spec, **options):
        engines.append(SlowEngine(loader(spec, **options), delay=0.04, fail_at=5))
        return engines[-1]

    print(f"stress seed {seed}: {BURST_ACTIONS} actions")
    rng = random.Random(seed)
    app = make_app(TINY, engine_loader=slow_loader, text_a="the [MASK] .", candidates=("it was good .",))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = app.query_one(Leaderboard)
        for _ in range(BURST_ACTIONS):
            choice = rng.random()
            if board.has_class("-editing"):  # finish a candidate edit before anything else
                await pilot.press(*rng.choice([("enter",), ("escape",), ("space", "o", "k", "enter")]))
            elif choice < 0.45:
                word = rng.choice(WORDS)
                await pilot.press(*("space" if ch == " " else ch for ch in f" {word}"))
            elif choice < 0.65:
                await pilot.press(*["backspace"] * rng.randint(1, 6))
            elif choice < 0.75:
                await pilot.press("ctrl+b")
            elif choice < 0.9:
                app.query_one("#candidates").focus()
                await pilot.press(rng.choice(["a", "e", "x"]))
                if board.has_class("-editing"):
                    await pilot.press(*rng.choice(WORDS))
            else:
                app.query_one("#sentence-a").focus()
                await pilot.press("ctrl+t")
            if rng.random() < 0.1:  # now and then the engine catches up before the next action
                await until(pilot, lambda: app.main.results_current, "the answer to the text so far")
        await settle(pilot)
        final = app.main.asked()
        request, analysis = app.main.shown
        assert request == final  # the panes answer the text on screen, nothing older
        fresh = engines[-1].engine.analyze(final)
        same_analysis(analysis, fresh)
        assert app.query_one(TokenGrid).encoding == fresh.encoding
        assert app.query_one(MaskPanel).answer.masks == analysis.masks
        shown_ranking = {(index, text): entry.is_next for (index, text), entry in board.ranking.items()}
        assert shown_ranking == pytest.approx({(r.index, r.candidate): r.is_next for r in fresh.ranking})
        # The failure was injected mid-burst (shown only if its request was still the latest); it poisoned
        # nothing: later requests were answered and the status line is back to ready.
        assert engines[-1].failed == 1 and engines[-1].calls > 5
        assert app.query_one("#status-state").content.plain == "ready"
        thread = app.main.backend.thread
    thread.join(timeout=5)
    assert not thread.is_alive()  # the worker stopped with the app
    assert app.return_code in (None, 0)
