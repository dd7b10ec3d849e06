"""Throughput teams with throughput by item type (docs/model.md §2.10).

A period's draw picks one history period k of the team (``rng.sample_index``: the same
uniform, hence the same k, as a plain team's ``samples`` draw) and yields that period's
count of every type jointly. Type-t items go only to features' type-t items, dealt one at
a time as in §2.9: the in-progress set is the first ``wip_limit`` eligible features (not
done, ready at or before the period's start) that still need an item of a type the period
still has; the deal cycles through it in priority order, starting each period with its
highest-priority feature, and each feature takes, at its turn, one item of the first type
(in the team's type order) it still needs that the period still has. Items of a type no
eligible feature needs are lost, as are the period's untyped items (its sample less the
types' counts). A feature is done at the end of the period in which its last item of any
type is dealt; one needing no items at the end of its first eligible period.

Every such period is an event of the team (kernels/throughput_wip.py ``tpw_next_event``):
callers dispatch typed teams to :func:`tpt_commit` and, for a team alone in its
component, to ``lone_throughput_wip``, which deals with :func:`tpt_deal`.

Per-trial state lives after the F features' entries of ``rem`` (``finish_v``): each
slot's items left, then each typed team's scratch of a period's counts still to deal
(scenario/type_compile.py). Items are whole, so every count here is exact.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.codes import ACTIVE, DONE, EPS, WAITING
from portfolio_sim.kernels.throughput import period_of, queue_at
from portfolio_sim.rng import NO_REFCOUNT, sample_index

INF = np.inf


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _slot(m, f, rem, base, sc):
    """Feature f's first slot (team type order) with items left whose type the period
    still has (-1 if none)."""
    for s in range(m.ft_ptr[f], m.ft_ptr[f + 1]):
        if rem[base + s] > 0.0 and rem[sc + m.ft_type[s]] > 0.0:
            return s
    return -1


@njit(cache=True, **NO_REFCOUNT)
def tpt_deal(m, j, lo, hi, trial, q, ready, state, rem, start, done):
    """Draw period q of typed team j and deal its per-type counts among the features
    ``team_feat_idx[lo:hi]`` (priority order); marks starts and completions. Returns the
    items dealt (the team's work)."""
    fidx = m.team_feat_idx
    L = float(m.tp_period[j])
    n = m.tp_dist[j, 2]
    k = sample_index(n, m.team_key[j], trial, q)
    off = m.tp_types[j, 0]
    sc = m.tp_types[j, 2]
    for t in range(m.tp_types[j, 1]):
        rem[sc + t] = m.pool[off + t * n + k]
    base = m.feat_team.shape[0]
    wip = m.team_wip[j]
    p_start = q * L
    end = (q + 1) * L
    for i in range(lo, hi):  # eligible features needing no items are done at the end
        f = fidx[i]
        if state[f] != DONE and ready[f] <= p_start + EPS and rem[f] <= 0.0:
            if state[f] == WAITING:
                start[f] = p_start
            state[f] = DONE
            done[f] = end
    used = 0.0
    last = -1  # position of the feature served last (-1: the deal starts a cycle)
    while True:
        first = -1
        nxt = -1
        cnt = 0
        for i in range(lo, hi):
            f = fidx[i]
            if state[f] == DONE or ready[f] > p_start + EPS or rem[f] <= 0.0:
                continue
            if _slot(m, f, rem, base, sc) < 0:
                continue
            if first < 0:
                first = i
            if nxt < 0 and i > last:
                nxt = i
            cnt += 1
            if cnt == wip:
                break
        if first < 0:
            break  # no eligible feature needs an item the period still has
        if nxt < 0:
            nxt = first
        f = fidx[nxt]
        s = _slot(m, f, rem, base, sc)
        rem[base + s] -= 1.0
        rem[sc + m.ft_type[s]] -= 1.0
        rem[f] -= 1.0
        used += 1.0
        if state[f] == WAITING:
            state[f] = ACTIVE
            start[f] = p_start
        last = nxt
        if rem[f] <= 0.0:
            state[f] = DONE
            done[f] = end
    return used


@njit(cache=True, **NO_REFCOUNT)
def tpt_commit(m, j, lo, t, q0, trial, ready, state, rem, start, done, work):
    """Apply typed team j's periods from q0 that end at or before clock t (as
    kernels/throughput_wip.py ``tpw_commit``). Returns the next uncommitted period; the
    caller releases the successors of features done."""
    fidx = m.team_feat_idx
    hi = m.team_feat_ptr[j + 1]
    L = float(m.tp_period[j])
    q = q0
    while (q + 1) * L <= t + EPS:
        head, zero, change = queue_at(lo, hi, fidx, q * L, ready, state, rem)
        if head < 0:  # nothing eligible in period q (as tp_commit)
            qe = -1 if change == INF else period_of(change, L, q)
            if qe < 0 or (qe + 1) * L > t + EPS:
                q = max(q, np.int64(math.floor(t / L + EPS)))
                break
            q = qe
            continue
        work[j] += tpt_deal(m, j, lo, hi, trial, q, ready, state, rem, start, done)
        q += 1
    return q
