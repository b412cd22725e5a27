"""Model B beside model A (``bertui --compare``): B's tokens where they split the text differently,
its top-k per mask, and its next-sentence scores where it has the head.

The panel is the target of B's model backend (made by the app's ``connect``), so B's messages come
to the panel and stop here: the main screen's handlers only ever see model A. The app hands the
panel every request it sends A, and A's answer to line the tokens up; an answer from B is shown only
while its request is still the app's latest. B's model, B's answer and A's answer are reactives; their
watchers draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import var
from textual.widgets import Static

from bertui.engine.results import Analysis, AnalysisRequest, Encoding, ModelInfo
from bertui.ui.backends.protocol import Connect
from bertui.ui.messages import AnalysisDone, AnalysisFailed, ModelFailed, ModelLoading, ModelReady
from bertui.ui.text import drawn, outside
from bertui.ui.widgets.mask_panel import MaskAnswer, MaskPanel
from bertui.ui.widgets.score_bar import A_TO_B, rank_lead, scored_row

NO_NSP_HEAD = "B has no next-sentence head: next-sentence scores are compared only when both models have one."
NSP_BAR = 8


def spans(encoding: Encoding) -> list[tuple[int | None, tuple[int, int]]]:
    """Where each real token lies: (sentence, character span); special tokens left out."""
    return [(sequence, span) for sequence, span in zip(encoding.sequence_ids, encoding.offsets)
            if sequence is not None]


class ComparePanel(Vertical):
    DEFAULT_CLASSES = "pane"
    DEFAULT_CSS = """
    ComparePanel {
        #compare-tokens { height: auto; max-height: 6; margin-bottom: 1; }
        #compare-masks { height: 1fr; }
        #compare-nsp { height: auto; max-height: 8; }
        #compare-nsp.-rows {
            text-wrap: nowrap;  /* one line per candidate, as in a leaderboard */
            text-overflow: ellipsis;
        }
    }
    """

    info: var[ModelInfo | None] = var(None, init=False)
    """B's model, once loaded."""
    shown: var[Analysis | None] = var(None, init=False, always_update=True)
    """B's answer on screen."""
    lined_up: var[Analysis | None] = var(None, init=False, always_update=True)
    """A's latest answer: B's tokens are compared with A's when both answer the same request."""

    def __init__(self, spec: str, *, current: Callable[[], int], connect: Connect, **kwargs: Any) -> None:
        """``current()`` is the id of the screen's latest request: B's answers to older ones are dropped."""
        super().__init__(**kwargs)
        self.spec = spec
        self.backend = connect(self, False)
        self._current = current
        self._failed: int | None = None  # the request B could not answer
        self.border_title = Content.assemble(("B ", "bold"), outside(spec))

    def compose(self) -> ComposeResult:
        yield Static(id="compare-tokens")
        yield MaskPanel(id="compare-masks")
        yield Static(id="compare-nsp")

    def on_mount(self) -> None:
        self.query_one(MaskPanel).waiting = f"Waiting for {self.spec} to load…"
        self.call_after_refresh(self.backend.load, self.spec)

    @property
    def answered(self) -> bool:
        """Whether B's part of the screen answers the app's latest request (an error counts)."""
        latest = self._current()
        return self._failed == latest or (self.shown is not None and self.shown.request_id == latest)

    # -- what the app tells it --------------------------------------------------------------------
    def submit(self, request: AnalysisRequest) -> None:
        """Ask B what A is asked. Token positions chosen on A's tokens mean nothing in B's, nor do
        A's views and measures: B gets the text, the pair, k and the candidates."""
        self.backend.submit(replace(request, masked=(), attention=False, embeddings=False, surprisal=False,
                                    targets=(), joint=False, alone=False))

    def line_up(self, analysis: Analysis) -> None:
        """A's answer: B's tokens are compared with its tokens when both answer the same request."""
        self.lined_up = analysis

    # -- B's worker -------------------------------------------------------------------------------
    @on(ModelLoading)
    def _loading(self, message: ModelLoading) -> None:
        message.stop()
        self.border_subtitle = outside(f"loading: {message.stage}…")

    @on(ModelReady)
    def _ready(self, message: ModelReady) -> None:
        message.stop()
        self.info = message.info

    @on(ModelFailed)
    def _failed_to_load(self, message: ModelFailed) -> None:
        message.stop()
        self.border_subtitle = "cannot load"
        self.add_class("-failed")
        self.query_one(MaskPanel).waiting = message.error

    @on(AnalysisDone)
    def _done(self, message: AnalysisDone) -> None:
        message.stop()
        if message.analysis.request_id == self._current():  # else the text has changed since
            self._failed = None
            self.shown = message.analysis

    @on(AnalysisFailed)
    def _analysis_failed(self, message: AnalysisFailed) -> None:
        message.stop()
        if message.request_id == self._current():
            self._failed = message.request_id
            self.query_one(MaskPanel).waiting = message.error

    # -- drawing ----------------------------------------------------------------------------------
    def watch_info(self, info: ModelInfo) -> None:
        self.border_subtitle = outside(f"{info.model_type} · mask {info.mask_token}")  # from its config

    def watch_shown(self, analysis: Analysis | None) -> None:
        info = self.info
        if analysis is None or info is None:
            return
        self.query_one(MaskPanel).answer = MaskAnswer(analysis.masks, info.mask_token, info.is_demo)
        self._draw_tokens()
        self._draw_nsp(info, analysis)

    def watch_lined_up(self) -> None:
        self._draw_tokens()

    def _draw_tokens(self) -> None:
        tokens = self.query_one("#compare-tokens", Static)
        analysis = self.shown
        if analysis is None:
            tokens.update(Content())
            return
        encoding = analysis.encoding
        count = Content.styled(f"{len(encoding.tokens)} tokens", "$text-muted")
        if self.lined_up is None or self.lined_up.request_id != analysis.request_id:
            tokens.update(Content.assemble(count, (" · A's not in yet", "$text-muted")))
            return
        a_encoding = self.lined_up.encoding
        theirs = set(spans(a_encoding))
        if spans(encoding) == spans(a_encoding):
            tokens.update(Content.assemble(("Same split as A", "$text-success"), " · ", count))
            return
        masks = set(encoding.mask_positions)
        row = []
        for position, token in enumerate(encoding.tokens):
            if position in masks:
                look = "$text-warning bold"
            elif encoding.special[position]:
                look = "$text-muted italic"
            elif (encoding.sequence_ids[position], encoding.offsets[position]) in theirs:
                look = ""
            else:
                look = "$text-accent underline"  # a piece A does not have
            row.append(Content.styled(drawn(token), look))
        tokens.update(Content.assemble(("Split differs from A", "$text-warning"), " · ", count,
                                       (f" (A: {len(a_encoding.tokens)})", "$text-muted"), "\n",
                                       Content(" ").join(row)))

    def _draw_nsp(self, info: ModelInfo, analysis: Analysis) -> None:
        nsp = self.query_one("#compare-nsp", Static)
        nsp.set_class(info.has_nsp_head, "-rows")
        if not info.has_nsp_head:
            nsp.update(Content.styled(NO_NSP_HEAD, "$text-muted"))
            return
        lines: list[Content] = []
        if analysis.next_sentence is not None:
            lines.append(scored_row(A_TO_B, analysis.next_sentence.is_next, NSP_BAR))
        for entry in analysis.ranking or ():
            lines.append(scored_row(rank_lead(entry.rank), entry.is_next, NSP_BAR,
                                    text=Content(drawn(entry.candidate))))
        if lines:
            lines.insert(0, Content.styled("Next sentence", "$text-muted"))
        nsp.update(Content("\n").join(lines))
