"""Every way a model spec can go wrong ends in one ModelLoadError that says what to do."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from unittest import mock

import pytest

from bertui.engine import ModelLoadError
from bertui.engine.inference import Engine
from bertui.headless.documents import fill_request
from tests import tiny_models


def load(spec, **options):
    return Engine.load(str(spec), device=options.pop("device", "cpu"), **options)


def refusal(spec, **options) -> str:
    """The message of the ModelLoadError that loading ``spec`` ends in."""
    with pytest.raises(ModelLoadError) as caught:
        load(spec, **options)
    return str(caught.value)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelLoadError, match=r"no model folder at .*nope"):
        load(tmp_path / "nope")


def test_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "model.txt").write_text("hi")
    with pytest.raises(ModelLoadError, match="is a file"):
        load(tmp_path / "model.txt")


def test_empty_folder(tmp_path):
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
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
    with pytest.raises(ModelLoadError) as caught:
        load(folder)
    vocab = json.loads((roberta_dir / "config.json").read_text())["vocab_size"]
    assert str(caught.value) == (f"{str(folder)!r}: the tokenizer has 30522 tokens but the model only "
                                 f"{vocab}: the tokenizer belongs to another model")


def test_pickled_bin_checkpoint_loads_without_running_code(tmp_path, bert_dir):
    """A .bin is read with torch.load(weights_only=True): tensors load, code in the pickle never runs."""
    import torch
    from transformers import BertForPreTraining

    good = tmp_path / "good"
    shutil.copytree(bert_dir, good)
    (good / "model.safetensors").unlink()
    torch.save(BertForPreTraining.from_pretrained(bert_dir).state_dict(), good / "pytorch_model.bin")
    assert load(good).analyze(fill_request("the [MASK] dog", top_k=2)).masks

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
    assert len(engine.analyze(fill_request("the [MASK] dog", top_k=3)).masks[0].predictions) == 3


def test_progress_is_reported_while_loading(bert_dir):
    stages = []
    load(bert_dir, progress=stages.append)
    assert stages[0].startswith("reading the config") and stages[-1] == "warming up"


def test_load_picks_the_device_itself_by_default_and_hands_its_core_option_on(bert_dir, monkeypatch):
    from bertui.engine import inference
    from bertui.engine.devices import resolve_device

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
    request = fill_request(text)
    assert engine.analyze(request).masks[0].predictions == again.analyze(request).masks[0].predictions


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


# -- every message in full: what went wrong and what to do ------------------------------------------
def test_each_folder_check_says_what_is_wrong_and_what_to_do(tmp_path, bert_dir):
    (tmp_path / "model.txt").write_text("hi")
    assert refusal(tmp_path / "model.txt") == (
        f"{tmp_path / 'model.txt'} is a file, not a model folder: pass the folder that holds config.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "model.safetensors").write_text(LFS_TEXT)  # the config is checked first
    assert refusal(empty) == (
        f"{empty} has no config.json, so it is not a Hugging Face model folder: save one with "
        "save_pretrained(), or pass a hub id such as bert-base-uncased")
    (empty / "model.safetensors").unlink()
    shutil.copy(bert_dir / "config.json", empty)
    assert refusal(empty) == (
        f"{empty} has a config.json but no weights (model.safetensors or pytorch_model.bin): copy the "
        "weights in, or save the model with save_pretrained()")
    assert refusal(tmp_path / "nope") == (
        f"no model folder at {tmp_path / 'nope'}: check the path, or pass a hub id such as "
        "bert-base-uncased, or --model demo")


LFS_TEXT = ("version https://git-lfs.github.com/spec/v1\n"
            "oid sha256:68d45e234eb4a928074dfd868cead0219ab85354cc53d20e772753c6bb9169d3\nsize 440449768\n")


def test_two_lfs_pointers_are_named_together(tmp_path, bert_dir):
    folder = tmp_path / "clone"
    shutil.copytree(bert_dir, folder)
    (folder / "model.safetensors").write_text(LFS_TEXT)
    (folder / "pytorch_model.bin").write_text(LFS_TEXT)
    assert refusal(folder) == (
        f"{folder} was cloned without git-lfs: model.safetensors, pytorch_model.bin are Git LFS pointer "
        "files (a few lines of text naming the real file, not its contents). "
        "Run `git lfs install && git lfs pull` in that folder, or download the files again")


def test_an_lfs_pointer_is_a_small_file_that_starts_with_the_spec_line(tmp_path):
    from bertui.engine.loading import LFS_POINTER, _is_lfs_pointer

    def pointer(name: str, size: int) -> Path:
        path = tmp_path / name
        path.write_bytes(LFS_POINTER + b"x" * (size - len(LFS_POINTER)))
        return path

    assert _is_lfs_pointer(pointer("small", 130)) and _is_lfs_pointer(pointer("limit", 1024))
    assert not _is_lfs_pointer(pointer("over", 1025)) and not _is_lfs_pointer(pointer("big", 5000))
    (tmp_path / "text").write_bytes(b"version 2 of something else")
    assert not _is_lfs_pointer(tmp_path / "text")
    assert not _is_lfs_pointer(tmp_path) and not _is_lfs_pointer(tmp_path / "absent")

    class Unreadable(type(tmp_path)):
        def open(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))

    assert not _is_lfs_pointer(Unreadable(pointer("locked", 130)))


def test_what_looks_like_a_path(monkeypatch):
    from bertui.engine import loading

    for spec in ("/model", "./model", "../model", "~/model", "a/b/c"):
        assert loading._looks_like_path(spec), spec
    for spec in ("bert-base-uncased", "google-bert/bert-base-uncased", "models\\bert"):
        assert not loading._looks_like_path(spec), spec
    monkeypatch.setattr(loading.os, "sep", "\\")  # as on Windows
    assert loading._looks_like_path("models\\bert") and not loading._looks_like_path("bert-base-uncased")


def test_a_folder_under_the_home_directory(monkeypatch, bert_dir):
    from bertui.engine.loading import load_model

    monkeypatch.setenv("HOME", str(bert_dir.parent))
    loaded = load_model(f"  ~/{bert_dir.name} ", device="cpu")
    assert loaded.source == str(bert_dir) and loaded.is_demo  # the tiny BERT is built by the demo recipe


def test_an_empty_spec(bert_dir):
    from bertui.engine.loading import load_model

    with pytest.raises(ModelLoadError) as caught:
        load_model("  ", device="cpu")
    assert str(caught.value) == "no model given: pass a hub id (bert-base-uncased), a folder, or demo"


def test_encoder_without_mlm_head_names_the_spec_and_a_missing_weight(tmp_path):
    folder = tiny_models.build_bert_encoder_only(tmp_path / "enc")
    assert refusal(folder) == (
        f"{str(folder)!r} has no masked-LM head (missing weights such as cls.predictions.bias): it looks "
        "like a bare encoder or a fine-tuned classifier. bertui needs a masked-LM checkpoint, e.g. "
        "bert-base-uncased, distilbert-base-uncased or roberta-base")


def test_missing_weights_are_sorted_into_head_encoder_and_next_sentence():
    from types import SimpleNamespace

    from bertui.engine.loading import _classify_missing

    bert = SimpleNamespace(base_model_prefix="bert")
    nsp = {"cls.seq_relationship.weight", "cls.seq_relationship.bias", "bert.pooler.dense.weight"}
    assert _classify_missing(bert, set(nsp), "m") == tuple(sorted(nsp))
    with pytest.raises(ModelLoadError) as caught:
        _classify_missing(bert, nsp | {"bert.encoder.layer.0.output.dense.weight",
                                       "bert.embeddings.LayerNorm.weight"}, "m")
    assert str(caught.value) == ("'m' does not match its config: 2 encoder weights are missing "
                                 "(e.g. bert.embeddings.LayerNorm.weight); the checkpoint is broken or "
                                 "belongs to another model")
    with pytest.raises(ModelLoadError) as caught:
        _classify_missing(bert, {"cls.predictions.transform.dense.weight", "cls.predictions.bias",
                                 "bert.embeddings.LayerNorm.weight"}, "m")
    assert str(caught.value).startswith("'m' has no masked-LM head (missing weights such as "
                                        "cls.predictions.bias): it looks like")


def test_tokenizers_that_cannot_serve_fill_mask():
    from types import SimpleNamespace

    from bertui.engine.loading import _fast_tokenizer

    model = SimpleNamespace(config=SimpleNamespace(vocab_size=10))
    slow = ("'m' has only a slow (Python) tokenizer; bertui needs a fast one for character offsets: "
            "add a tokenizer.json (tokenizer.save_pretrained does)")
    for tokenizer in (SimpleNamespace(is_fast=False, mask_token_id=4), SimpleNamespace(mask_token_id=4)):
        with pytest.raises(ModelLoadError) as caught:
            _fast_tokenizer("m", tokenizer, model)
        assert str(caught.value) == slow
    with pytest.raises(ModelLoadError) as caught:
        _fast_tokenizer("m", SimpleNamespace(is_fast=True, mask_token_id=None), model)
    assert str(caught.value) == "'m''s tokenizer has no mask token, so nothing can be predicted"


# -- devices and dtypes -----------------------------------------------------------------------------
def test_auto_picks_cuda_then_mps_then_cpu(monkeypatch):
    import torch

    from bertui.engine.devices import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps") == resolve_device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_explicit_devices_are_checked_against_what_this_machine_has(monkeypatch):
    import torch

    from bertui.engine.devices import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("cuda") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    assert resolve_device("cpu:0") == torch.device("cpu:0")
    expected = {"cuda:2": "device 'cuda:2' asked for, but only 2 GPU(s) exist",
                "mps": "device 'mps' asked for, but MPS is not available: use --device cpu or auto",
                "meta": "unsupported device 'meta': use auto, cpu, cuda, cuda:N or mps",
                "tpu": "unknown device 'tpu': use auto, cpu, cuda, cuda:N or mps"}
    for name, message in expected.items():
        with pytest.raises(ModelLoadError) as caught:
            resolve_device(name)
        assert str(caught.value) == message
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelLoadError) as caught:
        resolve_device("cuda:0")
    assert str(caught.value) == (f"device 'cuda:0' asked for, but this torch sees no CUDA GPU "
                                 f"(torch {torch.__version__}): use --device cpu or auto")


def test_unknown_dtype_lists_the_known_ones():
    from bertui.engine.devices import resolve_dtype

    with pytest.raises(ModelLoadError) as caught:
        resolve_dtype("float8")
    assert str(caught.value) == "unknown dtype 'float8': use one of float32, float16, bfloat16"


def test_load_model_defaults_to_the_best_device_in_float32(bert_dir, roberta_dir):
    import time

    import torch

    from bertui.engine.devices import resolve_device
    from bertui.engine.loading import load_model

    before = time.perf_counter()
    loaded = load_model(str(bert_dir))
    took = time.perf_counter() - before
    assert (loaded.device, loaded.dtype) == (resolve_device("auto"), torch.float32)
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
    assert 0 < loaded.seconds <= took  # the time the load took, not a clock reading
    assert loaded.is_demo and not load_model(str(roberta_dir), device="cpu").is_demo


def test_the_model_is_placed_on_the_device_in_the_dtype_asked(bert_dir, monkeypatch):
    import torch

    from bertui.engine import loading

    loaded = loading.load_model(str(bert_dir), device="cpu", dtype="bfloat16")
    assert {p.dtype for p in loaded.model.parameters()} == {torch.bfloat16}
    monkeypatch.setattr(loading, "resolve_device", lambda name: torch.device("meta"))
    loaded = loading.load_model(str(bert_dir), device="cpu")
    assert {p.device.type for p in loaded.model.parameters()} == {"meta"}


def test_a_model_that_does_not_fit_on_the_device(bert_dir, monkeypatch):
    from transformers import BertForPreTraining

    from bertui.engine import loading

    class TooBig(BertForPreTraining):
        def to(self, *args, **kwargs):
            raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB\nGPU 0 has 8 GiB in all")

    monkeypatch.setattr(loading, "_model_class", lambda config: TooBig)
    with pytest.raises(ModelLoadError) as caught:
        loading.load_model(str(bert_dir), device="cpu", dtype="float16")
    assert str(caught.value) == (f"cannot place {str(bert_dir)!r} on cpu as float16: "
                                 "CUDA out of memory. Tried to allocate 20.00 MiB")


# -- the longest text a model takes -----------------------------------------------------------------
@pytest.mark.parametrize(("model_type", "positions", "pad", "tokenizer_max", "expected"), [
    ("bert", 512, 0, 10**30, 512),  # a tokenizer that sets no limit
    ("bert", 512, 0, 128, 128),  # a tokenizer shorter than the positions
    ("roberta", 514, 1, 10**30, 512),  # positions start after the padding index
    ("xlm-roberta", 514, 1, 512, 512),
    ("camembert", 514, None, 10**30, 513),
    ("mpnet", 514, 1, 100, 100),
])
def test_max_length(model_type, positions, pad, tokenizer_max, expected):
    from types import SimpleNamespace

    from bertui.engine.loading import _max_length

    config = SimpleNamespace(model_type=model_type, max_position_embeddings=positions, pad_token_id=pad)
    assert _max_length(config, SimpleNamespace(model_max_length=tokenizer_max)) == expected


def test_max_length_without_positions_in_the_config():
    from types import SimpleNamespace

    from bertui.engine.loading import _max_length

    assert _max_length(SimpleNamespace(model_type="bert"), SimpleNamespace(model_max_length=256)) == 256


# -- tying the decoder to the embeddings ------------------------------------------------------------
def untied_copy(bert_dir, **config):
    import torch
    from transformers import BertForPreTraining

    model = BertForPreTraining.from_pretrained(bert_dir, **config)
    decoder = model.get_output_embeddings()
    decoder.weight = torch.nn.Parameter(decoder.weight.detach().clone())
    return model, decoder


def test_an_equal_decoder_is_tied_even_after_a_declaration_that_does_not_apply(bert_dir):
    from bertui.engine.loading import _tie_word_embeddings

    model, decoder = untied_copy(bert_dir)
    model._tied_weights_keys = {"cls.predictions.no_such.weight": "bert.embeddings.word_embeddings.weight",
                                **model._tied_weights_keys}
    _tie_word_embeddings(model)
    assert decoder.weight is model.get_input_embeddings().weight


def test_nothing_is_tied_when_the_config_says_untied_or_declares_nothing(bert_dir):
    import torch
    from transformers import PretrainedConfig

    from bertui.engine.loading import _tie_word_embeddings

    model, decoder = untied_copy(bert_dir, tie_word_embeddings=False)
    assert isinstance(model._tied_weights_keys, dict)
    _tie_word_embeddings(model)
    assert decoder.weight is not model.get_input_embeddings().weight

    class Plain(torch.nn.Module):  # remote code: a config without the flag, a model without declarations
        config = PretrainedConfig()
        _tied_weights_keys = {"a": "b"}  # noqa: RUF012 (transformers reads it as a class attribute)

    _tie_word_embeddings(Plain())
    del Plain._tied_weights_keys
    Plain.config = PretrainedConfig(tie_word_embeddings=True)
    _tie_word_embeddings(Plain())


# -- the hub: offline switch, reachability, cache, what is read from where --------------------------
@pytest.mark.parametrize(("value", "offline"), [
    ("1", True), ("true", True), ("TRUE", True), (" yes ", True), ("On", True), ("on", True), ("Yes", True),
    ("0", False), ("false", False), ("no", False), ("off", False), ("", False), (None, False)])
def test_hf_hub_offline_spellings(monkeypatch, value, offline):
    from bertui.engine.loading import _offline

    if value is None:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert _offline() is offline


@pytest.fixture
def connections(monkeypatch):
    """socket.create_connection that records each call and never leaves this machine."""
    import socket

    real, calls = socket.create_connection, []

    def connect(address, timeout=None):
        calls.append((address, timeout))
        if address[0] != "127.0.0.1":
            raise OSError("no network in the tests")
        return real(address, timeout=timeout)

    monkeypatch.setattr(socket, "create_connection", connect)
    return calls


def test_hub_reachable_asks_the_endpoint_in_hf_endpoint(monkeypatch, connections):
    import socket

    from bertui.engine.loading import _hub_reachable

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
        assert _hub_reachable() is True
    assert _hub_reachable(timeout=0.5) is False  # the port is closed now
    assert connections == [(("127.0.0.1", port), 3.0), (("127.0.0.1", port), 0.5)]


@pytest.mark.parametrize(("endpoint", "address"), [
    (None, ("huggingface.co", 443)), ("https://mirror.example", ("mirror.example", 443)),
    ("http://mirror.example", ("mirror.example", 80)),
    ("https://mirror.example:8443", ("mirror.example", 8443))])
def test_hub_reachable_derives_the_port_from_the_endpoint(monkeypatch, connections, endpoint, address):
    from bertui.engine.loading import _hub_reachable

    if endpoint is None:
        monkeypatch.delenv("HF_ENDPOINT", raising=False)
    else:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
    assert _hub_reachable() is False
    assert connections == [(address, 3.0)]


def offline_message(spec: str, cache, why: str) -> str:
    return (f"cannot load {spec!r}: it is not in the Hugging Face cache ({cache}) and {why}. "
            "Download it once on a connected machine (the cache is then used offline), "
            "or pass a local folder with --model PATH, or try --model demo "
            "(a tiny built-in model with random predictions).")


def test_the_offline_message_names_the_cache_in_use(monkeypatch, tmp_path):
    from bertui.engine.loading import _offline_message

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    assert _offline_message("m") == offline_message("m", tmp_path / "hub-cache", "HF_HUB_OFFLINE is set")
    monkeypatch.delenv("HF_HUB_CACHE")
    assert _offline_message("m") == offline_message("m", tmp_path / "home" / "hub", "HF_HUB_OFFLINE is set")
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert _offline_message("m") == offline_message("m", tmp_path / ".cache" / "huggingface" / "hub",
                                                    "the Hugging Face hub cannot be reached")


@pytest.fixture
def hub_cache(monkeypatch, tmp_path):
    from huggingface_hub import constants

    cache = tmp_path / "hub-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_the_hub_s_new_name_is_found_in_the_cache(hub_cache):
    from bertui.engine.loading import _cached_under_new_name

    (hub_cache / "models--google-bert--bert-base-uncased").mkdir()
    (hub_cache / "models--FacebookAI--acme" / "roberta").mkdir(parents=True)
    assert _cached_under_new_name("bert-base-uncased") == "google-bert/bert-base-uncased"
    assert _cached_under_new_name("roberta-base") is None
    assert _cached_under_new_name("acme/roberta") is None  # an organisation's model was never moved


EVERYTHING = ("config", "tokenizer", "model")


class FakeHub:
    """from_pretrained as the cache and the hub would answer it, every call recorded: a name in ``cached``
    is read with local_files_only, one in ``remote`` only without; both serve the tiny BERT's files."""

    def __init__(self, folder: Path, cached=None, remote=None):
        self.folder, self.cached, self.remote, self.calls = folder, cached or {}, remote or {}, []

    def reader(self, what: str, real):
        def from_pretrained(source, **options):
            self.calls.append((what, source, dict(options)))
            local_only = options.pop("local_files_only", False)
            remote = not local_only and what in self.remote.get(source, ())
            if what in self.cached.get(source, ()) or remote:
                return real(self.folder, **options)
            raise OSError(f"no {what} for {source} here")
        return type("Reader", (), {"from_pretrained": staticmethod(from_pretrained)})

    def install(self, monkeypatch):
        from transformers import AutoConfig, AutoTokenizer

        from bertui.engine import loading

        model_class = loading._model_class
        monkeypatch.setattr(loading, "AutoConfig", self.reader("config", AutoConfig.from_pretrained))
        monkeypatch.setattr(loading, "AutoTokenizer", self.reader("tokenizer", AutoTokenizer.from_pretrained))
        monkeypatch.setattr(loading, "_model_class",
                            lambda config: self.reader("model", model_class(config).from_pretrained))
        return self


