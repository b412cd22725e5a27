"""A lone surrogate in the text (pasted from a broken source) is exported and copied, never a crash."""

from __future__ import annotations

import csv
import io
import json

from textual.widgets import Input, Select

from bertui.ui.screens.dialogs.export_file import ExportScreen
from tests.ui.conftest import settle, until, values_of
from tests.ui.test_export_dialog import name_file

BROKEN = "caf\udce9 ."


async def test_every_format_writes_text_holding_a_lone_surrogate(make_app, tmp_path):
    app = make_app(text_a="the [MASK] " + BROKEN, candidates=(BROKEN, "it was good ."))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for name, fmt in [("out.json", "json"), ("out.md", "md"), ("out.csv", "csv"),
                          ("board.csv", "ranking.csv")]:
            await pilot.press("ctrl+r")
            await until(pilot, lambda: isinstance(app.screen, ExportScreen))
            await name_file(pilot, tmp_path / name)
            app.screen.query_one("#export-format", Select).value = fmt
            app.screen.query_one("#export-path", Input).focus()
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, ExportScreen))
        document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
        assert document["text_a"] == "the [MASK] " + BROKEN
        assert "caf\\udce9 ." in (tmp_path / "out.md").read_text(encoding="utf-8")
        board = csv.DictReader(io.StringIO((tmp_path / "board.csv").read_text(encoding="utf-8")))
        assert {row["candidate"] for row in board} == {"caf\ufffd .", "it was good ."}

        await pilot.press("ctrl+y")
        await until(pilot, lambda: app.clipboard, "the copy")
        assert json.loads(app.clipboard)["text_a"] == "the [MASK] " + BROKEN


async def test_text_that_cannot_be_utf8_says_why_and_leaves_the_old_file(make_app, tmp_path):
    """Whatever a renderer returns, the dialog reports an encoding failure and writes nothing."""
    old = tmp_path / "old.json"
    old.write_text("{}")
    app = make_app(model="no-such-model")  # the dialog alone, over an app with no model
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(ExportScreen(lambda fmt: "x\udce9", name=str(old)))
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        app.screen.query_one("#export-path", Input).focus()
        said = values_of(app.screen, "said")
        await pilot.press("enter")
        await until(pilot, lambda: said, "a word from the dialog")
        assert isinstance(app.screen, ExportScreen)
        assert app.screen.query_one("#export-message").content.plain == \
            "Cannot write this as UTF-8 (character 1: surrogates not allowed)."
        assert old.read_text() == "{}"
