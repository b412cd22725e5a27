"""Memory: peak resident memory of a fresh process with the model loaded and one pair analysed
(masks, IsNext, three candidates ranked), against the weights' own size; beside it, the same work the
plain transformers way (``BertForPreTraining.from_pretrained`` and a forward per pair)."""

from __future__ import annotations

import json

from benchmarks.context import Bench
from benchmarks.report import Row


def run(bench: Bench) -> list[Row]:
    folder = str(bench.model.folder)
    ours = json.loads(bench.probe("memory", "bertui", folder))
    theirs = json.loads(bench.probe("memory", "transformers", folder))
    weights = ours["weights"]

    def peak(figures: dict) -> str:
        return f"{figures['peak']:.0f} MiB ({figures['peak'] / weights:.2f}× the weights)"

    def held(figures: dict) -> str:
        return f"{figures['rss'] - figures['imported']:.0f} MiB"

    return [
        Row("memory", f"peak RSS, model loaded + one analysis (weights {weights:.0f} MiB)", peak(ours),
            peak(theirs), f"{ours['peak'] / theirs['peak']:.2f}×", "—", "—"),
        Row("memory", "RSS held after loading, above the imported libraries", held(ours), held(theirs),
            f"{(ours['rss'] - ours['imported']) / max(1.0, theirs['rss'] - theirs['imported']):.2f}×",
            "—", "—"),
        Row("memory", "RSS of the imported libraries alone (torch, transformers)",
            f"{ours['imported']:.0f} MiB",
            f"{theirs['imported']:.0f} MiB", "—", "—", "—"),
    ]
