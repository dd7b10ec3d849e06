"""Argument types and output checks shared by the subcommands: parsing, not logic.

Each type is an argparse ``type=`` callable: it turns the text into a value or raises
:class:`argparse.ArgumentTypeError`, which argparse reports as ``portfolio-sim COMMAND:
error: argument --x: reason`` with exit status 2, before any work starts. A number that
is negative, NaN or infinite is refused here rather than turning into a NaN answer later.

:func:`check_outputs` checks every output path of a run before the run: each one can be
written, is not an input file, and no two name the same file. With these, a failing
command never touches an existing output: the files are written only after the whole
computation succeeded (each one atomically, see :mod:`portfolio_sim.results.io`).
:func:`add_table_outputs`, :func:`check_table_outputs` and :func:`write_table_outputs`
are that pattern for the commands whose result has the table exports (``forecast``,
``compare``: ``--json``, ``--html``, ``--csv``, ``--xlsx``, ``--quiet``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from portfolio_sim.errors import InputError


def whole_number(text: str) -> int:
    """A whole number >= 0 (``_`` and ``,`` allowed as thousands separators)."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def percentile_levels(text: str) -> tuple[float, ...]:
    """``--percentiles 50,80,90``: numbers in (0, 100), increasing, no duplicates."""
    from portfolio_sim.results.percentiles import check_levels

    try:
        levels = [float(part) for part in text.split(",")]
        return check_levels(levels)
    except (ValueError, InputError) as exc:
        msg = str(exc) if isinstance(exc, InputError) else f"expected numbers, got {text!r}"
        raise argparse.ArgumentTypeError(
            f"{msg} (e.g. --percentiles 50,80,90: levels in (0, 100), increasing, no duplicates)"
        ) from None


def add_percentiles_option(
    parser: argparse.ArgumentParser,
    defaults: str = "dates 10,50,85,95; cost 10,50,80,90; value 10,50,90",
) -> None:
    """``--percentiles``: the levels reported for dates, cost and value; ``defaults``
    says what is reported without it (and without the file's ``report.percentiles``)."""
    parser.add_argument(
        "--percentiles",
        type=percentile_levels,
        metavar="P,P,...",
        help="percentile levels reported for dates, cost and value, e.g. 50,80,90 "
        f"(default: the scenario's report.percentiles, else {defaults})",
    )


def amount(text: str) -> float:
    """A finite number >= 0 (money, a score): no NaN, no infinity, not negative."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text!r}")
    return value


def budget_points(text: str) -> int | list[float]:
    """``N`` (a number of frontier points, at least 2) or ``B1,B2,...`` (budgets >= 0)."""
    if "," not in text:
        try:
            points = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number of points or a list of budgets B1,B2,..., got {text!r}"
            ) from None
        if points < 2:
            raise argparse.ArgumentTypeError(f"a frontier needs at least 2 points, got {points}")
        return points
    return [amount(part.strip()) for part in text.split(",") if part.strip()]


def iso_date(text: str) -> dt.date:
    """A calendar date written ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


_SPAN = re.compile(r"\s*(\d+)\s*([wWdD]?)\s*")


def span(text: str) -> str:
    """A span like ``2w``, ``12w``, ``10d`` or a bare number of periods (at least 1)."""
    match = _SPAN.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"expected a span like 2w, 12w or 10d, got {text!r}")
    if int(match[1]) < 1:
        raise argparse.ArgumentTypeError(f"must be at least one period, got {text!r}")
    return text.strip()


def check_outputs(
    files: Iterable[str | None],
    protect: Iterable[str],
    folders: Iterable[str | None] = (),
) -> None:
    """Raise InputError unless every output can be written before any work starts.

    ``files`` are output files (their folder must exist; not a folder; not an input in
    ``protect``), ``folders`` output folders (created if missing, so they must not be an
    existing file). ``None`` entries (options not given) are skipped. No two outputs may
    name the same path: the second would silently replace the first."""
    from portfolio_sim.results.io import check_writable

    protect = list(protect)
    seen: dict[Path, str] = {}
    for path in files:
        if path:
            check_writable(path, protect=protect)
            _distinct(path, seen)
    for folder in folders:
        if folder:
            if os.path.exists(folder) and not os.path.isdir(folder):
                raise InputError(f"{folder}: is a file, expected a folder for the CSV tables")
            _distinct(folder, seen)


def _distinct(path: str, seen: dict[Path, str]) -> None:
    key = Path(path).resolve()
    if key in seen:
        raise InputError(f"{path}: the same output as {seen[key]}; give each output its own path")
    seen[key] = path


def write_texts(outputs: Iterable[tuple[str | None, str | None]], protect: Iterable[str]) -> None:
    """Write each ``(path, text)`` atomically; pairs without a path or text are skipped.
    Called once the run's computation has succeeded, with every text already rendered."""
    from portfolio_sim.results.io import write_text_atomic

    protect = list(protect)
    for path, text in outputs:
        if path and text is not None:
            write_text_atomic(path, text, protect)


def add_table_outputs(parser: argparse.ArgumentParser) -> None:
    """The output options of a command whose result has the table exports."""
    parser.add_argument("--json", metavar="PATH", help="write the JSON result here")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")
    parser.add_argument("--csv", metavar="DIR", help="write one CSV file per table here")
    parser.add_argument("--xlsx", metavar="PATH", help="write an Excel workbook here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no table")


def check_table_outputs(args: argparse.Namespace) -> list[str]:
    """Before any work: ``--trials`` is at least 1 and every output of
    :func:`add_table_outputs` can be written (:func:`check_outputs`). Returns the paths
    no output may replace (the scenario file)."""
    if args.trials != "auto" and args.trials < 1:
        raise InputError("--trials must be at least 1")
    protect = [args.file]
    check_outputs([args.json, args.html, args.xlsx], protect, folders=[args.csv])
    return protect


def write_table_outputs(result: Any, args: argparse.Namespace, protect: list[str]) -> None:
    """Write the outputs asked for, once the computation has succeeded: JSON and HTML are
    rendered first, then the CSV folder and the workbook, then the texts; each file is
    written atomically and none over a ``protect`` path."""
    json_text = result.to_json() + "\n" if args.json else None
    html_text = result.to_html() if args.html else None
    if args.csv:
        result.to_csv(args.csv, protect=protect)
    if args.xlsx:
        result.to_excel(args.xlsx, protect=protect)
    write_texts([(args.json, json_text), (args.html, html_text)], protect)
