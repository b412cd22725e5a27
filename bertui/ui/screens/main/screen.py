"""The main screen's layout and handlers: what happens when the text or an answer changes.

Every edit takes a new request id at once and sends a request after a short debounce; an answer is
shown only if the ledger says it belongs to the text on screen. Answers come in two stages: the masks,
then the next-sentence ranking, which the model skips when newer text is already waiting; until it
comes, the leaderboard's rows are the last ranking, dimmed under "ranking…".

State lives in reactives: k and pair mode (shared with the panes through ``data_bind``), the three
views inside the model and the PLL variant that colours the surprisal strip, flags that Textual's own
``toggle`` action flips. The request itself is built by ``bertui.ui.request.build_request`` from what
the panes hold. The keys that edit the text are bound here, not on the app, so they go quiet under a
dialog by themselves. The frame every pane shares (the ``pane`` class) is this screen's CSS.

The first frame is the sentences, the status line and the keys; the panes are mounted right after it
(``_open``), and only then are the model loaded and the text asked about: until the panes exist, the
screen's actions are greyed and an edit asks nothing (the text typed meanwhile is asked about when they
open). The views inside the model are made the first time one opens (``InsideViews``), and the
dialogs and help when asked for.
"""
from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.compose import compose
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input

from bertui import session
from bertui.model.loop import ranked_later
from bertui.ui import actions
from bertui.ui.backends.protocol import Connect, ModelBackend
from bertui.ui.key_masks import KeyMasks, Texts
from bertui.ui.ledger import RequestLedger, Shown
from bertui.ui.messages import AnalysisDone, AnalysisFailed, RankingDone, RankingFailed
from bertui.ui.model_state import ModelState
from bertui.ui.options import Options
from bertui.ui.request import Views, Why, build_request, selection
from bertui.ui.screens.main.commands import Commands
from bertui.ui.screens.main.inside import InsideControls
from bertui.ui.screens.main.model import ModelLifecycle
from bertui.ui.widgets.inside import InsideViews
from bertui.ui.widgets.leaderboard import BoardAnswer, Leaderboard
from bertui.ui.widgets.mask_panel import MaskAnswer, MaskPanel
from bertui.ui.widgets.model_banner import ModelBanner
from bertui.ui.widgets.model_card import ModelCard
from bertui.ui.widgets.sentence_scores import ScoresAnswer, SentenceScores, coloured_by
from bertui.ui.widgets.sentences import Sentences
from bertui.ui.widgets.status_line import StatusLine
from bertui.ui.widgets.token_grid import GridAnswer, TokenGrid

if TYPE_CHECKING:
    from bertui.engine.results import AnalysisRequest

DEBOUNCE_SECONDS = 0.03
TOP_K_RANGE = (1, 50)


