"""What the app is started with: one dataclass instead of the same keywords in three signatures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bertui.defaults import DEFAULT_MODEL, DEFAULT_TOP_K
from bertui.model.loop import EngineLoader, load_engine


@dataclass(frozen=True)
class Options:
    model: str = DEFAULT_MODEL
    device: str = "auto"
    dtype: str = "float32"
    top_k: int = DEFAULT_TOP_K
    engine_loader: EngineLoader = load_engine
    model_process: bool | None = None
    """Run each model in a child process (``backends.process``) or in a thread of the app
    (``backends.thread``); None: a process whenever the loader can be sent to one (a module-level
    function or a partial of one, as the command line's is), a thread for a loader built in this process
    (tests' fakes)."""
    trust_remote_code: bool = False
    """Passed to the loader (``build_app`` binds it), never on by default."""
    text_a: str = ""
    text_b: str = ""
    candidates: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    """Words scored at every mask."""
    pair: bool = False
    compare: str | None = None
    """A second model (B) answering every request beside the first."""
    session_file: Path | None = None
    """Where the session is saved as it changes (None: nowhere)."""
    saved_model: str | None = None
    """The model the session names until another loads."""
    notice: str | None = None
    """A sentence to show once the window is up."""
