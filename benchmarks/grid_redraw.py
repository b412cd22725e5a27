"""What the token grid costs to redraw for a long input: a new answer (``show``) and a cursor step.

The grid draws only the columns in view, so a step should cost the same at 512 tokens as at 5,000;
``show`` measures every token once (its drawn form and width). Goal: a redraw at 512 tokens <= 10 ms.

    PYTHONPATH=$PWD python -m benchmarks.grid_redraw [--tokens 512 5000] [--width 120]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from textual.app import App, ComposeResult

from bertui.engine.results import Encoding
from bertui.ui.widgets.token_grid import TokenGrid

PIECES = ("축구는", "정말", "##이다", "the", "##ing", "東京", "👍🏽", "ᄎ", "##ᅮ", "café", "שלום", "[MASK]")


def encoding(count: int) -> Encoding:
    tokens = ["[CLS]", *(PIECES[i % len(PIECES)] for i in range(count - 2)), "[SEP]"]
    return Encoding(tokens=tuple(tokens), input_ids=tuple(1000 + i for i in range(count)),
                    token_type_ids=(0,) * count, attention_mask=(1,) * count,
                    offsets=tuple((i, i + 1) for i in range(count)),
                    sequence_ids=(None, *(0,) * (count - 2), None),
                    special=(True, *(False,) * (count - 2), True),
                    mask_positions=tuple(i for i, token in enumerate(tokens) if token == "[MASK]"))


class GridApp(App):
    def compose(self) -> ComposeResult:
        yield TokenGrid(id="grid")


def milliseconds(action, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


async def measure(counts: list[int], width: int, repeat: int) -> None:
    app = GridApp()
    async with app.run_test(size=(width, 12)) as pilot:
        grid = app.query_one(TokenGrid)
        grid.focus()
        for count in counts:
            answer = encoding(count)
            show = milliseconds(lambda answer=answer: grid.show(answer), repeat)
            await pilot.pause()
            grid.cursor_column = count // 2
            step = milliseconds(lambda: grid.action_move(1), repeat)
            print(f"{count:>6} tokens, {width} columns: show {show[0]:6.2f} ms (max {show[1]:6.2f}), "
                  f"cursor step {step[0]:5.2f} ms (max {step[1]:5.2f}), {len(grid.in_view())} in view")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, nargs="+", default=[512, 5000])
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(measure(args.tokens, args.width, args.repeat))


if __name__ == "__main__":
    main()
