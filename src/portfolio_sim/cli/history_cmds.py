"""Subcommands on real history: ``calibrate``, ``backtest`` and ``how-many``.

``how-many FILE --by DATE`` answers "how many items by this date" for throughput teams.
:func:`add_how_many_option` and :func:`how_many_lines` let another command (``forecast
--how-many-by DATE``) offer the same answer.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import check_outputs, iso_date, span, whole_number, write_texts
from portfolio_sim.cli.progress import compile_notice, progress_printer
from portfolio_sim.errors import InputError
from portfolio_sim.results.io import csv_text


def _history_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("history", metavar="HISTORY.csv", help="work-item export (CSV)")
    g = parser.add_argument_group("columns (default: common Jira / Azure DevOps names)")
    for role in ("team", "done", "started", "created", "key", "type"):
        g.add_argument(f"--{role}-column", metavar="NAME", help=f"header of the {role} column")
    parser.add_argument("--team", metavar="ID", help="all rows belong to this team")
    parser.add_argument(
        "--type", dest="types", action="append", metavar="TYPE", help="keep only this type"
    )
    parser.add_argument("--per", choices=["week", "day"], default="week", help="default week")
    parser.add_argument(
        "--since", type=iso_date, metavar="DATE", help="ignore items done before DATE"
    )
    parser.add_argument(
        "--until", type=iso_date, metavar="DATE", help="export date (default: last done date)"
    )
    parser.add_argument("--dayfirst", action="store_true", help="read 3/4/2024 as 3 April")


def _calibrate_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "team_column": args.team_column,
        "done_column": args.done_column,
        "started_column": args.started_column,
        "created_column": args.created_column,
        "key_column": args.key_column,
        "type_column": args.type_column,
        "team": args.team,
        "types": args.types,
        "per": args.per,
        "since": args.since,
        "until": args.until,
        "dayfirst": args.dayfirst,
    }


def _report_skipped(cal: Any) -> None:
    if cal.skipped:
        print(cal.skipped_text(), file=sys.stderr)
        print(f"{len(cal.skipped)} rows skipped", file=sys.stderr)
    for note in cal.notes:
        print(f"note: {note}", file=sys.stderr)


def _configure_calibrate(parser: argparse.ArgumentParser) -> None:
    _history_args(parser)
    parser.add_argument("--out", metavar="PATH", help="write the YAML snippet here")
    parser.add_argument(
        "--by",
        metavar="COLUMN",
        help="also split each team's samples by this column (issue type, tag, label) "
        "into its throughput.by_type (docs/model.md §2.10)",
    )
    parser.add_argument(
        "--size-column",
        metavar="NAME",
        help="also fit a sizes table (T-shirt sizes) from this column and cycle times",
    )
    parser.add_argument(
        "--points-column",
        metavar="NAME",
        help="also fit points.per_point from this story-point column and cycle times",
    )


def _size_tables(args: argparse.Namespace) -> str:
    """The fitted sizes / points snippets (docs/model.md §3.8), skipped rows on stderr."""
    from portfolio_sim.history.sizes import fit_sizes

    out = ""
    for column, points in ((args.size_column, False), (args.points_column, True)):
        if column is None:
            continue
        fit = fit_sizes(
            args.history,
            column,
            points=points,
            done_column=args.done_column,
            started_column=args.started_column,
            dayfirst=args.dayfirst,
        )
        for row in fit.skipped:
            print(f"{fit.source}:{row.line}: {column}: skipped: {row.reason}", file=sys.stderr)
        for note in fit.notes:
            print(f"note: {note}", file=sys.stderr)
        out += fit.to_yaml()
    return out


def _run_calibrate(args: argparse.Namespace) -> int:
    from portfolio_sim.history import calibrate
    from portfolio_sim.results.io import write_text_atomic

    check_outputs([args.out], protect=[args.history])
    counts, note = None, ""
    if args.by is not None:  # docs/model.md §2.10
        from portfolio_sim.history.by_type import calibrate_by

        cal, split = calibrate_by(args.history, args.by, **_calibrate_options(args))
        cal.notes.extend(split.notes)
        counts, note = split.counts, split.comment()
    else:
        cal = calibrate(args.history, **_calibrate_options(args))
    _report_skipped(cal)
    print(cal.summary().to_string(index=False, float_format=lambda x: f"{x:.1f}"), file=sys.stderr)
    text = cal.to_yaml(counts) + note + _size_tables(args)
    if args.out:
        write_text_atomic(args.out, text, protect=[args.history])
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _configure_backtest(parser: argparse.ArgumentParser) -> None:
    _history_args(parser)
    parser.add_argument(
        "--every", type=span, default="2w", help="spacing of cut dates (default 2w)"
    )
    parser.add_argument(
        "--horizon", type=span, default="12w", help="forecast horizon (default 12w)"
    )
    parser.add_argument("--window", type=span, help="history used at each cut (default: all)")
    parser.add_argument("--min-history", type=span, default="8w", help="least history (default 8w)")
    parser.add_argument("--trials", type=whole_number, default=10_000, help="default 10000")
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--html", metavar="PATH", help="write an HTML report here")
    parser.add_argument("--csv", metavar="PATH", help="write the per-cut table here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    from portfolio_sim.cli.cluster_options import add_cluster_options

    add_cluster_options(parser)


def _run_backtest(args: argparse.Namespace) -> int:
    from portfolio_sim.history import backtest, calibrate

    check_outputs([args.html, args.csv], protect=[args.history])
    cal = calibrate(args.history, **_calibrate_options(args))
    _report_skipped(cal)
    compile_notice(args.quiet, kernel="howmany_kernel.batch_totals")
    map_tasks = None
    if args.scheduler is not None or args.workers is not None:  # docs/distributed.md
        import functools

        from portfolio_sim.distributed.tasks import map_tasks as on_cluster

        map_tasks = functools.partial(on_cluster, scheduler=args.scheduler, workers=args.workers)
    result = backtest(
        cal,
        every=args.every,
        horizon=args.horizon,
        window=args.window,
        min_history=args.min_history,
        trials=args.trials,
        seed=args.seed,
        progress=progress_printer(args.quiet, unit="cut forecasts"),
        map_tasks=map_tasks,
    )
    html = None
    if args.html:
        from portfolio_sim.report.history_backtest import backtest_html

        html = backtest_html(result)
    csv = csv_text(result.table) if args.csv else None
    write_texts([(args.html, html), (args.csv, csv)], protect=[args.history])
    print(result.text())
    return EXIT_OK


_HOW_MANY_TITLE = (
    "Items done by the end of each date (at least N: reached in that share of trials; "
    "at most N: not exceeded)"
)


def add_how_many_option(parser: argparse.ArgumentParser, flag: str = "--how-many-by") -> None:
    """Add a repeatable date option asking for "how many items by DATE"."""
    parser.add_argument(
        flag,
        dest="how_many_by",
        action="append",
        type=iso_date,
        metavar="DATE",
        help="items each throughput team completes by DATE (repeatable)",
    )


def how_many_lines(table: Any) -> str:
    """The titled how-many table (of :func:`portfolio_sim.history.how_many`) for the
    terminal."""
    from portfolio_sim.history.howmany import how_many_text

    return f"{_HOW_MANY_TITLE}\n{how_many_text(table)}"


def _configure_how_many(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    add_how_many_option(parser, "--by")
    parser.add_argument("--variant", metavar="NAME", help="use this variant")
    parser.add_argument("--trials", type=whole_number, default=10_000, help="default 10000")
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--csv", metavar="PATH", help="write the table here")


def _run_how_many(args: argparse.Namespace) -> int:
    from portfolio_sim.history.howmany import how_many, how_many_text

    if not args.how_many_by:
        raise InputError("give at least one --by DATE")
    if args.trials < 1:
        raise InputError("--trials must be at least 1")
    check_outputs([args.csv], protect=[args.file])
    table = how_many(
        args.file, args.how_many_by, trials=args.trials, seed=args.seed, variant=args.variant
    )
    write_texts([(args.csv, csv_text(table) if args.csv else None)], [args.file])
    print(_HOW_MANY_TITLE)
    print(how_many_text(table))
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        "calibrate",
        "throughput samples and cycle times per team from a work-item export",
        _configure_calibrate,
        _run_calibrate,
    ),
    Command(
        "backtest",
        "how well would past forecasts have done? (calibration, reliability chart)",
        _configure_backtest,
        _run_backtest,
    ),
    Command(
        "how-many",
        "items each throughput team completes by given dates",
        _configure_how_many,
        _run_how_many,
    ),
]
