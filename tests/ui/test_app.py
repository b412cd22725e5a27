"""The app driven like a person drives it, on the seeded tiny BERT."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from textual.widgets import OptionList

from bertui.engine.results import RankedCandidate
from bertui.ui.screens.dialogs.help import HelpScreen
from bertui.ui.screens.main import MainScreen
from bertui.ui.widgets.leaderboard import BoardAnswer, Leaderboard
from bertui.ui.widgets.model_banner import ModelBanner
from bertui.ui.widgets.sentences import Sentences
from bertui.ui.widgets.token_grid import TokenGrid
from tests.ui.conftest import (
    TINY_MLM_ONLY,
    Gate,
    calls_to,
    opened,
    screen_text,
    settle,
    shown,
    status,
    type_text,
    until,
    values_of,
    wrapping,
)


def candidate_rows(app) -> list[str]:
    options = app.query_one("#candidates", OptionList)
    return [" ".join(options.get_option_at_index(i).prompt.plain.split())
            for i in range(options.option_count)]


def bar_styles(app) -> set[str]:
    """The styles of the leaderboard rows' rank, bar and probability (the candidate's text has none)."""
    options = app.query_one("#candidates", OptionList)
    return {str(span.style) for i in range(options.option_count)
            for span in options.get_option_at_index(i).prompt.spans}


async def retype_while_busy(pilot, gate: Gate) -> None:
    """Type "first [MASK]", and while the worker is held on it, replace it by "second [MASK]"; then let
    the worker go. The second text waits in the service's slot when the gate opens."""
    app = pilot.app
    await type_text(pilot, "first [MASK]")
    await until(pilot, gate.entered.is_set)  # the worker is busy with the first text
    await pilot.press("ctrl+u")
    await type_text(pilot, "second [MASK]")
    await until(pilot, lambda: app.main.backend.pending is not None
                and app.main.backend.pending.text_a == "second [MASK]")
    gate.open()


async def test_typing_updates_grid_masks_and_leaderboard(make_app):
    app = make_app(candidates=("the dog ate my pizza .", "the sky is blue ."))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "my dog is [MASK] .")
        await settle(pilot)
        request, analysis = shown(app)
        assert request.text_a == "my dog is [MASK] ."
        grid = app.query_one(TokenGrid)
        assert grid.encoding.tokens == ("[CLS]", "my", "dog", "is", "[MASK]", ".", "[SEP]")
        text = screen_text(app)
        assert "Tokens · 7" in text
        top = analysis.masks[0].predictions[0]
        assert "[MASK] 1 of 1 · token 4" in text
        assert f"{top.token_str}" in text and f"{top.score * 100:.1f}%" in text
        rows = candidate_rows(app)
        assert len(rows) == 2 and all("%" in row for row in rows)
        best = analysis.ranking[0]
        assert best.candidate in rows[0] and f"{best.is_next * 100:.1f}%" in rows[0]
        assert "After A: my dog is [MASK] ." in text


async def test_stale_results_are_dropped(loader, make_app):
    gate = Gate()
    load, engines = wrapping(loader, lambda request: gate.wait() if "first" in request.text_a else None)
    app = make_app(engine_loader=load)
    async with app.run_test() as pilot:
        await settle(pilot)
        grid = app.query_one(TokenGrid)
        painted = values_of(grid, "answer")
        await retype_while_busy(pilot, gate)
        await settle(pilot)
        assert shown(app)[0].text_a == "second [MASK]"
        assert "second" in grid.encoding.tokens
        assert painted and all("first" not in answer.encoding.tokens for answer in painted)
        # Keystrokes typed while the worker was busy collapsed into one request: no queue.
        seen = engines[0].seen
        blocked = next(i for i, text in enumerate(seen) if "first" in text)
        assert seen[blocked + 1:] == ["second [MASK]"]


