"""A failure answer (AnalysisFailed, RankingFailed) of text no longer on screen is dropped as a stale
result is: the status line never says it, and the answer to the text on screen comes as usual."""

from __future__ import annotations

from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.status_line import StatusLine
from tests.ui.conftest import Gate, calls_to, settle, shown, status, values_of, wrapping
from tests.ui.test_app import retype_while_busy

BROKE = "the engine broke on the old text"


def fail_on_first(gate: Gate):
    """Hold the worker on any text with "first" in it until the gate opens, then fail."""

    def before(text: str) -> None:
        if "first" in text:
            gate.wait()
            raise RuntimeError(BROKE)

    return before


async def assert_dropped(pilot, gate: Gate) -> None:
    """Retype while the worker is held on "first [MASK]"; its failure comes, and is not shown."""
    app = pilot.app
    await settle(pilot)
    states = values_of(app.query_one(StatusLine), "state")
    failures = calls_to(app.main.ledger, "take_failure")
    await retype_while_busy(pilot, gate)
    await settle(pilot)  # the worker serves in order: the old text's failure was handled before this
    assert failures and app.main.ledger.latest_id not in [args[0] for args in failures]
    assert not [state for state in states if BROKE in str(state[0]) or state[1] == "error"]
    assert status(app) == "ready" and shown(app)[0].text_a == "second [MASK]"


async def test_an_analysis_failure_of_an_older_text_never_reaches_the_status_line(loader, make_app):
    gate = Gate()
    before = fail_on_first(gate)
    load, engines = wrapping(loader, lambda request: before(request.text_a))
    app = make_app(engine_loader=load)
    async with app.run_test() as pilot:
        await assert_dropped(pilot, gate)
        assert any("first" in text for text in engines[0].seen)  # the failing analysis did run


async def test_a_ranking_failure_of_an_older_text_never_reaches_the_status_line(loader, make_app):
    gate = Gate()
    load, engines = wrapping(loader, lambda request: None, fail_on_first(gate))
    app = make_app(engine_loader=load, candidates=("it ran .", "the sky is blue ."))
    async with app.run_test() as pilot:
        await assert_dropped(pilot, gate)
        assert any("first" in first for first in engines[0].ranked)  # the failing ranking did run
        assert "not ranked" not in app.query_one(Leaderboard).border_subtitle
