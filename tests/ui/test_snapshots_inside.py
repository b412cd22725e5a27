"""Pictures of the views inside the model, on the seeded tiny BERT; each waits for its answer first.

Regenerate after a deliberate change with ``pytest tests/ui/test_snapshots_inside.py --snapshot-update``
and look at the pictures.
"""

from __future__ import annotations

from bertui.ui.widgets.token_grid import TokenGrid
from tests.ui.conftest import settle
from tests.ui.test_snapshots import app

SENTENCE = "the cat was embedding it ."  # em ##bed ##ding: a word of three pieces (token 6 is one)


def opened(*keys: str, token: int = 2):
    """A scene: select ``token`` in the grid, then press ``keys`` one at a time, each answered."""

    async def scene(pilot):
        await settle(pilot)
        grid = pilot.app.query_one(TokenGrid)
        grid.focus()
        grid.action_move_to(token)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return scene


def test_attention_view_with_numbers(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE), terminal_size=(120, 36),
                        run_before=opened("f3", "right_square_bracket", "n"))


def test_attention_and_embeddings(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE), terminal_size=(140, 40),
                        run_before=opened("f4", "f3", "a", token=3))


def test_whole_word_mask(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE, top_k=4), terminal_size=(100, 30),
                        run_before=opened("w", token=6))


def test_surprisal_strip(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE), terminal_size=(100, 30),
                        run_before=opened("f5", token=3))


MASKED = "the cat was [MASK] it ."


def test_layer_lens_80x24(snap_compare, loader):
    assert snap_compare(app(loader, text_a=MASKED), terminal_size=(80, 24), run_before=opened("f10", token=4))


def test_layer_lens_160x50(snap_compare, loader):
    assert snap_compare(app(loader, text_a=MASKED), terminal_size=(160, 50),
                        run_before=opened("f10", token=2))


def test_why_strip_80x24(snap_compare, loader):
    assert snap_compare(app(loader, text_a=MASKED), terminal_size=(80, 24), run_before=opened("f12", token=4))


def test_why_strip_rather_than_in_words_160x50(snap_compare, loader):
    assert snap_compare(app(loader, text_a=SENTENCE.replace("it", "[MASK]")), terminal_size=(160, 50),
                        run_before=opened("f12", "c", "v", "f10", token=5))


def test_near_in_the_embeddings_pane_80x24(snap_compare, loader):
    assert snap_compare(app(loader, text_a=MASKED), terminal_size=(80, 24), run_before=opened("f4", token=2))


def test_near_in_the_embeddings_pane_160x50(snap_compare, loader):
    assert snap_compare(app(loader, text_a=MASKED), terminal_size=(160, 50), run_before=opened("f4", token=4))