async def test_masks_come_before_the_ranking_and_the_old_ranking_is_dimmed_meanwhile(loader, make_app):
    gate = Gate()
    load, engines = wrapping(loader, lambda request: None,
                             lambda first: gate.wait() if first.endswith("walk .") else None)
    app = make_app(engine_loader=load, text_a="the dog [MASK] .",
                   candidates=("it ran .", "the sky is blue ."))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, " walk")
        await settle(pilot)
        board = app.query_one(Leaderboard)
        old = set(candidate_rows(app))  # the ranking of "the dog [MASK] . walk"
        await type_text(pilot, " .")
        await until(pilot, gate.entered.is_set)  # the ranking is running, the masks are on their way
        await until(pilot, lambda: shown(app)[0].text_a == "the dog [MASK] . walk .", "the masks of the text")
        request, analysis = shown(app)
        assert request.text_a == "the dog [MASK] . walk ." and analysis.masks
        assert app.query_one(TokenGrid).encoding.tokens[-3:] == ("walk", ".", "[SEP]")
        assert not app.main.results_current and status(app) == "ranking…"
        assert board.border_subtitle == "ranking…"  # the rows are the last ranking's, and say so
        assert set(candidate_rows(app)) == old
        assert bar_styles(app) == {"$foreground 40%"}  # ranks, bars and figures faint
        await pilot.press("ctrl+y")
        assert app.clipboard == ""  # no half answer handed out as if whole
        gate.open()
        await settle(pilot)
        request, analysis = shown(app)
        fresh = engines[0].engine.rank(request.text_a, request.candidates)
        assert analysis.ranking == fresh and board.border_subtitle == "ranked by IsNext"
        assert "$accent" in bar_styles(app)
        best, top_row = fresh[0], candidate_rows(app)[0]
        assert best.candidate in top_row and f"{best.is_next * 100:.1f}%" in top_row


async def test_a_ranking_of_text_no_longer_on_screen_is_never_shown(loader, make_app):
    gate = Gate()
    load, engines = wrapping(loader, lambda request: None,
                             lambda first: gate.wait() if first == "first [MASK]" else None)
    app = make_app(engine_loader=load, candidates=("it ran .",))
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_text(pilot, "first [MASK]")
        await until(pilot, gate.entered.is_set)  # first's masks are shown, its ranking is running
        board = app.query_one(Leaderboard)
        answers = values_of(board, "answer")
        await pilot.press("ctrl+u")
        await type_text(pilot, "second [MASK]")
        gate.open()
        await settle(pilot)
        ranked_shown = [answer.first for answer in answers if answer.pending is None]  # each ranking's A
        assert ranked_shown and set(ranked_shown) == {"second [MASK]"}
        assert engines[0].ranked[-2:] == ["first [MASK]", "second [MASK]"]
        assert shown(app)[1].ranking == engines[0].engine.rank("second [MASK]", ("it ran .",))


async def test_no_ranking_is_computed_for_text_replaced_while_its_masks_ran(loader, make_app):
    gate = Gate()
    load, engines = wrapping(loader, lambda request: gate.wait() if "first" in request.text_a else None)
    app = make_app(engine_loader=load, candidates=("it ran .",))
    async with app.run_test() as pilot:
        await settle(pilot)
        await retype_while_busy(pilot, gate)
        await settle(pilot)
        ranked = engines[0].ranked
        assert "second [MASK]" in ranked and not any("first" in first for first in ranked)
        # Typing in sentence B keeps sentence A and the candidates: the cached ranking, no pass for it.
        passes, analyses = engines[0].engine.passes, len(engines[0].seen)
        await pilot.press("ctrl+b")
        await type_text(pilot, "b")
        await settle(pilot)
        assert engines[0].engine.passes - passes == len(engines[0].seen) - analyses > 0  # none to rank
        assert app.query_one(Leaderboard).border_subtitle == "ranked by IsNext"


async def test_worker_error_reaches_status_and_next_request_is_served(loader, make_app):
    def explode(request):
        if "boom" in request.text_a:
            raise RuntimeError("boom went the model")

    load, _ = wrapping(loader, explode)
    app = make_app(engine_loader=load, text_a="a [MASK]")
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_text(pilot, " boom")
        await settle(pilot)
        assert status(app) == "RuntimeError: boom went the model"
        assert "boom" not in shown(app)[0].text_a  # the last good answer stays on screen
        await pilot.press(*["backspace"] * 5)
        await settle(pilot)
        assert shown(app)[0].text_a == "a [MASK]" and shown(app)[0].request_id == app.main.ledger.latest_id
        assert status(app) == "ready"


