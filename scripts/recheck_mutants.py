"""Run each of mutmut's survivors against whole test files, with that mutant switched on.

mutmut runs a mutant against only the tests that called its function during its first pass; a function
called while a session-scoped fixture is built (``Engine.__init__``, ``Engine._describe``) is credited to
the first test that asked for the fixture, so its mutants survive tests that would kill them. From the
checkout where ``mutmut run`` finished (tests/README.md has the recipe):

    python scripts/recheck_mutants.py                      # the selection in pyproject's [tool.mutmut]
    python scripts/recheck_mutants.py NAME... --tests tests/test_inference.py --jobs 2

Prints each mutant as killed or survived (and the first failing test), then the ones that survived.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def survivors() -> list[str]:
    mutmut = shutil.which("mutmut") or str(Path(sys.executable).with_name("mutmut"))
    listing = subprocess.run([mutmut, "results"], capture_output=True, text=True, check=True).stdout
    return [line.split(":")[0].strip() for line in listing.splitlines()
            if line.rstrip().endswith(": survived")]


def configured_tests() -> list[str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        sys.exit("this Python cannot read pyproject.toml (3.11 can): name the test files with --tests")
    settings = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    return settings["pytest_add_cli_args_test_selection"]


def recheck(name: str, tests: list[str]) -> tuple[str, str]:
    """("killed", the first failing test) or ("survived", "") or ("error", pytest's last line)."""
    env = dict(os.environ, MUTANT_UNDER_TEST=name, PYTHONPATH=str(Path("mutants").resolve()))
    run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p",
                          "no:cacheprovider", "--timeout=60", "-rf", "--rootdir=.", *tests],
                         cwd="mutants", env=env, capture_output=True, text=True)
    lines = run.stdout.strip().splitlines() or [""]
    if run.returncode == 0:
        return "survived", ""
    if run.returncode == 1:
        failed = [line.removeprefix("FAILED ") for line in lines if line.startswith("FAILED ")]
        return "killed", (failed or lines)[0][:160]
    return "error", lines[-1][:160]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to recheck (default: every survivor)")
    parser.add_argument("--tests", nargs="+",
                        help="test files, after the names (default: [tool.mutmut]'s selection)")
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    names, tests = options.names or survivors(), options.tests or configured_tests()
    left = []
    with ThreadPoolExecutor(options.jobs) as pool:
        for name, (verdict, detail) in zip(names, pool.map(lambda n: recheck(n, tests), names)):
            print(f"{verdict:8} {name} {detail}", flush=True)
            if verdict != "killed":
                left.append(name)
    print(f"\n{len(names) - len(left)} of {len(names)} killed; left:", *left, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
