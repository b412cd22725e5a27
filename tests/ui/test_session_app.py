"""The app keeps the session: what was typed survives quitting, a broken file is reported, and the command
line's own choices win over the saved ones."""

from __future__ import annotations

from bertui import session
from bertui.session import Session
from bertui.ui.app import EXAMPLE_TEXT, build_app
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.sentences import Sentences
from tests.ui.conftest import TINY, TINY_MLM_ONLY, record_notices, settle, type_text, until


async def test_what_was_typed_is_saved_and_comes_back(loader, tmp_path):
    path = tmp_path / "state" / "session.json"
    app = build_app(TINY, device="cpu", session_file=path, engine_loader=loader)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.query_one(Sentences).field_a.value == EXAMPLE_TEXT  # first launch: the example
        await pilot.press("ctrl+l")
        await type_text(pilot, "my dog [MASK]")
        await pilot.press("ctrl+b")
        await type_text(pilot, "it was good")
        app.query_one("#candidates").focus()
        await pilot.press("a")
        await type_text(pilot, "half typed")  # quit mid-edit: still kept
        app.main.top_k = 7
    saved = session.restore(path).session
    assert saved.text_a == "my dog [MASK]" and saved.text_b == "it was good" and saved.pair_mode
    assert saved.candidates[-1] == "half typed" and saved.model == TINY and saved.top_k == 7

    again = build_app(None, device="cpu", session_file=path, engine_loader=loader)
    async with again.run_test() as pilot:
        await settle(pilot)
        sentences = again.query_one(Sentences)
        assert sentences.field_a.value == "my dog [MASK]" and sentences.field_b.value == "it was good"
        assert again.main.pair_mode and again.main.top_k == 7 and again.main.model.spec == TINY
        assert again.query_one(Leaderboard).candidates[-1] == "half typed"
        assert again.main.shown[0].text_b == "it was good"


async def test_the_command_lines_model_wins_and_a_failed_model_is_not_saved(loader, tmp_path):
    path = tmp_path / "session.json"
    session.save(path, Session(text_a="kept [MASK]", model=TINY, top_k=3))
    app = build_app(TINY_MLM_ONLY, device="cpu", top_k=2, session_file=path, engine_loader=loader)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.main.model.spec == TINY_MLM_ONLY and app.main.top_k == 2
        assert app.query_one(Sentences).field_a.value == "kept [MASK]"
    assert session.restore(path).session.model == TINY_MLM_ONLY

    failing = build_app("no-such-model", device="cpu", session_file=path, engine_loader=loader)
    async with failing.run_test() as pilot:
        await until(pilot, lambda: failing.query_one("#banner").has_class("-failed"))
        await type_text(pilot, " more")
    saved = session.restore(path).session
    assert saved.model == TINY_MLM_ONLY and saved.text_a == "kept [MASK] more"


async def test_a_corrupt_session_is_set_aside_and_said(loader, tmp_path):
    path = tmp_path / "session.json"
    path.write_text('{"version": 1, "text_a": ')
    app = build_app(TINY, device="cpu", session_file=path, engine_loader=loader)
    notices = record_notices(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert any("unreadable" in n and "session.json.corrupt-" in n for n in notices)
        assert app.query_one(Sentences).field_a.value == EXAMPLE_TEXT
    aside = list(tmp_path.glob("session.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == '{"version": 1, "text_a": '
    assert session.restore(path).session is not None  # a fresh one was saved beside it


async def test_without_a_session_file_nothing_is_written(loader, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    app = build_app(TINY, device="cpu", session_file=None, engine_loader=loader)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_text(pilot, " typed")
        await settle(pilot)
    assert list(tmp_path.rglob("*")) == []


async def test_a_session_that_cannot_be_saved_is_said_once_and_the_app_goes_on(loader, tmp_path):
    import shutil

    folder = tmp_path / "state"
    app = build_app(TINY, device="cpu", session_file=folder / "session.json", engine_loader=loader)
    notices = record_notices(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        shutil.rmtree(folder, ignore_errors=True)
        folder.write_text("")  # the state folder is now a file: every save fails
        await type_text(pilot, " x")
        await until(pilot, lambda: app.session_error is not None)
        await type_text(pilot, " y")
        await settle(pilot)
        assert sum("cannot save the session" in n for n in notices) == 1
        assert app.main.shown[0].text_a.endswith(" x y")
