"""The hostile-input battery: every case of tests/hostile_cases.py through the engine, the command line
(in process for the whole table, as a subprocess for a subset) and the app (a subset, via pilot).

What must hold is computed independently: token ids are the tokenizer's own call on the same text, masks
are where the person wrote them, text comes back literally, and nothing that acts on a terminal is drawn.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from bertui.cli import main as cli_main
from bertui.engine import AnalysisRequest, InputError
from bertui.headless.export import to_json
from tests.hostile_cases import CASES, ESC_CODES, MARKUP, Case
from tests.in_process import bertui as in_process

BERTUI = Path(sys.executable).parent / "bertui"
TERMINAL_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # newline is JSON's own indentation
MASK_SPELLINGS = re.compile(r"\[mask\]|<mask>", re.IGNORECASE)


def as_model_reads(text: str) -> str:
    """The text as bertui must hand it to the tokenizer: masks in the model's spelling, no lone surrogates."""
    text = MASK_SPELLINGS.sub("[MASK]", text)
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


@pytest.fixture(scope="module")
def tokenizer(bert_dir):
    return AutoTokenizer.from_pretrained(bert_dir)


def request_of(case: Case) -> AnalysisRequest:
    return AnalysisRequest(request_id=1, text_a=case.text_a, text_b=case.text_b, top_k=case.top_k,
                           candidates=case.candidates)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_engine_answers_every_case(engine, tokenizer, case):
    request = request_of(case)
    analysis = engine.analyze(request)
    a = as_model_reads(case.text_a)
    b = None if case.text_b is None else as_model_reads(case.text_b)
    full = tokenizer(a, b)["input_ids"]
    kept = tokenizer(a, b, truncation=True, max_length=engine.info.max_length)["input_ids"]
    encoding = analysis.encoding
    assert list(encoding.input_ids) == kept
    assert encoding.truncated == len(full) - len(kept)
    assert (f"{encoding.truncated} tokens cut" in " ".join(analysis.notes)) == bool(encoding.truncated)
    masks = [i for i, token_id in enumerate(kept) if token_id == tokenizer.mask_token_id]
    assert [mask.position for mask in analysis.masks] == masks
    k = min(case.top_k, engine.info.vocab_size)
    for mask in analysis.masks:
        scores = [p.score for p in mask.predictions]
        assert len(scores) == k and scores == sorted(scores, reverse=True)
    ranking = analysis.ranking
    assert len(ranking) == len(case.candidates)
    assert sorted(entry.index for entry in ranking) == list(range(len(case.candidates)))
    assert all(entry.candidate == case.candidates[entry.index] for entry in ranking)  # literally as given
    by_text: dict[str, float] = {}
    for entry in ranking:  # duplicates score alike, whatever batch they fell in
        assert entry.is_next == pytest.approx(by_text.setdefault(entry.candidate, entry.is_next), abs=1e-5)

    exported = to_json(request, analysis, engine.info)
    assert not TERMINAL_CONTROLS.search(exported)
    document = json.loads(exported)
    assert document["text_a"] == case.text_a and document["text_b"] == case.text_b
    if ranking:
        assert [r["candidate"] for r in document["nsp"]["ranking"]] == [r.candidate for r in ranking]


@pytest.mark.parametrize("top_k", [0, -1, -(10**9)])
def test_engine_refuses_k_below_one(engine, top_k):
    with pytest.raises(InputError, match="top-k must be at least 1"):
        engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] .", top_k=top_k))


def test_a_megabyte_is_truncated_with_the_count(engine, tokenizer):
    text = "the dog [MASK] " * 70_000  # 1.05 MB
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text))
    assert len(text) > 1_000_000
    assert len(analysis.encoding.input_ids) == engine.info.max_length
    assert analysis.encoding.truncated == len(tokenizer(text)["input_ids"]) - engine.info.max_length


# -- the command line, in process: the whole table --------------------------------------------------
@pytest.mark.parametrize("case", [c for c in CASES if c.text_b is None and not c.candidates],
                         ids=[c.name for c in CASES if c.text_b is None and not c.candidates])