async def test_pair_mode_adds_sentence_b(make_app):
    app = make_app(text_a="the dog ate my pizza .")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        sentences = app.query_one(Sentences)
        assert "The sentence that follows A" not in screen_text(app)  # B's placeholder
        await pilot.press("ctrl+b")
        assert "The sentence that follows A" in screen_text(app)
        assert app.main.pair_mode and sentences.field_b.has_focus
        await type_text(pilot, "it was good .")
        await settle(pilot)
        request, analysis = shown(app)
        assert request.text_b == "it was good ."
        assert analysis.encoding.token_type_ids.count(1) == 5  # it was good . [SEP]
        assert f"{analysis.next_sentence.is_next * 100:.1f}% sentence B" in screen_text(app)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert shown(app)[0].text_b is None and 1 not in shown(app)[1].encoding.token_type_ids
        assert sentences.field_a.has_focus


async def test_candidates_are_added_edited_deleted_and_reordered(make_app):
    app = make_app(text_a="the dog ate my pizza .", candidates=("it was good .", "the sky is blue ."))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        board = app.query_one(Leaderboard)
        app.query_one("#candidates").focus()
        await pilot.press("a")
        await type_text(pilot, "cats play")
        await settle(pilot)  # live: the half-written candidate is ranked already
        assert shown(app)[0].candidates[-1] == "cats play"
        await pilot.press("enter")
        await settle(pilot)
        assert board.candidates == ["it was good .", "the sky is blue .", "cats play"]
        assert len(shown(app)[1].ranking) == 3
        ranked = [entry.candidate for entry in shown(app)[1].ranking]
        assert [row.split("% ", 1)[1] for row in candidate_rows(app)] == ranked

        await pilot.press("s")  # the person's order: edit the second candidate
        await pilot.press("home", "down", "e", "ctrl+u")
        await type_text(pilot, "the sky is red .")
        await pilot.press("enter")
        await settle(pilot)
        assert board.candidates == ["it was good .", "the sky is red .", "cats play"]

        await pilot.press("e", "x", "x", "escape")  # escape puts the old text back
        await settle(pilot)
        assert board.candidates == ["it was good .", "the sky is red .", "cats play"]

        await pilot.press("shift+up")
        await settle(pilot)
        assert board.candidates == ["the sky is red .", "it was good .", "cats play"]
        assert shown(app)[0].candidates == tuple(board.candidates)

        await pilot.press("down", "down", "x")
        await settle(pilot)
        assert board.candidates == ["the sky is red .", "it was good ."]
        assert len(shown(app)[1].ranking) == 2

        await pilot.press("a", "escape")  # a new candidate abandoned is no candidate
        await settle(pilot)
        assert board.candidates == ["the sky is red .", "it was good ."]


async def test_the_selected_candidate_stays_selected_when_the_ranking_moves_it(make_app):
    app = make_app(model="no-such-model", candidates=("one", "two", "three"))  # rankings come from here only
    async with app.run_test() as pilot:
        await opened(pilot)
        board = app.query_one(Leaderboard)

        def rank(*order):  # candidate indices, best first
            return tuple(RankedCandidate(rank=r, candidate=board.candidates[i], is_next=1 - r / 10,
                                         not_next=r / 10, index=i) for r, i in enumerate(order, start=1))

        board.answer = BoardAnswer("a", rank(0, 1, 2))
        app.query_one("#candidates").focus()
        await pilot.press("down")
        assert board.selected_index() == 1
        for order in ((1, 2, 0), (2, 0, 1), (0, 2, 1)):
            board.answer = BoardAnswer("a", rank(*order))
            row = order.index(1)
            await until(pilot, lambda row=row: candidate_rows(app)[row].endswith("two"), f"order {order}")
            assert board.selected_index() == 1


