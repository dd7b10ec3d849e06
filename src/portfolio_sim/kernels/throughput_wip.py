"""Throughput teams with ``wip_limit`` k > 1 (docs/model.md §2.9): items dealt round-robin.

A period's items are dealt one at a time, cycling in priority order through the team's
*in-progress set*: the first k eligible features (not done, ready at or before the
period's start) that still need items. Each period's deal starts with the highest-priority
feature of the set. A feature whose last item is dealt is done at the period's end, and
the next eligible feature joins the set; it has a lower priority than every feature
already in the set, so the cycle stays in priority order. Items left when no eligible
feature needs any are lost; eligible features needing no items are done at the period's
end whatever their position (as with k = 1, docs/model.md §2.5).

With k = 1 this is exactly the rule of kernels/throughput.py (the head takes everything
it needs, the leftovers flow on), which keeps its faster code path; callers dispatch on
the team's ``wip_limit``. Sizes in items are whole numbers, so every sum and difference
here is exact: dealing d full rounds at once gives the same numbers as dealing them one
item at a time (the reference engine, des/throughput_deal.py, deals one at a time).

The general event loop (kernels/schedule.py) asks :func:`tpw_next_event` for the team's
next event, which is the end of its next eligible period (every such period is an event:
who finishes depends on the deal), and applies periods with :func:`tpw_commit`. A team in
no cycle of the team graph is walked once by :func:`lone_throughput_wip`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.codes import ACTIVE, DONE, EPS, WAITING
from portfolio_sim.kernels.freeze import bump, gate
from portfolio_sim.kernels.throughput import period_of, queue_at, tp_items
from portfolio_sim.kernels.throughput_type import tpt_deal
from portfolio_sim.rng import NO_REFCOUNT

INF = np.inf


@njit(cache=True, **NO_REFCOUNT)
def tp_deal(lo, hi, fidx, wip, p_start, end, n, ready, state, remaining, start, done):
    """Deal ``n`` items of the period starting at ``p_start`` (ending at ``end``) among
    the features ``fidx[lo:hi]`` (priority order) with at most ``wip`` in progress.
    Marks starts and completions; returns the items used (the team's work)."""
    used = 0.0
    for i in range(lo, hi):  # eligible features needing no items are done at the end
        f = fidx[i]
        if state[f] != DONE and ready[f] <= p_start + EPS and remaining[f] <= 0.0:
            if state[f] == WAITING:
                start[f] = p_start
            state[f] = DONE
            done[f] = end
    last = -1  # position of the feature served last (-1: the deal starts a cycle)
    while n > 0.0:
        # The in-progress set: the first ``wip`` eligible features needing items.
        cnt = 0
        first = -1
        nxt = -1
        rmin = INF
        for i in range(lo, hi):
            f = fidx[i]
            if state[f] == DONE or ready[f] > p_start + EPS or remaining[f] <= 0.0:
                continue
            if first < 0:
                first = i
            if nxt < 0 and i > last:
                nxt = i
            if remaining[f] < rmin:
                rmin = remaining[f]
            cnt += 1
            if cnt == wip:
                break
        if first < 0:
            break  # no eligible feature needs items: the rest are lost
        if nxt < 0:
            nxt = first
        if nxt == first:
            # At the start of a cycle: d full rounds in which no feature finishes.
            d = min(math.ceil(rmin) - 1.0, math.floor(n / cnt))
            if d >= 1.0:
                c = 0
                for i in range(first, hi):
                    f = fidx[i]
                    if state[f] == DONE or ready[f] > p_start + EPS or remaining[f] <= 0.0:
                        continue
                    if state[f] == WAITING:
                        state[f] = ACTIVE
                        start[f] = p_start
                    remaining[f] -= d
                    used += d
                    c += 1
                    if c == cnt:
                        break
                n -= d * cnt
                continue
        f = fidx[nxt]
        take = min(1.0, n, remaining[f])
        if state[f] == WAITING:
            state[f] = ACTIVE
            start[f] = p_start
        remaining[f] -= take
        n -= take
        used += take
        last = nxt
        if remaining[f] <= 0.0:
            state[f] = DONE
            done[f] = end
    return used


@njit(cache=True, **NO_REFCOUNT)
def tpw_next_event(lo, hi, fidx, L, horizon, q0, ready, state, remaining):
    """The end of team j's next period (from q0) with an eligible feature: the team's next
    event in the general loop; a time beyond the horizon if none starts before it, inf if
    no feature will ever be eligible. No state changes, no draws."""
    q = q0
    while True:
        if q * L >= horizon:
            return (q + 1) * L
        head, zero, change = queue_at(lo, hi, fidx, q * L, ready, state, remaining)
        if head >= 0:
            return (q + 1) * L
        if change == INF:
            return INF
        q = period_of(change, L, q)


@njit(cache=True, **NO_REFCOUNT)
def tpw_commit(
    lo,
    hi,
    fidx,
    L,
    wip,
    code,
    off,
    n_par,
    pool,
    key,
    j,
    t,
    q0,
    trial,
    ready,
    state,
    remaining,
    start,
    done,
    work,
    cache,
    stamp,
):
    """Apply team j's periods from q0 that end at or before clock t with the round-robin
    deal (kernels/throughput.py's ``tp_commit`` for k > 1). Returns the next uncommitted
    period; the caller releases the successors of features done."""
    q = q0
    while (q + 1) * L <= t + EPS:
        head, zero, change = queue_at(lo, hi, fidx, q * L, ready, state, remaining)
        if head < 0:  # nothing eligible in period q (as tp_commit)
            qe = -1 if change == INF else period_of(change, L, q)
            if qe < 0 or (qe + 1) * L > t + EPS:
                q = max(q, np.int64(math.floor(t / L + EPS)))
                break
            q = qe
            continue
        n = tp_items(code, off, n_par, pool, key, q, trial, cache, stamp, j)
        work[j] += tp_deal(
            lo, hi, fidx, wip, q * L, (q + 1) * L, n, ready, state, remaining, start, done
        )
        q += 1
    return q


@njit(cache=True, **NO_REFCOUNT)
def lone_throughput_wip(
    m,
    j,
    trial,
    delay,
    done,
    start,
    work,
    ready,
    deps_left,
    state,
    rem,
    rel_t,
    rel_f,
    ne,
    cache,
    stamp,
    frz,
):
    """kernels/lone.py's ``lone_throughput`` for a team with ``wip_limit`` > 1 or with
    throughput by type: walk the team's periods once, in order, dealing each eligible
    period's items (:func:`tp_deal`; kernels/throughput_type.py ``tpt_deal`` by type);
    freezes as there (kernels/freeze.py). Returns the periods applied."""
    fidx = m.team_feat_idx
    hold = m.feat_freeze
    nb = m.feat_not_before
    sptr = m.succ_in_ptr
    sidx = m.succ_in_idx
    horizon = m.horizon
    lo = m.team_feat_ptr[j]
    hi = m.team_feat_ptr[j + 1]
    wip = m.team_wip[j]
    L = float(m.tp_period[j])
    code = m.tp_dist[j, 0]
    off = m.tp_dist[j, 1]
    npar = m.tp_dist[j, 2]
    pool = m.pool
    key = m.team_key[j]
    w = 0.0
    pe = 0
    q = 0
    periods = 0
    while (q + 1) * L <= horizon + EPS:
        p_start = q * L
        while pe < ne and rel_t[pe] <= p_start + EPS:
            f = rel_f[pe]
            pe += 1
            deps_left[f] -= 1
            if deps_left[f] == 0:
                ready[f] = gate(frz, hold, f, max(rel_t[pe - 1], nb[f]) + delay[f])
        while lo < hi and state[fidx[lo]] == DONE:
            lo += 1
        if lo == hi:
            break
        if frz.shape[0]:  # a freeze window: held features not started wait (§5.5)
            bump(frz, hold, fidx, lo, hi, p_start, ready, state)
        head, zero, later = queue_at(lo, hi, fidx, p_start, ready, state, rem)
        if pe < ne and rel_t[pe] < later:
            later = rel_t[pe]
        if head < 0:  # nothing eligible: skip to the first period something may be
            if later == INF:
                break
            q = period_of(later, L, q + 1)
            continue
        periods += 1
        end = (q + 1) * L
        if m.tp_types[j, 1] > 0:  # throughput by type (docs/model.md §2.10)
            w += tpt_deal(m, j, lo, hi, trial, q, ready, state, rem, start, done)
        else:
            n = tp_items(code, off, npar, pool, key, q, trial, cache, stamp, j)
            w += tp_deal(lo, hi, fidx, wip, p_start, end, n, ready, state, rem, start, done)
        if end <= horizon:
            # Releases before the period's end first (time order), then its completions.
            while pe < ne and rel_t[pe] <= end:
                f = rel_f[pe]
                pe += 1
                deps_left[f] -= 1
                if deps_left[f] == 0:
                    ready[f] = gate(frz, hold, f, max(rel_t[pe - 1], nb[f]) + delay[f])
            for i in range(lo, hi):
                f = fidx[i]
                if state[f] == DONE and done[f] == end:
                    for p in range(sptr[f], sptr[f + 1]):
                        s = sidx[p]
                        deps_left[s] -= 1
                        if deps_left[s] == 0:
                            ready[s] = gate(frz, hold, s, max(end, nb[s]) + delay[s])
        q += 1
    # Releases after the last period applied still give their features a ready time (the
    # team load's waiting time in the horizon's last, partial period, §10.13).
    while pe < ne:
        f = rel_f[pe]
        pe += 1
        deps_left[f] -= 1
        if deps_left[f] == 0:
            ready[f] = gate(frz, hold, f, max(rel_t[pe - 1], nb[f]) + delay[f])
    work[j] = w
    return periods
