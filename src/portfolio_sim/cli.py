"""``portfolio-sim``: the command-line face of the API; no logic of its own.

Each subcommand is two small functions registered in :data:`COMMANDS`:
``configure(parser)`` adds its arguments and ``run(args) -> int`` calls the API and
prints. To add a subcommand, write both and append a :class:`Command`.

Heavy modules (numba kernels, pandas, matplotlib) are imported inside ``run`` functions,
never at the top of this module: ``validate`` must start fast and not import numba.

Exit codes: 0 success, 2 invalid input (one line per problem on stderr,
``FILE:LINE: path: reason``), never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
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


# --- validate ----------------------------------------------------------------------------


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument(
        "--variant", metavar="NAME", help="validate this variant applied to the base"
    )


def _run_validate(args: argparse.Namespace) -> int:
    from portfolio_sim.scenario.load import load

    scenario = load(args.file, variant=args.variant)
    kinds = [t.kind for t in scenario.teams]
    variants = list(scenario.variants)
    lines = [
        f"{args.file}: valid",
        f"  scenario: {scenario.name}",
    ]
    if scenario.variant is not None:
        lines.append(f"  variant:  {scenario.variant}")
    lines += [
        f"  teams:    {len(kinds)} ({kinds.count('effort')} effort, {kinds.count('throughput')} throughput)",
        f"  features: {len(scenario.features)}",
        f"  risks:    {len(scenario.risks)}",
        f"  variants: {len(variants)}" + (f" ({', '.join(variants)})" if variants else ""),
        f"  period:   {scenario.start} .. {scenario.horizon_date}",
    ]
    print("\n".join(lines))
    return EXIT_OK


# --- schema ------------------------------------------------------------------------------


def _configure_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")


def _run_schema(args: argparse.Namespace) -> int:
    from portfolio_sim.scenario.schema import Scenario

    schema = Scenario.model_json_schema(by_alias=True)
    print(json.dumps(schema, indent=args.indent, ensure_ascii=False))
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        "validate", "check a scenario file and summarise it", _configure_validate, _run_validate
    ),
    Command("schema", "print the JSON Schema of scenario files", _configure_schema, _run_schema),
]


def build_parser(commands: Sequence[Command] = tuple(COMMANDS)) -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="portfolio-sim",
        description="Monte Carlo forecasts of a product portfolio.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands:
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(p)
        p.set_defaults(_run=command.run)
    return parser


def _report(err: PortfolioSimError) -> None:
    problems = err.problems if isinstance(err, ScenarioError) else None
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
    else:
        print(f"portfolio-sim: error: {err}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 invalid input)."""
    parser = build_parser(COMMANDS)
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
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
