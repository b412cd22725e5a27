"""``bertui serve`` end to end: a real server on loopback, a real headless Chromium, a person's keys.

Chromium is driven over the DevTools protocol with aiohttp's websocket client (aiohttp comes with
textual-serve), so no browser-automation package is needed. textual-serve paints the terminal with
xterm.js on a canvas, whose text cannot be read back; instead a script installed before the page loads
keeps a copy of every byte the server sends to the terminal, and the test reads what the app drew after
the typing. The predictions expected are the demo model's own, computed here with the engine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="bertui serve needs textual-serve (pip install 'bertui[serve]')")
aiohttp = pytest.importorskip("aiohttp")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no headless Chromium (Debian: apt install chromium)")

TYPED = "the dog ate my [MASK] and the [MASK] ."
# Whatever the page asks of the network besides the server is off.
QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
         "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-first-run",
         "--no-default-browser-check", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
         "--window-size=1400,900"]
# Keeps every byte the server writes to the terminal, decoded, for the test to read.
RECORD_TERMINAL = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  window.__terminalOutput = "";
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") {
          window.__terminalOutput += decoder.decode(new Uint8Array(event.data), {stream: true});
        }
      });
    }
  };
})();
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], log: Path, **options) -> subprocess.Popen:
    """In a session of its own, so that stopping it stops everything it started; stderr to ``log``."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
                                   **options)
    process.log = log
    return process


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


def wait_until(condition, timeout: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            log = process.log.read_text(errors="replace")[-2000:]
            raise AssertionError(f"{what}: the process ended: {log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class DevTools:
    """The few DevTools protocol calls the test needs, on one page."""

    def __init__(self, websocket) -> None:
        self._websocket = websocket
        self._ids = itertools.count(1)

    async def call(self, method: str, **params):
        number = next(self._ids)
        await self._websocket.send_str(json.dumps({"id": number, "method": method, "params": params}))
        async for message in self._websocket:
            reply = json.loads(message.data)
            if reply.get("id") == number:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise AssertionError("Chromium closed the DevTools connection")

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def until(self, expression: str, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not await self.evaluate(expression):
            if time.monotonic() > deadline:
                tail = await self.evaluate("window.__terminalOutput && window.__terminalOutput.slice(-600)")
                raise AssertionError(f"{what}: not within {timeout} s; the terminal's last output: {tail!r}")
            await asyncio.sleep(0.1)

    async def key(self, key: str, code: str, key_code: int, modifiers: int = 0) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code, modifiers=modifiers,
                            windowsVirtualKeyCode=key_code, nativeVirtualKeyCode=key_code)


def expected_predictions() -> list[tuple[str, str]]:
    """(word, percentage as the mask panel prints it) of each mask's first guess, by the demo model."""
    from bertui.engine.inference import Engine
    from bertui.engine.results import AnalysisRequest
    from bertui.ui.widgets.score_bar import percent

    analysis = Engine.load("demo", device="cpu").analyze(AnalysisRequest(0, TYPED))
    return [(mask.predictions[0].token_str, percent(mask.predictions[0].score)) for mask in analysis.masks]


async def drive(page_url: str, port: int, expected: list[tuple[str, str]]) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/json/list") as reply:
            target = next(t for t in await reply.json() if t["type"] == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as websocket:
            page = DevTools(websocket)
            await page.call("Page.enable")
            await page.call("Emulation.setFocusEmulationEnabled", enabled=True)
            await page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_TERMINAL)
            await page.call("Page.navigate", url=page_url)
            await page.until("document.querySelector('.xterm-screen') !== null", 10, "xterm.js on the page")
            # The example sentence is answered once the model has loaded in the app's process.
            await page.until("window.__terminalOutput.includes('of 1 · token')", 45,
                             "the example's predictions")
            await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
            mark = await page.evaluate("window.__terminalOutput.length")
            await page.key("l", "KeyL", 76, modifiers=2)  # ctrl+l: clear the sentences
            await page.call("Input.insertText", text=TYPED)
            after = f"window.__terminalOutput.slice({mark})"
            checks = ["' of 2 · token'", *(json.dumps(text) for pair in expected for text in pair)]
            await page.until(" && ".join(f"{after}.includes({check})" for check in checks), 20,
                             "the typed sentence's predictions")
            return await page.evaluate(after)


def test_typing_in_the_browser_shows_predictions(tmp_path):
    app_port, devtools_port = free_port(), free_port()
    server = start([sys.executable, "-m", "bertui", "serve", "--model", "demo", "--device", "cpu",
                    "--port", str(app_port)], tmp_path / "serve.log",
                   env=dict(os.environ, HF_HUB_OFFLINE="1"),
                   cwd=Path(__file__).resolve().parents[1])
    browser = None
    try:
        browser = start([CHROMIUM, *QUIET, f"--user-data-dir={tmp_path / 'profile'}",
                         f"--remote-debugging-port={devtools_port}", "--remote-debugging-address=127.0.0.1",
                         "about:blank"], tmp_path / "chromium.log")
        expected = expected_predictions()  # while the server and the browser start
        wait_until(lambda: listening(app_port), 20, "bertui serve listening", server)
        wait_until(lambda: listening(devtools_port), 20, "Chromium's DevTools", browser)
        shown = asyncio.run(drive(f"http://127.0.0.1:{app_port}/", devtools_port, expected))
        assert "[MASK] 2" in shown
        for word, score in expected:
            assert word in shown and score in shown
    finally:
        for process in (browser, server):
            if process is not None:
                stop(process)
    assert server.poll() is not None and browser.poll() is not None
