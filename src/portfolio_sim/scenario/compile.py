"""Compile a validated scenario into plain arrays for the engines.

:func:`compile_scenario` is the one entry point: it takes the scenario's engine view
(duration tasks and shared features become plain features, scenario/expand.py), and
fills a :class:`~portfolio_sim.scenario.compiled.CompiledScenario` (the format, and what
its arrays mean, is described there). Teams are compiled by scenario/compile_teams.py
(capacity ``C(t)``, pay, throughput), money by scenario/compile_money.py, correlation
groups by scenario/correlation.py and items per type by scenario/type_compile.py; the
features (priority order, dependencies, sizes, dates, value) and the risks (kind, impact,
affected features) here. Every distribution goes into one parameter pool in a fixed
order (teams, features, risks, types), so the same scenario always compiles to the same
arrays. :data:`NO_DEADLINE`, :class:`CompiledScenario`, :class:`MoneyInputs` and
:func:`capacity_segments` are re-exported here for their importers.
"""

from __future__ import annotations

import math

import numpy as np

from portfolio_sim.calendar import WorkCalendar
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
from portfolio_sim.scenario.compile_money import money_arrays
from portfolio_sim.scenario.compile_teams import capacity_segments, compile_teams
from portfolio_sim.scenario.compiled import NO_DEADLINE, CompiledScenario, MoneyInputs
from portfolio_sim.scenario.correlation import compile_correlation
from portfolio_sim.scenario.schema import Distribution, Scenario
from portfolio_sim.scenario.type_compile import ZERO_ITEMS, compile_types

__all__ = [
    "NO_DEADLINE",
    "CompiledScenario",
    "MoneyInputs",
    "capacity_segments",
    "compile_scenario",
]


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


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.array([i for x in lists for i in x], dtype=np.int64)
    return ptr, idx


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

    teams = compile_teams(scn, cal, pool.add)  # (first in the pool)
    pay_lists = teams.pay_lists

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

    money = money_arrays(scn, cal, pay_lists, team_feats, feat_deadline)

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
        cap_ptr=teams.cap_ptr,
        cap_t=teams.cap_t,
        cap_cum=teams.cap_cum,
        cap_rate=teams.cap_rate,
        cap_slope=teams.cap_slope,
        pay_ptr=teams.pay_ptr,
        pay_t=teams.pay_t,
        pay_members=teams.pay_members,
        tp_dist=teams.tp_dist,
        tp_period=teams.tp_period,
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
