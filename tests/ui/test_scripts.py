"""Every script in the grid: the widths the app draws against the terminal's own (wcwidth), the grid's
rows aligned at every scroll position, and Korean end to end on a cased multilingual BERT."""

from __future__ import annotations

import json

import pytest
from rich.segment import Segment
from textual import events
from textual.strip import Strip

from bertui.ui.text import DOTTED_CIRCLE, drawn, fit, width
from bertui.ui.widgets.token_grid import NO_SEGMENTS, TokenGrid
from tests.ui.conftest import (
    TINY_MODERNBERT,
    TINY_MULTILINGUAL,
    screen_lines,
    settle,
    shown,
    type_text,
    until,
)

wcwidth = pytest.importorskip("wcwidth")

KOREAN = "축구는 정말 재미있는 [MASK]이다."
SAMPLES = ("ᄎ", "##ᅮ", "##ᆨ", "축", "##\u0301", "\u0301", "e\u0301", "축구는", "東京", "##の", "👍🏽",
           "👨\u200d👩\u200d👧", "❤️", "שלום", "مرحبا", "a\u200bb", "\u200d", "\u202eabc", "\ufeff", "\u00ad",
           "\x1b[31m", "\x9b", "café", "ᅠ", "ꥠ", "\u0301\u0301", "##ힰ")


@pytest.mark.parametrize("text", SAMPLES)
def test_drawn_text_is_as_wide_as_the_terminal_says(text):
    shown_text = drawn(text)
    assert width(shown_text) == wcwidth.wcswidth(shown_text) >= 1
    for cells in range(width(shown_text) + 2):
        assert wcwidth.wcswidth(fit(shown_text, cells)) == cells


