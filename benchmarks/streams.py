"""Streams (issue 13): many short lines through one process, batched across lines.

- ``fill --file`` over N short lines (one mask each) vs a plain transformers loop in one process (one
  ``BertForMaskedLM`` forward per line, top-5 at the mask) vs one ``bertui fill`` process per line
  (a sample of processes timed, the per-line figure extrapolated to N: said so in the row).
- ``nsp --file``: first sentences × 10 candidates each vs a loop of one forward per pair.
- torchrun with 2 processes vs 1 on the same ``score --file`` (on a 2-core machine: the overhead).
Each stream runs once (n=1): the figures are wall times of whole runs, in this one benchmark run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks.context import Bench, child_env
from benchmarks.report import Row, verdict
from benchmarks.terminal import ROOT

WORDS = ("the old farmer walked across a muddy field before storm reached green hills city river "
         "dog cat ate my pizza very good bad day night").split()
GOAL = 3.0
SAMPLED_PROCESSES = 3


def short_lines(n: int, mask: bool = True) -> list[str]:
    lines = []
    for i in range(n):
        words = [WORDS[(i * 7 + j) % len(WORDS)] for j in range(6 + i % 7)]
        if mask:
            words[(i * 3) % len(words)] = "[MASK]"
        lines.append(" ".join(words) + ".")
    return lines


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _stream(bench: Bench, command: str, source: Path, out: Path, *extra: str) -> float:
    from bertui import stream

    options = stream.Options(command=command, candidates=tuple(extra))
    return _timed(lambda: stream.run(bench.engine, options, str(source), out, resume=False,
                                     ranks=stream.Ranks()))


def plain_fill(model, tokenizer, lines: list[str]) -> None:
    with torch.inference_mode():
        for line in lines:
            encoded = tokenizer(line, return_tensors="pt").to(model.device)
            logits = model(**encoded).logits
            position = int((encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0])
            logits[0, position].softmax(-1).topk(5)


def plain_nsp(model, tokenizer, firsts: list[str], candidates: list[str]) -> None:
    with torch.inference_mode():
        for first in firsts:
            for candidate in candidates:
                model(**tokenizer(first, candidate, return_tensors="pt")).logits.softmax(-1)


def run(bench: Bench) -> list[Row]:
    from transformers import BertForMaskedLM, BertForNextSentencePrediction

    folder, tokenizer = bench.model.folder, bench.tokenizer
    scratch = Path(folder).parent
    n = 200 if bench.quick else 1000
    source = scratch / "lines.txt"
    source.write_text("\n".join(short_lines(n)) + "\n")
    tokens = sum(len(tokenizer(line)["input_ids"]) for line in short_lines(n)) / n
    rows = []

    mlm = BertForMaskedLM.from_pretrained(folder).eval()
    ours = _stream(bench, "fill", source, scratch / "fill.jsonl")
    plain = _timed(lambda: plain_fill(mlm, tokenizer, short_lines(n)))
    speedup = plain / ours
    rows.append(Row("streams", f"fill --file: {n} short lines ({tokens:.1f} tokens on average, "
                    "one mask each; "
                    "n=1 run each)", f"{ours:.1f} s ({n / ours:.1f} lines/s)",
                    f"{plain:.1f} s ({n / plain:.1f} lines/s, one forward per line)",
                    f"{speedup:.2f}× faster",
                    f"≥ {GOAL}× faster", verdict(speedup >= GOAL, f"{speedup / GOAL:.2f}× the goal")))
    per_process = []
    for line in short_lines(SAMPLED_PROCESSES):
        per_process.append(_timed(lambda line=line: subprocess.run(
            [sys.executable, "-m", "bertui", "fill", line, "-m", str(folder)], cwd=ROOT, env=child_env(),
            capture_output=True, check=True)))
    each = sum(per_process) / len(per_process)
    rows.append(Row("streams", f"fill: one `bertui fill` process per line, {SAMPLED_PROCESSES} "
                    "processes timed, "
                    f"extrapolated to {n} lines", f"{ours:.1f} s (fill --file)",
                    f"≈ {each * n:.0f} s ({each:.1f} s per process)", f"{each * n / ours:.0f}× faster",
                    "—", "—"))

    firsts = short_lines(10 if bench.quick else 100, mask=False)
    candidates = short_lines(10, mask=False)[::-1]
    nsp_source = scratch / "firsts.txt"
    nsp_source.write_text("\n".join(json.dumps({"text": first, "candidates": candidates})
                                    for first in firsts))
    nsp_model = BertForNextSentencePrediction.from_pretrained(folder).eval()
    ours = _stream(bench, "nsp", nsp_source, scratch / "nsp.jsonl")
    plain = _timed(lambda: plain_nsp(nsp_model, tokenizer, firsts, candidates))
    rows.append(Row("streams", f"nsp --file: {len(firsts)} first sentences × 10 candidates (n=1 run each)",
                    f"{ours:.1f} s", f"{plain:.1f} s (one forward per pair)", f"{plain / ours:.2f}× faster",
                    f"≥ {GOAL}× faster",
                    verdict(plain / ours >= GOAL, f"{plain / ours / GOAL:.2f}× the goal")))

    base = [sys.executable, "-m", "bertui", "fill", "--file", str(source), "-m", str(folder)]
    one = _timed(lambda: subprocess.run([*base, "--out", str(scratch / "one.jsonl")], cwd=ROOT,
                                        env=child_env(), capture_output=True, check=True))
    two = _timed(lambda: subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                                         "--nproc-per-node", "2", *base[1:],
                                         "--out", str(scratch / "two.jsonl")],
                                        cwd=ROOT, env=child_env(), capture_output=True, check=True))
    same = (scratch / "one.jsonl").read_bytes() == (scratch / "two.jsonl").read_bytes()
    rows.append(Row("streams", f"fill --file, {n} lines, whole process (load included): torchrun 2 processes "
                    f"vs 1 on this machine's {torch.get_num_threads()}-thread setting; "
                    "outputs byte-identical: "
                    f"{'yes' if same else 'NO'}", f"{two:.1f} s (2 processes)", f"{one:.1f} s (1 process)",
                    f"{one / two:.2f}× the speed", "—", "—"))
    return rows
