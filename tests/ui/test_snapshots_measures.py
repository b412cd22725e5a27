"""Pictures of the measures' pane states on the seeded tiny BERT: target words under the predictions,
the joint fillings of two masks, and the sentence scores with the pair's preference.

Regenerate after a deliberate change with ``pytest tests/ui/test_snapshots_measures.py --snapshot-update``.
"""

from __future__ import annotations

from bertui.ui.app import BertuiApp
from bertui.ui.options import Options
from tests.ui.conftest import TINY, drained, settle, type_text


def app(loader, **options) -> BertuiApp:
    return BertuiApp(Options(model=TINY, device="cpu", engine_loader=loader, **options))


def test_target_words(snap_compare, loader):
    async def typed(pilot):
        await settle(pilot)
        pilot.app.query_one("#targets-field").focus()
        await type_text(pilot, "i, her, xqzzyq, ☃")
        await settle(pilot)

    assert snap_compare(app(loader, text_a="the dog ate my [MASK] .", top_k=3), terminal_size=(110, 36),
                        run_before=typed)


def test_together(snap_compare, loader):
    assert snap_compare(app(loader, text_a="the [MASK] sat on the [MASK] .", top_k=3),
                        terminal_size=(110, 40), run_before=settle)


def test_sentence_scores_in_pair_mode(snap_compare, loader):
    async def scored(pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f6")
        await drained(pilot)

    assert snap_compare(app(loader, text_a="the dogs sleep .", text_b="the dogs sleeps .", pair=True),
                        terminal_size=(110, 40), run_before=scored)
