"""bertui: explore BERT-family models live in the terminal, or from Python::

    import bertui
    model = bertui.load("bert-base-uncased")
    model.fill("Soccer is a really fun [MASK].", top_k=5)

``__all__`` is the Python API (bertui/api/); everything else is internal. ``import bertui`` stays cheap:
the API is imported on first use, and torch only by ``load``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Filled", "Info", "Lensed", "Model", "Nearest", "Ranking", "Results", "Scored", "Tokens", "Why",
           "load"]

if TYPE_CHECKING:
    from bertui.api import Filled, Info, Lensed, Model, Nearest, Ranking, Results, Scored, Tokens, Why, load


def __getattr__(name: str) -> Any:
    # Imported by name, on first use: every module that reads ``bertui.__version__`` (the app's, the web
    # server's) imports this package, and must not depend on the API through it (import-linter's layers).
    if name in __all__:
        return getattr(importlib.import_module("bertui.api"), name)
    raise AttributeError(f"module 'bertui' has no attribute {name!r}")
