"""`python -m minigrad COMMAND ...` (also the `minigrad` console script).

    python -m minigrad --help
    python -m minigrad check batchnorm --mode eval --eps 1e-3
    python -m minigrad lessons
    python -m minigrad exercises student handout/
    python -m minigrad exercises check handout/exercises/*.ipynb

Each command lives in its own module exposing `add_arguments(parser)` and `run(args) -> int`.
`main` returns the exit code instead of exiting, so tests and notebooks can call it in-process.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import check, exercises, lessons


class UsageParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _version() -> str:
    from .. import __version__  # the package's top, read only when asked

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per command."""
    parser = UsageParser(
        prog="python -m minigrad",
        description="minigrad: autograd from scratch on NumPy. Commands check derivations and run the lessons.",
        epilog="Run `python -m minigrad COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"minigrad {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=UsageParser)
    check_parser = commands.add_parser(
        "check",
        help="check a derivation stage by stage (e.g. `check batchnorm --mode eval`); exit 1 when a stage fails",
        description=check.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_arguments(check_parser)
    lessons_parser = commands.add_parser(
        "lessons",
        help="execute every lesson notebook headless and write an HTML copy of each (says where)",
        description="Execute every lesson notebook headless and write an HTML copy of each, with its plots; "
        "or (--copy DIR) write clean copies to open in Jupyter.",
    )
    lessons.add_arguments(lessons_parser)
    exercises_parser = commands.add_parser(
        "exercises",
        help="write student versions of the exercise notebooks (student DIR), or grade notebooks (check NB...)",
        description=exercises.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exercises.add_arguments(exercises_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: the command line), run the command, return its exit code.

    0: success; 1: a check failed; 2: a usage error (or a command that is not available).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2, already printed by argparse)
        return exit.code if isinstance(exit.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    run = {"check": check.run, "exercises": exercises.run}.get(args.command, lessons.run)
    try:
        code = run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped this way


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (a test's capture)
        pass


if __name__ == "__main__":
    raise SystemExit(main())
