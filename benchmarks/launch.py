"""Launch: process start → first paint, and → model ready, of the real app in a pseudo-terminal.

Beside them: the first paint of a bare Textual app with one Static (the floor Textual sets), and the
plain transformers way to have the same model ready, a fresh ``python`` that imports transformers and
calls ``from_pretrained``. And a check that the first paint imported no torch.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.context import Bench, child_env
from benchmarks.measure import median, p95
from benchmarks.report import Row, ms, verdict
from benchmarks.terminal import BARE_TEXTUAL, FIRST_PAINT, MODEL_READY, ROOT, App, compiled

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


def model_processes(app_pid: int) -> list[int]:
    """The app's model processes (multiprocessing's spawned children), from /proc."""
    found = []
    for task in Path(f"/proc/{app_pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
    return found


def ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


def orphan_seconds(app: App) -> float:
    """``kill -9`` of the app → its model process gone (seconds)."""
    children = model_processes(app.pid)
    if not children:
        raise RuntimeError("the app has no model process")
    killed = time.perf_counter()
    os.kill(app.pid, signal.SIGKILL)
    while not all(ended(pid) for pid in children):
        if time.perf_counter() - killed > 30:
            raise RuntimeError("the model process outlived the app by 30 s")
        time.sleep(0.005)
    return time.perf_counter() - killed


def run(bench: Bench) -> list[Row]:
    folder = str(bench.model.folder)
    paints, readies, bare, floor, orphans = [], [], [], [], []
    compiled()
    for _ in range(1 if bench.quick else 3):
        with App(folder) as app:
            paints.append(app.since_start(FIRST_PAINT, 60))
            readies.append(app.since_start(MODEL_READY, 600))
            orphans.append(orphan_seconds(app))
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
        Row("launch", f"app killed (kill -9) → its model process gone (n={len(orphans)}; longest "
            f"{ms(max(orphans))})", ms(median(orphans)), "—", "—", "≤ 2000 ms",
            verdict(max(orphans) <= 2, "the model process outlived the app")),
        Row("launch", "heavy modules imported before the first paint",
            ", ".join(heavy) or "none of torch, transformers, numpy", "—", "—", "no torch",
            verdict("torch" not in heavy, "torch is imported before the window shows")),
    ]
