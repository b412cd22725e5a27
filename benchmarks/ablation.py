"""What the chunk rule and the batched MLM head buy the streams, before and after in one process (issue 24).

    OMP_NUM_THREADS=1 python -m benchmarks.ablation [--rounds 3] [--budget N] [--shared ../shared/models]

"before" runs today's code with the two changes taken back: no chunk is cut where the length jumps
(``batching.PADDING_SHARE`` infinite: chunks end only at the token budget, as they did) and the MLM head
runs once per row (one call per analysis, as ``analyze_many`` did). "after" is the code as it is.
``fill --file`` over 100 short lines and ``score --file`` over 10 run ``--rounds`` times each way,
interleaved, each beside the fp32 matmul rate measured before and after it (benchmarks/flops.py), so a
busy machine's load falls on both ways alike. Prints one JSON line per workload and way: passes, tokens
run, padding, wall and outside-the-encoder seconds, achieved rate (padding included, as the hardware
section counts it; and without it) and its ratio to the matmul rate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

import torch

from benchmarks.flops import Counted, Counter, peak_gflops
from benchmarks.model import SHARED_MODELS, prepare
from benchmarks.streams import short_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=int, help="token budget (default: the one fitted to this machine)")
    parser.add_argument("--shared", type=Path, default=SHARED_MODELS)
    args = parser.parse_args()
    from bertui.engine.inference import Engine

    with tempfile.TemporaryDirectory(prefix="bertui-bench-") as scratch:
        engine = Engine.load(str(prepare(args.shared, Path(scratch)).folder), device="cpu")
        if args.budget:
            engine.token_budget = args.budget
        for command, lines in (("fill", 100), ("score", 10)):
            source = Path(scratch) / f"{command}.txt"
            source.write_text("\n".join(short_lines(lines, mask=command == "fill")) + "\n")
            for way, runs in compare(engine, command, source, args.rounds).items():
                print(json.dumps(summary(command, way, engine.token_budget, runs)), flush=True)


def compare(engine, command: str, source: Path, rounds: int) -> dict[str, list[tuple[Counted, float]]]:
    from bertui.engine import batching
    from bertui.headless import stream

    counter = Counter(engine)
    batched = engine._vocab_logits
    out = source.with_suffix(".jsonl")

    def one_row_at_a_time(result, rows, positions):
        if not isinstance(rows, list):
            return batched(result, rows, positions)
        parts = [batched(result, row, [p for r, p in zip(rows, positions) if r == row])
                 for row in dict.fromkeys(rows)]
        return torch.cat(parts)

    def work() -> None:
        stream.run(engine, stream.StreamOptions(command=command), str(source), out, resume=False,
                   ranks=stream.Ranks())

    work()  # warm
    found: dict[str, list[tuple[Counted, float]]] = {"before": [], "after": []}
    share = batching.PADDING_SHARE
    try:
        for _ in range(rounds):
            for way in found:
                batching.PADDING_SHARE = float("inf") if way == "before" else share
                engine._vocab_logits = one_row_at_a_time if way == "before" else batched
                before = peak_gflops()
                counted = counter.measure(work)
                found[way].append((counted, (before + peak_gflops()) / 2))
    finally:
        batching.PADDING_SHARE = share
        del engine._vocab_logits
    return found


def summary(command: str, way: str, budget: int, runs: list[tuple[Counted, float]]) -> dict[str, object]:
    first = runs[0][0]
    ratios = [counted.rate() / peak for counted, peak in runs]
    return {"workload": command, "way": way, "threads": torch.get_num_threads(), "budget": budget,
            "passes": first.passes, "tokens": first.tokens, "padding": round(first.padding_share, 3),
            "wall_s": [round(c.seconds, 2) for c, _ in runs],
            "outside_encoder_s": [round(c.seconds - c.encoder_seconds, 2) for c, _ in runs],
            "gflops": [round(c.rate(), 1) for c, _ in runs],
            "useful_gflops": [round(c.useful_flops / c.seconds / 1e9, 1) for c, _ in runs],
            "matmul_gflops": [round(p, 1) for _, p in runs],
            "ratio": [round(r, 2) for r in ratios], "ratio_median": round(statistics.median(ratios), 2),
            "load": os.getloadavg()}


if __name__ == "__main__":
    main()
