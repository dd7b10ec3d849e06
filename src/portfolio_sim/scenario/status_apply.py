"""Compile a status (scenario/status.py) into the model (docs/model.md §11.2).

The engines are not told about status. The plan and the status are compiled into the
ordinary arrays, so both engines run them unchanged, with the clock's origin still the
plan's ``start`` (working day 0, month 0 and discounting stay those of the plan, so
forecasts made at different dates are comparable):

* **Nothing works before ``as_of``.** Each effort team's cumulative capacity becomes 0
  up to day A (the first working day on or after ``as_of``) and C(t) - C(A) after it,
  so staffing changes and ramps keep their exact shape; every feature not done gets
  ``not_before`` >= ``as_of``.
* **Done features** keep their value, deadline and penalty, lose their size, growth,
  one-off cost, dependencies and risks, and are *pinned*: ``feat_pin`` holds the clock
  time D + 1 of their done day D, which both engines write as their done (and start)
  time before anything is priced or counted. Dependents' edges to them are dropped
  (they are done before ``as_of``, and every dependent waits for ``as_of`` anyway).
* **Started features** have the work left as their size: ``remaining`` (the estimate,
  replacing size and growth), ``remaining_fraction`` (that share of the planned size:
  every parameter scaled, growth kept) or ``items_done`` (the planned items minus those
  done, every parameter shifted). Their one-off cost was paid: it is in the actuals.
* **Cost to date is the actual.** Each team's paid cost over days 0 .. A-1
  (``team_cost_cum``) is replaced by its actual cost to date: a total is spread evenly
  over those days (a team whose features were all done before ``as_of`` and that is
  released when done: over the days to its last done day); a monthly table
  (``actual_cost_by_month``) puts each month's cost evenly on that month's working days
  among them, so every month before ``as_of`` costs exactly what was recorded. Cost
  from day A on is the plan's.
* **Staffing as it really was** (``staffing``): the team's ``members`` and ``changes``
  are replaced by the actual ones before ``as_of`` and the plan's changes dated after
  it (unless ``planned_changes: drop``) *before* compiling, so capacity from A (and its
  ramps) and cost from A follow the real team (:func:`.status_actuals.staffed_team`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from portfolio_sim.calendar import WorkCalendar
from portfolio_sim.errors import Problem, ScenarioError
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.expand import engine_view
from portfolio_sim.scenario.schema import Distribution, Feature, Scenario
from portfolio_sim.scenario.sizing import scaled_params
from portfolio_sim.scenario.status import FeatureStatus, Status, shifted
from portfolio_sim.scenario.status_actuals import month_days, staffed_team


def _left(feature: Feature, st: FeatureStatus, items: bool) -> dict[str, object]:
    """The fields of a started feature that hold the work left."""
    size: Distribution
    growth = feature.growth
    if st.remaining is not None:
        size, growth = st.remaining, None
    elif st.remaining_fraction is not None:
        frac = st.remaining_fraction
        if frac == 0.0:
            size, growth = Distribution(fixed=0.0), None
        else:
            kind, params = scaled_params(feature.size.kind, feature.size.params, frac)
            size = Distribution.model_validate({kind: params})
    else:
        if feature.growth is not None:
            raise ValueError("items_done on a feature with growth: give remaining")
        size = shifted(feature.size, float(st.items_done or 0.0))
    return {
        "items" if items else "effort": size,
        "effort" if items else "items": None,
        "growth": growth,
        "cost": None,
        "size_name": None,
        "points": None,
    }


def status_scenario(scn: Scenario, status: Status) -> tuple[Scenario, dict[str, int]]:
    """The plan with the status folded in (see the module docstring), not re-validated,
    and the done working day of each done feature. Raises ScenarioError when a started
    feature's work left cannot be formed."""
    scn = engine_view(scn)  # every feature on a team (§3.9-§3.10)
    cal = WorkCalendar.from_scenario(scn)
    items_team = {t.id: t.throughput is not None for t in scn.teams}
    done_day: dict[str, int] = {}
    for fid, st in status.features.items():
        if st.done_on is not None:
            done_day[fid] = max(int(cal.index_on_or_before(st.done_on)), -1)
    moved = status.as_of > scn.start
    feats: list[Feature] = []
    problems: list[Problem] = []
    for f in scn.features:
        fs = status.features.get(f.id)
        deps = [d for d in f.depends_on if d not in done_day]
        if f.id in done_day:
            zero = Distribution(fixed=0.0)
            pin_date = cal.date_of(done_day[f.id] + 1)
            feats.append(
                f.model_copy(
                    update={
                        "items" if items_team[str(f.team)] else "effort": zero,
                        "effort" if items_team[str(f.team)] else "items": None,
                        "size_name": None,
                        "points": None,
                        "growth": None,
                        "cost": None,
                        "depends_on": [],
                        "not_before": _as_date(pin_date),
                    }
                )
            )
            continue
        update: dict[str, object] = {"depends_on": deps}
        if moved and (f.not_before is None or f.not_before < status.as_of):
            update["not_before"] = status.as_of
        if fs is not None:
            try:
                left = _left(f, fs, items_team[str(f.team)])
            except ValueError as err:
                problems.append(Problem(f"features.{f.id}", str(err), status.file))
                continue
            update.update(left)
        feats.append(f.model_copy(update=update))
    if problems:
        raise ScenarioError(problems)
    risks = []
    for r in scn.risks:
        if r.is_freeze:  # a freeze that began before as_of is history (docs/model.md §5.5)
            if r.on is not None and r.on >= status.as_of:
                risks.append(r)
            continue
        if r.cost is not None and not r.affects:  # a cost shock (§5.4): paid on ``on``
            if (r.on or scn.start) >= status.as_of:  # before as_of it is in the actuals
                risks.append(r)
            continue
        affects = [a for a in r.affects if a not in done_day]
        if affects:
            risks.append(r.model_copy(update={"affects": affects}))
    teams = [
        staffed_team(t, status.staffing[t.id], status.as_of) if t.id in status.staffing else t
        for t in scn.teams
    ]
    update = {"features": feats, "risks": risks, "teams": teams}
    return scn.model_copy(update=update), done_day


