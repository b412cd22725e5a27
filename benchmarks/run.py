"""bertui's benchmarks: every figure measured in one run beside the plain transformers way of doing it.

    make bench ARGS="--quick"
    .venv/bin/python benchmarks/run.py [--quick] [--repeat N] [--threads N]
                                       [--only SECTION,SECTION...] [--write benchmarks/RESULTS.md]

Sections: launch (start → first paint / model ready), paint (launch → the Sentence border in tmux, beside a
bare Textual app with one bordered Input), masks (keystroke → masks vs a bare forward), app
(forwards per key, key → panes latency, event-loop stalls), nsp (batched ranking vs a loop of single
forwards, and memory at 512), memory (peak RSS vs the weights), scoring (a sentence's PLL vs one
forward per masked copy; joint fill and target words beside a plain analysis), streams, hardware (each
workload's FLOP rate ÷ this machine's fp32 matmul rate, benchmarks/flops.py), inside (layer lens vs a
forward, integrated gradients batched vs one step a pass), api (bertui.load's lists vs loops). All on
the CPU at
bert-base-uncased size (benchmarks/model.py). Medians of interleaved runs: on a busy machine ratios
mean more than absolutes.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local: never wait on the hub
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from benchmarks.context import Bench  # noqa: E402
from benchmarks.model import SHARED_MODELS, prepare, scratch_folder  # noqa: E402
from benchmarks.report import machine, markdown, table  # noqa: E402

# Section name → module. Imported after the options are read: --threads must be set before torch loads.
SECTIONS = {"launch": "launch", "paint": "tmux_paint", "masks": "masks", "app": "app_overhead", "nsp": "nsp",
            "memory": "memory", "scoring": "scoring", "streams": "streams", "hardware": "hardware",
            "inside": "inside", "api": "api"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, one launch, no unchunked 512-candidate ranking")
    parser.add_argument("--repeat", type=int, help="timed runs per keystroke→masks figure (default 30, "
                        "quick 8); NSP runs a third or a tenth of it, 512 candidates once")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--shared", type=Path, default=SHARED_MODELS,
                        help="folder holding bert-base-uncased-tokenizer/ (and a real bert-base-uncased/ "
                             "checkpoint if there is one); default ../shared/models beside the repo")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads for everything measured, both ways (sets OMP_NUM_THREADS, which "
                             "bertui then leaves alone); default: bertui's own choice")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the results as markdown")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}: choose from {', '.join(SECTIONS)}")
    if args.repeat is None:
        args.repeat = 8 if args.quick else 30
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    started = time.perf_counter()
    with scratch_folder() as scratch:
        print("preparing the model…", file=sys.stderr)
        bench = Bench(prepare(args.shared, Path(scratch)), repeat=args.repeat, quick=args.quick)
        print(f"model: {bench.model.description}", file=sys.stderr)
        rows = []
        for name in args.only.split(","):
            print(f"{name}…", file=sys.stderr)
            section_started = time.perf_counter()
            found = importlib.import_module(f"benchmarks.{SECTIONS[name]}").run(bench)
            print("\n".join(table(found)[2:]), f"({time.perf_counter() - section_started:.0f} s)",
                  file=sys.stderr)
            rows += found
    about = machine()
    about["run"] = f"{time.perf_counter() - started:.0f} s, {'--quick' if args.quick else 'full'}, " \
                   f"--repeat {args.repeat}, " + (f"--threads {args.threads}" if args.threads else
                                                  "threads: bertui's choice")
    print()
    for key, value in about.items():
        print(f"{key}: {value}")
    print(f"model: {bench.model.description}\n")
    print("\n".join(table(rows)))
    for note in bench.notes:
        print(f"note: {note}")
    if args.write:
        command = "make bench ARGS=\"" + " ".join(sys.argv[1:] if argv is None else argv) + "\""
        args.write.write_text(markdown(rows, about, bench.model.description, command, bench.notes),
                              encoding="utf-8")
        print(f"\nwritten to {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
