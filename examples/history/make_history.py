"""Generate ``jira-export.csv``: a realistic Jira export of two teams over 15 months.

Run once (``python examples/history/make_history.py``); the seed is fixed, so the file is
the same on every machine. The export is what ``portfolio-sim calibrate``, ``backtest``
and the README's examples read:

* two teams, **Payments** (about 4 items a week) and **Mobile** (about 2.5), from
  2024-01-01 to 2025-03-31 (65 weeks);
* weekly throughput varies: a gamma-Poisson (negative binomial) draw around each team's
  rate, so some weeks have none;
* dips: the Christmas and New Year weeks (about 15% of the rate), a summer slowdown
  in August (about 60%), Easter week (about 50%);
* stories, tasks and about 15% bugs; each item has a created date, a start date and a
  resolved date (cycle times of a few days to a few weeks), all in Jira's
  ``04/Feb/24 09:05 AM`` format;
* like a real export: a few items still open (blank Resolved), one row with no team.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

SEED = 20240101
FIRST_MONDAY = dt.date(2024, 1, 1)
WEEKS = 65
TEAMS = {"Payments": ("PAY", 4.0), "Mobile": ("MOB", 2.5)}
OUT = Path(__file__).with_name("jira-export.csv")


def _dip(monday: dt.date) -> float:
    """Share of the usual throughput in the week starting ``monday``."""
    days = [monday + dt.timedelta(d) for d in range(5)]
    if any((d.month == 12 and d.day >= 23) or (d.month == 1 and d.day <= 2) for d in days):
        return 0.15
    if any(d in (dt.date(2024, 3, 29), dt.date(2024, 4, 1)) for d in days):
        return 0.5
    if monday.month == 8:
        return 0.6
    return 1.0


def _stamp(day: dt.date, rng: np.random.Generator) -> str:
    hour, minute = int(rng.integers(8, 18)), int(rng.integers(0, 60))
    t = dt.datetime(day.year, day.month, day.day, hour, minute)
    return t.strftime("%d/%b/%y %I:%M %p")


def _workday(monday: dt.date, rng: np.random.Generator) -> dt.date:
    return monday + dt.timedelta(days=int(rng.integers(0, 5)))


def rows(rng: np.random.Generator) -> list[list[str]]:
    out: list[list[str]] = []
    for team, (prefix, rate) in TEAMS.items():
        number = 100
        for week in range(WEEKS):
            monday = FIRST_MONDAY + dt.timedelta(weeks=week)
            mean = rate * _dip(monday)
            count = int(rng.poisson(rng.gamma(4.0, mean / 4.0))) if mean > 0 else 0
            for _ in range(count):
                number += 1
                resolved = _workday(monday, rng)
                cycle = int(np.ceil(rng.lognormal(np.log(5.0), 0.6)))
                started = resolved - dt.timedelta(days=cycle)
                created = started - dt.timedelta(days=int(rng.integers(1, 40)))
                kind = rng.choice(["Story", "Task", "Bug"], p=[0.65, 0.2, 0.15])
                summary = f"{'Fix' if kind == 'Bug' else 'Build'} item {number}"
                out.append(
                    [
                        f"{prefix}-{number}",
                        str(kind),
                        summary,
                        team,
                        _stamp(created, rng),
                        _stamp(started, rng),
                        _stamp(resolved, rng),
                    ]
                )
        for k in range(3):  # still in progress at export time
            number += 1
            out.append(
                [f"{prefix}-{number}", "Story", f"Build item {number}", team,
                 _stamp(dt.date(2025, 3, 10 + k), rng), _stamp(dt.date(2025, 3, 24), rng), ""]
            )  # fmt: skip
    out.append(["OPS-7", "Task", "Rotate certificates", "", "02/Apr/24 10:00 AM",
                "03/Apr/24 09:00 AM", "04/Apr/24 03:00 PM"])  # fmt: skip
    order = rng.permutation(len(out))  # exports are not sorted by team
    return [out[i] for i in order]


def main() -> None:
    rng = np.random.default_rng(SEED)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["Issue key", "Issue Type", "Summary", "Team", "Created", "Start date", "Resolved"]
        )
        writer.writerows(rows(rng))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
