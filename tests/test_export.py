"""Exports carry the headless keys, survive hostile text, and parse back."""

from __future__ import annotations

import csv
import io
import json

from bertui.cli import main as cli_main
from bertui.engine import AnalysisRequest
from bertui.export import grid_csv, markdown_report, ranking_csv, to_json

HOSTILE = "[bold]x[/] | `y` *z* \x1b[31m"


def _without_provenance(printed: str) -> dict:
    """A command's document less its provenance block (the export has one for the whole file)."""
    document = json.loads(printed)
    assert document.pop("provenance")["model"]
    return document


def test_json_export_uses_the_headless_keys(engine, bert_dir, capsys):
    request = AnalysisRequest(request_id=1, text_a="the [MASK] dog.", text_b="a cat.", top_k=3,
                              candidates=("it was good.", "the sky."))
    analysis = engine.analyze(request)
    document = json.loads(to_json(request, analysis, engine.info))
    assert cli_main(["tokenize", "the [MASK] dog.", "--pair", "a cat.", "-m", str(bert_dir)]) == 0
    assert document["tokenize"] == _without_provenance(capsys.readouterr().out)
    assert cli_main(["fill", "the [MASK] dog.", "--pair", "a cat.", "-k", "3", "-m", str(bert_dir)]) == 0
    assert document["fill"] == _without_provenance(capsys.readouterr().out)
    assert cli_main(["nsp", "the [MASK] dog.", "it was good.", "the sky.", "-m", str(bert_dir)]) == 0
    assert document["nsp"] == _without_provenance(capsys.readouterr().out)
    assert document["info"]["architecture"] == "BertForPreTraining"


def test_csv_exports_round_trip(engine):
    request = AnalysisRequest(request_id=1, text_a=HOSTILE, candidates=(HOSTILE, "a, \"quoted\" one"))
    analysis = engine.analyze(request)
    rows = list(csv.DictReader(io.StringIO(grid_csv(analysis))))
    assert [r["token"] for r in rows] == list(analysis.encoding.tokens)
    assert [int(r["input_id"]) for r in rows] == list(analysis.encoding.input_ids)
    ranked = list(csv.DictReader(io.StringIO(ranking_csv(analysis.ranking))))
    assert {r["candidate"] for r in ranked} == {HOSTILE, "a, \"quoted\" one"}


def test_markdown_report_shows_user_text_literally(engine):
    request = AnalysisRequest(request_id=1, text_a=HOSTILE + " [MASK]", text_b="a\nb",
                              candidates=("it was good.",))
    report = markdown_report(request, engine.analyze(request), engine.info)
    assert "\\[bold\\]x\\[/\\] \\| \\`y\\` \\*z\\* \\x1b\\[31m \\[MASK\\]" in report
    assert "\x1b" not in report and "a\\x0ab" in report
    assert "## Predictions for the mask at token" in report and "## Candidate next sentences" in report
    assert "demo model, random predictions" in report  # the tiny test model is built like the demo
