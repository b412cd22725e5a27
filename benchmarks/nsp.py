"""NSP ranking: ``engine.rank`` (length-sorted padded batches, chunked by a token budget) vs the seed
notebook's loop, one BertForNextSentencePrediction call per candidate, on the same weights.

At 512 candidates each way runs once (the loop takes long on a CPU), with the peak growth of resident
memory beside it, and bertui once more with chunking switched off, to show what the chunks bound.
"""

from __future__ import annotations

import random
import subprocess
import sys
from contextlib import contextmanager

import torch

from benchmarks.context import Bench, child_env
from benchmarks.measure import PeakGrowth, median, side_by_side, timed
from benchmarks.report import Row, ms, verdict

FIRST = "The dog ate my pizza before the guests arrived."
WORDS = ("the a of and to in it was she he they we my our their his her this that big small old new good "
         "bad long short red blue green house city river tree dog cat bird pizza game sport day night "
         "morning friend family school music book film road car train ship garden kitchen table window "
         "ate saw made liked played walked found gave took left came went said knew thought wanted "
         "quickly slowly very never always often again together outside inside after before because "
         "while although guests party dinner weather rain snow summer winter").split()
SIZES = (4, 64, 512)
GOAL_AT_64 = 1.6
WHOLE_PROCESS = 128  # candidates in the whole-process row (issue 10, item 7)
GOAL_WHOLE_PROCESS = 2.0


def candidates(count: int, seed: int = 0) -> list[str]:
    """``count`` sentences of 2 to 32 words (mixed lengths, as a pasted list has), fixed by ``seed``."""
    rng = random.Random(seed * 100_003 + count)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 32))).capitalize() + "."
            for _ in range(count)]


def seed_loop(model, tokenizer, first: str, sentences: list[str]) -> list[tuple[float, str]]:
    """The seed notebook's way: one forward per candidate, then sort by IsNext."""
    scored = []
    with torch.no_grad():
        for sentence in sentences:
            logits = model(**tokenizer(first, sentence, return_tensors="pt").to(model.device)).logits
            scored.append((logits.softmax(-1)[0, 0].item(), sentence))
    return sorted(scored, reverse=True)


@contextmanager
def unchunked(engine):
    budget = engine.token_budget
    engine.token_budget = 10**12
    try:
        yield
    finally:
        engine.token_budget = budget


def run(bench: Bench) -> list[Row]:
    from transformers import BertForNextSentencePrediction

    engine, tokenizer = bench.engine, bench.tokenizer
    model = BertForNextSentencePrediction.from_pretrained(bench.model.folder).eval()

    def ours(sentences):
        engine._rank_cache = None  # the app caches the last ranking; each run here must compute
        return engine.rank(FIRST, sentences)

    rows = [_whole_process(bench, model)]
    for size in SIZES:
        sentences = candidates(size)
        tokens = sum(len(ids) for ids in tokenizer([FIRST] * size, sentences)["input_ids"])
        what = f"{size} candidates, {tokens:,} tokens"
        if size == SIZES[0]:
            _check_equal(bench, ours(sentences), seed_loop(model, tokenizer, FIRST, sentences))
        if size < 512:
            repeat = max(2, bench.repeat // (3 if size == 4 else 10))
            a, b = side_by_side(lambda: ours(sentences),
                                lambda: seed_loop(model, tokenizer, FIRST, sentences),
                                repeat=repeat, warmup=0)
            speedup = median(b) / median(a)
            goal = f"≥ {GOAL_AT_64}× faster" if size == 64 else "—"
            rows.append(Row("nsp", f"{what} (n={repeat})", ms(median(a)), ms(median(b)),
                            f"{speedup:.2f}× faster", goal,
                            verdict(speedup >= GOAL_AT_64, f"{speedup / GOAL_AT_64:.2f}× the goal")
                            if size == 64 else "—"))
        else:
            with PeakGrowth() as memory_ours:
                a = timed(lambda: ours(sentences))
            with PeakGrowth() as memory_theirs:
                b = timed(lambda: seed_loop(model, tokenizer, FIRST, sentences))
            rows.append(Row("nsp", f"{what} (n=1)", ms(a), ms(b), f"{b / a:.2f}× faster", "—", "—"))
            rows.append(Row("nsp", f"{size} candidates: peak memory growth while ranking",
                            f"{memory_ours.mib:.0f} MiB (chunks ≤ "
                            f"{engine.token_budget:,} tokens)",
                            f"{memory_theirs.mib:.0f} MiB (one pair at a time)",
                            "—", "bounded by chunking", "—"))
            if not bench.quick:
                with unchunked(engine), PeakGrowth() as memory_whole:
                    whole = timed(lambda: ours(sentences))
                bounded = memory_ours.mib < memory_whole.mib
                rows.append(Row("nsp", f"{size} candidates as one unchunked batch (bertui, budget off)",
                                f"{memory_whole.mib:.0f} MiB, {ms(whole)}", "—",
                                f"chunked peak {memory_ours.mib / max(memory_whole.mib, 1):.2f}× of it",
                                "chunked < unchunked", verdict(bounded, "chunking did not lower the peak")))
    return rows


def _bertui(*args: str) -> float:
    return timed(lambda: subprocess.run([sys.executable, "-m", "bertui", *args], env=child_env(),
                                        capture_output=True, check=True))


def _whole_process(bench: Bench, model) -> Row:
    """``bertui nsp`` with 128 candidates as a person runs it, less a ``bertui info`` (the same start and
    load, no ranking): what the ranking costs in a fresh process, cold caches and all, against the seed
    loop in this (warm) process."""
    sentences = candidates(WHOLE_PROCESS)
    folder = str(bench.model.folder)
    repeat = 1 if bench.quick else 3
    nsp, info = [], []
    for _ in range(repeat):  # interleaved
        nsp.append(_bertui("nsp", FIRST, *sentences, "-m", folder))
        info.append(_bertui("info", "-m", folder))
    loop = median([timed(lambda: seed_loop(model, bench.tokenizer, FIRST, sentences)) for _ in range(repeat)])
    ranking = median(nsp) - median(info)
    speedup = loop / ranking
    return Row("nsp", f"whole process: `bertui nsp` with {WHOLE_PROCESS} candidates of 2–32 words less a "
               f"`bertui info` ({ms(median(nsp))} − {ms(median(info))}; n={repeat})", ms(ranking),
               f"{ms(loop)} (seed loop, in process)", f"{speedup:.2f}× faster",
               f"≥ {GOAL_WHOLE_PROCESS}× faster",
               verdict(speedup >= GOAL_WHOLE_PROCESS, f"{speedup / GOAL_WHOLE_PROCESS:.2f}× the goal"))


def _check_equal(bench: Bench, ranked, looped) -> None:
    by_sentence = {sentence: is_next for is_next, sentence in looped}
    if any(abs(entry.is_next - by_sentence[entry.candidate]) > 1e-4 for entry in ranked):
        bench.notes.append("nsp: bertui's IsNext probabilities differ from the seed loop's by more than 1e-4")

