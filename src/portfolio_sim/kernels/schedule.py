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

from portfolio_sim.rng import draw, uniform

EPS = 1e-9
INF = np.inf

# Feature states.
WAITING, ACTIVE, DONE = 0, 1, 2


@njit(cache=True, inline="always")
def cap_at(m, j, t):
    """C_j(t): cumulative capacity (person-days) of effort team j from 0 to clock time t."""
    lo = m.cap_ptr[j]
    k = m.cap_ptr[j + 1] - 1
    while k > lo and m.cap_t[k] > t:
        k -= 1
    d = t - m.cap_t[k]
    return m.cap_cum[k] + m.cap_rate[k] * d + 0.5 * m.cap_slope[k] * d * d


@njit(cache=True, inline="always")
def cap_time(m, j, target):
    """The earliest clock time t with C_j(t) >= target (inf if capacity never gets there)."""
    lo = m.cap_ptr[j]
    hi = m.cap_ptr[j + 1]
    k = lo
    while k + 1 < hi and m.cap_cum[k + 1] < target:
        k += 1
    rem = target - m.cap_cum[k]
    if rem <= 0.0:
        return m.cap_t[k]
    r = m.cap_rate[k]
    s = m.cap_slope[k]
    if r <= 0.0 and s <= 0.0:
        if k + 1 < hi:
            return m.cap_t[k + 1]
        return INF
    return m.cap_t[k] + 2.0 * rem / (r + math.sqrt(r * r + 2.0 * s * rem))


@njit(cache=True, inline="always")
def sample_trial(m, trial, size, delay):
    """Draw every feature's size (growth, rounding, risk extras) and start delay."""
    n_f = m.feat_team.shape[0]
    for f in range(n_f):
        s = draw(
            m.feat_size[f, 0], m.pool, m.feat_size[f, 1], m.feat_size[f, 2], m.feat_key[f], trial, 0
        )
        if m.feat_growth[f, 0] >= 0:
            s *= draw(
                m.feat_growth[f, 0],
                m.pool,
                m.feat_growth[f, 1],
                m.feat_growth[f, 2],
                m.feat_key[f],
                trial,
                1,
            )
        if m.feat_items[f]:
            s = math.ceil(s - EPS)
        size[f] = max(s, 0.0)
        delay[f] = 0.0
    for r in range(m.risk_prob.shape[0]):
        if uniform(m.risk_key[r], trial, 0) < m.risk_prob[r]:
            x = draw(
                m.risk_dist[r, 0],
                m.pool,
                m.risk_dist[r, 1],
                m.risk_dist[r, 2],
                m.risk_key[r],
                trial,
                1,
            )
            x = max(x, 0.0)
            kind = m.risk_kind[r]
            for i in range(m.risk_ptr[r], m.risk_ptr[r + 1]):
                f = m.risk_idx[i]
                if kind == 2:
                    delay[f] += x
                elif m.feat_items[f]:
                    size[f] += math.ceil(x - EPS)
                else:
                    size[f] += x


@njit(cache=True, inline="always")
def _release(m, f, t, state, ready, deps_left, delay, dirty):
    """Feature f is done at t: successors whose last dependency this was become ready."""
    for i in range(m.succ_ptr[f], m.succ_ptr[f + 1]):
        s = m.succ_idx[i]
        deps_left[s] -= 1
        if deps_left[s] == 0:
            ready[s] = max(t, m.feat_not_before[s]) + delay[s]
            dirty[m.feat_team[s]] = True


@njit(cache=True, inline="always")
def _effort_sync(m, j, t, team_k, team_v, team_c):
    """Bring effort team j's virtual progress forward to time t."""
    c = cap_at(m, j, t)
    if team_k[j] > 0:
        team_v[j] += (c - team_c[j]) / team_k[j]
    team_c[j] = c


@njit(cache=True, inline="always")
def _period_for(m, j, t, ready, state):
    """End of the next throughput period after t that has an eligible feature, or inf."""
    rmin = INF
    for i in range(m.team_feat_ptr[j], m.team_feat_ptr[j + 1]):
        f = m.team_feat_idx[i]
        if state[f] != DONE and ready[f] < rmin:
            rmin = ready[f]
    if rmin == INF:
        return INF
    L = float(m.tp_period[j])
    q = max(math.floor(t / L + EPS), math.ceil(rmin / L - EPS))
    return (q + 1.0) * L


