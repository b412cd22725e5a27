"""The session file: saved atomically, restored, a broken one set aside and reported, never fatal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bertui import session
from bertui.cli import main as cli_main
from bertui.session import Session
from tests.ui.conftest import until

EVERYTHING = Session(text_a="the [MASK] ate \x1b[31m [bold] 😀 caf\udce9", text_b="it was good .",
                     pair_mode=True,
                     candidates=("one", "two", "one"), top_k=7, model="demo", targets=("he", "caf\udce9"))


def _refuse(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_save_then_restore_gives_back_every_field(tmp_path):
    path = tmp_path / "state" / "bertui" / "session.json"  # folders made as needed
    session.save(path, EVERYTHING)
    restored = session.restore(path)
    assert restored.session == EVERYTHING and restored.problem is None
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]  # no temporary file left behind


def test_a_file_from_before_targets_still_loads(tmp_path):
    path = tmp_path / "session.json"
    old = EVERYTHING.to_json()
    del old["targets"]
    path.write_text(json.dumps(old))
    assert session.restore(path).session == Session(**{**EVERYTHING.__dict__, "targets": ()})


def test_the_temporary_file_is_made_beside_the_session_file(tmp_path, monkeypatch):
    """A rename across file systems is not atomic (and fails outright across devices)."""
    path = tmp_path / "state" / "session.json"
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        renames.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(session.os, "replace", replace)
    session.save(path, EVERYTHING)
    ((temporary, target),) = renames
    assert Path(temporary).parent == path.parent and Path(target) == path
    name = Path(temporary).name
    assert name.startswith(".session.json.") and name.endswith(".tmp")  # hidden, named for what it replaces


def test_no_file_is_no_session_and_no_problem(tmp_path):
    assert session.restore(tmp_path / "session.json") == session.Restored()


@pytest.mark.parametrize(("content", "why"), [
    (b"{not json", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"\xff\xfe garbage", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    (b"[]", "not a JSON object"),
    (b'{"version": 99}', "unknown version 99 (this bertui writes 1)"),
    (json.dumps({**EVERYTHING.to_json(), "top_k": "7"}).encode(), "top_k is str, not what a session holds"),
    (json.dumps({**EVERYTHING.to_json(), "top_k": True}).encode(), "top_k is bool, not what a session holds"),
    (json.dumps({**EVERYTHING.to_json(), "pair_mode": 1}).encode(),
     "pair_mode is int, not what a session holds"),
    (json.dumps({**EVERYTHING.to_json(), "model": 3}).encode(), "model is int, not what a session holds"),
    (json.dumps({**EVERYTHING.to_json(), "candidates": [1]}).encode(), "candidates must all be strings"),
    (json.dumps({**EVERYTHING.to_json(), "targets": "he"}).encode(), "targets must be a list of strings"),
    (json.dumps({**EVERYTHING.to_json(), "targets": [None]}).encode(), "targets must be a list of strings"),
    (b"", "Expecting value: line 1 column 1 (char 0)"),
])
def test_a_corrupt_file_is_set_aside_with_a_message(tmp_path, content, why):
    path = tmp_path / "session.json"
    path.write_bytes(content)
    restored = session.restore(path)
    assert restored.session is None
    assert re.fullmatch(r"session\.json\.corrupt-\d{8}-\d{6}", restored.set_aside.name)  # sorts by date
    assert restored.set_aside.parent == tmp_path
    assert restored.set_aside.read_bytes() == content  # kept, byte for byte
    assert not path.exists()
    assert restored.problem == (f"the saved session was unreadable ({why}); it is kept as "
                                f"{restored.set_aside} and this session starts afresh")


def test_a_corrupt_file_that_cannot_be_moved_aside_is_left_and_said(tmp_path, monkeypatch):
    path = tmp_path / "session.json"
    path.write_bytes(b"[]")
    monkeypatch.setattr(session.os, "replace", _refuse)
    restored = session.restore(path)
    assert restored == session.Restored(
        problem=f"the saved session {path} is unreadable (not a JSON object) and could not be moved aside "
                "(Permission denied); starting afresh")
    assert path.read_bytes() == b"[]"


def test_an_unreadable_file_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "session.json"
    path.mkdir()  # reading it fails the way a permission problem does, even as root
    restored = session.restore(path)
    assert restored == session.Restored(problem=f"cannot read the saved session {path}: Is a directory; "
                                                "starting afresh, and the file is left as it is")
    assert path.is_dir()


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_crash_mid_write_leaves_the_previous_session_whole(tmp_path, monkeypatch, failing):
    path = tmp_path / "session.json"
    session.save(path, EVERYTHING)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        monkeypatch.setattr(session.json, "dumps", lambda *a, **k: "x" * 10)  # then the disk fills up
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, *args, **kwargs):
                self._file = real_fdopen(*args, **kwargs)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._file.close()

            def write(self, data):
                self._file.write(data[:3])
                crash()

        monkeypatch.setattr(session.os, "fdopen", Full)
    else:
        monkeypatch.setattr(session.os, failing, crash)
    with pytest.raises(OSError, match="No space left"):
        session.save(path, Session(text_a="newer"))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert session.restore(path).session == EVERYTHING
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def test_the_default_file_is_in_the_users_state_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert session.default_path() == tmp_path / "bertui" / "session.json"


def test_the_session_module_needs_neither_torch_nor_textual():
    code = ("import sys, bertui.session; heavy = {'torch', 'transformers', 'textual'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the command line's options -----------------------------------------------------------------------
def started(monkeypatch, *argv: str) -> dict:
    seen = {}

    def fake_run_app(**options):
        seen.update(options)
        return 0

    import bertui.ui.app

    monkeypatch.setattr(bertui.ui.app, "run_app", fake_run_app)
    assert cli_main(list(argv)) == 0
    return seen


def test_cli_session_options(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert started(monkeypatch)["session_file"] == session.default_path()
    assert started(monkeypatch, "--no-session")["session_file"] is None
    assert started(monkeypatch, "--session",
                   str(tmp_path / "mine.json"))["session_file"] == tmp_path / "mine.json"
    plain = started(monkeypatch)
    assert plain["model"] is None and plain["top_k"] is None  # not given: the saved ones apply
    chosen = started(monkeypatch, "--model", "demo", "-k", "3")
    assert chosen["model"] == "demo" and chosen["top_k"] == 3
    with pytest.raises(SystemExit):
        cli_main(["--no-session", "--session", "x.json"])


# -- a session file that is unreadable and cannot be set aside ----------------------------------------
@pytest.mark.parametrize("blocked", ["read", "set aside"])
def test_an_unreadable_file_left_in_place_is_never_written_over(bert_dir, tmp_path, monkeypatch, blocked):
    """Not even after the app runs, the person types and quits (the app saves on every change and on exit)."""
    import asyncio

    from bertui.engine.inference import Engine
    from bertui.ui.app import build_app

    path = tmp_path / "session.json"
    path.write_bytes(b'{"version": 1, "text_a": ')  # corrupt: restore would move it aside, if it could
    with monkeypatch.context() as patched:  # the tests may run as root, whom chmod does not stop
        if blocked == "read":
            patched.setattr(Path, "read_bytes", _refuse)
        else:
            patched.setattr(session.os, "replace", _refuse)
        app = build_app(str(bert_dir), device="cpu", session_file=path, engine_loader=lambda spec, **options:
                        Engine.load(spec, device="cpu", progress=options["progress"]))

    async def use_it():
        async with app.run_test() as pilot:
            await pilot.press("x", "y", "ctrl+b", "z")
            await until(pilot, lambda: app.main.model.info is not None and app.main.results_current,
                        "the model's answer")

    asyncio.run(use_it())
    assert path.read_bytes() == b'{"version": 1, "text_a": '
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]
