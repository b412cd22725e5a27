"""Work the benchmark runs in a fresh process, so that start-up and peak memory are its own.

    python -m benchmarks.probe bare-load FOLDER         # prints "ready" once transformers has the model
    python -m benchmarks.probe first-paint FOLDER       # JSON: heavy modules imported by the first paint
    python -m benchmarks.probe memory bertui|transformers FOLDER   # JSON: resident memory, MiB
    python -m benchmarks.probe attention-ui process|thread FOLDER  # JSON: the app's peak with attention open
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
    from bertui.model.loop import load_engine
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


def attention_ui(where: str, folder: str) -> None:
    """The real app on a 512-token text with the attention view open, the model in its own process or in
    a thread of the app's: the app process's peak resident memory, and the model process's if it has one."""
    from benchmarks.memory import LONG
    from bertui.model.loop import load_engine
    from bertui.ui.app import BertuiApp
    from bertui.ui.options import Options

    found: dict[str, float] = {}

    async def run() -> None:
        app = BertuiApp(Options(model=folder, device="cpu", engine_loader=load_engine, text_a=LONG,
                                model_process=where == "process"))
        async with app.run_test(size=(120, 36)) as pilot:
            while not (app.main.model.info is not None and app.main.results_current):
                await pilot.pause(0.05)
            await pilot.press("f3")
            while not (app.main.results_current and app.main.shown[1].attention is not None):
                await pilot.pause(0.05)
            await pilot.pause(0.5)
            found["tokens"] = len(app.main.shown[1].encoding.input_ids)
            found["app_peak"] = peak_rss_mib()
            if where == "process":
                found["model_peak"] = peak_rss_mib(app.main.backend.pid)

    asyncio.run(run())
    print(json.dumps(found))


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    {"bare-load": bare_load, "first-paint": first_paint, "memory": memory,
     "attention-ui": attention_ui}[command](*rest)
