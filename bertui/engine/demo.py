"""The built-in ``demo`` model: a tiny BERT with random weights that loads with no network.

It exists so that the app, the headless commands and the tests run anywhere. Its weights come from
a fixed seed through NumPy's legacy generator (stable across NumPy and torch versions), so its
"predictions" are the same everywhere — and mean nothing. Its tokenizer is bert-base-uncased's own
WordPiece (``vocab/bert-base-uncased.txt``, 30,522 entries, Apache-2.0, provenance in ``vocab/NOTICE``),
so the tokens, ids and segments it shows are the real ones. The vocabulary rows dominate its size, so
the hidden size is small (64): about 2.1 M parameters, built once into the cache and loaded in well
under a second.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np

DEMO_SPEC = "demo"
DEMO_SEED = 1234
# Bump when the recipe below changes, so cached copies are rebuilt.
DEMO_REVISION = 2
VOCAB_FILE = "vocab/bert-base-uncased.txt"
MAX_POSITIONS = 512  # bert-base-uncased's, so that text is cut where the real model would cut it
DEMO_MARKER = "bertui-demo.json"


def build_demo_model(folder: Path, *, seed: int = DEMO_SEED, with_nsp_head: bool = True,
                     max_positions: int = MAX_POSITIONS) -> Path:
    """Write the demo model (config, safetensors weights, WordPiece tokenizer) into ``folder``.

    ``with_nsp_head=False`` writes a masked-LM-only checkpoint (``BertForMaskedLM``), as many
    fine-tuned or distilled BERTs are; ``max_positions`` shortens it (the tests' tiny BERTs take 128).
    """
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertForPreTraining, BertTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    words = files("bertui.engine").joinpath(VOCAB_FILE).read_text("utf-8").rstrip("\n").split("\n")
    tokenizer = BertTokenizer(vocab={word: i for i, word in enumerate(words)}, do_lower_case=True,
                              model_max_length=max_positions)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=max_positions, type_vocab_size=2)
    model = (BertForPreTraining if with_nsp_head else BertForMaskedLM)(config)  # saved as its architecture
    rng = np.random.RandomState(seed)
    state = model.state_dict()
    with torch.no_grad():
        for name in sorted(state):
            tensor = state[name]
            if name.endswith("LayerNorm.weight"):
                values = np.ones(tensor.shape)
            elif name.endswith("bias"):  # transformers 5 keeps no integer buffers in the state dict
                values = np.zeros(tensor.shape)
            else:
                values = rng.normal(0.0, 0.2, size=tensor.shape)
            tensor.copy_(torch.from_numpy(values.astype(np.float32)).to(tensor.dtype))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / DEMO_MARKER).write_text(
        f'{{"revision": {DEMO_REVISION}, "seed": {seed}, "random_weights": true}}\n', "utf-8"
    )
    return folder


def is_demo_folder(folder: Path) -> bool:
    return (Path(folder) / DEMO_MARKER).is_file()


def demo_folder() -> Path:
    """The cached demo model, built on first use in the user's cache directory."""
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("bertui")) / f"demo-r{DEMO_REVISION}"
    if not is_demo_folder(folder):
        _build_atomically(folder)
    return folder


def _build_atomically(folder: Path) -> None:
    import shutil
    import tempfile

    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".demo-", dir=folder.parent))
    try:
        build_demo_model(scratch)
        shutil.rmtree(folder, ignore_errors=True)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
