"""Which answer belongs to the text on screen: request ids, what was asked, whether a ranking is due.

Plain Python, no Textual: the main screen asks it, and tests read it without a pilot. Every edit takes
a new id at once (``changed``); a request goes out a little later with the latest id (``send``). An
answer whose id is the latest describes the text on screen; one to an earlier request, newer than the
answer shown, is shown too when the text sent since only went on from it (typed on, or backspaced), so
the panes follow the typing instead of waiting for it to pause; it never counts as the answer to the text
on screen (nor takes a ranking), and the answer to a text since replaced is never shown.

Answers come in two stages from a staged service: the masks, then the next-sentence ranking. Until the
ranking comes, it is "due" and the results are not whole: they are not handed out (copy, export), and
the leaderboard keeps the last ranking, dimmed. When only sentence B or k changed, the ranking on
screen is already this text's and is kept instead of waiting for a second pass.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from bertui.engine.results import Analysis, AnalysisRequest, RankedCandidate

IN_FLIGHT = 16
"""Requests remembered while unanswered: more than the model's one pending slot ever leaves in flight."""


class Shown(NamedTuple):
    """The request the panes answer, and its answer."""

    request: AnalysisRequest
    analysis: Analysis


class RequestLedger:
    def __init__(self) -> None:
        self.latest_id = 0
        """The id of the text on screen: answers to any other id are stale."""
        self.sent: AnalysisRequest | None = None
        """The last request sent to the model."""
        self._in_flight: dict[int, AnalysisRequest] = {}
        """Requests sent and not yet answered, by id, the oldest first (a few at most)."""
        self.sent_at = 0.0
        """When it was sent (``time.perf_counter``), for the latency shown."""
        self.shown: Shown | None = None
        self.answered: AnalysisRequest | None = None
        """The request answered in full (ranking included; an error counts as an answer)."""
        self.ranking_due = False
        """The shown request's ranking is still to come (its analysis has none yet)."""

    def changed(self) -> int:
        """The text on screen changed: a new id, and every earlier answer is stale from now on."""
        self.latest_id += 1
        return self.latest_id

    def send(self, request: AnalysisRequest, at: float) -> None:
        self.sent, self.sent_at = request, at
        self._in_flight[request.request_id] = request
        while len(self._in_flight) > IN_FLIGHT:
            del self._in_flight[next(iter(self._in_flight))]

    def is_latest(self, request_id: int) -> bool:
        """Whether an answer to ``request_id`` describes the text on screen."""
        return request_id == self.latest_id and self.sent is not None

    def answers(self, asked: AnalysisRequest) -> bool:
        """Whether the panes answer ``asked`` (the request the screen makes now) in full."""
        return self.answered == asked

    def take_analysis(self, analysis: Analysis, ranked_later: bool) -> Shown | None:
        """The answer to show for ``analysis``, or None if it is stale.

        ``ranked_later``: its ranking comes apart (see ``bertui.model.loop.ranked_later``); the ranking on
        screen is kept instead when it ranks the same sentence A and candidates.
        """
        request = self._in_flight.get(analysis.request_id)
        if request is None or (self.shown is not None and
                               analysis.request_id <= self.shown.analysis.request_id):
            return None
        if not self.is_latest(analysis.request_id) and not _typed_on(request, self.sent):
            return None
        self._in_flight = {i: sent for i, sent in self._in_flight.items() if i > analysis.request_id}
        due = ranked_later
        if due and self.shown is not None and self.shown.analysis.ranking is not None and \
                (self.shown.request.text_a, self.shown.request.candidates) == (request.text_a,
                                                                               request.candidates):
            analysis, due = replace(analysis, ranking=self.shown.analysis.ranking), False
        self.ranking_due = due
        self.answered = None if due or not self.is_latest(analysis.request_id) else request
        self.shown = Shown(request, analysis)
        return self.shown

    def take_ranking(self, request_id: int, ranking: tuple[RankedCandidate, ...]) -> Shown | None:
        """The shown answer with its ranking in, or None if the ranking is of text no longer on screen."""
        if not self.is_latest(request_id) or self.shown is None or \
                self.shown.analysis.request_id != request_id:
            return None
        request, analysis = self.shown
        self.shown = Shown(request, replace(analysis, ranking=ranking))
        self.answered, self.ranking_due = request, False
        return self.shown

    def take_failure(self, request_id: int) -> bool:
        """Whether a failure of ``request_id`` is the answer to the text on screen (it then counts as one)."""
        if not self.is_latest(request_id):
            return False
        self.answered = self.sent
        return True

    def not_whole(self) -> str | None:
        """Why there are no whole results to copy or export yet; None when there are."""
        if self.shown is None:
            return "no results"
        if self.ranking_due:
            return "the next-sentence ranking of this text is not in"
        return None


def _typed_on(older: AnalysisRequest, newer: AnalysisRequest | None) -> bool:
    """Whether ``newer``'s sentences only went on from ``older``'s (one of each pair starts the other)."""
    if newer is None:
        return False
    pairs = ((older.text_a, newer.text_a), (older.text_b or "", newer.text_b or ""))
    return all(new.startswith(old) or old.startswith(new) for old, new in pairs)
