"""A hub model downloaded for real, over loopback (tests/loopback_hub.py, ``HF_ENDPOINT`` pointing at it):
its progress on stderr when that is a terminal and nothing in a pipe, Ctrl+C mid-file, and a download cut
mid-file resumed to the same bytes (sha256)."""

from __future__ import annotations

import hashlib
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.loopback_hub import CHUNK, REPO, LoopbackHub, build_hub_model
from tests.loopback_hub import online as hub_env

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory) -> Path:
    return build_hub_model(tmp_path_factory.mktemp("hub") / "tiny-bert")


def online(hub: LoopbackHub, home: Path) -> dict[str, str]:
    """A subprocess's environment: the loopback hub, an empty cache of its own, not offline."""
    env = dict(os.environ, PYTHONPATH=str(CHECKOUT), **hub_env(hub, home))
    env.pop("HF_HUB_OFFLINE", None)
    return env


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """(exit status, what it wrote to stderr) for a run whose stderr is a terminal (stdout a pipe)."""
    main, side = pty.openpty()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=side, stdin=subprocess.DEVNULL)
    os.close(side)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 1.0)
        if ready:
            try:
                piece = os.read(main, 65536)
            except OSError:
                break
            if not piece:
                break
            seen += piece
        elif process.poll() is not None:
            break
    process.wait(timeout=300)
    os.close(main)
    return process.returncode, seen.decode("utf-8", errors="replace")


def test_progress_is_drawn_on_a_terminal_and_not_in_a_pipe(hub_folder, tmp_path):
    command = [sys.executable, "-m", "bertui", "info", "--model", REPO]
    with LoopbackHub(hub_folder, REPO, delay=0.1) as hub:  # 10 MB/s: two pieces seen on the way
        code, stderr = on_a_terminal(command, {**online(hub, tmp_path / "first"), "COLUMNS": "150"})
        assert code == 0, stderr
        assert "downloading model.safetensors" in stderr and "MB/s" in stderr
        total = f"{(hub_folder / 'model.safetensors').stat().st_size / 1e6:.1f}"
        seen = {float(done) for done in re.findall(rf"(\d+\.\d)/{re.escape(total)} MB", stderr)}
        assert seen - {0.0, float(total)}, stderr  # bytes on the way, not only the start and the end
        piped = subprocess.run(command, env=online(hub, tmp_path / "second"), capture_output=True, text=True,
                               timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_ctrl_c_stops_cleanly_and_a_cut_download_resumes_to_the_same_bytes(hub_folder, tmp_path):
    """huggingface_hub (2.x) resumes a download its connection dropped, in the same run, from the bytes it
    has (``Range``); a download stopped by Ctrl+C leaves no partial file (its name is unique to the run),
    so the next start downloads the file again, whole."""
    weights = hub_folder / "model.safetensors"
    command = [sys.executable, "-m", "bertui", "info", "--model", REPO]
    home = tmp_path / "home"
    mishaps = [("stall", CHUNK + (1 << 20)), ("cut", CHUNK + (1 << 20))]
    with LoopbackHub(hub_folder, REPO, delay=0.01, mishaps=mishaps) as hub:
        env = online(hub, home)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        _wait_for_partial(home, CHUNK)
        process.send_signal(signal.SIGINT)  # Ctrl+C
        out, err = process.communicate(timeout=120)
        assert process.returncode == 130 and out == "" and "Traceback" not in err, err
        assert not list(home.rglob("*.incomplete")) and not list(home.rglob("snapshots/*/model.safetensors"))
        resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    ranges = [entry[2] for entry in hub.log if entry[0] == "GET" and entry[1].endswith("/model.safetensors")]
    assert ranges == [None, None, f"bytes={CHUNK}-"]  # stopped; started again; cut, and the rest asked for
    snapshots = list(home.rglob("snapshots/*/model.safetensors"))
    assert len(snapshots) == 1 and sha256(snapshots[0]) == sha256(weights)


def _wait_for_partial(home: Path, size: int) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if any(partial.stat().st_size >= size for partial in home.rglob("blobs/*.incomplete")):
            return
        time.sleep(0.1)
    raise AssertionError("no partial download appeared")


def test_the_request_loop_says_each_download_and_stops_it_when_cancelled():
    """The loop's side of Escape, without a network: a loader that downloads until told to stop."""
    import threading

    from bertui.engine.download import Download
    from bertui.model.loop import RequestLoop

    said: list[tuple] = []
    started = threading.Event()

    def loader(spec, *, device, dtype, progress):
        for done in range(0, 10**9, 1000):
            progress(Download("model.safetensors", done, 10**9, 1000.0))
            started.set()
            time.sleep(0.01)

    loop = RequestLoop(lambda kind, *args: said.append((kind, *args)), loader=loader)
    loop.load("acme/big-bert")
    serving = threading.Thread(target=loop.serve, daemon=True)
    serving.start()
    assert started.wait(30)
    loop.cancel_download()
    deadline = time.monotonic() + 30
    while not any(kind == "ModelFailed" for kind, *_ in said) and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.close()
    kinds = [kind for kind, *_ in said]
    assert (kinds[0], kinds[-1], set(kinds[1:-1])) == ("ModelLoading", "ModelFailed", {"ModelDownloading"})
    assert said[1][2] == Download("model.safetensors", 0, 10**9, 1000.0)
    assert said[-1][1:] == ("acme/big-bert", "the download of acme/big-bert was cancelled; loading it again "
                                             "starts the download again")
    assert Download("model.safetensors", 120_300_000, 440_500_000, 12_100_000).describe() == \
        "model.safetensors: 120.3 MB of 440.5 MB, 12.1 MB/s, 26 s left"
