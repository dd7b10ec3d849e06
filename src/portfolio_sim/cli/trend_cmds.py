"""``trend DIR``: how the forecast moved over the saved snapshots (docs/model.md §11.5)."""

from __future__ import annotations

import argparse

from portfolio_sim.cli import EXIT_OK, Command


def _configure_trend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="DIR", help="folder of forecast snapshots "
                        "(forecast ... --save-snapshot DIR)")  # fmt: skip
    parser.add_argument("--html", metavar="PATH", help="write the trend report (charts, table)")
    parser.add_argument("--csv", metavar="DIR", help="write trend.csv into this folder")
    parser.add_argument("--json", metavar="PATH", help="write the trend rows as JSON")


def _run_trend(args: argparse.Namespace) -> int:
    import json
    import os

    from portfolio_sim.cli.arguments import check_outputs
    from portfolio_sim.results.io import csv_text, write_text_atomic
    from portfolio_sim.results.snapshots import load_snapshots, trend_frame, trend_rows, trend_text

    check_outputs([args.html, args.json], [], folders=[args.csv])
    snaps = load_snapshots(args.folder)
    # outputs go outside the snapshot folder's *.json, or the next trend would read them
    for path in (args.json,):
        if path and os.path.abspath(os.path.dirname(path) or ".") == os.path.abspath(args.folder):
            from portfolio_sim.errors import InputError

            raise InputError(f"{path}: inside the snapshot folder; the next trend would read it")
    df = trend_frame(snaps)
    currency = str(snaps[-1].get("currency") or "")
    if args.html:
        from portfolio_sim.report.trend import trend_html

        title = f"Forecast trend: {snaps[-1].get('scenario', '')}"
        write_text_atomic(args.html, trend_html(df, currency, title))
    if args.csv:
        os.makedirs(args.csv, exist_ok=True)
        write_text_atomic(os.path.join(args.csv, "trend.csv"), csv_text(df))
    if args.json:
        text = json.dumps({"trend": trend_rows(df)}, indent=2, allow_nan=False) + "\n"
        write_text_atomic(args.json, text)
    print(trend_text(df, currency))
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("trend", "how the forecast moved over saved snapshots", _configure_trend, _run_trend),
]
