"""Keystroke → masks: ``engine.analyze`` of a short sentence vs a bare BertForMaskedLM forward + top-k.

Both sides tokenize, run the same weights on the same input and take the top 5 per mask; bertui also
builds the filled-in sentences and whole-word predictions the app shows. The plain side is what a
person writes with transformers: ``model(**tokenizer(text))``, softmax at the masks, ``topk``.
"""

from __future__ import annotations

import threading

import torch

from benchmarks.context import Bench
from benchmarks.measure import median, p95, side_by_side
from benchmarks.report import Row, ms, verdict

SENTENCES = {1: "The capital of France is [MASK].", 3: "The [MASK] sat on the [MASK] with a [MASK]."}
TOP_K = 5
GOAL = 1.15


class Answers:
    """A model client's target: the latest ModelReady or AnalysisDone, and an event when one comes."""

    def __init__(self) -> None:
        self.came = threading.Event()
        self.last = None

    def post_message(self, message) -> bool:
        from bertui.ui.messages import AnalysisDone, ModelFailed, ModelReady

        if isinstance(message, (AnalysisDone, ModelReady, ModelFailed)):
            self.last = message
            self.came.set()
        return True

    def wait(self):
        if not self.came.wait(600):
            raise TimeoutError("the model process did not answer")
        self.came.clear()
        return self.last


def run(bench: Bench) -> list[Row]:
    from transformers import BertForMaskedLM

    from bertui.model.loop import load_engine
    from bertui.ui.backends.process import ModelClient

    engine, tokenizer = bench.engine, bench.tokenizer
    model = BertForMaskedLM.from_pretrained(bench.model.folder).eval()
    answers = Answers()  # the app's way: the model in its own process
    client = ModelClient(answers, loader=load_engine, device="cpu")
    client.load(str(bench.model.folder))
    answers.wait()
    rows = []
    try:
        for masks, text in SENTENCES.items():
            rows += _compare(bench, engine, tokenizer, model, masks, text, client, answers)
    finally:
        client.close()
    return rows


def _compare(bench, engine, tokenizer, model, masks, text, client, answers) -> list[Row]:
    """bertui in this process, then through the model process, each against the bare forward."""
    from bertui.engine import AnalysisRequest

    rows = []
    request = AnalysisRequest(request_id=1, text_a=text, top_k=TOP_K)

    def ours():
        return engine.analyze(request)

    def theirs():
        with torch.no_grad():
            inputs = tokenizer(text, return_tensors="pt")
            logits = model(**inputs).logits[0]
            at = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero().squeeze(-1)
            return logits[at].softmax(-1).topk(TOP_K)

    same = [[p.token for p in mask.predictions] for mask in ours().masks] == theirs().indices.tolist()
    if not same:
        bench.notes.append(f"keystroke→masks ({masks} masks): bertui's top-{TOP_K} differ from the "
                           "bare forward's")
    a, b = side_by_side(ours, theirs, repeat=bench.repeat, warmup=2)
    ratio = median(a) / median(b)
    tokens = len(tokenizer(text)["input_ids"])
    rows.append(Row("keystroke→masks", f"{masks} mask{'s' * (masks > 1)}, {tokens} tokens "
                    f"(n={len(a)}; p95 {ms(p95(a))} vs {ms(p95(b))})", ms(median(a)), ms(median(b)),
                    f"{ratio:.2f}×", f"≤ {GOAL}×", verdict(ratio <= GOAL,
                                                           f"{ratio / GOAL:.2f}× the goal")))

    def piped():
        client.submit(request)
        return answers.wait()

    a, b = side_by_side(piped, theirs, repeat=bench.repeat, warmup=2)
    ratio = median(a) / median(b)
    rows.append(Row("keystroke→masks", f"{masks} mask{'s' * (masks > 1)} through the model process "
                    f"(submit → answer back over the pipe; n={len(a)}; p95 {ms(p95(a))})", ms(median(a)),
                    ms(median(b)), f"{ratio:.2f}×", f"≤ {GOAL}×",
                    verdict(ratio <= GOAL, f"{ratio / GOAL:.2f}× the goal")))
    return rows
