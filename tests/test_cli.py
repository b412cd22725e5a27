"""The command line: JSON on stdout, one-line errors on stderr. Through ``main`` in this process
(tests/in_process.py), and the real console script and ``python -m bertui`` in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bertui.headless.documents import fill_request
from tests.in_process import bertui as run

BERTUI = Path(sys.executable).parent / "bertui"


def offline() -> dict[str, str]:
    """The environment a subprocess gets: the session's isolated caches (set by conftest), no hub."""
    return dict(os.environ, HF_HUB_OFFLINE="1")


def ok_json(*args: str, stdin: str = ""):
    done = run(*args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_tokenize_prints_the_encoding(bert_dir, engine):
    out = ok_json("tokenize", "the [MASK] dog", "--pair", "a cat", "--model", str(bert_dir))
    assert out.pop("provenance")["model"] == str(bert_dir)
    assert set(out) == {"tokens", "input_ids", "token_type_ids", "attention_mask", "offsets", "truncated"}
    assert out == engine.encode("the [MASK] dog", "a cat").to_json()


def test_fill_prints_the_pipeline_keys(bert_dir, engine):
    out = ok_json("--model", str(bert_dir), "fill", "the [MASK] ate my [MASK].", "--top-k", "3")
    expected = engine.analyze(fill_request("the [MASK] ate my [MASK].", top_k=3)).masks
    assert [m["position"] for m in out["masks"]] == [m.position for m in expected]
    first = out["masks"][0]["predictions"][0]
    assert set(first) == {"score", "token", "token_str", "sequence"}
    assert [p["token"] for p in out["masks"][1]["predictions"]] == [p.token for p in expected[1].predictions]


def test_fill_reads_standard_input(bert_dir):
    out = ok_json("fill", "-", "-m", str(bert_dir), stdin="the [MASK] dog\n")
    assert len(out["masks"]) == 1


def test_nsp_ranks_candidates_from_arguments_and_a_file(bert_dir, engine, tmp_path):
    listing = tmp_path / "candidates.txt"
    listing.write_text("paris is big.\n\nthe sky is blue.\n")
    out = ok_json("nsp", "the dog ate my pizza.", "it was good.", "--candidates-file", str(listing),
                  "-m", str(bert_dir))
    assert out["first"] == "the dog ate my pizza."
    assert [r["rank"] for r in out["ranking"]] == [1, 2, 3]
    expected = engine.rank("the dog ate my pizza.", ["it was good.", "paris is big.", "the sky is blue."])
    assert [r["candidate"] for r in out["ranking"]] == [r.candidate for r in expected]
    assert set(out["ranking"][0]) == {"rank", "candidate", "is_next", "not_next"}


def test_info_describes_the_model(bert_dir):
    out = ok_json("info", "-m", str(bert_dir))
    assert out["architecture"] == "BertForPreTraining" and out["has_nsp_head"] is True
    assert out["layers"] == 2 and out["device"] == "cpu" and out["dtype"] == "float32"


def test_the_console_script_answers(bert_dir):
    done = subprocess.run([str(BERTUI), "fill", "-", "-m", str(bert_dir)], input="the [MASK] dog\n",
                          capture_output=True, text=True, env=offline(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["masks"]) == 1


def test_python_dash_m_says_an_error_in_one_line(bert_dir):
    done = subprocess.run([sys.executable, "-m", "bertui", "fill", "no mask here", "-m", str(bert_dir)],
                          capture_output=True, text=True, env=offline(), timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("bertui: no mask in the text")
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_user_text_is_data_in_json(bert_dir):
    out = ok_json("tokenize", "[bold]x[/] \x1b[31m", "-m", str(bert_dir))
    assert "[" in out["tokens"] and "\x1b" not in json.dumps(out, ensure_ascii=False)


@pytest.mark.parametrize(("args", "code", "message"), [
    (("fill", "no mask here"), 2, "no mask in the text"),
    (("nsp", "only a first sentence"), 2, "no candidates"),
    (("fill", "x [MASK]", "-m", "/no/such/folder"), 1, "no model folder"),
    (("info", "-m", "bert-base-uncased"), 1, "not in the Hugging Face cache"),
    (("info", "--device", "tpu"), 1, "unknown device"),
    (("fill", "x [MASK]", "--top-k", "0"), 2, "must be at least 1"),
    (("nsp", "a", "--candidates-file", "/no/such/file"), 2, "cannot read candidates"),
])
def test_errors_are_one_line_with_an_exit_status(bert_dir, args, code, message):
    if "-m" not in args:
        args = (*args, "-m", str(bert_dir))
    done = run(*args)
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("inputs", [("a", "b"), ("--file", "-", "b")], ids=["arguments", "stream"])
def test_nsp_on_a_model_without_the_head_says_so(bert_mlm_only_dir, inputs):
    done = run("nsp", *inputs, "-m", str(bert_mlm_only_dir), stdin="a first sentence\n")
    assert done.returncode == 2 and "no next-sentence head" in done.stderr
    assert "Traceback" not in done.stderr


def test_compare_option_reaches_the_app_and_serve(monkeypatch):
    """In-process: the app itself is replaced by a recorder."""
    import shlex

    import bertui.ui.app as app_module
    from bertui.cli import main
    from bertui.web.entry import app_command

    seen = {}
    monkeypatch.setattr(app_module, "run_app", lambda **options: seen.update(options) or 0)
    assert main(["--model", "demo", "--compare", "other model"]) == 0
    assert seen["model"] == "demo" and seen["compare"] == "other model"
    command = shlex.split(app_command("demo", "cpu", "float32", 5, compare="other model"))
    assert command[-2:] == ["--compare", "other model"]
    assert "--compare" not in app_command("demo", "cpu", "float32", 5)


# Runs the real main() with a model load that visibly starts and then never ends on its own. SIGINT is set
# back to Python's own handler first, as in a terminal: a test run started in the background of a
# non-interactive shell ignores SIGINT, and a child inherits that (Python then never raises
# KeyboardInterrupt).
SLOW_LOAD = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
from bertui.engine import inference
real = inference.load_model
def slow(*args, **kwargs):
    print("load started", flush=True)
    time.sleep(600)
    return real(*args, **kwargs)
inference.load_model = slow
from bertui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", [["info"], ["fill", "the [MASK] dog"]])
def test_ctrl_c_during_a_model_load_ends_with_status_130(bert_dir, command):
    import signal

    with subprocess.Popen([sys.executable, "-c", SLOW_LOAD, *command, "-m", str(bert_dir)], env=offline(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout.readline() == "load started\n"  # only then: the load is under way
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=60)
        finally:
            child.kill()
    assert child.returncode == 130, err
    assert out == "" and "Traceback" not in err
