"""Starting ``bertui serve`` for a test, and finding every process it started, however it ended.

Each server gets a mark in its environment, which every process under it inherits (textual-serve
copies the server's environment into each tab's app): a process is the server's while its
``/proc/PID/environ`` holds the mark, even after the server is gone and it was handed to init.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

MARK = "BERTUI_TEST_SERVER"
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(command: list[str], log: Path, **options) -> subprocess.Popen:
    """In a session of its own, so that stopping it stops everything it started; stderr to ``log``."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
                                   **options)
    process.log = log
    return process


def start_server(tmp_path: Path, port: int, *options: str, cwd: Path | None = None,
                 **environment: str) -> subprocess.Popen:
    """``bertui serve`` on the demo model, marked; its log in tmp_path/serve.log."""
    mark = uuid.uuid4().hex
    server = start([sys.executable, "-m", "bertui", "serve", "--model", "demo", "--device", "cpu",
                    "--port", str(port), *options], tmp_path / "serve.log",
                   env=dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO),
                            **environment, **{MARK: mark}),
                   cwd=cwd or REPO)
    server.mark = mark
    wait_until(lambda: listening(port), 30, "bertui serve listening", server)
    return server


def stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until(condition, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` s, or at once if ``process`` ended."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            log = process.log.read_text(errors="replace")[-2000:]
            raise AssertionError(f"{what}: the process ended: {log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def marked(mark: str) -> set[int]:
    """Live (not zombie) processes whose environment holds ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as environ:
                if needle in environ.read().split(b"\0"):
                    found.add(int(entry.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def apps(server: subprocess.Popen) -> set[int]:
    """The server's processes other than itself: its tabs' apps and what they started."""
    return marked(server.mark) - {server.pid}
