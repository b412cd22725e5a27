from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import tiny_models
from tests.test_families import BUILDERS, FAMILIES

CHECKOUT = Path(__file__).resolve().parents[1]


def _shared_models() -> Path:
    """``../shared/models`` beside this test file's checkout; for a git worktree (whose ``.git`` is a file
    naming the main repository's), beside the main checkout when the worktree has none of its own."""
    own = CHECKOUT.parent / "shared" / "models"
    marker = CHECKOUT / ".git"
    if own.is_dir() or not marker.is_file():
        return own
    gitdir = Path(marker.read_text(encoding="utf-8").removeprefix("gitdir:").strip())
    common = gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip() \
        if (gitdir / "commondir").is_file() else gitdir
    main = (CHECKOUT / common).resolve().parent
    return main.parent / "shared" / "models" if (main.parent / "shared" / "models").is_dir() else own


SHARED_MODELS = _shared_models()
REAL_TOKENIZER = SHARED_MODELS / "bert-base-uncased-tokenizer"


@pytest.fixture(scope="session", autouse=True)
def _isolated_caches(tmp_path_factory):
    """Keep the user's caches out of it, and make any hub access fail fast rather than hang."""
    cache = tmp_path_factory.mktemp("cache")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    os.environ["HF_HOME"] = str(cache / "huggingface")
    os.environ["HF_HUB_OFFLINE"] = "1"
    return


@pytest.fixture(scope="session")
def bert_dir(tmp_path_factory) -> Path:
    return tiny_models.build_bert(tmp_path_factory.mktemp("bert"))


@pytest.fixture(scope="session")
def bert_mlm_only_dir(tmp_path_factory) -> Path:
    return tiny_models.build_bert(tmp_path_factory.mktemp("bert-mlm"), with_nsp_head=False)


@pytest.fixture(scope="session")
def roberta_dir(tmp_path_factory) -> Path:
    return tiny_models.build_roberta(tmp_path_factory.mktemp("roberta"))


@pytest.fixture(scope="session")
def distilbert_dir(tmp_path_factory) -> Path:
    return tiny_models.build_distilbert(tmp_path_factory.mktemp("distilbert"))


@pytest.fixture(scope="session")
def albert_dir(tmp_path_factory) -> Path:
    return tiny_models.build_albert(tmp_path_factory.mktemp("albert"))


@pytest.fixture(scope="session")
def electra_dir(tmp_path_factory) -> Path:
    return tiny_models.build_electra(tmp_path_factory.mktemp("electra"))


@pytest.fixture(scope="session")
def engine(bert_dir):
    """The tiny BERT, loaded through the same Engine.load that people use."""
    from bertui.engine.inference import Engine

    return Engine.load(str(bert_dir), device="cpu")


@pytest.fixture(scope="module", params=list(FAMILIES))
def family(request, tmp_path_factory):
    """Each family of tests/test_families.py as (name, folder, engine): the model built once a module."""
    from bertui.engine.inference import Engine

    if request.param in BUILDERS:
        folder = BUILDERS[request.param](tmp_path_factory.mktemp(request.param))
    else:
        folder = request.getfixturevalue(request.param)
    return request.param, folder, Engine.load(str(folder), device="cpu")
