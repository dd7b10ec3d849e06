"""The tables of one traced trial and the :class:`Trace` that holds them: the DataFrame
contract of the trace lives here.

The DES layer computes a trial's event log, schedule and utilisation as plain rows
(:class:`portfolio_sim.des.event_trace.TraceRows`: tuples and dicts of Python / numpy
values, dates as ``datetime.date`` or ``numpy.datetime64``, ``None`` for "no date");
:func:`build_trace` turns them into a :class:`Trace`, with the builders:

* :func:`trace_events_frame`: :data:`EVENT_COLUMNS`, ``day`` int64, ``date`` datetime64;
* :func:`trace_features_frame`: one row per feature, dates as Timestamps (NaT = none);
* :func:`trace_utilisation_frame` / :func:`trace_utilisation_totals`: per team and month
  (or over the whole paid period), shares of the paid capacity
  (:data:`UTILISATION_COLUMNS`; NaN where a team has nothing to share).

:class:`Trace` adds the exports (CSV, JSON, Gantt chart) and a text summary.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from portfolio_sim.calendar import WorkCalendar, done_day
from portfolio_sim.codes import EPS
from portfolio_sim.errors import InputError

if TYPE_CHECKING:
    from portfolio_sim.des.event_trace import TraceRows

#: The table type of the trace, for the layers that do not import pandas themselves.
Table: TypeAlias = pd.DataFrame

#: Columns of :attr:`Trace.events`.
EVENT_COLUMNS = ("workday", "day", "date", "team", "feature", "event", "detail")

#: Columns of :attr:`Trace.utilisation` (shares are fractions of the paid capacity).
UTILISATION_COLUMNS = (
    "team",
    "month",
    "paid_days",
    "paid_capacity",
    "busy",
    "idle_blocked",
    "idle_empty",
)

#: Date columns of :attr:`Trace.features` (``None`` in a row becomes NaT).
FEATURE_DATE_COLUMNS = ("start_date", "done_date", "deadline")


# -- table builders ----------------------------------------------------------------------
def trace_events_frame(rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """The event log: one row per ``(workday, day, date, team, feature, event, detail)``
    tuple, in order; ``day`` as int64 and ``date`` as datetime64."""
    df = pd.DataFrame(
        [(t, day, pd.Timestamp(date), *rest) for t, day, date, *rest in rows],
        columns=list(EVENT_COLUMNS),
    )
    df["day"] = df["day"].astype(np.int64)
    df["date"] = pd.to_datetime(df["date"])
    return df


def trace_features_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The schedule: one row per feature dict, in order; the
    :data:`FEATURE_DATE_COLUMNS` become Timestamps (``None``: NaT)."""
    return pd.DataFrame(
        [
            {
                k: (pd.Timestamp(v) if v is not None else pd.NaT)
                if k in FEATURE_DATE_COLUMNS
                else v
                for k, v in row.items()
            }
            for row in rows
        ]
    )


