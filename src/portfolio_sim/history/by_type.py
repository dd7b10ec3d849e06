"""Throughput per item type: ``calibrate --by COLUMN`` (docs/model.md §2.10).

The export is calibrated as a whole (history/calibrate.py), then once per distinct value
of ``COLUMN`` (compared case-insensitively, surrounding spaces ignored; the first
spelling seen names the type) with only that value's rows, on the same periods: every
per-type run uses ``since`` = the whole run's first period and ``until`` = its export
date, so global period k is the same week in every run, and a team's per-type lists are
cut to the team's own periods. Period k of a team therefore has one count per type, and
the counts of a period sum to the team's sample for that period (rows with a blank
``COLUMN`` are in the total but in no type; they are counted in a note). The lists are
*aligned*: drawing period k gives the vector of its per-type counts jointly, which keeps
the correlation between types (a week of many bugs is a week of few stories). The
snippet writes them as each team's ``throughput.by_type``, which the engines read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portfolio_sim.errors import InputError
from portfolio_sim.history.calibrate import Calibration, calibrate, find_columns, read_rows


@dataclass
class TypeSamples:
    """Per team and type, the items done per period, aligned with the team's samples."""

    column: str
    types: list[str]
    counts: dict[str, dict[str, list[int]]]  # team -> type -> per period
    notes: list[str] = field(default_factory=list)

    def comment(self) -> str:
        """The snippet's note on rows in no type (empty if none): their items count in a
        period's sample but in no type, and a typed team's engines lose them (§2.10)."""
        if not self.notes:
            return ""
        lines = [f"# note: {n}: they count in a period's sample only" for n in self.notes]
        lines.append(
            "# (a forecast loses a period's items that are in no type, docs/model.md §2.10)"
        )
        return "\n".join(lines) + "\n"


def calibrate_by(
    history: str | os.PathLike[str], by: str, **options: Any
) -> tuple[Calibration, TypeSamples]:
    """Calibrate ``history`` as :func:`calibrate` does, and split each team's samples by
    the values of column ``by`` (see the module docstring). ``options`` are those of
    :func:`calibrate` except ``types`` and ``type_column``, which ``by`` replaces."""
    if options.get("types") is not None:
        raise InputError("--by and --types cannot be combined (--by splits by every type)")
    whole = calibrate(history, **options)
    header, rows = read_rows(Path(history))
    try:
        cols = find_columns(header, {"type": by})
    except InputError as e:
        raise InputError(f"{history}: --by: {e}") from None
    i = cols["type"]
    names: dict[str, str] = {}
    blank = 0
    for _, cells in rows:
        value = cells[i].strip() if i < len(cells) else ""
        if not value:
            blank += 1
        else:
            names.setdefault(value.lower(), value)
    # The same periods in every per-type run: since = period 0's first day (or the
    # caller's since), until = the last complete period's last day (or the caller's).
    opts = dict(options, type_column=by)
    if opts.get("since") is None:
        opts["since"] = whole.period_start(0)
    if opts.get("until") is None:
        opts["until"] = whole.period_end(whole.n_periods - 1)
    counts: dict[str, dict[str, list[int]]] = {team: {} for team in whole.teams}
    for low, name in names.items():
        part = calibrate(history, **dict(opts, types=[low]))
        for team in whole.teams:
            k0 = whole.first[team]
            got = part.samples(team) if team in part.counts else [0] * part.n_periods
            counts[team][name] = got[k0 : k0 + len(whole.counts[team])]
    notes = [f"{blank} rows with a blank {by!r} are in no type"] if blank else []
    return whole, TypeSamples(by, list(names.values()), counts, notes)
