"""Command line: no subcommand runs the app; subcommands answer headless, as JSON on stdout.

Errors a person can fix are one line on stderr and a non-zero exit: 1 when the model cannot be
loaded, 2 when the input or the options are wrong; 3 when a stream has lines it could not answer
(``stream.EXIT_LINES_FAILED``), 4 when ``replay`` finds a number that no longer matches
(``replay.EXIT_MISMATCH``).

The modules: ``parser`` (the arguments), ``help`` (examples, completion), ``commands`` (the headless
commands, imported only when one runs).
"""

from __future__ import annotations

import sys

from bertui.cli.help import complete, completion_script
from bertui.cli.parser import build_parser
from bertui.defaults import DEFAULT_MODEL, DEFAULT_TOP_K
from bertui.errors import BertuiError, InputError

EXIT_MODEL, EXIT_INPUT = 1, 2
REMOTE_CODE_WARNING = ("bertui: warning: --trust-remote-code lets the model's own Python code run on this "
                       "machine, with your permissions; use it only for checkpoints whose code you trust")


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
                         args.host, args.port, trust_remote_code=args.trust_remote_code,
                         compare=args.compare, token=args.token, max_sessions=args.max_sessions,
                         allow_remote_code_in_browser=args.allow_remote_code_in_browser)
        from bertui.cli.commands import run

        return run(args)
    except InputError as error:
        print(f"bertui: {error}", file=sys.stderr)
        return EXIT_INPUT
    except BertuiError as error:
        print(f"bertui: {error}", file=sys.stderr)
        return EXIT_MODEL
    except KeyboardInterrupt:
        return 130
