"""Pictures of the main states, on the seeded tiny BERT; each waits for its state before the shot.

Regenerate after a deliberate change with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and
look at the pictures (snapshot_report.html shows any difference).
"""

from __future__ import annotations

from bertui.errors import ModelLoadError
from bertui.ui.app import BertuiApp
from bertui.ui.options import Options
from tests.ui.conftest import TINY, Gate, settle, type_text, until

SENTENCE = "the dog ate my [MASK] ."
CANDIDATES = ("it was good .", "the sky is blue .", "my dog is big .", "we play a game .",
              "the city is big .")


def app(loader, model: str = TINY, **options) -> BertuiApp:
    return BertuiApp(Options(model=model, device="cpu", engine_loader=loader, **options))


async def pair_mode(pilot) -> None:
    await settle(pilot)
    await pilot.press("ctrl+b")
    await type_text(pilot, "it was good .")
    await settle(pilot)


def test_loading(snap_compare, loader):
    gate = Gate()

    def held(spec, *, progress, **options):
        progress("loading the tokenizer and weights")
        gate.wait()
        raise ModelLoadError("the picture is taken")  # nothing loads behind the next test's back

    async def loading(pilot):
        await until(pilot, gate.entered.is_set)
        await until(pilot, lambda: "weights" in str(pilot.app.query_one("#banner-stage").content))

    try:
        assert snap_compare(app(held, text_a=SENTENCE, candidates=CANDIDATES[:2]), terminal_size=(100, 30),
                            run_before=loading)
    finally:
        gate.open()


def test_two_masks(snap_compare, loader):
    assert snap_compare(app(loader, text_a="the [MASK] sat on the [MASK] .", top_k=4), terminal_size=(100,
                                                                                                      30),
                        run_before=settle)


def test_pair_mode(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE, candidates=CANDIDATES[:2]), terminal_size=(100, 30),
                        run_before=pair_mode)


def test_leaderboard_with_several_candidates(snap_compare, loader):
    async def leaderboard(pilot):
        await settle(pilot)
        pilot.app.query_one("#candidates").focus()
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app(loader, text_a="the dog ate my pizza .", candidates=CANDIDATES),
                        terminal_size=(100, 30), run_before=leaderboard)


def test_model_load_error(snap_compare, loader):
    async def failed(pilot):
        await until(pilot, lambda: pilot.app.query_one("#banner").has_class("-failed"))

    assert snap_compare(app(loader, model="bert-base-uncased", text_a=SENTENCE), terminal_size=(100, 30),
                        run_before=failed)


def test_narrow_80x24(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE, candidates=CANDIDATES[:3]), terminal_size=(80, 24),
                        run_before=settle)


def test_wide_160x48(snap_compare, loader):
    assert snap_compare(app(loader, text_a="the [MASK] ate my [MASK] .", candidates=CANDIDATES),
                        terminal_size=(160, 48), run_before=pair_mode)
