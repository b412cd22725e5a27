"""bertui's terminal app: type a sentence, watch its tokens, mask predictions and next-sentence ranking.

The window paints first; the model loads afterwards in the service's worker thread. Every edit bumps
the request id at once and sends a request after a short debounce; an answer is shown only if its id
is still the latest, i.e. it describes the text on screen. Answers come in two stages: the masks, then
the next-sentence ranking, which the worker skips when newer text is already waiting; until it comes,
the leaderboard's rows are the last ranking, dimmed under "ranking…". The same edits are saved to the
session file (bertui.session) a little later, and once more on exit.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Input

from bertui import export, session
from bertui.defaults import DEFAULT_MODEL, DEFAULT_TOP_K
from bertui.engine.results import Analysis, AnalysisRequest, ModelInfo
from bertui.ui.messages import (
    AnalysisDone,
    AnalysisFailed,
    CandidatesChanged,
    MaskToggled,
    ModelFailed,
    ModelLoading,
    ModelReady,
    RankingDone,
    RankingFailed,
    TokenSelected,
    TokenStep,
)
from bertui.ui import served
from bertui.ui.screens.export import DEFAULT_NAME as DEFAULT_EXPORT_NAME, ExportScreen
from bertui.ui.screens.help import HelpScreen
from bertui.ui.screens.model_card import ModelCardScreen
from bertui.ui.screens.model_switch import ModelSwitchScreen
from bertui.ui.key_masks import KeyMasks, Texts
from bertui.ui.service import EngineLoader, ModelService, load_engine, ranked_later
from bertui.ui.widgets.compare_panel import ComparePanel
from bertui.ui.widgets.attention_view import AttentionView
from bertui.ui.widgets.embedding_pane import EmbeddingPane
from bertui.ui.widgets.leaderboard import Leaderboard
from bertui.ui.widgets.mask_panel import MaskPanel
from bertui.ui.widgets.model_banner import ModelBanner
from bertui.ui.widgets.model_card import DEMO_LABEL, ModelCard
from bertui.ui.widgets.sentences import SentenceInput, Sentences
from bertui.ui.widgets.status_line import StatusLine
from bertui.ui.visible import visible
from bertui.ui.widgets.token_grid import TokenGrid

DEBOUNCE_SECONDS = 0.03
SESSION_SAVE_SECONDS = 0.5  # typing saves at most twice a second; quitting saves at once
TOP_K_RANGE = (1, 50)
DEFAULT_MASK = "[MASK]"
EXAMPLE_TEXT = "The capital of France is [MASK]."
EXAMPLE_CANDIDATES = ("It is also the largest city in the country.", "Penguins cannot fly.",
                      "Paris has been the capital since the tenth century.")

EDITING_ACTIONS = {"insert_mask", "toggle_pair", "clear"}
# The command palette's own entries: (title, help, action).
PALETTE = (
    ("Switch model…", "Load a hub id, a local folder, or demo", "switch_model"),
    ("Use the demo model", "The tiny built-in BERT: loads offline, random predictions", "use_demo"),
    ("More predictions per mask", "top-k + 1 (up to 50)", "change_k(1)"),
    ("Fewer predictions per mask", "top-k − 1 (down to 1)", "change_k(-1)"),
    ("Toggle pair mode", "Show or hide sentence B", "toggle_pair"),
    ("Insert mask", "Put the model's mask token at the cursor", "insert_mask"),
    ("Clear sentences", "Empty sentences A and B", "clear"),
    ("Attention view", "Show or hide attention from the selected token, by layer and head",
     "toggle_inside('attention')"),
    ("Embedding breakdown", "Show or hide the selected token's token / segment / position embeddings",
     "toggle_inside('embeddings')"),
    ("Surprisal strip", "Show or hide how surprised the model is by each real token",
     "toggle_inside('surprisal')"),
    ("Mask the selected token", "Or unmask it; the text stays as typed", "toggle_mask(False)"),
    ("Mask the selected word", "Every WordPiece of it (whole-word masking), or unmask", "toggle_mask(True)"),
    ("Copy results as JSON", "Tokens, predictions and ranking on screen, to the clipboard", "copy_json"),
    ("Export…", "Write the results to a file: JSON, Markdown report, CSV of tokens or leaderboard",
     "export"),
    ("Model card", "Architecture, sizes, heads, device, load time", "model_card"),
    ("bertui keys", "Every key binding", "help"),
)


class BertuiApp(App[int]):
    CSS_PATH = "bertui.tcss"
    TITLE = "bertui"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    # Keys that edit the sentences are priority bindings: they run in order with the keys typed around
    # them (a non-priority binding runs after the key has bubbled up, by which time later keys are in).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "insert_mask", "Mask", tooltip="Insert the model's mask token at the cursor",
                priority=True),
        Binding("ctrl+b", "toggle_pair", "Pair", tooltip="Pair mode: show or hide sentence B", priority=True),
        Binding("plus,equals_sign", "change_k(1)", "top-k", key_display="+ -",
                tooltip="More predictions per mask (top-k + 1; not while typing)"),
        Binding("minus", "change_k(-1)", "Fewer", show=False,
                tooltip="Fewer predictions per mask (top-k − 1; not while typing)"),
        Binding("ctrl+o", "switch_model", "Model", tooltip="Load another model"),
        Binding("ctrl+g", "use_demo", "Use the demo model", show=False),
        Binding("ctrl+l", "clear", "Clear sentences", show=False, priority=True),
        Binding("ctrl+y", "copy_json", "Copy results as JSON", show=False),
        Binding("ctrl+r", "export", "Export results to a file", show=False),
        Binding("f2", "model_card", "Model card", show=False),
        Binding("f3", "toggle_inside('attention')", "Attention view", show=False,
                tooltip="Attention view: the selected token's, by layer and head"),
        Binding("f4", "toggle_inside('embeddings')", "Embedding breakdown", show=False,
                tooltip="Embedding breakdown: token, segment, position parts"),
        Binding("f5", "toggle_inside('surprisal')", "Surprisal strip", show=False,
                tooltip="Surprisal strip: each token's rank masked alone; PLL"),
        Binding("f1", "help", "Help", tooltip="This list of keys"),
    ]
    top_k: reactive[int] = reactive(5, init=False)
    pair_mode: reactive[bool] = reactive(False, init=False)

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "auto", dtype: str = "float32",
                 top_k: int = DEFAULT_TOP_K, engine_loader: EngineLoader = load_engine, text_a: str = "",
                 text_b: str = "", candidates: tuple[str, ...] = (), pair: bool = False,
                 session_file: Path | None = None, saved_model: str | None = None, notice: str | None = None,
                 steady: bool = False, compare: str | None = None) -> None:
        """``steady``: no latencies, load times, blinking or animation (tests and screenshots).

        ``session_file``: where the session is saved as it changes (None: nowhere); ``saved_model`` the
        model it names until another loads; ``notice`` a sentence to show once the window is up;
        ``compare``: a second model (B) answering every request beside the first.
        """
        super().__init__()
        self.service = ModelService(self, loader=engine_loader, device=device, dtype=dtype, staged=True)
        self._texts = (text_a, text_b)
        self._candidates = candidates
        self.steady = steady
        self.set_reactive(BertuiApp.top_k, self.validate_top_k(top_k))
        self.set_reactive(BertuiApp.pair_mode, pair)
        self.session_file = session_file
        self._session_model = saved_model
        self._unsaved: session.Session | None = None
        self._session_timer: Timer | None = None
        self._session_error: str | None = None
        self._notice = notice
        self.model_spec = model
        """The model that answers (or, before any has loaded, the one being loaded)."""
        self.model_info: ModelInfo | None = None
        self.mask_token = DEFAULT_MASK
        self._loading: str | None = None
        self._failure: tuple[str, str] | None = None
        self.latest_request_id = 0
        self._answered: AnalysisRequest | None = None
        self._debounce: Timer | None = None
        self._submitted: tuple[AnalysisRequest, float] | None = None
        self._shown: tuple[AnalysisRequest, Analysis] | None = None
        self._ranking_due = False
        """The ranking of the shown request is still to come (its analysis has none yet)."""
        self.compare = None if compare is None else ComparePanel(
            compare, current=lambda: self.latest_request_id, loader=engine_loader, device=device, dtype=dtype,
            id="compare")
        self.inside: set[str] = set()
        """The open views that ask the model for more: "attention", "embeddings", "surprisal"."""
        self.key_masks = KeyMasks()
        self._focus_before_inside: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Sentences(*self._texts, id="sentences")
        yield ModelBanner(id="banner")
        yield TokenGrid(id="grid")
        with Horizontal(id="results", classes="" if self.compare is None else "-compare"):
            yield MaskPanel("Predictions · A" if self.compare is not None else "Predictions", id="masks")
            if self.compare is not None:
                yield self.compare
            yield Leaderboard(self._candidates, id="nsp")
            yield ModelCard(id="card")
            with Vertical(id="inside"):
                yield AttentionView(id="attention")
                yield EmbeddingPane(id="embeddings")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        if self.steady:
            self.add_class("-steady")
            self.animation_level = "none"
            for field in self.query(Input):
                field.cursor_blink = False
        self.query_one(MaskPanel).show_top_k(self.top_k)
        sentences = self.query_one(Sentences)
        sentences.set_pair(self.pair_mode)
        (sentences.field_b if self.pair_mode else sentences.field_a).focus()
        if self._notice:
            self.notify(visible(self._notice), title="Session", severity="warning", timeout=20, markup=False)
        self._load(self.model_spec)
        self._request_changed()

    def on_unmount(self) -> None:
        self._write_session()
        self.service.close()

    # -- the session ------------------------------------------------------------------------------
    def _session_changed(self) -> None:
        """Remember what is on screen now (cheap) and write it a little later (debounced)."""
        if self.session_file is None:
            return
        request = self._asked()
        self._unsaved = session.Session(
            text_a=request.text_a, text_b=self.query_one(Sentences).field_b.value, pair_mode=self.pair_mode,
            candidates=tuple(c for c in request.candidates if c.strip()), top_k=self.top_k,
            model=self._session_model)
        if self._session_timer is not None:
            self._session_timer.stop()
        self._session_timer = self.set_timer(SESSION_SAVE_SECONDS, self._write_session)

    def _write_session(self) -> None:
        snapshot, self._unsaved = self._unsaved, None
        if snapshot is None or self.session_file is None:
            return
        try:
            session.save(self.session_file, snapshot)
        except OSError as error:
            first = self._session_error is None
            self._session_error = f"cannot save the session to {self.session_file}: {error.strerror or error}"
            if first and self.is_running:
                self.notify(visible(self._session_error), title="Session", severity="error", timeout=15,
                            markup=False)
        else:
            self._session_error = None

    @property
    def session_error(self) -> str | None:
        """Why the last save failed, if it did (the command line prints it after the app exits)."""
        return self._session_error

    # -- the model --------------------------------------------------------------------------------
    def _load(self, spec: str) -> None:
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

    @on(ModelReady)
    def _model_ready(self, message: ModelReady) -> None:
        self.model_spec, self.model_info, self._failure = message.spec, message.info, None
        self._session_model = message.spec
        self.mask_token = message.info.mask_token
        if message.spec == self._loading:
            self._loading = None
            self.query_one(ModelBanner).hide()
        self.query_one(Sentences).use_mask_token(self.mask_token)
        self._describe_model(self.query_one(ModelCard))
        self._show_model()
        self.refresh_bindings()
        self._request_changed()  # the text on screen, asked of the model now in use

    @on(ModelFailed)
    def _model_failed(self, message: ModelFailed) -> None:
        if message.spec == self._loading:
            self._loading = None
        status = self.query_one(StatusLine)
        if self.model_info is not None:  # a switch failed: the model in use still answers
            self.query_one(ModelBanner).hide()
            self.notify(visible(message.error), title=f"Cannot load {visible(message.spec)}", severity="error",
                        timeout=10, markup=False)
            status.state(f"cannot load {message.spec}; still using {self.model_spec}", "error")
            return
        self._failure = (message.spec, message.error)
        self.query_one(ModelBanner).failed(message.spec, message.error)
        self._describe_model(self.query_one(ModelCard))
        self.query_one(MaskPanel).waiting("No model: see above.")
        status.state(f"cannot load {message.spec}", "error")
        self.refresh_bindings()

    def _describe_model(self, card: ModelCard) -> None:
        if self.model_info is not None:
            card.show(self.model_spec, self.model_info, timings=not self.steady)
        elif self._failure is not None:
            card.failed(self._failure[0])
        else:
            card.loading(self._loading or self.model_spec)

    def _show_model(self) -> None:
        info = self.model_info
        self.query_one(StatusLine).model(Content.assemble((visible(self.model_spec), "bold"),
                                                          f" · {info.device} {info.dtype}"),
                                         demo=DEMO_LABEL if info.is_demo else "")

    # -- requests and answers ---------------------------------------------------------------------
    def _request_changed(self) -> None:
        """The text on screen changed: answers to earlier requests are stale from now on."""
        self.latest_request_id += 1
        if self.key_masks.positions and self.key_masks.texts != self._texts_on_screen():
            self.key_masks = KeyMasks()  # they indexed the tokens of the text before this edit
            self.query_one(Sentences).show_masked(())
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._submit)
        self._session_changed()

    def _texts_on_screen(self) -> Texts:
        sentences = self.query_one(Sentences)
        return sentences.field_a.value, sentences.field_b.value if self.pair_mode else None

    def _asked(self) -> AnalysisRequest:
        """The request the screen makes now: sentences, pair mode, k, candidates, masks and open views."""
        text_a, text_b = texts = self._texts_on_screen()
        return AnalysisRequest(
            request_id=self.latest_request_id,
            text_a=text_a,
            text_b=text_b,
            top_k=self.top_k,
            candidates=tuple(self.query_one(Leaderboard).candidates),
            masked=self.key_masks.for_texts(texts),
            attention="attention" in self.inside,
            embeddings="embeddings" in self.inside,
            surprisal="surprisal" in self.inside,
        )

    def _submit(self) -> None:
        if not self.is_running:  # the debounce fired while the app shuts down: its panes are gone
            return
        request = self._asked()
        self._submitted = (request, time.perf_counter())
        self.service.submit(request)
        if self.compare is not None:
            self.compare.submit(request)
        if self.model_info is not None and self._loading is None:
            self.query_one(StatusLine).state("analysing…", "busy")

    @property
    def results_current(self) -> bool:
        """Whether the panes answer the text on screen, ranking included (an error counts as an answer)."""
        return self._answered == self._asked()

    @on(AnalysisDone)
    def _analysis_done(self, message: AnalysisDone) -> None:
        analysis = message.analysis
        if analysis.request_id != self.latest_request_id or self._submitted is None:
            return  # a newer request is on its way: this answer describes text no longer on screen
        request, sent = self._submitted
        self._ranking_due = ranked_later(request, self.model_info)
        if self._ranking_due and self._shown is not None and self._shown[1].ranking is not None and \
                (self._shown[0].text_a, self._shown[0].candidates) == (request.text_a, request.candidates):
            # Sentence B or k changed: the ranking on screen is this text's (RankingDone repeats it).
            analysis, self._ranking_due = replace(analysis, ranking=self._shown[1].ranking), False
        self._answered = None if self._ranking_due else request
        self._shown = (request, analysis)
        encoding = analysis.encoding
        self.query_one(TokenGrid).show(encoding, follow=self._caret(), surprisal=analysis.surprisal)
        self.query_one(MaskPanel).show(analysis.masks, self.mask_token, self.model_info.is_demo,
                                       analysis.words)
        self.query_one(Sentences).show_masked(tuple((encoding.sequence_ids[p], encoding.offsets[p])
                                                    for p in request.masked if p < len(encoding.tokens)))
        self._show_inside()
        self.query_one(Leaderboard).show(request.text_a, analysis.ranking, analysis.next_sentence,
                                         pending="ranking…" if self._ranking_due else None)
        if self.compare is not None:
            self.compare.line_up(analysis)
        status = self.query_one(StatusLine)
        if self._loading is None:
            status.state("ranking…" if self._ranking_due else "ready", "busy" if self._ranking_due else "")
        if not self.steady:
            status.latency(f"{(time.perf_counter() - sent) * 1000:.0f} ms")

    @on(RankingDone)
    def _ranking_done(self, message: RankingDone) -> None:
        if message.request_id != self.latest_request_id or self._shown is None or \
                self._shown[1].request_id != message.request_id:
            return  # the ranking of text no longer on screen
        request, analysis = self._shown
        self._shown = (request, replace(analysis, ranking=message.ranking))
        self._answered, self._ranking_due = request, False
        self.query_one(Leaderboard).show(request.text_a, message.ranking, analysis.next_sentence)
        if self._loading is None:
            self.query_one(StatusLine).state("ready")

    @on(AnalysisFailed)
    @on(RankingFailed)
    def _analysis_failed(self, message: AnalysisFailed | RankingFailed) -> None:
        if message.request_id == self.latest_request_id and self._submitted is not None:
            self._answered = self._submitted[0]
            self.query_one(StatusLine).state(message.error, "error")
            if self._ranking_due:  # the ranking of the rows on screen is not coming
                request, analysis = self._shown
                self.query_one(Leaderboard).show(request.text_a, None, analysis.next_sentence,
                                                 pending="not ranked")

    def _caret(self) -> tuple[int, int] | None:
        """(sentence, caret) of the sentence being typed in, for the grid to follow; None elsewhere."""
        sentences = self.query_one(Sentences)
        for sequence, field in enumerate((sentences.field_a, sentences.field_b)):
            if field.has_focus:
                return sequence, field.cursor_position
        return None

    @on(Input.Changed, "#sentence-a, #sentence-b")
    @on(CandidatesChanged)
    def _edited(self, _message: Input.Changed | CandidatesChanged) -> None:
        self._request_changed()

    @on(TokenSelected)
    def _token_selected(self, message: TokenSelected) -> None:
        self.query_one(Sentences).show_span(message.sequence, message.span)
        self._show_inside()

    @on(TokenStep)
    def _token_step(self, message: TokenStep) -> None:
        self.query_one(TokenGrid).action_move(message.step)
        self._show_inside()

    @on(MaskToggled)
    def _mask_toggled(self, message: MaskToggled) -> None:
        """Mask or unmask tokens of the text the grid shows; never positions of another text."""
        texts = self._texts_on_screen()
        if self._shown is None or (self._shown[0].text_a, self._shown[0].text_b) != texts:
            self.notify("The tokens are catching up with the text: try again in a moment.",
                        severity="warning")
            return
        encoding = self._shown[1].encoding
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
        """The open inside views, from the answer on screen and the grid's selected token."""
        if self._shown is None or not self.inside:
            return
        analysis = self._shown[1]
        position = self.query_one(TokenGrid).cursor_column
        if analysis.attention is not None:
            self.query_one(AttentionView).show(analysis.attention, analysis.encoding, position)
        if "embeddings" in self.inside and self._shown[0].embeddings:
            self.query_one(EmbeddingPane).show(analysis.embeddings, analysis.encoding, position)

    @on(Button.Pressed, "#use-demo")
    def _demo_pressed(self) -> None:
        self.action_use_demo()

    @on(Button.Pressed, "#switch-model")
    def _switch_pressed(self) -> None:
        self.action_switch_model()

    # -- settings ---------------------------------------------------------------------------------
    def validate_top_k(self, top_k: int) -> int:
        return max(TOP_K_RANGE[0], min(TOP_K_RANGE[1], top_k))

    def watch_top_k(self, top_k: int) -> None:
        self.query_one(MaskPanel).show_top_k(top_k)
        self._request_changed()

    def watch_pair_mode(self, pair: bool) -> None:
        sentences = self.query_one(Sentences)
        sentences.set_pair(pair)
        # set_focus, not focus(): at once, so that the keys typed next land in the right sentence.
        if pair:
            self.screen.set_focus(sentences.field_b)
        elif sentences.field_b.has_focus:
            self.screen.set_focus(sentences.field_a)
        self._request_changed()

    # -- actions ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "change_k":
            return not isinstance(self.focused, Input)  # +/- are text while typing
        if action in EDITING_ACTIONS:
            return len(self.screen_stack) == 1  # not under a dialog: its keys are its own
        return True

    def action_toggle_inside(self, view: str) -> None:
        """Open or close a view that asks the model for more; the next request asks for it, or stops."""
        opening = view not in self.inside
        self.inside.symmetric_difference_update({view})
        results = self.query_one("#results")
        for name in ("attention", "embeddings"):
            results.set_class(name in self.inside, f"-{name}")
        if view in ("attention", "embeddings"):
            pane = self.query_one(f"#{view}")
            if opening:
                pane.waiting("Asking the model…" if self.model_info is not None else "Waiting for the model…")
            if view == "attention":
                self._focus_attention(pane, opening)
        self._request_changed()

    def _focus_attention(self, view: AttentionView, opening: bool) -> None:
        """Its keys work while it has focus: give it focus on opening, and give it back on closing."""
        if opening:
            self._focus_before_inside = self.focused
            self.screen.set_focus(view)
        elif view.has_focus or self.focused is None:
            before = self._focus_before_inside
            self.screen.set_focus(before if before is not None and before.is_attached
                                  else self.query_one(Sentences).field_a)

    def action_toggle_mask(self, whole_word: bool) -> None:
        self.query_one(TokenGrid).action_toggle_mask(whole_word)

    def action_change_k(self, step: int) -> None:
        self.top_k += step

    def action_toggle_pair(self) -> None:
        self.pair_mode = not self.pair_mode

    def action_insert_mask(self) -> None:
        focused = self.focused
        field = focused if isinstance(focused, SentenceInput) else self.query_one(Sentences).field_a
        start, end = sorted(field.selection)
        field.replace(self.mask_token, start, end)
        self.screen.set_focus(field)

    def action_clear(self) -> None:
        sentences = self.query_one(Sentences)
        sentences.field_a.clear()
        sentences.field_b.clear()
        self.screen.set_focus(sentences.field_a)

    def action_switch_model(self) -> None:
        def chosen(spec: str | None) -> None:
            if spec:
                self._load(spec)

        self.push_screen(ModelSwitchScreen(self._loading or self.model_spec), chosen)

    def action_use_demo(self) -> None:
        self._load("demo")

    def action_model_card(self) -> None:
        self.push_screen(ModelCardScreen(self._describe_model))

    def action_help(self) -> None:
        everywhere = [*self.BINDINGS, Binding("ctrl+p", "command_palette", "Command palette"),
                      Binding("ctrl+q", "quit", "Quit")]
        self.push_screen(HelpScreen([("Everywhere", everywhere),
                                     (TokenGrid.BINDING_GROUP_TITLE, TokenGrid.BINDINGS),
                                     (AttentionView.BINDING_GROUP_TITLE, AttentionView.BINDINGS),
                                     (Leaderboard.BINDING_GROUP_TITLE, Leaderboard.BINDINGS)]))

    def _results_to_hand_out(self, verb: str) -> bool:
        """Whether there are whole results to copy or export (a ranking still to come is not left out)."""
        if self._shown is None:
            self.notify(f"Nothing to {verb} yet: no results.", severity="warning")
        elif self._ranking_due:
            self.notify(f"Nothing to {verb} yet: the next-sentence ranking of this text is not in.",
                        severity="warning")
        return self._shown is not None and not self._ranking_due

    def action_copy_json(self) -> None:
        if not self._results_to_hand_out("copy"):
            return
        request, analysis = self._shown
        text = export.to_json(request, analysis, self.model_info)  # the same document as Export… as JSON
        if self.is_web:  # a served app's clipboard would be the server's
            served.deliver(self, text, DEFAULT_EXPORT_NAME, "json")
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied the results as JSON ({len(text):,} characters).")

    def action_export(self) -> None:
        if not self._results_to_hand_out("export"):
            return
        request, analysis = self._shown

        def written(path: Path | None) -> None:
            if path is not None:
                self.notify(f"Wrote {path}", title="Exported", markup=False)

        self.push_screen(ExportScreen(partial(export.render, request=request, analysis=analysis,
                                              info=self.model_info)), written)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help, action in PALETTE:
            yield SystemCommand(title, help, partial(self.run_action, action))


