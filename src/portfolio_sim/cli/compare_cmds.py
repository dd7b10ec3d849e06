"""Subcommand ``compare``: the base scenario and its variants with common random numbers."""

from __future__ import annotations

import argparse

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import (
    add_percentiles_option,
    add_table_outputs,
    check_table_outputs,
    iso_date,
    whole_number,
    write_table_outputs,
)
from portfolio_sim.cli.progress import compile_notice, progress_printer


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected variant names separated by commas")
    return names


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument(
        "--variants",
        type=_names,
        metavar="A,B,...",
        help="variants to compare with the base (default: all in the file)",
    )
    parser.add_argument("--trials", type=whole_number, default=10_000, help="default 10000")
    parser.add_argument("--seed", type=whole_number, default=0, help="default 0")
    parser.add_argument("--engine", choices=["fast", "des"], default="fast")
    parser.add_argument(
        "--cut-line",
        type=iso_date,
        metavar="DATE",
        help="target date of the cut line (default: the latest deadline)",
    )
    add_table_outputs(parser)
    add_percentiles_option(parser, "dates 50,85; cost 50,80; NPV 10; NPV delta 10,50,90")
    from portfolio_sim.cli.cluster_options import add_cluster_options

    add_cluster_options(parser)


def _run(args: argparse.Namespace) -> int:
    from portfolio_sim.comparing import compare

    protect = check_table_outputs(args)
    compile_notice(args.quiet)
    result = compare(
        args.file,
        variants=args.variants,
        trials=args.trials,
        seed=args.seed,
        engine=args.engine,
        cut_line=args.cut_line,
        progress=progress_printer(args.quiet),
        percentiles=args.percentiles,
        scheduler=args.scheduler,
        workers=args.workers,
    )
    # the computation succeeded: only now are the outputs written (each atomically)
    write_table_outputs(result, args, protect)
    if not args.quiet:
        print(result.to_text())
        if args.cut_line is not None:  # asked for: in the terminal too, not only the files
            from portfolio_sim.results.text import cut_line_text

            print()
            print(cut_line_text(result.cut_line(args.cut_line), args.cut_line))
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("compare", "compare the base scenario with its variants", _configure, _run),
]