def read_calls(source, *, local: bool, trust: bool = False, safetensors=None, config=True):
    common = {"trust_remote_code": trust, "local_files_only": local}
    download = {} if local else {"tqdm_class": mock.ANY}  # the weights' progress (tests/test_download.py)
    return [*([("config", source, common)] if config else []), ("tokenizer", source, common),
            ("model", source, {"output_loading_info": True, "use_safetensors": safetensors, **common,
                               **download})]


@pytest.mark.parametrize("trust", [False, True])
def test_a_folder_is_read_locally_from_its_safetensors(monkeypatch, bert_dir, trust):
    from bertui.engine.loading import load_model

    hub = FakeHub(bert_dir, cached={str(bert_dir): EVERYTHING}).install(monkeypatch)
    stages = []
    options = {"trust_remote_code": True} if trust else {}
    loaded = load_model(str(bert_dir), device="cpu", progress=stages.append, **options)
    assert hub.calls == read_calls(str(bert_dir), local=True, trust=trust, safetensors=True)
    assert stages == [f"reading the config of {bert_dir}", "loading the tokenizer and weights",
                      "moving to cpu (float32)"]
    assert loaded.source == str(bert_dir)


def test_the_demo_is_built_then_read_as_a_folder(monkeypatch):
    from bertui.engine.demo import demo_folder
    from bertui.engine.loading import load_model

    folder = str(demo_folder())
    hub = FakeHub(Path(folder), cached={folder: EVERYTHING}).install(monkeypatch)
    stages = []
    loaded = load_model("demo", device="cpu", progress=stages.append)
    assert hub.calls == read_calls(folder, local=True, safetensors=True)
    assert stages == ["building the demo model", "reading the config of demo",
                      "loading the tokenizer and weights", "moving to cpu (float32)"]
    assert loaded.is_demo and loaded.source == folder


