"""One trial of the portfolio schedule, event by event (MODEL.md §1-§5, §10).

The clock is continuous working days. Events are feature completions, readiness
(dependencies, ``not_before``, risk delays) and throughput period ends; staffing changes
need no events because each effort team's capacity is a cumulative function ``C(t)``
(piecewise quadratic, see scenario/compile.py) that we evaluate and invert.

Equal sharing without per-feature bookkeeping: the ``k`` features in progress on an
effort team each receive ``dC / k``. A team keeps a *virtual progress* ``V`` (work each
in-progress feature has received since the team's epoch); a feature started at progress
``V0`` with size ``s`` finishes when ``V = V0 + s``. Only the team whose state changes
is updated, so an event costs O(features of that team).

Simultaneous events: all completions at clock time t are applied first (across teams),
then every affected team starts its highest-priority ready features. Ties within
``EPS`` of each other count as simultaneous.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.kernels.throughput import tp_commit, tp_next_completion
from portfolio_sim.rng import draw, uniform

EPS = 1e-9
INF = np.inf

# Feature states.
WAITING, ACTIVE, DONE = 0, 1, 2


@njit(cache=True, inline="always")
def cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t):
    """C_j(t): cumulative capacity (person-days) of effort team j from 0 to clock time t."""
    lo = cap_ptr[j]
    k = cap_ptr[j + 1] - 1
    while k > lo and cap_t[k] > t:
        k -= 1
    d = t - cap_t[k]
    return cap_cum[k] + cap_rate[k] * d + 0.5 * cap_slope[k] * d * d


@njit(cache=True, inline="always")
def cap_time(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, target):
    """The earliest clock time t with C_j(t) >= target (inf if capacity never gets there)."""
    lo = cap_ptr[j]
    hi = cap_ptr[j + 1]
    k = lo
    while k + 1 < hi and cap_cum[k + 1] < target:
        k += 1
    rem = target - cap_cum[k]
    if rem <= 0.0:
        return cap_t[k]
    r = cap_rate[k]
    s = cap_slope[k]
    if r <= 0.0 and s <= 0.0:
        if k + 1 < hi:
            return cap_t[k + 1]
        return INF
    return cap_t[k] + 2.0 * rem / (r + math.sqrt(r * r + 2.0 * s * rem))


@njit(cache=True)
def sample_trial(m, trial, size, delay):
    """Draw every feature's size (growth, rounding, risk extras) and start delay."""
    FEAT_GROWTH_ = m.feat_growth
    FEAT_ITEMS_ = m.feat_items
    FEAT_KEY_ = m.feat_key
    FEAT_SIZE_ = m.feat_size
    FEAT_TEAM_ = m.feat_team
    POOL_ = m.pool
    RISK_DIST_ = m.risk_dist
    RISK_IDX_ = m.risk_idx
    RISK_KEY_ = m.risk_key
    RISK_KIND_ = m.risk_kind
    RISK_PROB_ = m.risk_prob
    RISK_PTR_ = m.risk_ptr
    n_f = FEAT_TEAM_.shape[0]
    for f in range(n_f):
        s = draw(
            FEAT_SIZE_[f, 0], POOL_, FEAT_SIZE_[f, 1], FEAT_SIZE_[f, 2], FEAT_KEY_[f], trial, 0
        )
        if FEAT_GROWTH_[f, 0] >= 0:
            s *= draw(
                FEAT_GROWTH_[f, 0],
                POOL_,
                FEAT_GROWTH_[f, 1],
                FEAT_GROWTH_[f, 2],
                FEAT_KEY_[f],
                trial,
                1,
            )
        if FEAT_ITEMS_[f]:
            s = math.ceil(s - EPS)
        size[f] = max(s, 0.0)
        delay[f] = 0.0
    for r in range(RISK_PROB_.shape[0]):
        if uniform(RISK_KEY_[r], trial, 0) < RISK_PROB_[r]:
            x = draw(
                RISK_DIST_[r, 0],
                POOL_,
                RISK_DIST_[r, 1],
                RISK_DIST_[r, 2],
                RISK_KEY_[r],
                trial,
                1,
            )
            x = max(x, 0.0)
            kind = RISK_KIND_[r]
            for i in range(RISK_PTR_[r], RISK_PTR_[r + 1]):
                f = RISK_IDX_[i]
                if kind == 2:
                    delay[f] += x
                elif FEAT_ITEMS_[f]:
                    size[f] += math.ceil(x - EPS)
                else:
                    size[f] += x


