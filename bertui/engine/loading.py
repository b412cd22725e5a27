"""Turn a model spec (hub id, folder, or ``demo``) into a loaded model and tokenizer, or a clear error.

The real loading path is ``from_pretrained`` of a hub id or a folder. Safety: ``trust_remote_code``
is False unless the person asked for it (``--trust-remote-code``), safetensors are used whenever a
checkpoint has them (explicitly for a folder; transformers prefers them on the hub), and pickled
``.bin`` checkpoints go through ``torch.load(weights_only=True)``. The only network traffic is the
hub download of the model the person named, tried after the local cache; its weights report their
progress (``bertui.engine.download``) to the same ``progress`` callback as the stages do.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import torch
from transformers import (
    AutoConfig,
    AutoModelForMaskedLM,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)
from transformers.models.auto.modeling_auto import MODEL_FOR_PRETRAINING_MAPPING_NAMES

from bertui.defaults import DEFAULT_MODEL
from bertui.engine.demo import DEMO_SPEC, demo_folder, is_demo_folder
from bertui.engine.devices import resolve_device, resolve_dtype
from bertui.engine.download import Download, progress_bar
from bertui.errors import ModelLoadError, first_line

# Pretraining classes whose heads are BERT's: MLM (cls.predictions) + NSP (cls.seq_relationship).
NSP_PRETRAINING_CLASSES = {"BertForPreTraining", "ErnieForPreTraining", "MegatronBertForPreTraining"}
SAFETENSORS_FILES = ("model.safetensors", "model.safetensors.index.json")
WEIGHT_FILES = (*SAFETENSORS_FILES, "pytorch_model.bin", "pytorch_model.bin.index.json")
# Families whose position ids start after the padding index (RoBERTa counts from pad_token_id + 1).
OFFSET_POSITIONS = {"roberta", "xlm-roberta", "camembert", "mpnet"}

# Organisations the hub moved its first models under (bert-base-uncased is now google-bert/bert-base-uncased).
# The hub redirects the old name, but a cache filled under the new one is not found by the old one.
MOVED_TO_ORGS = ("google-bert", "distilbert", "FacebookAI", "albert")
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"

Progress = Callable[[str | Download], None]
"""Told each stage of a load in words, and a ``Download`` now and then while weights come from the hub."""


@dataclass
class Loaded:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerFast
    config: PretrainedConfig
    source: str
    is_demo: bool
    has_nsp_head: bool
    nsp_missing: tuple[str, ...]
    """Next-sentence weights the model has modules for but the checkpoint lacked (empty when loaded)."""
    device: torch.device
    dtype: torch.dtype
    max_length: int
    seconds: float


def _looks_like_path(spec: str) -> bool:
    return spec.startswith(("/", ".", "~")) or spec.count("/") > 1 or (os.sep != "/" and os.sep in spec)


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is a file, not a model folder: "
                             "pass the folder that holds config.json")
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"{folder} has no config.json, so it is not a Hugging Face model folder: "
                             "save one with save_pretrained(), or pass a hub id such as bert-base-uncased")
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        raise ModelLoadError(f"{folder} has a config.json but no weights (model.safetensors or "
                             "pytorch_model.bin): copy the weights in, "
                             "or save the model with save_pretrained()")
    pointers = sorted(path.name for path in folder.iterdir() if _is_lfs_pointer(path))
    if pointers:
        what = "is a Git LFS pointer file" if len(pointers) == 1 else "are Git LFS pointer files"
        raise ModelLoadError(
            f"{folder} was cloned without git-lfs: {', '.join(pointers)} {what} (a few lines of text "
            "naming the real file, not its contents). Run `git lfs install && git lfs pull` in that folder, "
            "or download the files again")


def _is_lfs_pointer(path: Path) -> bool:
    """A Git LFS pointer is a text file of about 130 bytes that starts with the spec's version line."""
    try:
        if not path.is_file() or path.stat().st_size > 1024:
            return False
        with path.open("rb") as handle:
            return handle.read(len(LFS_POINTER)) == LFS_POINTER
    except OSError:
        return False


def _cached_under_new_name(spec: str) -> str | None:
    """The hub's current name of ``spec`` (``google-bert/bert-base-uncased`` for ``bert-base-uncased``) when
    the cache holds it under that name."""
    if "/" in spec:
        return None
    from huggingface_hub import constants

    for org in MOVED_TO_ORGS:
        if (Path(constants.HF_HUB_CACHE) / f"models--{org}--{spec}").is_dir():
            return f"{org}/{spec}"
    return None


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP check of the hub endpoint, so that an offline machine fails in seconds, not minutes."""
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _offline_message(spec: str) -> str:
    cache = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME", os.path.expanduser("~/.cache/huggingface")), "hub")
    why = "HF_HUB_OFFLINE is set" if _offline() else "the Hugging Face hub cannot be reached"
    return (f"cannot load {spec!r}: it is not in the Hugging Face cache ({cache}) and {why}. "
            "Download it once on a connected machine (the cache is then used offline), "
            "or pass a local folder with --model PATH, or try --model demo "
            "(a tiny built-in model with random predictions).")


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _model_class(config: PretrainedConfig) -> Any:
    """BERT's pretraining class (MLM + NSP heads) for its families, else AutoModelForMaskedLM."""
    pretraining = MODEL_FOR_PRETRAINING_MAPPING_NAMES.get(config.model_type)
    if pretraining in NSP_PRETRAINING_CLASSES:
        import transformers

        return getattr(transformers, pretraining)
    return AutoModelForMaskedLM


