"""The headless commands: their input read (arguments, standard input, files), the model loaded once, one
JSON document on stdout, or a JSONL stream for ``--file``. Imported only when a command runs, so the app's
start never pays for the headless formats."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bertui.defaults import DEFAULT_MODEL, DEFAULT_TOP_K
from bertui.engine.encoding import without_surrogates
from bertui.errors import InputError
from bertui.headless import stream
from bertui.headless.documents import compare_pair, fill_one, nsp_json, score_one
from bertui.headless.export import dumps
from bertui.headless.inside import COMMANDS as INSIDE_COMMANDS
from bertui.headless.inside import inside_json
from bertui.headless.provenance import provenance


def run(args: argparse.Namespace) -> int:
    """Answer the command ``args`` names: a stream, a replay, or one JSON document on stdout."""
    if getattr(args, "file", None) is not None:
        return _stream(args)
    if args.command == "replay":
        from bertui.headless.replay import replay

        return replay(args.path, lambda spec, dtype: load(args, spec=spec, dtype=dtype), args.model)
    sys.stdout.write(dumps(_headless(args)) + "\n")
    return 0


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


def load(args: argparse.Namespace, device: str | None = None, *, spec: str | None = None,
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
    engine = load(args, ranks.device(args.device))
    if args.command == "nsp" and not engine.info.has_nsp_head:
        raise InputError(engine.info.no_nsp_reason)
    return stream.run(engine, options, args.file, args.out, resume=args.resume, ranks=ranks)


def _headless(args: argparse.Namespace) -> dict[str, Any]:
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
    engine = load(args)
    return {**_answer(args, engine, text, sentences, candidates), "provenance": provenance(engine.info)}


def _answer(args: argparse.Namespace, engine, text: str, sentences: list[str],
            candidates: list[str]) -> dict[str, Any]:
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