def test_a_folder_whose_tokenizer_cannot_be_read_is_not_downloaded(monkeypatch, bert_dir):
    from bertui.engine.loading import load_model

    hub = FakeHub(bert_dir, cached={str(bert_dir): ("config",)}).install(monkeypatch)
    with pytest.raises(ModelLoadError) as caught:
        load_model(str(bert_dir), device="cpu")
    assert str(caught.value) == f"cannot load {str(bert_dir)!r}: OSError: no tokenizer for {bert_dir} here"
    assert hub.calls == read_calls(str(bert_dir), local=True)[:2]


def test_a_cached_hub_id_is_read_offline(monkeypatch, bert_dir):
    from bertui.engine.loading import load_model

    hub = FakeHub(bert_dir, cached={"acme/tiny-bert": EVERYTHING}).install(monkeypatch)
    monkeypatch.setattr("bertui.engine.loading._hub_reachable", lambda: pytest.fail("no need to ask"))
    loaded = load_model("acme/tiny-bert", device="cpu")
    assert hub.calls == read_calls("acme/tiny-bert", local=True)
    assert loaded.source == "acme/tiny-bert" and not loaded.is_demo


def test_the_old_name_of_a_moved_model_reads_the_new_name_from_the_cache(monkeypatch, bert_dir, hub_cache):
    from bertui.engine.loading import load_model

    (hub_cache / "models--google-bert--bert-base-uncased").mkdir()
    new = "google-bert/bert-base-uncased"
    hub = FakeHub(bert_dir, cached={new: EVERYTHING}).install(monkeypatch)
    stages = []
    loaded = load_model("bert-base-uncased", device="cpu", progress=stages.append)
    old_name = ("config", "bert-base-uncased", {"trust_remote_code": False, "local_files_only": True})
    assert hub.calls == [old_name, *read_calls(new, local=True)]
    assert stages == ["reading the config of bert-base-uncased",
                      f"bert-base-uncased is not cached, but {new} (its name on the hub now) is: using it",
                      "loading the tokenizer and weights", "moving to cpu (float32)"]
    assert loaded.source == new


