"""The hostile tokenizer (tests/hostile_tokenizer.py) through every pane, view, dialog, the compare pane,
the clipboard and the exports: no control byte other than the app's own styling reaches the terminal.

The bytes checked are the ones the terminal would get: the screen's full update rendered to the escape
sequences a real driver writes (``CompositorUpdate.render_segments``, what ``App._display`` sends).
The app's own sequences are SGR styling (``ESC [ … m``), cursor moves (``ESC [ row ; col H``) and line
ends; anything else (an OSC, a BEL, a C1 byte, a stray ESC) came from outside.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from bertui.headless import export
from tests.hostile_tokenizer import SENTENCE, TYPED, build_hostile_bert
from tests.ui.conftest import settle, until

OWN = re.compile(r"\x1b\[[0-9;:]*[mH]|\r?\n")
"""The app's own sequences: styling and cursor moves."""
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
TEXT_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""In a file or the clipboard: any control but tab and newline."""


def written(app) -> str:
    """What the terminal gets for the screen on show, as a real driver writes it."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def foreign(app) -> list[str]:
    """Every control byte in the terminal's bytes that is not the app's own, with what stands around it."""
    stream = OWN.sub("", written(app))
    return [repr(stream[max(0, m.start() - 12):m.end() + 12]) for m in CONTROL.finditer(stream)]


@pytest.fixture(scope="module")
def hostile_loader(tmp_path_factory):
    folder = build_hostile_bert(tmp_path_factory.mktemp("hostile-bert"))

    def load(spec: str, *, device: str, dtype: str, progress):
        from bertui.engine.inference import Engine

        return Engine.load(str(folder), device="cpu", dtype=dtype, progress=progress)

    return load


async def _look(pilot, where: str, seen: dict[str, list[str]]) -> None:
    await settle(pilot)
    seen[where] = foreign(pilot.app)


async def test_no_byte_from_the_tokenizer_reaches_the_terminal(make_app, hostile_loader, tmp_path):
    app = make_app("hostile", engine_loader=hostile_loader, text_a=SENTENCE, text_b=SENTENCE, pair=True,
                   compare="hostile-b", top_k=30, candidates=tuple(TYPED), targets=tuple(TYPED.values()))
    seen: dict[str, list[str]] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await _look(pilot, "panes", seen)
        for key, view in (("f3", "attention"), ("f3", ""), ("f4", "embeddings"), ("f4", ""),
                          ("f5", "surprisal"), ("f6", "surprisal word-l2r"), ("f10", "layer lens"),
                          ("f12", "why strip"), ("f4", "near")):  # the last three stay open: exported too
            await pilot.press(key)
            if view:
                await _look(pilot, view, seen)
        await pilot.resize_terminal(80, 24)
        await _look(pilot, "80×24", seen)
        await pilot.resize_terminal(160, 50)
        for key, dialog in (("f2", "model card"), ("f1", "help"), ("f9", "token jump"), ("ctrl+o", "switch")):
            await pilot.press(key)
            await until(pilot, lambda: len(app.screen_stack) > 1, dialog)
            seen[dialog] = foreign(app)
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1, f"{dialog} closed")
        await pilot.press("ctrl+y")
        clipboard = app.clipboard
        shown = app.main.shown
        documents = {fmt: export.render(fmt, request=shown.request, analysis=shown.analysis,
                                        info=app.main.model.info) for fmt in ("json", "md", "csv")}
    assert not {where: found for where, found in seen.items() if found}
    assert not TEXT_CONTROL.search(clipboard)
    assert json.loads(clipboard)["text_a"] == SENTENCE
    for fmt in ("json", "md"):  # JSON escapes every control; the report shows them as the screen does
        assert not TEXT_CONTROL.search(documents[fmt]), fmt
    # A CSV is data for a spreadsheet, not text for a terminal: it keeps each token exactly as it is.
    tokens = [row["token"] for row in csv.DictReader(io.StringIO(documents["csv"]))]
    assert TYPED["hello"] in tokens and TYPED["clip"] in tokens

