"""Checkpoints as the hub really has them: bert-base-uncased's model.safetensors (legacy LayerNorm.gamma/beta
names, no cls.predictions.decoder.weight), its 2019 non-zip pytorch_model.bin (decoder and embeddings one
storage), a clone without git-lfs, and a cache filled under the hub's new name google-bert/bert-base-uncased.
Every tensor is checked where it lands: a LayerNorm silently re-initialised to 1/0 fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from transformers import BertForPreTraining

from bertui.engine import ModelLoadError
from bertui.engine.inference import Engine
from tests.test_cli import BERTUI

DECODER = "cls.predictions.decoder.weight"
WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"


@pytest.fixture(scope="module")
def scrambled(bert_dir) -> dict[str, torch.Tensor]:
    """The tiny BERT's tensors, every one random (the demo recipe leaves LayerNorms at 1/0 and biases at 0,
    which a re-initialisation would reproduce unseen)."""
    model = BertForPreTraining.from_pretrained(bert_dir)
    generator = torch.Generator().manual_seed(41)
    with torch.no_grad():
        for parameter in model.parameters():  # the decoder is the embeddings' tensor: scrambled once
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1 + 0.5)
    state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    assert torch.equal(state[DECODER], state[WORD_EMBEDDINGS])
    return state


def legacy_name(name: str) -> str:
    return name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")


def checkpoint_folder(tmp_path: Path, bert_dir: Path) -> Path:
    folder = tmp_path / "bert-base-uncased"
    shutil.copytree(bert_dir, folder)
    for weights in ("model.safetensors", "pytorch_model.bin"):
        (folder / weights).unlink(missing_ok=True)
    return folder


def assert_every_tensor_landed(model: torch.nn.Module, expected: dict[str, torch.Tensor]) -> None:
    loaded = model.state_dict()
    assert set(loaded) == set(expected)
    wrong = [name for name in expected if not torch.equal(loaded[name], expected[name])]
    assert not wrong, f"tensors that did not land where they should: {wrong}"
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight


def test_legacy_names_without_the_decoder_in_safetensors(tmp_path, bert_dir, scrambled):
    folder = checkpoint_folder(tmp_path, bert_dir)
    written = {legacy_name(name): tensor for name, tensor in scrambled.items() if name != DECODER}
    assert sum(".gamma" in name for name in written) == sum(".beta" in name for name in written) >= 5
    save_file(written, folder / "model.safetensors", metadata={"format": "pt"})
    engine = Engine.load(str(folder), device="cpu")
    assert_every_tensor_landed(engine._model, scrambled)
    assert engine.info.has_nsp_head


def test_a_layer_norm_under_a_name_nobody_maps_is_refused_and_the_check_catches_it(tmp_path, bert_dir,
                                                                                   scrambled):
    """transformers re-initialises it to 1/0; bertui refuses the checkpoint, and the check above fails."""
    folder = checkpoint_folder(tmp_path, bert_dir)
    written = {name.replace("embeddings.LayerNorm.weight", "embeddings.LayerNorm.scale"): tensor
               for name, tensor in scrambled.items() if name != DECODER}
    save_file(written, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match=r"encoder weights are missing \(e.g. bert.embeddings.LayerNorm"):
        Engine.load(str(folder), device="cpu")
    reinitialised = BertForPreTraining.from_pretrained(folder)
    assert torch.equal(reinitialised.bert.embeddings.LayerNorm.weight, torch.ones(64))
    with pytest.raises(AssertionError, match=r"\['bert.embeddings.LayerNorm.weight'\]"):
        assert_every_tensor_landed(reinitialised, scrambled)


def test_a_2019_non_zip_bin_whose_decoder_shares_the_embeddings_storage(tmp_path, bert_dir, scrambled):
    folder = checkpoint_folder(tmp_path, bert_dir)
    written = {legacy_name(name): tensor for name, tensor in scrambled.items()}
    written[DECODER] = written[WORD_EMBEDDINGS]  # one storage under two names, as the 2019 file has it
    torch.save(written, folder / "pytorch_model.bin", _use_new_zipfile_serialization=False)
    assert (folder / "pytorch_model.bin").read_bytes()[:2] != b"PK"  # legacy format, not a zip
    engine = Engine.load(str(folder), device="cpu")
    assert_every_tensor_landed(engine._model, scrambled)
    tied = sum(p.numel() for p in BertForPreTraining.from_pretrained(bert_dir).parameters())
    assert engine.info.parameters == tied  # one vocabulary matrix, not two


def test_an_untied_decoder_equal_to_the_embeddings_is_tied_again(bert_dir):
    """What transformers 5.0–5.3 did to a .bin-only BERT (two copies of the vocabulary matrix), mended."""
    from bertui.engine.loading import _tie_word_embeddings

    model = BertForPreTraining.from_pretrained(bert_dir)
    before = sum(p.numel() for p in model.parameters())
    decoder = model.get_output_embeddings()
    decoder.weight = torch.nn.Parameter(decoder.weight.detach().clone())
    decoder.bias = torch.nn.Parameter(decoder.bias.detach().clone())
    untied = before + decoder.weight.numel() + decoder.bias.numel()
    assert sum(p.numel() for p in model.parameters()) == untied
    _tie_word_embeddings(model)
    assert decoder.weight is model.get_input_embeddings().weight
    assert decoder.bias is model.cls.predictions.bias
    assert sum(p.numel() for p in model.parameters()) == before


def test_a_decoder_that_differs_from_the_embeddings_is_left_as_it_is(bert_dir):
    from bertui.engine.loading import _tie_word_embeddings

    model = BertForPreTraining.from_pretrained(bert_dir)
    decoder = model.get_output_embeddings()
    decoder.weight = torch.nn.Parameter(decoder.weight.detach() + 1.0)
    _tie_word_embeddings(model)
    assert decoder.weight is not model.get_input_embeddings().weight


def test_a_clone_without_git_lfs_says_so(tmp_path, bert_dir):
    folder = checkpoint_folder(tmp_path, bert_dir)
    (folder / "model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:68d45e234eb4a928074dfd868cead0219ab85354cc53d20e772753c6bb9169d3\nsize 440449768\n")
    with pytest.raises(ModelLoadError) as caught:
        Engine.load(str(folder), device="cpu")
    message = str(caught.value)
    assert "cloned without git-lfs: model.safetensors is a Git LFS pointer file" in message
    assert "git lfs pull" in message and "SafetensorError" not in message


def fake_hub_cache(cache: Path, repo: str, files: Path) -> None:
    """The layout huggingface_hub writes: refs/main names a snapshot folder holding the files."""
    entry = cache / f"models--{repo.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text(commit)
    shutil.copytree(files, entry / "snapshots" / commit)


def test_offline_the_hub_s_new_name_in_the_cache_is_used(tmp_path, bert_dir):
    cache = tmp_path / "hub"
    fake_hub_cache(cache, "google-bert/bert-base-uncased", bert_dir)
    env = dict(os.environ, HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1")
    done = subprocess.run([str(BERTUI), "info", "--model", "bert-base-uncased", "--device", "cpu"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["spec"], info["name_or_path"]) == ("bert-base-uncased", "google-bert/bert-base-uncased")
    assert info["has_nsp_head"]


def test_offline_with_neither_name_cached_the_message_still_says_what_to_do(tmp_path):
    env = dict(os.environ, HF_HUB_CACHE=str(tmp_path / "empty"), HF_HUB_OFFLINE="1")
    done = subprocess.run([str(BERTUI), "info", "--model", "bert-base-uncased", "--device", "cpu"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 1 and "not in the Hugging Face cache" in done.stderr
    assert "Traceback" not in done.stderr
