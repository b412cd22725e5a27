"""First paint as a person sees it (issue 24, item 5): launch → the sentence field's border on a real
terminal, bertui beside a bare Textual app that shows one bordered Input.

    python -m benchmarks.tmux_paint [--runs 5] [--checkout PATH]
    make bench ARGS="--only paint"

Each app starts in a fresh tmux session of 120×36 (``bertui --model demo``, and benchmarks/bare_input.py),
and ``tmux capture-pane -p`` is polled until the top-left corner of the border titled "Sentence" is on
the screen; the two are interleaved, ``--runs`` times each, and the ratio is of their medians. bertui's
bytecode is written first (``terminal.compiled``), as an install writes it. The pty
benchmark in benchmarks/launch.py reads the app's own output instead: this one also counts the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import median
from benchmarks.report import Row, ms, verdict
from benchmarks.terminal import ROOT, compiled

SESSION = "bertui-paint-probe"
BORDER = "╭─ Sentence"
GOAL = 1.5
RUNS = 5


def first_paint(command: str, checkout: Path = ROOT, timeout: float = 60) -> float:
    """Seconds from starting ``command`` in a new tmux session of 120×36 to the Sentence border shown."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "HF_HUB_OFFLINE": "1", "TERM": "xterm-256color"}
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "36",
                    f"cd {checkout} && {command}"], env=env, check=True)
    try:
        while time.perf_counter() - started < timeout:
            shown = subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True,
                                   text=True).stdout
            if BORDER in shown:
                return time.perf_counter() - started
            time.sleep(0.005)
        raise TimeoutError(f"no {BORDER!r} on the screen after {timeout} s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        time.sleep(0.3)  # let the killed app go before the next one starts


def measure(runs: int = RUNS, checkout: Path = ROOT) -> dict[str, object]:
    """``runs`` first paints of each, interleaved (bertui first), in seconds; and the load beside them."""
    bertui = f"{sys.executable} -m bertui --model demo --device cpu --no-session"
    bare = f"{sys.executable} {ROOT / 'benchmarks' / 'bare_input.py'}"
    compiled(checkout)
    first_paint(bare, checkout)  # untimed: the first start of a session reads the files from disk
    ours, floor = [], []
    for _ in range(runs):
        ours.append(first_paint(bertui, checkout))
        floor.append(first_paint(bare, checkout))
    return {"bertui_s": ours, "bare_s": floor, "ratio": median(ours) / median(floor),
            "load": os.getloadavg()}


def run(bench) -> list[Row]:
    if shutil.which("tmux") is None:
        return [Row("paint", "launch → the Sentence border in tmux: not measured, no tmux on this machine",
                    "—", "—", "—", f"≤ {GOAL}×", "—")]
    found = measure(3 if bench.quick else RUNS)
    ours, floor, ratio = found["bertui_s"], found["bare_s"], found["ratio"]
    return [Row("paint", "launch → the Sentence border on a real terminal (tmux 120×36, capture-pane "
                f"polled; `bertui --model demo`, n={len(ours)} interleaved; load {found['load'][0]:.1f}) "
                "beside a bare Textual app with one bordered Input", ms(median(ours)),
                ms(median(floor)) + " (Textual + one Input)", f"{ratio:.2f}×", f"≤ {GOAL}×",
                verdict(ratio <= GOAL, f"{ratio:.2f}×"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--checkout", type=Path, action="append",
                        help="the app of this checkout (repeat it: each in turn, one JSON line each); "
                             "default: this one")
    args = parser.parse_args()
    for checkout in args.checkout or [ROOT]:
        found = measure(args.runs, checkout.resolve())
        print(json.dumps({"checkout": str(checkout), **found}), flush=True)


if __name__ == "__main__":
    main()