def test_an_uncached_hub_id_is_downloaded_when_the_hub_answers(monkeypatch, bert_dir, hub_cache):
    from bertui.engine.loading import load_model

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr("bertui.engine.loading._hub_reachable", lambda: True)
    hub = FakeHub(bert_dir, remote={"acme/tiny-bert": EVERYTHING}).install(monkeypatch)
    stages = []
    loaded = load_model("acme/tiny-bert", device="cpu", progress=stages.append, trust_remote_code=True)
    assert hub.calls == [("config", "acme/tiny-bert", {"trust_remote_code": True, "local_files_only": True}),
                         ("config", "acme/tiny-bert", {"trust_remote_code": True}),
                         *read_calls("acme/tiny-bert", local=False, trust=True, config=False)]
    assert stages == ["reading the config of acme/tiny-bert",
                      "downloading acme/tiny-bert from the Hugging Face hub",
                      "loading the tokenizer and weights", "moving to cpu (float32)"]
    assert loaded.source == "acme/tiny-bert"


def test_a_failed_download_is_not_tried_twice(monkeypatch, bert_dir, hub_cache):
    from bertui.engine.loading import load_model

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr("bertui.engine.loading._hub_reachable", lambda: True)
    hub = FakeHub(bert_dir, remote={"acme/tiny-bert": ("config",)}).install(monkeypatch)
    with pytest.raises(ModelLoadError) as caught:
        load_model("acme/tiny-bert", device="cpu")
    assert str(caught.value) == "cannot load 'acme/tiny-bert': OSError: no tokenizer for acme/tiny-bert here"
    assert [what for what, _, _ in hub.calls] == ["config", "config", "tokenizer"]


