"""One minus sign on screen: the grid's border and the Sentence scores pane print the same PLL, with −."""

from __future__ import annotations

from tests.ui.conftest import screen_text, settle


async def test_the_grids_pll_and_the_scores_pane_agree_to_the_sign(make_app):
    app = make_app(text_a="the dog ate my pizza .")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        pll = f"{app.main.shown.analysis.surprisal.pseudo_log_likelihood:.2f}"
        assert pll.startswith("-")
        shown = pll.replace("-", "−")
        text = screen_text(app)
        assert f"PLL {shown}" in text and f"PLL          {shown}" in text
        assert f"PLL {pll}" not in text
