"""Subcommands that run the engines: ``forecast`` and ``warmup``."""

from __future__ import annotations

import argparse
import sys

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import (
    add_percentiles_option,
    add_table_outputs,
    check_table_outputs,
    whole_number,
    write_table_outputs,
)
from portfolio_sim.cli.progress import compile_notice, progress_printer


def _configure_forecast(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument("--variant", metavar="NAME", help="forecast this variant")
    parser.add_argument("--trials", type=whole_number, default=10_000, help="default 10000")
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--engine", choices=["fast", "des"], default="fast")
    add_table_outputs(parser)
    add_percentiles_option(parser)
    from portfolio_sim.cli.history_cmds import add_how_many_option

    add_how_many_option(parser)


def _run_forecast(args: argparse.Namespace) -> int:
    from portfolio_sim.forecasting import forecast

    protect = check_table_outputs(args)
    compile_notice(args.quiet)
    result = forecast(
        args.file,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        engine=args.engine,
        progress=progress_printer(args.quiet),
        how_many_by=args.how_many_by,
        percentiles=args.percentiles,
    )
    # every computation succeeded: only now are the outputs written (each atomically)
    write_table_outputs(result, args, protect)
    if not args.quiet:
        from portfolio_sim.results.text import forecast_text  # pandas: only for the table

        print(forecast_text(result))
    for warning in result.warnings:  # even with --quiet: they are about the answer
        print(f"warning: {warning}", file=sys.stderr)
    if result.how_many is not None:  # asked for: in the terminal even with --quiet
        from portfolio_sim.cli.history_cmds import how_many_lines

        print()
        print(how_many_lines(result.how_many))
    return EXIT_OK


def _configure_warmup(parser: argparse.ArgumentParser) -> None:
    pass


def _run_warmup(args: argparse.Namespace) -> int:
    from portfolio_sim.warming import warmup

    compile_notice(False)
    seconds = warmup()
    print(f"kernels ready ({seconds:.1f} s)")
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("forecast", "forecast done dates of a scenario", _configure_forecast, _run_forecast),
    Command(
        "warmup", "compile the kernels once (after installing)", _configure_warmup, _run_warmup
    ),
]
