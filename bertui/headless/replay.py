"""``bertui replay FILE``: recompute a stream (``stream``) or an app export (``export.py``) and say,
record by record, whether every number still matches within 1e-4; when one does not, which provenance
fields (versions, weights' sha256, revision, device, dtype) differ from the run that wrote the file.

The report is JSONL on stdout: one ``{"line", "id", "match"}`` per record (``"differences"`` when it does
not match), then ``{"summary": {"records", "mismatched", "provenance_differs"}}``. Exit status
EXIT_MISMATCH (4) when any record does not match: a code of its own, apart from 1 (the model cannot be
loaded) and 2 (the file or the options are wrong).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from bertui.engine.inside_results import InsideAsk
from bertui.engine.results import AnalysisRequest
from bertui.errors import InputError
from bertui.headless.export import dumps, to_json
from bertui.headless.provenance import differing, provenance
from bertui.headless.stream.answers import answer_lines
from bertui.headless.stream.records import Line, StreamOptions

if TYPE_CHECKING:
    from bertui.engine.inference import Engine

EXIT_MISMATCH = 4
TOLERANCE = 1e-4
SHOWN = 5  # differences listed per record
NOT_COMPARED = ("info", "provenance")  # an export's load time and the provenance itself


def differences(recorded: object, current: object, where: str = "") -> list[str]:
    """Where two JSON values differ: numbers by more than TOLERANCE, anything else at all."""
    numbers = (int, float)
    if isinstance(recorded, float) or isinstance(current, float):
        if isinstance(recorded, numbers) and isinstance(current, numbers) and \
                not isinstance(recorded, bool) and abs(recorded - current) <= TOLERANCE:
            return []
        return [f"{where or '.'}: {recorded!r} then, {current!r} now"]
    if isinstance(recorded, dict) and isinstance(current, dict):
        found = []
        for key in [*recorded, *(key for key in current if key not in recorded)]:
            if key not in recorded or key not in current:
                found.append(f"{where}.{key}: only {'then' if key in recorded else 'now'}")
            else:
                found += differences(recorded[key], current[key], f"{where}.{key}")
        return found
    if isinstance(recorded, list) and isinstance(current, list):
        if len(recorded) != len(current):
            return [f"{where}: {len(recorded)} items then, {len(current)} now"]
        return [found for i, (a, b) in enumerate(zip(recorded, current))
                for found in differences(a, b, f"{where}[{i}]")]
    return [] if recorded == current else [f"{where or '.'}: {recorded!r} then, {current!r} now"]


Load = Callable[[str, str], "Engine"]
"""(model spec, dtype) → Engine."""


def replay(path: Path, load: Load, model: str | None = None) -> int:
    try:
        with path.open("rb") as handle:
            first = handle.readline()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        head = json.loads(first)
    except ValueError:
        head = None
    if isinstance(head, dict) and "bertui_stream" in head:
        reports = _replay_stream(path, head, load, model)
    else:
        reports = _replay_export(path, load, model)
    mismatched = records = 0
    fields: dict = {}
    for report, fields in reports:
        records += 1
        mismatched += not report["match"]
        if not report["match"]:
            report["provenance_differs"] = fields
        sys.stdout.write(dumps(report, indent=None) + "\n")
    summary = {"records": records, "mismatched": mismatched, "provenance_differs": fields}
    sys.stdout.write(dumps({"summary": summary}, indent=None) + "\n")
    return EXIT_MISMATCH if mismatched else 0


def _engine(recorded: object, load: Load, model: str | None) -> tuple[Engine, dict]:
    if not isinstance(recorded, dict) or not recorded.get("model"):
        raise InputError("no provenance in the file: nothing says which model made it (use --model)")
    engine = load(model or recorded["model"], recorded.get("dtype") or "float32")
    return engine, differing(recorded, provenance(engine.info))


def _report(record: dict, found: list[str]) -> dict:
    report = {"line": record.get("line"), "id": record.get("id"), "match": not found}
    if found:
        more = [f"… {len(found) - SHOWN} more"] if len(found) > SHOWN else []
        report["differences"] = found[:SHOWN] + more
    return report


def _replay_stream(path: Path, head: dict, load: Load, model: str | None) -> Iterator[tuple[dict, dict]]:
    engine, fields = _engine(head.get("provenance"), load, model)
    options = StreamOptions.from_json(head["command"], head["options"])
    with path.open("rb") as handle:
        handle.readline()
        records = (json.loads(raw) for raw in handle if raw.strip())
        for _, grouped in groupby(records, key=lambda record: (record["line"] - 1) // options.window):
            window = list(grouped)
            lines = [Line(r["line"], r["id"], r["input"]["text"], r["input"].get("pair"),
                          tuple(r["input"].get("targets", ())), tuple(r["input"].get("candidates", ())))
                     for r in window if "input" in r]
            now = iter(answer_lines(engine, options, lines))
            for record in window:
                if "input" not in record:  # an error record keeps no input: nothing to recompute
                    yield {"line": record["line"], "id": record.get("id"), "match": True,
                           "note": "error record: not recomputed"}, fields
                else:
                    yield _report(record, differences(record, next(now))), fields


def _replay_export(path: Path, load: Load, model: str | None) -> Iterator[tuple[dict, dict]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        text_a = document["text_a"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path} is neither a bertui stream nor an app export (JSON)") from None
    engine, fields = _engine(document.get("provenance"), load, model)
    masks = document.get("fill", {}).get("masks") or []
    ranking = document.get("nsp", {}).get("ranking")
    request = AnalysisRequest(request_id=0, text_a=text_a, text_b=document.get("text_b"),
                              top_k=len(masks[0]["predictions"]) if masks else 5,
                              candidates=tuple(entry["candidate"] for entry in ranking or ()),
                              surprisal="surprisal" in document,
                              inside=InsideAsk.from_json(document["views"]) if "views" in document else None)
    analysis = engine.analyze(request, rank=ranking is not None)
    current = json.loads(to_json(request, analysis, engine.info))
    recorded = {key: value for key, value in document.items() if key not in NOT_COMPARED}
    now = {key: value for key, value in current.items() if key not in NOT_COMPARED}
    yield _report({"line": 1, "id": str(path)}, differences(recorded, now)), fields
