"""Decision subcommands: ``sensitivity``, ``select``, ``priorities`` and ``sweep``.

Argument parsing and printing only; the work is in :mod:`portfolio_sim.decide`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import (
    amount,
    budget_points,
    check_outputs,
    whole_number,
    write_texts,
)
from portfolio_sim.cli.progress import compile_notice, progress_printer
from portfolio_sim.results.io import csv_text


def _common(parser: argparse.ArgumentParser, trials: int) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument("--variant", metavar="NAME", help="work on this variant")
    parser.add_argument(
        "--trials", type=whole_number, default=trials, help=f"per forecast (default {trials})"
    )
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _scalar(text: str) -> Any:
    """A command-line value: a whole number, a number, true/false, null, or text."""
    t = text.strip()
    for cast in (int, float):
        try:
            return cast(t.replace("_", ""))
        except ValueError:
            pass
    return {"true": True, "false": False, "null": None}.get(t.lower(), t)


def _setting(text: str) -> tuple[str, list[Any]]:
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise argparse.ArgumentTypeError(f"expected PATH=V1,V2,..., got {text!r}")
    return path.strip(), [_scalar(v) for v in values.split(",")]


def _score(text: str) -> tuple[str, float]:
    fid, sep, value = text.partition("=")
    if not sep or not fid.strip():
        raise argparse.ArgumentTypeError(f"expected ID=SCORE, got {text!r}")
    return fid.strip(), amount(value.strip())


def _check_outputs(args: argparse.Namespace, *names: str) -> None:
    check_outputs([getattr(args, name, None) for name in names], protect=[args.file])


# --- sensitivity --------------------------------------------------------------------------


def _configure_sensitivity(parser: argparse.ArgumentParser) -> None:
    _common(parser, 2_000)
    parser.add_argument("--top", type=whole_number, default=15, help="rows shown (default 15)")
    parser.add_argument("--input", action="append", metavar="TEXT", help="only inputs matching")
    parser.add_argument("--svg", metavar="PATH", help="write the tornado chart (SVG)")
    parser.add_argument("--csv", metavar="PATH", help="write the tornado table (CSV)")
    parser.add_argument("--criticality-csv", metavar="PATH", help="write criticality (CSV)")
    from portfolio_sim.cli.cluster_options import add_cluster_options

    add_cluster_options(parser)


def _run_sensitivity(args: argparse.Namespace) -> int:
    from portfolio_sim.decide.sensitivity import sensitivity

    _check_outputs(args, "svg", "csv", "criticality_csv")
    compile_notice(args.quiet)
    result = sensitivity(
        args.file,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        inputs=args.input,
        progress=progress_printer(args.quiet, unit="inputs"),
        scheduler=args.scheduler,
        workers=args.workers,
    )
    outputs = [
        (args.svg, result.to_svg(top=args.top) if args.svg else None),
        (args.csv, csv_text(result.table) if args.csv else None),
        (
            args.criticality_csv,
            csv_text(result.criticality) if args.criticality_csv else None,
        ),
    ]
    write_texts(outputs, [args.file])
    print(result.to_text(top=args.top))
    return EXIT_OK


# --- select -------------------------------------------------------------------------------


def _configure_select(parser: argparse.ArgumentParser) -> None:
    _common(parser, 2_000)
    parser.add_argument("--budget", type=amount, help="default: the scenario's budget.total")
    parser.add_argument(
        "--objective",
        choices=["mean", "p10", "positive"],
        default="mean",
        help="maximise mean NPV (default), NPV at P10, or P(NPV > 0)",
    )
    parser.add_argument(
        "--budgets",
        metavar="N|B1,B2,...",
        type=budget_points,
        default=8,
        help="frontier: a number of points, or a list of budgets (default 8)",
    )
    parser.add_argument("--no-capacity", action="store_true", help="ignore team capacity")
    parser.add_argument("--no-verify", action="store_true", help="skip verification forecasts")
    parser.add_argument("--csv", metavar="PATH", help="write the frontier (CSV)")
    from portfolio_sim.cli.cluster_options import add_cluster_options

    add_cluster_options(parser)


def _run_select(args: argparse.Namespace) -> int:
    from portfolio_sim.decide.select import select

    _check_outputs(args, "csv")
    compile_notice(args.quiet)
    result = select(
        args.file,
        budget=args.budget,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        objective=args.objective,
        budgets=args.budgets,
        capacity=not args.no_capacity,
        verify=not args.no_verify,
        progress=progress_printer(args.quiet, unit="budgets"),
        scheduler=args.scheduler,
        workers=args.workers,
    )
    csv = None
    if args.csv:
        frame = result.frontier.copy()
        frame["funded"] = [" ".join(f) for f in frame["funded"]]
        csv = csv_text(frame)
    write_texts([(args.csv, csv)], [args.file])
    print(result.to_text())
    return EXIT_OK


# --- priorities ---------------------------------------------------------------------------


def _configure_priorities(parser: argparse.ArgumentParser) -> None:
    _common(parser, 2_000)
    parser.add_argument(
        "--wsjf", action="append", type=_score, metavar="ID=SCORE", help="WSJF score of a feature"
    )


def _run_priorities(args: argparse.Namespace) -> int:
    from portfolio_sim.decide.priorities import compare_priorities

    compile_notice(args.quiet)
    table = compare_priorities(
        args.file,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        wsjf=dict(args.wsjf) if args.wsjf else None,
    )
    cols = ["order", "cost_of_delay_mean", "cost_of_delay_p90", "npv_mean", "finish_p85"]
    print("Priority orders by simulated total cost of delay (lower is better):")
    print(table[cols].to_string(index=False, float_format=lambda x: f"{x:,.0f}"))
    for r in table.itertuples(index=False):
        print(f"{r.order}: {' > '.join(r.priorities)}")
    return EXIT_OK


# --- sweep --------------------------------------------------------------------------------


def _configure_sweep(parser: argparse.ArgumentParser) -> None:
    _common(parser, 10_000)
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        required=True,
        metavar="PATH=V1,V2,...",
        help="a field to vary (variant set path), repeatable: the grid is the product",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler")
    parser.add_argument("--workers", type=whole_number, help="LocalCluster worker processes")
    parser.add_argument("--local", action="store_true", help="run here, one point at a time")
    parser.add_argument("--csv", metavar="PATH", help="write the table (CSV)")
    parser.add_argument("--json", metavar="PATH", help="write the table (JSON records)")


def _run_sweep(args: argparse.Namespace) -> int:
    from portfolio_sim.decide.sweep import sweep

    _check_outputs(args, "csv", "json")
    compile_notice(args.quiet)
    table = sweep(
        args.file,
        dict(args.settings),
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        scheduler=args.scheduler,
        workers=args.workers or None,
        local=args.local,
        progress=progress_printer(args.quiet, unit="grid points") or False,
    )
    json_text = None
    if args.json:
        records = json.loads(table.to_json(orient="records"))
        json_text = json.dumps(records, indent=2) + "\n"
    csv = csv_text(table) if args.csv else None
    write_texts([(args.csv, csv), (args.json, json_text)], [args.file])
    print(f"{len(table)} grid points, {args.trials:,} trials each ({table.attrs['backend']})")
    print(table.to_string(index=False))
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        "sensitivity",
        "tornado of every uncertain input and the criticality of each feature",
        _configure_sensitivity,
        _run_sensitivity,
    ),
    Command(
        "select",
        "which features to fund under a budget: efficient frontier",
        _configure_select,
        _run_select,
    ),
    Command(
        "priorities",
        "compare priority orders (as written, CD3, WSJF) by cost of delay",
        _configure_priorities,
        _run_priorities,
    ),
    Command(
        "sweep",
        "forecast a grid of variants (--set PATH=V1,V2), on Dask when installed",
        _configure_sweep,
        _run_sweep,
    ),
]
