"""Work the benchmark runs in a fresh process, so that start-up and peak memory are its own.

    python -m benchmarks.probe bare-load FOLDER         # prints "ready" once transformers has the model
    python -m benchmarks.probe first-paint FOLDER       # JSON: heavy modules imported by the first paint
    python -m benchmarks.probe memory bertui|transformers FOLDER   # JSON: resident memory, MiB
"""

from __future__ import annotations

import asyncio
import json
import sys

from benchmarks.measure import peak_rss_mib, rss_mib

HEAVY = ("torch", "transformers", "numpy")
PAIR = ("The capital of France is [MASK].", "It is also the largest [MASK] in the country.")
CANDIDATES = ("Paris has been the capital since the tenth century.", "Penguins cannot fly.",
              "It is also the largest city in the country.")


def bare_load(folder: str) -> None:
    from transformers import AutoTokenizer, BertForPreTraining

    AutoTokenizer.from_pretrained(folder)
    BertForPreTraining.from_pretrained(folder).eval()
    print("ready", flush=True)


def first_paint(folder: str) -> None:
    """The app's loader is called only after the first refresh: what is imported then was imported
    for the first paint."""
    from bertui.serving import load_engine
    from bertui.ui.app import BertuiApp
    from bertui.ui.options import Options

    seen: dict[str, bool] = {}

    def loader(spec: str, **options):
        seen.update({name: name in sys.modules for name in HEAVY})
        return load_engine(spec, **options)

    async def run() -> None:
        app = BertuiApp(Options(model=folder, device="cpu", engine_loader=loader))
        async with app.run_test(size=(120, 36)) as pilot:
            while not seen:
                await pilot.pause(0.01)

    asyncio.run(run())
    print(json.dumps(seen))


def memory(who: str, folder: str) -> None:
    """Resident memory after the imports, and at peak with the model loaded and one pair analysed."""
    if who == "bertui":
        from bertui.engine import AnalysisRequest
        from bertui.engine.inference import Engine

        imported = rss_mib()
        engine = Engine.load(folder, device="cpu")
        engine.analyze(AnalysisRequest(request_id=1, text_a=PAIR[0], text_b=PAIR[1], candidates=CANDIDATES))
        parameters = engine._model.parameters()
    else:
        import torch
        from transformers import AutoTokenizer, BertForPreTraining

        imported = rss_mib()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = BertForPreTraining.from_pretrained(folder).eval()
        with torch.no_grad():
            model(**tokenizer(*PAIR, return_tensors="pt"))
            for candidate in CANDIDATES:
                model(**tokenizer(PAIR[0], candidate, return_tensors="pt"))
        parameters = model.parameters()
    weights = sum(p.numel() * p.element_size() for p in parameters) / 2**20
    print(json.dumps({"imported": imported, "rss": rss_mib(), "peak": peak_rss_mib(), "weights": weights}))


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    {"bare-load": bare_load, "first-paint": first_paint, "memory": memory}[command](*rest)
