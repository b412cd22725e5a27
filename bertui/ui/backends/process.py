"""The model in a child process, seen from the app: start, send, receive, restart, stop. No torch here.

``ModelClient`` is a ``ModelBackend``: ``load`` and ``submit`` send down a pipe to the model process
(``bertui.model.process``) and return at once; a reader thread posts each answer to the target as the
same messages the thread backend (``backends.thread``) posts. When the pipe ends without the app having
closed it, the process died (a segfault in torch, an out-of-memory kill, ``kill -9``): the reader says
so at once with ``ModelCrashed`` and how it ended, and ``restart`` starts a fresh process on the same
model.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from bertui.engine.results import AnalysisRequest
from bertui.model import process as model_process
from bertui.model.loop import EngineLoader, load_engine
from bertui.ui.backends.protocol import Target
from bertui.ui.messages import ModelCrashed, answer

CLOSE_SECONDS = 1.0
"""How long ``close`` lets the process finish its job before ending it."""


def how_it_ended(exitcode: int | None) -> str:
    """The process's end, for a person: the signal that killed it, or its exit status."""
    if exitcode is None:
        return "model process stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"model process killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    return f"model process exited with status {exitcode}"


class ModelClient:
    def __init__(self, target: Target, *, loader: EngineLoader = load_engine, device: str = "auto",
                 dtype: str = "float32", staged: bool = False) -> None:
        """``loader`` must be picklable (a module-level function, or a partial of one): the process calls it.

        Start it from a thread that lives as long as the app (the event loop's): on Linux the process is
        tied to the thread that started it.
        """
        self._target = target
        self._arguments = (loader, device, dtype, staged)
        self._spec: str | None = None
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._closing = False

    @property
    def pid(self) -> int | None:
        """The model process's id, once started."""
        return None if self._process is None else self._process.pid

    def load(self, spec: str) -> None:
        """Load ``spec`` in the process (started now if need be); the current model serves until then."""
        self._spec = spec
        self._send("load", spec)

    def submit(self, request: AnalysisRequest) -> None:
        """Answer ``request`` next, replacing any request still waiting (dropped while crashed)."""
        self._send("submit", request)

    def cancel_download(self) -> None:
        """Stop the hub download of the model being loaded (the process says ModelFailed)."""
        self._send("cancel")

    def restart(self) -> None:
        """A fresh process loading the last model asked for (the old one ended, if it had not)."""
        old = self._process
        self._process = self._conn = None
        if old is not None and old.is_alive():
            old.kill()
        if self._spec is not None:
            self._send("load", self._spec)

    def close(self) -> None:
        """Ask the process to stop, wait a little for its job, then end it."""
        self._closing = True
        process, conn = self._process, self._conn
        if process is None or conn is None:
            return
        try:
            conn.send(("close",))
        except OSError:
            pass  # already gone
        process.join(CLOSE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(CLOSE_SECONDS)
        conn.close()

    # -- the process and its pipe -------------------------------------------------------------------
    def _send(self, *what: object) -> None:
        if self._closing:
            return
        if self._process is None:
            self._start()
        elif not self._process.is_alive():
            return  # crashed: the reader says so, and restart() starts another
        if self._conn is None:
            return
        try:
            self._conn.send(what)
        except OSError:
            pass  # it died just now: the reader says so

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=model_process.run, args=(theirs, os.getpid(), *self._arguments),
                                  name="bertui-model", daemon=True)
        # multiprocessing passes stderr's descriptor to its resource tracker; while Textual runs, sys.stderr
        # is its capture, whose descriptor is -1: the tracker gets the real one.
        with contextlib.redirect_stderr(sys.__stderr__):
            process.start()
        theirs.close()  # the process holds the only other end: its death ends our reads
        self._process, self._conn = process, ours
        threading.Thread(target=self._read, args=(process, ours), name="bertui-model-reader",
                         daemon=True).start()

    def _read(self, process: BaseProcess, conn: Connection) -> None:
        while True:
            try:
                kind, args = conn.recv()
            except (EOFError, OSError):
                break
            self._target.post_message(answer(kind, args))
        process.join(CLOSE_SECONDS)
        if process is self._process and not self._closing:
            self._target.post_message(ModelCrashed(self, self._spec, how_it_ended(process.exitcode)))
