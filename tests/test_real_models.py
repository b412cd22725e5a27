"""Sanity on real pretrained checkpoints in ../shared/models, when there are any (skipped otherwise)."""

from __future__ import annotations

import pytest

from bertui.headless.documents import fill_request
from tests.conftest import SHARED_MODELS

REAL = [SHARED_MODELS / name for name in ("bert-base-uncased", "bert-medium", "bert-small", "bert-mini",
                                           "bert-tiny")]
PRESENT = [f for f in REAL if (f / "config.json").is_file() and any(f.glob("*.safetensors"))]


@pytest.fixture(scope="module", params=PRESENT or [None], ids=lambda f: f.name if f else "none")
def real_engine(request):
    if request.param is None:
        pytest.skip(f"no pretrained checkpoint (config.json and *.safetensors) in any of "
                    f"{', '.join(f.name for f in REAL)} under {SHARED_MODELS} (see its SOURCES.md)")
    from bertui.engine.inference import Engine

    return Engine.load(str(request.param), device="cpu")


def test_capital_of_france_is_paris(real_engine):
    (mask,) = real_engine.analyze(fill_request("The capital of France is [MASK].", top_k=5)).masks
    assert mask.predictions[0].token_str == "paris"


def test_a_real_next_sentence_beats_a_random_one(real_engine):
    if not real_engine.info.has_nsp_head:
        pytest.skip("checkpoint has no NSP head")
    ranked = real_engine.rank("The man went to the store.",
                              ["He bought a gallon of milk.", "Penguins are flightless birds."])
    assert ranked[0].candidate == "He bought a gallon of milk."
