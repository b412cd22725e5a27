"""The Python API (bertui/api/): each answer's ``to_dict()`` is the command line's JSON document for the
same input, a list is answered in batched passes, and the tables (pandas, Jupyter, Rich) keep outside text
inert."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bertui
from bertui.errors import InputError
from tests.in_process import bertui as run


@pytest.fixture(scope="module")
def model(engine):
    return bertui.Model(engine)


def cli(*args: str) -> tuple[dict, dict]:
    """(the document without its provenance, the provenance) that ``bertui ARGS`` prints."""
    done = run(*args)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    return document, document.pop("provenance")


def close(a, b, path="") -> None:
    """Equal key by key; numbers to 1e-5 (a list pads its texts together: float sums in another order)."""
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, abs=1e-5), path
    else:
        assert a == b, path


def test_fill_is_the_fill_command(model, bert_dir):
    text = "the [MASK] ate my [MASK]."
    document, provenance = cli("fill", text, "--targets", "dog,cat", "--top-k", "3", "-m", str(bert_dir))
    filled = model.fill(text, top_k=3, targets=["dog", "cat"])
    assert set(document) == {"masks", "targets", "joint"}
    assert filled.to_dict() == document
    assert model.provenance() == provenance


def test_score_is_the_score_command(model, bert_dir):
    sentences = ["the keys are here.", "the keys is here.", "a much longer sentence about the dog."]
    document, _ = cli("score", *sentences, "-m", str(bert_dir))
    scored = model.score(sentences)
    close(document["sentences"], scored.to_dict())
    assert [s.pll for s in scored] == [s["pll"] for s in scored.to_dict()]


def test_nsp_tokenize_and_info_are_their_commands(model, bert_dir):
    candidates = ["it was good.", "the sky is blue."]
    document, _ = cli("nsp", "the dog ate my pizza.", *candidates, "-m", str(bert_dir))
    assert model.nsp("the dog ate my pizza.", candidates).to_dict() == document
    document, _ = cli("tokenize", "the [MASK] dog", "--pair", "a cat", "-m", str(bert_dir))
    assert model.tokenize("the [MASK] dog", pair="a cat").to_dict() == document
    document, _ = cli("info", "-m", str(bert_dir))
    info = model.info.to_dict()
    assert list(info) == list(document)
    assert {**info, "load_seconds": None} == {**document, "load_seconds": None}  # another load, its own time
    assert model.info.parameters == document["parameters"]


def test_a_list_is_answered_in_one_batched_pass_and_in_its_order(model, engine):
    texts = ["the [MASK] dog.", "a very long [MASK] about the cat and the dog and the pizza.", "[MASK] it."]
    alone = [model.fill(text) for text in texts]
    before = engine.passes
    together = model.fill(texts)
    assert engine.passes - before == 1
    assert isinstance(together, bertui.Results) and len(together) == 3
    close([answer.to_dict() for answer in alone], together.to_dict())
    firsts, candidates = ["the dog ate.", "a cat sat."], ["it was good.", "the sky is blue."]
    close([model.nsp(first, candidates).to_dict() for first in firsts],
          model.nsp(firsts, candidates).to_dict())


def test_pairs_go_one_per_text_or_one_for_all(model):
    assert [s.pair for s in model.score(["a dog.", "a cat."], pair="it ran.")] == ["it ran.", "it ran."]
    assert [s.pair for s in model.score(["a dog.", "a cat."], pair=["it ran.", None])] == ["it ran.", None]
    with pytest.raises(InputError, match="2 pairs for 3 texts"):
        model.score(["a", "b", "c"], pair=["x", "y"])


def test_a_text_without_a_mask_is_named(model):
    with pytest.raises(InputError, match=r"text 2 of 2: no mask in the text: write \[MASK\]"):
        model.fill(["the [MASK] dog.", "no mask here."])
    with pytest.raises(InputError, match="no candidates"):
        model.nsp("the dog.", [])


def test_to_pandas_has_every_row(model):
    filled = model.fill(["the [MASK] dog.", "a [MASK] cat."], top_k=4, targets=["dog"])
    frame = filled.to_pandas()
    assert len(frame) == 2 * (4 + 1)
    predictions = frame[frame["kind"] == "prediction"]
    first = filled[0].analysis.masks[0].predictions[0]
    assert predictions.iloc[0]["token"] == first.token_str
    assert predictions.iloc[0]["log_prob"] == pytest.approx(math.log(first.score))
    scores = model.score(["a dog.", "the cat sat on the mat."]).to_pandas()
    assert list(scores["n_tokens"]) == [3, 7]


def test_to_pandas_without_pandas_names_the_extra(model, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'bertui\[pandas\]'"):
        model.score("a dog.").to_pandas()


HOSTILE = "<b>[bold]x[/bold]\x1b[2J</b> [MASK]."


def test_jupyter_table_escapes_outside_text(model):
    page = model.fill(HOSTILE, top_k=2)._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + 2
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert "\x1b" not in page and "\\x1b" in page  # shown as Python shows it


def test_rich_table_draws_no_markup_and_no_escape(model):
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(model.score([HOSTILE.replace(" [MASK]", ""), "a dog."]))
    console.print(model.score(HOSTILE))
    drawn = console.file.getvalue()
    assert "[bold]x[/bold]" in drawn and "\x1b" not in drawn
    assert "pll" in drawn and "surprisal_bits" in drawn


def test_import_bertui_imports_no_torch():
    code = ("import sys, bertui; bertui.Model, bertui.Results; "
            "print(sorted({'torch', 'transformers', 'numpy', 'textual'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    from bertui import api

    assert set(bertui.__all__) == set(api.__all__)


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of the README's ``section`` (a ``## `` heading)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_examples_run(capsys):
    blocks = python_blocks("From Python")
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert "'rank': 1, 'candidate'" in capsys.readouterr().out
