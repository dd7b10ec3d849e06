"""Subcommands that run the engines: ``forecast`` and ``warmup``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import (
    add_table_outputs,
    check_table_outputs,
    whole_number,
    write_table_outputs,
)


def progress_printer(quiet: bool, after_s: float = 2.0) -> Callable[[int, int], None] | None:
    """A progress bar on stderr for runs longer than ``after_s``; None when quiet or when
    stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    t0 = time.perf_counter()
    shown = [False]

    def show(done: int, total: int) -> None:
        elapsed = time.perf_counter() - t0
        if elapsed < after_s and done < total:
            return
        if not shown[0] and done >= total:
            return  # finished before the bar was worth showing
        shown[0] = True
        width = 30
        filled = int(width * done / max(total, 1))
        rate = done / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} trials ({rate:,.0f}/s)"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _configure_forecast(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument("--variant", metavar="NAME", help="forecast this variant")
    parser.add_argument("--trials", type=whole_number, default=10_000, help="default 10000")
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--engine", choices=["fast", "des"], default="fast")
    add_table_outputs(parser)
    from portfolio_sim.cli.history_cmds import add_how_many_option

    add_how_many_option(parser)


def _run_forecast(args: argparse.Namespace) -> int:
    from portfolio_sim.forecasting import forecast

    protect = check_table_outputs(args)
    result = forecast(
        args.file,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        engine=args.engine,
        progress=progress_printer(args.quiet),
    )
    how_many_lines = None
    if args.how_many_by:
        from portfolio_sim.cli.history_cmds import how_many_lines as lines_of

        how_many_lines = lines_of(args)
    # every computation succeeded: only now are the outputs written (each atomically)
    write_table_outputs(result, args, protect)
    if not args.quiet:
        from portfolio_sim.results.text import forecast_text  # pandas: only for the table

        print(forecast_text(result))
    for warning in result.warnings:  # even with --quiet: they are about the answer
        print(f"warning: {warning}", file=sys.stderr)
    if how_many_lines is not None:
        print()
        print(how_many_lines)
    return EXIT_OK


def _configure_warmup(parser: argparse.ArgumentParser) -> None:
    pass


def _run_warmup(args: argparse.Namespace) -> int:
    from portfolio_sim.warming import warmup

    seconds = warmup()
    print(f"kernels ready ({seconds:.1f} s)")
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("forecast", "forecast done dates of a scenario", _configure_forecast, _run_forecast),
    Command(
        "warmup", "compile the kernels once (after installing)", _configure_warmup, _run_warmup
    ),
]
