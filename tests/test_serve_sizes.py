"""The served page at 80×24 and 160×50 in a real Chromium: the bytes the page's terminal receives, played
on a small screen model, make whole frames; nothing in them but the app's own sequences.

The page is told the size (its websocket's first address and every resize it sends are rewritten), so
the app draws for exactly that terminal whatever the browser window's pixels are.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from rich.cells import split_graphemes

from tests.serve_processes import free_port, listening, start, start_server, stop, wait_until
from tests.test_serve_e2e import CHROMIUM, QUIET, RECORD_TERMINAL, TOKEN, first_page
from tests.test_tmux import broken_frames

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium (apt install chromium)")

FORCE_SIZE = """
(() => {
  const [cols, rows] = [%d, %d];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, ...rest) {
      super(url.replace(/width=\\d+/, "width=" + cols).replace(/height=\\d+/, "height=" + rows), ...rest);
    }
    send(data) {
      if (typeof data === "string" && data.startsWith('["resize"')) {
        data = JSON.stringify(["resize", {width: cols, height: rows}]);
      }
      super.send(data);
    }
  };
})();
"""
SEQUENCE = re.compile(r"\x1b\[([0-9;?<>=:]*)([A-Za-z~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
                      r"|\x1b[()][A-Z0-9]|\x1b.")
OWN_FINAL = set("mHhlJKrtu")
"""CSI finals the app writes: styling, cursor moves, modes, clears, the keyboard protocol."""
OWN_OSC = "\x1b]22;"
"""The one OSC the app writes: the mouse pointer's shape."""


def play(stream: str, width: int, height: int) -> tuple[list[str], list[str]]:
    """The screen after ``stream`` (cursor moves and text; styling ignored), and every foreign sequence."""
    screen = [[" "] * width for _ in range(height)]
    row = column = 0
    foreign = []
    at = 0
    for match in SEQUENCE.finditer(stream):
        for first, last, cells in split_graphemes(stream[at:match.start()])[0]:
            text = stream[at + first:at + last]
            if text in "\r\n" or not (0 <= row < height and column < width):
                row, column = (row + 1, 0) if text == "\n" else (row, column)
                continue
            screen[row][column] = text
            column += max(cells, 1)
        at = match.end()
        if match.group(2) == "H":
            numbers = [int(n) if n else 1 for n in (match.group(1) or "1;1").split(";")]
            row, column = numbers[0] - 1, (numbers[1] if len(numbers) > 1 else 1) - 1
        elif (match.group(0).startswith("\x1b]") and not match.group(0).startswith(OWN_OSC)) or (
                match.group(2) is not None and match.group(2) not in OWN_FINAL):
            foreign.append(repr(match.group(0)))
    return ["".join(line).rstrip() for line in screen], foreign


async def drawn_at(base: str, devtools: int, width: int, height: int) -> str:
    async with first_page(devtools) as page:
        await page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_TERMINAL)
        await page.call("Page.addScriptToEvaluateOnNewDocument", source=FORCE_SIZE % (width, height))
        await page.call("Page.navigate", url=f"{base}/?token={TOKEN}")
        answered = "window.__terminalOutput && window.__terminalOutput.includes('of 1 · token')"
        await page.until(answered, 60, "the example's predictions")
        await asyncio.sleep(1)  # the frame after the answer (status line, ranking)
        output = await page.evaluate("window.__terminalOutput")
        await page.call("Page.navigate", url="about:blank")
        return output


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_the_served_page_draws_whole_frames(tmp_path, size):
    app_port, devtools_port = free_port(), free_port()
    server = start_server(tmp_path, app_port, "--token", TOKEN, cwd=tmp_path)
    browser = None
    try:
        browser = start([CHROMIUM, *QUIET, f"--user-data-dir={tmp_path / 'profile'}",
                         f"--remote-debugging-port={devtools_port}", "--remote-debugging-address=127.0.0.1",
                         "about:blank"], tmp_path / "chromium.log")
        wait_until(lambda: listening(devtools_port), 20, "Chromium's DevTools", browser)
        output = asyncio.run(drawn_at(f"http://127.0.0.1:{app_port}", devtools_port, *size))
    finally:
        for process in (browser, server):
            if process is not None:
                stop(process)
    lines, foreign = play(output, *size)
    assert not foreign
    assert lines[0].startswith("╭─ Sentence") and lines[0].endswith("╮"), "\n".join(lines)
    assert not broken_frames(lines), "\n".join(lines)