def test_a_cached_config_without_the_weights_downloads_the_rest(monkeypatch, bert_dir):
    from bertui.engine.loading import load_model

    hub = FakeHub(bert_dir, cached={"acme/tiny-bert": ("config",)},
                  remote={"acme/tiny-bert": EVERYTHING}).install(monkeypatch)
    stages = []
    load_model("acme/tiny-bert", device="cpu", progress=stages.append)
    assert hub.calls == [*read_calls("acme/tiny-bert", local=True)[:2],
                         *read_calls("acme/tiny-bert", local=False, config=False)]
    assert stages == ["reading the config of acme/tiny-bert", "loading the tokenizer and weights",
                      "downloading acme/tiny-bert from the Hugging Face hub", "moving to cpu (float32)"]


@pytest.mark.parametrize(("offline", "why"), [("1", "HF_HUB_OFFLINE is set"),
                                              ("0", "the Hugging Face hub cannot be reached")])
def test_an_uncached_hub_id_offline_says_what_to_do(monkeypatch, bert_dir, hub_cache, offline, why):
    from bertui.engine.loading import load_model

    monkeypatch.setenv("HF_HUB_OFFLINE", offline)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr("bertui.engine.loading._hub_reachable", lambda: False)
    hub = FakeHub(bert_dir, remote={"acme/tiny-bert": EVERYTHING}).install(monkeypatch)
    with pytest.raises(ModelLoadError) as caught:
        load_model("acme/tiny-bert", device="cpu")
    assert str(caught.value) == offline_message("acme/tiny-bert", hub_cache, why)
    assert len(hub.calls) == 1


