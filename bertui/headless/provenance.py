"""Where a result came from: library versions, the model (spec, folder, hub revision, sha256 of its weight
files), device and dtype, as the ``provenance`` block of every JSON output, stream header and app export.

No torch import: versions come from the installed packages' metadata. Hashing a 420 MB checkpoint takes
about a second, so digests are cached in the user cache folder, keyed by the file's real path, size and
modification time: a changed file is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import platformdirs

from bertui import __version__
from bertui.engine.results import ModelInfo

LIBRARIES = ("torch", "transformers", "tokenizers")
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "tf_model*.h5", "flax_model*.msgpack")
CACHE_NAME = "weights-sha256.json"


def provenance(info: ModelInfo) -> dict:
    """The provenance block of a model described by ``info`` (``Engine.info``)."""
    folder = model_folder(info.name_or_path)
    return {
        "bertui": __version__,
        **{name: _version(name) for name in LIBRARIES},
        "model": info.spec,
        "path": None if folder is None else str(folder),
        "revision": None if folder is None else hub_revision(folder),
        "weights": {} if folder is None else weights_sha256(folder),
        "device": info.device,
        "dtype": info.dtype,
    }


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def model_folder(source: str) -> Path | None:
    """The folder the model was read from: ``source`` itself, or a hub id's snapshot in the local cache."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path.resolve()
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(source, "config.json")
    except Exception:  # not a valid repo id, no cache: nothing to say
        return None
    return Path(found).parent if isinstance(found, str) else None


def hub_revision(folder: Path) -> str | None:
    """The commit hash of a hub cache snapshot (``models--org--name/snapshots/<hash>/``), else None."""
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--"):
        return folder.name
    return None


def weights_sha256(folder: Path, cache_dir: Path | None = None) -> dict[str, str]:
    """sha256 of each weight file in ``folder``, by file name; cached by real path, size and mtime."""
    files = sorted({path for pattern in WEIGHT_PATTERNS for path in folder.glob(pattern) if path.is_file()})
    if not files:
        return {}
    cache_file = (cache_dir or Path(platformdirs.user_cache_dir("bertui", appauthor=False))) / CACHE_NAME
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    digests, changed = {}, False
    for path in files:
        real = path.resolve()  # a hub snapshot links to its blob
        stat = real.stat()
        key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
        if not isinstance(cache.get(key), str):
            cache[key] = _sha256(real)
            changed = True
        digests[path.name] = cache[key]
    if changed:
        _write_cache(cache_file, cache)
    return digests


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_cache(cache_file: Path, cache: dict) -> None:
    """Replace the cache file whole (a partial write never leaves half a file); a read-only cache is fine."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.part")
        partial.write_text(json.dumps(cache, indent=1), encoding="utf-8")
        os.replace(partial, cache_file)
    except OSError:
        pass


def differing(recorded: dict, current: dict) -> dict[str, list]:
    """Provenance fields whose values differ: name → [recorded, current]."""
    return {key: [recorded.get(key), current.get(key)] for key in sorted(set(recorded) | set(current))
            if recorded.get(key) != current.get(key)}
