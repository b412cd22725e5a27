"""Looking inside a prediction from the app: the layer lens (f10), the Why strip (f12: e, t, c, v) and the
nearest tokens in the embeddings pane (f4).

Every number on screen is checked against a second engine on the same seeded tiny BERT, asked the very
request the app sent; the views must never show an answer to other text than the grid's.
"""

from __future__ import annotations

import json

from textual.widgets import Static

from bertui.engine.inside_results import Explained, Lens
from bertui.headless import export
from bertui.ui.widgets.lens_view import LensView, percent_text, rank_text
from bertui.ui.widgets.strips import share_text
from bertui.ui.widgets.token_grid import TokenGrid
from tests.ui.conftest import expected, screen_text, select_token, settle, shown, type_text, until

SENTENCE = "the cat sat on the [MASK] ."


def lens_lines(app) -> list[str]:
    return app.query_one("#lens-body", Static).content.plain.splitlines()


def parsed(line: str) -> tuple[int, list[str]]:
    """A lens row's layer and top words (each row: [▸] layer, then word and percentage three times, then
    the final answer's rank)."""
    words = line.removeprefix("▸").split()
    return int(words[0]), words[1:-1:2]


def why_row(app) -> list[str]:
    return app.query_one(TokenGrid).row("why")


def shares(scores) -> list[str]:
    largest = max(abs(score) for score in scores)
    return [share_text(score / largest) for score in scores]


