"""The session: what a person typed and chose, kept between launches so that nothing is lost.

Plain data and file I/O only (no Textual, no torch): the app calls ``save`` (debounced, and on exit)
and the command line calls ``restore`` before the app starts. A save writes a temporary file in the
same folder, flushes it to disk and renames it over the old one, so a crash or a full disk mid-write
leaves the previous session whole. A file that cannot be read back is renamed aside, never deleted,
and the caller is told so it can say so.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from bertui.defaults import DEFAULT_TOP_K
from bertui.errors import first_line

VERSION = 1
FILE_NAME = "session.json"


@dataclass(frozen=True)
class Session:
    text_a: str = ""
    text_b: str = ""
    """Kept even when pair mode is off: the person typed it."""
    pair_mode: bool = False
    candidates: tuple[str, ...] = ()
    top_k: int = DEFAULT_TOP_K
    model: str | None = None
    """The last model that loaded (a failed one is not worth coming back to)."""
    targets: tuple[str, ...] = ()
    """Words scored at every mask (the predictions pane's targets field)."""

    def to_json(self) -> dict:
        return {"version": VERSION, "text_a": self.text_a, "text_b": self.text_b, "pair_mode": self.pair_mode,
                "candidates": list(self.candidates), "top_k": self.top_k, "model": self.model,
                "targets": list(self.targets)}

    @classmethod
    def from_json(cls, data: object) -> Session:
        """The session in ``data``; ValueError naming the first field that is not what it should be."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("version") != VERSION:
            raise ValueError(f"unknown version {data.get('version')!r} (this bertui writes {VERSION})")
        expected: dict[str, type | tuple[type, ...]] = {
            "text_a": str, "text_b": str, "pair_mode": bool, "candidates": list, "top_k": int,
            "model": (str, type(None))}
        for name, kind in expected.items():
            value = data.get(name)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"{name} is {type(value).__name__}, not what a session holds")
        if not all(isinstance(candidate, str) for candidate in data["candidates"]):
            raise ValueError("candidates must all be strings")
        targets = data.get("targets", [])  # files from before targets have none
        if not isinstance(targets, list) or not all(isinstance(target, str) for target in targets):
            raise ValueError("targets must be a list of strings")
        return cls(text_a=data["text_a"], text_b=data["text_b"], pair_mode=data["pair_mode"],
                   candidates=tuple(data["candidates"]), top_k=data["top_k"], model=data["model"],
                   targets=tuple(targets))


@dataclass(frozen=True)
class Restored:
    """What ``restore`` found: a session, or none; ``problem`` is a sentence for the person, if any."""

    session: Session | None = None
    problem: str | None = None
    set_aside: Path | None = field(default=None)


def default_path() -> Path:
    """session.json in the user's state folder (~/.local/state/bertui on Linux)."""
    return Path(platformdirs.user_state_dir("bertui", appauthor=False)) / FILE_NAME


def restore(path: Path) -> Restored:
    """Read the session at ``path``. No file is no session; a broken one is renamed aside and reported."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Restored()
    except OSError as error:
        return Restored(problem=f"cannot read the saved session {path}: {error.strerror or error}; "
                                "starting afresh, and the file is left as it is")
    try:
        return Restored(session=Session.from_json(json.loads(raw.decode("utf-8"))))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        why = first_line(error)
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(path, aside)
        except OSError as move_error:
            return Restored(problem=f"the saved session {path} is unreadable ({why}) and could not be moved "
                                    f"aside ({move_error.strerror or move_error}); starting afresh")
        return Restored(problem=f"the saved session was unreadable ({why}); it is kept as {aside} and "
                                "this session starts afresh", set_aside=aside)


def save(path: Path, session: Session) -> None:
    """Write ``session`` to ``path`` atomically; OSError if it cannot be written (the old file stays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # ASCII with \u escapes: any text round-trips, a lone surrogate from a pasted byte included.
    data = json.dumps(session.to_json(), indent=1).encode("ascii")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX); elsewhere it is a no-op."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