@njit(cache=True, inline="always")
def _release(succ_ptr, succ_idx, not_before, feat_team, f, t, ready, deps_left, delay, dirty):
    """Feature f is done at t: successors whose last dependency this was become ready."""
    for i in range(succ_ptr[f], succ_ptr[f + 1]):
        s = succ_idx[i]
        deps_left[s] -= 1
        if deps_left[s] == 0:
            ready[s] = max(t, not_before[s]) + delay[s]
            dirty[feat_team[s]] = True


@njit(cache=True, inline="always")
def _effort_sync(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t, team_k, team_v, team_c):
    """Bring effort team j's virtual progress forward to time t."""
    c = cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t)
    if team_k[j] > 0:
        team_v[j] += (c - team_c[j]) / team_k[j]
    team_c[j] = c


@njit(cache=True)
def _tp_release(lo, hi, fidx, SP, SI, NB, FT, state, done, ready, deps_left, delay, dirty):
    """Release the successors of throughput features that a commit finished."""
    for i in range(lo, hi):
        f = fidx[i]
        if state[f] == DONE and deps_left[f] == 0:
            deps_left[f] = -1  # released
            _release(SP, SI, NB, FT, f, done[f], ready, deps_left, delay, dirty)


@njit(cache=True)
def simulate_trial(
    m,
    trial,
    size,
    delay,
    done,
    start,
    work,
    ready,
    deps_left,
    state,
    finish_v,
    team_k,
    team_v,
    team_c,
    team_next,
    dirty,
    tp_q,
    tp_cache,
    tp_stamp,
):
    """Simulate one trial; fills ``done`` and ``start`` (clock times, inf if not reached)
    and ``work`` (work done per team, person-days or items, through the horizon).
    Returns the number of events processed."""
    CAP_CUM_ = m.cap_cum
    CAP_PTR_ = m.cap_ptr
    CAP_RATE_ = m.cap_rate
    CAP_SLOPE_ = m.cap_slope
    CAP_T_ = m.cap_t
    DEP_PTR_ = m.dep_ptr
    FEAT_NOT_BEFORE_ = m.feat_not_before
    FEAT_TEAM_ = m.feat_team
    POOL_ = m.pool
    SUCC_IDX_ = m.succ_idx
    SUCC_PTR_ = m.succ_ptr
    TEAM_FEAT_IDX_ = m.team_feat_idx
    TEAM_FEAT_PTR_ = m.team_feat_ptr
    TEAM_KEY_ = m.team_key
    TEAM_KIND_ = m.team_kind
    TEAM_WIP_ = m.team_wip
    TP_DIST_ = m.tp_dist
    TP_PERIOD_ = m.tp_period
    n_f = FEAT_TEAM_.shape[0]
    n_t = TEAM_KIND_.shape[0]
    horizon = m.horizon
    CP, CT, CC, CR, CS = CAP_PTR_, CAP_T_, CAP_CUM_, CAP_RATE_, CAP_SLOPE_
    SP, SI, NB, FT = SUCC_PTR_, SUCC_IDX_, FEAT_NOT_BEFORE_, FEAT_TEAM_
    FI, POOL = TEAM_FEAT_IDX_, POOL_
    for f in range(n_f):
        state[f] = WAITING
        done[f] = INF
        start[f] = INF
        finish_v[f] = size[f]  # remaining items for throughput features
        deps_left[f] = DEP_PTR_[f + 1] - DEP_PTR_[f]
        ready[f] = FEAT_NOT_BEFORE_[f] + delay[f] if deps_left[f] == 0 else INF
    for j in range(n_t):
        team_k[j] = 0
        team_v[j] = 0.0
        team_c[j] = 0.0
        team_next[j] = INF
        dirty[j] = True
        work[j] = 0.0
        tp_q[j] = 0
    t = 0.0
    events = 0
    max_events = 8 * (n_f + 16) + 2 * int(horizon) * n_t + 64
    while events < max_events:
        # Phase 2: starts, and each changed team's next event.
        for j in range(n_t):
            if not dirty[j]:
                continue
            dirty[j] = False
            lo = TEAM_FEAT_PTR_[j]
            hi = TEAM_FEAT_PTR_[j + 1]
            if TEAM_KIND_[j] == 1:
                L = float(TP_PERIOD_[j])
                code, off, npar, key = TP_DIST_[j, 0], TP_DIST_[j, 1], TP_DIST_[j, 2], TEAM_KEY_[j]
                tp_q[j] = tp_commit(
                    lo,
                    hi,
                    FI,
                    L,
                    code,
                    off,
                    npar,
                    POOL,
                    key,
                    j,
                    t,
                    tp_q[j],
                    trial,
                    ready,
                    state,
                    finish_v,
                    start,
                    done,
                    work,
                    tp_cache,
                    tp_stamp,
                )
                _tp_release(lo, hi, FI, SP, SI, NB, FT, state, done, ready, deps_left, delay, dirty)
                team_next[j] = tp_next_completion(
                    lo,
                    hi,
                    FI,
                    L,
                    horizon,
                    code,
                    off,
                    npar,
                    POOL,
                    key,
                    j,
                    tp_q[j],
                    trial,
                    ready,
                    state,
                    finish_v,
                    tp_cache,
                    tp_stamp,
                )
                continue
            _effort_sync(CP, CT, CC, CR, CS, j, t, team_k, team_v, team_c)
            wip = TEAM_WIP_[j]
            tr = INF
            for i in range(lo, hi):
                f = TEAM_FEAT_IDX_[i]
                if state[f] != WAITING:
                    continue
                if ready[f] <= t + EPS and team_k[j] < wip:
                    state[f] = ACTIVE
                    start[f] = t
                    finish_v[f] = team_v[j] + size[f]
                    team_k[j] += 1
                elif ready[f] < tr:
                    tr = ready[f]
            tc = INF
            if team_k[j] > 0:
                vmin = INF
                for i in range(lo, hi):
                    f = TEAM_FEAT_IDX_[i]
                    if state[f] == ACTIVE and finish_v[f] < vmin:
                        vmin = finish_v[f]
                if vmin <= team_v[j]:
                    tc = t
                else:
                    tc = cap_time(CP, CT, CC, CR, CS, j, team_c[j] + (vmin - team_v[j]) * team_k[j])
                    if tc < t:
                        tc = t
            if team_k[j] >= wip:
                tr = INF
            team_next[j] = min(tc, tr)
        # The next moment anything happens.
        t_next = INF
        for j in range(n_t):
            if team_next[j] < t_next:
                t_next = team_next[j]
        if t_next > horizon:
            break
        t = t_next
        events += 1
        # Phase 1: completions and period ends at t.
        for j in range(n_t):
            if team_next[j] > t + EPS:
                continue
            dirty[j] = True
            lo = TEAM_FEAT_PTR_[j]
            hi = TEAM_FEAT_PTR_[j + 1]
            if TEAM_KIND_[j] == 1:
                L = float(TP_PERIOD_[j])
                code, off, npar, key = TP_DIST_[j, 0], TP_DIST_[j, 1], TP_DIST_[j, 2], TEAM_KEY_[j]
                tp_q[j] = tp_commit(
                    lo,
                    hi,
                    FI,
                    L,
                    code,
                    off,
                    npar,
                    POOL,
                    key,
                    j,
                    t,
                    tp_q[j],
                    trial,
                    ready,
                    state,
                    finish_v,
                    start,
                    done,
                    work,
                    tp_cache,
                    tp_stamp,
                )
                _tp_release(lo, hi, FI, SP, SI, NB, FT, state, done, ready, deps_left, delay, dirty)
                continue
            _effort_sync(CP, CT, CC, CR, CS, j, t, team_k, team_v, team_c)
            tol = EPS * (1.0 + abs(team_v[j]))
            for i in range(lo, hi):
                f = TEAM_FEAT_IDX_[i]
                if state[f] == ACTIVE and finish_v[f] <= team_v[j] + tol:
                    state[f] = DONE
                    done[f] = t
                    team_k[j] -= 1
                    work[j] += size[f]
                    _release(SP, SI, NB, FT, f, t, ready, deps_left, delay, dirty)
    # Censored at the horizon: count the work done on features still in progress, and
    # apply throughput periods that ended by the horizon (items and starts; no completion
    # can be among them, or it would have been an event).
    for j in range(n_t):
        if TEAM_KIND_[j] == 1:
            tp_q[j] = tp_commit(
                TEAM_FEAT_PTR_[j],
                TEAM_FEAT_PTR_[j + 1],
                TEAM_FEAT_IDX_,
                float(TP_PERIOD_[j]),
                TP_DIST_[j, 0],
                TP_DIST_[j, 1],
                TP_DIST_[j, 2],
                POOL_,
                TEAM_KEY_[j],
                j,
                horizon,
                tp_q[j],
                trial,
                ready,
                state,
                finish_v,
                start,
                done,
                work,
                tp_cache,
                tp_stamp,
            )
        if TEAM_KIND_[j] == 0 and team_k[j] > 0:
            _effort_sync(CP, CT, CC, CR, CS, j, horizon, team_k, team_v, team_c)
            for i in range(TEAM_FEAT_PTR_[j], TEAM_FEAT_PTR_[j + 1]):
                f = TEAM_FEAT_IDX_[i]
                if state[f] == ACTIVE:
                    work[j] += size[f] - (finish_v[f] - team_v[j])
    return events