async def test_top_k_changes_from_the_keyboard(make_app):
    app = make_app(text_a="a [MASK] and a [MASK]", top_k=2)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("+")  # typing: the key is text
        assert app.main.top_k == 2 and app.query_one(Sentences).field_a.value.endswith("+")
        await pilot.press("backspace", "tab")  # to the grid
        await pilot.press("+", "+", "+")
        await settle(pilot)
        assert app.main.top_k == 5
        assert [len(mask.predictions) for mask in shown(app)[1].masks] == [5, 5]
        assert "top-k 5" in screen_text(app)
        for _ in range(6):
            await pilot.press("minus")
        await settle(pilot)
        assert app.main.top_k == 1 and [len(m.predictions) for m in shown(app)[1].masks] == [1, 1]
        app.main.top_k = 99
        assert app.main.top_k == 50


async def test_load_failure_shows_why_and_offers_the_demo(make_app):
    app = make_app(model="no-such-model", text_a="a [MASK] .")
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot)
        banner = app.query_one(ModelBanner)
        await until(pilot, lambda: banner.has_class("-failed"))
        text = screen_text(app)
        assert "Cannot load no-such-model" in text
        assert "cannot load 'no-such-model': no such model here. Try --model demo." in text
        assert "Use the demo model (random predictions)" in text
        await pilot.click("#use-demo")
        await settle(pilot)
        assert app.main.model.spec == "demo" and app.main.model.info.is_demo
        assert not banner.display
        assert shown(app)[1].masks
        assert "demo model — random predictions" in screen_text(app)


async def test_demo_key_after_failure(make_app):
    app = make_app(model="no-such-model")
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.query_one(ModelBanner).has_class("-failed"))
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.main.model.info.is_demo


async def test_switching_model_and_a_failed_switch(make_app):
    app = make_app(text_a="the sky is [MASK] .", candidates=("it is blue .",))
    async with app.run_test(size=(130, 40)) as pilot:  # wide: the model card is on screen
        await settle(pilot)
        assert "masked LM + NSP" in screen_text(app)
        await pilot.press("ctrl+o")
        await pilot.press("ctrl+u")
        await type_text(pilot, TINY_MLM_ONLY)
        await pilot.press("enter")
        await until(pilot, lambda: app.main.model.spec == TINY_MLM_ONLY)
        await settle(pilot)
        assert shown(app)[1].ranking is None
        text = screen_text(app)
        reason = app.main.model.info.no_nsp_reason  # the model's own reason, not a constant
        assert "no next-sentence head in its weights" in reason  # the tail, after the (temporary) path:
        assert " ".join(reason.split()[2:6]) in " ".join(text.split())
        assert "it is blue ." in text  # the candidates stay, unranked
        await pilot.press("ctrl+o", "ctrl+u")
        await type_text(pilot, "nope")
        await pilot.press("enter")
        await until(pilot, lambda: status(app) == f"cannot load nope; still using {TINY_MLM_ONLY}")
        assert app.main.model.spec == TINY_MLM_ONLY
        await type_text(pilot, " x")
        await settle(pilot)  # the model in use still answers
        assert shown(app)[0].text_a.endswith(" x")


async def test_user_text_is_never_markup(make_app):
    app = make_app(text_a="[bold]x[/] is [MASK]", candidates=("[red]y[/red] too",))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "A [bold]x[/] is [MASK]" in text
        assert "After A: [bold]x[/] is [MASK]" in text
        assert "[red]y[/red] too" in text
        tokens = app.query_one(TokenGrid).encoding.tokens
        assert tokens[1] == "[" and "x" in tokens and "/" in tokens
        await pilot.press("ctrl+o", "ctrl+u")
        await type_text(pilot, "[blink]m[/]")
        await pilot.press("enter")
        await until(pilot, lambda: status(app) == "cannot load [blink]m[/]; still using tiny-bert")


