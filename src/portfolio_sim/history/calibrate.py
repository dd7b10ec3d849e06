"""Calibrate throughput teams from a work-item export (Jira, Azure DevOps, any CSV).

What it reads
    One row per work item with a team and a done date, optionally a start and a created
    date, a key and a type. Headers are matched case-insensitively (see :data:`ALIASES`;
    e.g. Jira's ``Resolved``, Azure DevOps' ``Closed Date`` and ``Area Path``) or named
    explicitly. Dates may be ISO (``2024-03-12``, with or without time and offset) or
    any format :func:`parse_date` recognises (``12/Mar/24 3:45 PM``, ``March 4, 2024``,
    ``2024Q1``); ambiguous ``3/4/2024`` is read month first unless ``dayfirst=True``. Only the calendar date counts: a time and a UTC
    offset are dropped (the wall-clock date of the export is the date the team saw).

Rows that are skipped, never silently
    A row is skipped, and reported with its CSV line number (the header is line 1; a
    record spanning several lines is reported at its first line), when its team or done
    date is blank, a date is unparseable or implausible (year outside 1970-2100), it was
    done before it started or was created, or its key repeats an earlier row's key.
    A blank start date is not an error (items moved straight to done): the row counts
    for throughput but not for cycle time. Rows of types not asked for (``types``) and
    rows done before ``since`` or after the last complete period are *excluded* (counted
    in :attr:`Calibration.notes`), not skipped.

Periods (docs/model.md §2, §10 calendar semantics)
    ``per="week"``: blocks of as many working days as the calendar has working weekdays
    (Mon-Fri by default), starting on the Monday of the ISO week of ``since`` (or of the
    first done date), so with the default calendar a period is an ISO week. ``per="day"``:
    one working day. An item done on a non-working day counts in the period of the last
    working day before it (Saturday's items count on Friday, in Monday-Sunday week). A
    team's periods run from the period of its own first done item (or from ``since``) to
    the last *complete* period: the last one whose last working day is on or before
    ``until`` (default: the latest done date in the export). Periods with no items are
    zeros in the samples, never dropped.

Cycle time
    Calendar days from start date to done date, counting both ends (started and done the
    same day = 1 day), reported as P50/P85/P95 under the percentile rule of docs/model.md §8.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from dateutil import parser as dateutil_parser

from portfolio_sim.calendar import DEFAULT_WORKDAYS, WorkCalendar, as_date
from portfolio_sim.errors import InputError
from portfolio_sim.results.history_tables import Table, history_calibration_summary
from portfolio_sim.results.percentiles import sample_percentiles

Per = Literal["week", "day"]

#: Recognised header names per role, in order of preference (compared case-insensitively,
#: surrounding spaces ignored).
ALIASES: dict[str, tuple[str, ...]] = {
    "team": ("team", "squad", "team name", "area path", "system.areapath", "board", "project"),
    "done": (
        "done",
        "done date",
        "resolved",
        "resolution date",
        "resolutiondate",
        "resolved date",
        "closed date",
        "closed",
        "completed",
        "completed date",
        "microsoft.vsts.common.closeddate",
    ),
    "started": (
        "started",
        "start date",
        "started date",
        "in progress",
        "activated date",
        "microsoft.vsts.common.activateddate",
    ),
    "created": ("created", "created date", "system.createddate"),
    "key": ("key", "issue key", "id", "work item id", "system.id"),
    "type": ("type", "issue type", "work item type", "system.workitemtype"),
}
REQUIRED = ("team", "done")
CYCLE_PERCENTILES = (50, 85, 95)
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
#: A cell that starts with a time of day (``12:30:45``): its date is today's.
_TIME_FIRST = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])")
#: Quarters: ``2024Q1``, ``2024-Q1``, ``24Q1``, ``1Q2024``, ``1Q-2024``, ``1Q24``.
_QUARTER = re.compile(r"^(?:(\d{4}|\d{2})-?Q(\d)|(\d)Q-?(\d{4}|\d{2}))$", re.IGNORECASE)


@dataclass(frozen=True)
class SkippedRow:
    """A row left out of the calibration: its CSV line number and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Calibration:
    """Throughput samples and cycle times per team, read from one export.

    ``counts[team][k]`` is the number of items the team finished in its k-th period;
    that period is global period ``first[team] + k`` and starts on
    ``period_start(first[team] + k)``. Periods ``0 .. n_periods - 1`` are complete.
    """

    source: str
    per: Per
    workdays: tuple[str, ...]
    calendar: WorkCalendar
    period_length: int
    n_periods: int
    counts: dict[str, np.ndarray]
    first: dict[str, int]
    cycle_times: dict[str, np.ndarray]
    columns: dict[str, str]
    skipped: list[SkippedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def teams(self) -> list[str]:
        """Teams with at least one complete period, in order of first appearance."""
        return list(self.counts)

    def samples(self, team: str) -> list[int]:
        """The team's items per period, zero periods included (a ``throughput.samples``)."""
        return [int(x) for x in self.counts[team]]

    def period_start(self, k: int) -> dt.date:
        """First working day of global period ``k``."""
        return _to_date(self.calendar.date_of(k * self.period_length))

    def period_end(self, k: int) -> dt.date:
        """Last working day of global period ``k``."""
        return _to_date(self.calendar.date_of((k + 1) * self.period_length - 1))

    def summary(self) -> Table:
        """Per team: periods, items, mean items per period, cycle-time P50/P85/P95 (days);
        built by :func:`portfolio_sim.results.history_tables.history_calibration_summary`."""
        rows = []
        for team, counts in self.counts.items():
            ct = self.cycle_times.get(team, np.array([]))
            row: dict[str, Any] = {
                "team": team,
                "periods": len(counts),
                "items": int(counts.sum()),
                "mean_per_period": float(counts.mean()) if len(counts) else float("nan"),
                "zero_periods": int((counts == 0).sum()),
                "cycle_n": len(ct),
            }
            pct = sample_percentiles(ct, CYCLE_PERCENTILES) if len(ct) else None
            for i, p in enumerate(CYCLE_PERCENTILES):
                row[f"cycle_p{p}"] = float(pct[i]) if pct is not None else float("nan")
            rows.append(row)
        return history_calibration_summary(rows)

    def to_yaml(self, by_type: dict[str, dict[str, list[int]]] | None = None) -> str:
        """A scenario snippet: ``teams`` with ``throughput: {samples, per}``, to paste or
        merge into a scenario (YAML 1.2; team ids and types quoted as JSON strings). With
        ``by_type`` (team -> type -> counts aligned with the samples, ``calibrate --by``)
        each team's throughput also gets its ``by_type`` (docs/model.md §2.10)."""
        lines = [
            f"# calibrated from {Path(self.source).name}: done column {self.columns['done']!r},",
            f"# {self.n_periods} complete {self.per}s from {self.period_start(0)}"
            f" to {self.period_end(self.n_periods - 1) if self.n_periods else '-'}",
            "teams:",
        ]
        for team in self.teams:
            samples = ", ".join(str(x) for x in self.samples(team))
            lines.append(f"  - id: {json.dumps(team)}")
            typed = ""
            if by_type is not None and by_type.get(team):
                typed = (
                    ", by_type: {"
                    + ", ".join(
                        f"{json.dumps(t)}: [{', '.join(str(x) for x in c)}]"
                        for t, c in by_type[team].items()
                    )
                    + "}"
                )
            lines.append(f"    throughput: {{samples: [{samples}], per: {self.per}{typed}}}")
        return "\n".join(lines) + "\n"

    def skipped_text(self) -> str:
        """One line per skipped row, prefixed with the source file."""
        return "\n".join(f"{self.source}:{s.line}: skipped: {s.reason}" for s in self.skipped)


def _to_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime64(value, "D")))


