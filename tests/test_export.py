"""Exports carry the headless keys, survive hostile text, and parse back."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import pytest

from bertui.cli import main as cli_main
from bertui.engine import AnalysisRequest
from bertui.headless.export import (
    FORMATS,
    dumps,
    format_for,
    grid_csv,
    markdown_report,
    ranking_csv,
    render,
    to_json,
)

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


def test_the_measures_are_exported_with_the_headless_keys(engine, bert_dir, capsys):
    request = AnalysisRequest(request_id=1, text_a="the [MASK] ate my [MASK] .", text_b="it was good .",
                              top_k=3, targets=("he", "she", "☃"), joint=True, surprisal=True, alone=True)
    analysis = engine.analyze(request)
    document = json.loads(to_json(request, analysis, engine.info))
    assert cli_main(["fill", request.text_a, "--pair", request.text_b, "-k", "3", "--targets", "he,she,☃",
                     "-m", str(bert_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    del printed["provenance"]  # the export carries it once, at the top
    assert document["fill"] == printed  # targets and joint included
    assert cli_main(["score", request.text_a, request.text_b, "--compare-pairs", "-m", str(bert_dir)]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert document["score"]["pairs"] == scored["pairs"]
    assert document["score"]["sentences"] == [{k: v for k, v in sentence.items() if k != "truncated"}
                                              for sentence in scored["sentences"]]
    assert {"pll", "pll_word_l2r"} <= set(document["surprisal"])
    report = markdown_report(request, analysis, engine.info)
    for heading in ("## Target words at the mask at token 2", "## Together: joint fillings",
                    "## Sentence scores", "## Which sentence the model prefers"):
        assert heading in report
    assert "| ☃ | 0 |  |  |  | not in the model's vocabulary |" in report
    assert f"| pll | {scored['sentences'][0]['pll']:.4f} | {scored['sentences'][1]['pll']:.4f} |" in report


# -- a lone surrogate (text pasted from a broken source) ----------------------------------------------
BROKEN = "caf\udce9 \ud83d"  # a stray low surrogate, then a high one with no partner


@pytest.fixture
def broken(engine):
    """A request whose every text holds lone surrogates, and its analysis with a token holding one too
    (the tiny BERT's tokenizer drops them; a slow or byte-level one need not)."""
    request = AnalysisRequest(request_id=1, text_a=BROKEN + " [MASK]", text_b=BROKEN,
                              candidates=(BROKEN, "it was good."))
    analysis = engine.analyze(request)
    tokens = list(analysis.encoding.tokens)
    tokens[1] = BROKEN
    return request, dataclasses.replace(analysis, encoding=dataclasses.replace(analysis.encoding,
                                                                              tokens=tuple(tokens)))


def test_json_escapes_lone_surrogates_and_reads_them_back(broken, engine):
    request, analysis = broken
    text = to_json(request, analysis, engine.info)
    text.encode("utf-8")
    assert "\\udce9" in text and "\\ud83d" in text
    document = json.loads(text)
    assert document["text_a"] == request.text_a and document["text_b"] == BROKEN
    assert document["tokenize"]["tokens"][1] == BROKEN
    assert {r["candidate"] for r in document["nsp"]["ranking"]} == {BROKEN, "it was good."}


def test_markdown_shows_lone_surrogates_as_escapes(broken, engine):
    request, analysis = broken
    report = markdown_report(request, analysis, engine.info)
    report.encode("utf-8")
    assert "- Sentence B: caf\\udce9 \\ud83d" in report
    assert f"| 1 | caf\\udce9 \\ud83d | {analysis.encoding.input_ids[1]} |" in report
    assert "| caf\\udce9 \\ud83d |" in report  # the leaderboard's candidate


@pytest.mark.parametrize(("character", "shown"), [("\x1b", "\\x1b"), ("\u200b", "\\u200b"),
                                              ("\U000e0001", "\\U000e0001")])
def test_markdown_escapes_name_the_whole_code_point(engine, character, shown):
    request = AnalysisRequest(request_id=1, text_a=f"a{character}b")
    report = markdown_report(request, engine.analyze(request))
    assert f"- Sentence A: a{shown}b" in report


def test_csv_holds_the_replacement_character_for_lone_surrogates(broken):
    _, analysis = broken
    rows = list(csv.DictReader(io.StringIO(grid_csv(analysis))))
    assert rows[1]["token"] == "caf\ufffd \ufffd"
    ranked = list(csv.DictReader(io.StringIO(ranking_csv(analysis.ranking))))
    assert {r["candidate"] for r in ranked} == {"caf\ufffd \ufffd", "it was good."}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_can_be_written_as_utf8(broken, engine, tmp_path, fmt):
    request, analysis = broken
    path = tmp_path / f"out.{fmt}"
    path.write_text(render(fmt, request, analysis, engine.info), encoding="utf-8")
    assert path.read_bytes().decode("utf-8")


def test_json_export_holds_the_reference_numbers_under_the_documented_keys(engine, bert_dir):
    """Each key and value from transformers' own tokenizer and NSP model, not from bertui's objects."""
    import torch
    from transformers import AutoTokenizer, BertForNextSentencePrediction

    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    nsp_model = BertForNextSentencePrediction.from_pretrained(bert_dir).eval()
    text, pair, candidates = "the xy dog", "a cat.", ("it was good.", "the sky.")
    request = AnalysisRequest(request_id=1, text_a=text, text_b=pair, masked=(2, 3), top_k=2,
                              candidates=candidates)
    document = json.loads(to_json(request, engine.analyze(request)))
    encoded = tokenizer(text, pair, return_offsets_mapping=True)
    masked_ids = list(encoded["input_ids"])
    masked_ids[2:4] = [tokenizer.mask_token_id] * 2
    assert document["tokenize"] == {
        "tokens": tokenizer.convert_ids_to_tokens(masked_ids), "input_ids": masked_ids,
        "token_type_ids": encoded["token_type_ids"], "attention_mask": encoded["attention_mask"],
        "offsets": [list(span) for span in encoded["offset_mapping"]], "truncated": 0}
    (word,) = document["fill"]["words"]
    assert word["positions"] == [2, 3] and [set(p) for p in word["predictions"]] == [{"word", "score"}] * 2
    assert word["predictions"][0]["score"] >= word["predictions"][1]["score"] > 0
    with torch.no_grad():
        is_next = {c: nsp_model(**tokenizer(text, c, return_tensors="pt")).logits.softmax(-1)[0].tolist()
                   for c in candidates}
    with torch.no_grad():
        logits = nsp_model(input_ids=torch.tensor([masked_ids]),
                           token_type_ids=torch.tensor([encoded["token_type_ids"]])).logits
    pair = logits.softmax(-1)[0].tolist()
    assert list(document["next_sentence"].items()) == [("is_next", pytest.approx(pair[0], abs=1e-4)),
                                                      ("not_next", pytest.approx(pair[1], abs=1e-4))]
    ranking = document["nsp"]["ranking"]
    assert [entry["rank"] for entry in ranking] == [1, 2]
    assert [entry["candidate"] for entry in ranking] == sorted(candidates, key=lambda c: -is_next[c][0])
    for entry in ranking:
        assert set(entry) == {"rank", "candidate", "is_next", "not_next"}
        assert [entry["is_next"], entry["not_next"]] == pytest.approx(is_next[entry["candidate"]], abs=1e-4)


# -- layout: what a reader of each format relies on, written out here, not taken from the code --------
def test_dumps_indents_by_two_keeps_text_readable_and_escapes_what_acts_on_a_terminal():
    assert dumps({"é": [1]}) == '{\n  "é": [\n    1\n  ]\n}'
    assert dumps({"a": [1, "\x7f\x9b\xa0"]}, indent=None) == '{"a": [1, "\\u007f\\u009b\xa0"]}'


def test_csv_headers_and_lines_are_the_documented_ones(engine, bert_dir):
    from transformers import AutoTokenizer

    request = AnalysisRequest(request_id=1, text_a="the dog", candidates=("a cat.",))
    analysis = engine.analyze(request)
    lines = grid_csv(analysis).split("\n")
    assert lines[0] == "index,token,input_id,token_type_id,attention_mask,start,end"
    reference = AutoTokenizer.from_pretrained(bert_dir)("the dog", return_offsets_mapping=True)
    assert lines[2] == f"1,the,{reference['input_ids'][1]},0,1,0,3" and lines[-1] == ""
    assert ranking_csv(analysis.ranking).split("\n")[0] == "rank,candidate,is_next,not_next"


def test_the_markdown_report_has_every_section_in_order_with_its_table_header(engine, bert_dir):
    request = AnalysisRequest(request_id=1, text_a="the [MASK] ate my [MASK] .", text_b="it was good .",
                              top_k=2, beam=3, targets=("he",), joint=True, surprisal=True, alone=True,
                              candidates=("it was good.",))
    analysis = engine.analyze(request)
    report = markdown_report(request, analysis, engine.info)
    lines = report.split("\n")
    headings = [line for line in lines if line.startswith("#")]
    assert headings == ["# bertui report", "## Input", "## Tokens", "## Predictions for the mask at token 2",
                        "## Predictions for the mask at token 5", "## Target words at the mask at token 2",
                        "## Target words at the mask at token 5",
                        "## Together: joint fillings of the masks at tokens 2, 5 (beam 3)",
                        "## Sentence scores", "## Which sentence the model prefers (each scored alone)",
                        "## Next sentence", "## Candidate next sentences"]
    for i, line in enumerate(lines):
        if line.startswith("#"):
            assert lines[i + 1] == "" and (i == 0 or lines[i - 1] == ""), line
    assert lines[2].startswith("Model: ") and lines[3] == "" and report.endswith(" |\n")
    for header in ("| # | token | id | segment | mask |", "| token | score | sentence |",
                   "| target | pieces | probability | log-prob | rank | note |",
                   "| tokens | score (log-prob) | sentence |", "| variant | A | B | prefers | margin |",
                   "| rank | candidate | IsNext |"):
        columns = header.count("|") - 1
        assert f"\n\n{header}\n|{'---|' * columns}\n| " in report, header
    assert re.search(r"\n\| he \| 1 \| \d\.\d+(e-\d+)? \| -\d+\.\d{4} \| \d+ \|   \|\n", report)
    best = analysis.joint.fillings[0]
    assert f"\n| {best.tokens[0]} · {best.tokens[1]} | {best.score:.4f} | " in report
    assert re.search(r"\nIsNext 0\.\d{4}, NotNext 0\.\d{4}\n", report)


def test_the_markdown_model_line_names_the_model_and_says_demo_only_for_the_demo(engine, bert_dir):
    from transformers import BertForPreTraining

    reference = BertForPreTraining.from_pretrained(bert_dir)
    request = AnalysisRequest(request_id=1, text_a="the dog", text_b="")
    analysis = engine.analyze(request)
    layers = reference.config.num_hidden_layers
    expected = (f"Model: {engine.info.spec} (BertForPreTraining, {layers} layers, "
                f"{sum(p.numel() for p in reference.parameters()):,} parameters, cpu, float32)")
    plain = markdown_report(request, analysis, dataclasses.replace(engine.info, is_demo=False))
    assert plain.startswith(f"# bertui report\n\n{expected}\n\n## Input\n\n- Sentence A: the dog\n"
                            "- Sentence B:  \n\n## Tokens\n")
    demo = markdown_report(request, analysis, engine.info)
    assert demo.split("\n")[2] == expected + " — demo model, random predictions"
    assert "Model:" not in markdown_report(request, analysis)


def test_the_markdown_report_says_how_many_tokens_were_cut(engine):
    request = AnalysisRequest(request_id=1, text_a="the dog " * 100)  # 202 tokens; the model takes 128
    report = markdown_report(request, engine.analyze(request))
    assert "\n| 0 | \\[CLS\\] | " in report
    assert report.endswith("| 127 | \\[SEP\\] | 102 | 0 | 1 |\n\n"
                           "74 tokens were cut at the model's maximum length.\n")


@pytest.mark.parametrize(("character", "shown"), [("\uffff", "\\uffff"), ("X", "X")])
def test_markdown_escapes_only_what_needs_it(engine, character, shown):
    request = AnalysisRequest(request_id=1, text_a=f"a{character}b")
    assert f"- Sentence A: a{shown}b\n" in markdown_report(request, engine.analyze(request))


def test_render_passes_the_model_on_and_says_why_it_cannot(broken, engine):
    request, analysis = broken
    assert json.loads(render("json", request, analysis, engine.info))["info"]["architecture"] == (
        "BertForPreTraining")
    document = json.loads(render("json", request, analysis, engine.info))
    assert document["provenance"]["model"] == engine.info.spec
    assert render("md", request, analysis, engine.info).split("\n")[2].startswith("Model: ")
    no_head = "This model has no next-sentence head: there is no leaderboard to export."
    with pytest.raises(ValueError, match=f"^{re.escape(no_head)}$"):
        render("ranking.csv", request, dataclasses.replace(analysis, ranking=None))
    with pytest.raises(ValueError, match=r"^No candidates: the leaderboard is empty\.$"):
        render("ranking.csv", request, dataclasses.replace(analysis, ranking=()))
    with pytest.raises(ValueError, match=r"^unknown format 'txt'; one of json, md, csv, ranking.csv$"):
        render("txt", request, analysis)


def test_a_text_without_a_pair_has_no_next_sentence_in_its_json(engine):
    request = AnalysisRequest(request_id=1, text_a="the [MASK] dog.")
    document = json.loads(to_json(request, engine.analyze(request)))
    assert "next_sentence" not in document and "provenance" not in document


@pytest.mark.parametrize(("path", "current", "expected"), [
    ("out.json", "md", "json"), ("OUT.MD", "json", "md"), ("notes.markdown", "json", "md"),
    ("out.csv", "json", "csv"), ("out.csv", "ranking.csv", "ranking.csv"), ("out.csv", "csv", "csv"),
    ("out.ranking.csv", "csv", "ranking.csv"), ("out.ranking.csv", "json", "ranking.csv"),
    ("out.txt", "md", "md"), ("json", "csv", "csv"), ("out.xmd", "json", "json")])
def test_the_file_ending_chooses_the_format(path, current, expected):
    assert format_for(path, current) == expected
    if current == "json":
        assert format_for(path) == expected
