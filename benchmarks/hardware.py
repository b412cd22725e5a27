"""Figures against the hardware: each workload's achieved FLOP rate beside this machine's own fp32 matmul
rate, at the same torch thread count.

The work is counted from the model's shapes and the tokens the encoder actually ran (benchmarks/flops.py:
padding included, and its share shown apart); the rate is that work over the workload's wall time, all of
it (tokenizing, heads, Python, writing JSONL for the streams). Workloads: keystroke → masks, NSP ranking of
128 candidates, a sentence's score, and the fill / nsp / score streams.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from benchmarks.context import Bench
from benchmarks.flops import PEAK_SHAPE, Counted, Counter, peak_gflops
from benchmarks.masks import SENTENCES
from benchmarks.nsp import FIRST, WHOLE_PROCESS, candidates
from benchmarks.report import Row, verdict
from benchmarks.scoring import SENTENCE
from benchmarks.streams import _stream, short_lines

STREAM_GOAL = 0.75  # of the matmul rate (issue 24)
PADDING_GOAL = 0.10


def run(bench: Bench) -> list[Row]:
    from bertui.engine import AnalysisRequest

    engine = bench.engine
    counter = Counter(engine)
    threads = torch.get_num_threads()
    peaks = [peak_gflops()]
    m, k, n = PEAK_SHAPE
    scratch = Path(bench.model.folder).parent
    lines = 100 if bench.quick else 300
    firsts = 10 if bench.quick else 20
    scored = 10 if bench.quick else 30
    request = AnalysisRequest(request_id=1, text_a=SENTENCES[1], top_k=5)
    sentences = candidates(WHOLE_PROCESS)

    def ranking():
        engine._rank_cache = None
        engine.rank(FIRST, sentences)

    (scratch / "hw-fill.txt").write_text("\n".join(short_lines(lines)) + "\n")
    (scratch / "hw-nsp.txt").write_text("\n".join(
        json.dumps({"text": first, "candidates": short_lines(10, mask=False)[::-1]})
        for first in short_lines(firsts, mask=False)))
    (scratch / "hw-score.txt").write_text("\n".join(short_lines(scored, mask=False)) + "\n")
    workloads = {
        "keystroke → masks, 1 mask (10 analyses)": (lambda: [engine.analyze(request) for _ in range(10)],
                                                     False),
        f"NSP ranking, {WHOLE_PROCESS} candidates": (ranking, False),
        "score: PLL + word-l2r of a 20-token sentence": (lambda: engine.score(SENTENCE), False),
        f"fill --file, {lines} short lines": (
            lambda: _stream(bench, "fill", scratch / "hw-fill.txt", scratch / "hw-fill.jsonl"), True),
        f"nsp --file, {firsts} × 10 candidates": (
            lambda: _stream(bench, "nsp", scratch / "hw-nsp.txt", scratch / "hw-nsp.jsonl"), True),
        f"score --file, {scored} short lines": (
            lambda: _stream(bench, "score", scratch / "hw-score.txt", scratch / "hw-score.jsonl"), True),
    }
    # A stream's first run hashes the weights for its provenance (once per weights file, then read from
    # the user cache: 0.3 s at bert-base size): a cost of the model's first use, not of a stream's rate.
    (scratch / "hw-warm.txt").write_text(short_lines(1)[0] + "\n")
    _stream(bench, "fill", scratch / "hw-warm.txt", scratch / "hw-warm.jsonl")
    rows = []
    for what, (work, stream) in workloads.items():
        if not stream:
            work()  # warm: the first call of a shape pays for allocations (a stream's chunks warm it)
        counted = counter.measure(work)
        peaks.append(peak_gflops())  # the peak beside each workload: a busy machine's load falls on both
        rows.append(_row(what, counted, (peaks[-2] + peaks[-1]) / 2, stream))
    about = (f"{min(peaks):.1f}–{max(peaks):.1f} GFLOP/s (best of 4, measured before and after each "
             "workload; each row is held against the mean of its two)")
    return [Row("hardware", f"this machine's fp32 matmul rate: {m}×{k} by {k}×{n}, {threads} torch "
                "thread(s), as everything below", about, "—", "—", "—", "—"), *rows]


def _row(what: str, counted: Counted, peak: float, stream: bool) -> Row:
    rate = counted.rate()
    share = rate / peak
    useful = counted.useful_flops / max(counted.seconds, 1e-9) / 1e9
    goal = f"≥ {STREAM_GOAL} of peak, padding ≤ {PADDING_GOAL:.0%}" if stream else "—"
    met = share >= STREAM_GOAL and counted.padding_share <= PADDING_GOAL
    return Row("hardware", f"{what}: {counted.passes} encoder passes, {counted.tokens:,} tokens run, "
               f"{counted.padding_share:.1%} of them padding; {counted.flops / 1e9:.1f} GFLOP in "
               f"{counted.seconds:.2f} s, {counted.encoder_seconds:.2f} s of it in the encoder",
               f"{rate:.1f} GFLOP/s ({useful:.1f} without the padding; {counted.encoder_rate():.1f} "
               "inside the encoder)", f"{peak:.1f} GFLOP/s (matmul, beside it)", f"{share:.2f} of peak",
               goal, verdict(met, f"{share:.2f} of peak, {counted.padding_share:.1%} padding") if stream
               else "—")
