"""The per-team steps of the cycle loop (kernels/schedule.py :func:`cycle_loop`).

Each step touches one team's (or one finished feature's) part of the trial arrays:

* :func:`release`: a feature is done; each successor whose last dependency it was
  becomes ready at ``max(done, not_before) + delay``, moved to the end of a freeze window
  it would be ready in (kernels/freeze.py), and its team is marked *dirty* (its next
  event must be recomputed);
* :func:`first_open`: the first position in a team's priority order whose feature is not
  done (scans start there; done features never change again);
* :func:`effort_sync`: an effort team's *virtual progress* ``V`` (the work each feature
  in progress has received since the team's epoch) brought forward to clock time t: the
  capacity ``C(t) - C(t_last)`` (kernels/capacity.py) shared equally by the k features
  in progress;
* :func:`tp_settle`: a throughput team's periods that ended by t are applied (single
  feature, round-robin deal §2.9 or by type §2.10; kernels/throughput*.py) and the
  features they finished are released.
"""

from __future__ import annotations

from numba import njit

from portfolio_sim.codes import DONE, EPS
from portfolio_sim.kernels.capacity import cap_at
from portfolio_sim.kernels.freeze import gate
from portfolio_sim.kernels.throughput import tp_commit
from portfolio_sim.kernels.throughput_type import tpt_commit
from portfolio_sim.kernels.throughput_wip import tpw_commit
from portfolio_sim.rng import NO_REFCOUNT


@njit(cache=True, inline="always", **NO_REFCOUNT)
def release(
    succ_ptr, succ_idx, not_before, feat_team, f, t, ready, deps_left, delay, dirty, frz, hold
):
    """Feature f is done at t: successors whose last dependency this was become ready
    (at the end of a freeze window they would be ready in, kernels/freeze.py)."""
    for i in range(succ_ptr[f], succ_ptr[f + 1]):
        s = succ_idx[i]
        deps_left[s] -= 1
        if deps_left[s] == 0:
            ready[s] = gate(frz, hold, s, max(t, not_before[s]) + delay[s])
            dirty[feat_team[s]] = True


@njit(cache=True, inline="always", **NO_REFCOUNT)
def first_open(fidx, state, team_lo, j, hi):
    """Team j's first position in priority order whose feature is not done. Features
    mostly finish in priority order, so scans start here instead of at the team's first
    feature; done features never change again."""
    lo = team_lo[j]
    while lo < hi and state[fidx[lo]] == DONE:
        lo += 1
    team_lo[j] = lo
    return lo


@njit(cache=True, inline="always", **NO_REFCOUNT)
def effort_sync(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t, team_k, team_v, team_c):
    """Bring effort team j's virtual progress forward to time t."""
    c = cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t)
    if team_k[j] > 0:
        team_v[j] += (c - team_c[j]) / team_k[j]
    team_c[j] = c


@njit(cache=True, **NO_REFCOUNT)
def tp_settle(m, j, t, trial, lo, arrays):
    """Apply throughput team j's periods that ended by clock t, and release the successors
    of the features they finished (team j's features before position ``lo`` are done and
    released). Only a period that ends by t can finish a feature: without one there is
    nothing to apply or release. ``arrays`` are the trial arrays of
    kernels/schedule.py :func:`cycle_loop`, as one tuple (the order below). Returns the number of
    features released."""
    ready, deps_left, state, remaining, start, done, work, delay, dirty, tp_q, cache, stamp, frz = (
        arrays
    )
    if (tp_q[j] + 1) * float(m.tp_period[j]) > t + EPS:
        return 0
    moved = 0
    if m.tp_types[j, 1] > 0:  # throughput by type (docs/model.md §2.10)
        tp_q[j] = tpt_commit(
            m, j, lo, t, tp_q[j], trial, ready, state, remaining, start, done, work
        )
    elif m.team_wip[j] > 1:  # round-robin deal (docs/model.md §2.9)
        tp_q[j] = tpw_commit(
            lo, m.team_feat_ptr[j + 1], m.team_feat_idx, float(m.tp_period[j]), m.team_wip[j],
            m.tp_dist[j, 0], m.tp_dist[j, 1], m.tp_dist[j, 2], m.pool, m.team_key[j], j, t,
            tp_q[j], trial, ready, state, remaining, start, done, work, cache, stamp,
        )  # fmt: skip
    # (after tpw_commit, period tp_q[j] ends after t: this call then applies nothing)
    tp_q[j] = tp_commit(
        lo,
        m.team_feat_ptr[j + 1],
        m.team_feat_idx,
        float(m.tp_period[j]),
        m.tp_dist[j, 0],
        m.tp_dist[j, 1],
        m.tp_dist[j, 2],
        m.pool,
        m.team_key[j],
        j,
        t,
        tp_q[j],
        trial,
        ready,
        state,
        remaining,
        start,
        done,
        work,
        cache,
        stamp,
    )
    for i in range(lo, m.team_feat_ptr[j + 1]):
        f = m.team_feat_idx[i]
        if state[f] == DONE and deps_left[f] == 0:
            deps_left[f] = -1  # released
            moved += 1
            release(
                m.succ_in_ptr,
                m.succ_in_idx,
                m.feat_not_before,
                m.feat_team,
                f,
                done[f],
                ready,
                deps_left,
                delay,
                dirty,
                frz,
                m.feat_freeze,
            )
    return moved
