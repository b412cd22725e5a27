"""The hostile tokenizer (tests/hostile_tokenizer.py) through the headless commands: what they print
holds no control character (JSON escapes them) and still says exactly which token the tokenizer made."""

from __future__ import annotations

import json
import re

import pytest

from bertui.cli import main
from tests.hostile_tokenizer import SENTENCE, TYPED, build_hostile_bert

CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    return build_hostile_bert(tmp_path_factory.mktemp("hostile-cli"))


@pytest.mark.parametrize("command", [["tokenize", SENTENCE], ["fill", SENTENCE, "--top-k", "30"],
                                     ["score", SENTENCE], ["nsp", SENTENCE, *TYPED], ["info"]])
def test_every_command_prints_escaped_tokens(hostile_dir, capsys, command):
    assert main([*command, "--model", str(hostile_dir)]) == 0
    out = capsys.readouterr().out
    assert not CONTROL.search(out)
    if command[0] == "tokenize":
        made = list(TYPED.values())
        assert [token for token in json.loads(out)["tokens"] if token in made] == made
