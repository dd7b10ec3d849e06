"""The fast engine's inputs, picked field by field out of a compiled scenario.

The kernels may not import the scenario package, so they take plain NamedTuples of arrays
(:class:`~portfolio_sim.kernels.arrays.KernelModel` for the schedule,
:class:`~portfolio_sim.kernels.money.KernelMoney` for money). This module is the one place
that fills them, by name, from :class:`~portfolio_sim.scenario.compile.CompiledScenario`,
so mypy checks every field end to end.
"""

from __future__ import annotations

import numpy as np

from portfolio_sim.kernels.arrays import KernelModel
from portfolio_sim.kernels.components import team_components
from portfolio_sim.kernels.money import KernelMoney, value_tables
from portfolio_sim.scenario.compile import NO_DEADLINE, CompiledScenario
from portfolio_sim.scenario.type_compile import types_of


def kernel_model(c: CompiledScenario) -> KernelModel:
    """The schedule arrays of ``c`` for kernels/schedule.py and kernels/run.py, with the
    team graph's components (kernels/components.py)."""
    comps = team_components(c.team_kind, c.feat_team, c.dep_ptr, c.dep_idx, c.succ_ptr, c.succ_idx)
    ty = types_of(c.types, c.n_teams, c.n_features)
    return KernelModel(
        horizon=float(c.horizon_days),
        team_kind=c.team_kind,
        team_wip=c.team_wip,
        team_release_horizon=c.team_release_horizon,
        cap_ptr=c.cap_ptr,
        cap_t=c.cap_t,
        cap_cum=c.cap_cum,
        cap_rate=c.cap_rate,
        cap_slope=c.cap_slope,
        tp_dist=c.tp_dist,
        tp_period=c.tp_period,
        team_key=c.team_key,
        team_feat_ptr=c.team_feat_ptr,
        team_feat_idx=c.team_feat_idx,
        feat_team=c.feat_team,
        feat_items=c.feat_items,
        feat_size=c.feat_size,
        feat_growth=c.feat_growth,
        feat_key=c.feat_key,
        feat_not_before=c.feat_not_before,
        dep_ptr=c.dep_ptr,
        dep_idx=c.dep_idx,
        succ_ptr=c.succ_ptr,
        succ_idx=c.succ_idx,
        risk_prob=c.risk_prob,
        risk_kind=c.risk_kind,
        risk_dist=c.risk_dist,
        risk_key=c.risk_key,
        risk_ptr=c.risk_ptr,
        risk_idx=c.risk_idx,
        pool=c.pool,
        comp_ptr=comps.comp_ptr,
        comp_team=comps.comp_team,
        comp_kind=comps.comp_kind,
        team_comp=comps.team_comp,
        ext_ptr=comps.ext_ptr,
        ext_idx=comps.ext_idx,
        succ_in_ptr=comps.succ_in_ptr,
        succ_in_idx=comps.succ_in_idx,
        deps_init=comps.deps_init,
        feat_pin=np.asarray(c.feat_pin, dtype=np.float64),
        feat_group=c.feat_group,
        group_key=c.group_key,
        group_load=c.group_load,
        tp_types=ty.tp_types,
        ft_ptr=ty.ft_ptr,
        ft_feat=ty.ft_feat,
        ft_type=ty.ft_type,
        ft_dist=ty.ft_dist,
        freeze_risk=c.freeze_risk,
        freeze_on=c.freeze_on,
        feat_freeze=c.feat_freeze,
    )


def kernel_money(c: CompiledScenario) -> KernelMoney:
    """The money arrays of ``c`` for kernels/money.py, with the per-trial lookups derived
    once: which teams have capitalizable features, which features have one-off costs,
    penalties or value, and each value feature's (discounted) value by done day."""
    money = c.money
    h = int(money.horizon_days)
    capex = np.asarray(c.feat_capex, dtype=np.bool_)
    ptr = np.asarray(c.team_feat_ptr, dtype=np.int64)
    idx = np.asarray(c.team_feat_idx, dtype=np.int64)
    team_has_capex = np.array(
        [bool(capex[idx[ptr[j] : ptr[j + 1]]].any()) for j in range(len(ptr) - 1)],
        dtype=np.bool_,
    )
    cost_feats = np.flatnonzero(np.asarray(c.feat_cost)[:, 0] >= 0).astype(np.int64)
    has_deadline = np.asarray(c.feat_deadline_day) != NO_DEADLINE
    penalty = np.asarray(c.feat_penalty)
    penalty_feats = np.flatnonzero((penalty > 0.0) & has_deadline).astype(np.int64)
    feat_value = np.asarray(c.feat_value, dtype=np.float64)
    value_feats = np.flatnonzero(feat_value[:, 0] > 0.0).astype(np.int64)
    tab = np.empty((len(value_feats), h))
    tab_pv = np.empty((len(value_feats), h))
    if len(value_feats) and h > 0:
        value_tables(
            value_feats,
            feat_value,
            money.cal_off,
            money.day_month,
            money.horizon_off,
            money.month_start_off,
            money.disc,
            tab,
            tab_pv,
        )
    mfd = np.asarray(money.month_first_day, dtype=np.int64)
    cum = np.asarray(money.team_cost_cum, dtype=np.float64)
    team_month_cost = np.ascontiguousarray(cum[:, mfd[1:]] - cum[:, mfd[:-1]])
    return KernelMoney(
        horizon_days=money.horizon_days,
        team_cost_cum=money.team_cost_cum,
        team_has_work=money.team_has_work,
        team_release_horizon=c.team_release_horizon,
        team_feat_ptr=c.team_feat_ptr,
        team_feat_idx=c.team_feat_idx,
        feat_capex=c.feat_capex,
        feat_cost=c.feat_cost,
        feat_key=c.feat_key,
        feat_value=c.feat_value,
        feat_penalty=c.feat_penalty,
        feat_deadline_day=c.feat_deadline_day,
        feat_deadline_by_horizon=c.feat_deadline_by_horizon,
        feat_penalty_month=money.feat_penalty_month,
        day_month=money.day_month,
        month_first_day=money.month_first_day,
        cal_off=money.cal_off,
        month_start_off=money.month_start_off,
        horizon_off=money.horizon_off,
        disc=money.disc,
        budget_total=money.budget_total,
        quarter_of_month=money.quarter_of_month,
        pool=c.pool,
        team_has_capex=team_has_capex,
        cost_feats=cost_feats,
        penalty_feats=penalty_feats,
        value_feats=value_feats,
        value_tab=tab,
        value_pv_tab=tab_pv,
        shock_prob=np.ascontiguousarray(c.risk_prob[c.shock_risk], dtype=np.float64),
        shock_key=np.ascontiguousarray(c.risk_key[c.shock_risk], dtype=np.uint64),
        shock_dist=np.ascontiguousarray(c.risk_dist[c.shock_risk], dtype=np.int64).reshape(-1, 3),
        shock_day=np.ascontiguousarray(c.shock_day, dtype=np.int64),
        team_month_cost=team_month_cost,
    )
