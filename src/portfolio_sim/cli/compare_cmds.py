"""Subcommand ``compare``: the base scenario and its variants with common random numbers."""

from __future__ import annotations

import argparse

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import check_outputs, iso_date, whole_number, write_texts
from portfolio_sim.cli.progress import compile_notice, progress_printer
from portfolio_sim.errors import InputError


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
    parser.add_argument("--json", metavar="PATH", help="write the JSON result here")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")
    parser.add_argument("--csv", metavar="DIR", help="write one CSV file per table here")
    parser.add_argument("--xlsx", metavar="PATH", help="write an Excel workbook here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no table")


def _run(args: argparse.Namespace) -> int:
    from portfolio_sim.comparing import compare

    if args.trials < 1:
        raise InputError("--trials must be at least 1")
    protect = [args.file]
    check_outputs([args.json, args.html, args.xlsx], protect, folders=[args.csv])
    compile_notice(args.quiet)
    result = compare(
        args.file,
        variants=args.variants,
        trials=args.trials,
        seed=args.seed,
        engine=args.engine,
        cut_line=args.cut_line,
        progress=progress_printer(args.quiet),
    )
    # the computation succeeded: only now are the outputs written (each atomically)
    json_text = result.to_json() + "\n" if args.json else None
    html_text = result.to_html() if args.html else None
    if args.csv:
        result.to_csv(args.csv, protect=protect)
    if args.xlsx:
        result.to_excel(args.xlsx, protect=protect)
    write_texts([(args.json, json_text), (args.html, html_text)], protect)
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
