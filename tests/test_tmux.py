"""The real app in a real terminal: tmux runs ``bertui --model demo``, a person's keys go in one by one,
and ``capture-pane`` says what the person sees (tmux is the terminal here: its own idea of each
character's width decides where the frame's right edge lands, not Rich's).

Checked: a masked sentence typed key by key is answered (a grid row of aligned columns, the predictions
pane), each view opens, resizing 160 → 80 → 120 columns redraws whole frames, and a bracketed paste
holding an escape and emoji arrives in order, shown as ␛, with every frame still whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="no tmux")
ROOT = Path(__file__).resolve().parent.parent
LEFT, RIGHT = "│╭╰", "│╮╯"


class Terminal:
    def __init__(self, width: int, height: int, command: list[str]) -> None:
        self.socket = f"bertui-{uuid.uuid4().hex[:8]}"
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        self.tmux("new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height),
                  " ".join(command), env=environment)

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        return subprocess.run([TMUX, "-L", self.socket, "-f", os.devnull, *args], check=True, text=True,
                              capture_output=True, env=env).stdout

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", "app").split("\n")

    def until(self, condition, what: str, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            if condition("\n".join(lines)):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s; the screen:\n" + "\n".join(lines))
            time.sleep(0.2)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        for character in text:
            self.tmux("send-keys", "-t", "app", "-l", character)

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True)


def broken_frames(lines: list[str]) -> list[str]:
    """Rows that start a pane's frame at the left edge but do not end one at the right edge."""
    return [line for line in lines if line[:1] in LEFT and line.rstrip()[-1:] not in RIGHT]


@pytest.fixture
def terminal():
    terminal = Terminal(160, 50, [sys.executable, "-m", "bertui", "--model", "demo", "--no-session"])
    yield terminal
    terminal.close()


def test_typing_views_resizing_and_a_paste_in_a_real_terminal(terminal):
    terminal.until(lambda text: "ready" in text, "the demo model")
    terminal.keys("C-l")
    terminal.type("the dog ate my ")
    terminal.until(lambda text: "│ A the dog ate my " in text, "the typing")  # a person looks, then masks
    terminal.keys("C-t")
    terminal.type(" .")
    lines = terminal.until(lambda text: "of 1 · token 5" in text, "the typed sentence's predictions")
    token_row = next(line for line in lines if line.startswith("│ token "))
    assert "[CLS]  the   dog   ate   my    [MASK]  .     [SEP]" in token_row  # aligned columns
    assert not broken_frames(lines)
    for key, title in (("F3", "Attention"), ("F4", "Embeddings"), ("F5", "Sentence scores")):
        terminal.keys(key)
        lines = terminal.until(lambda text, title=title: title in text, title)
        assert not broken_frames(lines), title
        terminal.keys(key)
    for width, height in ((80, 24), (120, 36)):
        terminal.tmux("resize-window", "-t", "app", "-x", str(width), "-y", str(height))
        lines = terminal.until(lambda text, width=width: all(len(line) <= width for line in text.split("\n"))
                               and text.split("\n")[0].rstrip().endswith("╮"), f"{width} columns")
        assert not broken_frames(lines), (width, "\n".join(lines))
    terminal.keys("C-l")
    terminal.tmux("set-buffer", "abc \x1b[1mdef ghi 👍🏽 👨\u200d👩\u200d👧 end")
    terminal.tmux("paste-buffer", "-p", "-t", "app")
    lines = terminal.until(lambda text: "end" in text.split("\n")[1], "the paste")
    assert "abc ␛[1mdef ghi" in lines[1]
    assert not broken_frames(lines), "\n".join(lines)
    terminal.keys("C-l")
    terminal.type("the 👍🏽 dog 👨\u200d👩\u200d👧 ☃\ufe0f [MASK] .")  # tmux: 👍🏽 is 4 cells, Rich: 2
    for width, height in ((80, 24), (120, 36)):
        terminal.tmux("resize-window", "-t", "app", "-x", str(width), "-y", str(height))
        lines = terminal.until(lambda text, width=width: "[MASK] ." in text and text.split("\n")[0].rstrip()
                               .endswith("╮") and len(text.split("\n")[0]) == width, f"emoji at {width}")
        assert not broken_frames(lines[:3]), "\n".join(lines[:3])
