"""``bertui serve``: the same app in a browser, through textual-serve.

Each browser tab starts its own ``python -m bertui`` process with the options given here, so the
model loads once per tab. The server listens on loopback unless told otherwise: forward the port
over SSH (``ssh -L 8000:localhost:8000 gpu-box``) rather than exposing it. Tabs keep no session: many
tabs writing one session file would overwrite each other.
"""

from __future__ import annotations

import shlex
import sys

from bertui.engine.errors import InputError


def app_command(model: str, device: str, dtype: str, top_k: int, trust_remote_code: bool = False,
                compare: str | None = None) -> str:
    return shlex.join([sys.executable, "-m", "bertui", "--model", model, "--device", device, "--dtype", dtype,
                       "--top-k", str(top_k), "--no-session",
                       *(["--trust-remote-code"] if trust_remote_code else []),
                       *(["--compare", compare] if compare else [])])


def serve(model: str, device: str, dtype: str, top_k: int, host: str, port: int,
          trust_remote_code: bool = False, compare: str | None = None) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        raise InputError("bertui serve needs textual-serve: pip install 'bertui[serve]'") from None
    print(f"bertui: serving on http://{host}:{port} (Ctrl+C stops)", file=sys.stderr)
    Server(app_command(model, device, dtype, top_k, trust_remote_code, compare), host=host, port=port,
           title="bertui").serve()
    return 0
