"""Money and value of one trial (docs/model.md §6, §10), from its schedule.

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
* Deadline penalty (docs/money.md, "Deadline penalties"): a deadline is **met** when
  the feature is done on or before the deadline date; **missed** when it is done after the
  deadline date, or not done by the horizon and the horizon date is on or after the
  deadline date; **undecided** when it is not done by the horizon and the deadline date
  is after the horizon date. ``deadline_penalty`` is booked in the deadline's month only
  when the deadline is missed; an undecided deadline costs nothing.
* Month k is discounted by ``(1 + rate) ** (-(k + 1) / 12)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from portfolio_sim.codes import (
    BUDGET_RTOL,
    EPS,
    MONEY_CAPEX,
    MONEY_COST,
    MONEY_COST_PV,
    MONEY_NPV,
    MONEY_PENALTY_PV,
    MONEY_SPENT_DAY,
    MONEY_VALUE,
    MONEY_VALUE_PV,
    SLOT_COST,
    SLOT_SUCCESS,
)
from portfolio_sim.kernels.clock import kernel_done_day
from portfolio_sim.kernels.cost_shocks import add_cost_shocks, cost_shocks_before
from portfolio_sim.rng import NO_REFCOUNT, SUBSTREAM, draw, uniform


class KernelMoney(NamedTuple):
    """The fast engine's money inputs: ``CompiledScenario.money`` plus the team and
    feature arrays :func:`trial_money` reads, and lookups derived once per scenario
    (built by :func:`portfolio_sim.engines.fast_inputs.kernel_money`)."""

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
    feat_deadline_by_horizon: np.ndarray  # bool [F] deadline date <= horizon date
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
    # Derived once per scenario by kernel_money():
    team_has_capex: np.ndarray  # bool [T] some feature of the team is capitalizable
    cost_feats: np.ndarray  # int64 features with a one-off cost, ascending
    penalty_feats: np.ndarray  # int64 features with a penalty and a deadline
    value_feats: np.ndarray  # int64 [V] features with value (per_month > 0), ascending
    value_tab: np.ndarray  # float64 [V, H] value if value_feats[i] is done on working day dd
    value_pv_tab: np.ndarray  # float64 [V, H] the same, discounted
    # Portfolio cost shocks (docs/model.md §5.4, kernels/cost_shocks.py), file order:
    shock_prob: np.ndarray  # float64 [S]
    shock_key: np.ndarray  # uint64 [S] the risk's stream key
    shock_dist: np.ndarray  # int64 [S, 3] the cost distribution
    shock_day: np.ndarray  # int64 [S] working day paid (>= H: never)
    # team j's cost of the whole of month k, team_cost_cum[j, month_first_day[k + 1]] -
    # team_cost_cum[j, month_first_day[k]] (derived once by kernel_money()):
    team_month_cost: np.ndarray  # float64 [T, M]


@njit(cache=True, **NO_REFCOUNT)
def _sort_abs(a, lo, hi):
    """Sort ``a[lo:hi]`` in place by absolute value (insertion sort: a team's few, mostly
    ordered times; the sign is a tag)."""
    for i in range(lo + 1, hi):
        x = a[i]
        ax = abs(x)
        k = i - 1
        while k >= lo and abs(a[k]) > ax:
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
def value_tables(
    feats, feat_value, cal_off, day_month, horizon_off, month_start_off, disc, tab, tab_pv
):
    """Fill ``tab[i, dd]``/``tab_pv[i, dd]`` with the value and discounted value that
    feature ``feats[i]`` earns when it succeeds and is done on working day ``dd``."""
    for i in range(feats.shape[0]):
        f = feats[i]
        for dd in range(tab.shape[1]):
            v, v_pv = _value_of(
                feat_value[f, 0],
                feat_value[f, 1],
                cal_off[dd] + 1,
                horizon_off + 1,
                month_start_off,
                disc,
                day_month[dd],
            )
            tab[i, dd] = v
            tab_pv[i, dd] = v_pv


@njit(cache=True, **NO_REFCOUNT)
def _team_capex(mm, j, end, start, done, evt, month_capex):
    """Add team j's capex to ``month_capex``: over clock [0, end) its cost is split equally
    between the features in progress (start <= x < done); the capitalizable shares count.

    The moments the in-progress set changes are swept in time order: the start times
    (``evt[:n]``) and done times (``evt[n:]``) before the horizon are sorted in two runs
    and merged, keeping running counts; a capitalizable feature's times are stored with
    the sign bit set (-t, -0.0 for 0). Between consecutive moments [a, b) (b capped at
    end; empty pieces, i.e. ties, skipped) the counts are those of the features with
    start <= a < done (since start <= done), exactly as a recount would give; the cost is
    taken month by month, each ``_ccost`` carried on to the next piece. Bit for bit the
    same as recounting the in-progress features of every piece."""
    h = mm.horizon_days
    cum = mm.team_cost_cum
    tidx = mm.team_feat_idx
    capex_flag = mm.feat_capex
    mfd = mm.month_first_day
    n_m = mm.disc.shape[0]
    lo = mm.team_feat_ptr[j]
    n = mm.team_feat_ptr[j + 1] - lo
    e0 = 0
    e1 = n
    any_cap = False
    for i in range(lo, lo + n):
        f = tidx[i]
        if start[f] < h:
            sg = 1.0
            if capex_flag[f]:
                sg = -1.0
                any_cap = True
            evt[e0] = math.copysign(start[f], sg)
            e0 += 1
            if done[f] < h:
                evt[e1] = math.copysign(done[f], sg)
                e1 += 1
    if not any_cap:
        return  # no capitalizable feature started
    _sort_abs(evt, 0, e0)
    _sort_abs(evt, n, e1)
    p0 = 0
    p1 = n
    fend = float(end)
    k_all = 0
    k_cap = 0
    last_x = -1.0
    last_c = 0.0
    ts = abs(evt[0])
    td = abs(evt[n]) if e1 > n else fend
    while True:
        # the next moment: the earlier head of the two runs (before end)
        if ts <= td:
            if ts >= fend:
                break
            t = ts
            k_all += 1
            if math.copysign(1.0, evt[p0]) < 0.0:
                k_cap += 1
            p0 += 1
            ts = abs(evt[p0]) if p0 < e0 else fend
        else:
            if td >= fend:
                break
            t = td
            k_all -= 1
            if math.copysign(1.0, evt[p1]) < 0.0:
                k_cap -= 1
            p1 += 1
            td = abs(evt[p1]) if p1 < e1 else fend
        if k_cap == 0:
            continue
        b = min(ts, td)  # the next moment, or end
        if b > fend:
            b = fend
        if b <= t:
            continue  # a tie: the counts are complete at the last event of the moment
        frac = k_cap / k_all
        x = t
        cx = last_c if x == last_x else _ccost(cum, j, x, h)
        k = mm.day_month[min(np.int64(math.floor(x)), h - 1)]
        while x < b and k < n_m:
            m1 = mfd[k + 1]
            if b < m1:  # the piece ends inside month k
                cn = _ccost(cum, j, b, h)
                month_capex[k] += frac * (cn - cx)
                x = b
                cx = cn
            elif m1 > x:  # to the month's end: cum at a whole day (= _ccost there)
                cn = cum[j, m1]
                month_capex[k] += frac * (cn - cx)
                x = float(m1)
                cx = cn
            k += 1
        last_x = x
        last_c = cx


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
    ``out`` [N_MONEY]: the money row (``codes.MONEY_COLUMNS``; cost, cost_pv, value,
    value_pv, penalty_pv, npv, capex, spent_day)."""
    h = mm.horizon_days
    cum = mm.team_cost_cum
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
            end = min(kernel_done_day(team_t[j]) + 1, h)
        team_end[j] = end
        if end > 0:  # months after the team's last paid day cost nothing
            # whole months from the table (a vector add), then the last paid day's month
            # in part: the same sums as cum[j, hi] - cum[j, lo] month by month (a month
            # without working days adds 0.0, which changes no sum of costs)
            kl = day_month[end - 1]
            whole = kl + 1 if mfd[kl + 1] <= end else kl
            for k in range(whole):
                month_cost[k] += mm.team_month_cost[j, k]
            if whole == kl:
                month_cost[kl] += cum[j, end] - cum[j, mfd[kl]]
        if mm.team_has_capex[j]:
            _team_capex(mm, j, end, start, done, evt, month_capex)
    # One-off feature costs on the start day; value; penalties.
    for f in range(n_f):
        feat_cost[f] = 0.0
        feat_value[f] = 0.0
    for i in range(mm.cost_feats.shape[0]):
        f = mm.cost_feats[i]
        if start[f] < h:
            c = max(
                draw(
                    mm.feat_cost[f, 0],
                    mm.pool,
                    mm.feat_cost[f, 1],
                    mm.feat_cost[f, 2],
                    mm.feat_key[f],
                    trial,
                    SLOT_COST,
                ),
                0.0,
            )
            feat_cost[f] = c
            day = min(np.int64(math.floor(start[f] + EPS)), h - 1)
            month_cost[day_month[day]] += c
            if capex_flag[f]:
                month_capex[day_month[day]] += c
    if mm.shock_day.shape[0] > 0:
        add_cost_shocks(mm, trial, month_cost)
    value = 0.0
    value_pv = 0.0
    for i in range(mm.value_feats.shape[0]):
        f = mm.value_feats[i]
        if done[f] <= h:
            p = mm.feat_value[f, 2]
            if p >= 1.0 or uniform(mm.feat_key[f], trial, SLOT_SUCCESS * SUBSTREAM) < p:
                dd = kernel_done_day(done[f])
                value += mm.value_tab[i, dd]
                v_pv = mm.value_pv_tab[i, dd]
                value_pv += v_pv
                feat_value[f] = v_pv
    penalty_pv = 0.0
    for i in range(mm.penalty_feats.shape[0]):
        f = mm.penalty_feats[i]
        # Missed: done after the deadline date, or not done by a horizon on/after it
        # (not done with the deadline after the horizon: undecided, no penalty).
        if done[f] > h:
            missed = mm.feat_deadline_by_horizon[f]
        else:
            missed = kernel_done_day(done[f]) > mm.feat_deadline_day[f]
        if missed:
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
    tol = BUDGET_RTOL * max(1.0, abs(budget))
    if budget >= 0.0 and cost > budget + tol:
        lo = 1
        hi = h
        while lo < hi:  # smallest d with spend over days [0, d) > budget
            mid = (lo + hi) // 2
            s = 0.0
            for j in range(n_t):
                s += cum[j, min(mid, team_end[j])]
            for i in range(mm.cost_feats.shape[0]):  # (other features cost nothing)
                f = mm.cost_feats[i]
                if feat_cost[f] > 0.0 and np.int64(math.floor(start[f] + EPS)) < mid:
                    s += feat_cost[f]
            if mm.shock_day.shape[0] > 0:
                s += cost_shocks_before(mm, trial, mid)
            if s > budget + tol:
                hi = mid
            else:
                lo = mid + 1
        spent = lo - 1
    out[MONEY_COST] = cost
    out[MONEY_COST_PV] = cost_pv
    out[MONEY_VALUE] = value
    out[MONEY_VALUE_PV] = value_pv
    out[MONEY_PENALTY_PV] = penalty_pv
    out[MONEY_NPV] = value_pv - cost_pv - penalty_pv
    out[MONEY_CAPEX] = capex
    out[MONEY_SPENT_DAY] = spent
