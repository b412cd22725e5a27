"""The textual-serve server behind ``bertui serve``: a token at the door, a bound on tabs, and every
tab's processes ended with the tab or the server.

Each tab's app runs in a process group of its own (its session), so ending the tab ends the app and
whatever the app started, in one ``killpg``: when the websocket closes the app is asked to quit, and
the group is killed a second later whether or not it did. When the server stops (SIGTERM, SIGINT)
it kills every tab's group before it closes the websockets; when it is killed outright, the apps'
parent-death signal (``bertui.model.lifeline``) ends them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import signal
import sys

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from bertui.web.access import cookie_name, token_gate

log = logging.getLogger("bertui.web")
QUIT_GRACE_S = 1.0  # a tab's app has this long to quit by itself before its group is killed
# A connection that vanishes without closing (a laptop's lid shut) is found dead by the pings: within
# 1.5 × this. A closed tab or a dropped TCP connection ends its app at once, pings or not.
HEARTBEAT_S = 4.0
# A page the browser keeps for back/forward (bfcache) is frozen, but its websocket stays open and the
# browser's network side still answers pings: the heartbeat cannot tell it from a live tab. So the page
# closes its sockets when it is hidden for good (``pagehide``), and says it is alive every ALIVE_S; a
# socket whose page said so once and then fell silent for SILENT_S is closed from this side. SILENT_S
# outlasts the minute a browser may wait between a hidden tab's timers.
ALIVE_S = 2.0
SILENT_S = 75.0
PAGE_SCRIPT = """<script>
(() => {
  const sockets = new Set();
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.add(this);
      this.addEventListener("close", () => sockets.delete(this));
    }
  };
  setInterval(() => {
    for (const socket of sockets) {
      if (socket.readyState === Native.OPEN) socket.send(JSON.stringify(["alive", ""]));
    }
  }, ALIVE_MS);
  window.addEventListener("pagehide", () => {
    for (const socket of sockets) socket.close(1001, "page left");
  });
  window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
})();
</script>
""".replace("ALIVE_MS", str(int(ALIVE_S * 1000)))


def full_message(limit: int) -> str:
    return (f"This bertui server is full: {limit} of {limit} tabs are open (--max-sessions {limit}). "
            "Close one of them and reload this page.")


def end_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # all gone already (or the number is someone else's now)
        pass


class TabApp(AppService):
    """One tab's app, in a process group of its own, started without a shell."""

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._build_environment(width=width, height=height),
            start_new_session=True)
        self._stdin = process.stdin
        return process

    def kill(self) -> None:
        if self._process is not None:
            end_group(self._process.pid)

    async def stop(self) -> None:
        """Ask the app to quit; a second later its group is killed all the same."""
        if self._task is None:
            return
        task, self._task = self._task, None
        try:
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
            await self.send_meta({"type": "quit"})
            if self._process is not None:
                await asyncio.wait_for(self._process.wait(), QUIT_GRACE_S)
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            self.kill()
        try:
            await asyncio.wait_for(task, QUIT_GRACE_S)  # its output to the end
        except asyncio.TimeoutError:
            pass


class BertuiServer(Server):
    def __init__(self, command: str, *, host: str, port: int, token: str, max_sessions: int) -> None:
        super().__init__(command, host=host, port=port, title="bertui")
        self.url = f"http://{host}:{port}/?token={token}"
        self._token = token
        self._max_sessions = max_sessions
        self._tabs: dict[TabApp, web.WebSocketResponse] = {}
        self._spoken: dict[web.WebSocketResponse, list[float | None]] = {}
        """When each socket's page last spoke, once it has said ``alive`` (None: not yet)."""

    def _full(self) -> bool:
        return len(self._tabs) >= self._max_sessions

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(token_gate(self._token, cookie_name(self.port)))
        return app

    async def on_startup(self, app: web.Application) -> None:
        print(f"bertui: serving on {self.url}\n"
              f"bertui: open that URL (the token in it is the key; keep it to yourself). "
              f"At most {self._max_sessions} tabs at once. Ctrl+C stops.", file=sys.stderr, flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        for tab, websocket in list(self._tabs.items()):
            tab.kill()
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"bertui serve stopped")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, its addresses relative to the host the browser used (the cookie's)."""
        if self._full():
            return web.Response(status=503, text=full_message(self._max_sessions))
        scheme = "wss" if request.secure else "ws"
        context = {"font_size": to_int(request.query.get("fontsize", "16"), 16),
                   "app_websocket_url": f"{scheme}://{request.host}/ws",
                   "config": {"static": {"url": "/static/"}}, "application": {"name": self.title}}
        page = aiohttp_jinja2.render_template("app_index.html", request, context)
        page.text = (page.text or "").replace("</head>", PAGE_SCRIPT + "</head>", 1)
        page.headers["Cache-Control"] = "no-store"  # not kept for back/forward: leaving ends the tab
        return page

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        await websocket.prepare(request)
        if self._full():  # said in the terminal the page draws; nothing is started
            await websocket.send_bytes(full_message(self._max_sessions).encode("utf-8"))
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"bertui serve is full")
            return websocket
        async def close() -> None:
            await websocket.close()

        tab = TabApp(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                     close=close, download_manager=self.download_manager, debug=self.debug)
        self._tabs[tab] = websocket
        watch = asyncio.create_task(self._close_when_silent(websocket))
        try:
            await tab.start(to_int(request.query.get("width", "80"), 80),
                            to_int(request.query.get("height", "24"), 24))
            await self._process_messages(websocket, tab)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("a tab's websocket failed")
        finally:
            watch.cancel()
            try:
                await tab.stop()
            finally:
                del self._tabs[tab]
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """textual-serve's, with the time of each message kept (the page's ``alive`` among them)."""
        spoken = self._spoken.setdefault(websocket, [None])
        original = websocket.receive

        async def receive(*args, **kwargs):
            message = await original(*args, **kwargs)
            if spoken[0] is not None or "alive" in str(message.data):
                spoken[0] = asyncio.get_running_loop().time()
            return message

        websocket.receive = receive  # type: ignore[method-assign]
        try:
            await super()._process_messages(websocket, app_service)
        finally:
            self._spoken.pop(websocket, None)

    async def _close_when_silent(self, websocket: web.WebSocketResponse) -> None:
        """Close a socket whose page said it was alive, then nothing for SILENT_S (frozen, or gone)."""
        loop = asyncio.get_running_loop()
        while not websocket.closed:
            await asyncio.sleep(ALIVE_S)
            last = self._spoken.get(websocket, [None])[0]
            if last is not None and loop.time() - last > SILENT_S:
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"the page went silent")