async def test_the_lens_shows_every_layers_top_3_of_the_mask_then_of_the_selected_token(make_app, reference):
    app = make_app(text_a=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert shown(app)[0].inside is None  # nothing asked while the views are closed
        await pilot.press("f10")
        await settle(pilot)
        lens = expected(app, reference).inside.lens
        assert isinstance(lens, Lens) and shown(app)[1].inside.lens == lens
        (mask,) = lens.masks
        lines = lens_lines(app)
        assert len(lines) == 1 + lens.layers + 1  # a header, then the embeddings and every layer
        for line, layer in zip(lines[1:], mask.layers):
            assert parsed(line) == (layer.layer, [c.token_str for c in layer.top[:3]])
            assert line.startswith("▸") == (layer.layer == mask.formed_at)
            assert percent_text(layer.top[0].probability) in line
            assert line.endswith(rank_text(layer.final_rank))
        text = screen_text(app)
        assert f"Layer lens · {mask.position} [MASK]" in text
        assert f"{mask.final.token_str} formed at layer {mask.formed_at} of {lens.layers}" in text

        await select_token(pilot, 2)  # "cat": not a mask, so the lens is asked for it too
        await settle(pilot)
        assert shown(app)[0].inside.lens_at == (2,)
        cat = expected(app, reference).inside.lens.masks[0]
        assert cat.position == 2 and "Layer lens · 2 cat" in screen_text(app)
        assert parsed(lens_lines(app)[-1])[1] == [c.token_str for c in cat.layers[-1].top[:3]]

        await pilot.press("f10")
        await settle(pilot)
        assert not app.query_one(LensView).display and shown(app)[0].inside is None


async def test_the_why_strip_explains_the_mask_and_its_keys_change_the_question(make_app, reference):
    app = make_app(text_a=SENTENCE, top_k=3)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        explained = expected(app, reference).inside.explained
        assert isinstance(explained, Explained)
        (why,) = explained.explanations
        assert why.method == "grad-input" and why.contrast is None
        assert why_row(app) == shares(why.scores)
        assert f"why {why.target.token_str} · gradient × input" in screen_text(app)

        await select_token(pilot, 1)  # the keys work once the text is not being typed
        for key, method in (("e", "grad-norm"), ("e", "ig"), ("e", "rollout"), ("e", "grad-input")):
            await pilot.press(key)
            await settle(pilot)
            assert shown(app)[0].inside.explain == method
            (why,) = expected(app, reference).inside.explained.explanations
            assert why.method == method and why_row(app) == shares(why.scores)
            if method == "ig":
                assert f"δ {why.delta:.2g}" in screen_text(app)

        await pilot.press("t", "c")  # explain the second prediction rather than... the first
        await settle(pilot)
        ask = shown(app)[0].inside
        assert (ask.explain_target, ask.explain_contrast) == (1, 0)
        (why,) = expected(app, reference).inside.explained.explanations
        predictions = shown(app)[1].masks[0].predictions
        assert (why.target.token, why.contrast.token) == (predictions[1].token, predictions[0].token)
        assert f"why {why.target.token_str} rather than {why.contrast.token_str}" in screen_text(app)
        assert why_row(app) == shares(why.scores)

        before = app.main.ledger.sent
        await pilot.press("v")  # the word view: drawn from the answer on screen, nothing asked
        await pilot.pause()
        assert app.main.ledger.sent is before and "· words" in screen_text(app)
        word_shares = shares([word.score for word in why.words])
        firsts = [why_row(app)[word.positions[0]] for word in why.words]
        assert firsts == word_shares

        await pilot.press("f12")
        await settle(pilot)
        assert shown(app)[0].inside is None and "why" not in app.query_one(TokenGrid).row_names


async def test_the_strip_says_why_it_has_nothing_and_the_app_goes_on(make_app):
    app = make_app(text_a="the cat sat on the mat .")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f12", "f10")
        await settle(pilot)
        grid = app.query_one("#grid-cells", Static).content.plain.splitlines()
        assert grid[-1].startswith("no mask in the text")  # the strip's row says so
        assert lens_lines(app)[0].startswith("no mask in the text")
        app.query_one("#sentence-a").focus()
        await pilot.press("end", "left", "left")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert why_row(app)[shown(app)[1].encoding.mask_positions[0]]  # explained once there is a mask


async def test_near_follows_the_selected_token_in_the_embeddings_pane(make_app, reference):
    app = make_app(text_a=SENTENCE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        near = expected(app, reference).inside.near
        for position in (2, 6):
            await select_token(pilot, position)
            token = next(t for t in near.tokens if t.position == position)
            lines = app.query_one("#embeddings-body", Static).content.plain.splitlines()
            start = next(i for i, line in enumerate(lines) if line.startswith("near table"))
            assert lines[start].endswith(f"context, layer {near.layer}")
            for line, table, context in zip(lines[start + 1:], token.table, token.context):
                words = line.split()
                assert words[1] == table.token_str and words[3] == context.token_str
                assert words[2] == f"{table.cosine:4.2f}" and words[4] == f"{context.cosine:4.2f}"


async def test_the_views_never_show_another_texts_answer_while_typing(make_app):
    app = make_app(text_a="the [MASK] sat .")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f10", "f12")
        lens = app.query_one(LensView)
        app.query_one("#sentence-a").focus()
        for chunk in ("on", " the", " mat", " today"):
            await pilot.press("end")
            await type_text(pilot, chunk)
            await pilot.pause()
            grid = app.query_one(TokenGrid)
            if isinstance(lens.answer, Lens):  # whatever is shown belongs to the grid's text
                assert lens.answer.encoding == grid.encoding
            if grid.answer is not None and grid.answer.why is not None and grid.answer.why.explanation:
                assert len(grid.answer.why.explanation.scores) == len(grid.encoding.tokens)
        await settle(pilot)
        assert lens.answer.encoding == app.query_one(TokenGrid).encoding
        assert shown(app)[0].text_a.endswith("today")


async def test_palette_help_and_export_know_the_views(make_app):
    app = make_app(text_a=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: len(app.screen_stack) > 1, "help")
        help_text = app.screen.query_one(Static).content.plain
        for line in ("f10", "Layer lens: the selected token's", "f12", "Why strip: how much each token",
                     "Why strip: next method", "Why strip: rather than which prediction"):
            assert line in help_text
        await pilot.press("escape")
        titles = {command.title for command in app.get_system_commands(app.main)}
        assert {"Layer lens", "Why strip", "Why: next method", "Why: words or pieces"} <= titles
        await pilot.press("f10", "f12", "f4")
        await settle(pilot)
        request, analysis = shown(app)
        document = json.loads(export.to_json(request, analysis, app.main.model.info))
        assert document["views"]["lens"] and document["views"]["near"] and \
            document["views"]["explain"] == "grad-input"
        assert document["lens"]["masks"][0]["formed_at"] == analysis.inside.lens.masks[0].formed_at
        (why,) = analysis.inside.explained.explanations
        assert document["explain"]["masks"][0]["scores"] == list(why.scores)
        assert document["near"]["layer"] == analysis.inside.near.layer
        report = export.markdown_report(request, analysis, app.main.model.info)
        for heading in ("## Layer lens at token", "## Why ", "## Nearest vocabulary"):
            assert heading in report
