"""What ``bertui --help`` shows beyond the options (the examples), and shell completion.

Completion is argcomplete's, not a static script from shtab: shtab writes none for fish. The shell's hook
(``eval "$(bertui --completion bash)"``) runs bertui with ``_ARGCOMPLETE`` set; ``complete`` then answers
from the real parser and exits. argcomplete is imported only then, so a plain run never pays for it.
"""

from __future__ import annotations

import argparse
import os

# One runnable example per command, shown under its --help (the demo model: no download, no GPU).
EXAMPLES = {
    "tokenize": "bertui tokenize 'The dog ate my pizza.' --pair 'It was good.' --model demo",
    "fill": "bertui fill 'The capital of France is [MASK].' --top-k 3 --model demo",
    "score": "bertui score 'The keys are here.' 'The keys is here.' --compare-pairs --model demo",
    "nsp": "bertui nsp 'I like pizza.' 'It is tasty.' 'The sky is blue.' --model demo",
    "replay": "echo 'The [MASK] sat.' | bertui fill --file - --out fills.jsonl --model demo && "
              "bertui replay fills.jsonl",
    "lens": "bertui lens 'Soccer is a really fun [MASK].' --targets sport,game --model demo",
    "explain": "bertui explain 'Soccer is a really fun [MASK].' --method ig --steps 20 --words --model demo",
    "near": "bertui near 'The dog barked.' --layer 1 --top-k 5 --model demo",
    "info": "bertui info --model demo",
    "serve": "bertui serve --model demo --port 8000",
}
COMPLETION_SHELLS = ("bash", "zsh", "fish")
EPILOG = """examples:
  bertui --model demo                             the app, on a tiny built-in model (random weights)
  bertui                                          the app, on your last model (else bert-base-uncased)
  bertui fill 'The capital of France is [MASK].'  JSON on stdout; every command: bertui COMMAND --help

shell completion (bash, zsh, fish):
  eval "$(bertui --completion bash)"              in ~/.bashrc (zsh: the same with zsh, in ~/.zshrc)
  bertui --completion fish > ~/.config/fish/completions/bertui.fish
"""


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit, when the shell's hook asks; else nothing."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def completion_script(shell: str) -> str:
    """The script that makes ``shell`` complete bertui's commands and options."""
    from argcomplete.shell_integration import shellcode

    return shellcode(["bertui"], shell=shell)