def test_a_causal_lm_checkpoint_is_not_a_masked_lm(tmp_path, bert_dir):
    folder = tmp_path / "gpt2"
    shutil.copytree(bert_dir, folder)
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_layer": 1, "n_embd": 8,
                                                    "n_head": 2, "vocab_size": 30522}))
    assert refusal(folder) == (
        f"{str(folder)!r} is not a masked-language model transformers can load for fill-mask: Unrecognized "
        "configuration class <class 'transformers.models.gpt2.configuration_gpt2.GPT2Config'> for this kind "
        "of AutoModel: AutoModelForMaskedLM.")


@pytest.mark.parametrize(("error", "message"), [
    (ValueError("Unrecognized model in m.\nmore"),
     "'{spec}' is not a masked-language model transformers can load for fill-mask: Unrecognized model in m."),
    (ValueError("this architecture is Not Supported here\nmore"),
     "'{spec}' is not a masked-language model transformers can load for fill-mask: "
     "this architecture is Not Supported here"),
    (ValueError("a tensor of shape (3, 4) does not fit\nmore"),
     "cannot load '{spec}': a tensor of shape (3, 4) does not fit"),
    (RuntimeError("broken file\nmore"), "cannot load '{spec}': RuntimeError: broken file")])
def test_how_a_failed_read_is_reported(monkeypatch, bert_dir, error, message):
    from bertui.engine import loading

    def fail(*args, **kwargs):
        raise error

    failing = type("Failing", (), {"from_pretrained": fail})
    monkeypatch.setattr(loading, "_model_class", lambda config: failing)
    with pytest.raises(ModelLoadError) as caught:
        loading.load_model(str(bert_dir), device="cpu")
    assert str(caught.value) == message.format(spec=bert_dir)
