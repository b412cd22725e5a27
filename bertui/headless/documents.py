"""The headless commands' work on one input each, as JSON-able dicts (the CLI prints them; a stream of
inputs can call them one line at a time). Key names are documented in the README and kept stable."""

from __future__ import annotations

from collections.abc import Sequence

from bertui.defaults import DEFAULT_TOP_K
from bertui.engine.results import Analysis, AnalysisRequest, Encoding, RankedCandidate, Surprisal
from bertui.errors import InputError

PLL_VARIANTS = ("pll", "pll_word_l2r")


def fill_request(text: str, pair: str | None = None, *, top_k: int = DEFAULT_TOP_K,
                 targets: Sequence[str] = (), beam: int = 0, joint: bool = True) -> AnalysisRequest:
    return AnalysisRequest(request_id=0, text_a=text, text_b=pair, top_k=top_k, targets=tuple(targets),
                           joint=joint, beam=beam)


def fill_json(engine, analysis: Analysis) -> dict:
    """``{"masks": [...]}``, ``"targets"`` when targets are given, ``"joint"`` for two or more masks."""
    if not analysis.masks:
        raise InputError(f"no mask in the text: write {engine.mask_token} where a word should be predicted")
    document: dict = {"masks": [mask.to_json() for mask in analysis.masks]}
    if analysis.targets:
        document["targets"] = [mask.to_json() for mask in analysis.targets]
    if analysis.joint is not None:
        document["joint"] = analysis.joint.to_json()
    return document


def fill_one(engine, text: str, pair: str | None = None, **options) -> dict:
    """``fill_json`` of one text (options: top_k, targets, beam, joint, as ``fill_request`` takes them)."""
    return fill_json(engine, engine.analyze(fill_request(text, pair, **options), rank=False))


def score_json(text: str, pair: str | None, encoding: Encoding, surprisal: Surprisal) -> dict:
    """``{"text", "pair", "tokens": [...], "pll", "pll_word_l2r", "truncated"}`` for one sentence."""
    return {"text": text, "pair": pair, **surprisal.to_json(), "truncated": encoding.truncated}


def score_one(engine, text: str, pair: str | None = None) -> dict:
    return score_json(text, pair, *engine.score(text, pair))


def nsp_json(first: str, ranking: Sequence[RankedCandidate]) -> dict:
    return {"first": first, "ranking": [entry.to_json() for entry in ranking]}


def compare_pair(a: dict, b: dict) -> dict:
    """Which of two scored sentences the model prefers under each PLL variant, and by how much (nats)."""
    document: dict = {"a": a["text"], "b": b["text"]}
    for variant in PLL_VARIANTS:
        difference = a[variant] - b[variant]
        document[variant] = {"prefers": "a" if difference > 0 else "b" if difference < 0 else "tie",
                             "margin": abs(difference)}
    return document