def test_the_forms_every_terminal_agrees_on():
    assert [drawn(token) for token in ("ᄎ", "##ᅮ", "##ᆨ")] == ["ㅊ", "##ㅜ", "##ㄱ"]  # letters, not jamo
    assert drawn("축") == "축"  # a whole run composes
    assert drawn("##\u0301") == f"##{DOTTED_CIRCLE}\u0301" and drawn("e\u0301") == "e\u0301"
    assert drawn("a\u200bb") == "a‹ZWSP›b" and drawn("\u202eabc") == "‹RLO›abc"
    assert drawn("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # the joiner of an emoji sequence stays


def _painted(app, grid: TokenGrid) -> dict[str, list[str]]:
    """Each grid row as painted on screen, cut at the cells where the grid says each column in view is."""
    cells = grid.query_one("#grid-cells")
    region = cells.region
    rows = screen_lines(app)
    starts, widths, _tokens = grid.columns
    left = starts[grid.first_column]
    painted = {}
    for row, name in enumerate(grid.row_names):
        strip = Strip([Segment(rows[region.y + row])])
        found = []
        for position in grid.in_view():
            start = region.x + starts[position] - left
            end = min(start + widths[position], region.right)
            found.append(strip.crop(start, end).text.rstrip())
        painted[name] = found
    return painted


def _assert_aligned(app, grid: TokenGrid) -> None:
    """Every row's cell of every column in view starts at the cell the column starts at."""
    painted, encoding = _painted(app, grid), grid.encoding
    for column, position in enumerate(grid.in_view()):
        expected = {"": str(position), "token": drawn(encoding.tokens[position]),
                    "id": str(encoding.input_ids[position]),
                    "segment": "AB"[encoding.token_type_ids[position]], "attention": "1"}
        if not grid.answer.segments:  # the row says "no segments in this model" instead
            del expected["segment"]
        for name, text in expected.items():
            if column == len(painted[name]) - 1:  # may be cut at the right edge: the part that fits
                assert text.startswith(painted[name][column]), (name, position)
            else:
                assert painted[name][column] == text, (name, position)


async def test_grid_rows_stay_aligned_at_every_scroll_position(make_app):
    app = make_app(model=TINY_MULTILINGUAL, text_a=" ".join([KOREAN, "東京 café 👍🏽 שלום"] * 3))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        grid = app.query_one(TokenGrid)
        grid.focus()
        await pilot.press("home")
        await pilot.pause()
        assert grid.first_column == 0 and len(grid.in_view()) < len(grid.encoding.tokens)  # it scrolls
        _assert_aligned(app, grid)
        seen = {0}
        for _ in range(len(grid.encoding.tokens)):
            await pilot.press("right")
            await pilot.pause()
            if grid.first_column not in seen:
                seen.add(grid.first_column)
                _assert_aligned(app, grid)
        assert len(seen) > 3 and grid.cursor_column in grid.in_view()


async def test_jamo_pieces_of_an_uncased_vocabulary(make_app):
    app = make_app(model="demo", text_a=KOREAN)
    async with app.run_test(size=(80, 36)) as pilot:
        await settle(pilot)
        grid = app.query_one(TokenGrid)
        assert "ㅊ" in grid.row("token") and "##ㅜ" in grid.row("token")  # ᄎ ##ᅮ ##ᆨ, drawn as letters
        _assert_aligned(app, grid)


async def test_a_model_without_segments_says_so(make_app):
    app = make_app(model=TINY_MODERNBERT, text_a="hello [MASK] world")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        grid = app.query_one(TokenGrid)
        assert set(grid.row("segment")) == {""}
        assert NO_SEGMENTS in app.query_one("#grid-cells").content.plain


async def test_korean_end_to_end(make_app):
    app = make_app(model=TINY_MULTILINGUAL)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        field = app.main.query_one("#sentence-a")
        field.focus()
        field.post_message(events.Paste(KOREAN))  # pasted
        await until(pilot, lambda: field.value == KOREAN)
        await settle(pilot)
        pasted = shown(app)[1].encoding
        await pilot.press("ctrl+l")
        field.focus()
        await type_text(pilot, KOREAN)  # and typed key by key
        await until(pilot, lambda: field.value == KOREAN)
        await settle(pilot)
        encoding = shown(app)[1].encoding
        # After the special [MASK], "이다" starts a word of its own (no ##), as multilingual BERT splits it.
        assert encoding.tokens == pasted.tokens == (
            "[CLS]", "축구는", "정말", "재미있는", "[MASK]", "이", "##다", ".", "[SEP]")
        grid = app.query_one(TokenGrid)
        assert grid.row("token") == list(encoding.tokens)
        _assert_aligned(app, grid)
        masks = shown(app)[1].masks
        assert [mask.position for mask in masks] == [4]  # [MASK] glued to the suffix 이다

        await pilot.press("ctrl+b")  # pair mode: B, Korean too
        field_b = app.main.query_one("#sentence-b")
        field_b.focus()
        await type_text(pilot, "정말 재미있는 경기")
        await settle(pilot)
        encoding = shown(app)[1].encoding
        assert grid.row("segment")[-4:] == ["B", "B", "B", "B"] and encoding.tokens[-4:] == (
            "정말", "재미있는", "경기", "[SEP]")
        _assert_aligned(app, grid)

        await pilot.press("ctrl+y")
        copied = json.loads(app.clipboard)
        assert copied["text_a"] == KOREAN and copied["text_b"] == "정말 재미있는 경기"
        assert copied["tokenize"]["tokens"] == list(encoding.tokens)
        assert copied["fill"]["masks"][0]["position"] == 4


async def test_a_long_input_jumps_to_a_token_and_counts_them(make_app):
    app = make_app(model=TINY_MODERNBERT, text_a="hello world " * 300)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        grid = app.query_one(TokenGrid)
        count = len(grid.encoding.tokens)
        assert count > 600 and app.query_one("#status-tokens").content.plain == f"{count:,} tokens"
        assert len(grid.in_view()) < 30  # only the columns in view are drawn
        await pilot.press("f9")
        await pilot.press(*"432", "enter")
        await until(pilot, lambda: grid.cursor_column == 432)
        assert 432 in grid.in_view() and app.focused is grid
        _assert_aligned(app, grid)
