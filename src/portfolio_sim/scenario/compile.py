"""Compile a validated scenario into plain arrays for the engines.

Kernels never see dicts or pydantic objects: ids become integer codes, dependencies
become CSR index arrays, distributions become ``(code, offset, length)`` references into
one parameter pool, dates become working-day clock times, and each team's capacity over
time becomes a piecewise-quadratic *cumulative capacity* function ``C(t)`` (person-days
available to the portfolio from time 0 to clock time t; staffing ramps make the rate
piecewise linear, so its integral is piecewise quadratic).

Staffing changes (docs/model.md §2): from ``on`` the paid members become N. Members added form a
*cohort* whose productivity ramps linearly from 0 to 1 over ``ramp_days`` working days;
members removed leave at once, newest cohort first (those still ramping leave before the
fully productive ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from portfolio_sim.calendar import WorkCalendar, team_day_shares
from portfolio_sim.codes import (
    EFFORT,
    NO_DIST,
    RISK_COST,
    RISK_DELAY,
    RISK_EXTRA_EFFORT,
    RISK_EXTRA_FRACTION,
    RISK_EXTRA_ITEMS,
    THROUGHPUT,
)
from portfolio_sim.distributions import encode
from portfolio_sim.graph import topological_order
from portfolio_sim.scenario.correlation import compile_correlation
from portfolio_sim.scenario.schema import Distribution, Scenario
from portfolio_sim.scenario.team_calendar import scale_segments
from portfolio_sim.scenario.type_compile import ZERO_ITEMS, TypeArrays, compile_types

NO_DEADLINE = np.iinfo(np.int64).max


class MoneyInputs(NamedTuple):
    """The calendar and cost arrays that price a trial (docs/model.md §6): everything
    about money but the per-trial draws. Built by :func:`compile_scenario`; both engines'
    money code and results/money.py read it."""

    horizon_days: int
    team_cost_cum: np.ndarray  # float64 [T, H+1] cost of paid members over days 0 .. d-1
    team_has_work: np.ndarray  # bool [T] the team has at least one feature
    day_month: np.ndarray  # int64 [H] month of each working day
    month_first_day: np.ndarray  # int64 [M+1] first working day of each month; [M] = H
    cal_off: np.ndarray  # int64 [H] calendar days from start to each working day
    month_start_off: np.ndarray  # int64 [M+1] calendar offset of each month's first day
    horizon_off: int  # calendar offset of the horizon date
    disc: np.ndarray  # float64 [M] discount factor of each month
    budget_total: float  # < 0: no total budget
    quarter_of_month: np.ndarray  # int64 [M] index of the budget quarter of each month, -1
    feat_penalty_month: np.ndarray  # int64 [F] month of each feature's deadline


class _Pool:
    """Collects distributions into one float64 pool of parameters."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, dist: Distribution | None) -> tuple[int, int, int]:
        if dist is None:
            return NO_DIST, 0, 0
        code, params = encode(dist.kind, dist.params)
        off = len(self.values)
        self.values.extend(float(v) for v in params)
        return code, off, len(params)


