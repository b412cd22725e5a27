"""The main screen: the panes, and what happens when the text, the model or an answer changes.

Every edit takes a new request id at once and sends a request after a short debounce; an answer is
shown only if the ledger says it belongs to the text on screen. Answers come in two stages: the masks,
then the next-sentence ranking, which the model skips when newer text is already waiting; until it
comes, the leaderboard's rows are the last ranking, dimmed under "ranking…".

State lives in reactives: k and pair mode (shared with the panes through ``data_bind``), the three
views inside the model and the PLL variant that colours the surprisal strip, flags that Textual's own
``toggle`` action flips. Target words and joint fillings are part of the request like the candidates.
The keys that edit the text are bound here, not on the app, so they go quiet under a dialog by themselves.
The actions those keys run are in ``commands.py``; the frame every pane shares (the ``pane`` class)
is this screen's CSS.

The screen composes only what its first paint shows: the attention and embedding views are made the
first time they open, and the dialogs and help when asked for (their modules imported then too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Footer, Input

from bertui import session
from bertui.engine.results import AnalysisRequest, ModelInfo
from bertui.model.loop import ranked_later
from bertui.ui import actions
from bertui.ui.backends.protocol import Connect, ModelBackend
from bertui.ui.key_masks import KeyMasks, Texts
from bertui.ui.ledger import RequestLedger, Shown
from bertui.ui.messages import (
    AnalysisDone,
    AnalysisFailed,
    ModelCrashed,
    ModelDownloading,
    ModelFailed,
    ModelLoading,
    ModelReady,
    RankingDone,
    RankingFailed,
)
from bertui.ui.options import Options
from bertui.ui.screens.commands import Commands
from bertui.ui.text import outside, visible
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.mask_panel import MaskPanel
from bertui.ui.widgets.model_banner import ModelBanner
from bertui.ui.widgets.model_card import DEMO_LABEL, ModelCard
from bertui.ui.widgets.sentence_scores import SentenceScores, coloured_by
from bertui.ui.widgets.sentences import Sentences
from bertui.ui.widgets.status_line import StatusLine
from bertui.ui.widgets.token_grid import TokenGrid

if TYPE_CHECKING:  # built on first use, so their imports are not paid before the first paint
    from bertui.ui.widgets.attention_view import AttentionView
    from bertui.ui.widgets.embedding_pane import EmbeddingPane

DEBOUNCE_SECONDS = 0.03
TOP_K_RANGE = (1, 50)
DEFAULT_MASK = "[MASK]"
VIEWS = ("attention", "embeddings", "surprisal")
"""The views inside the model, each a ``show_…`` flag: open, the request asks the model for more."""
MOST_JOINT_MASKS = 8
"""Joint fillings are asked for 2 to this many masks: each mask past the first costs an encoder pass."""


class MainScreen(Commands, Screen[None]):
    # The frame of every pane: round, titled, accented while focus is inside, red when the pane failed.
    # The grid, the attention view and the main mask panel are named by id until their files (being
    # rewritten) give themselves the class.
    DEFAULT_CSS = """
    MainScreen {
        .pane, #grid, #masks, #attention {
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

    def __init__(self, options: Options, connect: Connect,
                 remember: Callable[[session.Session], None] | None = None) -> None:
        """``connect`` makes the model backends; ``remember`` is given the session as it changes."""
        super().__init__()
        self.options = options
        self.service: ModelBackend = connect(self, True)
        self._remember = remember
        self.set_reactive(MainScreen.top_k, self.validate_top_k(options.top_k))
        self.set_reactive(MainScreen.pair_mode, options.pair)
        self.model_spec = options.model
        """The model that answers (or, before any has loaded, the one being loaded)."""
        self.model_info: ModelInfo | None = None
        self.mask_token = DEFAULT_MASK
        self.session_model = options.saved_model
        self._loading: str | None = None
        self._failure: tuple[str, str] | None = None
        self.ledger = RequestLedger()
        self._debounce: Timer | None = None
        self.compare = None
        if options.compare is not None:
            from bertui.ui.widgets.compare_panel import ComparePanel

            self.compare = ComparePanel(options.compare, current=lambda: self.ledger.latest_id,
                                        connect=connect, id="compare")
        self.key_masks = KeyMasks()
        self._stopped: dict[ModelBackend, str] = {}
        """Backends whose process ended by itself, and the model each ran, until restarted."""
        self._focus_before_attention: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Sentences(self.options.text_a, self.options.text_b, id="sentences").data_bind(
            pair=MainScreen.pair_mode)
        yield ModelBanner(id="banner")
        yield TokenGrid(id="grid")
        yield SentenceScores(id="scores")
        with Horizontal(id="results", classes="" if self.compare is None else "-compare"):
            yield MaskPanel("Predictions · A" if self.compare is not None else "Predictions",
                            targets=self.options.targets, id="masks").data_bind(top_k=MainScreen.top_k)
            if self.compare is not None:
                yield self.compare
            yield Leaderboard(self.options.candidates, id="nsp")
            yield ModelCard(id="card")
            yield Vertical(id="inside")  # the views, made on first use (``_view``)
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        if self.options.steady:
            for field in self.query(Input):
                field.cursor_blink = False
        sentences = self.query_one(Sentences)
        (sentences.field_b if self.pair_mode else sentences.field_a).focus()
        self.load(self.model_spec)
        self._request_changed()

    @property
    def shown(self) -> Shown | None:
        """The request the panes answer, and its answer."""
        return self.ledger.shown

    @property
    def results_current(self) -> bool:
        """Whether the panes answer the text on screen, ranking included (an error counts as an answer)."""
        return self.ledger.answers(self.asked())

    # -- the model --------------------------------------------------------------------------------
    def load(self, spec: str) -> None:
        self._loading = spec
        self._show_loading(spec, "starting")
        # After the first paint: the worker's torch import competes with the event loop for the GIL.
        self.call_after_refresh(self.service.load, spec)

    def _show_loading(self, spec: str, stage: str) -> None:
        self.query_one(ModelBanner).loading(spec, stage)
        self.query_one(StatusLine).state(f"loading {spec}: {stage}…", "busy")
        if self.model_info is None:
            self.query_one(ModelCard).loading(spec)
            self.query_one(MaskPanel).waiting(f"Waiting for {spec} to load…")

    @on(ModelLoading)
    def _model_loading(self, message: ModelLoading) -> None:
        if message.spec == self._loading:
            self._show_loading(message.spec, message.stage)

    @on(ModelDownloading)
    def _model_downloading(self, message: ModelDownloading) -> None:
        if message.spec == self._loading:
            self.query_one(ModelBanner).downloading(message.spec, message.download,
                                                    actions.key_for("cancel_download"))
            self.query_one(StatusLine).state(f"downloading {message.spec}: {message.download.describe()}",
                                             "busy")

    def action_cancel_download(self) -> None:
        """Stop the hub download of the model being loaded (the banner then says it was cancelled)."""
        if self._loading is not None:
            self.service.cancel_download()

    @on(ModelReady)
    def _model_ready(self, message: ModelReady) -> None:
        self.model_spec, self.model_info, self._failure = message.spec, message.info, None
        self.session_model = message.spec
        self.mask_token = message.info.mask_token
        if message.spec == self._loading:
            self._loading = None
            self.query_one(ModelBanner).hide()
        self.query_one(Sentences).use_mask_token(self.mask_token)
        self._describe_model(self.query_one(ModelCard))
        info = message.info
        self.query_one(Leaderboard).no_nsp_reason = info.no_nsp_reason
        self.query_one(StatusLine).model(Content.assemble(outside(self.model_spec, "bold"),
                                                          f" · {info.device} {info.dtype}"),
                                         demo=DEMO_LABEL if info.is_demo else "")
        self.refresh_bindings()
        self._request_changed()  # the text on screen, asked of the model now in use

    @on(ModelFailed)
    def _model_failed(self, message: ModelFailed) -> None:
        if message.spec == self._loading:
            self._loading = None
        status = self.query_one(StatusLine)
        if self.model_info is not None:  # a switch failed: the model in use still answers
            self.query_one(ModelBanner).hide()
            self.notify(visible(message.error), title=f"Cannot load {visible(message.spec)}",
                        severity="error", timeout=10, markup=False)
            status.state(f"cannot load {message.spec}; still using {self.model_spec}", "error")
            return
        self._failure = (message.spec, message.error)
        self.query_one(ModelBanner).failed(message.spec, message.error)
        self._describe_model(self.query_one(ModelCard))
        self.query_one(MaskPanel).waiting("No model: see above.")
        status.state(f"cannot load {message.spec}", "error")
        self.refresh_bindings()

    @on(ModelCrashed)
    def _model_crashed(self, message: ModelCrashed) -> None:
        """A model's process died: say how, keep every pane as it is, offer the restart key."""
        key = actions.key_for("restart_model")
        if message.backend is self.service:
            spec = message.spec or self.model_spec
            self._loading = None
            self.query_one(ModelBanner).crashed(spec, message.reason, key)
            self.query_one(StatusLine).state(f"{message.reason}; {key} restarts it", "error")
        else:
            spec = message.spec or ""
            self.notify(visible(f"{message.reason}. {key} restarts it."), title=f"Model B stopped: {spec}",
                        severity="error", timeout=30, markup=False)
        self._stopped[message.backend] = spec

    def action_restart_model(self) -> None:
        if not self._stopped:
            self.notify("The model is running: nothing to restart.")
            return
        stopped, self._stopped = self._stopped, {}
        for backend in stopped:
            backend.restart()
        if self.service in stopped:
            self._loading = stopped[self.service]
            self._show_loading(self._loading, "starting")
        self._request_changed()

    def _describe_model(self, card: ModelCard) -> None:
        if self.model_info is not None:
            card.show(self.model_spec, self.model_info, timings=not self.options.steady)
        elif self._failure is not None:
            card.failed(self._failure[0])
        else:
            card.loading(self._loading or self.model_spec)

    # -- requests and answers ---------------------------------------------------------------------
    def _request_changed(self) -> None:
        """The text on screen changed: answers to earlier requests are stale from now on."""
        self.ledger.changed()
        if self.key_masks.positions and self.key_masks.texts != self._texts_on_screen():
            self.key_masks = KeyMasks()  # they indexed the tokens of the text before this edit
            self.query_one(Sentences).show_masked(())
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
            model=self.session_model, targets=request.targets)

    def _texts_on_screen(self) -> Texts:
        sentences = self.query_one(Sentences)
        return sentences.field_a.value, sentences.field_b.value if self.pair_mode else None

    def asked(self) -> AnalysisRequest:
        """The request the screen makes now: sentences, pair mode, k, candidates, masks, target words,
        joint fillings (for 2 to ``MOST_JOINT_MASKS`` masks) and open views (with surprisal in pair mode,
        A and B each scored alone too)."""
        text_a, text_b = texts = self._texts_on_screen()
        masked = self.key_masks.for_texts(texts)
        view = self._made("attention") if self.show_attention else None
        return AnalysisRequest(
            request_id=self.ledger.latest_id, text_a=text_a, text_b=text_b, top_k=self.top_k,
            candidates=tuple(self.query_one(Leaderboard).candidates), masked=masked,
            attention=self.show_attention, embeddings=self.show_embeddings, surprisal=self.show_surprisal,
            targets=self.query_one(MaskPanel).targets,
            joint=2 <= self._masks_in(texts, len(masked)) <= MOST_JOINT_MASKS,
            alone=self.show_surprisal and text_b is not None,
            attention_layer=0 if view is None else view.layer_index)

    def _masks_in(self, texts: Texts, masked: int) -> int:
        """How many masks the texts hold (typed, and ``masked`` from the grid), counted up to one past
        ``MOST_JOINT_MASKS``."""
        pattern = self.query_one(Sentences).field_a.mask_pattern
        found = (match for text in texts if text for match in pattern.finditer(text))
        return masked + sum(1 for _ in islice(found, MOST_JOINT_MASKS + 1))

    def _submit(self) -> None:
        if not self.app.is_running:  # the debounce fired while the app shuts down: its panes are gone
            return
        request = self.asked()
        self.ledger.send(request, time.perf_counter())
        self.service.submit(request)
        if self.compare is not None:
            self.compare.submit(request)
        if self.model_info is not None and self._loading is None and self.service not in self._stopped:
            self.query_one(StatusLine).state("analysing…", "busy")

    @on(AnalysisDone)
    def _analysis_done(self, message: AnalysisDone) -> None:
        answer = message.analysis
        if self.model_info is None or self.ledger.sent is None:
            return
        shown = self.ledger.take_analysis(answer, ranked_later(self.ledger.sent, self.model_info))
        if shown is None:
            return  # a newer request is on its way: this answer describes text no longer on screen
        request, analysis = shown
        due = self.ledger.ranking_due
        encoding = analysis.encoding
        self._show_surprisal(shown)
        self.query_one(MaskPanel).show(analysis.masks, self.mask_token, self.model_info.is_demo,
                                       analysis.words)
        self.query_one(MaskPanel).show_measures(analysis.targets, analysis.joint, self.mask_token)
        self.query_one(Sentences).show_masked(tuple((encoding.sequence_ids[p], encoding.offsets[p])
                                                    for p in request.masked if p < len(encoding.tokens)))
        self._show_inside()
        self.query_one(Leaderboard).show(request.text_a, analysis.ranking, analysis.next_sentence,
                                         pending="ranking…" if due else None)
        if self.compare is not None:
            self.compare.line_up(analysis)
        status = self.query_one(StatusLine)
        status.tokens(len(encoding.tokens))
        if self._loading is None:
            status.state("ranking…" if due else "ready", "busy" if due else "")
        if not self.options.steady:
            status.latency(f"{(time.perf_counter() - self.ledger.sent_at) * 1000:.0f} ms")

    def _show_surprisal(self, shown: Shown) -> None:
        """The grid, its strip coloured by the chosen PLL variant, and the sentence scores beside it."""
        request, analysis = shown
        surprisal = analysis.surprisal
        self.query_one(TokenGrid).show(analysis.encoding, follow=self._caret(),
                                       surprisal=None if surprisal is None else coloured_by(surprisal,
                                                                                            self.word_l2r),
                                       segments=self.model_info.has_segments)
        if self.show_surprisal and request.surprisal:
            pair = None if request.text_b is None else (request.text_a, request.text_b)
            self.query_one(SentenceScores).show(surprisal, self.word_l2r, pair, analysis.alone)

    @on(RankingDone)
    def _ranking_done(self, message: RankingDone) -> None:
        shown = self.ledger.take_ranking(message.request_id, message.ranking)
        if shown is None:
            return  # the ranking of text no longer on screen
        self.query_one(Leaderboard).show(shown.request.text_a, message.ranking, shown.analysis.next_sentence)
        if self._loading is None:
            self.query_one(StatusLine).state("ready")

    @on(AnalysisFailed)
    @on(RankingFailed)
    def _analysis_failed(self, message: AnalysisFailed | RankingFailed) -> None:
        if self.ledger.take_failure(message.request_id):
            self.query_one(StatusLine).state(message.error, "error")
            if self.ledger.ranking_due:  # the ranking of the rows on screen is not coming
                request, analysis = self.ledger.shown
                self.query_one(Leaderboard).show(request.text_a, None, analysis.next_sentence,
                                                 pending="not ranked")

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
        self._request_changed()

    @on(TokenGrid.Selected)
    def _token_selected(self, message: TokenGrid.Selected) -> None:
        self.query_one(Sentences).show_span(message.sequence, message.span)
        self._show_inside()

    def on_attention_view_layer_chosen(self) -> None:
        self._request_changed()  # the view shows one layer: ask the model for the one chosen

    def on_attention_view_step(self, message: AttentionView.Step) -> None:
        self.query_one(TokenGrid).action_move(message.step)
        self._show_inside()

    @on(TokenGrid.MaskToggled)
    def _mask_toggled(self, message: TokenGrid.MaskToggled) -> None:
        """Mask or unmask tokens of the text the grid shows; never positions of another text."""
        texts = self._texts_on_screen()
        shown = self.ledger.shown
        if shown is None or (shown.request.text_a, shown.request.text_b) != texts:
            self.notify("The tokens are catching up with the text: try again in a moment.",
                        severity="warning")
            return
        encoding = shown.analysis.encoding
        positions = tuple(p for p in message.positions
                          if 0 <= p < len(encoding.tokens) and not encoding.special[p])
        typed = set(encoding.mask_positions) - set(self.key_masks.for_texts(texts))
        if not positions:
            self.notify("Special tokens cannot be masked: select a token of the text.", severity="warning")
        elif set(positions) <= typed:
            self.notify("This mask is typed in the sentence: delete it there.", severity="warning")
        else:
            self.key_masks = self.key_masks.toggled(texts, tuple(p for p in positions if p not in typed))
            self._request_changed()

    def _show_inside(self) -> None:
        """The open views, from the answer on screen and the grid's selected token."""
        shown = self.ledger.shown
        if shown is None or not (self.show_attention or self.show_embeddings or self.show_surprisal):
            return
        analysis = shown.analysis
        position = self.query_one(TokenGrid).cursor_column
        attention, embeddings = self._made("attention"), self._made("embeddings")
        if analysis.attention is not None and self.show_attention and attention is not None:
            attention.show(analysis.attention, analysis.encoding, position)
        if self.show_embeddings and shown.request.embeddings and embeddings is not None:
            embeddings.show(analysis.embeddings, analysis.encoding, position)

    @on(Button.Pressed, "#use-demo")
    def _demo_pressed(self) -> None:
        self.action_use_demo()

    @on(Button.Pressed, "#restart-model")
    def _restart_pressed(self) -> None:
        self.action_restart_model()

    @on(Button.Pressed, "#switch-model")
    def _switch_pressed(self) -> None:
        self.action_switch_model()

    # -- settings ---------------------------------------------------------------------------------
    def validate_top_k(self, top_k: int) -> int:
        return max(TOP_K_RANGE[0], min(TOP_K_RANGE[1], top_k))

    def watch_top_k(self) -> None:
        self._request_changed()

    def watch_pair_mode(self, pair: bool) -> None:
        sentences = self.query_one(Sentences)
        # set_focus, not focus(): at once, so that the keys typed next land in the right sentence.
        if pair:
            self.set_focus(sentences.field_b)
        elif sentences.field_b.has_focus:
            self.set_focus(sentences.field_a)
        self._request_changed()

    async def watch_show_attention(self, opening: bool) -> None:
        view = await self._view_toggled("attention", opening)
        # Its keys work while it has focus: give it focus on opening, and give it back on closing.
        if opening:
            self._focus_before_attention = self.focused
            self.set_focus(view)
        elif view.has_focus or self.focused is None:
            before = self._focus_before_attention
            self.set_focus(before if before is not None and before.is_attached
                           else self.query_one(Sentences).field_a)

    async def watch_show_embeddings(self, opening: bool) -> None:
        await self._view_toggled("embeddings", opening)

    def watch_show_surprisal(self, opening: bool) -> None:
        scores = self.query_one(SentenceScores)
        scores.set_class(opening, "-on")
        if opening:
            scores.waiting()
        self.refresh_bindings()
        self._request_changed()

    def watch_word_l2r(self) -> None:
        """Recolour the strip from the answer on screen: both variants are in it already."""
        if self.ledger.shown is not None:
            self._show_surprisal(self.ledger.shown)

    async def _view_toggled(self, name: str, opening: bool) -> AttentionView | EmbeddingPane:
        """Show or hide a view's pane (made on first use); the next request asks the model for it, or
        stops asking."""
        self.query_one("#results").set_class(opening, f"-{name}")
        self._request_changed()
        pane = self._made(name) or await self._make_view(name)
        if opening:
            pane.waiting("Asking the model…" if self.model_info is not None else "Waiting for the model…")
        return pane

    def _made(self, name: str) -> AttentionView | EmbeddingPane | None:
        """The view ``name`` ("attention" or "embeddings") if it has been made and mounted."""
        found = self.query(f"#{name}")
        return found.first() if found and found.first().is_mounted else None

    async def _make_view(self, name: str) -> AttentionView | EmbeddingPane:
        """Both views, made and mounted the first time either opens (attention over the embeddings)."""
        from bertui.ui.widgets.attention_view import AttentionView
        from bertui.ui.widgets.embedding_pane import EmbeddingPane

        await self.query_one("#inside").mount(AttentionView(id="attention"), EmbeddingPane(id="embeddings"))
        return self._made(name)
