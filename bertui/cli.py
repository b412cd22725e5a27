"""Command line: no subcommand runs the app; subcommands answer headless, as JSON on stdout.

Errors a person can fix are one line on stderr and a non-zero exit: 1 when the model cannot be
loaded, 2 when the input or the options are wrong; 3 when a stream has lines it could not answer
(``stream.EXIT_LINES_FAILED``), 4 when ``replay`` finds a number that no longer matches
(``replay.EXIT_MISMATCH``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bertui import __version__
from bertui.cli_help import COMPLETION_SHELLS, EPILOG, EXAMPLES, complete, completion_script
from bertui.defaults import DEFAULT_MODEL, DEFAULT_TOP_K
from bertui.engine.encoding import without_surrogates
from bertui.errors import BertuiError, InputError
from bertui.headless import stream
from bertui.headless.documents import compare_pair, fill_one, nsp_json, score_one
from bertui.headless.export import dumps
from bertui.headless.inside import COMMANDS as INSIDE_COMMANDS
from bertui.headless.inside import inside_json
from bertui.headless.provenance import provenance

EXIT_MODEL, EXIT_INPUT = 1, 2
REMOTE_CODE_WARNING = ("bertui: warning: --trust-remote-code lets the model's own Python code run on this "
                       "machine, with your permissions; use it only for checkpoints whose code you trust")


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
    streams.add_argument("--window", type=positive_int, default=stream.DEFAULT_WINDOW, metavar="N",
                         help=f"lines sorted by length and batched together; default {stream.DEFAULT_WINDOW}")



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

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, epilog=f"Example:\n  {EXAMPLES[name]}",
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
    tokenize = command("tokenize", "WordPiece tokens, ids, segments, attention mask and offsets")
    tokenize.add_argument("text", nargs="?", help=text_help)
    tokenize.add_argument("--pair", metavar="TEXT", help="a second sentence (segment B)")
    fill = command("fill", "top-k predictions for every [MASK] in the text")
    fill.add_argument("text", nargs="?", help=text_help)
    fill.add_argument("--pair", metavar="TEXT", help="a second sentence (segment B)")
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


def _inside_commands(command, text_help: str) -> list[argparse.ArgumentParser]:
    """``lens``, ``explain`` and ``near`` (README, "Look inside a prediction")."""
    lens = command("lens", "the model's own masked-LM head read at every layer, at every [MASK]")
    explain = command("explain", "which input tokens each [MASK]'s prediction rests on (attribution)")
    near = command("near", "the vocabulary entries nearest to each token (cosine), in the input table and "
                           "in context at a layer")
    for sub in (lens, explain, near):
        sub.add_argument("text", nargs="?", help=text_help)
        sub.add_argument("--pair", metavar="TEXT", help="a second sentence (segment B)")
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
    explain.add_argument("--steps", type=positive_int, default=50, metavar="N",
                         help="integrated gradients' steps (Gauss–Legendre); default 50")
    explain.add_argument("--words", action="store_true", help="add the word view: each word's pieces summed")
    near.add_argument("--layer", type=int, default=None, metavar="N",
                      help="the layer whose hidden state is read, 0 = the embeddings; default the last")
    near.add_argument("--top-k", "-k", type=positive_int, default=10, help="neighbours per token; default 10")
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


def _read_stdin() -> str:
    """Standard input as UTF-8; bytes that are not (a Latin-1 file piped in) become U+FFFD, not a
    traceback."""
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


def _read_text(value: str) -> str:
    return without_surrogates(_read_stdin() if value == "-" else value)


def _read_lines(path: Path | None, what: str) -> list[str]:
    """The non-blank lines of ``path`` ('-': standard input), stripped; none when ``path`` is None."""
    if path is None:
        return []
    try:
        text = _read_stdin() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {what} from {path}: {error}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _read_candidates(args: argparse.Namespace) -> list[str]:
    candidates = list(args.candidates) + _read_lines(args.candidates_file, "candidates")
    candidates = [without_surrogates(candidate) for candidate in candidates]
    if not candidates:
        raise InputError("no candidates: give them after the first sentence or with --candidates-file")
    return candidates


def _read_sentences(args: argparse.Namespace) -> list[str]:
    sentences = [_read_text(text) for text in args.texts]
    if not sentences:
        raise InputError("no sentences: give them as arguments or with --file")
    if args.pair is not None and len(sentences) != 1:
        raise InputError("--pair goes with a single sentence")
    if args.compare_pairs and len(sentences) % 2:
        raise InputError(f"--compare-pairs needs an even number of sentences (got {len(sentences)})")
    return sentences


def _load(args: argparse.Namespace, device: str | None = None, *, spec: str | None = None,
          dtype: str | None = None):
    from bertui.engine.inference import Engine  # torch is imported only here
    from bertui.headless.fetching import DownloadBar

    with DownloadBar() as shown:  # a hub model's download, on stderr when it is a terminal
        return Engine.load(spec or args.model or DEFAULT_MODEL, device=device or args.device,
                           dtype=dtype or args.dtype, progress=shown,
                           trust_remote_code=args.trust_remote_code)


def _options(args: argparse.Namespace, candidates: tuple[str, ...] = ()) -> stream.StreamOptions:
    """What every line is asked, from the command line (a stream's, or one text's for the inside views)."""
    return stream.StreamOptions(
        command=args.command, window=getattr(args, "window", stream.DEFAULT_WINDOW),
        top_k=getattr(args, "top_k", None) or DEFAULT_TOP_K, targets=tuple(getattr(args, "targets", ())),
        beam=getattr(args, "beam", 0), joint=not getattr(args, "no_joint", False),
        pair=getattr(args, "pair", None), candidates=candidates,
        method=getattr(args, "method", "grad-input"), target=getattr(args, "target", None),
        contrast=getattr(args, "contrast", None), steps=getattr(args, "steps", 50),
        words=getattr(args, "words", False), layer=getattr(args, "layer", None))


def _stream(args: argparse.Namespace) -> int:
    """``--file``: every line answered, as a JSONL stream (bertui/headless/stream/)."""
    if getattr(args, "texts", None) or getattr(args, "text", None) is not None:
        raise InputError("give the input either as an argument or with --file, not both")
    if getattr(args, "compare_pairs", False):
        raise InputError("--compare-pairs reads the sentences given as arguments; with --file each line is "
                         "scored on its own record (compare the records' pll)")
    candidates: tuple[str, ...] = ()
    if args.command == "nsp":
        candidates = tuple(without_surrogates(c) for c in [args.first] * (args.first is not None) +
                           list(args.candidates) + _read_lines(args.candidates_file, "candidates"))
    options = _options(args, candidates)
    ranks = stream.Ranks.from_env()
    engine = _load(args, ranks.device(args.device))
    if args.command == "nsp" and not engine.info.has_nsp_head:
        raise InputError(engine.info.no_nsp_reason)
    return stream.run(engine, options, args.file, args.out, resume=args.resume, ranks=ranks)


def _headless(args: argparse.Namespace) -> dict:
    if getattr(args, "out", None) is not None or getattr(args, "resume", False):
        raise InputError("--out and --resume go with --file")
    text, sentences, candidates = "", [], []  # read before loading: bad input fails fast
    if args.command == "nsp":
        if args.first is None:
            raise InputError("no first sentence: give it, then the candidates (or use --file)")
        candidates = _read_candidates(args)
    elif args.command == "score":
        sentences = _read_sentences(args)
    elif args.command != "info":
        if args.text is None:
            raise InputError("no text: give it as an argument, '-' for standard input, or --file")
        text = _read_text(args.text)
    engine = _load(args)
    return {**_answer(args, engine, text, sentences, candidates), "provenance": provenance(engine.info)}


def _answer(args: argparse.Namespace, engine, text: str, sentences: list[str],
            candidates: list[str]) -> dict:
    if args.command == "info":
        return engine.info.to_json()
    if args.command == "tokenize":
        return engine.encode(text, args.pair).to_json()
    if args.command in INSIDE_COMMANDS:
        return inside_json(engine, _options(args), text, args.pair, getattr(args, "targets", ()))
    if args.command == "fill":
        return fill_one(engine, text, args.pair, top_k=args.top_k or DEFAULT_TOP_K, targets=args.targets,
                        beam=args.beam, joint=not args.no_joint)
    if args.command == "score":
        scored = [score_one(engine, sentence, args.pair) for sentence in sentences]
        document = {"sentences": scored}
        if args.compare_pairs:
            document["pairs"] = [compare_pair(a, b) for a, b in zip(scored[::2], scored[1::2])]
        return document
    first = without_surrogates(args.first)
    return nsp_json(first, engine.rank(first, candidates))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    complete(parser)
    args = parser.parse_args(argv)
    if args.completion:
        sys.stdout.write(completion_script(args.completion))
        return 0
    if args.trust_remote_code:
        print(REMOTE_CODE_WARNING, file=sys.stderr)
    if args.command is None:
        from bertui.session import default_path
        from bertui.ui.app import run_app

        return run_app(model=args.model, device=args.device, dtype=args.dtype, top_k=args.top_k,
                       session_file=None if args.no_session else args.session or default_path(),
                       trust_remote_code=args.trust_remote_code, compare=args.compare)
    try:
        if args.command == "serve":
            from bertui.web.entry import serve

            return serve(args.model or DEFAULT_MODEL, args.device, args.dtype, args.top_k or DEFAULT_TOP_K,
                         args.host,
                         args.port, trust_remote_code=args.trust_remote_code,
                         compare=args.compare, token=args.token, max_sessions=args.max_sessions,
                         allow_remote_code_in_browser=args.allow_remote_code_in_browser)
        if getattr(args, "file", None) is not None:
            return _stream(args)
        if args.command == "replay":
            from bertui.headless.replay import replay

            return replay(args.path, lambda spec, dtype: _load(args, spec=spec, dtype=dtype), args.model)
        result = _headless(args)
    except InputError as error:
        print(f"bertui: {error}", file=sys.stderr)
        return EXIT_INPUT
    except BertuiError as error:
        print(f"bertui: {error}", file=sys.stderr)
        return EXIT_MODEL
    except KeyboardInterrupt:
        return 130
    sys.stdout.write(dumps(result) + "\n")
    return 0
