"""Export… from the app: the files parse back to what the panes show, and a bad path says why."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from bertui.ui.screens.dialogs.export_file import ExportScreen
from bertui.ui.widgets.leaderboard import Leaderboard
from tests.ui.conftest import TINY_MLM_ONLY, settle, until, values_of

CANDIDATES = ("it was good .", "the sky is blue .", "my dog is big .")


def message(app) -> str:
    return app.screen.query_one("#export-message").content.plain


async def export(pilot, path: Path | str, fmt: str | None = None) -> None:
    """Open the dialog, name the file (and the format, if given) and press enter."""
    app = pilot.app
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(app.screen, ExportScreen))
    await name_file(pilot, path)
    if fmt is not None:
        app.screen.query_one("#export-format", Select).value = fmt
    app.screen.query_one("#export-path", Input).focus()
    dialog = app.screen
    said = values_of(dialog, "said")
    await pilot.press("enter")
    await until(pilot, lambda: app.screen is not dialog or said, "the file written or a word why not")


async def name_file(pilot, path: Path | str) -> None:
    """Type ``path`` into the open dialog, and wait for it to choose the format and say where it goes."""
    dialog = pilot.app.screen
    said = values_of(dialog, "said")
    dialog.query_one("#export-path", Input).value = str(path)
    name = Path(str(path).strip()).name
    await until(pilot, lambda: said and name in said[-1][0], f"the dialog to describe {path}")


async def test_every_format_holds_what_the_panes_show(make_app, tmp_path):
    app = make_app(text_a="the [MASK] ate my [MASK] .", candidates=CANDIDATES)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        request, analysis = app.main.shown
        grid = app.query_one("#grid").encoding

        await export(pilot, tmp_path / "results.json")
        assert not isinstance(app.screen, ExportScreen)
        document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
        assert document["text_a"] == "the [MASK] ate my [MASK] ."
        assert document["tokenize"]["tokens"] == list(grid.tokens)
        assert [[p["token_str"] for p in m["predictions"]] for m in document["fill"]["masks"]] == \
            [[p.token_str for p in m.predictions] for m in analysis.masks]
        assert [[p["score"] for p in m["predictions"]] for m in document["fill"]["masks"]] == \
            [[p.score for p in m.predictions] for m in analysis.masks]
        assert [r["candidate"] for r in document["nsp"]["ranking"]] == [r.candidate for r in analysis.ranking]
        assert document["info"] == app.main.model.info.to_json()

        await export(pilot, tmp_path / "tokens.csv")
        rows = list(csv.DictReader(io.StringIO((tmp_path / "tokens.csv").read_text(encoding="utf-8"))))
        assert [r["token"] for r in rows] == list(grid.tokens)
        assert [int(r["input_id"]) for r in rows] == list(grid.input_ids)
        assert [int(r["token_type_id"]) for r in rows] == list(grid.token_type_ids)

        await export(pilot, tmp_path / "board.csv", fmt="ranking.csv")
        ranked = list(csv.DictReader(io.StringIO((tmp_path / "board.csv").read_text(encoding="utf-8"))))
        board = app.query_one(Leaderboard).ranking
        assert [(int(r["rank"]), r["candidate"]) for r in ranked] == \
            sorted((entry.rank, entry.candidate) for entry in board.values())
        assert {r["candidate"]: float(r["is_next"]) for r in ranked} == \
            pytest.approx({entry.candidate: entry.is_next for entry in board.values()})

        await export(pilot, tmp_path / "report.md")
        report = (tmp_path / "report.md").read_text(encoding="utf-8")
        top = analysis.masks[1].predictions[0]
        assert f"## Predictions for the mask at token {analysis.masks[1].position}" in report
        assert f"| {top.score:.4f} |" in report
        assert request.text_a.replace("[", "\\[").replace("]", "\\]") in report


async def test_the_format_follows_the_file_name(make_app):
    app = make_app(text_a="a [MASK] .")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        chooser = app.screen.query_one("#export-format", Select)
        assert chooser.value == "json"
        for name, fmt in (("out.md", "md"), ("out.csv", "csv"), ("out.ranking.csv", "ranking.csv"),
                          ("other.csv", "ranking.csv"), ("report.markdown", "md"), ("x.JSON", "json"),
                          ("no-ending", "json")):
            await name_file(pilot, name)
            assert chooser.value == fmt, name
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportScreen)


async def test_write_errors_say_why_and_keep_the_dialog_open(make_app, tmp_path, monkeypatch):
    app = make_app(text_a="a [MASK] .")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await export(pilot, tmp_path / "missing" / "out.json")
        assert isinstance(app.screen, ExportScreen)
        assert message(app) == f"No such folder: {tmp_path / 'missing'}. Create it first, or choose another."
        assert app.screen.query_one("#export-message").has_class("-error")

        app.screen.query_one("#export-path", Input).value = str(tmp_path)
        await pilot.press("enter")
        assert message(app) == f"{tmp_path} is a folder: add a file name."

        (tmp_path / "old.json").write_text("{}")
        await name_file(pilot, tmp_path / "old.json")
        assert "exists: enter replaces it" in message(app)

        def refuse(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))

        with monkeypatch.context() as patched:  # the tests may run as root, whom chmod does not stop
            patched.setattr(Path, "write_text", refuse)
            await pilot.press("enter")
        assert message(app).startswith(f"Permission denied: cannot write {tmp_path / 'old.json'}.")
        assert (tmp_path / "old.json").read_text() == "{}"

        await pilot.press("enter")
        assert not isinstance(app.screen, ExportScreen)
        assert json.loads((tmp_path / "old.json").read_text())["text_a"] == "a [MASK] ."


async def test_no_leaderboard_without_an_nsp_head(make_app, tmp_path):
    app = make_app(TINY_MLM_ONLY, text_a="a [MASK] .", candidates=CANDIDATES)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await export(pilot, tmp_path / "board.ranking.csv")
        assert message(app) == "This model has no next-sentence head: there is no leaderboard to export."
        assert not (tmp_path / "board.ranking.csv").exists()
