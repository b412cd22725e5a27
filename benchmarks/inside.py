"""Looking inside a prediction (issue 21): the layer lens, attribution and nearest tokens, each beside the
plain transformers way, at bert-base size on the CPU (run with ``--threads 1`` for the issue's figures).

- lens (the head at every layer, every mask) vs one plain ``BertForMaskedLM`` forward of the same text;
- integrated gradients, 50 Gauss–Legendre steps: ``engine.explain(method="ig")`` (captum, the steps batched
  within the token budget, the head at the mask only) vs captum's IntegratedGradients one step per
  forward + backward (``internal_batch_size=1``) over the whole masked LM, as a person glues it; the
  scores of the two are compared (≤ 1e-4);
  and, to tell what the batching alone buys, the same engine code run one step a pass;
- gradient × input, attention rollout and near beside the same plain forward (no goal here);
- the app's side (``AnalysisRequest.inside``): what one keystroke asks of the model with each view open —
  the Why strip (analysis + gradient × input, goal ≤ 2.5× one forward), the lens and near (read from the
  analysis's own pass: its extra encoder passes are counted, goal 0) — beside the same plain forward.
"""

from __future__ import annotations

import torch

from benchmarks.context import Bench
from benchmarks.measure import median, side_by_side, timed
from benchmarks.report import Row, ms, verdict

TEXT = "The old farmer walked slowly across the muddy [MASK] before the storm."
LENS_GOAL = 1.3
IG_GOAL = 3.0
WHY_GOAL = 2.5
STEPS = 50


def plain_ig(model, inputs: dict, position: int, target: int, baseline_ids: torch.Tensor) -> torch.Tensor:
    """captum, one step per forward + backward, on the whole masked LM fed the word embeddings."""
    from captum.attr import IntegratedGradients

    table = model.get_input_embeddings()
    others = {name: tensor for name, tensor in inputs.items() if name != "input_ids"}

    def value(embeds: torch.Tensor) -> torch.Tensor:
        rows = {name: tensor.expand(embeds.shape[0], -1) for name, tensor in others.items()}
        return model(inputs_embeds=embeds, **rows).logits[:, position].log_softmax(-1)[:, target]

    with torch.no_grad():
        embeds, baseline = table(inputs["input_ids"]), table(baseline_ids)
    scores = IntegratedGradients(value).attribute(embeds, baselines=baseline, n_steps=STEPS,
                                                  method="gausslegendre", internal_batch_size=1)
    return scores.detach()[0].sum(-1)


def run(bench: Bench) -> list[Row]:
    from transformers import BertForMaskedLM

    engine, tokenizer = bench.engine, bench.tokenizer
    model = BertForMaskedLM.from_pretrained(bench.model.folder).eval()
    inputs = tokenizer(TEXT, return_tensors="pt")
    tokens = inputs["input_ids"].shape[1]

    def forward() -> None:
        with torch.inference_mode():
            model(**inputs)

    repeat = max(5, bench.repeat)
    a, b = side_by_side(lambda: engine.lens(TEXT), forward, repeat=repeat)
    ratio = median(a) / median(b)
    rows = [Row("inside", f"lens: every layer's top-5 at 1 mask, {tokens} tokens, {engine.info.layers + 1} "
                f"rows (n={repeat}) vs one BertForMaskedLM forward", ms(median(a)), ms(median(b)),
                f"{ratio:.2f}× the time", f"≤ {LENS_GOAL}×", verdict(ratio <= LENS_GOAL, f"{ratio:.2f}×"))]
    rows += app_rows(bench, forward, tokens, repeat)
    rows += ig_rows(bench, model, dict(inputs))
    for measure, call in (("gradient × input", lambda: engine.explain(TEXT, method="grad-input")),
                          ("attention rollout", lambda: engine.explain(TEXT, method="rollout")),
                          ("near, every token, last layer, k=10", lambda: engine.near(TEXT))):
        a, b = side_by_side(call, forward, repeat=repeat)
        rows.append(Row("inside", f"{measure}, {tokens} tokens (n={repeat}) vs one forward", ms(median(a)),
                        ms(median(b)), f"{median(a) / median(b):.2f}× the time", "—", "—"))
    return rows


