"""Fit a relative-sizing table (docs/model.md §3.8) from a work-item history.

Each row with a size (or a story-point count), a start and a done date gives one cycle
time in **working days**, start and done day counted (``np.busday_count`` with the given
working weekdays, no holidays: started and done on the same working day = 1). For
``points`` the value is cycle time / points, the per-point time under the model's rule
(points x one per-point draw).

Per size (or for ``per_point``) the values give a distribution of §4:

* ``lognormal: {p10, p90}`` matching the empirical P10 and P90 (the percentile rule of
  §8.6), the default: right-skewed like cycle times, and written in the form a PM reads;
* ``fixed`` when P10 = P90 (every item took the same time);
* ``samples`` (the values themselves, bootstrapped) when P10 is 0 (items started and done
  on non-working days), which a lognormal cannot match.

A size with fewer than :data:`MIN_ITEMS` items is left out and named in the notes; rows
without a size, a start or a done date, or with bad dates or points, are skipped and
reported with their CSV line numbers, never silently. A cycle time equals person-days
only when one person works an item at a time: the table is a starting point to review.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from portfolio_sim.calendar import DEFAULT_WORKDAYS, weekmask_of
from portfolio_sim.errors import InputError
from portfolio_sim.history.calibrate import SkippedRow, find_columns, parse_date, read_rows
from portfolio_sim.results.percentiles import sample_percentiles

#: Fewest items a size needs to be fitted.
MIN_ITEMS = 5


@dataclass
class SizeTable:
    """A fitted ``sizes`` table (``points`` False) or ``points.per_point`` (True)."""

    source: str
    column: str
    points: bool
    #: name -> distribution mapping, e.g. ``{"lognormal": {"p10": 2.0, "p90": 9.0}}``;
    #: for points the single name ``per_point``. Ordered by median value.
    table: dict[str, dict[str, Any]]
    counts: dict[str, int]
    skipped: list[SkippedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        """The table as a scenario snippet (YAML 1.2; names quoted as JSON strings)."""
        what = "cycle time / points" if self.points else "cycle time"
        lines = [
            f"# fitted from {Path(self.source).name}, column {self.column!r}: {what} in "
            "working days (start and done day counted); review before use",
            "points:" if self.points else "sizes:",
        ]
        for name, dist in self.table.items():
            key = "per_point" if self.points else json.dumps(name)
            lines.append(f"  {key}: {_flow(dist)}   # {self.counts[name]} items")
        return "\n".join(lines) + "\n"


def _num(x: float) -> str:
    return f"{round(float(x), 3):g}"


def _flow(dist: dict[str, Any]) -> str:
    ((kind, params),) = dist.items()
    if isinstance(params, dict):
        inner = ", ".join(f"{k}: {_num(v)}" for k, v in params.items())
        return f"{{{kind}: {{{inner}}}}}"
    if isinstance(params, list):
        return f"{{{kind}: [{', '.join(_num(v) for v in params)}]}}"
    return f"{{{kind}: {_num(params)}}}"


def fit_distribution(values: np.ndarray) -> dict[str, Any]:
    """The distribution fitted to ``values`` (see the module docstring)."""
    p10, p90 = (float(v) for v in sample_percentiles(np.asarray(values, float), [10, 90]))
    if p10 == p90:
        return {"fixed": p10}
    if p10 <= 0.0:
        return {"samples": sorted(float(v) for v in values)}
    return {"lognormal": {"p10": p10, "p90": p90}}


def fit_sizes(
    history: str | os.PathLike[str],
    column: str,
    *,
    points: bool = False,
    done_column: str | None = None,
    started_column: str | None = None,
    workdays: Sequence[str] = DEFAULT_WORKDAYS,
    dayfirst: bool = False,
) -> SizeTable:
    """Fit a ``sizes`` table from the size labels in ``column`` (or, with ``points``, a
    ``per_point`` distribution from the point counts in it) and the items' cycle times.

    Raises:
        InputError: unreadable file, or the size, done or start column missing.
    """
    path = Path(history)
    header, rows = read_rows(path)
    cols = find_columns(header, {"done": done_column, "started": started_column})
    norm = [h.strip().lower() for h in header]
    missing = [r for r in ("done", "started") if r not in cols]
    if column.strip().lower() not in norm or missing:
        what = [f"{column!r}"] if column.strip().lower() not in norm else []
        raise InputError(
            f"{path}: no {' or '.join(what + missing)} column; columns found: "
            + ", ".join(repr(h) for h in header)
        )
    at = {"size": norm.index(column.strip().lower()), **cols}
    mask = weekmask_of(workdays)
    groups: dict[str, list[float]] = {}
    skipped: list[SkippedRow] = []
    for line, cells in rows:
        got = {r: (cells[i].strip() if i < len(cells) else "") for r, i in at.items()}
        reason = _row_problem(got, points, dayfirst)
        if reason:
            skipped.append(SkippedRow(line, reason))
            continue
        start, done = parse_date(got["started"], dayfirst), parse_date(got["done"], dayfirst)
        assert start is not None and done is not None
        days = float(np.busday_count(start, done + dt.timedelta(days=1), weekmask=mask))
        name = "per_point" if points else got["size"]
        groups.setdefault(name, []).append(days / float(got["size"]) if points else days)
    notes: list[str] = []
    table: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    order = sorted(groups, key=lambda g: (float(np.median(groups[g])), g))
    for name in order:
        values = np.array(groups[name])
        if len(values) < MIN_ITEMS:
            notes.append(
                f"size {name!r} left out: {len(values)} items, at least {MIN_ITEMS} needed"
            )
            continue
        table[name] = fit_distribution(values)
        counts[name] = len(values)
    if not table:
        raise InputError(
            f"{path}: no size with at least {MIN_ITEMS} items that have a start and a done "
            f"date ({len(skipped)} rows skipped)"
        )
    return SizeTable(str(path), column, points, table, counts, skipped, notes)


def _row_problem(got: dict[str, str], points: bool, dayfirst: bool) -> str:
    """Why a row cannot be used ('' when it can)."""
    if not got["size"]:
        return "no size" if not points else "no points"
    if points:
        try:
            n = float(got["size"])
        except ValueError:
            return f"points {got['size']!r} is not a number"
        if not np.isfinite(n) or n <= 0:
            return f"points {got['size']!r} must be a number > 0"
    if not got["started"]:
        return "no start date (no cycle time)"
    if not got["done"]:
        return "no done date"
    start, done = parse_date(got["started"], dayfirst), parse_date(got["done"], dayfirst)
    if start is None or done is None:
        bad = got["started"] if start is None else got["done"]
        return f"unparseable date {bad!r}"
    if done < start:
        return f"done {done} before started {start}"
    return ""
