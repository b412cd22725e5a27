"""The model's answers, in one place: what a model backend posts to its target (``post_message`` is
thread-safe). The request loop names them (``answer``), so it runs without Textual, in a process too.
Analysis messages carry the request id, so the ledger can drop stale answers.

Messages that panes post are defined by the pane that posts them (``TokenGrid.Selected``,
``Leaderboard.CandidatesChanged``…), as Textual's own ``Input.Changed`` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from bertui.engine.download import Download
from bertui.engine.results import Analysis, ModelInfo, RankedCandidate


@dataclass
class ModelLoading(Message):
    """The backend is loading ``spec``; ``stage`` is what it is doing now."""

    spec: str
    stage: str


@dataclass
class ModelDownloading(Message):
    """``spec`` is being downloaded from the hub: ``download`` is one file's progress (every ~0.25 s)."""

    spec: str
    download: Download


@dataclass
class ModelReady(Message):
    spec: str
    info: ModelInfo


@dataclass
class ModelFailed(Message):
    """``spec`` could not be loaded; ``error`` says why, for a person."""

    spec: str
    error: str


@dataclass
class AnalysisDone(Message):
    """The answer to a request; from a staged service its ranking comes later, as RankingDone."""

    analysis: Analysis


@dataclass
class AnalysisFailed(Message):
    request_id: int
    error: str


@dataclass
class RankingDone(Message):
    """The next-sentence ranking of request ``request_id``: its second stage, after AnalysisDone."""

    request_id: int
    ranking: tuple[RankedCandidate, ...]


@dataclass
class RankingFailed(Message):
    """The ranking of ``request_id`` could not be computed (its masks were answered)."""

    request_id: int
    error: str


@dataclass
class ModelCrashed(Message):
    """The process running ``backend``'s model ended by itself; ``reason`` says how, for a person."""

    backend: Any
    spec: str | None
    reason: str


ANSWERS: dict[str, type[Message]] = {kind.__name__: kind for kind in (
    ModelLoading, ModelDownloading, ModelReady, ModelFailed, AnalysisDone, AnalysisFailed, RankingDone,
    RankingFailed)}
"""What a model's request loop (``bertui.model.loop.RequestLoop``) emits, by name."""


def answer(kind: str, args: tuple[Any, ...]) -> Message:
    """The message for one answer of a request loop: ``kind`` names it, ``args`` are its fields."""
    return ANSWERS[kind](*args)
