"""One team on its own: the schedule of a team that is in no cycle of the team graph.

Such a team's features are released by its own completions and by *release events*
from earlier components (kernels/components.py): ``rel_t[:ne]`` ascending, ``rel_f`` the
feature whose dependencies in earlier components are then all done. Nothing else can
change what the team does, so it needs no global event loop (docs/model.md §10.11).

:func:`lone_effort` is the event loop of kernels/schedule.py specialised to one effort
team: the same steps at the same clock times, with the team's state in scalars and no
scan of other teams. :func:`lone_throughput` walks the team's periods once, in order
(docs/model.md §2.4, §10.8), instead of predicting completions and committing periods.
Both do the same floating-point operations in the same order as the general loop, so
the results are identical (benchmarks/record_outputs.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from portfolio_sim.codes import ACTIVE, DONE, EPS, WAITING
from portfolio_sim.kernels.capacity import cap_at, cap_time
from portfolio_sim.kernels.freeze import bump, gate, next_start, thaw
from portfolio_sim.kernels.schedule import STALL
from portfolio_sim.kernels.throughput import period_of, tp_items
from portfolio_sim.kernels.throughput_wip import lone_throughput_wip
from portfolio_sim.rng import NO_REFCOUNT

INF = np.inf


@njit(cache=True, **NO_REFCOUNT)
def lone_effort(
    m, j, size, delay, done, start, work, ready, deps_left, state, fin, rel_t, rel_f, ne, frz
):
    """Simulate effort team j alone; fills its features' ``done``/``start``, ``work[j]``.

    ``fin[f]`` is the virtual progress at which in-progress feature f finishes. Events:
    the team's next completion or readiness (``nxt``; ``due`` the virtual progress it
    completes at, inf for a readiness; the end of a freeze window holding a ready
    feature, kernels/freeze.py) and the release events. Returns the events."""
    cap_ptr = m.cap_ptr
    cap_t = m.cap_t
    cap_cum = m.cap_cum
    cap_rate = m.cap_rate
    cap_slope = m.cap_slope
    fidx = m.team_feat_idx
    nb = m.feat_not_before
    sptr = m.succ_in_ptr
    sidx = m.succ_in_idx
    hold = m.feat_freeze
    horizon = m.horizon
    lo = m.team_feat_ptr[j]
    hi = m.team_feat_ptr[j + 1]
    wip = m.team_wip[j]
    k = 0  # features in progress
    v = 0.0  # virtual progress
    c = 0.0  # capacity used up to the last sync
    t_sync = -1.0  # the time of the last sync
    w = 0.0
    nxt = INF
    due = INF
    t = 0.0
    events = 0
    pe = 0
    moved = 1
    dirty = True
    while True:
        if dirty:  # starts, and the next event
            dirty = False
            while lo < hi and state[fidx[lo]] == DONE:
                lo += 1
            if t != t_sync:  # (at the same time again it would add 0.0 to v)
                cc = cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t)
                if k > 0:
                    v += (cc - c) / k
                c = cc
                t_sync = t
            tr = INF
            vmin = INF
            lim = wip  # inside a freeze window: no starts until its end th (freeze.py)
            th = t
            if frz.shape[0] and lo < hi and hold[fidx[lo]]:
                th = thaw(frz, t)
                if th > t:
                    lim = k
            for i in range(lo, hi):
                f = fidx[i]
                sf = state[f]
                if sf == ACTIVE:
                    if fin[f] < vmin:
                        vmin = fin[f]
                    continue
                if sf != WAITING:
                    continue
                if ready[f] <= t + EPS and k < lim:
                    state[f] = ACTIVE
                    start[f] = t
                    fin[f] = v + size[f]
                    k += 1
                    moved += 1
                    if fin[f] < vmin:
                        vmin = fin[f]
                elif ready[f] < tr:
                    tr = ready[f]
            if tr < th:  # ready features held by the freeze start at its end
                tr = th
            tc = INF
            if k > 0:
                if vmin <= v:
                    tc = t
                else:
                    tc = cap_time(
                        cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, c + (vmin - v) * k
                    )
                    if tc < t:
                        tc = t
            if k >= wip:
                tr = INF
            nxt = min(tc, tr)
            due = vmin if tc <= tr else INF
        t_next = nxt
        if pe < ne and rel_t[pe] < t_next:
            t_next = rel_t[pe]
        if t_next > horizon:
            break
        if t_next <= t and moved == 0:
            raise RuntimeError(STALL)
        t = t_next
        events += 1
        moved = 0
        while pe < ne and rel_t[pe] <= t:
            f = rel_f[pe]
            pe += 1
            moved += 1
            deps_left[f] -= 1
            if deps_left[f] == 0:
                ready[f] = gate(frz, hold, f, max(t, nb[f]) + delay[f])
                dirty = True
        if nxt > t + EPS:
            continue
        # Completions at t.
        dirty = True
        while lo < hi and state[fidx[lo]] == DONE:
            lo += 1
        cc = cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t)
        if k > 0:
            v += (cc - c) / k
        c = cc
        t_sync = t
        tol = EPS * (1.0 + abs(v))
        if nxt <= t and v + tol < due < INF:
            v = due  # the scheduled completion's time has come (kernels/schedule.py)
        for i in range(lo, hi):
            f = fidx[i]
            if state[f] == ACTIVE and fin[f] <= v + tol:
                state[f] = DONE
                done[f] = t
                k -= 1
                moved += 1
                w += size[f]
                for p in range(sptr[f], sptr[f + 1]):
                    s = sidx[p]
                    deps_left[s] -= 1
                    if deps_left[s] == 0:
                        ready[s] = gate(frz, hold, s, max(t, nb[s]) + delay[s])
    if k > 0:  # censored at the horizon: work done on features in progress
        cc = cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, horizon)
        v += (cc - c) / k
        for i in range(m.team_feat_ptr[j], hi):
            f = fidx[i]
            if state[f] == ACTIVE:
                w += size[f] - (fin[f] - v)
    work[j] = w
    return events


@njit(cache=True, **NO_REFCOUNT)
def lone_throughput(
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
    """Walk throughput team j's periods once, in order; fills its features' ``done`` and
    ``start``, ``work[j]``. ``rem[f]`` holds feature f's remaining items (its size at
    first). Period q (clock ``[qL, (q+1)L)``) serves, in priority order, the features not
    done whose ready time is at or before ``qL``; a period with none is skipped without a
    draw. Only periods that end by the horizon are applied. Release events are consumed
    in time order with the team's own completions (a feature's ready time is the time its
    last dependency is done). Returns the periods applied. A team with ``wip_limit`` > 1
    deals its items round-robin instead (kernels/throughput_wip.py), as does a team with
    throughput by type. At a period start inside a freeze window, held features not
    started are bumped (kernels/freeze.py)."""
    if m.team_wip[j] > 1 or m.tp_types[j, 1] > 0:  # §2.9 deal, or by type (§2.10)
        return lone_throughput_wip(
            m, j, trial, delay, done, start, work, ready, deps_left, state, rem, rel_t, rel_f,
            ne, cache, stamp, frz,
        )  # fmt: skip
    fidx = m.team_feat_idx
    hold = m.feat_freeze
    nb = m.feat_not_before
    sptr = m.succ_in_ptr
    sidx = m.succ_in_idx
    horizon = m.horizon
    lo = m.team_feat_ptr[j]
    hi = m.team_feat_ptr[j + 1]
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
        # The queue of period q: its head (the first eligible feature), whether an
        # eligible feature needs no items, and the earliest time another may join it.
        head = -1
        zero = False
        later = INF
        for i in range(lo, hi):
            f = fidx[i]
            if state[f] == DONE:
                continue
            if ready[f] <= p_start + EPS:
                if head < 0:
                    head = f
                if rem[f] <= 0.0:
                    zero = True
            elif ready[f] < later:
                later = ready[f]
        if pe < ne and rel_t[pe] < later:
            later = rel_t[pe]
        if head < 0:  # nothing eligible: skip to the first period something may be
            if later == INF:
                break
            q = period_of(later, L, q + 1)
            continue
        if frz.shape[0]:  # the queue may change where a freeze begins, too
            later = min(later, next_start(frz, p_start))
        periods += 1
        n = tp_items(code, off, npar, pool, key, q, trial, cache, stamp, j)
        if not zero:
            # Whole periods to the head while it does not finish and the queue stays.
            finishes = False
            while True:
                if n >= rem[head]:
                    finishes = True
                    break
                if n > 0.0:
                    if state[head] == WAITING:
                        state[head] = ACTIVE
                        start[head] = q * L
                    rem[head] -= n
                    w += n
                q += 1
                if (q + 1) * L > horizon + EPS or q * L + EPS >= later:
                    break
                periods += 1
                n = tp_items(code, off, npar, pool, key, q, trial, cache, stamp, j)
            if not finishes:
                continue
            p_start = q * L
        # A period in which something finishes: hand out its items in priority order.
        end = (q + 1) * L
        finished = False
        for i in range(lo, hi):
            f = fidx[i]
            if state[f] == DONE or ready[f] > p_start + EPS:
                continue
            take = min(n, rem[f])
            if take <= 0.0 and rem[f] > 0.0:
                continue  # items used up; features with nothing left to do still finish
            if state[f] == WAITING:
                state[f] = ACTIVE
                start[f] = p_start
            rem[f] -= take
            n -= take
            w += take
            if rem[f] <= 0.0:
                state[f] = DONE
                done[f] = end
                finished = True
        if finished and end <= horizon:
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
