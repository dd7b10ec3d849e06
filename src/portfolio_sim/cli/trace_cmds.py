"""Subcommand ``trace``: the event log, Gantt chart and utilisation of one trial (DES)."""

from __future__ import annotations

import argparse

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import check_outputs, whole_number


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument("--variant", metavar="NAME", help="trace this variant")
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--trial", type=whole_number, metavar="K", help="trace trial K")
    which.add_argument(
        "--near",
        metavar="pNN",
        help="trace the trial whose portfolio finish is closest to this percentile "
        "(p50, p85, ...) of a fast-engine run with the same seed",
    )
    parser.add_argument(
        "--near-trials",
        type=whole_number,
        default=2000,
        metavar="N",
        help="fast-engine trials behind --near (default 2000)",
    )
    parser.add_argument("--csv", metavar="PATH", help="write the event log as CSV here")
    parser.add_argument("--json", metavar="PATH", help="write the whole trace as JSON here")
    parser.add_argument("--gantt", metavar="PATH", help="write the Gantt chart (.svg or .png)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")


def _run(args: argparse.Namespace) -> int:
    from portfolio_sim.errors import InputError
    from portfolio_sim.tracing import trace_trial

    protect = [args.file]
    if args.gantt and not args.gantt.lower().endswith((".svg", ".png")):
        raise InputError(f"{args.gantt}: a Gantt chart is written as .svg or .png")
    check_outputs([args.csv, args.json, args.gantt], protect)
    trace = trace_trial(
        args.file,
        seed=args.seed,
        trial=args.trial,
        near=args.near,
        variant=args.variant,
        trials_for_near=args.near_trials,
    )
    if args.csv:
        trace.to_csv(args.csv, protect=protect)
    if args.json:
        trace.to_json(args.json, protect=protect)
    if args.gantt:
        trace.save_gantt(args.gantt, protect=protect)
    if not args.quiet:
        print(trace.summary())
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("trace", "event log and Gantt chart of one trial (DES)", _configure, _run),
]