@njit(cache=True, inline="always")
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
):
    """Simulate one trial; fills ``done`` and ``start`` (clock times, inf if not reached)
    and ``work`` (work done per team, person-days or items, through the horizon).
    Returns the number of events processed."""
    n_f = m.feat_team.shape[0]
    n_t = m.team_kind.shape[0]
    horizon = m.horizon
    for f in range(n_f):
        state[f] = WAITING
        done[f] = INF
        start[f] = INF
        finish_v[f] = size[f]  # remaining items for throughput features
        deps_left[f] = m.dep_ptr[f + 1] - m.dep_ptr[f]
        ready[f] = m.feat_not_before[f] + delay[f] if deps_left[f] == 0 else INF
    for j in range(n_t):
        team_k[j] = 0
        team_v[j] = 0.0
        team_c[j] = 0.0
        team_next[j] = INF
        dirty[j] = True
        work[j] = 0.0
    t = 0.0
    events = 0
    max_events = 8 * (n_f + 16) + 4 * int(horizon) * n_t + 64
    while events < max_events:
        # Phase 2: starts, and each changed team's next event.
        for j in range(n_t):
            if not dirty[j]:
                continue
            dirty[j] = False
            lo = m.team_feat_ptr[j]
            hi = m.team_feat_ptr[j + 1]
            if m.team_kind[j] == 1:
                team_next[j] = _period_for(m, j, t, ready, state)
                continue
            _effort_sync(m, j, t, team_k, team_v, team_c)
            wip = m.team_wip[j]
            tr = INF
            for i in range(lo, hi):
                f = m.team_feat_idx[i]
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
                    f = m.team_feat_idx[i]
                    if state[f] == ACTIVE and finish_v[f] < vmin:
                        vmin = finish_v[f]
                if vmin <= team_v[j]:
                    tc = t
                else:
                    tc = cap_time(m, j, team_c[j] + (vmin - team_v[j]) * team_k[j])
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
            lo = m.team_feat_ptr[j]
            hi = m.team_feat_ptr[j + 1]
            if m.team_kind[j] == 1:
                L = float(m.tp_period[j])
                q = np.int64(round(t / L)) - 1
                p_start = q * L
                n = draw(
                    m.tp_dist[j, 0],
                    m.pool,
                    m.tp_dist[j, 1],
                    m.tp_dist[j, 2],
                    m.team_key[j],
                    trial,
                    q,
                )
                n = max(math.floor(n + 0.5), 0.0)
                for i in range(lo, hi):
                    if n <= 0.0:
                        break
                    f = m.team_feat_idx[i]
                    if state[f] == DONE or ready[f] > p_start + EPS:
                        continue
                    if state[f] == WAITING:
                        state[f] = ACTIVE
                        start[f] = p_start
                    take = min(n, finish_v[f])
                    finish_v[f] -= take
                    n -= take
                    work[j] += take
                    if finish_v[f] <= 0.0:
                        state[f] = DONE
                        done[f] = t
                        _release(m, f, t, state, ready, deps_left, delay, dirty)
                continue
            _effort_sync(m, j, t, team_k, team_v, team_c)
            tol = EPS * (1.0 + abs(team_v[j]))
            for i in range(lo, hi):
                f = m.team_feat_idx[i]
                if state[f] == ACTIVE and finish_v[f] <= team_v[j] + tol:
                    state[f] = DONE
                    done[f] = t
                    team_k[j] -= 1
                    work[j] += size[f]
                    _release(m, f, t, state, ready, deps_left, delay, dirty)
    # Censored at the horizon: count the work done on features still in progress.
    for j in range(n_t):
        if m.team_kind[j] == 0 and team_k[j] > 0:
            _effort_sync(m, j, horizon, team_k, team_v, team_c)
            for i in range(m.team_feat_ptr[j], m.team_feat_ptr[j + 1]):
                f = m.team_feat_idx[i]
                if state[f] == ACTIVE:
                    work[j] += size[f] - (finish_v[f] - team_v[j])
    return events
