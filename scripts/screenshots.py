"""SVG screenshots of the app's main states, driven through Textual's pilot with the demo model.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

The demo model (random weights, built offline) keeps them reproducible; the app is held still as in the
tests (``tests/ui/steady.py``: no latencies, load times, animation or blinking cursor), so running this
again rewrites identical files.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from bertui.engine.demo import build_demo_model
from bertui.errors import ModelLoadError
from bertui.model.loop import load_engine
from bertui.ui.app import EXAMPLE_CANDIDATES, BertuiApp
from bertui.ui.options import Options

TWO_MASKS = "The [MASK] sat on the [MASK] all afternoon."
KOREAN = "축구는 정말 재미있는 [MASK]이다."  # uncased WordPiece makes jamo of it; drawn as letters
OTHER_DEMO = "demo-seed-2"  # the demo recipe with other random weights: a second model for --compare
CANDIDATES = ("It was warm there in the sun.", "Stock prices fell sharply on Monday.",
              "Then it jumped down and ran away.", "Penguins cannot fly.", "The mat was red.")


async def until(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


async def answered(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.main.model.info is not None and app.main.results_current
                and (app.main.compare is None or app.main.compare.answered))
    await pilot.pause()


async def typed(pilot, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def offline_loader(spec: str, **options):
    if spec != "demo":
        raise ModelLoadError(f"cannot load {spec!r}: it is not in the Hugging Face cache and the "
                             "Hugging Face hub cannot be reached. Download it once on a connected machine, "
                             "or pass a local folder with --model PATH, or try --model demo (a tiny built-in "
                             "model with random predictions).")
    return load_engine(spec, **options)


async def shoot(out: Path, name: str, size: tuple[int, int], scene, model: str = "demo",
                loader=load_engine, **options) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for its tests/
    from tests.ui.steady import hold_still

    with pytest.MonkeyPatch.context() as patch:
        hold_still(patch)
        app = BertuiApp(Options(model=model, device="cpu", engine_loader=loader, **options))
        async with app.run_test(size=size) as pilot:
            await scene(pilot)
            await pilot.pause()
            app.save_screenshot(str(out / f"{name}.svg"))
    print(out / f"{name}.svg")


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    released = threading.Event()

    def held_loader(spec, *, progress, **options):
        progress("loading the tokenizer and weights")
        released.wait(timeout=60)
        return load_engine(spec, progress=progress, **options)

    async def loading(pilot):
        await until(pilot, lambda: "weights" in str(pilot.app.query_one("#banner-stage").content))

    async def masks(pilot):
        await answered(pilot)

    async def pair(pilot):
        await answered(pilot)
        await pilot.press("ctrl+b")
        await typed(pilot, "It purred quietly.")
        await answered(pilot)

    async def leaderboard(pilot):
        await answered(pilot)
        pilot.app.query_one("#candidates").focus()
        await pilot.press("a")
        await typed(pilot, "Then it fell asleep.")
        await pilot.press("enter")
        await answered(pilot)

    async def targets(pilot):
        await answered(pilot)
        pilot.app.query_one("#targets-field").focus()
        await typed(pilot, "he, she, they, embedding")
        await answered(pilot)

    async def scores(pilot):
        await answered(pilot)
        await pilot.press("f5")
        await answered(pilot)

    async def failed(pilot):
        await until(pilot, lambda: pilot.app.query_one("#banner").has_class("-failed"))

    async def help_keys(pilot):
        await answered(pilot)
        await pilot.press("f1")

    async def model_card(pilot):
        await answered(pilot)
        await pilot.press("f2")

    other_demo = build_demo_model(Path(tempfile.mkdtemp(prefix="bertui-demo-")), seed=2)

    def two_demos(spec, **options):
        return load_engine(str(other_demo) if spec == OTHER_DEMO else spec, **options)

    def inside(*keys: str, token: int):
        """Select ``token`` in the grid, then press ``keys``, each answered before the next."""

        async def scene(pilot):
            await answered(pilot)
            grid = pilot.app.query_one("#grid")
            grid.focus()
            grid.action_move_to(token)
            for key in keys:
                await pilot.press(key)
                await answered(pilot)

        return scene

    example = {"text_a": "The capital of France is [MASK].", "candidates": EXAMPLE_CANDIDATES}
    looking = {"text_a": "The cat sat on the mat all afternoon.", "candidates": CANDIDATES[:3]}
    await shoot(out, "loading", (120, 34), loading, loader=held_loader, **example)
    released.set()
    await shoot(out, "masks", (120, 34), masks, text_a=TWO_MASKS, candidates=CANDIDATES[:3])
    await shoot(out, "pair", (120, 34), pair, text_a=TWO_MASKS, candidates=CANDIDATES[:3])
    await shoot(out, "leaderboard", (120, 34), leaderboard, text_a="The cat sat on the mat.",
                candidates=CANDIDATES)
    await shoot(out, "load-error", (100, 30), failed, model="bert-base-uncased", loader=offline_loader,
                **example)
    await shoot(out, "korean", (120, 34), masks, text_a=KOREAN, candidates=CANDIDATES[:3])
    await shoot(out, "narrow-80x24", (80, 24), masks, **example)
    await shoot(out, "wide-160x48", (160, 48), pair, text_a=TWO_MASKS, candidates=CANDIDATES)
    await shoot(out, "compare", (120, 34), pair, loader=two_demos, compare=OTHER_DEMO, text_a=TWO_MASKS,
                candidates=CANDIDATES[:3])
    await shoot(out, "help", (100, 40), help_keys, **example)
    await shoot(out, "model-card", (80, 24), model_card, **example)
    await shoot(out, "attention", (120, 40), inside("f3", "n", token=3), **looking)
    await shoot(out, "attention-embeddings", (140, 44), inside("f4", "f3", "a", token=2), **looking)
    await shoot(out, "whole-word-mask", (120, 34), inside("w", token=12), **looking)
    await shoot(out, "surprisal", (120, 34), inside("f5", token=3), **looking)
    soccer = {"text_a": "Soccer is a really fun [MASK].", "candidates": CANDIDATES[:3]}
    await shoot(out, "layer-lens", (120, 34), inside("f10", token=6), **soccer)
    await shoot(out, "why-strip", (120, 34), inside("f12", "c", token=6), **soccer)
    await shoot(out, "near", (120, 34), inside("f4", token=1), **soccer)
    await shoot(out, "inside-80x24", (80, 24), inside("f12", "f10", token=6), **soccer)
    await shoot(out, "targets", (120, 36), targets, text_a="The [MASK] ate the pizza.", top_k=3,
                candidates=CANDIDATES[:3])
    await shoot(out, "together", (120, 40), masks, text_a=TWO_MASKS, top_k=3, candidates=CANDIDATES[:3])
    await shoot(out, "pair-scores", (120, 40), scores, text_a="The dogs sleep.", text_b="The dogs sleeps.",
                pair=True, candidates=CANDIDATES[:3])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "screenshots")
    asyncio.run(main(parser.parse_args().out))