def _classify_missing(model: PreTrainedModel, missing: set[str], spec: str) -> tuple[str, ...]:
    """Raise if the MLM head or encoder weights are missing; return the missing NSP weights."""
    prefix = model.base_model_prefix + "."
    nsp_missing = {k for k in missing if k.startswith("cls.seq_relationship.") or ".pooler." in k}
    rest = missing - nsp_missing
    head_missing = sorted(k for k in rest if not k.startswith(prefix))
    encoder_missing = sorted(k for k in rest if k.startswith(prefix))
    if head_missing:
        raise ModelLoadError(
            f"{spec!r} has no masked-LM head (missing weights such as {head_missing[0]}): it looks like a "
            "bare encoder or a fine-tuned classifier. bertui needs a masked-LM checkpoint, e.g. "
            "bert-base-uncased, distilbert-base-uncased or roberta-base")
    if encoder_missing:
        raise ModelLoadError(
            f"{spec!r} does not match its config: {len(encoder_missing)} encoder weights are missing "
            f"(e.g. {encoder_missing[0]}); the checkpoint is broken or belongs to another model")
    return tuple(sorted(nsp_missing))


def _tie_word_embeddings(model: torch.nn.Module) -> None:
    """Share one tensor between each pair the model declares tied (the MLM decoder and the input
    embeddings, the decoder's bias and the head's) when the checkpoint gave both the same values.

    transformers 5.0–5.3 loaded a .bin-only BERT (the decoder saved as a second name of the embedding
    storage) with both pairs untied: 133.5 M parameters instead of 110.1 M, the vocabulary matrix twice
    in memory. Tying here keeps every transformers 5 release right; a pair whose values really differ
    is left as the checkpoint has it.
    """
    tied = getattr(model, "_tied_weights_keys", None)
    if not getattr(model.config, "tie_word_embeddings", False) or not isinstance(tied, dict):
        return
    for target, source in tied.items():
        try:
            kept, copy = model.get_parameter(source), model.get_parameter(target)
        except AttributeError:  # a pattern, or a module this checkpoint's class does not have
            continue
        if kept is not copy and kept.shape == copy.shape and torch.equal(kept, copy):
            module, _, name = target.rpartition(".")
            setattr(model.get_submodule(module), name, kept)


def _max_length(config: PretrainedConfig, tokenizer: PreTrainedTokenizerFast) -> int:
    positions = getattr(config, "max_position_embeddings", None) or tokenizer.model_max_length
    if config.model_type in OFFSET_POSITIONS:
        positions -= (config.pad_token_id or 0) + 1
    return int(min(positions, tokenizer.model_max_length))


def _safetensors_only(source: str, local: bool) -> bool | None:
    """True for a folder that has safetensors: its pickled .bin, if any, is never opened. None (let
    transformers choose, safetensors first) for a hub id or a folder with only a .bin."""
    if local and any((Path(source) / name).is_file() for name in SAFETENSORS_FILES):
        return True
    return None


def _read(spec_or_folder: str, model_class: Any, local_only: bool, trust_remote_code: bool,
          use_safetensors: bool | None, say: Progress,
          ) -> tuple[PreTrainedTokenizerBase, PreTrainedModel, dict[str, Any]]:
    common = {"trust_remote_code": trust_remote_code, "local_files_only": local_only}
    tokenizer = AutoTokenizer.from_pretrained(spec_or_folder, **common)
    # The weights are the download that takes minutes: huggingface_hub reports their bytes through this bar.
    fetch = {} if local_only else {"tqdm_class": progress_bar(say)}
    model, info = model_class.from_pretrained(spec_or_folder, output_loading_info=True,
                                              use_safetensors=use_safetensors, **common, **fetch)
    return tokenizer, model, info


