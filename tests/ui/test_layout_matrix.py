"""Every view state at 80×24, 120×36 and 160×50, checked by tests/ui/layout.py: no row of a pane wraps,
no pane scrolls sideways, every border is whole. Snapshots keep the looks; this keeps the fit.

One app per state, resized through the three sizes (each size is drawn anew, as a person's resize is).
"""

from __future__ import annotations

import pytest

from bertui.ui.messages import ModelCrashed
from tests.ui.conftest import TINY, TINY_MLM_ONLY, settle, type_text, until
from tests.ui.layout import problems

SIZES = ((80, 24), (120, 36), (160, 50))
LONG_TARGETS = "sport, game, embedding, unbelievably, transformerization, " + "x" * 40


async def _targets(pilot, words: str = LONG_TARGETS) -> None:
    await settle(pilot)
    pilot.app.query_one("#targets-field").focus()
    await type_text(pilot, words)
    await settle(pilot)


async def _keys(pilot, *keys: str) -> None:
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def _crashed(pilot) -> None:
    await settle(pilot)
    main = pilot.app.main
    main.post_message(ModelCrashed(main.backend, TINY, "model process killed by SIGSEGV"))
    await pilot.pause()


async def _load_error(pilot) -> None:
    await until(pilot, lambda: "no such model" in pilot.app.query_one("#banner-error").content.plain,
                "the load error")


MASKED = "the dog ate my [MASK] ."
THIRTY = " ".join(["the dog ate my [MASK] ."] * 5)
CANDIDATES = ("it was good .", "the cat sat on the mat and looked at the dog for a while .",
              "the dogs were asleep by the fire when the cat came back in from the garden .")
STATES = {
    "plain": ({"text_a": MASKED}, _keys),
    "pair": ({"text_a": MASKED, "text_b": "it was [MASK] .", "pair": True,
                  "candidates": CANDIDATES[:2]},
             _keys),
    "targets": ({"text_a": MASKED}, _targets),
    "together": ({"text_a": "the [MASK] sat on the [MASK] ."}, _targets),
    "surprisal and scores": ({"text_a": MASKED, "text_b": "the dogs sleep .", "pair": True,
                              "candidates": CANDIDATES},  # more than the short list shows: it scrolls
                             lambda pilot: _keys(pilot, "f5", "f6")),
    "attention, 8 tokens": ({"text_a": MASKED}, lambda pilot: _keys(pilot, "f3")),
    "attention, 32 tokens": ({"text_a": THIRTY}, lambda pilot: _keys(pilot, "f3")),
    "embeddings": ({"text_a": MASKED}, lambda pilot: _keys(pilot, "f4")),
    "layer lens": ({"text_a": MASKED}, lambda pilot: _keys(pilot, "f10")),
    "why strip, surprisal, lens and embeddings": ({"text_a": MASKED},
                                                 lambda pilot: _keys(pilot, "f12", "f5", "f10", "f4")),
    "compare": ({"text_a": MASKED, "compare": TINY_MLM_ONLY}, _keys),
    "korean and emoji": ({"text_a": "축구 경기 [MASK] 👍🏽 👨‍👩‍👧 ☃ e\u0301 \u202eabc"}, _keys),
    "5,000 tokens": ({"text_a": "the dog " * 2500 + "[MASK] ."}, _keys),
    "load error": ({"model": "no-such-model"}, _load_error),
    "crashed model": ({"text_a": MASKED}, _crashed),
}
DIALOGS = {"help": "f1", "model card": "f2", "model switch": "ctrl+o", "token jump": "f9", "export": "ctrl+r"}


async def _every_size(pilot) -> list[str]:
    found = []
    for size in SIZES:
        await pilot.resize_terminal(*size)
        await pilot.pause()
        await pilot.pause()
        found += [f"{size[0]}×{size[1]}: {problem}" for problem in problems(pilot.app)]
    return found


@pytest.mark.parametrize("state", list(STATES))
async def test_every_state_fits_every_size(make_app, state):
    options, reach = STATES[state]
    app = make_app(**{"model": TINY, **options})
    async with app.run_test(size=SIZES[-1]) as pilot:
        await reach(pilot)
        found = await _every_size(pilot)
    assert not found, "\n".join(found)


async def test_every_dialog_fits_every_size(make_app):
    app = make_app(text_a=MASKED)
    found = []
    async with app.run_test(size=SIZES[-1]) as pilot:
        await settle(pilot)
        for name, key in DIALOGS.items():
            await pilot.press(key)
            await until(pilot, lambda: len(app.screen_stack) > 1, f"the {name} dialog")
            found += [f"{name}, {problem}" for problem in await _every_size(pilot)]
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1, f"the {name} dialog to close")
    assert not found, "\n".join(found)
