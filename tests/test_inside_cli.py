"""``bertui lens | explain | near``: one text, --file streams, --out/--resume, provenance and replay."""

from __future__ import annotations

import json
import shutil

import pytest

from bertui.headless.replay import EXIT_MISMATCH
from tests.in_process import bertui
from tests.test_stream import _perturb

LINES = ["the [MASK] ate my pizza .", json.dumps({"id": "j", "text": "a [MASK] dog", "targets": ["big"]}),
         "no mask here", "it was a very [MASK] day in [MASK] ."]


def answer(*args: str) -> dict:
    done = bertui(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_lens_last_layer_is_what_fill_says(bert_dir):
    text = "the [MASK] ate my pizza ."
    lens = answer("lens", text, "-m", str(bert_dir), "-k", "3", "--targets", "dog,cat")
    fill = answer("fill", text, "-m", str(bert_dir), "-k", "3")
    (mask,) = lens["masks"]
    last = mask["layers"][-1]
    assert [c["token"] for c in last["top"]] == [p["token"] for p in fill["masks"][0]["predictions"]]
    assert [c["probability"] for c in last["top"]] == pytest.approx(
        [p["score"] for p in fill["masks"][0]["predictions"]], abs=1e-5)
    assert [t["target"] for t in last["targets"]] == ["dog", "cat"]
    assert len(mask["layers"]) == lens["layers"] + 1 and lens["provenance"]["model"] == str(bert_dir)


def test_explain_reports_its_method_contrast_delta_and_words(bert_dir):
    text = "the skyscraperish [MASK] is blue ."
    document = answer("explain", text, "-m", str(bert_dir), "--method", "ig", "--steps", "8",
                      "--contrast", "sky", "--words")
    (mask,) = document["masks"]
    assert (mask["method"], mask["steps"], mask["contrast"]["token_str"]) == ("ig", 8, "sky")
    assert mask["delta"] == pytest.approx(sum(mask["scores"]) - (mask["value"] - mask["baseline_value"]),
                                          abs=1e-4)
    assert [w["word"] for w in mask["words"]][:2] == ["the", "skyscraperish"]
    plain = answer("explain", text, "-m", str(bert_dir))["masks"][0]
    assert plain["method"] == "grad-input" and "words" not in plain and "delta" not in plain


def test_near_reads_the_layer_asked_and_refuses_one_the_model_lacks(bert_dir):
    document = answer("near", "the dog", "-m", str(bert_dir), "--layer", "0", "-k", "4")
    assert document["layer"] == 0 and [t["token"] for t in document["near"]] == ["the", "dog"]
    assert all(len(t["table"]) == len(t["context"]) == 4 for t in document["near"])
    done = bertui("near", "the dog", "-m", str(bert_dir), "--layer", "9")
    assert done.returncode == 2 and "no layer 9" in done.stderr
    done = bertui("lens", "no mask", "-m", str(bert_dir))
    assert done.returncode == 2 and "no mask" in done.stderr


@pytest.mark.parametrize("command", [["lens", "-k", "2", "--targets", "dog"],
                                     ["explain", "--method", "grad-norm"],
                                     ["near", "--layer", "1", "-k", "3"]])
def test_a_stream_answers_every_line_as_the_single_command_does(bert_dir, tmp_path, command):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    done = bertui(*command, "--file", str(source), "-m", str(bert_dir))
    head, *records = [json.loads(line) for line in done.stdout.splitlines()]
    assert head["command"] == command[0] and "provenance" in head
    assert [r["id"] for r in records] == [1, "j", 3, 4]
    for line, record in zip(LINES, records):
        text = json.loads(line)["text"] if line.startswith("{") else line
        single = bertui(*command, text, "-m", str(bert_dir))
        if "error" in record:
            assert command[0] != "near" and single.returncode == 2 and record["error"] in single.stderr
            continue
        expected = json.loads(single.stdout)
        expected.pop("provenance")
        if command[0] == "lens" and line.startswith("{"):  # a JSON line's own targets win
            assert [t["target"] for t in record["masks"][0]["layers"][0]["targets"]] == ["big"]
            continue
        assert {key: record[key] for key in expected} == expected
    assert done.returncode == (0 if command[0] == "near" else 3)


def test_an_interrupted_explain_stream_resumes_to_the_same_bytes(bert_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(LINES * 3) + "\n", encoding="utf-8")
    whole = tmp_path / "whole.jsonl"
    args = ["explain", "--method", "ig", "--steps", "4", "--file", str(source), "-m", str(bert_dir),
            "--window", "3"]
    bertui(*args, "--out", str(whole))
    cut = tmp_path / "cut.jsonl"
    data = whole.read_bytes()
    (tmp_path / "cut.jsonl.part").write_bytes(data[:len(data) * 2 // 3])  # killed mid-record
    assert bertui(*args, "--out", str(cut), "--resume").returncode == 3
    assert cut.read_bytes() == data


def test_replay_of_a_lens_stream_matches_until_the_weights_change(bert_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(bert_dir, folder)
    source = tmp_path / "in.txt"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    bertui("lens", "--targets", "dog", "--file", str(source), "--out", str(out), "-m", str(folder))
    replayed = bertui("replay", str(out))
    assert replayed.returncode == 0, replayed.stdout
    _perturb(folder)
    replayed = bertui("replay", str(out))
    summary = json.loads(replayed.stdout.splitlines()[-1])["summary"]
    assert replayed.returncode == EXIT_MISMATCH and summary["mismatched"] == 3
    assert "weights" in summary["provenance_differs"]
