"""Loaders a model process can be sent (module-level, bound with functools.partial): the tiny BERT of a
folder, wrapped so that some texts make the process die as torch would (a segfault, an exit)."""

from __future__ import annotations

import os
import signal

from bertui.errors import InputError, ModelLoadError

SEGFAULT = "segfault"
EXIT = "exit now"
BAD_INPUT = "bad input"


class Fragile:
    """The engine, except for a few texts: ``SEGFAULT`` and ``EXIT`` end the process, ``BAD_INPUT`` fails."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.info = engine.info
        self.mask_token = engine.mask_token

    def go_live(self, should_stop) -> None:
        self.engine.go_live(should_stop)

    def analyze(self, request, **options):
        if SEGFAULT in request.text_a:
            os.kill(os.getpid(), signal.SIGSEGV)
        if EXIT in request.text_a:
            os._exit(3)
        if BAD_INPUT in request.text_a:
            raise InputError("no mask to fill")
        return self.engine.analyze(request, **options)

    def rank(self, first, candidates):
        return self.engine.rank(first, candidates)


def load_fragile(folders: dict[str, str], spec: str, *, device: str, dtype: str, progress):
    """``folders[spec]`` loaded on the CPU as ``Fragile``; any other spec fails as an unknown model does."""
    from bertui.engine.inference import Engine

    if spec not in folders:
        raise ModelLoadError(f"cannot load {spec!r}: no such model here.")
    return Fragile(Engine.load(folders[spec], device="cpu", dtype=dtype, progress=progress))
