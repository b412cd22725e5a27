"""Looking inside the model from the app: attention, embeddings, masks set from the grid, surprisal.

Every number on screen is checked against a second engine on the same seeded tiny BERT, asked the
very request the app sent, so a view that shows the wrong layer, head, token or part fails.
"""

from __future__ import annotations

import re

from textual.command import CommandList
from textual.widgets import Static

from bertui.ui.text import probability_text
from bertui.ui.widgets.attention_view import MATRIX_MAX_TOKENS, AttentionView, matrix_percent, row_percent
from bertui.ui.widgets.embedding_pane import cosine_text, norm_text
from bertui.ui.widgets.token_grid import TokenGrid
from tests.ui.conftest import (
    expected,
    record_notices,
    screen_text,
    select_token,
    settle,
    shown,
    type_text,
    until,
    wrapping,
)

SENTENCE = "the cat sat all unhappily ."
UNHAPPILY = (5, 6, 7, 8)
"""The WordPieces of "unhappily" in SENTENCE (bert-base-uncased's vocabulary): un ##ha ##pp ##ily."""


def body(app, selector: str) -> list[str]:
    return app.query_one(selector, Static).content.plain.splitlines()


def heat_row_numbers(lines: list[str]) -> list[str]:
    """The numbers under the heat row's tokens (every other line from the second, up to the blank)."""
    row = lines[1:lines.index("")]
    return [number for line in row[1::2] for number in line.split()]


def matrix_numbers(lines: list[str]) -> list[list[str]]:
    """Each matrix row's cells (3 characters each, after the 11-character label)."""
    start = next(i for i, line in enumerate(lines) if line.startswith("from ↓ to →")) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        cells = line[11:]
        rows.append([cells[i:i + 3] for i in range(0, len(cells), 3)])
    return rows


async def test_attention_view_shows_the_engines_weights_for_the_layer_head_and_token(make_app, reference):
    app = make_app(text_a=SENTENCE)
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        assert not shown(app)[0].attention and shown(app)[1].attention is None  # not asked while closed
        await select_token(pilot, 2)
        app.main.show_attention = True  # what f3 does, without letting the answer in yet
        assert not app.main.results_current  # the open view is part of the request: latest wins
        await settle(pilot)
        view = app.query_one(AttentionView)
        assert view.has_focus and shown(app)[0].attention
        maps = expected(app, reference).attention
        assert "Attention · layer 1/2 · head 1/4" in screen_text(app)
        await pilot.press("n")
        lines = body(app, "#attention-body")
        assert lines[0] == "From 2 cat to each token"
        assert heat_row_numbers(lines) == [row_percent(w) for w in maps.matrix(0)[2]]
        assert matrix_numbers(lines) == [[matrix_percent(w) for w in row] for row in maps.matrix(0)]

        await pilot.press("right_square_bracket", "full_stop", "full_stop")
        await settle(pilot)  # one layer is sent: the next is asked for
        assert shown(app)[0].attention_layer == 1 and shown(app)[1].attention.layer == 1
        assert shown(app)[1].attention.weights.shape[0] == 4  # that layer's heads only
        maps = expected(app, reference).attention
        assert "Attention · layer 2/2 · head 3/4" in screen_text(app)
        expected_row = [row_percent(w) for w in maps.matrix(2)[2]]
        assert heat_row_numbers(body(app, "#attention-body")) == expected_row
        await pilot.press("a")
        assert "layer 2/2 · mean of 4 heads" in screen_text(app)
        assert heat_row_numbers(body(app, "#attention-body")) == [row_percent(w) for w in maps.matrix()[2]]
        await pilot.press("full_stop")  # after the mean, the ring comes round to the first head
        assert "layer 2/2 · head 1/4" in screen_text(app)

        await pilot.press("right")  # the view moves the grid's selection
        assert app.query_one(TokenGrid).cursor_column == 3
        lines = body(app, "#attention-body")
        assert lines[0] == "From 3 sat to each token"
        assert heat_row_numbers(lines) == [row_percent(w) for w in maps.matrix(0)[3]]

        await pilot.press("f3")
        await settle(pilot)
        assert not view.display and not shown(app)[0].attention and shown(app)[1].attention is None
        assert app.query_one(TokenGrid).has_focus  # focus goes back where it was