class MainScreen(ModelLifecycle, Commands, InsideControls, Screen[None]):
    # The frame of every pane: round, titled, accented while focus is inside, red when the pane failed.
    DEFAULT_CSS = """
    MainScreen {
        .pane {
            border: round $frame;
            border-title-color: $text-primary;
            border-subtitle-color: $text-muted;
            background: $surface;
            padding: 0 1;
            &:focus-within {
                border: round $frame-focus;
                border-title-color: $text-accent;
            }
            &.-failed, &.-failed:focus-within {
                border: round $frame-error;
            }
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = list(actions.BINDINGS)

    top_k: reactive[int] = reactive(5, init=False)
    """Predictions per mask."""
    pair_mode: reactive[bool] = reactive(False, init=False)
    """Sentence B shown and analysed with A."""
    show_attention: var[bool] = var(False, init=False)
    show_embeddings: var[bool] = var(False, init=False)
    show_surprisal: var[bool] = var(False, init=False)
    word_l2r: var[bool] = var(False, init=False)
    """The surprisal strip is coloured by PLL word-l2r (else by PLL)."""
    show_lens: var[bool] = var(False, init=False)
    show_why: var[bool] = var(False, init=False)
    why: var[Why] = var(Why(), init=False)
    """The Why strip's question (asked while the strip is on)."""

    def __init__(self, options: Options, connect: Connect,
                 remember: Callable[[session.Session], None] | None = None) -> None:
        """``connect`` makes the model backends; ``remember`` is given the session as it changes."""
        super().__init__()
        self.options = options
        self.backend: ModelBackend = connect(self, True)
        self.model = ModelState(options.model, self.backend, saved=options.saved_model)
        self._remember = remember
        self.set_reactive(MainScreen.top_k, self.validate_top_k(options.top_k))
        self.set_reactive(MainScreen.pair_mode, options.pair)
        self.ledger = RequestLedger()
        self._debounce: Timer | None = None
        self.compare = None
        if options.compare is not None:
            from bertui.ui.widgets.compare_panel import ComparePanel

            self.compare = ComparePanel(options.compare, current=lambda: self.ledger.latest_id,
                                        connect=connect, id="compare")
        self.key_masks = KeyMasks()
        self.opened = False
        """The panes are mounted (``_open``, after the first frame)."""
        self._focus_before_attention: Widget | None = None

    def compose(self) -> ComposeResult:
        # The first frame: the sentences, the status line and the keys. The panes follow (``_open``):
        # composing and styling their forty-odd widgets was two thirds of Textual's time to the first
        # frame (benchmarks/tmux_paint.py).
        yield Sentences(self.options.text_a, self.options.text_b, id="sentences").data_bind(
            pair=MainScreen.pair_mode)
        yield Vertical(id="panes")  # their room, so that the status line and keys stay where they will be
        yield StatusLine(id="status")
        yield Footer()

    def _compose_panes(self) -> ComposeResult:
        yield ModelBanner(id="banner")
        yield TokenGrid(id="grid")
        yield SentenceScores(id="scores")
        with Horizontal(id="results", classes="" if self.compare is None else "-compare"):
            yield MaskPanel("Predictions · A" if self.compare is not None else "Predictions",
                            targets=self.options.targets, id="masks", classes="pane").data_bind(
                top_k=MainScreen.top_k)
            if self.compare is not None:
                yield self.compare
            yield Leaderboard(self.options.candidates, id="leaderboard")
            yield ModelCard(id="card")
            yield InsideViews(id="inside")

    def on_mount(self) -> None:
        sentences = self.query_one(Sentences)
        (sentences.field_b if self.pair_mode else sentences.field_a).focus()
        self.query_one(StatusLine).state = ("starting…", "busy")
        self.call_after_refresh(self._open)

    async def _open(self) -> None:
        """After the first frame: mount the panes, then load the model and ask about the text.

        Textual's ``Lazy`` mounts after a refresh too, but says nothing when it is done; the requests and
        the screen's actions need the panes, so they wait for ``opened`` (``check_action``).
        """
        await self.query_one("#panes").mount_all(compose(self, self._compose_panes()))
        # What exists now lives as long as the app: frozen, a full collection no longer walks it (one
        # over the app's objects stalled the event loop 90-160 ms while typing; the model's process
        # freezes its own, bertui.model.loop).
        gc.freeze()
        self.opened = True
        self.refresh_bindings()
        self.load(self.model.spec)
        self.request_changed()

    @property
    def shown(self) -> Shown | None:
        """The request the panes answer, and its answer."""
        return self.ledger.shown

    @property
    def results_current(self) -> bool:
        """Whether the panes answer the text on screen, ranking included (an error counts as an answer)."""
        return self.ledger.answers(self.asked())

    # -- requests ---------------------------------------------------------------------------------
    def request_changed(self) -> None:
        """The text on screen changed: answers to earlier requests are stale from now on."""
        if not self.opened:
            return  # the text typed before the panes were mounted is asked about by ``_open``
        self.ledger.changed()
        if self.key_masks.positions and self.key_masks.texts != self.texts_on_screen():
            self.key_masks = KeyMasks()  # they indexed the tokens of the text before this edit
            self.query_one(Sentences).masked = ()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._submit)
        if self._remember is not None:
            self._remember(self._session())

    def _session(self) -> session.Session:
        """What to save of the screen: the text (B kept outside pair mode too), k and the model."""
        request = self.asked()
        return session.Session(
            text_a=request.text_a, text_b=self.query_one(Sentences).field_b.value, pair_mode=self.pair_mode,
            candidates=tuple(c for c in request.candidates if c.strip()), top_k=self.top_k,
            model=self.model.session_model, targets=request.targets)

    def texts_on_screen(self) -> Texts:
        sentences = self.query_one(Sentences)
        return sentences.field_a.value, sentences.field_b.value if self.pair_mode else None

    def asked(self) -> AnalysisRequest:
        """The request the screen makes now, from what its panes hold (``build_request``)."""
        grid = self.query_one(TokenGrid)
        selected, selected_mask = selection(grid.encoding, grid.cursor_column, grid.has_focus)
        return build_request(
            self.ledger.latest_id, self.texts_on_screen(), top_k=self.top_k,
            candidates=tuple(self.query_one(Leaderboard).candidates),
            targets=self.query_one("#masks", MaskPanel).targets, key_masks=self.key_masks,
            views=Views(self.show_attention, self.show_embeddings, self.show_surprisal,
                        self.query_one(InsideViews).attention_layer, lens=self.show_lens,
                        why=self.why if self.show_why else None, selected=selected,
                        selected_mask=selected_mask),
            mask_pattern=self.query_one(Sentences).field_a.mask_pattern)

    def _submit(self) -> None:
        if not self.app.is_running:  # the debounce fired while the app shuts down: its panes are gone
            return
        request = self.asked()
        self.ledger.send(request, time.perf_counter())
        self.backend.submit(request)
        if self.compare is not None:
            self.compare.submit(request)
        if self.model.answering:
            self.query_one(StatusLine).state = ("analysing…", "busy")

    # -- answers ----------------------------------------------------------------------------------
    @on(AnalysisDone)
    def _analysis_done(self, message: AnalysisDone) -> None:
        info = self.model.info
        if info is None or self.ledger.sent is None:
            return
        shown = self.ledger.take_analysis(message.analysis, ranked_later(self.ledger.sent, info))
        if shown is None:
            return  # a newer request is on its way: this answer describes text no longer on screen
        request, analysis = shown
        due = self.ledger.ranking_due
        encoding = analysis.encoding
        self._show_surprisal(shown)
        self.query_one("#masks", MaskPanel).answer = MaskAnswer(
            analysis.masks, info.mask_token, info.is_demo, analysis.words, analysis.targets, analysis.joint)
        self.query_one(Sentences).masked = tuple(
            (sequence, encoding.offsets[p]) for p in request.masked
            if p < len(encoding.tokens) and (sequence := encoding.sequence_ids[p]) is not None)
        self._show_inside(shown)
        self.query_one(Leaderboard).answer = BoardAnswer(request.text_a, analysis.ranking,
                                                         analysis.next_sentence, "ranking…" if due else None)
        if self.compare is not None:
            self.compare.line_up(analysis)
        status = self.query_one(StatusLine)
        status.tokens = len(encoding.tokens)
        if self.model.loading is None:
            status.state = ("ranking…", "busy") if due else ("ready", "")
        status.latency = f"{(time.perf_counter() - self.ledger.sent_at) * 1000:.0f} ms"
        if self.ledger.is_latest(analysis.request_id):
            self._selection_moved()  # the grid's cursor follows the typing: onto a mask the lens lacks?

    def _show_surprisal(self, shown: Shown) -> None:
        """The grid, its strip coloured by the chosen PLL variant, and the sentence scores beside it."""
        request, analysis = shown
        surprisal = analysis.surprisal
        self.query_one(TokenGrid).answer = GridAnswer(
            analysis.encoding, None if surprisal is None else coloured_by(surprisal, self.word_l2r),
            segments=self.model.info is None or self.model.info.has_segments, follow=self._caret(),
            why=self._why_strip(shown))
        if self.show_surprisal and request.surprisal:
            pair = None if request.text_b is None else (request.text_a, request.text_b)
            scores = ScoresAnswer(surprisal, self.word_l2r, pair, analysis.alone)
            self.query_one(SentenceScores).answer = scores

    @on(RankingDone)
    def _ranking_done(self, message: RankingDone) -> None:
        shown = self.ledger.take_ranking(message.request_id, message.ranking)
        if shown is None:
            return  # the ranking of text no longer on screen
        self.query_one(Leaderboard).answer = BoardAnswer(shown.request.text_a, message.ranking,
                                                         shown.analysis.next_sentence)
        if self.model.loading is None:
            self.query_one(StatusLine).state = ("ready", "")

    @on(AnalysisFailed)
    @on(RankingFailed)
    def _analysis_failed(self, message: AnalysisFailed | RankingFailed) -> None:
        if self.ledger.take_failure(message.request_id):
            self.query_one(StatusLine).state = (message.error, "error")
            if self.ledger.ranking_due and self.ledger.shown is not None:  # the ranking is not coming
                request, analysis = self.ledger.shown
                self.query_one(Leaderboard).answer = BoardAnswer(request.text_a, None, analysis.next_sentence,
                                                                 "not ranked")

    def _caret(self) -> tuple[int, int] | None:
        """(sentence, caret) of the sentence being typed in, for the grid to follow; None elsewhere."""
        sentences = self.query_one(Sentences)
        for sequence, field in enumerate((sentences.field_a, sentences.field_b)):
            if field.has_focus:
                return sequence, field.cursor_position
        return None

    # -- what the panes say -----------------------------------------------------------------------
    @on(Input.Changed, "#sentence-a, #sentence-b, #targets-field")
    @on(Leaderboard.CandidatesChanged)
    def _edited(self, _message: Input.Changed | Leaderboard.CandidatesChanged) -> None:
        self.request_changed()

    # -- settings ---------------------------------------------------------------------------------
    def validate_top_k(self, top_k: int) -> int:
        return max(TOP_K_RANGE[0], min(TOP_K_RANGE[1], top_k))

    def watch_top_k(self) -> None:
        self.request_changed()

    def watch_pair_mode(self, pair: bool) -> None:
        sentences = self.query_one(Sentences)
        # set_focus, not focus(): at once, so that the keys typed next land in the right sentence.
        if pair:
            self.set_focus(sentences.field_b)
        elif sentences.field_b.has_focus:
            self.set_focus(sentences.field_a)
        self.request_changed()

    def watch_show_surprisal(self, opening: bool) -> None:
        scores = self.query_one(SentenceScores)
        scores.set_class(opening, "-on")
        if opening:
            scores.answer = None  # asking the model
        self.refresh_bindings()
        self.request_changed()

    def watch_word_l2r(self) -> None:
        """Recolour the strip from the answer on screen: both variants are in it already."""
        self.redraw_grid()

    def redraw_grid(self) -> None:
        """The grid and its strips again from the answer on screen (a strip's look or question changed)."""
        if self.ledger.shown is not None:
            self._show_surprisal(self.ledger.shown)
