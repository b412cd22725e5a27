"""The token budget of one batched forward (rows × padded length), fitted to the machine it runs on.

It bounds memory for any list or text length, and on a CPU it also sets the speed: a chunk too small
runs the matrix products below the machine's rate, one too large spans rows of unlike lengths (more
padding) and activations that leave the caches. Measured at bert-base size on a 2-core EPYC, 128 NSP
candidates: 9.5 s at 16,384 tokens a chunk, 7.0 s at 1,024, 6.8 s at 512 (benchmarks/RESULTS.md). Where
that optimum lies depends on the CPU, so instead of one constant a short calibration runs on first use:
the model's own feed-forward products (h×i, then i×h, in its dtype, on torch's thread count) are timed at
a few chunk sizes. Two budgets come of it (``Budgets``): work nobody waits on between chunks (streams,
the API's lists, the CLI) takes the size with the best rate per token; work a person typing may
interrupt (the app's model process, ``Engine.go_live``) takes the smallest size within ``NEAR_BEST`` of
that rate, since a newer keystroke waits for the chunk under way. It takes well under
``CALIBRATION_SECONDS`` and is cached in the user cache per CPU model, thread count, dtype and model
shape, so it runs once per machine and shape, where the model loads (the model process, or the CLI),
never in the app's event loop. An accelerator wants big batches: it gets a fixed budget.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any, NamedTuple

import torch

ACCELERATOR_TOKEN_BUDGET = 16384
FALLBACK_CPU_TOKEN_BUDGET = 1024
"""The budget tuned by hand on one CPU: used when no calibration could be read or run."""
SIZES = (128, 256, 512, 1024, 2048)
"""Chunk sizes (tokens) the calibration tries, smallest first."""
NEAR_BEST = 0.93
"""For live work, a size within this share of the best rate per token is as good: the smallest wins."""
RUNS = 4
"""Timed runs of each size (the best counts): two were not enough to tell sizes apart on a quiet machine."""
CALIBRATION_SECONDS = 1.5
"""A size whose runs would end after this (at the rate seen so far) is not tried: under 2 s."""
CACHE_NAME = "token-budget.json"
CACHE_VERSION = 2


class Budgets(NamedTuple):
    """Tokens one batched forward may hold: ``batch`` for work that runs to its end (the best rate),
    ``live`` for work that gives way to newer text between chunks (smaller, as fast or nearly)."""

    batch: int
    live: int


def fitted_budget(device: torch.device, config: Any, dtype: torch.dtype, *,
                  cache_file: Path | None = None) -> Budgets:
    """The budgets of a model with ``config`` on ``device`` in ``dtype``."""
    if device.type != "cpu":
        return Budgets(ACCELERATOR_TOKEN_BUDGET, ACCELERATOR_TOKEN_BUDGET)
    hidden = int(getattr(config, "hidden_size", 0) or getattr(config, "dim", 0))
    intermediate = int(getattr(config, "intermediate_size", 0) or getattr(config, "hidden_dim", 0))
    if not hidden or not intermediate:
        return Budgets(FALLBACK_CPU_TOKEN_BUDGET, FALLBACK_CPU_TOKEN_BUDGET)
    key = machine_key(hidden, intermediate, dtype)
    path = cache_file or default_cache_file()
    budgets = read_cache(path)
    cached = budgets.get(key)
    if isinstance(cached, list) and len(cached) == 2 and all(size in SIZES for size in cached):
        return Budgets(*cached)
    fitted = choose(calibrate(hidden, intermediate, dtype))
    write_cache(path, {**budgets, key: list(fitted)})
    return fitted


def machine_key(hidden: int, intermediate: int, dtype: torch.dtype) -> str:
    """What a calibration holds for: the CPU, torch's thread count, the dtype and the model's shape."""
    return (f"{cpu_model()} | threads {torch.get_num_threads()} | {str(dtype).removeprefix('torch.')} | "
            f"h {hidden} i {intermediate} | torch {torch.__version__}")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def calibrate(hidden: int, intermediate: int, dtype: torch.dtype,
              seconds: float = CALIBRATION_SECONDS) -> dict[int, float]:
    """Seconds per token of the feed-forward products at each size of ``SIZES`` reached in ``seconds``
    (the best of ``RUNS`` runs each, after one untimed run at the smallest)."""
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    up = torch.randn(hidden, intermediate, generator=generator).to(dtype)
    down = torch.randn(intermediate, hidden, generator=generator).to(dtype)
    per_token: dict[int, float] = {}
    with torch.inference_mode():
        rows = torch.randn(SIZES[-1], hidden, generator=generator).to(dtype)
        torch.nn.functional.gelu(rows[:SIZES[0]] @ up) @ down
        for size in SIZES:
            # The runs of this size, at the rate seen so far, must end in time; the smallest always runs.
            if per_token and time.perf_counter() - started + RUNS * size * min(per_token.values()) > seconds:
                break
            chunk = rows[:size]
            best = float("inf")
            for _ in range(RUNS):
                begun = time.perf_counter()
                torch.nn.functional.gelu(chunk @ up) @ down
                best = min(best, time.perf_counter() - begun)
            per_token[size] = best / size
    return per_token


def choose(per_token: dict[int, float]) -> Budgets:
    """Batch: the size of the least time per token; live: the smallest within ``NEAR_BEST`` of it."""
    if not per_token:
        return Budgets(FALLBACK_CPU_TOKEN_BUDGET, FALLBACK_CPU_TOKEN_BUDGET)
    fastest = min(per_token, key=per_token.__getitem__)
    near = min(size for size, seconds in per_token.items() if per_token[fastest] / seconds >= NEAR_BEST)
    return Budgets(batch=fastest, live=near)


def default_cache_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("bertui", appauthor=False)) / CACHE_NAME


def read_cache(path: Path) -> dict[str, Any]:
    """The cached budgets by machine key; empty when the file is missing, unreadable or not ours."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict) or found.get("version") != CACHE_VERSION or \
            not isinstance(found.get("budgets"), dict):
        return {}
    budgets: dict[str, Any] = found["budgets"]
    return budgets


def write_cache(path: Path, budgets: dict[str, Any]) -> None:
    """Write atomically (another process may read it meanwhile); a cache that cannot be written only
    means calibrating again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        partial.write_text(json.dumps({"version": CACHE_VERSION, "budgets": budgets}, indent=1),
                           encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass
