"""Money and value of one trial (MODEL.md §6, §10), from its schedule.

Given each feature's start and done clock times, this computes what the trial costs and
earns, month by month:

* People cost: team j is paid whole working days from day 0 through the day it finishes
  its last feature (through the horizon with ``release: horizon`` or when not done):
  ``team_cost_cum[j, d]`` is the cost of days ``0 .. d-1`` (paid members x day rate).
* Capex: at any moment a team's cost is split between the features in progress in equal
  shares (the same equal sharing as capacity); the shares of ``capitalizable`` features
  are capex, the rest (including idle time) opex. Within a working day cost accrues
  uniformly over the clock interval [d, d+1).
* One-off feature costs are drawn (stream slot 2) and paid on the start day.
* Value: from the calendar day after the done date through the horizon date inclusive,
  ``per_month * 12 / 365`` per calendar day, ramping linearly over ``ramp_months * 365/12``
  days; a feature succeeds with its probability (stream slot 3) or earns nothing.
* A deadline penalty is booked in the deadline's month when the feature is late (or not
  done by the horizon).
* Month k is discounted by ``(1 + rate) ** (-(k + 1) / 12)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from portfolio_sim.rng import NO_REFCOUNT, SUBSTREAM, draw, uniform

EPS = 1e-9


class MoneyModel(NamedTuple):
    horizon_days: int
    team_cost_cum: np.ndarray  # float64 [T, H+1]
    team_has_work: np.ndarray  # bool [T]
    team_release_horizon: np.ndarray  # bool [T]
    team_feat_ptr: np.ndarray
    team_feat_idx: np.ndarray
    feat_capex: np.ndarray  # bool [F]
    feat_cost: np.ndarray  # int64 [F, 3]
    feat_key: np.ndarray  # uint64 [F]
    feat_value: np.ndarray  # float64 [F, 3] per_month, ramp_months, success_probability
    feat_penalty: np.ndarray  # float64 [F]
    feat_deadline_day: np.ndarray  # int64 [F]
    feat_penalty_month: np.ndarray  # int64 [F]
    day_month: np.ndarray  # int64 [H] month of each working day
    month_first_day: np.ndarray  # int64 [M+1] first working day of each month; [M] = H
    cal_off: np.ndarray  # int64 [H] calendar days from start to each working day
    month_start_off: np.ndarray  # int64 [M+1] calendar offset of each month's first day
    horizon_off: int  # calendar offset of the horizon date
    disc: np.ndarray  # float64 [M]
    budget_total: float  # < 0: no total budget
    quarter_of_month: np.ndarray  # int64 [M] index of the budget quarter of each month, -1
    pool: np.ndarray


@njit(cache=True, **NO_REFCOUNT)
def _done_day(t):
    d = math.ceil(t - EPS) - 1.0
    return np.int64(d) if d > 0.0 else np.int64(0)


@njit(cache=True, **NO_REFCOUNT)
def _sort_prefix(a, n):
    """Sort ``a[:n]`` in place (insertion sort: a team's few start/done times)."""
    for i in range(1, n):
        x = a[i]
        k = i - 1
        while k >= 0 and a[k] > x:
            a[k + 1] = a[k]
            k -= 1
        a[k + 1] = x


@njit(cache=True, **NO_REFCOUNT)
def _ccost(cum, j, x, h):
    """Cost of team j over clock [0, x) (x in working days; linear within a day)."""
    if x <= 0.0:
        return 0.0
    if x >= h:
        return cum[j, h]
    fl = np.int64(math.floor(x))
    return cum[j, fl] + (x - fl) * (cum[j, fl + 1] - cum[j, fl])


@njit(cache=True, **NO_REFCOUNT)
def _value_of(per_month, ramp_months, s, e_excl, month_start_off, disc, k0):
    """Value earned on calendar days [s, e_excl) after the done date; returns (value,
    discounted value). ``k0`` is a month index at or before the month of s."""
    full = per_month * 12.0 / 365.0
    rd = ramp_months * 365.0 / 12.0
    total = 0.0
    pv = 0.0
    n_m = disc.shape[0]
    k = k0
    while k < n_m and month_start_off[k + 1] <= s:
        k += 1
    while k < n_m and month_start_off[k] < e_excl:
        a = max(month_start_off[k], s) - s
        b = min(month_start_off[k + 1], e_excl) - s
        if b > a:
            if rd <= 0.0:
                v = full * (b - a)
            else:
                ga = full * (a * a / (2.0 * rd) if a < rd else rd / 2.0 + (a - rd))
                gb = full * (b * b / (2.0 * rd) if b < rd else rd / 2.0 + (b - rd))
                v = gb - ga
            total += v
            pv += v * disc[k]
        k += 1
    return total, pv


@njit(cache=True, **NO_REFCOUNT)
def trial_money(
    mm,
    trial,
    done,
    start,
    team_t,
    month_cost,
    month_capex,
    feat_value,
    feat_cost,
    team_end,
    evt,
    out,
):
    """Money of one trial. Fills ``month_cost``/``month_capex`` [M] (all costs / capex),
    ``feat_value`` [F] (discounted value), ``feat_cost`` [F] (one-off costs), and
    ``out``: [cost, cost_pv, value, value_pv, penalty_pv, npv, capex, spent_day]."""
    h = mm.horizon_days
    cum = mm.team_cost_cum
    tptr = mm.team_feat_ptr
    tidx = mm.team_feat_idx
    capex_flag = mm.feat_capex
    day_month = mm.day_month
    mfd = mm.month_first_day
    disc = mm.disc
    n_m = disc.shape[0]
    n_t = cum.shape[0]
    n_f = done.shape[0]
    for k in range(n_m):
        month_cost[k] = 0.0
        month_capex[k] = 0.0
    # People cost, by month, and capex shares.
    for j in range(n_t):
        if mm.team_release_horizon[j] or team_t[j] > h:
            end = h
        elif not mm.team_has_work[j]:
            end = 0
        else:
            end = min(_done_day(team_t[j]) + 1, h)
        team_end[j] = end
        for k in range(n_m):
            lo = mfd[k]
            if lo >= end:
                break  # months after the team's last paid day cost nothing
            hi = min(mfd[k + 1], end)
            if hi > lo:
                month_cost[k] += cum[j, hi] - cum[j, lo]
        # capex: sweep the moments the in-progress set changes
        n_e = 0
        for i in range(tptr[j], tptr[j + 1]):
            f = tidx[i]
            if start[f] < h:
                evt[n_e] = start[f]
                n_e += 1
                if done[f] < h:
                    evt[n_e] = done[f]
                    n_e += 1
        if n_e == 0:
            continue
        evt[n_e] = float(end)
        n_e += 1
        _sort_prefix(evt, n_e)
        for e in range(n_e - 1):
            a = evt[e]
            b = min(evt[e + 1], float(end))
            if b <= a:
                continue
            k_all = 0
            k_cap = 0
            for i in range(tptr[j], tptr[j + 1]):
                f = tidx[i]
                if start[f] <= a and done[f] > a:
                    k_all += 1
                    if capex_flag[f]:
                        k_cap += 1
            if k_cap == 0:
                continue
            frac = k_cap / k_all
            x = a
            k = day_month[min(np.int64(math.floor(x)), h - 1)]
            while x < b and k < n_m:
                nb = min(b, float(mfd[k + 1]))
                if nb > x:
                    month_capex[k] += frac * (_ccost(cum, j, nb, h) - _ccost(cum, j, x, h))
                    x = nb
                k += 1
    # One-off feature costs on the start day; value; penalties.
    value = 0.0
    value_pv = 0.0
    penalty_pv = 0.0
    for f in range(n_f):
        feat_cost[f] = 0.0
        feat_value[f] = 0.0
        if mm.feat_cost[f, 0] >= 0 and start[f] < h:
            c = max(
                draw(
                    mm.feat_cost[f, 0],
                    mm.pool,
                    mm.feat_cost[f, 1],
                    mm.feat_cost[f, 2],
                    mm.feat_key[f],
                    trial,
                    2,
                ),
                0.0,
            )
            feat_cost[f] = c
            day = min(np.int64(math.floor(start[f] + EPS)), h - 1)
            month_cost[day_month[day]] += c
            if capex_flag[f]:
                month_capex[day_month[day]] += c
        per_month = mm.feat_value[f, 0]
        if per_month > 0.0 and done[f] <= h:
            p = mm.feat_value[f, 2]
            if p >= 1.0 or uniform(mm.feat_key[f], trial, 3 * SUBSTREAM) < p:
                dd = _done_day(done[f])
                s = mm.cal_off[dd] + 1
                v, v_pv = _value_of(
                    per_month,
                    mm.feat_value[f, 1],
                    s,
                    mm.horizon_off + 1,
                    mm.month_start_off,
                    disc,
                    day_month[dd],
                )
                value += v
                value_pv += v_pv
                feat_value[f] = v_pv
        late = done[f] > h or _done_day(done[f]) > mm.feat_deadline_day[f]
        if mm.feat_penalty[f] > 0.0 and mm.feat_deadline_day[f] < h + 1 and late:
            penalty_pv += mm.feat_penalty[f] * disc[mm.feat_penalty_month[f]]
    cost = 0.0
    cost_pv = 0.0
    capex = 0.0
    for k in range(n_m):
        cost += month_cost[k]
        cost_pv += month_cost[k] * disc[k]
        capex += month_capex[k]
    # The working day on which the total budget is spent (h: never).
    spent = h
    budget = mm.budget_total
    # "over budget" means strictly greater, ignoring float round-off (1e-9 relative)
    tol = 1e-9 * max(1.0, abs(budget))
    if budget >= 0.0 and cost > budget + tol:
        lo = 1
        hi = h
        while lo < hi:  # smallest d with spend over days [0, d) > budget
            mid = (lo + hi) // 2
            s = 0.0
            for j in range(n_t):
                s += cum[j, min(mid, team_end[j])]
            for f in range(n_f):
                if feat_cost[f] > 0.0 and np.int64(math.floor(start[f] + EPS)) < mid:
                    s += feat_cost[f]
            if s > budget + tol:
                hi = mid
            else:
                lo = mid + 1
        spent = lo - 1
    out[0] = cost
    out[1] = cost_pv
    out[2] = value
    out[3] = value_pv
    out[4] = penalty_pv
    out[5] = value_pv - cost_pv - penalty_pv
    out[6] = capex
    out[7] = spent


def money_model(compiled: object) -> MoneyModel:
    """Pick the money arrays out of a compiled scenario."""
    values: dict[str, object] = dict(compiled.money)  # type: ignore[attr-defined]
    for name in MoneyModel._fields:
        if name not in values:
            values[name] = getattr(compiled, name)
    return MoneyModel(**values)  # type: ignore[arg-type]
