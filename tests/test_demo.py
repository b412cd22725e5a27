"""The built-in demo model: the tiny BERT its documentation describes, the same weights on every machine,
and a cached copy that is built once and never left half-written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file
from transformers import AutoTokenizer

from bertui.engine import demo
from bertui.engine.demo import build_demo_model, demo_folder, is_demo_folder
from bertui.engine.inference import Engine

SHORT = 16  # positions: the recipe is the same at any length, and a short table builds faster


def _weights(folder) -> dict[str, np.ndarray]:
    return load_file(folder / "model.safetensors")


def test_the_demo_is_the_tiny_bert_its_documentation_describes():
    """The README and bertui/engine/demo.py: a BERT pretraining model of hidden size 64, 2.1 M parameters,
    bert-base-uncased's vocabulary and length; read back through from_pretrained."""
    info = Engine.load("demo", device="cpu").info
    assert (info.architecture, info.vocab_size, info.max_length) == ("BertForPreTraining", 30522, 512)
    assert (info.layers, info.hidden_size, info.heads, info.intermediate_size) == (2, 64, 4, 128)
    assert round(info.parameters / 1e6, 1) == 2.1 and info.has_segments and info.has_nsp_head
    saved = json.loads((Path(info.name_or_path) / "config.json").read_text())
    assert saved["architectures"] == ["BertForPreTraining"] and saved["type_vocab_size"] == 2
    assert AutoTokenizer.from_pretrained(info.name_or_path).model_max_length == 512


def test_weights_follow_the_seeded_recipe(tmp_path):
    weights = _weights(build_demo_model(tmp_path / "new" / "m", seed=5, max_positions=SHORT))  # folders made
    for name, values in weights.items():
        if name.endswith("LayerNorm.weight"):
            assert np.all(values == 1.0), name
        elif name.endswith("bias"):
            assert np.all(values == 0.0), name
        else:
            assert values.dtype == np.float32 and values.size >= 64, name
            assert abs(values.std() - 0.2) < 0.05 and abs(values.mean()) < 0.05, name
    # NumPy's legacy generator, drawn in the sorted order of the parameter names: the first one drawn
    expected = np.random.RandomState(5).normal(0.0, 0.2, size=(SHORT, 64)).astype(np.float32)
    assert np.array_equal(weights["bert.embeddings.position_embeddings.weight"], expected)


def test_the_same_seed_writes_the_same_weights_and_another_seed_others(tmp_path):
    first, again, other = (_weights(build_demo_model(tmp_path / name, seed=seed, max_positions=SHORT))
                           for name, seed in (("a", 5), ("b", 5), ("c", 6)))
    assert first.keys() == again.keys() == other.keys()
    assert all(np.array_equal(first[name], again[name]) for name in first)
    assert not np.array_equal(first["bert.embeddings.word_embeddings.weight"],
                              other["bert.embeddings.word_embeddings.weight"])


def test_without_the_nsp_head_the_checkpoint_is_a_masked_lm(tmp_path):
    folder = build_demo_model(tmp_path / "m", with_nsp_head=False, max_positions=SHORT)
    assert json.loads((folder / "config.json").read_text())["architectures"] == ["BertForMaskedLM"]
    assert not Engine.load(str(folder), device="cpu").info.has_nsp_head
    assert not any(name.startswith("cls.seq_relationship") for name in _weights(folder))


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    cache = tmp_path / "home" / ".cache"  # not made yet, as in a fresh account
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def _counting_builds(monkeypatch) -> list:
    builds = []
    real = demo.build_demo_model

    def counted(folder, **options):
        builds.append(folder)
        return real(folder, max_positions=SHORT, **options)

    monkeypatch.setattr(demo, "build_demo_model", counted)
    return builds


def test_the_cached_demo_is_built_once(own_cache, monkeypatch):
    builds = _counting_builds(monkeypatch)
    folder = demo_folder()
    assert is_demo_folder(folder) and folder.is_relative_to(own_cache) and len(builds) == 1
    # built in a hidden folder beside its final place, so the last step is a rename on one filesystem
    assert builds[0].parent == folder.parent and builds[0].name.startswith(".demo-")
    assert demo_folder() == folder and len(builds) == 1
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]  # no scratch folder left


def test_a_half_written_cache_is_rebuilt(own_cache, monkeypatch):
    builds = _counting_builds(monkeypatch)
    folder = demo_folder()
    (folder / demo.DEMO_MARKER).unlink()  # as a build that died before its last write leaves it
    (folder / "stray").write_text("left by the dead build")
    assert demo_folder() == folder and len(builds) == 2
    assert is_demo_folder(folder) and not (folder / "stray").exists()


def test_a_failed_build_leaves_nothing_behind(own_cache, monkeypatch):
    def broken(folder, **options):
        (folder / "config.json").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(demo, "build_demo_model", broken)
    with pytest.raises(OSError, match="disk full"):
        demo_folder()
    assert list((own_cache / "bertui").iterdir()) == []  # neither the scratch folder nor a half cache