@dataclass
class CompiledScenario:
    """A scenario as arrays. ``n_*`` are counts; ``*_ptr``/``*_idx`` are CSR pairs."""

    name: str
    variant: str | None
    calendar: WorkCalendar
    horizon_days: int
    team_ids: list[str]
    feature_ids: list[str]
    risk_ids: list[str]
    # teams
    team_kind: np.ndarray  # int64 [T]
    team_wip: np.ndarray  # int64 [T]
    team_focus: np.ndarray  # float64 [T]
    team_cost_rate: np.ndarray  # float64 [T] money per paid member per working day
    team_release_horizon: np.ndarray  # bool [T]
    cap_ptr: np.ndarray  # int64 [T+1] segments of C(t) per team
    cap_t: np.ndarray  # float64 segment start times
    cap_cum: np.ndarray  # float64 C at segment start
    cap_rate: np.ndarray  # float64 capacity rate at segment start (focus included)
    cap_slope: np.ndarray  # float64 d rate / dt within the segment
    pay_ptr: np.ndarray  # int64 [T+1] piecewise-constant paid members per team
    pay_t: np.ndarray  # int64 working day from which the count holds
    pay_members: np.ndarray  # float64
    tp_dist: np.ndarray  # int64 [T, 3] (code, off, n) of items per period; -1 for effort teams
    tp_period: np.ndarray  # int64 [T] working days per throughput period
    team_key: np.ndarray  # uint64 [T] stream keys
    team_feat_ptr: np.ndarray  # int64 [T+1] features of each team in priority order
    team_feat_idx: np.ndarray  # int64
    # features
    feat_team: np.ndarray  # int64 [F]
    feat_items: np.ndarray  # bool [F] size in items (rounded up) rather than person-days
    feat_size: np.ndarray  # int64 [F, 3]
    feat_growth: np.ndarray  # int64 [F, 3] (code -1: none)
    feat_cost: np.ndarray  # int64 [F, 3] one-off cost (code -1: none)
    feat_key: np.ndarray  # uint64 [F]
    feat_not_before: np.ndarray  # float64 [F] earliest clock time to start
    feat_deadline_day: np.ndarray  # int64 [F] last working day meeting the deadline
    #: bool [F] the feature has a deadline whose date is on or before the horizon date, so
    #: that "not done by the horizon" is a known miss (docs/money.md, deadline rule).
    feat_deadline_by_horizon: np.ndarray
    feat_capex: np.ndarray  # bool [F]
    feat_value: np.ndarray  # float64 [F, 3] per_month, ramp_months, success_probability
    feat_penalty: np.ndarray  # float64 [F]
    dep_ptr: np.ndarray  # int64 [F+1] what each feature depends on
    dep_idx: np.ndarray
    succ_ptr: np.ndarray  # int64 [F+1] what depends on each feature
    succ_idx: np.ndarray
    topo: np.ndarray  # int64 [F] a topological order (stable in file order)
    # risks
    risk_prob: np.ndarray  # float64 [R]
    risk_kind: np.ndarray  # int64 [R]
    risk_dist: np.ndarray  # int64 [R, 3]
    risk_key: np.ndarray  # uint64 [R]
    risk_ptr: np.ndarray  # int64 [R+1] affected features
    risk_idx: np.ndarray
    pool: np.ndarray  # float64 distribution parameters
    #: Money arrays: cost per day, months, discounting.
    money: MoneyInputs
    seed: int = 0
    #: Month labels "YYYY-MM" from the start's month through the horizon's month.
    month_labels: list[str] = field(default_factory=list)
    currency: str = "EUR"
    budget_total: float | None = None
    budget_quarters: dict[str, float] = field(default_factory=dict)
    feature_has_value: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: float64 [F] or empty: a re-forecast's done features, pinned at the clock time
    #: (>= 0) both engines report as done and start; -1 for the others (§11.2).
    feat_pin: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Correlated estimates (docs/model.md §4.10, scenario/correlation.py): each feature's
    #: group (-1: none), each group's stream key and copula loadings (sqrt r, sqrt(1 - r)).
    feat_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    group_key: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    group_load: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    #: Portfolio cost shocks (docs/model.md §5.4): their risk indices and pay days.
    shock_risk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    shock_day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Throughput by item type (docs/model.md §2.10, scenario/type_compile.py).
    types: TypeArrays | None = None
    #: Portfolio freezes (docs/model.md §5.5): their risk indices and first days (clock
    #: time of the first working day on or after ``on``), and which features they hold
    #: (every feature but the zero-work joins of shared features).
    freeze_risk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    freeze_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    feat_freeze: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    @property
    def n_teams(self) -> int:
        return len(self.team_ids)

    @property
    def n_features(self) -> int:
        return len(self.feature_ids)

    @property
    def n_risks(self) -> int:
        return len(self.risk_ids)


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.array([i for x in lists for i in x], dtype=np.int64)
    return ptr, idx


