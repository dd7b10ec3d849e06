"""``portfolio-sim``: the command-line face of the API; no logic of its own.

Each subcommand is two small functions registered in a ``COMMANDS`` list of one of the
modules of this package (``scenario_cmds``: validate, schema; ``forecast_cmds``: forecast,
warmup, ...): ``configure(parser)`` adds its arguments and ``run(args) -> int`` calls the
API and prints. To add a subcommand, write both and append a :class:`Command`.

Heavy modules (numba kernels, pandas, matplotlib) are imported inside ``run`` functions,
never at the top of this module: ``validate`` must start fast and not import numba.

Exit codes: 0 success, 2 invalid input (one line per problem on stderr,
``FILE:LINE: path: reason``), never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from portfolio_sim import __version__
from portfolio_sim.errors import PortfolioSimError, ScenarioError

EXIT_OK = 0
EXIT_INVALID = 2


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, argument setup and action."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _all_commands() -> list[Command]:
    from portfolio_sim.cli import (
        compare_cmds,
        decide_cmds,
        forecast_cmds,
        history_cmds,
        scenario_cmds,
        serve_cmds,
        staff_cmds,
        trace_cmds,
        trend_cmds,
    )

    return [
        *scenario_cmds.COMMANDS,
        *forecast_cmds.COMMANDS,
        *compare_cmds.COMMANDS,
        *decide_cmds.COMMANDS,
        *staff_cmds.COMMANDS,
        *history_cmds.COMMANDS,
        *trace_cmds.COMMANDS,
        *serve_cmds.COMMANDS,
        *trend_cmds.COMMANDS,
    ]


def build_parser(
    commands: Sequence[Command] | None = None, only: str | None = None
) -> argparse.ArgumentParser:
    """The argument parser with one subparser per command.

    With ``only``, just that command's subparser gets its arguments (the others keep
    their name and help, all that ``--help`` and a misspelt command need): what
    :func:`main` asks for, so a run does not set up every command's options."""
    parser = argparse.ArgumentParser(
        prog="portfolio-sim",
        description="Monte Carlo forecasts of a product portfolio.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands if commands is not None else _all_commands():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        if only is None or command.name == only:
            command.configure(p)
        p.set_defaults(_run=command.run)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``: its first word that is not an option (the
    top-level parser has options only before the command, none with a value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _report(err: PortfolioSimError) -> None:
    problems = err.problems if isinstance(err, ScenarioError) else None
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
    else:
        print(f"portfolio-sim: error: {err}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 invalid input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_name(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_INVALID
    try:
        code: int = args._run(args)
    except PortfolioSimError as err:
        _report(err)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("portfolio-sim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
