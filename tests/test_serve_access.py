"""``bertui serve`` with a plain websocket client: the token, the bound on tabs, the processes' ends,
and served exports arriving as downloads. (tests/test_serve_e2e.py drives the same in Chromium.)

Every test counts the server's processes (tests/serve_processes.py) before and after and prints the
counts (``pytest -s``). Waits are polls with generous limits: nothing here times the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from tests.serve_processes import apps, free_port, marked, start_server, stop, wait_until

pytest.importorskip("textual_serve", reason="bertui serve needs textual-serve (pip install 'bertui[serve]')")
aiohttp = pytest.importorskip("aiohttp")
pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts processes through /proc")

TOKEN = "test-token-0123456789abcdef"
READY = b"of 1 \xc2\xb7 token"  # the example sentence answered: the model is loaded
WAIT_S = 60  # for the demo model to load in a tab, on a loaded machine
GONE_S = 10


@pytest.fixture
def serve_options() -> tuple[str, ...]:
    """More options for ``bertui serve``: a test parametrizes this name to give some."""
    return ()


@pytest.fixture
def serving(tmp_path, request, serve_options):
    """A started server, stopped afterwards."""
    port = free_port()
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    server = start_server(tmp_path, port, "--token", TOKEN, *serve_options, cwd=workdir,
                          HOME=str(home))
    server.port, server.workdir = port, workdir
    print(f"\n[{request.node.name}] processes at start: {len(marked(server.mark))} (the server)")
    yield server
    stop(server)
    wait_until(lambda: not marked(server.mark), GONE_S, "every process of the server gone")
    print(f"[{request.node.name}] processes at the end: {len(marked(server.mark))}")


def client():
    """An HTTP client that keeps the cookies of an IP address too, as browsers do."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


class Tab:
    """One tab, as the page's script is one: a websocket to /ws, read all the time (which answers the
    server's pings, as a browser does), the terminal's bytes and the text messages kept."""

    def __init__(self, websocket) -> None:
        self.websocket, self.output, self.texts = websocket, b"", []
        self.closed: str | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.websocket:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.output += message.data
            elif message.type == aiohttp.WSMsgType.TEXT:
                self.texts.append(json.loads(message.data))
        self.closed = f"closed ({self.websocket.close_code})"

    async def until(self, condition, what: str, timeout: float = WAIT_S) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if self.closed or asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{what}: {self.closed or f'not within {timeout} s'}; "
                                     f"last output {self.output[-300:]!r}")
            await asyncio.sleep(0.1)

    async def keys(self, text: str) -> None:
        await self.websocket.send_str(json.dumps(["stdin", text]))

    async def close(self) -> None:
        await self.websocket.close()
        await self._reader


async def open_tab(http, port: int) -> Tab:
    tab = Tab(await http.ws_connect(f"ws://127.0.0.1:{port}/ws?token={TOKEN}&width=120&height=40"))
    await tab.websocket.send_str(json.dumps(["focus"]))
    return tab


async def ready_tab(http, port: int) -> Tab:
    tab = await open_tab(http, port)
    await tab.until(lambda: READY in tab.output, "the example's predictions")
    return tab


def gone(server, pids: set[int]) -> None:
    wait_until(lambda: not (marked(server.mark) & pids), GONE_S, f"processes {sorted(pids)} gone")


async def status(http, url: str, follow: bool = False, **options) -> tuple[int, str]:
    async with http.get(url, allow_redirects=follow, **options) as reply:
        return reply.status, await reply.text()


def test_without_the_token_everything_is_refused_and_nothing_starts(serving):
    base = f"http://127.0.0.1:{serving.port}"

    async def knock() -> None:
        async with client() as http:
            for url in ("/", "/?token=wrong", f"/?token={TOKEN[:-1]}", "/download/anything",
                        f"/?token={TOKEN}x"):
                code, text = await status(http, base + url)
                assert code == 403 and "needs its token" in text, url
            code, _ = await status(http, base + "/", cookies={"bertui-token-1": TOKEN})  # another port's
            assert code == 403
            code, _ = await status(http, f"{base}/?token={TOKEN}", headers={"Origin": "http://evil.example"})
            assert code == 403
            for query in ("", "?token=wrong"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"ws://127.0.0.1:{serving.port}/ws{query}")
                assert refused.value.status == 403

    asyncio.run(knock())
    assert apps(serving) == set()
    assert serving.poll() is None


@pytest.mark.parametrize(("options", "says"), [
    (["--token", "short"], "--token: at least 16"),
    (["--trust-remote-code"], "add --allow-remote-code-in-browser"),
    (["--max-sessions", "0"], "must be at least 1")])
def test_unsafe_or_wrong_options_are_refused_before_anything_listens(capsys, options, says):
    from bertui.cli import main

    with pytest.raises(SystemExit) if "--max-sessions" in options else contextlib.nullcontext():
        assert main(["serve", "--model", "demo", *options]) == 2
    assert says in capsys.readouterr().err


def test_the_token_sets_a_cookie_that_opens_the_page(serving):
    base = f"http://127.0.0.1:{serving.port}"

    async def visit() -> None:
        async with client() as http:
            async with http.get(f"{base}/?token={TOKEN}&fontsize=12", allow_redirects=False) as reply:
                assert reply.status == 302 and reply.headers["Location"] == "/?fontsize=12"
                cookie = reply.cookies[f"bertui-token-{serving.port}"]
                assert cookie.value == TOKEN and cookie["httponly"] and cookie["samesite"] == "Lax"
            code, page = await status(http, base + "/")  # a reload: the cookie alone
            assert code == 200 and f'data-session-websocket-url="ws://127.0.0.1:{serving.port}/ws"' in page
            assert apps(serving) == set()  # the page itself starts nothing; its websocket does
            tab = Tab(await http.ws_connect(f"ws://127.0.0.1:{serving.port}/ws?width=100&height=30"))
            await tab.until(lambda: READY in tab.output, "the app, through the cookie")
            await tab.close()

    asyncio.run(visit())