def _as_date(value: object) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime64(value, "D")))  # type: ignore[call-overload]


def _shift_capacity(c: CompiledScenario, a: float) -> None:
    """Capacity 0 on [0, a), C(t) - C(a) from a (effort teams; docs/model.md §11.2)."""
    ptr, t, cum, rate, slope = c.cap_ptr, c.cap_t, c.cap_cum, c.cap_rate, c.cap_slope
    rows: list[list[tuple[float, float, float, float]]] = []
    for j in range(c.n_teams):
        lo, hi = int(ptr[j]), int(ptr[j + 1])
        k = lo
        while k + 1 < hi and t[k + 1] <= a:
            k += 1
        d = a - t[k]
        c_a = cum[k] + rate[k] * d + 0.5 * slope[k] * d * d
        segs = [(0.0, 0.0, 0.0, 0.0), (a, 0.0, rate[k] + slope[k] * d, slope[k])]
        segs += [(t[i], cum[i] - c_a, rate[i], slope[i]) for i in range(k + 1, hi)]
        rows.append(segs)
    c.cap_ptr = np.zeros(c.n_teams + 1, dtype=np.int64)
    c.cap_ptr[1:] = np.cumsum([len(r) for r in rows])
    arr = np.array([s for r in rows for s in r], dtype=np.float64).reshape(-1, 4)
    c.cap_t, c.cap_cum = arr[:, 0].copy(), arr[:, 1].copy()
    c.cap_rate, c.cap_slope = arr[:, 2].copy(), arr[:, 3].copy()


def _actual_costs(c: CompiledScenario, a: int, status: Status, ends: dict[int, int]) -> None:
    """Replace each team's cost over days 0 .. a-1 by its actual cost to date."""
    cum = c.money.team_cost_cum.copy()
    for j, tid in enumerate(c.team_ids):
        act = status.team_cost_to_date(tid)
        orig = cum[j].copy()
        span = ends.get(j, a)
        if tid in status.actual_by_month:  # recorded phasing: each month on its own days
            per_day = np.zeros(a, dtype=np.float64)
            for key, x in status.actual_by_month[tid].items():
                lo, hi = month_days(c.calendar, key, min(span, a))
                if x > 0:  # validated: the month has such days (status_actuals)
                    per_day[max(lo, 0) : hi] += x / (hi - max(lo, 0))
            cum[j, 0] = 0.0
            cum[j, 1 : a + 1] = np.cumsum(per_day)
            act = float(cum[j, a])
        else:
            days = np.arange(a + 1, dtype=np.float64)
            cum[j, : a + 1] = act * np.minimum(days, span) / span if span > 0 else act
        cum[j, a + 1 :] = act + (orig[a + 1 :] - orig[a])
    c.money = c.money._replace(team_cost_cum=cum)


def compile_with_status(scn: Scenario, status: Status | None, seed: int = 0) -> CompiledScenario:
    """Compile ``scn`` re-forecast from ``status`` (None: the plain forecast)."""
    if status is None:
        return compile_scenario(scn, seed)
    plan, done_day = status_scenario(scn, status)
    c = compile_scenario(plan, seed)
    a = int(c.calendar.index_on_or_after(status.as_of))
    pin = np.full(c.n_features, -1.0)
    index = {fid: i for i, fid in enumerate(c.feature_ids)}
    for fid, d in done_day.items():
        pin[index[fid]] = float(d + 1)
    c.feat_pin = pin
    if a > 0:
        _shift_capacity(c, float(a))
        ends: dict[int, int] = {}
        for j in range(c.n_teams):
            feats = c.team_feat_idx[c.team_feat_ptr[j] : c.team_feat_ptr[j + 1]]
            if len(feats) and not c.team_release_horizon[j] and (pin[feats] >= 0).all():
                ends[j] = int(pin[feats].max())
        _actual_costs(c, a, status, ends)
    return c
