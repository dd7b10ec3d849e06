"""The trace of one trial as plain rows: its event log, schedule and utilisation over time.

:func:`trace_rows` turns one trial run on the SimPy reference model (with its event log)
into :class:`TraceRows`, plain Python / numpy values (dates as ``datetime.date`` or
``numpy.datetime64``, ``None`` for "no date"):

* ``events``: one tuple per event (start, finish, blocked, unblocked, ready, risk_fired,
  staffing_change) with its clock time ``workday``, its working day ``day`` and ``date``,
  in the column order of :data:`portfolio_sim.results.trace_tables.EVENT_COLUMNS`;
* ``features``: one dict per feature: its ready, start and done times and dates,
  deadline and size;
* ``utilisation``: per team and calendar month, how the paid capacity was spent
  (:func:`portfolio_sim.des.utilisation.utilisation_rows`).

Layers: the DES returns records and never imports the results layer. The DataFrames and
the :class:`~portfolio_sim.results.trace_tables.Trace` that holds them (exports, Gantt
chart, summary) are built from these rows by
:func:`portfolio_sim.results.trace_tables.build_trace`. Which trial to trace (``trial=K``,
or ``near="p85"`` picked with the fast engine) is decided by
:func:`portfolio_sim.tracing.trace_trial`; this module, like the rest of the SimPy model,
never runs the kernels.

Day of an event: an event at clock time t that *begins* something (start, ready, ...)
happens on working day ``floor(t)`` (work on day d covers [d, d + 1)); a ``finish`` is on
the *done day* ``ceil(t) - 1`` of docs/model.md §1, so its date is the feature's done date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from portfolio_sim.calendar import WorkCalendar, done_day
from portfolio_sim.codes import EPS, RISK_DELAY, RISK_EXTRA_FRACTION, SLOT_IMPACT
from portfolio_sim.des.model import DesModel, TrialResult
from portfolio_sim.des.utilisation import utilisation_rows
from portfolio_sim.rng import whole_items
from portfolio_sim.scenario.compile import CompiledScenario
from portfolio_sim.scenario.schema import Scenario


@dataclass
class TraceRows:
    """One traced trial as plain rows. Clock times are working days from day 0; ``inf`` =
    not done (or not started) by the horizon."""

    scenario: str
    variant: str | None
    seed: int
    trial: int
    finish: float  # portfolio finish clock time of this trial
    finish_date: dt.date | None  # its done date (None: not done by the horizon)
    horizon_date: dt.date
    teams: list[str]
    events: list[tuple[Any, ...]]
    features: list[dict[str, Any]]
    utilisation: list[tuple[Any, ...]]
    calendar: WorkCalendar


# -- building the trace ----------------------------------------------------------------
def trace_rows(
    scn: Scenario, m: CompiledScenario, model: DesModel, trial: int, res: TrialResult
) -> TraceRows:
    """The :class:`TraceRows` of ``trial`` from its DES run ``res`` (with the event log)
    on ``model``."""
    cal = m.calendar
    horizon = float(m.horizon_days)
    finish = max(res.done) if res.done else 0.0
    finish = finish if finish <= horizon else math.inf
    ready = [math.inf] * m.n_features
    fid = {f: i for i, f in enumerate(m.feature_ids)}
    for e in res.log:
        if e.event == "ready" and e.feature is not None:
            ready[fid[e.feature]] = e.time
    return TraceRows(
        scenario=m.name,
        variant=m.variant,
        seed=m.seed,
        trial=trial,
        finish=finish,
        finish_date=_date(cal.done_date(finish)) if math.isfinite(finish) else None,
        horizon_date=_date(cal.horizon),
        teams=list(m.team_ids),
        events=_events(scn, m, model, trial, res),
        features=_features(scn, m, res, ready),
        utilisation=utilisation_rows(m, model, res, ready),
        calendar=cal,
    )


def _events(
    scn: Scenario, m: CompiledScenario, model: DesModel, trial: int, res: TrialResult
) -> list[tuple[Any, ...]]:
    """The event log, one ``(workday, day, date, team, feature, event, detail)`` tuple per event (``date`` as returned by
    the calendar), with a ``detail`` per event."""
    cal = m.calendar
    fid = {f: i for i, f in enumerate(m.feature_ids)}
    tid = {t: j for j, t in enumerate(m.team_ids)}
    deadlines = {f.id: f.deadline for f in scn.features}
    risk_notes = _risk_notes(m, model, trial, res)
    staffing = {
        j: [float(x) for x in m.pay_members[m.pay_ptr[j] + 1 : m.pay_ptr[j + 1]]]
        for j in range(m.n_teams)
    }
    rows = []
    for e in res.log:
        f = fid[e.feature] if e.feature is not None else None
        day = done_day(e.time) if e.event == "finish" else max(math.floor(e.time + EPS), 0)
        detail = ""
        if e.event == "staffing_change":
            left = staffing[tid[e.team]]
            detail = f"members {left.pop(0):g}" if left else ""
        elif f is not None and e.event in ("blocked", "unblocked"):
            deps = m.dep_idx[m.dep_ptr[f] : m.dep_ptr[f + 1]]
            verb = "waiting for" if e.event == "blocked" else "done:"
            detail = f"{verb} {', '.join(m.feature_ids[int(d)] for d in deps)}"
        elif f is not None and e.event == "risk_fired":
            notes = risk_notes.get(f, [])
            detail = notes.pop(0) if notes else ""
        elif f is not None and e.event == "start":
            unit = "items" if m.feat_items[f] else "person-days"
            detail = f"{res.size[f]:.4g} {unit}"
        elif f is not None and e.event == "finish":
            dl = deadlines.get(m.feature_ids[f])
            if dl is not None:
                met = day <= int(m.feat_deadline_day[f])
                detail = f"deadline {dl.isoformat()} {'met' if met else 'missed'}"
        rows.append((e.time, day, cal.date_of(day), e.team, e.feature, e.event, detail))
    return rows


def _risk_notes(
    m: CompiledScenario, model: DesModel, trial: int, res: TrialResult
) -> dict[int, list[str]]:
    """Per feature, the details of its ``risk_fired`` lines in log order: one per
    extra-size risk (logged at time 0, in file order), then one for all its delays."""
    rid = {r: k for k, r in enumerate(m.risk_ids)}
    notes: dict[int, list[str]] = {}
    delays: dict[int, list[str]] = {}
    s = model.sampler
    for name in res.fired:
        r = rid[name]
        x = max(s._draw(s.risk_dist[r], s.risk_key[r], trial, SLOT_IMPACT), 0.0)
        for f in (int(i) for i in m.risk_idx[m.risk_ptr[r] : m.risk_ptr[r + 1]]):
            if int(m.risk_kind[r]) == RISK_DELAY:
                delays.setdefault(f, []).append(f"{name}: delay {x:.4g} working days")
            elif int(m.risk_kind[r]) == RISK_EXTRA_FRACTION:
                notes.setdefault(f, []).append(f"{name}: +{x:.4g} x its drawn size")
            elif m.feat_items[f]:
                notes.setdefault(f, []).append(f"{name}: +{whole_items(x)} items")
            else:
                notes.setdefault(f, []).append(f"{name}: +{x:.4g} person-days")
    for f, parts in delays.items():
        notes.setdefault(f, []).append("; ".join(parts))
    return notes


def _features(
    scn: Scenario, m: CompiledScenario, res: TrialResult, ready: list[float]
) -> list[dict[str, Any]]:
    """Per feature (file order): team, size, ready/start/done clock times and dates
    (``None``: not started / not done by the horizon, or no deadline). ``deadline_met``
    is True (met), False (missed) or None (no deadline, or undecided: not done by a
    horizon before the deadline date)."""
    cal = m.calendar
    horizon = float(m.horizon_days)
    deadlines = {f.id: f.deadline for f in scn.features}
    rows = []
    for f, name in enumerate(m.feature_ids):
        start, done = res.start[f], res.done[f]
        started = start <= horizon
        finished = done <= horizon
        dl = deadlines.get(name)
        met: bool | None = None
        if dl is not None and (finished or m.feat_deadline_by_horizon[f]):
            # Met: done on or before the deadline date; missed: done after it, or not
            # done by a horizon on/after it; otherwise undecided (None) (docs/money.md).
            met = bool(finished and done_day(done) <= int(m.feat_deadline_day[f]))
        rows.append(
            {
                "feature": name,
                "team": m.team_ids[int(m.feat_team[f])],
                "size": res.size[f],
                "unit": "items" if m.feat_items[f] else "person-days",
                "ready": ready[f] if ready[f] <= horizon else math.inf,
                "start": start if started else math.inf,
                "done": done if finished else math.inf,
                "start_date": cal.date_of(math.floor(start + EPS)) if started else None,
                "done_date": cal.done_date(done) if finished else None,
                "deadline": dl,
                "deadline_met": met,
            }
        )
    return rows


# -- helpers ---------------------------------------------------------------------------
def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime64(value, "D")))


__all__ = ["TraceRows", "trace_rows"]
