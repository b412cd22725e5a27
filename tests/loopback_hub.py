"""A Hugging Face hub on loopback: a folder's files served under the hub's URL layout and headers, throttled,
so that a real download (``HF_ENDPOINT`` pointing here) is slow enough to watch, and can be cut.

``{endpoint}/{repo}/resolve/{revision}/{file}`` answers HEAD with what huggingface_hub reads
(``X-Repo-Commit``, ``ETag``, ``Content-Length``) and GET with the bytes, honouring ``Range: bytes=N-`` (a
resumed download); a file the folder lacks is the hub's 404 (``X-Error-Code: EntryNotFound``). Every request
is logged.
``mishaps``: what happens to the GETs of the largest file, one each, in order: ``("stall", n)`` stops
sending after n bytes and waits, as a connection gone quiet does, until the client goes away (Ctrl+C);
``("cut", n)`` drops the connection after n bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

COMMIT = "0123456789abcdef0123456789abcdef01234567"
REPO = "tiny-org/tiny-bert"
CHUNK = 10 * 1024 * 1024  # huggingface_hub writes a download in pieces of this size


def build_hub_model(folder: Path) -> Path:
    """A BERT of ~25 MB (the demo's vocabulary, hidden size 192), so that a download takes a few pieces."""
    import torch
    from transformers import BertConfig, BertForPreTraining

    from bertui.engine.demo import demo_folder

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=192, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertForPreTraining(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (demo_folder() / name).is_file():
            shutil.copy(demo_folder() / name, folder / name)
    assert (folder / "model.safetensors").stat().st_size > 2 * CHUNK
    return folder


def online(hub: LoopbackHub, home: Path) -> dict[str, str]:
    """What a process needs to download from ``hub``: its endpoint, a cache of its own, not offline."""
    return {"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(home), "HF_HUB_DOWNLOAD_TIMEOUT": "120",
            "HF_HUB_DISABLE_TELEMETRY": "1"}


@dataclass
class LoopbackHub:
    folder: Path
    repo: str
    piece: int = 1 << 20
    """Bytes sent between pauses."""
    delay: float = 0.05
    """Seconds of each pause: piece / delay is the rate."""
    mishaps: list[tuple[str, int]] = field(default_factory=list)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)
    endpoint: str = ""

    def __enter__(self) -> LoopbackHub:
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True).start()
        assert started.wait(30), "the loopback hub did not start"
        return self

    def __exit__(self, *_exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", f"/{self.repo}/resolve/{{revision}}/{{file:.+}}", self._resolve)
        app.router.add_route("*", "/{anything:.*}", self._elsewhere)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        host, port = self._runner.addresses[0][:2]
        self.endpoint = f"http://{host}:{port}"
        started.set()
        self._loop.run_forever()

    def largest(self) -> Path:
        return max((path for path in self.folder.iterdir() if path.is_file()), key=lambda p: p.stat().st_size)

    async def _elsewhere(self, request: web.Request) -> web.Response:
        self.log.append((request.method, request.path, None))
        return web.Response(status=404, headers={"X-Error-Code": "EntryNotFound"})

    async def _resolve(self, request: web.Request) -> web.StreamResponse:
        path = self.folder / request.match_info["file"]
        self.log.append((request.method, request.path, request.headers.get("Range")))
        if not path.is_file():
            return web.Response(status=404, headers={"X-Error-Code": "EntryNotFound",
                                                     "X-Error-Message": "Entry not found"})
        data = path.read_bytes()
        headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                   "Accept-Ranges": "bytes", "Content-Length": str(len(data))}
        if request.method == "HEAD":
            return web.Response(headers=headers)
        start = int(request.headers.get("Range", "bytes=0-").removeprefix("bytes=").split("-")[0] or 0)
        if start:
            headers.update({"Content-Length": str(len(data) - start),
                            "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"})
        response = web.StreamResponse(status=206 if start else 200, headers=headers)
        await response.prepare(request)
        mishap, after = self.mishaps.pop(0) if path == self.largest() and self.mishaps else ("", len(data))
        for offset in range(start, len(data), self.piece):
            if offset >= after and mishap == "cut":
                request.transport.close()
                return response
            while offset >= after and request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)  # stalled: until the client goes away
            await response.write(data[offset:offset + self.piece])
            await asyncio.sleep(self.delay)
        await response.write_eof()
        return response
