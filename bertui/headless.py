"""The headless commands' work on one input each, as JSON-able dicts (the CLI prints them; a stream of
inputs can call them one line at a time). Key names are documented in the README and kept stable."""

from __future__ import annotations

from collections.abc import Sequence

from bertui.defaults import DEFAULT_TOP_K
from bertui.engine.errors import InputError
from bertui.engine.results import AnalysisRequest

PLL_VARIANTS = ("pll", "pll_word_l2r")


def fill_one(engine, text: str, pair: str | None = None, *, top_k: int = DEFAULT_TOP_K,
             targets: Sequence[str] = (), beam: int = 0, joint: bool = True) -> dict:
    """``{"masks": [...]}``, ``"targets"`` when targets are given, ``"joint"`` for two or more masks."""
    analysis = engine.analyze(AnalysisRequest(request_id=0, text_a=text, text_b=pair, top_k=top_k,
                                              targets=tuple(targets), joint=joint, beam=beam), rank=False)
    if not analysis.masks:
        raise InputError(f"no mask in the text: write {engine.mask_token} where a word should be predicted")
    document: dict = {"masks": [mask.to_json() for mask in analysis.masks]}
    if targets:
        document["targets"] = [mask.to_json() for mask in analysis.targets]
    if analysis.joint is not None:
        document["joint"] = analysis.joint.to_json()
    return document


def score_one(engine, text: str, pair: str | None = None) -> dict:
    """``{"text", "pair", "tokens": [...], "pll", "pll_word_l2r", "truncated"}`` for one sentence."""
    encoding, surprisal = engine.score(text, pair)
    return {"text": text, "pair": pair, **surprisal.to_json(), "truncated": encoding.truncated}


def compare_pair(a: dict, b: dict) -> dict:
    """Which of two scored sentences the model prefers under each PLL variant, and by how much (nats)."""
    document: dict = {"a": a["text"], "b": b["text"]}
    for variant in PLL_VARIANTS:
        difference = a[variant] - b[variant]
        document[variant] = {"prefers": "a" if difference > 0 else "b" if difference < 0 else "tie",
                             "margin": abs(difference)}
    return document
