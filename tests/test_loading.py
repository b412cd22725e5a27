"""Every way a model spec can go wrong ends in one ModelLoadError that says what to do."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from bertui.engine import ModelLoadError
from bertui.engine.inference import Engine
from tests import tiny_models


def load(spec, **options):
    return Engine.load(str(spec), device=options.pop("device", "cpu"), **options)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelLoadError, match="no model folder at .*nope"):
        load(tmp_path / "nope")


def test_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "model.txt").write_text("hi")
    with pytest.raises(ModelLoadError, match="is a file"):
        load(tmp_path / "model.txt")


def test_empty_folder(tmp_path):
    with pytest.raises(ModelLoadError, match="no config.json"):
        load(tmp_path)


def test_config_without_weights(tmp_path, bert_dir):
    shutil.copy(bert_dir / "config.json", tmp_path)
    with pytest.raises(ModelLoadError, match="no weights"):
        load(tmp_path)


def test_truncated_weights(tmp_path, bert_dir):
    shutil.copytree(bert_dir, tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with pytest.raises(ModelLoadError, match="cannot load"):
        load(tmp_path / "m")


def test_encoder_without_mlm_head(tmp_path):
    folder = tiny_models.build_bert_encoder_only(tmp_path / "enc")
    with pytest.raises(ModelLoadError, match="no masked-LM head"):
        load(folder)


def test_tokenizer_of_another_model(tmp_path, bert_dir, roberta_dir):
    shutil.copytree(roberta_dir, tmp_path / "m")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"):
        (tmp_path / "m" / name).unlink(missing_ok=True)
    folder = tmp_path / "m"
    # a BERT tokenizer bigger than this RoBERTa's vocabulary
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(bert_dir / name, folder)
    with pytest.raises(ModelLoadError, match="tokenizer belongs to another model"):
        load(folder)


def test_pickled_bin_checkpoint_loads_without_running_code(tmp_path, bert_dir):
    """A .bin is read with torch.load(weights_only=True): tensors load, code in the pickle never runs."""
    import torch
    from transformers import BertForPreTraining

    good = tmp_path / "good"
    shutil.copytree(bert_dir, good)
    (good / "model.safetensors").unlink()
    torch.save(BertForPreTraining.from_pretrained(bert_dir).state_dict(), good / "pytorch_model.bin")
    assert load(good).fill("the [MASK] dog", top_k=2)

    evil = tmp_path / "evil"
    shutil.copytree(good, evil)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (evil / "pytorch_model.bin").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelLoadError, match="cannot load"):
        load(evil)
    assert not marker.exists()


def test_hub_id_while_offline_names_the_cache_and_the_fixes(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError) as caught:
        load("bert-base-uncased")
    message = str(caught.value)
    assert "HF_HUB_OFFLINE" in message and "cache" in message
    assert "--model PATH" in message and "--model demo" in message


def test_hub_id_with_no_network_fails_fast(monkeypatch):
    from bertui.engine import loading

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(loading, "_hub_reachable", lambda timeout=3.0: False)
    with pytest.raises(ModelLoadError, match="hub cannot be reached"):
        load("some-org/some-model")


@pytest.mark.parametrize(("device", "message"), [("tpu", "unknown device"), ("cuda", "no CUDA GPU"),
                                                  ("cuda:7", "no CUDA GPU")])
def test_devices_that_do_not_exist(bert_dir, device, message):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ModelLoadError, match=message):
        load(bert_dir, device=device)


def test_unknown_dtype(bert_dir):
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        load(bert_dir, dtype="float8")


def test_bfloat16_on_request(bert_dir):
    engine = load(bert_dir, dtype="bfloat16")
    assert engine.info.dtype == "bfloat16"
    assert len(engine.fill("the [MASK] dog", top_k=3)[0].predictions) == 3


def test_progress_is_reported_while_loading(bert_dir):
    stages = []
    load(bert_dir, progress=stages.append)
    assert stages[0].startswith("reading the config") and stages[-1] == "warming up"


def test_load_picks_the_device_itself_by_default_and_hands_its_core_option_on(bert_dir, monkeypatch):
    from bertui.engine import inference
    from bertui.engine.loading import resolve_device

    asked: list[dict] = []  # recorded, not applied: the test process keeps its threads
    monkeypatch.setattr(inference, "configure_threads", lambda **options: asked.append(options))
    assert Engine.load(str(bert_dir)).info.device == str(resolve_device("auto"))
    Engine.load(str(bert_dir), device="cpu", leave_core_for_ui=True)
    assert asked == [{"leave_core_for_ui": False}, {"leave_core_for_ui": True}]


def test_demo_model_loads_offline_and_says_it_is_random():
    engine = Engine.load("demo", device="cpu")
    assert engine.info.is_demo and engine.info.spec == "demo"
    assert engine.info.has_nsp_head
    again = Engine.load("demo", device="cpu")  # the cached copy
    text = "soccer is a really fun [MASK]."
    assert engine.fill(text)[0].predictions == again.fill(text)[0].predictions


DEMO_TEXTS = ["Here is the sentence I want embedding for.", "good afternoon, the cat sat on the mat",
              "축구는 정말 재미있는 [MASK]이다.", "Café naïve résumé", "東京は日本の首都です",
              "emoji 👍🏽 👨‍👩‍👧 zero\u200bwidth", "שלום مرحبا", "e\u0301 \u0301", "x" * 300]


def test_demo_speaks_bert_base_uncased_wordpiece():
    from transformers import AutoTokenizer

    from tests.conftest import REAL_TOKENIZER

    if not (REAL_TOKENIZER / "tokenizer.json").is_file():
        pytest.skip(f"bert-base-uncased's tokenizer is not at {REAL_TOKENIZER}")
    real = AutoTokenizer.from_pretrained(REAL_TOKENIZER, local_files_only=True)
    engine = Engine.load("demo", device="cpu")
    assert engine.info.vocab_size == len(real) == 30522 and engine.info.max_length == 512
    for text in DEMO_TEXTS:
        expected = real(text, "and a second one", truncation=True, return_token_type_ids=True)
        encoding = engine.encode(text, "and a second one")
        assert list(encoding.input_ids) == expected["input_ids"], text
        assert list(encoding.token_type_ids) == expected["token_type_ids"], text
        assert list(encoding.tokens) == real.convert_ids_to_tokens(expected["input_ids"]), text
    assert engine.encode("afternoon on the mat").tokens[1:-1] == ("afternoon", "on", "the", "mat")


@pytest.mark.parametrize("spec", ["/no/such/folder", "./missing-model", "../missing-model", "~/missing-model",
                                  "some/deep/folder"])
def test_a_spec_that_looks_like_a_path_is_a_missing_folder(spec):
    with pytest.raises(ModelLoadError, match="no model folder at"):
        load(spec)


@pytest.mark.parametrize("spec", ["missing-model", "some-org/missing-model"])
def test_a_spec_that_looks_like_a_hub_id_goes_to_the_hub(spec):
    with pytest.raises(ModelLoadError) as caught:
        load(spec)  # offline in the tests: the hub's own message, not a missing folder
    assert "no model folder" not in str(caught.value) and "HF_HUB_OFFLINE" in str(caught.value)
