"""``bertui --help`` and each command's: the epilog keeps its lines, every command shows one example and that
example runs; shell completion for bash (a real bash completing through the script), zsh and fish."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bertui.cli import build_parser
from bertui.cli.help import COMPLETION_SHELLS, EXAMPLES
from tests.in_process import bertui as run

CHECKOUT = Path(__file__).resolve().parents[1]


def commands() -> list[str]:
    parser = build_parser()
    return list(parser._subparsers._group_actions[0].choices)


def test_the_epilog_keeps_one_example_a_line():
    shown = run("--help").stdout
    epilog = shown[shown.index("examples:"):]
    assert "\n  bertui --model demo " in epilog
    assert "\n  bertui fill 'The capital of France is [MASK].' " in epilog
    assert '\n  eval "$(bertui --completion bash)"' in epilog
    assert "\n  bertui --completion fish > ~/.config/fish/completions/bertui.fish\n" in epilog


@pytest.mark.parametrize("command", commands())
def test_each_command_shows_its_example(command):
    shown = run(command, "--help").stdout
    assert shown.endswith(f"\nExample:\n  {EXAMPLES[command]}\n")


def test_every_example_runs(tmp_path, monkeypatch):
    """Each example as a person would paste it (``echo X | bertui ...`` and ``&&`` included), in a folder of
    its own; ``serve`` only parses (it would serve until stopped)."""
    monkeypatch.chdir(tmp_path)
    assert set(EXAMPLES) == set(commands())
    for command, example in EXAMPLES.items():
        for step in example.split(" && "):
            stdin = ""
            if " | " in step:
                echoed, step = step.split(" | ")
                stdin = shlex.split(echoed)[1] + "\n"
            words = shlex.split(step)
            assert words[0] == "bertui"
            if command == "serve":
                assert build_parser().parse_args(words[1:]).command == "serve"
                continue
            done = run(*words[1:], stdin=stdin)
            assert done.returncode == 0, (example, done.stderr)
            if command != "replay":
                assert json.loads(done.stdout)["provenance"]["model"] == "demo"


@pytest.fixture(scope="module")
def on_path(tmp_path_factory) -> dict[str, str]:
    """An environment whose ``bertui`` is this checkout's (what the shell hook runs)."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "bertui"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom bertui.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return dict(os.environ, PATH=f"{folder}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(CHECKOUT))


def bash_completes(line: str, env: dict[str, str]) -> list[str]:
    """What bash offers after ``line`` (TAB at its end), through ``eval "$(bertui --completion bash)"``."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    script = (f'eval "$(bertui --completion bash)"; COMP_LINE={shlex.quote(line)}; COMP_POINT={len(line)}; '
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
              "COMP_TYPE=9; _python_argcomplete bertui; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in done.stdout.splitlines() if word.strip()]


def test_bash_completes_commands_and_their_options(on_path):
    assert bash_completes("bertui fi", on_path) == ["fill"]
    assert set(bash_completes("bertui ", on_path)) >= {"fill", "score", "nsp", "tokenize", "info", "serve"}
    assert bash_completes("bertui fill --to", on_path) == ["--top-k"]
    assert set(bash_completes("bertui --dtype ", on_path)) == {"float32", "float16", "bfloat16"}


@pytest.mark.parametrize("shell", COMPLETION_SHELLS)
def test_each_shell_gets_a_script_for_bertui(shell):
    script = run("--completion", shell).stdout
    registered = {"bash": "complete -o ", "zsh": "#compdef bertui", "fish": "complete --command bertui"}
    assert registered[shell] in script and "_ARGCOMPLETE" in script
