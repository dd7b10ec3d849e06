"""The ``staff`` subcommand: where N new people should go (docs/model.md §8.9).

Argument parsing and printing only; the work is in :mod:`portfolio_sim.decide.staff`.
"""

from __future__ import annotations

import argparse

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import amount, check_outputs, iso_date, whole_number, write_texts
from portfolio_sim.cli.progress import compile_notice, progress_printer
from portfolio_sim.errors import InputError


def _at_least_one(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _objective(text: str) -> str:
    """``p85``, ``npv`` or ``deadline:FEATURE`` (the feature is checked against the file)."""
    t = text.strip()
    kind, sep, fid = t.partition(":")
    if t in ("p85", "npv") or (kind == "deadline" and sep and fid.strip()):
        return t
    raise argparse.ArgumentTypeError(f"expected p85, npv or deadline:FEATURE, got {text!r}")


def _configure(parser: argparse.ArgumentParser) -> None:
    from portfolio_sim.decide.staff import DEFAULT_RAMP_DAYS, EXHAUSTIVE_MAX

    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument(
        "--add", type=_at_least_one, required=True, metavar="N", help="people to place (>= 1)"
    )
    parser.add_argument(
        "--objective",
        type=_objective,
        default="p85",
        metavar="p85|npv|deadline:FEATURE",
        help="minimise the portfolio's P85 done date (default), maximise mean NPV, or "
        "maximise the chance FEATURE meets its deadline",
    )
    parser.add_argument(
        "--max-per-team", type=_at_least_one, metavar="K", help="at most K hires per team"
    )
    parser.add_argument(
        "--ramp-days",
        type=amount,
        default=DEFAULT_RAMP_DAYS,
        metavar="D",
        help=f"working days a new person takes to reach full speed (default "
        f"{DEFAULT_RAMP_DAYS:g}; linear ramp, docs/model.md §2.6)",
    )
    parser.add_argument(
        "--from",
        dest="on",
        type=iso_date,
        metavar="DATE",
        help="the date the new people join (default: the scenario's start)",
    )
    parser.add_argument("--variant", metavar="NAME", help="work on this variant")
    parser.add_argument(
        "--trials", type=whole_number, default=2_000, help="per forecast (default 2000)"
    )
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--json", metavar="PATH", help="write the result (JSON)")
    parser.add_argument("--csv", metavar="DIR", help="write one CSV file per table here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    from portfolio_sim.cli.cluster_options import add_cluster_options

    add_cluster_options(parser)
    parser.epilog = (
        f"Every assignment is evaluated when there are at most {EXHAUSTIVE_MAX}; above, "
        "hires are placed greedily, then improved by moving one hire at a time."
    )


def _run(args: argparse.Namespace) -> int:
    from portfolio_sim.decide.staff import staff

    if args.trials < 1:
        raise InputError("--trials must be at least 1")
    check_outputs([args.json], protect=[args.file], folders=[args.csv])
    compile_notice(args.quiet)
    result = staff(
        args.file,
        add=args.add,
        objective=args.objective,
        trials=args.trials,
        seed=args.seed,
        variant=args.variant,
        max_per_team=args.max_per_team,
        ramp_days=args.ramp_days,
        on=args.on,
        progress=progress_printer(args.quiet, unit="forecasts"),
        scheduler=args.scheduler,
        workers=args.workers,
    )
    json_text = result.to_json() + "\n" if args.json else None
    if args.csv:
        result.to_csv(args.csv, protect=[args.file])
    write_texts([(args.json, json_text)], [args.file])
    print(result.to_text())
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        "staff",
        "where N new people should go: best team assignment, its effect, marginal value",
        _configure,
        _run,
    ),
]