def app_rows(bench: Bench, forward, tokens: int, repeat: int) -> list[Row]:
    """One keystroke's request with each inside view open, as the app sends it, vs one plain forward."""
    from bertui.engine.inside_results import InsideAsk
    from bertui.engine.results import AnalysisRequest

    engine = bench.engine
    rows = []
    for view, ask, goal in (("the Why strip (gradient × input)", InsideAsk(explain="grad-input"), WHY_GOAL),
                            ("the layer lens", InsideAsk(lens=True), None),
                            ("near (the embeddings pane)", InsideAsk(near=True), None)):
        request = AnalysisRequest(request_id=1, text_a=TEXT, inside=ask)
        passes = engine.passes
        engine.analyze(request)
        extra = engine.passes - passes - 1
        a, b = side_by_side(lambda request=request: engine.analyze(request), forward, repeat=repeat)
        ratio = median(a) / median(b)
        rows.append(Row("inside", f"app: a keystroke's request with {view} open, {tokens} tokens, {extra} "
                    f"encoder pass(es) beyond the analysis's (n={repeat}) vs one forward", ms(median(a)),
                    ms(median(b)), f"{ratio:.2f}× the time", "—" if goal is None else f"≤ {goal}×",
                    "—" if goal is None else verdict(ratio <= goal, f"{ratio:.2f}×")))
    return rows


def ig_rows(bench: Bench, model, inputs: dict) -> list[Row]:
    """bertui's IG vs captum one step a pass (same numbers?), and vs its own code one step a pass."""
    engine, tokenizer = bench.engine, bench.tokenizer
    ids = inputs["input_ids"][0].tolist()
    tokens, position = len(ids), ids.index(tokenizer.mask_token_id)
    (ours,) = engine.explain(TEXT, method="ig", steps=STEPS).explanations
    special = set(tokenizer.all_special_ids) - {tokenizer.pad_token_id}
    blank = torch.tensor([[t if t in special else tokenizer.pad_token_id for t in ids]])
    theirs = plain_ig(model, inputs, position, ours.target.token, blank)
    difference = float((torch.tensor(ours.scores) - theirs).abs().max())
    if difference > 1e-4:
        bench.notes.append(f"inside: IG scores differ from the per-step loop's by {difference:.2e} (> 1e-4)")
    ig_repeat = 1 if bench.quick else 3
    a, b = side_by_side(lambda: engine.explain(TEXT, method="ig", steps=STEPS),
                        lambda: plain_ig(model, inputs, position, ours.target.token, blank),
                        repeat=ig_repeat, warmup=0)
    speedup, batched = median(b) / median(a), median(a)
    budget = engine.token_budget
    engine.token_budget = tokens  # the same code, one step a pass: what the batching alone buys
    try:
        unbatched = median([timed(lambda: engine.explain(TEXT, method="ig", steps=STEPS))
                            for _ in range(ig_repeat)])
    finally:
        engine.token_budget = budget
    return [Row("inside", f"integrated gradients, {STEPS} steps, {tokens} tokens (n={ig_repeat}; scores "
                f"equal to {difference:.1e}; |delta| {abs(ours.delta):.1e})", ms(batched),
                ms(median(b)) + " (captum, 1 step a pass)", f"{speedup:.2f}× faster",
                f"≥ {IG_GOAL}× faster", verdict(speedup >= IG_GOAL, f"{speedup:.2f}×")),
            Row("inside", f"integrated gradients, {STEPS} steps: batched vs bertui's own code at one "
                f"step a pass (token budget = {tokens}; n={ig_repeat})", ms(batched),
                ms(unbatched) + " (bertui, 1 step a pass)", f"{unbatched / batched:.2f}× faster", "—", "—")]
