"""A hub model downloaded by the app's model process, for real, from the loopback hub (tests/loopback_hub.py):
the banner shows the file, bytes, rate and time left, and Escape stops the download."""

from __future__ import annotations

from textual.widgets import ProgressBar

from bertui.model.loop import load_engine
from bertui.ui.widgets.model_banner import ModelBanner
from tests.loopback_hub import REPO, LoopbackHub, build_hub_model, online
from tests.ui.conftest import opened, until


async def test_the_banner_shows_the_download_and_escape_cancels_it(make_app, tmp_path_factory, monkeypatch):
    folder = build_hub_model(tmp_path_factory.mktemp("hub") / "tiny-bert")
    with LoopbackHub(folder, REPO, delay=0.4) as hub:  # 2.6 MB/s: ten seconds for the weights
        for name, value in online(hub, tmp_path_factory.mktemp("hf")).items():
            monkeypatch.setenv(name, value)  # the model process, spawned, reads them
        monkeypatch.delenv("HF_HUB_OFFLINE")
        app = make_app(model=REPO, engine_loader=load_engine)  # the real loader, in a process of its own
        async with app.run_test(size=(130, 40)) as pilot:
            await opened(pilot)
            banner = app.main.query_one(ModelBanner)
            bar = banner.query_one(ProgressBar)
            on_the_way = lambda: banner.has_class("-downloading") and 0 < bar.progress < (bar.total or 0)  # noqa: E731
            await until(pilot, on_the_way, "bytes of the weights on the way", timeout=240)
            stage = banner.query_one("#banner-stage").content.plain
            assert f"Downloading {REPO} — model.safetensors: " in stage
            total = (folder / "model.safetensors").stat().st_size / 1e6
            assert f" MB of {total:.1f} MB, " in stage and " MB/s" in stage and " s left" in stage
            assert "escape cancels" in stage
            await pilot.press("escape")
            await until(pilot, lambda: banner.has_class("-failed"), "the download cancelled", timeout=60)
            assert "was cancelled" in banner.query_one("#banner-error").content.plain
            assert app.main.model.info is None