async def test_loading_accepts_typing_and_analyses_it_when_ready(loader, make_app):
    gate = Gate()

    def slow(spec, **options):
        gate.wait()
        return loader(spec, **options)

    app = make_app(engine_loader=slow)
    async with app.run_test() as pilot:
        await until(pilot, gate.entered.is_set)
        assert "Loading tiny-bert — starting…" in screen_text(app)
        await type_text(pilot, "early [MASK]")
        assert app.query_one(Sentences).field_a.value == "early [MASK]"
        gate.open()
        await settle(pilot)
        assert shown(app)[0].text_a == "early [MASK]"
        assert not app.query_one(ModelBanner).display


async def test_keys_before_the_panes_open_are_kept_and_the_actions_wait(make_app, monkeypatch):
    """The first frame is the sentences, status line and keys; until the panes are mounted an edit asks
    nothing and the screen's actions are greyed, then the text typed meanwhile is what is asked about."""
    opening = MainScreen._open
    monkeypatch.setattr(MainScreen, "_open", lambda _self: None)  # held shut until the test opens them
    app = make_app(model="no-such-model", text_a="early")
    async with app.run_test() as pilot:
        screen = app.main
        sent = calls_to(screen.backend, "submit")
        await type_text(pilot, " [MASK]")
        await pilot.press("f3", "ctrl+b", "f12")
        assert not screen.opened and not screen.query(TokenGrid)
        assert sent == [] and not screen.pair_mode and not screen.show_attention and not screen.show_why
        assert screen.check_action("toggle", ("show_attention",)) is None  # greyed in the footer
        screen.call_later(opening, screen)
        await until(pilot, lambda: screen.opened and len(sent) == 1, "the panes and the first request")
        assert sent[0][0].text_a == "early [MASK]"
        assert screen.check_action("toggle", ("show_attention",))
        await pilot.press("ctrl+b")
        assert screen.pair_mode


async def test_what_exists_once_the_panes_open_is_kept_off_the_collector(make_app):
    """A full collection walking the app's objects stalled typing 90-160 ms: they are frozen once the
    panes open (the model's process freezes its own once loaded, bertui.model.loop)."""
    app = make_app(model="no-such-model")  # the load fails: only the app's own freeze is at work
    async with app.run_test() as pilot:
        await opened(pilot)
        tracked = {id(thing) for thing in gc.get_objects()}
        assert id(app.main) not in tracked and id(app.query_one(TokenGrid)) not in tracked


async def test_insert_mask_copy_json_help_and_palette(make_app):
    app = make_app(candidates=("it is .",))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await type_text(pilot, "a b")
        await pilot.press("left", "left", "ctrl+t")
        field = app.query_one(Sentences).field_a
        assert field.value == "a[MASK] b" and field.cursor_position == len("a[MASK]")
        await settle(pilot)
        await pilot.press("ctrl+y")
        copied = json.loads(app.clipboard)
        assert copied["text_a"] == "a[MASK] b"
        # The headless commands' keys, as Export… writes them.
        assert copied["tokenize"]["tokens"] == list(shown(app)[1].encoding.tokens)
        assert copied["fill"]["masks"][0]["predictions"][0].keys() == {"score", "token", "token_str",
                                                                       "sequence"}
        assert copied["nsp"]["ranking"][0].keys() == {"rank", "candidate", "is_next", "not_next"}
        assert copied["info"]["model_type"] == app.main.model.info.model_type

        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = app.screen.query_one("#help Static").content.plain
        for line in ("^t  Insert the model's mask token at the cursor", "^y  Copy results as JSON",
                     "⇧↑↓  Move the candidate up", "shift+↓  Move the candidate down", "→   Next token",
                     "x / del  Delete the candidate", "+ -  More predictions per mask"):
            assert " ".join(line.split()) in " ".join(keys.split())
        await pilot.press("escape")

        await pilot.press("ctrl+p")
        await type_text(pilot, "toggle pair")
        await until(pilot, lambda: "Toggle pair mode" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: app.main.pair_mode)


def test_importing_the_app_imports_only_what_the_first_frame_needs():
    """No torch or transformers, nor the export's modules (importlib.metadata alone is 8 ms)."""
    code = ("import sys, bertui.ui.app, bertui.cli; "
            "heavy = {'torch', 'transformers', 'numpy', 'bertui.headless.export', 'importlib.metadata'} "
            "& set(sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
