"""What every section shares: the model folder, the options, and one engine loaded the real way."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property

from benchmarks.model import BenchModel
from benchmarks.terminal import ROOT


@dataclass
class Bench:
    model: BenchModel
    repeat: int
    quick: bool
    notes: list[str] = field(default_factory=list)

    @cached_property
    def engine(self):
        """bertui's engine as the CLI loads it (``Engine.load(folder)``), on the CPU."""
        from bertui.engine.inference import Engine

        return Engine.load(str(self.model.folder), device="cpu")

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.model.folder)

    def probe(self, *args: str, timeout: float = 600) -> str:
        """Run ``python -m benchmarks.probe ARGS`` in a fresh process; its stdout."""
        done = subprocess.run([sys.executable, "-m", "benchmarks.probe", *args], cwd=ROOT, env=child_env(),
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"probe {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout


def child_env() -> dict[str, str]:
    """The environment for child processes: this checkout first on the path, the hub never asked."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    return env
