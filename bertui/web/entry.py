"""``bertui serve``: the same app in a browser, through textual-serve.

Each browser tab starts its own ``python -m bertui`` process with the options given here, so the
model loads once per tab. Only a holder of the server's token gets in (``bertui.web.access``), at
most ``max_sessions`` tabs run at once, and every tab's processes end with the tab or the server
(``bertui.web.server``, ``bertui.model.lifeline``). The server listens on loopback unless told otherwise:
forward the port over SSH (``ssh -L 8000:localhost:8000 gpu-box``) rather than exposing it. Tabs
keep no session: many tabs writing one session file would overwrite each other.
"""

from __future__ import annotations

import os
import shlex
import sys

from bertui.errors import InputError

DEFAULT_MAX_SESSIONS = 4
REMOTE_CODE_REFUSED = (
    "serve --trust-remote-code is refused: in the browser, whoever has the page open can switch to any hub "
    "model, and with remote code on, that model's Python code runs on this machine as you. If the page "
    "is yours alone and you mean it, add --allow-remote-code-in-browser.")


def app_command(model: str, device: str, dtype: str, top_k: int, trust_remote_code: bool = False,
                compare: str | None = None) -> str:
    """A tab's app, tied to this process (the server): it dies when the server does."""
    return shlex.join([sys.executable, "-m", "bertui.model.lifeline", str(os.getpid()),
                       sys.executable, "-m", "bertui", "--model", model, "--device", device, "--dtype", dtype,
                       "--top-k", str(top_k), "--no-session",
                       *(["--trust-remote-code"] if trust_remote_code else []),
                       *(["--compare", compare] if compare else [])])


def serve(model: str, device: str, dtype: str, top_k: int, host: str, port: int,
          trust_remote_code: bool = False, compare: str | None = None, *, token: str | None = None,
          max_sessions: int = DEFAULT_MAX_SESSIONS, allow_remote_code_in_browser: bool = False) -> int:
    if trust_remote_code and not allow_remote_code_in_browser:
        raise InputError(REMOTE_CODE_REFUSED)
    try:
        from bertui.web.access import checked_token, new_token
        from bertui.web.server import BertuiServer
    except ImportError:
        raise InputError("bertui serve needs textual-serve: pip install 'bertui[serve]'") from None
    BertuiServer(app_command(model, device, dtype, top_k, trust_remote_code, compare), host=host, port=port,
                 token=checked_token(token) if token is not None else new_token(),
                 max_sessions=max_sessions).serve()
    return 0
