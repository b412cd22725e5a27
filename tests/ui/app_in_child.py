"""The app with its model in a child process, run headless in a process of its own, for tests that kill
it: ``python -m tests.ui.app_in_child FOLDER`` prints, once the model is ready, a JSON line with the
model process's id and which of torch and transformers the app's process has imported, then waits."""

from __future__ import annotations

import asyncio
import json
import sys
from functools import partial

from bertui.ui.app import BertuiApp
from bertui.ui.options import Options
from tests.ui.child_engines import load_fragile

HEAVY = ("torch", "transformers")


async def main(folder: str) -> None:
    app = BertuiApp(Options(model="tiny", device="cpu", engine_loader=partial(load_fragile, {"tiny": folder}),
                            model_process=True, text_a="the [MASK] ."))
    async with app.run_test() as pilot:
        while app.main.model.info is None:
            await pilot.pause(0.05)
        print(json.dumps({"child": app.main.backend.pid, "heavy": [m for m in HEAVY if m in sys.modules]}),
              flush=True)
        await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