def test_closing_the_tab_ends_its_processes(serving):
    async def session() -> set[int]:
        async with client() as http:
            tab = await ready_tab(http, serving.port)
            started = apps(serving)
            assert started, "an app process for the tab"
            assert all(os.getpgid(pid) != os.getpgid(serving.pid) for pid in started)  # a group of its own
            print(f"processes with the tab open: {len(started) + 1}")
            await tab.close()
            return started

    started = asyncio.run(session())
    gone(serving, started)
    assert marked(serving.mark) == {serving.pid}


def test_a_dropped_connection_ends_its_processes(serving):
    """No close handshake: the client's socket just goes (a laptop's lid shut on an SSH tunnel)."""
    async def session() -> set[int]:
        http = client()
        tab = await ready_tab(http, serving.port)
        started = apps(serving)
        tab.websocket._response.connection.transport.abort()
        tab._reader.cancel()
        await http.close()
        return started

    started = asyncio.run(session())
    assert started
    gone(serving, started)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_the_server_ending_ends_every_tab(serving, sig):
    async def session() -> set[int]:
        async with client() as http:
            tabs = [await ready_tab(http, serving.port) for _ in range(2)]
            started = apps(serving)
            assert len(started) >= 2
            print(f"processes with two tabs open: {len(started) + 1}")
            os.kill(serving.pid, sig)  # the server alone, not its group
            serving.wait(timeout=GONE_S)
            gone(serving, started)
            for tab in tabs:
                await tab.until(lambda tab=tab: tab.closed, "the tab told")
            return started

    asyncio.run(session())
    assert marked(serving.mark) == set()


@pytest.mark.parametrize("serve_options", [("--max-sessions", "1")])
def test_past_max_sessions_the_page_says_full_and_nothing_starts(serving):
    base = f"http://127.0.0.1:{serving.port}"

    async def session() -> None:
        async with client() as http:
            first = await ready_tab(http, serving.port)
            before = apps(serving)
            code, text = await status(http, f"{base}/?token={TOKEN}", follow=True)
            assert code == 503 and "full" in text and "--max-sessions 1" in text
            second = await open_tab(http, serving.port)
            await second.until(lambda: second.closed, "the second tab refused")
            assert b"is full" in second.output and second.websocket.close_code == 1013
            assert apps(serving) == before
            await first.close()
            gone(serving, before)
            for _ in range(GONE_S * 10):  # the server counts the tab out once its handler is done
                if (await status(http, f"{base}/?token={TOKEN}", follow=True))[0] == 200:
                    break
                await asyncio.sleep(0.1)
            third = await ready_tab(http, serving.port)  # the place is free again
            await third.close()

    asyncio.run(session())


async def press_until(tab: Tab, keys: str, done, what: str) -> None:
    """Wait until ``done()`` after ``keys``, pressing them again every few seconds as a person would: while
    the ranking of the example is still to come, Export and Copy say "nothing to export yet"."""
    for _ in range(WAIT_S // 3):
        try:
            await tab.until(done, what, timeout=3)
            return
        except AssertionError:
            if tab.closed:
                raise
            await tab.keys(keys)
    await tab.until(done, what)


def files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


# Each step: keys typed, then what the terminal shows once they are taken.
EXPORT = ("\x12", b"Downloads bertui-results.json in your browser")  # ctrl+r: Export…, in its served form


@pytest.mark.parametrize(("steps", "name"), [([EXPORT, ("\r", None)], "bertui-results.json"),
                                         ([("\x19", None)], "bertui-results.json")],  # ctrl+y: copy
                         ids=["export", "copy"])
def test_a_served_export_arrives_as_a_download_and_writes_nothing(serving, tmp_path, steps, name):
    before = files_under(tmp_path)

    async def session() -> tuple[str, str]:
        async with client() as http:
            tab = await ready_tab(http, serving.port)
            for keys, shown in steps:
                await tab.keys(keys)
                if shown:
                    await press_until(tab, keys, lambda shown=shown: shown in tab.output,
                                      f"{shown!r} after {keys!r}")
            delivered = lambda: any(text[0] == "deliver_file_start" for text in tab.texts)  # noqa: E731
            if len(steps) == 1:  # copy: its key itself starts the download
                await press_until(tab, steps[0][0], delivered, "a download")
            await tab.until(delivered, "a download")
            key = next(text[1] for text in tab.texts if text[0] == "deliver_file_start")
            url = f"http://127.0.0.1:{serving.port}/download/{key}"
            assert (await status(http, url))[0] == 403  # the download too needs the token
            async with http.get(url, params={"token": TOKEN}) as reply:
                assert reply.status == 200
                body, disposition = await reply.text(), reply.headers["Content-Disposition"]
            await tab.close()
            return body, disposition

    body, disposition = asyncio.run(session())
    assert disposition == f"attachment; filename={name}"
    if name.endswith(".json"):
        assert json.loads(body)["fill"]["masks"]
    else:
        assert body.startswith("#")
    assert files_under(tmp_path) - before == set()  # not in the server's folder or home, nor above them
