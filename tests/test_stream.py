"""Streams (--file), resume after a kill, torchrun with 2 CPU processes, provenance and replay."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bertui.cli import main
from bertui.engine.results import AnalysisRequest
from bertui.headless.documents import fill_one, score_one
from bertui.headless.provenance import provenance, weights_sha256
from tests.in_process import bertui as in_process

BERTUI = Path(sys.executable).parent / "bertui"
ROOT = Path(__file__).resolve().parents[1]
WORDS = "the dog cat ate my pizza in paris it was very good bad".split()


def _env() -> dict:
    return dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


def _lines(n: int) -> list[str]:
    """Sentences of varied length with one mask each, and some JSON lines with ids and targets."""
    out = []
    for i in range(n):
        words = [WORDS[(i * 7 + j) % len(WORDS)] for j in range(3 + i % 9)]
        words[i % len(words)] = "[MASK]"
        text = " ".join(words)
        out.append(json.dumps({"id": f"s{i}", "text": text, "targets": ["dog"]}) if i % 5 == 0 else text)
    return out


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- batching across inputs -----------------------------------------------------------------------
def test_batched_answers_equal_one_at_a_time(engine):
    texts = ["the [MASK] ate my pizza .", "a [MASK] dog", "it was a very [MASK] day in paris ."]
    requests = [AnalysisRequest(request_id=0, text_a=t, top_k=3) for t in texts]
    batched = engine.analyze_many(requests, rank=False)
    for text, analysis in zip(texts, batched):
        alone = engine.analyze(AnalysisRequest(request_id=0, text_a=text, top_k=3), rank=False)
        for a, b in zip(analysis.masks, alone.masks):
            assert [p.token for p in a.predictions] == [p.token for p in b.predictions]
            expected = [p.score for p in b.predictions]
            assert [p.score for p in a.predictions] == pytest.approx(expected, abs=1e-5)
    for text, (_, scored) in zip(texts, engine.score_many([(t, None) for t in texts])):
        assert scored.pseudo_log_likelihood == pytest.approx(score_one(engine, text)["pll"], abs=1e-4)
    lists = [("the dog ate .", ["it was good .", "paris ."]), ("a cat", ["my pizza", "the sky", "it"])]
    for (first, candidates), ranking in zip(lists, engine.rank_many(lists)):
        alone = engine.rank(first, candidates)
        assert [r.index for r in ranking] == [r.index for r in alone]
        assert [r.is_next for r in ranking] == pytest.approx([r.is_next for r in alone], abs=1e-5)


def test_a_stream_answers_every_line_in_order_and_says_which_failed(bert_dir, engine, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(["the [MASK] ate my pizza .", '{"id": "b", "text": "a [MASK] dog"}',
                                 "no mask", "", "not {json", '{"text": 3}', "x " * 300 + "[MASK]"]) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["fill", "--file", str(source), "--out", str(out), "-m", str(bert_dir), "-k", "3",
                 "--window", "2"]) == 3
    head, *records = _records(out)
    assert head["command"] == "fill" and head["provenance"]["model"] == str(bert_dir)
    assert [r["line"] for r in records] == [1, 2, 3, 5, 6, 7]  # the blank line 4 has no record
    assert [r["id"] for r in records] == [1, "b", 3, 5, 6, 7]
    (alone,) = fill_one(engine, "the [MASK] ate my pizza .", top_k=3)["masks"]
    (streamed,) = records[0]["masks"]
    assert [p["token"] for p in streamed["predictions"]] == [p["token"] for p in alone["predictions"]]
    assert [p["score"] for p in streamed["predictions"]] == \
        pytest.approx([p["score"] for p in alone["predictions"]], abs=1e-5)
    assert "no mask" in records[2]["error"] and "no mask" in records[3]["error"]
    assert "no text" in records[4]["error"] and "too long" in records[5]["error"]
    assert not (tmp_path / "out.jsonl.part").exists()


def test_every_command_streams_from_standard_input_without_progress_off_a_terminal(bert_dir):
    for command, extra in [("tokenize", []), ("score", []), ("nsp", ["it was good .", "paris ."])]:
        done = in_process(command, "--file", "-", "-m", str(bert_dir), *extra,
                          stdin="the dog ate .\n{\"id\": 9, \"text\": \"a cat\"}\n")
        assert done.returncode == 0 and done.stderr == "", done.stderr
        head, *records = [json.loads(line) for line in done.stdout.splitlines()]
        assert head["command"] == command and [r["id"] for r in records] == [1, 9]


# -- resume after a kill ----------------------------------------------------------------------------
def test_a_killed_run_resumes_to_the_same_bytes_as_an_uninterrupted_one(bert_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(_lines(1500)) + "\n")
    args = ["fill", "--file", str(source), "-m", str(bert_dir), "--window", "8", "-k", "2"]
    whole = tmp_path / "whole.jsonl"
    subprocess.run([str(BERTUI), *args, "--out", str(whole)], env=_env(), timeout=600, check=False)
    cut = tmp_path / "cut.jsonl"
    running = subprocess.Popen([str(BERTUI), *args, "--out", str(cut)], env=_env())
    part = tmp_path / "cut.jsonl.part"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not part.exists() or part.stat().st_size < 20_000):
        time.sleep(0.05)
    running.send_signal(signal.SIGKILL)
    running.wait()
    assert part.exists() and not cut.exists(), "the run ended before it could be killed"
    kept = part.read_bytes()
    resumed = subprocess.run([str(BERTUI), *args, "--out", str(cut), "--resume"], env=_env(), timeout=600)
    assert resumed.returncode == 0
    assert cut.read_bytes() == whole.read_bytes()
    assert len(kept) < len(whole.read_bytes())
    assert [r["line"] for r in _records(cut)[1:]] == list(range(1, 1501))  # none redone twice, none lost


# -- torchrun ---------------------------------------------------------------------------------------
def test_torchrun_with_two_processes_writes_the_bytes_one_process_writes(bert_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(_lines(60)) + "\nno mask here\n")
    args = ["score", "--file", str(source), "-m", str(bert_dir), "--window", "7"]
    one = tmp_path / "one.jsonl"
    assert subprocess.run([str(BERTUI), *args, "--out", str(one)], env=_env(), timeout=300).returncode == 0
    two = tmp_path / "two.jsonl"
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                           "--standalone", "-m", "bertui", *args, "--out", str(two)],
                          env=_env(), timeout=300, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert two.read_bytes() == one.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "one.jsonl", "two.jsonl"]


# -- provenance -------------------------------------------------------------------------------------
def test_provenance_names_the_hub_revision_of_a_cached_snapshot(engine, bert_dir, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))  # read at each lookup
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--org--tiny"
    shutil.copytree(bert_dir, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    found = provenance(dataclasses.replace(engine.info, spec="org/tiny", name_or_path="org/tiny"))
    assert found["revision"] == revision and found["path"] == str((repo / "snapshots" / revision).resolve())
    made = provenance(engine.info)
    assert found["weights"] == made["weights"] and made["revision"] is None
    assert set(found) == {"bertui", "torch", "transformers", "tokenizers", "model", "path", "revision",
                          "weights", "device", "dtype"}


def test_weight_digests_are_computed_once_and_again_when_the_file_changes(bert_dir, tmp_path, monkeypatch):
    from bertui.headless import provenance as module

    folder = tmp_path / "model"
    shutil.copytree(bert_dir, folder)
    hashed = []
    real = module._sha256
    monkeypatch.setattr(module, "_sha256", lambda path: hashed.append(path) or real(path))
    first = weights_sha256(folder, tmp_path / "cache")
    assert weights_sha256(folder, tmp_path / "cache") == first and len(hashed) == 1
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes() + b" ")
    assert weights_sha256(folder, tmp_path / "cache") != first and len(hashed) == 2


# -- replay -----------------------------------------------------------------------------------------
def _perturb(folder: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / "model.safetensors")
    save_file({name: tensor + 0.05 for name, tensor in tensors.items()}, folder / "model.safetensors",
              metadata={"format": "pt"})


def test_replay_passes_on_an_untouched_stream_and_fails_when_a_weight_file_changes(bert_dir, tmp_path,
                                                                                  capsys):
    folder = tmp_path / "model"
    shutil.copytree(bert_dir, folder)
    source = tmp_path / "in.txt"
    source.write_text("\n".join(_lines(12)) + "\nno mask\n")
    out = tmp_path / "out.jsonl"
    assert main(["fill", "--file", str(source), "--out", str(out), "-m", str(folder), "--window", "5"]) == 3
    capsys.readouterr()
    assert main(["replay", str(out)]) == 0
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["match"] for r in reports[:-1]) and reports[-1]["summary"]["records"] == 13
    _perturb(folder)
    assert main(["replay", str(out)]) == 4  # a mismatch: its own code (README), not 1
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert reports[-1]["summary"]["mismatched"] == 12
    assert "weights" in reports[-1]["summary"]["provenance_differs"] and reports[0]["differences"]
    assert main(["replay", str(out), "--model", str(tmp_path / "gone")]) == 1  # the model can't load


def test_replay_passes_on_an_untouched_export_and_fails_when_a_weight_file_changes(bert_dir, tmp_path,
                                                                                  capsys):
    from bertui.engine.inference import Engine
    from bertui.headless.export import to_json

    folder = tmp_path / "model"
    shutil.copytree(bert_dir, folder)
    engine = Engine.load(str(folder), device="cpu")
    request = AnalysisRequest(request_id=0, text_a="the [MASK] ate my pizza .", text_b="it was good .",
                              top_k=4, candidates=("it was good .", "paris ."), surprisal=True)
    export = tmp_path / "export.json"
    export.write_text(to_json(request, engine.analyze(request), engine.info), encoding="utf-8")
    assert "provenance" in json.loads(export.read_text())
    assert main(["replay", str(export)]) == 0
    _perturb(folder)
    capsys.readouterr()
    assert main(["replay", str(export)]) == 4
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    assert summary["mismatched"] == 1 and "weights" in summary["provenance_differs"]
