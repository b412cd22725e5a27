"""Measuring what researchers measure (issue 12): a sentence's PLL, joint fills, target words.

- ``engine.score`` (every token masked in its own copy, the copies batched into as few forwards as the
  token budget allows, the vocabulary head at the scored position only) vs the plain loop: one
  ``BertForMaskedLM`` forward per masked copy, as a person writes it.
- A joint fill of 2 masks with a beam of 5 beside one plain analysis of the same text: time and passes.
- Target words beside the plain analysis: encoder passes counted (one-piece targets read the same logits).
"""

from __future__ import annotations

import torch

from benchmarks.context import Bench
from benchmarks.measure import median, side_by_side
from benchmarks.report import Row, ms, verdict

SENTENCE = ("The old farmer walked slowly across the muddy field before the storm finally reached "
            "the green hills.")
JOINT_TEXT = "The [MASK] sat on the [MASK] near the window."
TARGETS = ("he", "she", "they")
GOAL = 3.0


def plain_pll(model, tokenizer, text: str) -> float:
    """The unbatched reference: one forward of the whole masked LM per real token."""
    encoded = tokenizer(text, return_tensors="pt").to(model.device)
    ids = encoded["input_ids"]
    total = 0.0
    with torch.no_grad():
        for position in range(1, ids.shape[1] - 1):
            masked = ids.clone()
            masked[0, position] = tokenizer.mask_token_id
            logits = model(input_ids=masked, token_type_ids=encoded["token_type_ids"],
                           attention_mask=encoded["attention_mask"]).logits
            total += logits[0, position].log_softmax(-1)[ids[0, position]].item()
    return total


def _passes(engine, call) -> int:
    before = engine.passes
    call()
    return engine.passes - before


def run(bench: Bench) -> list[Row]:
    from transformers import BertForMaskedLM

    from bertui.engine import AnalysisRequest

    engine, tokenizer = bench.engine, bench.tokenizer
    model = BertForMaskedLM.from_pretrained(bench.model.folder).eval()
    tokens = len(tokenizer(SENTENCE)["input_ids"])
    ours_pll = engine.score(SENTENCE)[1].pseudo_log_likelihood
    if abs(ours_pll - plain_pll(model, tokenizer, SENTENCE)) > 1e-3:
        bench.notes.append("scoring: bertui's PLL differs from the plain loop's by more than 1e-3")
    repeat = max(3, bench.repeat // 5)
    a, b = side_by_side(lambda: engine.score(SENTENCE), lambda: plain_pll(model, tokenizer, SENTENCE),
                        repeat=repeat)
    speedup = median(b) / median(a)
    rows = [Row("scoring", f"score: PLL + word-l2r of a {tokens}-token sentence ({tokens - 2} masked copies, "
                f"{_passes(engine, lambda: engine.score(SENTENCE))} forward(s); n={repeat})",
                ms(median(a)), ms(median(b)) + " (PLL alone, one forward per copy)", f"{speedup:.2f}× faster",
                f"≥ {GOAL}× faster", verdict(speedup >= GOAL, f"{speedup / GOAL:.2f}× the goal"))]

    plain = AnalysisRequest(request_id=1, text_a=JOINT_TEXT)
    joint = AnalysisRequest(request_id=1, text_a=JOINT_TEXT, joint=True, beam=5)
    a, b = side_by_side(lambda: engine.analyze(joint, rank=False), lambda: engine.analyze(plain, rank=False),
                        repeat=bench.repeat // 3 or 1)
    joint_passes = _passes(engine, lambda: engine.analyze(joint, rank=False))
    rows.append(Row("scoring", f"joint fill, 2 masks, beam 5 (n={len(a)}): analysis + joint vs a plain one",
                    f"{ms(median(a))}, {joint_passes} passes", f"{ms(median(b))}, 1 pass (bertui, no joint)",
                    f"{median(a) / median(b):.2f}× the time", "—", "—"))

    with_targets = AnalysisRequest(request_id=1, text_a=JOINT_TEXT, targets=TARGETS)
    extra = _passes(engine, lambda: engine.analyze(with_targets, rank=False)) - \
        _passes(engine, lambda: engine.analyze(plain, rank=False))
    a, b = side_by_side(lambda: engine.analyze(with_targets, rank=False),
                        lambda: engine.analyze(plain, rank=False), repeat=bench.repeat // 3 or 1)
    rows.append(Row("scoring", f"targets {','.join(TARGETS)} at 2 masks: extra encoder passes (n={len(a)})",
                    f"{extra} extra, {ms(median(a))}", f"{ms(median(b))} (bertui, no targets)",
                    f"{median(a) / median(b):.2f}× the time", "0 extra passes",
                    verdict(extra == 0, f"{extra} extra passes")))
    return rows
