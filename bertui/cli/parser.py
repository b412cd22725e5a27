"""The command line's arguments: the app's options, each headless command's, and their checks."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from bertui import __version__
from bertui.cli.help import COMPLETION_SHELLS, EPILOG, EXAMPLES
from bertui.defaults import DEFAULT_MODEL, DEFAULT_NEAR, DEFAULT_STEPS, DEFAULT_TOP_K, DEFAULT_WINDOW


def _model_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--model/--device/--dtype/--trust-remote-code, accepted before or after the subcommand."""

    def default(value):
        return value if defaults else argparse.SUPPRESS

    # No default value: the app tells "not given" (use the saved session's model) from a choice.
    parser.add_argument("--model", "-m", default=default(None), metavar="SPEC",
                        help="hub id, local folder, or 'demo' (a tiny built-in model with random weights); "
                             f"default: the app's last model, else {DEFAULT_MODEL}")
    parser.add_argument("--device", default=default("auto"),
                        help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps; default auto")
    parser.add_argument("--dtype", default=default("float32"), choices=["float32", "float16", "bfloat16"],
                        help="weights' precision; default float32")
    parser.add_argument("--trust-remote-code", action="store_true", default=default(False),
                        help="let a hub checkpoint run its own Python code (custom architectures); off "
                             "by default because that code runs with your permissions")


def positive_int(value: str) -> int:
    """An option's whole number of at least 1 (--top-k, --window, --beam, --max-sessions)."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {k}")
    return k


def _targets(value: str) -> tuple[str, ...]:
    words = tuple(word.strip() for word in value.split(",") if word.strip())
    if not words:
        raise argparse.ArgumentTypeError("no target words: give them comma-separated, e.g. he,she,they")
    return words


def _stream_options(sub: argparse.ArgumentParser) -> None:
    streams = sub.add_argument_group("streams: one input per line in, one JSON record per line out (JSONL)")
    streams.add_argument("--file", metavar="PATH",
                         help="answer every line of PATH ('-': standard input): plain text, or JSON "
                              '{"id", "text", "pair", "targets", "candidates"}')
    streams.add_argument("--out", type=Path, metavar="FILE",
                         help="write the stream to FILE, not standard output (FILE.part until it ends)")
    streams.add_argument("--resume", action="store_true",
                         help="continue the FILE.part an interrupted --out run left")
    streams.add_argument("--window", type=positive_int, default=DEFAULT_WINDOW, metavar="N",
                         help=f"lines sorted by length and batched together; default {DEFAULT_WINDOW}")



def _app_options(parser: argparse.ArgumentParser) -> None:
    """The options of the app itself (no command): k, the session file, a model to compare."""
    parser.add_argument("--top-k", "-k", type=positive_int, default=None,
                        help=f"predictions per mask (app); default: the last session's, else {DEFAULT_TOP_K}")
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument("--no-session", action="store_true",
                      help="the app neither restores nor saves the session (sentences, candidates, k, model)")
    keep.add_argument("--session", type=Path, metavar="FILE",
                      help="restore and save the app's session in FILE instead of the default "
                           "(your state folder's bertui/session.json)")
    parser.add_argument("--compare", metavar="SPEC",
                        help="a second model answering beside the first (app and serve): its tokens where "
                             "they differ, its predictions, its next-sentence scores")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bertui",
        description="Explore BERT-family models: with no command, the live terminal app; "
                    "with a command, JSON on stdout.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bertui {__version__}")
    parser.add_argument("--completion", choices=COMPLETION_SHELLS, metavar="SHELL",
                        help="print the shell completion script for bash, zsh or fish (see the epilog)")
    _model_options(parser, defaults=True)
    _app_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary,
                                  epilog=f"Example:\n  {EXAMPLES[name]}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        _model_options(sub, defaults=False)
        return sub

    _headless_commands(command)
    replay = command("replay", "recompute a stream or an app export: does every number still match (1e-4)?")
    replay.add_argument("path", type=Path, metavar="FILE", help="a --out stream or a JSON export of the app")
    command("info", "what the model is: architecture, sizes, parameters, heads, device, dtype")
    serve = command("serve", "the app in a web browser (textual-serve); each tab runs its own app")
    _serve_options(serve)
    return parser


def _headless_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """tokenize, fill, score and nsp: one input as arguments, or a stream with --file."""
    text_help = "the text; '-' reads it from standard input (or --file: one text per line)"
    tokenize = _one_text(command("tokenize", "WordPiece tokens, ids, segments, attention mask and offsets"),
                         text_help)
    fill = _one_text(command("fill", "top-k predictions for every [MASK] in the text"), text_help)
    fill.add_argument("--top-k", "-k", type=positive_int, default=argparse.SUPPRESS,
                      help=f"default {DEFAULT_TOP_K}")
    fill.add_argument("--targets", type=_targets, default=(), metavar="WORD,WORD",
                      help="score these words at every mask: probability, log-probability, rank")
    fill.add_argument("--beam", type=positive_int, default=0, metavar="N",
                      help="width of the joint-fill beam for two or more masks (never below top-k; "
                           "default top-k)")
    fill.add_argument("--no-joint", action="store_true", help="leave the joint fillings of several masks out")
    score = command("score", "pseudo-log-likelihood of each sentence: every token masked in turn")
    score.add_argument("texts", nargs="*", metavar="TEXT", help="sentences to score ('-' reads one from "
                                                                "standard input)")
    score.add_argument("--pair", metavar="TEXT", help="a second sentence (segment B) for a single TEXT")
    score.add_argument("--compare-pairs", action="store_true",
                       help="read the sentences as pairs (1st vs 2nd, 3rd vs 4th...) and say which one of "
                            "each the model prefers under each PLL variant")
    nsp = command("nsp", "rank candidate next sentences by IsNext probability (BERT's NSP head)")
    nsp.add_argument("first", nargs="?", help="the first sentence (with --file: the lines are first "
                                              "sentences and every argument is a candidate)")
    nsp.add_argument("candidates", nargs="*", metavar="CANDIDATE", help="candidate next sentences")
    nsp.add_argument("--candidates-file", type=Path, metavar="FILE",
                     help="more candidates, one per line ('-' for standard input)")
    for sub in (tokenize, fill, score, nsp, *_inside_commands(command, text_help)):
        _stream_options(sub)


def _one_text(sub: argparse.ArgumentParser, text_help: str) -> argparse.ArgumentParser:
    """A command of one text (or a stream of them), with an optional second sentence."""
    sub.add_argument("text", nargs="?", help=text_help)
    sub.add_argument("--pair", metavar="TEXT", help="a second sentence (segment B)")
    return sub


def _inside_commands(command, text_help: str) -> list[argparse.ArgumentParser]:
    """``lens``, ``explain`` and ``near`` (README, "Look inside a prediction")."""
    lens = command("lens", "the model's own masked-LM head read at every layer, at every [MASK]")
    explain = command("explain", "which input tokens each [MASK]'s prediction rests on (attribution)")
    near = command("near", "the vocabulary entries nearest to each token (cosine), in the input table and "
                           "in context at a layer")
    for sub in (lens, explain, near):
        _one_text(sub, text_help)
    lens.add_argument("--top-k", "-k", type=positive_int, default=argparse.SUPPRESS,
                      help=f"predictions per layer; default {DEFAULT_TOP_K}")
    lens.add_argument("--targets", type=_targets, default=(), metavar="WORD,WORD",
                      help="follow these words through the layers: log-probability and rank at each")
    explain.add_argument("--method", choices=["ig", "grad-input", "grad-norm", "rollout"],
                         default="grad-input",
                         help="integrated gradients, gradient × input, gradient norm or attention rollout; "
                              "default grad-input")
    explain.add_argument("--target", metavar="WORD", help="the token to explain (default: each mask's top-1)")
    explain.add_argument("--contrast", metavar="WORD",
                         help='explain "target rather than WORD": log p(target) − log p(WORD)')
    explain.add_argument("--steps", type=positive_int, default=DEFAULT_STEPS, metavar="N",
                         help="integrated gradients' steps (Gauss–Legendre); default 50")
    explain.add_argument("--words", action="store_true", help="add the word view: each word's pieces summed")
    near.add_argument("--layer", type=int, default=None, metavar="N",
                      help="the layer whose hidden state is read, 0 = the embeddings; default the last")
    near.add_argument("--top-k", "-k", type=positive_int, default=DEFAULT_NEAR,
                      help=f"neighbours per token; default {DEFAULT_NEAR}")
    return [lens, explain, near]


def _serve_options(serve: argparse.ArgumentParser) -> None:
    """Where ``bertui serve`` listens, who gets in (the token) and how many tabs it runs."""
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on; default loopback only")
    serve.add_argument("--port", type=int, default=8000, help="default 8000")
    serve.add_argument("--compare", metavar="SPEC", default=argparse.SUPPRESS,
                       help="a second model beside the first")
    serve.add_argument("--token", default=os.environ.get("BERTUI_TOKEN"),
                       help="the secret the URL must carry (default: $BERTUI_TOKEN, else a new random "
                            "one); on a shared machine prefer $BERTUI_TOKEN: others can read command lines")
    serve.add_argument("--max-sessions", type=positive_int, default=4, metavar="N",
                       help="tabs (apps, models) at once; past it the page says the server is full; "
                            "default 4")
    serve.add_argument("--allow-remote-code-in-browser", action="store_true",
                       help="let serve take --trust-remote-code (the page can then run any hub model's code)")