def parse_date(text: str, dayfirst: bool = False) -> dt.date | None:
    """The calendar date of one cell, or None when blank or not a plausible date.

    ISO dates (``2024-03-12``, any time and offset after them) are read directly. Any
    other text with a digit and at least 6 characters: a quarter (``2024Q1``) is its
    first day, a number below 1000 is no date, a cell starting with a time of day is
    today, and the rest is read by ``dateutil`` (missing parts from 0001-01-01, so
    ``Mar 2024`` is 1 March; an unknown time-zone name makes it unparseable). Only the
    wall-clock date counts; a year outside 1970-2100 is implausible (None).
    """
    text = text.strip()
    if not text:
        return None
    m = _ISO.match(text)
    if m:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    else:
        if not re.search(r"\d", text) or len(text) < 6:
            return None
        other = _parse_other(text, dayfirst)
        if other is None:
            return None
        day = other
    return day if 1970 <= day.year <= 2100 else None


def _parse_other(text: str, dayfirst: bool) -> dt.date | None:
    """A non-ISO date (see :func:`parse_date`); None when unparseable."""
    try:
        if float(text) < 1000:  # a small number is not a date
            return None
    except ValueError:
        pass
    if _TIME_FIRST.match(text):
        default = dt.datetime.combine(dt.date.today(), dt.time())
    else:
        q = _QUARTER.match(text)
        if q:
            year, quarter = (q[1], q[2]) if q[1] else (q[4], q[3])
            if not 1 <= int(quarter) <= 4:
                return None
            return dt.date(int(year) + (2000 if len(year) == 2 else 0), 3 * int(quarter) - 2, 1)
        default = dt.datetime(1, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
        try:
            return dateutil_parser.parse(text, default=default, dayfirst=dayfirst).date()
        except (ValueError, OverflowError, TypeError, dateutil_parser.UnknownTimezoneWarning):
            return None


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(first line number, cells)`` of each non-blank record."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    first_line = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            start = line
            line = reader.line_num + 1
            if header is None:
                header = cells
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append((start, cells))
    except csv.Error as err:
        raise InputError(f"{path}:{line}: malformed CSV ({err})") from None
    if not header:
        raise InputError(f"{path}: empty file (no header row)")
    return header, rows


def find_columns(header: Sequence[str], explicit: dict[str, str | None]) -> dict[str, int]:
    """Column index per role; explicit names win, else the first alias found."""
    norm = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for role, aliases in ALIASES.items():
        name = explicit.get(role)
        if name is not None:
            if name.strip().lower() not in norm:
                raise InputError(
                    f"no column {name!r} (for {role}); columns found: "
                    + ", ".join(repr(h) for h in header)
                )
            found[role] = norm.index(name.strip().lower())
            continue
        for alias in aliases:
            if alias in norm:
                found[role] = norm.index(alias)
                break
    return found


def calibrate(
    history: str | os.PathLike[str],
    *,
    team_column: str | None = None,
    done_column: str | None = None,
    started_column: str | None = None,
    created_column: str | None = None,
    key_column: str | None = None,
    type_column: str | None = None,
    team: str | None = None,
    types: Iterable[str] | None = None,
    per: Per = "week",
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    workdays: Sequence[str] = DEFAULT_WORKDAYS,
    dayfirst: bool = False,
) -> Calibration:
    """Read a work-item export and compute per-team throughput samples and cycle times.

    Args:
        history: the CSV file (comma, semicolon or tab separated; UTF-8, BOM allowed).
        team_column, done_column, ...: header names, when the defaults of
            :data:`ALIASES` do not find them.
        team: put every row in this one team (for an export without a team column).
        types: keep only rows of these work-item types (case-insensitive).
        per: ``"week"`` or ``"day"`` periods (see the module docstring).
        since: ignore items done before this date; all teams' periods start here.
        until: the export date; periods ending after it are incomplete and left out.
        workdays: the working weekdays defining a week's length and a day period.
        dayfirst: read ambiguous dates like ``3/4/2024`` as 3 April.

    Raises:
        InputError: unreadable file, or a required column (team, done) missing; the
            message names the columns found.
    """
    path = Path(history)
    if per not in ("week", "day"):
        raise InputError(f"per must be 'week' or 'day', got {per!r}")
    header, rows = read_rows(path)
    explicit = {
        "team": team_column,
        "done": done_column,
        "started": started_column,
        "created": created_column,
        "key": key_column,
        "type": type_column,
    }
    cols = find_columns(header, explicit)
    needed = [r for r in REQUIRED if r not in cols and not (r == "team" and team is not None)]
    if needed:
        raise InputError(
            f"{path}: no {' or '.join(needed)} column (looked for "
            + "; ".join(f"{r}: {', '.join(ALIASES[r])}" for r in needed)
            + "); columns found: "
            + ", ".join(repr(h) for h in header)
        )
    since_d = _as_date(since, "since")
    until_d = _as_date(until, "until")
    wanted = {t.strip().lower() for t in types} if types is not None else None

    skipped: list[SkippedRow] = []
    done_of: list[tuple[str, dt.date, dt.date | None]] = []  # team, done, started
    seen_keys: dict[str, int] = {}
    excluded_type = 0
    cache: dict[str, dt.date | None] = {}

    def cell(cells: list[str], role: str) -> str:
        i = cols.get(role)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def date_of(text: str) -> dt.date | None:
        if text not in cache:
            cache[text] = parse_date(text, dayfirst)
        return cache[text]

    for line, cells in rows:
        if wanted is not None and "type" in cols and cell(cells, "type").lower() not in wanted:
            excluded_type += 1
            continue
        problems: list[str] = []
        who = team if team is not None else cell(cells, "team")
        if not who:
            problems.append(f"no team ({header[cols['team']]!r} is blank)")
        dates: dict[str, dt.date | None] = {}
        for role in ("done", "started", "created"):
            if role not in cols:
                continue
            text = cell(cells, role)
            name = header[cols[role]]
            if not text:
                if role == "done":
                    problems.append(f"no done date ({name!r} is blank)")
                dates[role] = None
                continue
            dates[role] = date_of(text)
            if dates[role] is None:
                problems.append(f"unparseable {role} date {text!r} in {name!r}")
        done = dates.get("done")
        for role in ("started", "created"):
            other = dates.get(role)
            if done is not None and other is not None and done < other:
                problems.append(f"done {done} before {role} {other}")
        key = cell(cells, "key")
        if not problems and key:
            if key in seen_keys:
                problems.append(f"duplicate key {key!r} (first on line {seen_keys[key]})")
            else:
                seen_keys[key] = line
        if problems:
            skipped.append(SkippedRow(line, "; ".join(problems)))
            continue
        assert done is not None
        done_of.append((who, done, dates.get("started")))

    notes: list[str] = []
    if excluded_type:
        notes.append(f"{excluded_type} rows of other types excluded")
    if not done_of:
        raise InputError(f"{path}: no rows with a team and a valid done date")
    last = until_d or max(d for _, d, _ in done_of)
    first = since_d or min(d for _, d, _ in done_of)
    anchor = first - dt.timedelta(days=first.weekday()) if per == "week" else first
    cal = WorkCalendar(anchor, last, workdays=workdays)
    length = cal.workdays_per_week if per == "week" else 1
    n_periods = max((int(cal.index_on_or_before(last)) + 1) // length, 0)

    by_team: dict[str, list[tuple[int, dt.date | None, dt.date]]] = {}
    early = late = 0
    for who, done, started in done_of:
        idx = int(cal.index_on_or_before(done))
        if idx < 0 or (since_d is not None and done < since_d):
            early += 1
            continue
        k = idx // length
        if k >= n_periods:
            late += 1
            continue
        by_team.setdefault(who, []).append((k, started, done))
    if early:
        notes.append(f"{early} items done before {first} excluded")
    if late:
        notes.append(f"{late} items done after the last complete {per} excluded")
    if n_periods == 0:
        raise InputError(f"{path}: no complete {per} between {first} and {last}")

    counts: dict[str, np.ndarray] = {}
    firsts: dict[str, int] = {}
    cycles: dict[str, np.ndarray] = {}
    for who, items in by_team.items():
        k0 = 0 if since_d is not None else min(k for k, _, _ in items)
        c = np.zeros(n_periods - k0, dtype=np.int64)
        for k, _, _ in items:
            c[k - k0] += 1
        counts[who], firsts[who] = c, k0
        cycles[who] = np.array(
            [(d - s).days + 1 for _, s, d in items if s is not None], dtype=np.int64
        )
    return Calibration(
        source=str(path),
        per=per,
        workdays=tuple(workdays),
        calendar=cal,
        period_length=length,
        n_periods=n_periods,
        counts=counts,
        first=firsts,
        cycle_times=cycles,
        columns={r: header[i] for r, i in cols.items()},
        skipped=skipped,
        notes=notes,
    )


def _as_date(value: dt.date | str | None, what: str) -> dt.date | None:
    return None if value is None else as_date(value, what)
