"""Typing into the real app in tmux, read off the screen as a person sees it (issue 24).

    python -m benchmarks.tmux_typing [--shared ../shared/models] [--interval 0.1] [--checkout PATH ...]

The app runs in a tmux window of 120×36 on the bert-base-size model (benchmarks/model.py); once the model
is ready, `` It has many old museums and a river.`` is typed one key per ``--interval`` with
``tmux send-keys``, and ``capture-pane`` is polled between keys. For each word, key → the word shown as a
token in the Tokens pane (the grid follows the caret, so the newest tokens are in view): the key that
ends the word is the one whose masks the grid must show. After the last key: until no pane says
"ranking…" or "analysing…" and the leaderboard has answered (the leaderboard caught up).
Prints one JSON line. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import median, p95
from benchmarks.model import SHARED_MODELS, prepare
from benchmarks.terminal import ROOT

TYPED = " It has many old museums and a river."
SESSION = "bertui-typing-probe"
BUSY = ("ranking…", "analysing…")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def token_row(text: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith("│ token"):
            return line.strip("│ ").split()[1:]
    return []


def words(typed: str) -> list[tuple[int, str]]:
    """(index of the key that ends it, word lowercased) for each word of ``typed``."""
    found, start = [], None
    for i, char in enumerate(typed + " "):
        if char.isalnum() and start is None:
            start = i
        elif not char.isalnum() and start is not None:
            found.append((i - 1, typed[start:i].lower()))
            start = None
    return found


def wait_for(condition, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition(screen()):
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError("the app did not get there in time")


def probe(folder: str, interval: float, checkout: Path = ROOT) -> dict:
    """The app of ``checkout`` (this one by default; another, e.g. the main checkout, for a before/after)."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "HF_HUB_OFFLINE": "1", "TERM": "xterm-256color"}
    command = f"cd {checkout} && {sys.executable} -m bertui --model {folder} --device cpu --no-session"
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "36", command], env=env,
                   check=True)
    try:
        wait_for(lambda text: "cpu float32" in text and not any(b in text for b in BUSY), 600)
        tmux("send-keys", "-t", SESSION, "End")
        time.sleep(1)
        sent: list[float] = []
        seen: dict[str, float] = {}
        ends = words(TYPED)
        for i, char in enumerate(TYPED):
            sent.append(time.perf_counter())
            tmux("send-keys", "-t", SESSION, "-l", char)
            while time.perf_counter() < sent[-1] + interval:
                shown = token_row(screen())
                at = time.perf_counter()
                for index, word in ends:
                    if index <= i and word not in seen and word in shown:
                        seen[word] = at
        caught_up = wait_for(lambda text: "river" in token_row(text) and not any(b in text for b in BUSY),
                             120)
        final = token_row(screen())
        for _, word in ends:
            seen.setdefault(word, caught_up if word in final else float("nan"))
        latencies = [seen[word] - sent[index] for index, word in ends]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    return {"interval": interval, "words": [word for _, word in ends],
            "key_to_token_ms": [round(x * 1000, 1) for x in latencies],
            "median_ms": round(median(latencies) * 1000, 1), "p95_ms": round(p95(latencies) * 1000, 1),
            "last_key_to_caught_up_ms": round((caught_up - sent[-1]) * 1000, 1),
            "load": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED_MODELS)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--checkout", type=Path, action="append",
                        help="run the app of this checkout (repeat it: each in turn, one JSON line each); "
                             "default: this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bertui-bench-") as scratch:
        model = prepare(args.shared, Path(scratch))
        for checkout in args.checkout or [ROOT]:
            print(json.dumps({"checkout": str(checkout), **probe(str(model.folder), args.interval,
                                                                   checkout.resolve())}), flush=True)


if __name__ == "__main__":
    main()