def test_cli_fill_and_tokenize_every_case(bert_dir, engine, capsys, case):
    expected = engine.analyze(request_of(case))
    k = str(min(case.top_k, 10_000))
    code = cli_main(["fill", case.text_a, "-k", k, "-m", str(bert_dir)])
    out, err = capsys.readouterr()
    if expected.masks:
        assert code == 0, err
        assert not TERMINAL_CONTROLS.search(out)
        masks = json.loads(out)["masks"]
        assert [m["position"] for m in masks] == [m.position for m in expected.masks]
    else:
        assert code == 2 and "no mask in the text" in err and out == ""
    assert cli_main(["tokenize", case.text_a, "-m", str(bert_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["truncated"] == expected.encoding.truncated


@pytest.mark.parametrize("case", [c for c in CASES if c.candidates],
                         ids=[c.name for c in CASES if c.candidates])
def test_cli_nsp_every_candidate_list(bert_dir, engine, capsys, case):
    code = cli_main(["nsp", case.text_a, *case.candidates, "-m", str(bert_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert not TERMINAL_CONTROLS.search(out)
    ranking = json.loads(out)["ranking"]
    # As given, except bytes that were never text (a lone surrogate) which are read as U+FFFD.
    expected = ["".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in c) for c in case.candidates]
    assert sorted(r["candidate"] for r in ranking) == sorted(expected)


# -- the command line, as a subprocess: what only a real process shows ------------------------------
def run(*args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run([str(BERTUI), *args], input=stdin, capture_output=True, env=env, timeout=180)


@pytest.mark.parametrize("where", ["argument", "stdin"])
def test_cli_subprocess_hostile_text_never_reaches_the_terminal_raw(bert_dir, where):
    hostile = (ESC_CODES + " " + MARKUP).encode() + b" caf\xe9 \xff"  # Latin-1 bytes: not UTF-8
    if where == "argument":
        done = run(b"fill", hostile.replace(b"\x00", b""), b"-m", str(bert_dir).encode())  # argv holds no NUL
    else:
        done = run("fill", "-", "-m", str(bert_dir), stdin=hostile)
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout and b"\xc2\x9b" not in done.stdout and b"Traceback" not in done.stderr
    masks = json.loads(done.stdout)["masks"]
    # WordPiece spacing:
    assert len(masks) == 2 and "[ bold ] x [ / ]" in masks[0]["predictions"][0]["sequence"]


# -- the command line in this process (tests/in_process.py): the same main(), without torch's import each time
def test_cli_empty_and_whitespace_input(bert_dir):
    for stdin in (b"", b"  \n\n\t\n"):
        done = in_process("fill", "-", "-m", str(bert_dir), stdin=stdin)
        assert done.returncode == 2 and "no mask in the text" in done.stderr and done.stdout == ""


def test_cli_thousand_duplicate_candidates_from_a_file(bert_dir, tmp_path):
    listing = tmp_path / "candidates.txt"
    listing.write_text("\n".join(["it was good ."] * 500 + [f"candidate {i} ." for i in range(500)]))
    done = in_process("nsp", "the dog .", "--candidates-file", str(listing), "-m", str(bert_dir))
    assert done.returncode == 0, done.stderr
    ranking = json.loads(done.stdout)["ranking"]
    assert len(ranking) == 1000 and [r["rank"] for r in ranking] == list(range(1, 1001))
    assert len({r["is_next"] for r in ranking if r["candidate"] == "it was good ."}) <= 2  # batch rounding


@pytest.mark.parametrize(("args", "code", "message"), [
    (("fill", "a [MASK]", "--top-k", "-1"), 2, "must be at least 1"),
    (("fill", "a [MASK]", "--top-k", "many"), 2, "not a whole number"),
    (("info", "--device", "quantum"), 1, "unknown device"),
    (("info", "--device", "cuda:0"), 1, "no CUDA GPU"),
])
def test_cli_bad_options(bert_dir, args, code, message):
    if "cuda" in " ".join(args):
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    done = in_process(*args, "-m", str(bert_dir))
    assert done.returncode == code and message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_cli_top_k_past_the_vocabulary_gives_the_whole_vocabulary(bert_dir, engine, capsys):
    assert cli_main(["fill", "the [MASK] .", "-k", str(10**9), "-m", str(bert_dir)]) == 0
    predictions = json.loads(capsys.readouterr().out)["masks"][0]["predictions"]
    assert len(predictions) == engine.info.vocab_size


def test_the_battery_is_big_enough():
    """The app's share of the battery is in tests/ui/test_hostile_app.py, beside the tiny-model fixtures."""
    assert len(CASES) >= 40
