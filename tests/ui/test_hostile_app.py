"""The app's share of the hostile-input battery (tests/hostile_cases.py): control characters never drawn
raw, markup shown as typed, a megabyte and a thousand candidates stay usable, every broken model says
why and the demo then answers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from textual import events
from textual.widgets import OptionList

from bertui.engine.results import AnalysisRequest
from bertui.model.loop import load_engine
from bertui.ui.text import visible
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.mask_panel import MaskPanel
from bertui.ui.widgets.model_banner import ModelBanner
from bertui.ui.widgets.sentences import MASK_SPAN, Sentences
from bertui.ui.widgets.token_grid import TokenGrid
from tests import tiny_models
from tests.hostile_cases import ESC_CODES, MARKUP
from tests.ui.conftest import calls_to, opened, screen_lines, screen_text, settle, until, wrapping

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def painted(app) -> list[str]:
    """The text of every row the screen would send to the terminal."""
    return screen_lines(app)


async def test_control_characters_and_markup_are_shown_never_sent(make_app):
    candidates = (MARKUP, ESC_CODES, "it was good .", "it was good .")
    app = make_app(text_a=f"{MARKUP} {ESC_CODES}", text_b=ESC_CODES, pair=True, candidates=candidates)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        segments = painted(app)
        assert not [text for text in segments if CONTROLS.search(text)]
        text = screen_text(app)
        assert "[bold]x[/] is [MASK] [link=https://x]y[/link]" in text  # echo, literally
        assert "After A: [bold]x[/] is [MASK]" in text
        assert visible("a\x1b[31mred") in text  # ␛[31m: shown, not obeyed
        grid = app.query_one(TokenGrid)
        assert grid.encoding.tokens[1:4] == ("[", "bold", "]")  # markup is just characters
        _request, analysis = app.main.shown
        top = analysis.masks[0].predictions[0]
        assert visible(top.token_str) in text
        assert len(analysis.ranking) == 4
        await pilot.press("ctrl+y")
        copied = json.loads(app.clipboard)
        assert copied["text_a"] == f"{MARKUP} {ESC_CODES}" and copied["text_b"] == ESC_CODES
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", app.clipboard)
        assert sorted(r["candidate"] for r in copied["nsp"]["ranking"]) == sorted(candidates)


async def test_a_model_spec_with_escapes_is_shown_not_obeyed(make_app):
    app = make_app(model="\x1b[2Jevil[bold]")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.query_one(ModelBanner).has_class("-failed"))
        assert not [text for text in painted(app) if CONTROLS.search(text)]
        assert "␛[2Jevil[bold]" in screen_text(app)


async def test_text_past_the_maximum_shows_how_much_was_cut(make_app):
    app = make_app(text_a="the dog " * 300 + "[MASK]")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        cut = app.main.shown[1].encoding.truncated
        assert cut == 603 - 128  # 600 words, the mask, [CLS] and [SEP]; the tiny model takes 128
        assert app.query_one(TokenGrid).border_subtitle == f"{cut} tokens cut at the model's max length"


async def test_a_pasted_megabyte_keeps_the_app_responsive(make_app):
    app = make_app(text_a="")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        field = app.query_one(Sentences).field_a
        field.post_message(events.Paste("the dog [MASK] " * 70_000 + "\nsecond line"))
        await until(pilot, lambda: len(field.value) > 1_000_000)
        assert "second line" not in field.value  # a one-line field takes the first line
        await settle(pilot)
        assert app.query_one(TokenGrid).encoding.truncated > 200_000
        # Drawing the field is the event loop's share of every key: it took 3.5 s when each of the 70,000
        # masks was styled. Only those near the visible part of the line are (a count, not a time).
        styled = field.highlighter(field.value).spans
        assert 0 < len(styled) <= (4 * field.size.width + 2 * MASK_SPAN) // len("[MASK]")
        for key in "abc":
            await pilot.press(key)
        await settle(pilot)
        assert app.main.shown[0].text_a.endswith("abc")


async def test_a_thousand_candidates_stay_usable(loader, make_app):
    candidates = tuple(f"candidate {i} is here ." for i in range(1000))
    load, engines = wrapping(loader, lambda request: None)
    app = make_app(engine_loader=load, text_a="the dog .", candidates=candidates)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(app.main.shown[1].ranking) == 1000
        app.query_one("#candidates").focus()
        board = app.query_one(Leaderboard)
        options = app.query_one("#candidates", OptionList)
        rows_drawn = calls_to(options, "clear_options")  # the rows are drawn again from scratch
        ranked = len(engines[-1].ranked)
        await pilot.press("down", "down", "end", "home")
        await until(pilot, lambda: options.highlighted == 0, "the cursor back home")
        # Moving through the list draws no row again and asks the model nothing.
        assert rows_drawn == [] and len(engines[-1].ranked) == ranked
        await pilot.press("x")  # delete one: everything is ranked again
        await settle(pilot)
        assert len(board.candidates) == 999 and len(app.main.shown[1].ranking) == 999


async def test_thirty_masks_and_an_empty_text(make_app):
    app = make_app(text_a=" ".join(["[mask]"] * 30))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(app.main.shown[1].masks) == 30
        assert "[MASK] 30 of 30" in "".join(app.query_one(MaskPanel).query_one("#mask-body").content.plain)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.main.shown[0].text_a == "" and not app.main.shown[1].masks
        assert "No mask to fill" in screen_text(app)


# -- broken models: each says why, then the demo answers ---------------------------------------------
def _missing(tmp: Path, bert: Path) -> Path:
    return tmp / "no-such-folder"


def _empty(tmp: Path, bert: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def _config_only(tmp: Path, bert: Path) -> Path:
    (tmp / "config-only").mkdir()
    shutil.copy(bert / "config.json", tmp / "config-only")
    return tmp / "config-only"


def _truncated(tmp: Path, bert: Path) -> Path:
    shutil.copytree(bert, tmp / "truncated")
    weights = tmp / "truncated" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4000])
    return tmp / "truncated"


def _encoder_only(tmp: Path, bert: Path) -> Path:
    return tiny_models.build_bert_encoder_only(tmp / "encoder")


def _pickle_bomb(tmp: Path, bert: Path) -> Path:
    import pickle

    shutil.copytree(bert, tmp / "bomb")
    (tmp / "bomb" / "model.safetensors").unlink()

    class Payload:
        def __reduce__(self):
            return (Path.touch, (tmp / "pwned",))

    (tmp / "bomb" / "pytorch_model.bin").write_bytes(pickle.dumps(Payload()))
    return tmp / "bomb"


BROKEN = [(_missing, "no model folder"), (_empty, "no config.json"), (_config_only, "no weights"),
          (_truncated, "cannot load"), (_encoder_only, "no masked-LM head"), (_pickle_bomb, "cannot load")]


@pytest.mark.parametrize(("build", "message"), BROKEN, ids=[build.__name__.strip("_") for build, _ in BROKEN])
async def test_a_broken_model_says_why_and_the_demo_then_answers(make_app, tmp_path, bert_dir, build,
                                                                 message):
    """The real loader; in its own process (the app's default) for the pickle bomb and the missing folder,
    in a thread for the rest: the same loading code says why, without a process start (seconds) each."""
    folder = build(tmp_path, bert_dir)
    app = make_app(model=str(folder), engine_loader=load_engine, text_a="the [MASK] .",
                   model_process=build in (_pickle_bomb, _missing))
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        banner = app.query_one(ModelBanner)
        await until(pilot, lambda: banner.has_class("-failed"))
        # The banner's own text: on screen it wraps, and may wrap at the hyphen of "masked-LM".
        assert message in app.query_one("#banner-error").content.plain
        assert "Traceback" not in screen_text(app)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.main.model.info.is_demo and app.main.shown[1].masks
        assert app.main.shown[0] == AnalysisRequest(request_id=app.main.ledger.latest_id,
                                                    text_a="the [MASK] .",
                                                top_k=5, candidates=())
    assert not (tmp_path / "pwned").exists()


async def test_a_hub_id_while_offline_and_a_missing_gpu(make_app, tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for spec, device, message in (("bert-base-uncased", "cpu", "HF_HUB_OFFLINE is set"),
                                  ("demo", "quantum", "unknown device"),
                                  *(() if torch.cuda.is_available() else
                                     (("demo", "cuda", "no CUDA GPU"),))):
        app = make_app(model=spec, engine_loader=load_engine, device=device)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: pilot.app.query_one(ModelBanner).has_class("-failed"))
            assert message in app.query_one("#banner-error").content.plain
            await pilot.press("a")  # still typing: the app is up
            assert app.query_one(Sentences).field_a.value.endswith("a")
