"""Subcommands that run the engines: ``forecast`` and ``warmup``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.errors import InputError


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


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
    parser.add_argument("--trials", type=_positive_int, default=10_000, help="default 10000")
    parser.add_argument("--seed", type=_positive_int, default=0, help="default 0")
    parser.add_argument("--engine", choices=["fast", "des"], default="fast")
    parser.add_argument("--json", metavar="PATH", help="write the JSON result here")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")
    parser.add_argument("--csv", metavar="DIR", help="write one CSV file per table here")
    parser.add_argument("--xlsx", metavar="PATH", help="write an Excel workbook here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no table")
    from portfolio_sim.cli.history_cmds import add_how_many_option

    add_how_many_option(parser)


def _run_forecast(args: argparse.Namespace) -> int:
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.results.io import check_writable

    if args.trials < 1:
        raise InputError("--trials must be at least 1")
    outputs = [p for p in (args.json, args.html, args.xlsx) if p]
    for path in outputs:
        check_writable(path, protect=[args.file])
    result = forecast(
        args.file,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        engine=args.engine,
        progress=progress_printer(args.quiet),
    )
    if args.json:
        result.to_json(args.json, protect=[args.file])
    if args.html:
        result.to_html(args.html, protect=[args.file])
    if args.csv:
        result.to_csv(args.csv, protect=[args.file])
    if args.xlsx:
        result.to_excel(args.xlsx, protect=[args.file])
    if not args.quiet:
        from portfolio_sim.results.text import forecast_text  # pandas: only for the table

        print(forecast_text(result))
    if getattr(args, "how_many_by", None):
        from portfolio_sim.cli.history_cmds import print_how_many

        print()
        print_how_many(args)
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