async def test_a_long_input_gets_the_heat_row_without_the_matrix(make_app, reference):
    text = " ".join(["the cat sat on the mat ."] * 5)
    app = make_app(text_a=text)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        count = len(shown(app)[1].encoding.tokens)
        assert count > MATRIX_MAX_TOKENS
        await pilot.press("n")
        lines = body(app, "#attention-body")
        assert f"The full matrix is drawn for up to {MATRIX_MAX_TOKENS} tokens; this input has {count}." in \
            " ".join(lines)
        assert not any(line.startswith("from ↓ to →") for line in lines)
        position = app.query_one(TokenGrid).cursor_column
        maps = expected(app, reference).attention
        assert heat_row_numbers(lines) == [row_percent(w) for w in maps.matrix(0)[position]]


async def test_embedding_breakdown_follows_the_selected_token(make_app, reference):
    app = make_app(text_a=SENTENCE, text_b="it was warm .")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        await type_text(pilot, "it was warm .")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert shown(app)[0].embeddings and not shown(app)[0].attention
        breakdown = expected(app, reference).embeddings
        grid = app.query_one(TokenGrid)
        for position in (2, len(grid.encoding.tokens) - 3):  # a token of A, then one of B
            await select_token(pilot, position)
            part = breakdown[position]
            lines = body(app, "#embeddings-body")
            segment = "AB"[grid.encoding.token_type_ids[position]]
            title = f"Embeddings · {position} {grid.encoding.tokens[position]} · segment {segment}"
            assert title in screen_text(app)
            assert lines[1].split()[:3] == ["token", norm_text(part.token_norm).strip(),
                                            cosine_text(part.token_cosine).strip()]
            assert lines[2].split()[:3] == ["segment", norm_text(part.segment_norm).strip(),
                                            cosine_text(part.segment_cosine).strip()]
            assert lines[3].split()[:3] == ["position", norm_text(part.position_norm).strip(),
                                            cosine_text(part.position_cosine).strip()]
            assert lines[4].split()[:2] == ["sum", norm_text(part.sum_norm).strip()]
        await pilot.press("f4")
        await settle(pilot)
        assert shown(app)[1].embeddings is None


