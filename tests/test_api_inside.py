"""The Python API's views inside a prediction (``Model.lens``, ``explain``, ``near``): ``to_dict()`` is the
document ``bertui lens | explain | near`` prints for the same text (and a list's, each record of the same
lines' ``--file`` stream), and the tables have one row per (mask, layer, rank), (mask, token), (token,
kind, rank)."""

from __future__ import annotations

import json

import pytest

import bertui
from bertui.errors import InputError
from tests.in_process import bertui as run
from tests.test_api import cli

TEXTS = ["the [MASK] ate my pizza .", "it was a very [MASK] day in [MASK] ."]


@pytest.fixture(scope="module")
def model(engine):
    return bertui.Model(engine)


def streamed(tmp_path, *args: str) -> list[dict]:
    """What ``bertui ARGS --file`` answers for TEXTS: each record without its id, line and input."""
    source = tmp_path / "in.txt"
    source.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    done = run(*args, "--file", str(source))
    assert done.returncode == 0, done.stderr
    _, *records = [json.loads(line) for line in done.stdout.splitlines()]
    return [{key: value for key, value in record.items() if key not in ("id", "line", "input")}
            for record in records]


def test_lens_is_the_lens_command(model, bert_dir, tmp_path):
    args = ("lens", "--targets", "dog,cat", "-k", "3", "-m", str(bert_dir))
    document, _ = cli(*args[:1], TEXTS[1], *args[1:])
    lensed = model.lens(TEXTS[1], top_k=3, targets=["dog", "cat"])
    assert isinstance(lensed, bertui.Lensed) and lensed.to_dict() == document
    together = model.lens(TEXTS, top_k=3, targets=["dog", "cat"])
    assert isinstance(together, bertui.Results) and together.to_dict() == streamed(tmp_path, *args)
    frame = together.to_pandas()
    layers = lensed.lens.layers + 1
    assert len(frame) == (1 + 2) * layers * 3  # (mask, layer, rank): 3 masks in the two texts
    assert list(frame.columns) == ["text", "position", "layer", "rank", "token", "probability", "final",
                                   "final_rank", "final_probability", "kl"]
    last = frame[(frame["text"] == TEXTS[0]) & (frame["layer"] == layers - 1)]
    assert list(last["rank"]) == [1, 2, 3] and bool(last.iloc[0]["final"])
    assert len(lensed.target_rows()) == 2 * layers * 2


def test_explain_is_the_explain_command(model, bert_dir, tmp_path):
    document, _ = cli("explain", TEXTS[0], "--target", "dog", "--contrast", "cat", "-m", str(bert_dir))
    why = model.explain(TEXTS[0], target="dog", contrast="cat")
    assert isinstance(why, bertui.Why) and why.to_dict() == document
    args = ("explain", "--method", "ig", "--steps", "4", "--words", "-m", str(bert_dir))
    together = model.explain(TEXTS, method="ig", steps=4)
    assert [item.to_dict(words=True) for item in together] == streamed(tmp_path, *args)
    frame = together.to_pandas()
    tokens = [len(item.explained.encoding.tokens) for item in together]
    assert len(frame) == tokens[0] + 2 * tokens[1]  # (mask, token)
    assert list(frame.columns) == ["text", "position", "method", "target", "contrast", "index", "token",
                                   "score"]
    words, by_token = why.word_rows(), {row["index"]: row["score"] for row in why.rows()}
    assert [row["word"] for row in words][:4] == ["the", "[MASK]", "ate", "my"]
    for row in words:  # a word's score is its pieces' (the rows') summed
        assert row["score"] == pytest.approx(sum(by_token[index] for index in row["indices"]))


def test_near_is_the_near_command(model, bert_dir, tmp_path):
    args = ("near", "--layer", "1", "-k", "3", "-m", str(bert_dir))
    document, _ = cli(*args[:1], TEXTS[0], *args[1:])
    nearest = model.near(TEXTS[0], layer=1, k=3)
    assert isinstance(nearest, bertui.Nearest) and nearest.to_dict() == document
    together = model.near(TEXTS, layer=1, k=3)
    assert together.to_dict() == streamed(tmp_path, *args)
    frame = together.to_pandas()
    real = sum(len(item.near.tokens) for item in together)
    assert len(frame) == real * 2 * 3  # (token, kind, rank)
    assert list(frame.columns) == ["text", "position", "token", "kind", "rank", "neighbour", "cosine"]
    assert model.near("the dog").near.layer == model.info.layers


def test_errors_are_the_commands(model, bert_dir):
    done = run("lens", "no mask here", "-m", str(bert_dir))
    message = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2 and "no mask in the text" in message
    with pytest.raises(InputError) as raised:
        model.lens("no mask here")
    assert str(raised.value) in message
    with pytest.raises(InputError, match=r"^text 2 of 2: no mask in the text: write \[MASK\]"):
        model.explain([TEXTS[0], "no mask here"])
    with pytest.raises(InputError, match="no layer 9"):
        model.near(["the dog"], layer=9)
    with pytest.raises(InputError, match="no method 'shap'"):
        model.explain(TEXTS[0], method="shap")


def test_the_tables_name_what_formed_and_why(model):
    page = model.lens(TEXTS[0], top_k=2)._repr_html_()
    assert "formed at layer" in page and page.count("<tr>") == 1 + 2 * (model.info.layers + 1)
    why = model.explain(TEXTS[0], target="dog", contrast="cat").table()[1]
    assert "'dog' rather than 'cat' at token 2 (grad-input)" in why
    assert "in context at layer" in model.near(TEXTS[0]).table()[1]
