"""The model every section measures: bert-base-uncased's size, vocabulary and tokenizer.

A real checkpoint in the shared models folder (``../shared/models/bert-base-uncased`` beside the repo,
config.json + safetensors) is used when present. Otherwise a random-initialised ``BertConfig()``
BertForPreTraining (bert-base-uncased's dimensions, so the same cost) is saved with the real tokenizer
into a temporary folder. Without even the tokenizer, the tiny built-in demo model stands in, with a warning.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
CHECKPOINT = "bert-base-uncased"
TOKENIZER = "bert-base-uncased-tokenizer"


@dataclass(frozen=True)
class BenchModel:
    folder: Path
    description: str


def _has_weights(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def prepare(shared: Path, scratch: Path) -> BenchModel:
    """The folder to load with ``Engine.load``; anything built goes under ``scratch``."""
    real = shared / CHECKPOINT
    if _has_weights(real):
        return BenchModel(real, f"{CHECKPOINT} (real checkpoint, {real})")
    tokenizer = shared / TOKENIZER
    if (tokenizer / "tokenizer.json").is_file():
        import torch
        from transformers import BertConfig, BertForPreTraining

        folder = scratch / "bert-base-random"
        torch.manual_seed(0)
        BertForPreTraining(BertConfig()).save_pretrained(folder)
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
            if (tokenizer / name).is_file():
                shutil.copy(tokenizer / name, folder / name)
        return BenchModel(folder, "random-initialised BertConfig() BertForPreTraining (bert-base-uncased "
                                  "dimensions, 110M parameters) + the real bert-base-uncased tokenizer")
    from bertui.engine.demo import demo_folder

    print(f"warning: no {tokenizer}: benchmarking the tiny demo model, whose figures say nothing about "
          "bert-base-uncased", file=sys.stderr)
    return BenchModel(Path(demo_folder()), "the built-in demo model (tiny; NOT bert-base size)")


def scratch_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="bertui-bench-")
