"""What a third-party checkpoint cannot do: run its code without the flag, get its pickle opened when
safetensors sit beside it, or make bertui talk to the network for a local model."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket

import pytest

from bertui.cli import REMOTE_CODE_WARNING
from bertui.cli import main as cli_main
from bertui.engine import ModelLoadError
from bertui.engine.inference import Engine
from bertui.headless.documents import fill_request


@pytest.fixture
def custom_code_folder(tmp_path, bert_dir):
    """A checkpoint whose config names its own Python class; importing that code leaves a marker."""
    folder = tmp_path / "custom"
    shutil.copytree(bert_dir, folder)
    marker = tmp_path / "code-ran"
    (folder / "configuration_custom.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).touch()\n"
        "from transformers import BertConfig\n"
        "class CustomConfig(BertConfig):\n"
        "    model_type = 'custom-bert'\n")
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="custom-bert", auto_map={"AutoConfig": "configuration_custom.CustomConfig"})
    (folder / "config.json").write_text(json.dumps(config))
    return folder, marker


def test_remote_code_never_runs_without_the_flag(custom_code_folder, capsys):
    folder, marker = custom_code_folder
    with pytest.raises(ModelLoadError):
        Engine.load(str(folder), device="cpu")
    assert cli_main(["info", "-m", str(folder)]) == 1
    assert not marker.exists()
    assert REMOTE_CODE_WARNING not in capsys.readouterr().err


def test_the_flag_is_passed_down_and_warned_about(custom_code_folder, capsys):
    folder, marker = custom_code_folder
    cli_main(["info", "-m", str(folder), "--trust-remote-code"])  # loads or not: the code was allowed to run
    assert marker.exists()
    assert REMOTE_CODE_WARNING in capsys.readouterr().err


def test_safetensors_are_used_and_a_pickle_beside_them_is_never_opened(tmp_path, bert_dir):
    folder = tmp_path / "both"
    shutil.copytree(bert_dir, folder)
    (folder / "pytorch_model.bin").write_bytes(b"not a pickle at all: opening this file would fail")
    engine = Engine.load(str(folder), device="cpu")
    reference = Engine.load(str(bert_dir), device="cpu")
    text = "the [MASK] ate my pizza ."
    request = fill_request(text)
    assert engine.analyze(request).masks[0].predictions == reference.analyze(request).masks[0].predictions


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection fails loudly, with the hub reachable as far as the environment says."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network call: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_demo_and_a_local_folder_make_no_network_call(no_network, bert_dir, capsys):
    for spec in ("demo", str(bert_dir)):
        Engine.load(spec, device="cpu")
        assert cli_main(["fill", "the [MASK] .", "-m", spec]) == 0
        assert cli_main(["nsp", "the dog .", "it was good .", "-m", spec]) == 0
    capsys.readouterr()
    assert no_network == []


def test_the_app_makes_no_network_call_for_the_demo(no_network):
    from bertui.ui.app import BertuiApp
    from bertui.ui.options import Options
    from tests.ui.conftest import settle

    async def run() -> None:
        app = BertuiApp(Options(model="demo", device="cpu", text_a="the [MASK] .",
                                candidates=("it was good .",)))
        async with app.run_test() as pilot:
            await settle(pilot)
            assert app.main.shown[1].masks

    asyncio.run(run())
    assert no_network == []
