"""A served tab at rest: CPU of its app (and what it started) with the page open and the model ready.

``python -m benchmarks.serve_idle [SECONDS]`` starts ``bertui serve --model demo`` on a free port,
opens one tab as the page's script does (a websocket, focus sent, everything read), waits for the
example's predictions, then reads the tab's processes' CPU time from /proc over SECONDS (default 5)
of doing nothing. Linux only. Goal: at most 1 % of one core.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.serve_processes import apps, free_port, start_server, stop

TOKEN = "bench-token-0123456789abcdef"
GOAL_PERCENT = 1.0


def cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


async def measure(server, port: int, seconds: float) -> float:
    output = bytearray()
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(f"ws://127.0.0.1:{port}/ws?token={TOKEN}&width=140&height=45") as ws:
            await ws.send_str(json.dumps(["focus"]))

            async def read() -> None:
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.BINARY:
                        output.extend(message.data)

            reader = asyncio.create_task(read())
            while "of 1 · token".encode() not in output:
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)  # the last paint after the answer
            pids = apps(server)
            before, start = cpu_seconds(pids), time.monotonic()
            await asyncio.sleep(seconds)
            used, elapsed = cpu_seconds(pids) - before, time.monotonic() - start
            reader.cancel()
    return 100 * used / elapsed


def main(seconds: float = 5.0) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder), port, "--token", TOKEN)
        try:
            percent = asyncio.run(measure(server, port, seconds))
        finally:
            stop(server)
    print(f"served tab at rest: {percent:.2f} % CPU over {seconds:g} s "
          f"({'ok' if percent <= GOAL_PERCENT else 'over'} the {GOAL_PERCENT:g} % goal)")


if __name__ == "__main__":
    main(*(float(arg) for arg in sys.argv[1:]))
