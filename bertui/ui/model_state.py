"""Which model answers the main screen: loading, ready, failed, crashed, restarted.

Plain Python, no Textual, like the request ledger: the main screen tells it what its backends said and
asks it what to show; tests drive it without a pilot (tests/ui/test_model_state.py).

One model answers at a time (``spec`` and ``info``); another may be loading to replace it (``loading``).
A load that fails while a model answers leaves that model in use; one that fails with none in use is
remembered (``failure``) for the model card. A backend whose process ended by itself is ``stopped``
until ``restart``: the screen's own backend, and model B's when there is one.
"""

from __future__ import annotations

from typing import Protocol

from bertui.engine.results import ModelInfo

DEFAULT_MASK = "[MASK]"


class Restartable(Protocol):
    """A backend whose process can end by itself, and be started again."""

    def restart(self) -> None: ...


class ModelState:
    def __init__(self, spec: str, backend: object, saved: str | None = None) -> None:
        """``spec``: the model to load first; ``backend``: the screen's own (B's is any other);
        ``saved``: the model the saved session names."""
        self.spec = spec
        """The model that answers (or, before any has loaded, the one being loaded)."""
        self.backend = backend
        self.info: ModelInfo | None = None
        """The answering model's description; None until one has loaded."""
        self.loading: str | None = None
        """The model being loaded, if any."""
        self.failure: tuple[str, str] | None = None
        """(spec, error) of a load that failed with no model in use."""
        self.session_model = saved
        """The model the session names: the saved one until another loads."""
        self.stopped: dict[Restartable, str] = {}
        """Backends whose process ended by itself, and the model each ran, until restarted."""

    @property
    def mask_token(self) -> str:
        return DEFAULT_MASK if self.info is None else self.info.mask_token

    @property
    def answering(self) -> bool:
        """Whether a model is loaded, none is loading, and the screen's backend is running."""
        return self.info is not None and self.loading is None and self.backend not in self.stopped

    @property
    def wanted(self) -> str:
        """The model being loaded, else the one in use: what a model switch starts from."""
        return self.loading or self.spec

    def load(self, spec: str) -> None:
        self.loading = spec

    def is_loading(self, spec: str) -> bool:
        return spec == self.loading

    def ready(self, spec: str, info: ModelInfo) -> bool:
        """``spec`` loaded and answers from now on; whether it was the one being loaded."""
        self.spec, self.info, self.failure, self.session_model = spec, info, None, spec
        if spec != self.loading:
            return False
        self.loading = None
        return True

    def failed(self, spec: str, error: str) -> bool:
        """Loading ``spec`` failed; whether the model in use still answers (a switch that failed)."""
        if spec == self.loading:
            self.loading = None
        if self.info is not None:
            return True
        self.failure = (spec, error)
        return False

    def crashed(self, backend: Restartable, spec: str | None) -> str:
        """``backend``'s process ended while running ``spec`` (None: unknown); the model it ran."""
        if backend is self.backend:
            spec = spec or self.spec
            self.loading = None
        self.stopped[backend] = spec or ""
        return self.stopped[backend]

    def restart(self) -> list[Restartable]:
        """The stopped backends, to start again; the screen's own is loading its model from now on."""
        stopped, self.stopped = self.stopped, {}
        if self.backend in stopped:
            self.loading = stopped[self.backend]
        return list(stopped)