async def test_m_masks_the_selected_token_without_editing_the_text(make_app, reference):
    app = make_app(text_a=SENTENCE, top_k=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await select_token(pilot, 2)
        await pilot.press("m")
        await settle(pilot)
        request, analysis = shown(app)
        assert request.text_a == SENTENCE and request.masked == (2,)
        assert analysis.encoding.tokens[2] == "[MASK]"
        mine = expected(app, reference)
        assert [p.token_str for p in mine.masks[0].predictions] == \
            [p.token_str for p in analysis.masks[0].predictions]
        text = screen_text(app)
        assert "[MASK] 1 of 1 · token 2" in text and mine.masks[0].predictions[0].token_str in text
        assert app.query_one("#sentence-a").masked_spans == ((4, 7),)  # "cat" is marked as masked
        await pilot.press("m")
        await settle(pilot)
        assert shown(app)[0].masked == () and not shown(app)[1].masks
        assert app.query_one("#sentence-a").masked_spans == ()


async def test_w_masks_every_piece_of_the_word_and_shows_whole_word_fillings(make_app, reference):
    app = make_app(text_a=SENTENCE, top_k=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown(app)[1].encoding.word_ids[5:9] == (4,) * 4
        await select_token(pilot, 6)
        await pilot.press("m")  # one piece first…
        await settle(pilot)
        assert shown(app)[0].masked == (6,) and not shown(app)[1].words
        await pilot.press("w")  # …then the word: a half-masked word gets masked whole
        await settle(pilot)
        request, analysis = shown(app)
        assert request.masked == UNHAPPILY
        (word,) = expected(app, reference).words
        assert analysis.words[0].words == word.words
        text = screen_text(app)
        assert "word 1 of 1 · 4 pieces, tokens 5–8" in text
        assert "[MASK] 1" not in text  # the pieces are one entry, not four
        assert word.words[0][:12] in text
        assert app.query_one("#sentence-a").masked_spans == ((16, 18), (18, 20), (20, 22), (22, 25))
        await pilot.press("w")
        await settle(pilot)
        assert shown(app)[0].masked == ()


async def test_masks_set_from_the_grid_are_dropped_when_the_text_changes(loader, make_app, reference):
    sent = []
    load, _engines = wrapping(loader, sent.append)
    app = make_app(text_a=SENTENCE, candidates=("it was warm .",), engine_loader=load)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        last = len(shown(app)[1].encoding.tokens) - 2  # the "."
        await select_token(pilot, last)
        await pilot.press("m")
        await settle(pilot)
        assert shown(app)[0].masked == (last,)
        await pilot.press("plus")  # k is not the text: the mask stays
        await settle(pilot)
        assert shown(app)[0].masked == (last,) and shown(app)[0].top_k == 6
        app.query_one("#sentence-a").focus()
        await pilot.press("ctrl+w", "ctrl+w", "ctrl+w")  # shorter than the masked position
        await settle(pilot)
        assert shown(app)[0].masked == () and app.main.key_masks.positions == ()
        assert app.query_one("#sentence-a").masked_spans == ()
        await type_text(pilot, "sat all unhappily .")  # the old text again: the mask does not come back
        await settle(pilot)
        assert shown(app)[0].masked == ()
    # every position the app sent indexed a real token of the text it was sent with
    assert any(r.masked for r in sent)
    assert all(p < len(reference.encode(r.text_a, r.text_b).tokens) - 1 for r in sent for p in r.masked)


async def test_special_tokens_and_typed_masks_are_not_toggled(make_app):
    app = make_app(text_a="the [MASK] sat .")
    said = record_notices(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await select_token(pilot, 0)
        await pilot.press("m")
        await until(pilot, lambda: "Special tokens cannot be masked" in " ".join(said))
        assert app.main.key_masks.positions == ()
        await select_token(pilot, 2)
        await pilot.press("w")
        await until(pilot, lambda: "This mask is typed in the sentence" in " ".join(said))
        assert app.main.key_masks.positions == ()


async def test_surprisal_strip_shows_each_tokens_rank_and_the_pll(make_app, reference):
    app = make_app(text_a=SENTENCE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        grid = app.query_one(TokenGrid)
        assert shown(app)[0].surprisal
        surprisal = expected(app, reference).surprisal
        strip = grid.row("surprisal")
        ranks = {token.position: str(token.rank) for token in surprisal.tokens}
        assert strip == [ranks.get(position, "") for position in range(len(grid.encoding.tokens))]
        assert strip[0] == strip[-1] == ""  # [CLS] and [SEP] are not scored
        await select_token(pilot, 3)
        token = next(t for t in surprisal.tokens if t.position == 3)
        text = screen_text(app)
        assert f"PLL {surprisal.pseudo_log_likelihood:.2f}".replace("-", "−") in text  # a minus, not a hyphen
        numbers = f"p {probability_text(token.probability)} · rank {token.rank} · {token.surprisal:.1f} bits"
        assert f"sat {numbers}" in text
        await pilot.press("f5")
        await settle(pilot)
        assert "surprisal" not in grid.row_names
        assert "PLL" not in screen_text(app) and shown(app)[1].surprisal is None


async def test_inside_keys_are_in_help_and_the_palette(make_app):
    app = make_app(text_a=SENTENCE)
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        text = app.screen.query_one("#help Static", Static).content.plain
        for words in ("Attention view (f3)", "Attention view: the selected token's",
                      "Mask the selected token",
                      "Whole-word mask", "Surprisal strip", "Embedding breakdown", "Next / previous layer"):
            assert words in text, words
        await pilot.press("escape", "ctrl+p")
        await type_text(pilot, "surprisal")
        await until(pilot, lambda: surprisal_offered(app), "the palette to offer the surprisal strip")
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.show_surprisal and shown(app)[1].surprisal is not None
        assert re.search(r"PLL −?\d+\.\d\d", screen_text(app))


def surprisal_offered(app) -> bool:
    """The command palette's highlighted command is the surprisal strip's."""
    found = app.screen.query(CommandList)
    if not found or found.first().highlighted is None:
        return False
    options = found.first()
    return "urprisal" in str(options.get_option_at_index(options.highlighted).prompt)


def test_probabilities_read_as_percent_until_they_are_tiny():
    assert probability_text(0.4237) == "42.4%"
    assert probability_text(0.001) == "0.1%"
    assert probability_text(0.000031) == "3.1e-05"
