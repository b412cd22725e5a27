"""``bertui serve`` end to end: a real server on loopback, a real headless Chromium, a person's keys.

Chromium is driven over the DevTools protocol with aiohttp's websocket client (aiohttp comes with
textual-serve), so no browser-automation package is needed. textual-serve paints the terminal with
xterm.js on a canvas, whose text cannot be read back; instead a script installed before the page loads
keeps a copy of every byte the server sends to the terminal, and the test reads what the app drew after
the typing. The predictions expected are the demo model's own, computed here with the engine. The
page is refused without the server's token; ctrl+y arrives as a download; leaving the page ends the
tab's app (tests/test_serve_access.py does the rest of ``bertui serve``'s guards without a browser).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.serve_processes import apps, free_port, listening, marked, start, start_server, stop, wait_until

pytest.importorskip("textual_serve", reason="bertui serve needs textual-serve (pip install 'bertui[serve]')")
aiohttp = pytest.importorskip("aiohttp")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no headless Chromium (Debian: apt install chromium)")

TYPED = "the dog ate my [MASK] and the [MASK] ."
TOKEN = "e2e-token-0123456789abcdef"
# Whatever the page asks of the network besides the server is off.
QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
         "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-first-run",
         "--no-default-browser-check", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
         "--window-size=1400,900",
         "--disable-popup-blocking"]  # textual-serve opens a download in a new window, from a script
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


@contextlib.asynccontextmanager
async def first_page(devtools_port: int) -> AsyncIterator[DevTools]:
    """The browser's first page over DevTools, its page events enabled."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{devtools_port}/json/list") as reply:
            target = next(t for t in await reply.json() if t["type"] == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as websocket:
            page = DevTools(websocket)
            await page.call("Page.enable")
            yield page


def expected_predictions() -> list[tuple[str, str]]:
    """(word, percentage as the mask panel prints it) of each mask's first guess, by the demo model."""
    from bertui.engine.inference import Engine
    from bertui.engine.results import AnalysisRequest
    from bertui.ui.widgets.score_bar import percent

    analysis = Engine.load("demo", device="cpu").analyze(AnalysisRequest(0, TYPED))
    return [(mask.predictions[0].token_str, percent(mask.predictions[0].score)) for mask in analysis.masks]


async def drive(server, port: int, expected: list[tuple[str, str]], downloads: Path) -> str:
    base = f"http://127.0.0.1:{server.port}"
    async with first_page(port) as page:
        await page.call("Page.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
        await page.call("Emulation.setFocusEmulationEnabled", enabled=True)
        await page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_TERMINAL)
        # Without the token: refused, and no app started.
        await page.call("Page.navigate", url=base + "/")
        await page.until("document.body && document.body.innerText.includes('needs its token')", 10,
                         "the refusal")
        assert apps(server) == set()
        await page.call("Page.navigate", url=f"{base}/?token={TOKEN}")
        await page.until("document.querySelector('.xterm-screen') !== null", 10, "xterm.js on the page")
        assert await page.evaluate("location.search") == ""  # the token left the address bar
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
        # Copying waits for whole results: the ranking follows the masks once typing pauses.
        await page.until(f"{after}.lastIndexOf('ranked by IsNext') > {after}.lastIndexOf('ranking…')", 20,
                         "the typed sentence's ranking")
        shown = await page.evaluate(after)
        await page.key("y", "KeyY", 89, modifiers=2)  # ctrl+y: the results, as a download
        wait_until(lambda: (downloads / "bertui-results.json").is_file(), 20, "the download")
        started = apps(server)
        assert started
        await page.call("Page.navigate", url="about:blank")  # the tab leaves: its app ends
        wait_until(lambda: not (marked(server.mark) & started), 10, "the tab's processes gone")
        return shown


def test_typing_in_the_browser_shows_predictions(tmp_path):
    app_port, devtools_port = free_port(), free_port()
    workdir, downloads = tmp_path / "cwd", tmp_path / "downloads"
    workdir.mkdir()
    downloads.mkdir()
    server = start_server(tmp_path, app_port, "--token", TOKEN, cwd=workdir)
    server.port = app_port
    browser = None
    try:
        browser = start([CHROMIUM, *QUIET, f"--user-data-dir={tmp_path / 'profile'}",
                         f"--remote-debugging-port={devtools_port}", "--remote-debugging-address=127.0.0.1",
                         "about:blank"], tmp_path / "chromium.log")
        expected = expected_predictions()  # while the browser starts
        wait_until(lambda: listening(devtools_port), 20, "Chromium's DevTools", browser)
        shown = asyncio.run(drive(server, devtools_port, expected, downloads))
        assert "[MASK] 2" in shown
        for word, score in expected:
            assert word in shown and score in shown
        document = json.loads((downloads / "bertui-results.json").read_text(encoding="utf-8"))
        assert document["text_a"] == TYPED
        assert list(workdir.iterdir()) == []  # nothing written where the server runs
    finally:
        for process in (browser, server):
            if process is not None:
                stop(process)
    assert server.poll() is not None and browser.poll() is not None
    assert marked(server.mark) == set()
