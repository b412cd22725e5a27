"""Streams (issue 13): many short lines through one process, batched across lines.

- ``fill --file`` over N short lines (one mask each) vs a plain transformers loop in one process (one
  ``BertForMaskedLM`` forward per line, top-5 at the mask) vs one ``bertui fill`` process per line
  (a sample of processes timed, the per-line figure extrapolated to N: said so in the row).
- ``nsp --file``: first sentences × 10 candidates each vs a loop of one forward per pair.
- ``score --file`` over short lines vs the plain PLL loop (one forward per masked copy) over the same lines.
- torchrun with 2 processes vs 1 on the same ``fill --file`` (on a 2-core machine: the overhead).
- Memory with a 1 GB input: ``tokenize --file`` over 1 GB of short lines, its resident memory sampled
  for a while (the whole file would take hours on a CPU), and 1 GB of over-long lines read to the end.
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
from benchmarks.measure import rss_mib, timed
from benchmarks.report import Row, verdict
from benchmarks.scoring import plain_pll
from benchmarks.terminal import ROOT

WORDS = ("the old farmer walked across a muddy field before storm reached green hills city river "
         "dog cat ate my pizza very good bad day night").split()
GOAL = 3.0
SAMPLED_PROCESSES = 3
GIB = 2**30
SAMPLE_SECONDS = 60


def short_lines(n: int, mask: bool = True) -> list[str]:
    lines = []
    for i in range(n):
        words = [WORDS[(i * 7 + j) % len(WORDS)] for j in range(6 + i % 7)]
        if mask:
            words[(i * 3) % len(words)] = "[MASK]"
        lines.append(" ".join(words) + ".")
    return lines


def _stream(bench: Bench, command: str, source: Path, out: Path, *extra: str) -> float:
    from bertui.headless import stream

    options = stream.StreamOptions(command=command, candidates=tuple(extra))
    return timed(lambda: stream.run(bench.engine, options, str(source), out, resume=False,
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
    plain = timed(lambda: plain_fill(mlm, tokenizer, short_lines(n)))
    speedup = plain / ours
    rows.append(Row("streams", f"fill --file: {n} short lines ({tokens:.1f} tokens on average, "
                    "one mask each; "
                    "n=1 run each)", f"{ours:.1f} s ({n / ours:.1f} lines/s)",
                    f"{plain:.1f} s ({n / plain:.1f} lines/s, one forward per line)",
                    f"{speedup:.2f}× faster",
                    f"≥ {GOAL}× faster", verdict(speedup >= GOAL, f"{speedup / GOAL:.2f}× the goal")))
    per_process = []
    for line in short_lines(SAMPLED_PROCESSES):
        per_process.append(timed(lambda line=line: subprocess.run(
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
    plain = timed(lambda: plain_nsp(nsp_model, tokenizer, firsts, candidates))
    rows.append(Row("streams", f"nsp --file: {len(firsts)} first sentences × 10 candidates (n=1 run each)",
                    f"{ours:.1f} s", f"{plain:.1f} s (one forward per pair)", f"{plain / ours:.2f}× faster",
                    f"≥ {GOAL}× faster",
                    verdict(plain / ours >= GOAL, f"{plain / ours / GOAL:.2f}× the goal")))

    rows.append(_score(bench, scratch, 30 if bench.quick else 100))
    base = [sys.executable, "-m", "bertui", "fill", "--file", str(source), "-m", str(folder)]
    one = timed(lambda: subprocess.run([*base, "--out", str(scratch / "one.jsonl")], cwd=ROOT,
                                        env=child_env(), capture_output=True, check=True))
    two = timed(lambda: subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                                         "--nproc-per-node", "2", *base[1:],
                                         "--out", str(scratch / "two.jsonl")],
                                        cwd=ROOT, env=child_env(), capture_output=True, check=True))
    same = (scratch / "one.jsonl").read_bytes() == (scratch / "two.jsonl").read_bytes()
    rows.append(Row("streams", f"fill --file, {n} lines, whole process (load included): torchrun 2 processes "
                    f"vs 1 on this machine's {torch.get_num_threads()}-thread setting; "
                    "outputs byte-identical: "
                    f"{'yes' if same else 'NO'}", f"{two:.1f} s (2 processes)", f"{one:.1f} s (1 process)",
                    f"{one / two:.2f}× the speed", "—", "—"))
    return rows + _memory(bench, scratch)


def _score(bench: Bench, scratch: Path, n: int) -> Row:
    from transformers import BertForMaskedLM

    lines = short_lines(n, mask=False)
    source = scratch / "sentences.txt"
    source.write_text("\n".join(lines) + "\n")
    model = BertForMaskedLM.from_pretrained(bench.model.folder).eval()
    ours = _stream(bench, "score", source, scratch / "score.jsonl")
    plain = timed(lambda: [plain_pll(model, bench.tokenizer, line) for line in lines])
    copies = sum(len(bench.tokenizer(line)["input_ids"]) - 2 for line in lines)
    speedup = plain / ours
    return Row("streams", f"score --file: {n} short lines ({copies:,} masked copies; n=1 run each)",
               f"{ours:.1f} s ({n / ours:.1f} lines/s)",
               f"{plain:.1f} s (PLL alone, one forward per masked copy)", f"{speedup:.2f}× faster",
               f"≥ {GOAL}× faster", verdict(speedup >= GOAL, f"{speedup / GOAL:.2f}× the goal"))


def _write_gib(path: Path, line: bytes) -> None:
    block = line * max(1, (1 << 24) // len(line))
    with path.open("wb") as handle:
        while handle.tell() < GIB:
            handle.write(block)


def _sampled(command: list[str], seconds: float) -> tuple[list[tuple[float, float]], bool]:
    """(seconds since start, RSS MiB) once a second while ``command`` runs, stopped after ``seconds``;
    and whether it finished by itself."""
    process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    started, samples = time.perf_counter(), []
    try:
        while process.poll() is None and time.perf_counter() - started < seconds:
            time.sleep(1)
            try:
                samples.append((time.perf_counter() - started, rss_mib(process.pid)))
            except OSError:  # it ended meanwhile
                break
    finally:
        finished = process.poll() is not None
        process.kill()
        process.wait()
    return samples, finished


def _records(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1  # less the header


def _memory(bench: Bench, scratch: Path) -> list[Row]:
    """A 1 GB input: resident memory must not follow the file's size."""
    folder = str(bench.model.folder)
    rows = []
    short = scratch / "short-1g.txt"
    _write_gib(short, ("\n".join(short_lines(64, mask=False)) + "\n").encode())
    out = scratch / "short-1g.jsonl"
    seconds = 20 if bench.quick else SAMPLE_SECONDS
    samples, _ = _sampled([sys.executable, "-m", "bertui", "tokenize", "--file", str(short), "-m", folder,
                           "--out", str(out)], seconds)
    done = _records(Path(f"{out}.part"))
    loaded = next((rss for at, rss in samples if at >= 10), samples[-1][1])
    rows.append(Row("streams", f"memory: `tokenize --file` over a 1 GB file of short lines, resident memory "
                    f"sampled each second for {seconds} s ({done:,} lines answered, "
                    f"{done / max(1, seconds - 10):,.0f} lines/s after the load)",
                    f"{loaded:.0f} MiB at 10 s, {max(rss for _, rss in samples):.0f} MiB at most, "
                    f"{samples[-1][1]:.0f} MiB at {samples[-1][0]:.0f} s", "1024 MiB (the file)",
                    "—", "flat while reading", verdict(samples[-1][1] - loaded < 64, "memory grows")))
    short.unlink()
    long = scratch / "long-1g.txt"
    _write_gib(long, b"x" * ((1 << 20) + 100) + b"\n")  # each line over the 1 MiB limit: read, skipped, said
    out = scratch / "long-1g.jsonl"
    samples, finished = _sampled([sys.executable, "-m", "bertui", "tokenize", "--file", str(long), "-m",
                                  folder, "--out", str(out)], 600)
    peak = max(rss for _, rss in samples)
    rows.append(Row("streams", "memory: `tokenize --file` over a 1 GB file of 1 MiB lines (each too long: an "
                    f"error record), read to the end: {'finished' if finished else 'NOT finished'} in "
                    f"{samples[-1][0]:.0f} s", f"{peak:.0f} MiB at most", "1024 MiB (the file)", "—",
                    "< the file", verdict(finished and peak < 1024, f"{peak:.0f} MiB")))
    long.unlink()
    return rows