def build_app(model: str | None = None, device: str = "auto", dtype: str = "float32", top_k: int | None = None,
              *, session_file: Path | None = None, trust_remote_code: bool = False,
              engine_loader: EngineLoader = load_engine, compare: str | None = None) -> BertuiApp:
    """The app the command line starts, its session restored.

    With a ``session_file``, the saved session replaces the example text; a model or k given on the
    command line (not None) wins over the saved one, since the person just asked for it.
    """
    restored = session.restore(session_file) if session_file is not None else session.Restored()
    if restored.problem and restored.set_aside is None:  # unreadable, left in place: do not overwrite it
        session_file, notice = None, f"{restored.problem}. This session will not be saved."
    else:
        notice = restored.problem
    saved = restored.session
    loader = partial(engine_loader, trust_remote_code=True) if trust_remote_code else engine_loader
    if saved is None:
        options = dict(text_a=EXAMPLE_TEXT, candidates=EXAMPLE_CANDIDATES)
    else:
        options = dict(text_a=saved.text_a, text_b=saved.text_b, pair=saved.pair_mode,
                       candidates=saved.candidates)
    return BertuiApp(model or (saved and saved.model) or DEFAULT_MODEL, device=device, dtype=dtype,
                     top_k=top_k if top_k is not None else saved.top_k if saved else DEFAULT_TOP_K, engine_loader=loader,
                     session_file=session_file, saved_model=saved.model if saved else None, notice=notice,
                     compare=compare, **options)


def run_app(model: str | None = None, device: str = "auto", dtype: str = "float32", top_k: int | None = None,
            *, session_file: Path | None = None, trust_remote_code: bool = False,
            compare: str | None = None) -> int:
    """Run the app until the person quits; the exit status for the command line."""
    app = build_app(model, device, dtype, top_k, session_file=session_file, trust_remote_code=trust_remote_code,
                    compare=compare)
    app.run()
    if app.session_error:
        print(f"bertui: {app.session_error}", file=sys.stderr)
    return app.return_code or 0
