"""Memory: peak resident memory of a fresh process with the model loaded and one pair analysed
(masks, IsNext, three candidates ranked), against the weights' own size; beside it, the same work the
plain transformers way (``BertForPreTraining.from_pretrained`` and a forward per pair). And the attention
view's answer at 512 tokens: what crosses the pipe to the app, one layer now against every layer before."""

from __future__ import annotations

import json
import pickle

from benchmarks.context import Bench
from benchmarks.measure import PeakGrowth
from benchmarks.report import Row, verdict

LONG = " ".join(["the cat sat on the mat and looked at the [MASK] ."] * 60)


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
        *_attention(bench),
        _attention_in_the_app(bench),
        Row("memory", f"peak RSS, model loaded + one analysis (weights {weights:.0f} MiB)", peak(ours),
            peak(theirs), f"{ours['peak'] / theirs['peak']:.2f}×", "—", "—"),
        Row("memory", "RSS held after loading, above the imported libraries", held(ours), held(theirs),
            f"{(ours['rss'] - ours['imported']) / max(1.0, theirs['rss'] - theirs['imported']):.2f}×",
            "—", "—"),
        Row("memory", "RSS of the imported libraries alone (torch, transformers)",
            f"{ours['imported']:.0f} MiB",
            f"{theirs['imported']:.0f} MiB", "—", "—", "—"),
    ]


def _attention_in_the_app(bench: Bench) -> Row:
    """The app's own process with the attention view open at 512 tokens: the model in a thread of it (the
    arrangement before the model process) against the model in its own process."""
    folder = str(bench.model.folder)
    thread = json.loads(bench.probe("attention-ui", "thread", folder))
    process = json.loads(bench.probe("attention-ui", "process", folder))
    return Row("memory", f"the app with the attention view open at {process['tokens']} tokens: peak RSS of "
               f"the app's process (its model process: {process['model_peak']:.0f} MiB at most)",
               f"{process['app_peak']:.0f} MiB (model in its own process)",
               f"{thread['app_peak']:.0f} MiB (model in a thread of the app, before)",
               f"{process['app_peak'] / thread['app_peak']:.2f}×", "—", "—")


def _attention(bench: Bench) -> list[Row]:
    """The attention view open at 512 tokens: the answer's size, and the engine's peak while making it."""
    from bertui.engine import AnalysisRequest

    engine = bench.engine
    request = AnalysisRequest(request_id=1, text_a=LONG, attention=True, attention_layer=5)
    with PeakGrowth() as growth:
        analysis = engine.analyze(request)
    maps = analysis.attention
    tokens = maps.weights.shape[-1]
    sent = len(pickle.dumps(analysis))
    every_layer = maps.weights.nbytes * maps.layers  # what the answer carried before: every layer
    plain = len(pickle.dumps(engine.analyze(AnalysisRequest(request_id=2, text_a=LONG))))
    layer_bytes = maps.weights.nbytes
    return [
        Row("memory", f"attention view at {tokens} tokens: attention bytes per answer (the whole answer "
            f"pickled through the pipe: {sent / 2**20:.1f} MiB; without attention {plain / 2**20:.1f} MiB)",
            f"{layer_bytes / 2**20:.1f} MiB (1 layer)",
            f"{every_layer / 2**20:.1f} MiB (all {maps.layers} layers, before)",
            f"{layer_bytes / every_layer:.3f}×", f"≤ 1/{maps.layers}",
            verdict(layer_bytes * maps.layers <= every_layer, "more than one layer's share")),
        Row("memory", f"attention view at {tokens} tokens: peak RSS growth of the model's side while "
            "answering (every layer is still computed by the eager kernel; one is kept)",
            f"{growth.mib:.0f} MiB", "—", "—", "—", "—"),
    ]
