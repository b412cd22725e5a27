"""Every custom message of the app, in one place, so that the flow reads top to bottom.

The model worker thread posts the first seven to the app (``post_message`` is thread-safe); the
panes post the rest. Analysis messages carry the request id so the app can drop stale answers.
"""

from __future__ import annotations

from textual.message import Message

from bertui.engine.results import Analysis, ModelInfo, RankedCandidate


# -- from the worker thread -----------------------------------------------------------------------
class ModelLoading(Message):
    """The worker is loading ``spec``; ``stage`` is what it is doing now."""

    def __init__(self, spec: str, stage: str) -> None:
        super().__init__()
        self.spec = spec
        self.stage = stage


class ModelReady(Message):
    def __init__(self, spec: str, info: ModelInfo) -> None:
        super().__init__()
        self.spec = spec
        self.info = info


class ModelFailed(Message):
    """``spec`` could not be loaded; ``error`` says why, for a person."""

    def __init__(self, spec: str, error: str) -> None:
        super().__init__()
        self.spec = spec
        self.error = error


class AnalysisDone(Message):
    """The answer to a request; from a staged service its ranking comes later, as RankingDone."""

    def __init__(self, analysis: Analysis) -> None:
        super().__init__()
        self.analysis = analysis


class AnalysisFailed(Message):
    def __init__(self, request_id: int, error: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.error = error


class RankingDone(Message):
    """The next-sentence ranking of request ``request_id``: its second stage, after AnalysisDone."""

    def __init__(self, request_id: int, ranking: tuple[RankedCandidate, ...]) -> None:
        super().__init__()
        self.request_id = request_id
        self.ranking = ranking


class RankingFailed(Message):
    """The ranking of ``request_id`` could not be computed (its masks were answered)."""

    def __init__(self, request_id: int, error: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.error = error


# -- from the panes -------------------------------------------------------------------------------
class CandidatesChanged(Message):
    """The next-sentence candidates were added to, edited, deleted or reordered."""


class TokenSelected(Message):
    """A token of the grid was selected: the characters ``span`` of sentence ``sequence`` (0 = A, 1 = B).

    Both are None for a special token, or when the grid lets go of its selection.
    """

    def __init__(self, sequence: int | None, span: tuple[int, int] | None) -> None:
        super().__init__()
        self.sequence = sequence
        self.span = span


class MaskToggled(Message):
    """Mask (or unmask, if all are masked already) the tokens at ``positions`` without editing the text."""

    def __init__(self, positions: tuple[int, ...]) -> None:
        super().__init__()
        self.positions = positions


class TokenStep(Message):
    """Select the token ``step`` places away in the grid (asked by a view that follows the selection)."""

    def __init__(self, step: int) -> None:
        super().__init__()
        self.step = step