def trace_utilisation_frame(rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """Utilisation per team and month: one row per :data:`UTILISATION_COLUMNS` tuple."""
    return pd.DataFrame(list(rows), columns=list(UTILISATION_COLUMNS))


def trace_utilisation_totals(utilisation: pd.DataFrame, teams: list[str]) -> pd.DataFrame:
    """Per team over its whole paid period (``month`` = "all"): the monthly shares of
    ``utilisation`` weighted by paid capacity (throughput teams, or teams without
    capacity: by paid days). A team without paid time gets NaN shares."""
    u = utilisation
    rows = []
    for team in teams:
        part = u[u["team"] == team]
        row: dict[str, Any] = {"team": team, "month": "all"}
        row["paid_days"] = float(part["paid_days"].sum())
        row["paid_capacity"] = float(part["paid_capacity"].sum(min_count=1))
        use_cap = bool((part["paid_capacity"] > 0).any())
        weight = part["paid_capacity"] if use_cap else part["paid_days"]
        total = float(weight.sum())
        for col in ("busy", "idle_blocked", "idle_empty"):
            row[col] = (
                float((part[col].fillna(0.0) * weight).sum() / total) if total > 0 else np.nan
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(UTILISATION_COLUMNS))


# -- the trace ---------------------------------------------------------------------------
@dataclass
class Trace:
    """One traced trial. Clock times are working days from day 0; ``inf`` = not done."""

    scenario: str
    variant: str | None
    seed: int
    trial: int
    finish: float  # portfolio finish clock time of this trial
    finish_date: dt.date | None  # its done date (None: not done by the horizon)
    horizon_date: dt.date
    teams: list[str]
    events: pd.DataFrame
    features: pd.DataFrame
    utilisation: pd.DataFrame
    near: str | None = None  # "p85" when the trial was picked near a percentile
    near_trials: int | None = None  # fast-engine trials behind the percentile
    target: float | None = None  # the percentile of the portfolio finish (clock time)
    target_date: dt.date | None = None
    fast_finish: float | None = None  # the fast engine's finish of the same trial
    meta: dict[str, Any] = field(default_factory=dict)  # provenance
    calendar: WorkCalendar | None = field(default=None, repr=False)

    # -- tables ------------------------------------------------------------------------
    @property
    def utilisation_totals(self) -> pd.DataFrame:
        """Per team over its whole paid period: the columns of :attr:`utilisation`."""
        return trace_utilisation_totals(self.utilisation, self.teams)

    # -- exports -----------------------------------------------------------------------
    def to_csv(
        self, path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]] = ()
    ) -> None:
        """Write the event log as CSV (dates ISO, floats exact), atomically."""
        from portfolio_sim.results.io import write_text_atomic

        text = self.events.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")
        write_text_atomic(path, text, protect=protect)

    def to_dict(self) -> dict[str, Any]:
        """The trace as plain JSON-ready objects (``inf``/NaN/NaT become null)."""
        return {
            "scenario": self.scenario,
            "variant": self.variant,
            "seed": self.seed,
            "trial": self.trial,
            "near": self.near,
            "near_trials": self.near_trials,
            "target": _clock(self.target, self.target_date),
            "fast_finish": _num(self.fast_finish),
            "finish": _clock(self.finish, self.finish_date),
            "horizon": self.horizon_date.isoformat(),
            "features": _records(self.features),
            "events": _records(self.events),
            "utilisation": _records(self.utilisation),
            "meta": self.meta,
        }

    def to_json(
        self,
        path: str | os.PathLike[str] | None = None,
        protect: Sequence[str | os.PathLike[str]] = (),
    ) -> str:
        """The trace as JSON text; written atomically to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        if path is not None:
            from portfolio_sim.results.io import write_text_atomic

            write_text_atomic(path, text, protect=protect)
        return text

    def _gantt_title(self) -> str:
        name = self.scenario + (f" / {self.variant}" if self.variant else "")
        pick = f", near {self.near.upper()}" if self.near else ""
        return f"{name}: trial {self.trial} (seed {self.seed}{pick})"

    def _bars(self) -> pd.DataFrame:
        """:attr:`features` with exact bar ends: clock time t maps to the date of its
        working day plus the fraction of that day (a finish to the end of its done day)."""
        if self.calendar is None:
            return self.features
        date_of = self.calendar.date_of
        df = self.features.copy()

        def at(t: float, finish: bool) -> Any:
            if not math.isfinite(t):
                return pd.Timestamp(self.horizon_date) + pd.Timedelta(days=1)
            d = done_day(t) if finish else max(math.floor(t + EPS), 0)
            return pd.Timestamp(date_of(d)) + pd.Timedelta(days=max(t - d, 0.0))

        df["bar_start"] = [at(t, False) for t in df["start"]]
        df["bar_end"] = [at(t, True) for t in df["done"]]
        return df

    def gantt_svg(self) -> str:
        """The Gantt chart of this trial as SVG text (one lane per team)."""
        from portfolio_sim.report.gantt import gantt_svg

        return gantt_svg(
            self._bars(), self.teams, self.finish_date, self.horizon_date, self._gantt_title()
        )

    def save_gantt(
        self, path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]] = ()
    ) -> None:
        """Write the Gantt chart to ``path``: SVG or PNG by its extension."""
        from portfolio_sim.report.gantt import gantt_png
        from portfolio_sim.results.io import write_bytes_atomic, write_text_atomic

        ext = os.path.splitext(os.fspath(path))[1].lower()
        if ext == ".svg":
            write_text_atomic(path, self.gantt_svg(), protect=protect)
        elif ext == ".png":
            png = gantt_png(
                self._bars(),
                self.teams,
                self.finish_date,
                self.horizon_date,
                self._gantt_title(),
            )
            write_bytes_atomic(path, png, protect=protect)
        else:
            raise InputError(f"{path}: a Gantt chart is written as .svg or .png")

    def summary(self) -> str:
        """A short text summary: which trial, its finish, features and team utilisation."""
        name = self.scenario + (f" (variant {self.variant})" if self.variant else "")
        lines = [f"{name}: trial {self.trial}, seed {self.seed}"]
        if self.near is not None:
            target = _iso(self.target_date) or "not done by horizon"
            lines.append(
                f"picked near {self.near.upper()} of the portfolio finish over "
                f"{self.near_trials:,} fast-engine trials: {target}"
            )
        fin = _iso(self.finish_date) or "not done by horizon"
        lines.append(f"portfolio finish: {fin} (working day {_fmt(self.finish)})")
        lines.append("")
        f = self.features
        w = max([7, *(len(x) for x in f["feature"])])
        wt = max([4, *(len(x) for x in f["team"])])
        lines.append(f"{'feature':<{w}}  {'team':<{wt}}  {'start':<10}  {'done':<10}  deadline")
        for r in f.itertuples(index=False):
            dl = ""
            if r.deadline is not None and not pd.isna(r.deadline):
                met = r.deadline_met
                word = "undecided" if met is None or pd.isna(met) else "met" if met else "MISSED"
                dl = f"{_iso(r.deadline)} {word}"
            lines.append(
                f"{r.feature:<{w}}  {r.team:<{wt}}  {_iso(r.start_date) or '-':<10}  "
                f"{_iso(r.done_date) or 'not done':<10}  {dl}".rstrip()
            )
        lines.append("")
        lines.append(f"{'team':<{wt}}  paid days   busy  idle waiting  idle empty")
        for r in self.utilisation_totals.itertuples(index=False):
            lines.append(
                f"{r.team:<{wt}}  {r.paid_days:9.1f}  {_pct(r.busy)}  {_pct(r.idle_blocked):>12}"
                f"  {_pct(r.idle_empty):>10}"
            )
        lines.append(f"{len(self.events)} events")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Trace({self.scenario!r}, variant={self.variant!r}, seed={self.seed}, "
            f"trial={self.trial}, finish={_iso(self.finish_date)}, events={len(self.events)})"
        )


def build_trace(rows: TraceRows, extra: dict[str, Any], meta: dict[str, Any]) -> Trace:
    """The :class:`Trace` of one DES trial from its plain ``rows``; ``extra`` (how the
    trial was picked: ``near``, ``target``, ...) and ``meta`` (provenance) go into it."""
    return Trace(
        scenario=rows.scenario,
        variant=rows.variant,
        seed=rows.seed,
        trial=rows.trial,
        finish=rows.finish,
        finish_date=rows.finish_date,
        horizon_date=rows.horizon_date,
        teams=rows.teams,
        events=trace_events_frame(rows.events),
        features=trace_features_frame(rows.features),
        utilisation=trace_utilisation_frame(rows.utilisation),
        meta=meta,
        calendar=rows.calendar,
        **extra,
    )


# -- helpers ---------------------------------------------------------------------------
def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _num(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _clock(t: float | None, date: dt.date | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"workday": _num(t), "date": _iso(date)}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, pd.Timestamp | dt.date) or v is pd.NaT:
                row[k] = _iso(v)
            else:
                row[k] = None if v is None or (isinstance(v, float) and pd.isna(v)) else _num(v)
        out.append(row)
    return out


def _fmt(t: float) -> str:
    return f"{t:.2f}" if math.isfinite(t) else "-"


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%" if not pd.isna(x) else "    -"


__all__ = [
    "EVENT_COLUMNS",
    "FEATURE_DATE_COLUMNS",
    "UTILISATION_COLUMNS",
    "Table",
    "Trace",
    "build_trace",
    "trace_events_frame",
    "trace_features_frame",
    "trace_utilisation_frame",
    "trace_utilisation_totals",
]
