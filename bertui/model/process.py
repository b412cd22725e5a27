"""The model process: torch and transformers live here only, one process per model the app shows.

The app's ``bertui.ui.backends.process.ModelClient`` starts it (multiprocessing's "spawn": a fresh
interpreter, never a fork of a process with Textual's threads) and talks to it over one pipe: ``("load",
spec)``, ``("submit", request)``, ``("cancel",)`` (a download) and ``("close",)`` in; the request loop's
answers (``bertui.model.loop``) out, as ``(kind, args)`` of frozen result dataclasses (numpy arrays where
large). A thread reads the pipe so a newer request can replace a waiting one while the model runs; the main
thread runs the loop.

The process ends with the app, however the app ends (``lifeline.tie_to_parent``); Ctrl+C in the terminal
is the app's to handle, so it ignores SIGINT; on a terminal its own output would scribble over the app's
screen, so it goes to /dev/null.
"""

from __future__ import annotations

import os
import signal
import threading
from multiprocessing.connection import Connection

from bertui.model.lifeline import tie_to_parent
from bertui.model.loop import EngineLoader, RequestLoop


def run(conn: Connection, parent_pid: int, loader: EngineLoader, device: str, dtype: str,
        staged: bool) -> None:
    tie_to_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _quiet_on_terminal()
    server = RequestLoop(lambda kind, *args: conn.send((kind, args)), loader=loader, device=device,
                         dtype=dtype, staged=staged)
    threading.Thread(target=_read, args=(conn, server), name="bertui-model-pipe", daemon=True).start()
    server.serve()


def _read(conn: Connection, server: RequestLoop) -> None:
    """Hand what the app sends to the server; the app gone or saying "close": the server stops."""
    while True:
        try:
            what, *args = conn.recv()
        except (EOFError, OSError):
            break
        if what == "load":
            server.load(*args)
        elif what == "submit":
            server.submit(*args)
        elif what == "cancel":
            server.cancel_download()
        else:
            break
    server.close()


def _quiet_on_terminal() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        if os.isatty(fd):
            os.dup2(devnull, fd)
    os.close(devnull)
