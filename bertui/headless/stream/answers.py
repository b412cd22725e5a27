"""A window of parsed lines answered: each line checked alone, the good ones batched together, one record
each, in input order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bertui.errors import InputError
from bertui.headless.documents import fill_json, fill_request, nsp_json, score_json
from bertui.headless.inside import COMMANDS as INSIDE_COMMANDS
from bertui.headless.inside import inside_json
from bertui.headless.stream.records import Line, Record, StreamOptions, error_record

if TYPE_CHECKING:
    from bertui.engine.inference import Engine


def check(engine: Engine, command: str, line: Line) -> None:
    """InputError when the line cannot be answered: too long, no mask for fill, no candidates for nsp."""
    encoding = engine.encode(line.text, line.pair)
    if encoding.truncated:
        raise InputError(f"too long: {len(encoding.input_ids) + encoding.truncated} tokens, over the model's "
                         f"maximum of {engine.info.max_length}")
    if command in ("fill", "lens", "explain") and not encoding.mask_positions:
        raise InputError(f"no mask in the text: write {engine.mask_token} where a word should be predicted")
    if command in ("score", "near") and all(encoding.special):
        raise InputError("nothing to score: the text has no tokens")
    if command == "nsp" and not line.candidates:
        raise InputError('no candidates: give "candidates" in the line, or candidates on the command line')


def compute(engine: Engine, options: StreamOptions, lines: list[Line]) -> list[dict[str, Any]]:
    """The command's JSON for each (checked) line, batched across the lines."""
    if options.command == "tokenize":
        return [engine.encode(line.text, line.pair).to_json() for line in lines]
    if options.command in INSIDE_COMMANDS:
        return [inside_json(engine, options, line.text, line.pair, line.targets) for line in lines]
    if options.command == "fill":
        requests = [fill_request(line.text, line.pair, top_k=options.top_k, targets=line.targets,
                                 beam=options.beam, joint=options.joint) for line in lines]
        return [fill_json(engine, analysis) for analysis in engine.analyze_many(requests, rank=False)]
    if options.command == "score":
        scored = engine.score_many([(line.text, line.pair) for line in lines])
        return [score_json(line.text, line.pair, *found) for line, found in zip(lines, scored)]
    rankings = engine.rank_many([(line.text, line.candidates) for line in lines])
    return [nsp_json(line.text, ranking) for line, ranking in zip(lines, rankings)]


def answer_lines(engine: Engine, options: StreamOptions, parsed: Sequence[Line | Record]) -> list[Record]:
    """One record per parsed line, in order; a batch that fails on its input is answered line by line."""
    items = list(parsed)
    good: list[Line] = []
    for index, item in enumerate(items):
        if isinstance(item, Line):
            try:
                check(engine, options.command, item)
                good.append(item)
            except InputError as error:
                items[index] = error_record(item.number, str(error), item.id)
    try:
        results = dict(zip((line.number for line in good), compute(engine, options, good))) if good else {}
    except InputError:
        if len(good) == 1:
            raise
        return [record for item in items for record in answer_lines(engine, options, [item])]
    return [item if isinstance(item, dict) else
            {"id": item.id, "line": item.number, "input": item.input_json(), **results[item.number]}
            for item in items]