def load_model(spec: str = DEFAULT_MODEL, device: str = "auto", dtype: str = "float32",
               progress: Progress | None = None, *, trust_remote_code: bool = False) -> Loaded:
    """Load ``spec`` for inference on ``device`` in ``dtype``; raise ModelLoadError with a fix on failure.

    ``trust_remote_code`` lets a checkpoint run its own Python code: only ever from an explicit flag.
    The steps: where the checkpoint is, read it, check it can serve fill-mask, place it on the device.
    """
    say = progress or (lambda _stage: None)
    started = time.perf_counter()
    target_device = resolve_device(device)
    target_dtype = resolve_dtype(dtype)
    spec = spec.strip()
    if not spec:
        raise ModelLoadError("no model given: pass a hub id (bert-base-uncased), a folder, or demo")
    source, local = _locate(spec, say)
    read, model, info, source = _read_checkpoint(spec, source, local, say, trust_remote_code)
    tokenizer = _fast_tokenizer(spec, read, model)
    nsp_missing = _classify_missing(model, set(info.get("missing_keys", ())), spec)
    _tie_word_embeddings(model)
    has_nsp_head = hasattr(model, "cls") and hasattr(model.cls, "seq_relationship") and not nsp_missing
    say(f"moving to {target_device.type} ({dtype})")
    try:
        # transformers wraps .to with functools.wraps(nn.Module.to), which mypy reads as unbound
        model = model.to(device=target_device, dtype=target_dtype).eval()  # type: ignore[call-arg]
    except RuntimeError as error:  # out of memory, unsupported dtype on this device
        raise ModelLoadError(f"cannot place {spec!r} on {target_device} as {dtype}: "
                             f"{first_line(error)}") from None
    return Loaded(model=model, tokenizer=tokenizer, config=model.config, source=source,
                  is_demo=spec == DEMO_SPEC or is_demo_folder(Path(source)), has_nsp_head=has_nsp_head,
                  nsp_missing=nsp_missing, device=target_device, dtype=target_dtype,
                  max_length=_max_length(model.config, tokenizer),
                  seconds=time.perf_counter() - started)


def _locate(spec: str, say: Progress) -> tuple[str, bool]:
    """(what from_pretrained is given, whether it is a local folder); a local one is checked first."""
    if spec == DEMO_SPEC:
        say("building the demo model")
        source, local = str(demo_folder()), True
    else:
        path = Path(spec).expanduser()
        local = path.exists() or _looks_like_path(spec)
        if local and not path.exists():
            raise ModelLoadError(f"no model folder at {path}: check the path, or pass a hub id such as "
                                 "bert-base-uncased, or --model demo")
        source = str(path) if local else spec
    if local:
        _check_folder(Path(source))
    return source, local


def _read_checkpoint(spec: str, source: str, local: bool, say: Progress, trust_remote_code: bool,
                     ) -> tuple[PreTrainedTokenizerBase, PreTrainedModel, dict[str, Any], str]:
    """(tokenizer, model, loading info, where it was read: the hub's new name when only that is cached):
    from the cache when it is there, else from the hub if it can be reached; any failure becomes a
    ModelLoadError that says what went wrong."""
    say(f"reading the config of {spec}")
    try:
        try:
            config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code,
                                                local_files_only=True)
            cached = True
        except OSError:
            if local:
                raise
            moved = _cached_under_new_name(spec)
            if moved:
                say(f"{spec} is not cached, but {moved} (its name on the hub now) is: using it")
                source, cached = moved, True
                config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code,
                                                    local_files_only=True)
            else:
                cached = False
                if _offline() or not _hub_reachable():
                    raise ModelLoadError(_offline_message(spec)) from None
                say(f"downloading {spec} from the Hugging Face hub")
                config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
        model_class = _model_class(config)
        say("loading the tokenizer and weights")
        safetensors = _safetensors_only(source, local)
        try:
            return (*_read(source, model_class, cached, trust_remote_code, safetensors, say), source)
        except OSError:
            if local or not cached:
                raise
            say(f"downloading {spec} from the Hugging Face hub")  # config was cached, the rest was not
            return (*_read(source, model_class, False, trust_remote_code, safetensors, say), source)
    except ModelLoadError:
        raise
    except ValueError as error:
        if "Unrecognized" in str(error) or "not supported" in str(error).lower():
            raise ModelLoadError(f"{spec!r} is not a masked-language model transformers can load "
                                 f"for fill-mask: {first_line(error)}") from None
        raise ModelLoadError(f"cannot load {spec!r}: {first_line(error)}") from None
    except Exception as error:  # corrupt weights, unpicklable .bin, missing tokenizer files...
        raise ModelLoadError(f"cannot load {spec!r}: {type(error).__name__}: {first_line(error)}") from None


def _fast_tokenizer(spec: str, tokenizer: PreTrainedTokenizerBase,
                    model: PreTrainedModel) -> PreTrainedTokenizerFast:
    """``tokenizer`` if it is fast (for character offsets), has a mask token and fits this model's
    vocabulary; else ModelLoadError."""
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(f"{spec!r} has only a slow (Python) tokenizer; bertui needs a fast one for "
                             "character offsets: add a tokenizer.json (tokenizer.save_pretrained does)")
    if tokenizer.mask_token_id is None:
        raise ModelLoadError(f"{spec!r}'s tokenizer has no mask token, so nothing can be predicted")
    if len(tokenizer) > model.config.vocab_size:
        raise ModelLoadError(f"{spec!r}: the tokenizer has {len(tokenizer)} tokens but the model only "
                             f"{model.config.vocab_size}: the tokenizer belongs to another model")
    return cast(PreTrainedTokenizerFast, tokenizer)  # is_fast: a tokenizers backend, whatever its class