def capacity_segments(
    members: float,
    changes: list[tuple[float, float, float]],
    focus: float,
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Piecewise-quadratic cumulative capacity of one effort team.

    ``changes`` are ``(clock time, new paid members, ramp working days)`` in time order.
    Returns segment starts, C at each start, rate at each start and slope within.
    """
    cohorts: list[list[float]] = [[members, 0.0, 0.0]]  # count, start, ramp
    events: list[tuple[float, float, float]] = sorted(changes, key=lambda c: c[0])
    history: list[tuple[float, list[list[float]]]] = [(0.0, [c[:] for c in cohorts])]
    paid = members
    for when, new, ramp in events:
        if new > paid:
            cohorts.append([new - paid, when, ramp])
        else:
            drop = paid - new
            while drop > 1e-12 and cohorts:
                take = min(drop, cohorts[-1][0])
                cohorts[-1][0] -= take
                drop -= take
                if cohorts[-1][0] <= 1e-12:
                    cohorts.pop()
        paid = new
        history.append((when, [c[:] for c in cohorts]))
    points = {0.0}
    for when, cs in history:
        points.add(when)
        for _count, start, ramp in cs:
            if ramp > 0:
                points.add(start + ramp)
    times = sorted(points)

    def cohorts_at(t: float) -> list[list[float]]:
        current = history[0][1]
        for when, cs in history:
            if when <= t:
                current = cs
        return current

    starts: list[float] = []
    cums: list[float] = []
    rates: list[float] = []
    slopes: list[float] = []
    cum = 0.0
    for i, t in enumerate(times):
        rate = 0.0
        slope = 0.0
        for count, start, ramp in cohorts_at(t):
            if ramp <= 0 or t >= start + ramp:
                rate += count
            elif t >= start:
                rate += count * (t - start) / ramp
                slope += count / ramp
        starts.append(t)
        cums.append(cum)
        rates.append(focus * rate)
        slopes.append(focus * slope)
        if i + 1 < len(times):
            d = times[i + 1] - t
            cum += focus * (rate * d + 0.5 * slope * d * d)
    return starts, cums, rates, slopes


def _priority_order(scn: Scenario) -> list[int]:
    keyed = [
        (f.priority if f.priority is not None else math.inf, i) for i, f in enumerate(scn.features)
    ]
    return [i for _, i in sorted(keyed)]


def _team(team_id: str | None) -> str:
    """A feature's team in an engine view, where every feature has one."""
    assert team_id is not None, "engine_view gives every feature a team"
    return team_id


def compile_scenario(scn: Scenario, seed: int = 0) -> CompiledScenario:
    """Turn a validated scenario into arrays; ``seed`` fixes the stream keys. Duration
    tasks and shared features are compiled into plain features first
    (:func:`~portfolio_sim.scenario.expand.engine_view`, docs/model.md §3.9-§3.10)."""
    from portfolio_sim.rng import stream_key
    from portfolio_sim.scenario.expand import engine_view, join_ids

    scn = engine_view(scn)
    joins = join_ids(scn)

    cal = WorkCalendar.from_scenario(scn)
    pool = _Pool()
    team_index = {t.id: i for i, t in enumerate(scn.teams)}
    feat_index = {f.id: i for i, f in enumerate(scn.features)}
    n_t, n_f = len(scn.teams), len(scn.features)

    cap_lists: list[list[tuple[float, float, float, float]]] = []
    pay_lists: list[list[tuple[int, float]]] = []
    tp_dist = np.full((n_t, 3), NO_DIST, dtype=np.int64)
    tp_period = np.ones(n_t, dtype=np.int64)
    for j, team in enumerate(scn.teams):
        changes = [
            (float(cal.index_on_or_after(c.on)), c.members, c.ramp_days) for c in team.changes
        ]
        starts, cums, rates, slopes = capacity_segments(team.members, changes, team.focus)
        if team.holidays or team.availability:  # docs/model.md §2.8
            ranges = [(a.from_, a.to, a.share) for a in team.availability]
            shares = team_day_shares(cal, team.holidays, ranges)
            starts, cums, rates, slopes = scale_segments(starts, rates, slopes, shares)
        cap_lists.append(list(zip(starts, cums, rates, slopes, strict=True)))
        pay = [(0, team.members)]
        for when, new, _ramp in changes:
            if pay[-1][0] == int(when):
                pay[-1] = (int(when), new)
            else:
                pay.append((int(when), new))
        pay_lists.append(pay)
        if team.throughput is not None:
            tp_dist[j] = pool.add(team.throughput)
            tp_period[j] = cal.workdays_per_week if team.throughput.per == "week" else 1

    cap_ptr = np.zeros(n_t + 1, dtype=np.int64)
    cap_ptr[1:] = np.cumsum([len(c) for c in cap_lists])
    cap = np.array([s for c in cap_lists for s in c], dtype=np.float64).reshape(-1, 4)
    pay_ptr = np.zeros(n_t + 1, dtype=np.int64)
    pay_ptr[1:] = np.cumsum([len(p) for p in pay_lists])

    order = _priority_order(scn)
    team_feats: list[list[int]] = [[] for _ in range(n_t)]
    for i in order:
        team_feats[team_index[_team(scn.features[i].team)]].append(i)

    deps = [[feat_index[d] for d in f.depends_on] for f in scn.features]
    succs: list[list[int]] = [[] for _ in range(n_f)]
    for i, ds in enumerate(deps):
        for d in ds:
            succs[d].append(i)

    feat_size = np.zeros((n_f, 3), dtype=np.int64)
    feat_growth = np.zeros((n_f, 3), dtype=np.int64)
    feat_cost = np.zeros((n_f, 3), dtype=np.int64)
    feat_not_before = np.zeros(n_f)
    feat_deadline = np.full(n_f, NO_DEADLINE, dtype=np.int64)
    feat_deadline_by_horizon = np.zeros(n_f, dtype=np.bool_)
    feat_value = np.zeros((n_f, 3))
    for i, f in enumerate(scn.features):
        # (items per type: size 0 here, the engines add the types' draws, §2.10)
        feat_size[i] = pool.add(f.size if f.typed_items is None else ZERO_ITEMS)
        feat_growth[i] = pool.add(f.growth)
        feat_cost[i] = pool.add(f.cost)
        if f.not_before is not None:
            feat_not_before[i] = float(cal.index_on_or_after(f.not_before))
        if f.deadline is not None:
            feat_deadline[i] = cal.index_on_or_before(f.deadline)
            # Calendar dates, not working-day indices (a deadline on a weekend after a
            # Friday horizon has the horizon's index, yet lies after the horizon date).
            feat_deadline_by_horizon[i] = f.deadline <= scn.horizon_date
        if f.value is not None:
            feat_value[i] = (f.value.per_month, f.value.ramp_months, f.value.success_probability)
        else:
            feat_value[i, 2] = 1.0

    kinds = {
        "extra_effort": RISK_EXTRA_EFFORT,
        "extra_items": RISK_EXTRA_ITEMS,
        "delay": RISK_DELAY,
        "extra_fraction": RISK_EXTRA_FRACTION,
        "cost": RISK_COST,
    }
    risk_dist = np.zeros((len(scn.risks), 3), dtype=np.int64)
    for r, risk in enumerate(scn.risks):
        risk_dist[r] = pool.add(risk.impact)

    dep_ptr, dep_idx = _csr(deps)
    succ_ptr, succ_idx = _csr(succs)
    tf_ptr, tf_idx = _csr(team_feats)
    risk_ptr, risk_idx = _csr([[feat_index[a] for a in r.affects] for r in scn.risks])

    money = _money_arrays(scn, cal, pay_lists, team_feats, feat_deadline)

    def keys(kind: str, ids: list[str]) -> np.ndarray:
        return np.array([stream_key(seed, kind, i) for i in ids], dtype=np.uint64)

    feat_group, group_key, group_load = compile_correlation(scn, feat_index, seed)
    types = compile_types(scn, pool.values, pool.add)

    return CompiledScenario(
        name=scn.name,
        variant=scn.variant,
        calendar=cal,
        horizon_days=int(cal.horizon_days),
        team_ids=[t.id for t in scn.teams],
        feature_ids=[f.id for f in scn.features],
        risk_ids=[r.id for r in scn.risks],
        team_kind=np.array(
            [EFFORT if t.throughput is None else THROUGHPUT for t in scn.teams], dtype=np.int64
        ),
        team_wip=np.array([t.wip_limit for t in scn.teams], dtype=np.int64),
        team_focus=np.array([t.focus for t in scn.teams], dtype=np.float64),
        team_cost_rate=np.array([t.cost_per_member_day for t in scn.teams], dtype=np.float64),
        team_release_horizon=np.array([t.release == "horizon" for t in scn.teams], dtype=np.bool_),
        cap_ptr=cap_ptr,
        cap_t=np.ascontiguousarray(cap[:, 0]),
        cap_cum=np.ascontiguousarray(cap[:, 1]),
        cap_rate=np.ascontiguousarray(cap[:, 2]),
        cap_slope=np.ascontiguousarray(cap[:, 3]),
        pay_ptr=pay_ptr,
        pay_t=np.array([p[0] for ps in pay_lists for p in ps], dtype=np.int64),
        pay_members=np.array([p[1] for ps in pay_lists for p in ps], dtype=np.float64),
        tp_dist=tp_dist,
        tp_period=tp_period,
        team_key=keys("team", [t.id for t in scn.teams]),
        team_feat_ptr=tf_ptr,
        team_feat_idx=tf_idx,
        feat_team=np.array([team_index[_team(f.team)] for f in scn.features], dtype=np.int64),
        feat_items=np.array(
            [scn.team(f.team).kind == "throughput" for f in scn.features], dtype=np.bool_
        ),
        feat_size=feat_size,
        feat_growth=feat_growth,
        feat_cost=feat_cost,
        feat_key=keys("feature", [f.id for f in scn.features]),
        feat_not_before=feat_not_before,
        feat_deadline_day=feat_deadline,
        feat_deadline_by_horizon=feat_deadline_by_horizon,
        feat_capex=np.array([f.capitalizable for f in scn.features], dtype=np.bool_),
        feat_value=feat_value,
        feat_penalty=np.array([f.deadline_penalty for f in scn.features], dtype=np.float64),
        dep_ptr=dep_ptr,
        dep_idx=dep_idx,
        succ_ptr=succ_ptr,
        succ_idx=succ_idx,
        topo=np.array(topological_order(n_f, deps), dtype=np.int64),
        risk_prob=np.array([r.probability for r in scn.risks], dtype=np.float64),
        risk_kind=np.array([kinds[r.impact_kind] for r in scn.risks], dtype=np.int64),
        risk_dist=risk_dist,
        risk_key=keys("risk", [r.id for r in scn.risks]),
        risk_ptr=risk_ptr,
        risk_idx=risk_idx,
        pool=np.array(pool.values if pool.values else [0.0], dtype=np.float64),
        seed=int(seed),
        money=money,
        month_labels=cal.month_labels(cal.n_months),
        currency=scn.currency,
        budget_total=scn.budget.total if scn.budget is not None else None,
        budget_quarters=dict(scn.budget.quarters) if scn.budget is not None else {},
        feature_has_value=np.array([f.value is not None for f in scn.features], dtype=np.bool_),
        feat_group=feat_group,
        group_key=group_key,
        group_load=group_load,
        types=types,
        shock_risk=np.array(
            [r for r, risk in enumerate(scn.risks) if risk.cost is not None], dtype=np.int64
        ),
        shock_day=np.array(
            [
                int(cal.index_on_or_after(risk.on or scn.start))
                for risk in scn.risks
                if risk.cost is not None
            ],
            dtype=np.int64,
        ),
        freeze_risk=np.array(
            [r for r, risk in enumerate(scn.risks) if risk.is_freeze], dtype=np.int64
        ),
        freeze_on=np.array(
            [
                float(cal.index_on_or_after(risk.on))
                for risk in scn.risks
                if risk.on and risk.is_freeze
            ],
            dtype=np.float64,
        ),
        feat_freeze=np.array([f.id not in joins for f in scn.features], dtype=np.bool_),
    )


def _money_arrays(
    scn: Scenario,
    cal: WorkCalendar,
    pay_lists: list[list[tuple[int, float]]],
    team_feats: list[list[int]],
    feat_deadline: np.ndarray,
) -> MoneyInputs:
    """Calendar and cost arrays for both engines' money code (all but per-trial draws)."""
    h = int(cal.horizon_days)
    n_m = int(cal.n_months)
    n_t = len(scn.teams)
    cum = np.zeros((n_t, h + 1))
    days = np.arange(h, dtype=np.int64)
    for j, team in enumerate(scn.teams):
        members = np.zeros(h)
        for when, count in pay_lists[j]:
            members[min(when, h) :] = count
        cum[j, 1:] = np.cumsum(members * team.cost_per_member_day)
    day_month = (
        np.asarray(cal.days_in_month_index(h), dtype=np.int64)
        if h > 0
        else np.zeros(0, dtype=np.int64)
    )
    month_first_day = np.searchsorted(day_month, np.arange(n_m + 1), side="left").astype(np.int64)
    month_first_day[n_m] = h
    start = np.datetime64(scn.start, "D")
    first_month = start.astype("datetime64[M]")
    month_starts = (first_month + np.arange(n_m + 1)).astype("datetime64[D]")
    month_start_off = (month_starts - start).astype(np.int64)
    horizon_off = int((np.datetime64(scn.horizon_date, "D") - start).astype(np.int64))
    month_start_off[n_m] = horizon_off + 1
    cal_off = (
        np.asarray(cal.calendar_days_since_start(days), dtype=np.int64).reshape(h)
        if h > 0
        else np.zeros(0, dtype=np.int64)
    )
    disc = (1.0 + scn.discount_rate) ** (-(np.arange(n_m) + 1.0) / 12.0)
    penalty_month = np.zeros(len(scn.features), dtype=np.int64)
    for i, f in enumerate(scn.features):
        if f.deadline is not None:
            penalty_month[i] = min(max(int(cal.month_index_of(f.deadline)), 0), n_m - 1)
    total = scn.budget.total if scn.budget is not None and scn.budget.total is not None else -1.0
    quarters = sorted(scn.budget.quarters) if scn.budget is not None else []
    labels = cal.month_labels(n_m)
    quarter_of_month = np.full(n_m, -1, dtype=np.int64)
    for qi, quarter in enumerate(quarters):
        year, q = int(quarter[:4]), int(quarter[-1])
        for month in range(3 * q - 2, 3 * q + 1):
            label = f"{year}-{month:02d}"
            if label in labels:
                quarter_of_month[labels.index(label)] = qi
    return MoneyInputs(
        horizon_days=h,
        team_cost_cum=cum,
        team_has_work=np.array([len(x) > 0 for x in team_feats], dtype=np.bool_),
        day_month=day_month,
        month_first_day=month_first_day,
        cal_off=cal_off,
        month_start_off=month_start_off,
        horizon_off=horizon_off,
        disc=disc,
        budget_total=float(total),
        quarter_of_month=quarter_of_month,
        feat_penalty_month=penalty_month,
    )
