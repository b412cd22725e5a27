"""Launch: process start → first paint, and → model ready, of the real app in a pseudo-terminal.

Beside them: the first paint of a bare Textual app with one Static (the floor Textual sets), and the
plain transformers way to have the same model ready, a fresh ``python`` that imports transformers and
calls ``from_pretrained``. And a check that the first paint imported no torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from benchmarks.context import Bench, child_env
from benchmarks.measure import median, p95
from benchmarks.report import Row, ms, verdict
from benchmarks.terminal import BARE_TEXTUAL, FIRST_PAINT, MODEL_READY, ROOT, App

FIRST_PAINT_GOAL = 0.3


def bare_load(folder: str) -> float:
    """Seconds from spawning ``python`` to transformers having the model and tokenizer loaded."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "benchmarks.probe", "bare-load", folder], cwd=ROOT,
                             env=child_env(), stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    ready = time.perf_counter() - started
    child.wait()
    if line.strip() != "ready":
        raise RuntimeError("the bare transformers load failed")
    return ready


def run(bench: Bench) -> list[Row]:
    folder = str(bench.model.folder)
    paints, readies, bare, floor = [], [], [], []
    for _ in range(1 if bench.quick else 3):
        with App(folder) as app:
            paints.append(app.since_start(FIRST_PAINT, 60))
            readies.append(app.since_start(MODEL_READY, 600))
        bare.append(bare_load(folder))
        with App("", args=BARE_TEXTUAL) as app:
            floor.append(app.since_start(FIRST_PAINT, 60))
    imported = json.loads(bench.probe("first-paint", folder))
    heavy = [name for name, loaded in imported.items() if loaded]
    paint = median(paints)
    return [
        Row("launch", f"process start → first paint (pty, n={len(paints)}; p95 {ms(p95(paints))}); beside it "
            "a bare Textual app with one Static, the floor", ms(paint),
            ms(median(floor)) + " (Textual alone)",
            f"{paint / median(floor):.2f}×", f"≤ {FIRST_PAINT_GOAL * 1000:.0f} ms",
            verdict(paint <= FIRST_PAINT_GOAL, f"{paint / FIRST_PAINT_GOAL:.1f}× the goal")),
        Row("launch", "process start → model ready (app: window, load, warm-up pass; plain: import + "
            "from_pretrained)", ms(median(readies)), ms(median(bare)),
            f"{median(readies) / median(bare):.2f}×", "—", "—"),
        Row("launch", "heavy modules imported before the first paint",
            ", ".join(heavy) or "none of torch, transformers, numpy", "—", "—", "no torch",
            verdict("torch" not in heavy, "torch is imported before the window shows")),
    ]
