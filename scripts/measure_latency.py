"""How fast the real app is, measured from outside through a pseudo-terminal, as a person sees it.

    .venv/bin/python scripts/measure_latency.py [--model demo] [--keys 30] [--size 120x36]

Starts ``python -m bertui`` in a pty (benchmarks/terminal.py) and reads what it paints:

* first paint: launch → the window's frame is on screen;
* model ready: launch → the status line names the loaded model;
* first answer: launch → the first analysis (the token grid's count) is on screen;
* keystroke → masks: a key that adds a token → the grid and mask panel repainted for it (median and
  90th percentile over ``--keys`` keystrokes, each after the previous answer; includes the app's
  30 ms debounce and the terminal write).

``make bench`` (benchmarks/run.py) measures launch at bert-base size beside plain transformers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.terminal import FIRST_PAINT, MODEL_READY, App

TOKEN_COUNT = "Tokens \u00b7 ".encode()  # the grid's title: an analysis is on screen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--size", default="120x36")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.split("x"))

    with App(args.model, columns, rows) as app:
        screen = app.screen
        print(f"first paint      {1000 * app.since_start(FIRST_PAINT, 30):7.0f} ms after launch")
        print(f"model ready      {1000 * app.since_start(MODEL_READY, 300):7.0f} ms after launch")
        print(f"first answer     {1000 * app.since_start(TOKEN_COUNT, 60):7.0f} ms after launch")
        seen = len(screen.raw)

        os.write(app.fd, b"\x15")  # ctrl+u: empty sentence A → [CLS] [SEP]
        _, seen = screen.wait_for(TOKEN_COUNT + b"2", 10, seen)
        os.write(app.fd, b"[MASK]")
        _, seen = screen.wait_for(TOKEN_COUNT + b"3", 10, seen)
        latencies = []
        for count in range(4, 4 + args.keys):
            os.write(app.fd, b" ")  # a space adds no token: its answer repaints nothing we wait for
            time.sleep(0.15)
            sent = time.perf_counter()
            os.write(app.fd, b"a")
            shown, seen = screen.wait_for(TOKEN_COUNT + str(count).encode(), 10, seen)
            latencies.append(1000 * (shown - sent))
        latencies.sort()
        p90 = latencies[max(0, round(0.9 * len(latencies)) - 1)]
        print(f"keystroke→masks  {statistics.median(latencies):7.1f} ms median, {p90:.1f} ms p90 "
              f"(n={len(latencies)}, includes the 30 ms debounce)")


if __name__ == "__main__":
    main()
