"""bertui's terminal app: type a sentence, watch its tokens, mask predictions and next-sentence ranking.

The app is thin: it holds the options, makes the model backends (``connect``), keeps the session file,
and makes the main screen (``screens/main/``), which owns the panes and their handlers, its default
screen. The window paints first; the model loads afterwards in its backend. The session
(bertui.session) is saved a little after each edit, and once more on exit. Its stylesheet, bertui.tcss,
holds the layout and breakpoints; each widget styles itself, with the colours named here once.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.timer import Timer

from bertui import session
from bertui.defaults import DEFAULT_MODEL
from bertui.ui import actions, paste
from bertui.ui.backends.process import ModelClient
from bertui.ui.backends.protocol import ModelBackend, Target
from bertui.ui.backends.thread import ModelService
from bertui.ui.options import Options
from bertui.ui.screens.main import MainScreen
from bertui.ui.text import visible

SESSION_SAVE_SECONDS = 0.5  # typing saves at most twice a second; quitting saves at once
EXAMPLE_TEXT = "The capital of France is [MASK]."
EXAMPLE_CANDIDATES = ("It is also the largest city in the country.", "Penguins cannot fly.",
                      "Paris has been the capital since the tenth century.")


def with_frame_colours(variables: dict[str, str]) -> dict[str, str]:
    """The theme's variables and bertui's colours, named once here for every stylesheet (and for any
    app that shows bertui's dialogs)."""
    return {**variables, "frame": variables["primary-darken-2"], "frame-focus": variables["accent"],
            "frame-error": variables["error"]}


class BertuiApp(App[int]):
    CSS_PATH = "bertui.tcss"
    TITLE = "bertui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (App declares it so)

    def __init__(self, options: Options | None = None) -> None:
        super().__init__()
        paste.install()  # a pasted ESC must not reorder the paste (see bertui.ui.paste)
        self.options = options = options or Options()
        self.backends: list[ModelBackend] = []
        """Every model backend made, closed when the app ends."""
        self._unsaved: session.Session | None = None
        self._session_timer: Timer | None = None
        self.session_error: str | None = None
        """Why the last save failed, if it did (the command line prints it after the app exits)."""
        self.main = MainScreen(options, self.connect,
                               remember=None if options.session_file is None else self.remember)

    def connect(self, target: Target, staged: bool) -> ModelBackend:
        """A model backend answering to ``target``: a child process (``backends.process.ModelClient``),
        or a thread (``backends.thread.ModelService``) as ``Options.model_process`` says.

        ``staged``: the ranking comes apart, after the masks.
        """
        options = self.options
        in_child = options.model_process
        if in_child is None:
            in_child = can_be_sent(options.engine_loader)
        backend_type = ModelClient if in_child else ModelService
        backend = backend_type(target, loader=options.engine_loader, device=options.device,
                               dtype=options.dtype, staged=staged)
        self.backends.append(backend)
        return backend

    def get_css_variables(self) -> dict[str, str]:
        return with_frame_colours(super().get_css_variables())

    def get_default_screen(self) -> MainScreen:
        return self.main

    def on_mount(self) -> None:
        if self.options.notice:
            self.notify(visible(self.options.notice), title="Session", severity="warning", timeout=20,
                        markup=False)

    def on_unmount(self) -> None:
        self._write_session()
        for backend in self.backends:
            backend.close()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is self.main:  # its actions are the main screen's: none under a dialog
            for action in actions.PALETTE:
                if action.palette is not None:
                    yield SystemCommand(action.palette, action.help,
                                        partial(screen.run_action, action.action))

    # -- the session ------------------------------------------------------------------------------
    def remember(self, snapshot: session.Session) -> None:
        """Keep what is on screen now (cheap) and write it a little later (debounced)."""
        self._unsaved = snapshot
        if self._session_timer is not None:
            self._session_timer.stop()
        self._session_timer = self.set_timer(SESSION_SAVE_SECONDS, self._write_session)

    def _write_session(self) -> None:
        snapshot, self._unsaved = self._unsaved, None
        path = self.options.session_file
        if snapshot is None or path is None:
            return
        try:
            session.save(path, snapshot)
        except OSError as error:
            first = self.session_error is None
            self.session_error = f"cannot save the session to {path}: {error.strerror or error}"
            if first and self.is_running:
                self.notify(visible(self.session_error), title="Session", severity="error", timeout=15,
                            markup=False)
        else:
            self.session_error = None


def can_be_sent(loader: object) -> bool:
    """Whether ``loader`` can be sent to a model process (pickled by reference, not built here)."""
    try:
        pickle.dumps(loader)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def build_app(model: str | None = None, top_k: int | None = None, **choices: Any) -> BertuiApp:
    """The app the command line starts, its session restored.

    ``model`` and ``top_k``: None when the command line does not give them; the saved session's are
    used then, else the defaults (given ones win, since the person just asked for them). ``choices``:
    the other fields of Options. With a ``session_file``, the saved session replaces the example text.
    """
    asked = Options(**choices)
    restored = session.restore(asked.session_file) if asked.session_file is not None else session.Restored()
    notice: str | None
    if restored.problem and restored.set_aside is None:  # unreadable, left in place: do not overwrite it
        session_file, notice = None, f"{restored.problem}. This session will not be saved."
    else:
        session_file, notice = asked.session_file, restored.problem
    saved = restored.session or session.Session(text_a=EXAMPLE_TEXT, candidates=EXAMPLE_CANDIDATES)
    loader = partial(asked.engine_loader, trust_remote_code=True) if asked.trust_remote_code \
        else asked.engine_loader
    return BertuiApp(replace(
        asked, model=model or saved.model or DEFAULT_MODEL, top_k=top_k if top_k is not None else saved.top_k,
        engine_loader=loader, session_file=session_file, notice=notice, text_a=saved.text_a,
        text_b=saved.text_b, pair=saved.pair_mode, candidates=saved.candidates, saved_model=saved.model,
        targets=saved.targets))


def run_app(**arguments: Any) -> int:
    """Run the app until the person quits (``arguments`` as ``build_app``'s); the exit status."""
    app = build_app(**arguments)
    app.run()
    if app.session_error:
        print(f"bertui: {app.session_error}", file=sys.stderr)
    return app.return_code or 0
