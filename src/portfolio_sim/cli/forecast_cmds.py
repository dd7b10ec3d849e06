"""Subcommands that run the engines: ``forecast`` and ``warmup``."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import re
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
from portfolio_sim.errors import InputError


def trials_or_auto(text: str) -> int | str:
    """``--trials``: a whole number from 1, or ``auto`` (chosen by precision)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = whole_number(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} or 'auto'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (or 'auto'), got {value}")
    return value


def at_least_one(text: str) -> int:
    """A whole number from 1 to :data:`~portfolio_sim.forecasting.MAX_TRIALS`."""
    from portfolio_sim.forecasting import MAX_TRIALS

    value = whole_number(text)
    if not 1 <= value <= MAX_TRIALS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_TRIALS:,}, got {value:,}")
    return value


_DAYS = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:d|wd)?\s*$", re.IGNORECASE)


def precision_days(text: str) -> float:
    """``--precision``: working days, ``1d``, ``0.5d``, ``2wd`` or a plain number; > 0."""
    match = _DAYS.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected working days such as 1d or 2.5d, got {text!r}")
    value = float(match.group(1))
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be more than 0 working days, got {text!r}")
    return value


def relative_error(text: str) -> float:
    """``--cost-precision``: a relative error, ``1%`` or ``0.01``; in (0, 1)."""
    body = text.strip()
    scale = 100.0 if body.endswith("%") else 1.0
    try:
        value = float(body.rstrip("%").strip()) / scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a relative error such as 1% or 0.01, got {text!r}"
        ) from None
    if not 0 < value < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be more than 0 and less than 100 %, got {text!r}")
    return value


def _configure_forecast(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument("--variant", metavar="NAME", help="forecast this variant")
    parser.add_argument(
        "--trials",
        type=trials_or_auto,
        default=10_000,
        help="a number (default 10000) or 'auto': batches until the 95 %% intervals of the "
        "dates are within --precision (docs/model.md §8.11)",
    )
    parser.add_argument(
        "--precision",
        type=precision_days,
        metavar="DAYS",
        help="with --trials auto: the ± working days every P50/P85/P95 date of the portfolio "
        "and of each feature must reach at 95 %% (default 1d)",
    )
    parser.add_argument(
        "--cost-precision",
        type=relative_error,
        metavar="REL",
        help="with --trials auto: the relative error of cost P50/P80 at 95 %% (default 1%%)",
    )
    parser.add_argument(
        "--max-trials",
        type=at_least_one,
        metavar="N",
        help="with --trials auto: stop (and warn) after this many trials (default 2000000)",
    )
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--engine", choices=["fast", "des"], default="fast")
    parser.add_argument(
        "--status",
        metavar="STATUS",
        help="re-forecast from a status file (as_of, done/started features, actual cost "
        "to date; docs/model.md §11)",
    )
    parser.add_argument(
        "--baseline",
        metavar="PATH",
        help="with --status: measure earned value against this saved baseline instead of "
        "the status file's baseline or the plan run again (docs/model.md §11.4)",
    )
    parser.add_argument(
        "--save-baseline",
        metavar="PATH",
        help="also write the plan's EVM baseline (planned value per feature) to PATH as "
        "JSON, for later re-forecasts (docs/model.md §11.4)",
    )
    parser.add_argument(
        "--save-snapshot",
        metavar="DIR",
        help="also store this forecast as one JSON file in DIR, for `trend DIR` "
        "(docs/model.md §11.5)",
    )
    add_table_outputs(parser)
    add_percentiles_option(parser)
    from portfolio_sim.cli.history_cmds import add_how_many_option

    add_how_many_option(parser)
    from portfolio_sim.cli.cluster_options import add_cluster_options

    add_cluster_options(parser)


def _prefetch_output_modules(args: argparse.Namespace) -> None:
    """Import what the outputs asked for need (pandas and the report code) while the
    kernels simulate, instead of after (engines.fast.while_kernels_run): the HTML report
    of 100,000 mid-scenario trials about 0.1 s sooner on two cores."""
    from portfolio_sim.engines.fast import while_kernels_run

    names = []
    if args.html:
        names += ["portfolio_sim.report.html", "portfolio_sim.report.load_chart"]
    if args.csv or args.xlsx:
        names.append("pandas")
    if not args.quiet:
        names.append("portfolio_sim.results.text")
    if names:
        while_kernels_run(lambda: [importlib.import_module(name) for name in names])


def _run_forecast(args: argparse.Namespace) -> int:
    from portfolio_sim.engines.fast import discard_pending
    from portfolio_sim.forecasting import forecast

    protect = check_table_outputs(args)
    if args.status is not None:  # the status file is an input too: never overwritten
        from portfolio_sim.cli.arguments import check_outputs

        check_outputs([args.json, args.html, args.xlsx], [args.status], folders=[args.csv])
        protect.append(args.status)
    if args.baseline is not None and args.status is None:
        raise InputError("--baseline: only with --status (earned value is of a re-forecast)")
    if args.save_baseline is not None:
        from portfolio_sim.cli.arguments import check_outputs

        inputs = [args.file, args.status, args.baseline]
        check_outputs([args.save_baseline], [p for p in inputs if p is not None])
        protect += [p for p in (args.file, args.baseline) if p is not None]
    snap = args.save_snapshot
    if snap is not None and os.path.exists(snap) and not os.path.isdir(snap):
        raise InputError(f"{args.save_snapshot}: is a file, expected a folder for snapshots")
    if args.trials != "auto":
        for option in ("precision", "cost_precision", "max_trials"):
            if getattr(args, option) is not None:
                flag = "--" + option.replace("_", "-")
                raise InputError(f"{flag}: only with --trials auto")
    compile_notice(args.quiet)
    _prefetch_output_modules(args)
    try:
        result = forecast(
            args.file,
            trials=args.trials,
            seed=args.seed,
            variant=args.variant,
            engine=args.engine,
            progress=progress_printer(args.quiet),
            how_many_by=args.how_many_by,
            percentiles=args.percentiles,
            precision_days=args.precision,
            cost_rel_precision=args.cost_precision,
            max_trials=args.max_trials,
            status=args.status,
            scheduler=args.scheduler,
            workers=args.workers,
            baseline=args.baseline,
        )
    finally:
        discard_pending()  # a run on one worker or on a cluster takes none
    # every computation succeeded: only now are the outputs written (each atomically)
    write_table_outputs(result, args, protect)
    if args.save_baseline is not None:
        from portfolio_sim.forecasting import save_plan_baseline

        save_plan_baseline(result, args.file, args.save_baseline, args.variant, protect)
        if not args.quiet:
            print(f"baseline saved: {args.save_baseline}", file=sys.stderr)
    if args.save_snapshot is not None:
        from portfolio_sim.results.snapshots import inputs_sha256, save_snapshot

        inputs = [args.file] + ([args.status] if args.status is not None else [])
        saved = save_snapshot(result, args.save_snapshot, inputs_sha256(inputs), protect)
        if not args.quiet:
            print(f"snapshot saved: {saved}", file=sys.stderr)
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
