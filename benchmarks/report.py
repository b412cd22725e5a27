"""Rows of results, the machine they came from, and the markdown file that holds the latest run."""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    section: str
    measure: str
    bertui: str
    transformers: str
    """The same work done the plain transformers way ("—" where there is no counterpart)."""
    ratio: str
    goal: str
    verdict: str
    """"met", "missed by …", or "—" where there is no goal."""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(met: bool, miss: str) -> str:
    return "met" if met else f"missed: {miss}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    import textual
    import torch
    import transformers

    from bertui.engine.threads import usable_cores

    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu_model()}, {usable_cores()} usable cores ({os.cpu_count()} seen)",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else
               "none (everything ran on the CPU; no GPU figures)",
        "versions": f"torch {torch.__version__}, transformers {transformers.__version__}, "
                    f"textual {textual.__version__}",
        "load": "load average {:.2f} {:.2f} {:.2f} at the end of the run".format(*os.getloadavg()),
    }


def table(rows: list[Row]) -> list[str]:
    header = ("section", "measure", "bertui", "plain transformers", "ratio", "goal", "verdict")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = (row.section, row.measure, row.bertui, row.transformers, row.ratio, row.goal, row.verdict)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return lines


def markdown(rows: list[Row], about: dict[str, str], model: str, command: str, notes: list[str]) -> str:
    lines = ["# Benchmark results", "",
             f"Written by `{command}` (benchmarks/run.py); rerun it to replace this file.",
             "Each figure is a median of runs interleaved with the plain transformers way; the load average "
             "says how busy the machine was: on a shared machine the ratios hold, the absolutes do not.", "",
             "## Machine", ""]
    lines += [f"- **{key}**: {value}" for key, value in about.items()]
    lines += [f"- **model**: {model}", "", "## Latest run", ""]
    lines += table(rows)
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
