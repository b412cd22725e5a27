"""The engine on a CUDA GPU, fp32 and bf16, each figure beside the plain transformers way in the same run.

    python -m benchmarks.gpu [--shared DIR] [--repeat N] [--write FILE]

No terminal and no Textual: the engine alone, on bert-base-uncased's size (``benchmarks.model``: the real
tokenizer + a random-initialised ``BertConfig()`` BertForPreTraining, unless ``DIR`` holds the real
checkpoint). Every call is followed by ``torch.cuda.synchronize()``; figures are medians of interleaved
runs (``benchmarks.measure.side_by_side``). The plain side runs the same weights in the same dtype:

- keystroke→masks: ``Engine.analyze`` vs a BertForMaskedLM forward, softmax at the masks, top-5;
- NSP ranking: ``Engine.rank_many`` (``rank``'s batched path without its one-entry cache) vs one
  BertForNextSentencePrediction forward per candidate (``benchmarks.nsp.seed_loop``);
- score: ``Engine.score`` (PLL + word-l2r) vs one BertForMaskedLM forward per masked copy
  (``benchmarks.scoring.plain_pll``);
- fill over 1,000 short lines: ``bertui.headless.stream.run`` (what ``bertui fill --file`` runs:
  analyze_many over
  256-line windows, JSONL written) vs a per-line loop (``benchmarks.streams.plain_fill``);
- load: ``Engine.load`` (its warm-up pass included) vs ``from_pretrained`` + ``.to("cuda")`` + tokenizer.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from benchmarks.masks import SENTENCES, TOP_K
from benchmarks.measure import median, side_by_side
from benchmarks.model import SHARED_MODELS, prepare, scratch_folder
from benchmarks.nsp import FIRST, candidates, seed_loop
from benchmarks.scoring import SENTENCE, plain_pll
from benchmarks.streams import plain_fill, short_lines

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
FILL_LINES = 1000
HEADER = "| measure | dtype | bertui | plain transformers | bertui's speed-up | answers |"


def synced(call: Callable[[], object]) -> Callable[[], object]:
    def run():
        answer = call()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return answer
    return run


def compare(ours, theirs, repeat: int, warmup: int = 2) -> tuple[float, float]:
    a, b = side_by_side(synced(ours), synced(theirs), repeat=repeat, warmup=warmup)
    return median(a), median(b)


def row(measure: str, dtype: str, ours: float, theirs: float, answers: str) -> str:
    return (f"| {measure} | {dtype} | {ours * 1000:.1f} ms | {theirs * 1000:.1f} ms | "
            f"{theirs / ours:.2f}× | {answers} |")


def plain_masks(model, tokenizer, text: str):
    with torch.inference_mode():
        inputs = tokenizer(text, return_tensors="pt").to(model.device)
        logits = model(**inputs).logits[0]
        at = (inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero().squeeze(-1)
        return logits[at].float().softmax(-1).topk(TOP_K)


def measure_dtype(folder: Path, device: str, dtype: str, repeat: int, scratch: Path) -> list[str]:
    from transformers import AutoTokenizer, BertForMaskedLM, BertForNextSentencePrediction

    from bertui.engine import AnalysisRequest
    from bertui.engine.inference import Engine
    from bertui.headless import stream

    engine = Engine.load(str(folder), device=device, dtype=dtype)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    mlm = BertForMaskedLM.from_pretrained(folder, dtype=DTYPES[dtype]).to(device).eval()
    nsp = BertForNextSentencePrediction.from_pretrained(folder, dtype=DTYPES[dtype]).to(device).eval()
    rows = []

    for masks, text in SENTENCES.items():
        request = AnalysisRequest(request_id=1, text_a=text, top_k=TOP_K)
        ours, theirs = (lambda: engine.analyze(request)), (lambda: plain_masks(mlm, tokenizer, text))
        same = [[p.token for p in m.predictions] for m in ours().masks] == theirs().indices.tolist()
        tokens = len(tokenizer(text)["input_ids"])
        rows.append(row(f"keystroke→masks: {masks} mask{'s' * (masks > 1)}, {tokens} tokens (n={repeat})",
                        dtype, *compare(ours, theirs, repeat), f"top-{TOP_K} {'same' if same else 'DIFFER'}"))

    for count in (64, 128):
        sentences = candidates(count)
        ours = lambda: engine.rank_many([(FIRST, sentences)])[0]  # noqa: E731
        theirs = lambda: seed_loop(nsp, tokenizer, FIRST, sentences)  # noqa: E731
        gap = max(abs(a - b) for a, b in zip(sorted(c.is_next for c in ours()),
                                             sorted(p for p, _ in theirs())))
        n = max(5, repeat // 3)
        rows.append(row(f"NSP ranking: {count} candidates of 2–32 words (n={n})", dtype,
                        *compare(ours, theirs, n, warmup=1), f"IsNext max Δ {gap:.1e}"))

    tokens = len(tokenizer(SENTENCE)["input_ids"])
    gap = abs(engine.score(SENTENCE)[1].pseudo_log_likelihood - plain_pll(mlm, tokenizer, SENTENCE))
    n = max(5, repeat // 3)
    rows.append(row(f"score: PLL + word-l2r of a {tokens}-token sentence ({tokens - 2} masked copies; n={n})",
                    dtype, *compare(lambda: engine.score(SENTENCE),
                                    lambda: plain_pll(mlm, tokenizer, SENTENCE), n, warmup=1),
                    f"PLL Δ {gap:.1e}"))

    lines = short_lines(FILL_LINES)
    source = scratch / "lines.txt"
    source.write_text("\n".join(lines) + "\n")
    average = sum(len(tokenizer(line)["input_ids"]) for line in lines) / len(lines)
    options = stream.StreamOptions(command="fill")

    def ours():
        return stream.run(engine, options, str(source), scratch / "fill.jsonl", resume=False,
                          ranks=stream.Ranks())

    rows.append(row(f"fill --file: {FILL_LINES} short lines ({average:.1f} tokens on average, one mask; n=3)",
                    dtype, *compare(ours, lambda: plain_fill(mlm, tokenizer, lines), 3, warmup=1),
                    "—"))
    return rows


def _release() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _load_row(folder: Path, device: str, dtype: str) -> str:
    from transformers import AutoTokenizer, BertForPreTraining

    from bertui.engine.inference import Engine

    def ours():
        return Engine.load(str(folder), device=device, dtype=dtype)

    def theirs():
        AutoTokenizer.from_pretrained(folder)
        return BertForPreTraining.from_pretrained(folder, dtype=DTYPES[dtype]).to(device).eval()

    def dropping(call):
        def run():
            call()
            _release()
        return run

    ours_s, theirs_s = compare(dropping(ours), dropping(theirs), 3, warmup=1)
    return row("load: Engine.load (warm-up pass included) vs from_pretrained + .to(cuda) + tokenizer (n=3)",
               dtype, ours_s, theirs_s, "—")


def describe() -> list[str]:
    import platform

    import transformers

    properties = torch.cuda.get_device_properties(0)
    return [f"- **gpu**: {properties.name}, {properties.total_memory / 2**30:.0f} GiB, "
            f"{properties.multi_processor_count} SMs",
            f"- **versions**: python {platform.python_version()}, torch {torch.__version__} "
            f"(CUDA {torch.version.cuda}), transformers {transformers.__version__}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED_MODELS,
                        help="folder holding bert-base-uncased-tokenizer (or the real bert-base-uncased)")
    parser.add_argument("--repeat", type=int, default=30, help="runs per keystroke figure (others: a third)")
    parser.add_argument("--device", default="cuda", help="cuda (what this measures); cpu for a smoke run")
    parser.add_argument("--write", type=Path, help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: this benchmark measures the engine on a GPU (--device cpu: a smoke run)",
              file=sys.stderr)
        return 2
    torch.zeros(1, device=args.device)  # the CUDA context, before anything is timed
    with scratch_folder() as scratch:
        model = prepare(args.shared, Path(scratch))
        lines = [*(describe() if args.device == "cuda" else []), f"- **model**: {model.description}", "",
                 HEADER, "|---|---|---|---|---|---|"]
        for dtype in DTYPES:
            rows = measure_dtype(model.folder, args.device, dtype, args.repeat, Path(scratch))
            _release()  # the engine and plain models above are gone: their memory back before loading
            for line in [*rows, _load_row(model.folder, args.device, dtype)]:
                print(line, flush=True)
                lines.append(line)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
