"""The Python API (issue 23): a list in one call against a loop of single calls, on one CPU thread.

    python -m benchmarks.api [--quick] [--repeat N]        (= benchmarks/run.py --only api --threads 1)

- ``model.fill(100 one-mask sentences)`` in one call vs ``[model.fill(s) for s in sentences]``: the list
  goes through ``Engine.analyze_many`` in padded batches, the loop pays a forward per sentence (goal ≥ 2.5×);
- ``model.score(100 sentences)`` vs ``bertui score --file`` on the same lines and the same loaded engine (its
  stream, ``headless.stream.run``, written to a file): both end in ``Engine.score_many``, so the API must be
  at least as fast (goal ≥ 1.0×: no cost of its own beyond the stream's);
- each side's own cost beside ``Engine.score_many`` (replaced by its answer, computed once): the same call
  with the engine's work taken out, so that the load of a shared machine, which moves the ~50 s that
  score_many takes by more than the whole gap, does not hide which side costs more (goal: the API's ≤ the
  stream's).
Medians of interleaved runs (``side_by_side``); the sentences are ``benchmarks.streams.short_lines``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from unittest import mock

from benchmarks.context import Bench
from benchmarks.measure import median, side_by_side
from benchmarks.report import Row, ms, verdict
from benchmarks.streams import short_lines

SENTENCES = 100
FILL_GOAL = 2.5
SCORE_GOAL = 1.0


def run(bench: Bench) -> list[Row]:
    import bertui
    from bertui.headless import stream

    model = bertui.Model(bench.engine)
    masked, plain = short_lines(SENTENCES), short_lines(SENTENCES, mask=False)
    one_call, loop = side_by_side(lambda: model.fill(masked), lambda: [model.fill(s) for s in masked],
                                  repeat=max(3, bench.repeat // 4))
    fill_ratio = median(loop) / median(one_call)
    rows = [Row("api", f"fill of {SENTENCES} one-mask sentences: one call vs a loop of single calls",
                ms(median(one_call)), f"{ms(median(loop))} (loop of model.fill)", f"{fill_ratio:.1f}×",
                f"≥ {FILL_GOAL}×", verdict(fill_ratio >= FILL_GOAL, f"{fill_ratio:.1f}×"))]
    with tempfile.TemporaryDirectory(prefix="bertui-api-") as scratch:
        source, out = Path(scratch) / "lines.txt", Path(scratch) / "scored.jsonl"
        source.write_text("\n".join(plain) + "\n", encoding="utf-8")
        options = stream.StreamOptions(command="score")

        def score_file() -> object:
            return stream.run(bench.engine, options, str(source), out, resume=False, ranks=stream.Ranks())

        api, command = side_by_side(lambda: model.score(plain), score_file, repeat=3 if bench.quick else 5)
        score_ratio = median(command) / median(api)
        rows.append(Row("api", f"score of {SENTENCES} sentences: one call vs `bertui score --file` (same "
                        "engine)", ms(median(api)), f"{ms(median(command))} (score --file's stream)",
                        f"{score_ratio:.2f}×", f"≥ {SCORE_GOAL}×",
                        verdict(score_ratio >= SCORE_GOAL, f"{score_ratio:.2f}×")))
        found = bench.engine.score_many([(text, None) for text in plain])
        with mock.patch.object(bench.engine, "score_many", return_value=found):
            api, command = side_by_side(lambda: model.score(plain), score_file, repeat=20)
    rows.append(Row("api", f"score of {SENTENCES} sentences: own cost beside Engine.score_many (its answer "
                    "given)", ms(median(api)), f"{ms(median(command))} (score --file's stream)",
                    f"{median(command) / median(api):.0f}×", "API ≤ stream",
                    verdict(median(api) <= median(command), f"{ms(median(api))}")))
    return rows


if __name__ == "__main__":
    from benchmarks.run import main

    raise SystemExit(main(["--only", "api", "--threads", "1", *sys.argv[1:]]))
