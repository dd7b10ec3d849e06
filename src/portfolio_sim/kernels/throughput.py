"""Throughput teams (docs/model.md §2): items per period, served in priority order.

Periods are consecutive blocks of ``L`` working days from clock 0. At the end of period
q (clock ``(q + 1) L``) the period's items go, in priority order, to the features not yet
done whose ready time is at or before the period's start ``q L``; what is left over once
a feature is done carries to the next eligible feature; what is left after all of them
is lost. A feature *starts* at the start of the first period that gives it items and is
*done* at the end of the period in which its remaining items reach zero. Periods with no
eligible feature are skipped (their draws are never used).

To avoid one global event per period, a team's next event is its next *completion*:
:func:`tp_next_completion` rolls periods forward (only the head of the queue can finish
first) and :func:`tp_commit` applies periods for real once the clock reaches them.
Period draws are memoised per trial (``stamp``) so each is drawn once.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.codes import ACTIVE, DONE, EPS, WAITING
from portfolio_sim.rng import NO_REFCOUNT, draw, period_items

INF = np.inf


@njit(cache=True, inline="always", **NO_REFCOUNT)
def tp_items(code, off, n, pool, key, q, trial, cache, stamp, j):
    """Items team j completes in period q of ``trial`` (rounded half up, never below 0)."""
    if q < cache.shape[1] and stamp[j, q] == trial:
        return cache[j, q]
    x = draw(code, pool, off, n, key, trial, q)
    x = period_items(x)
    if q < cache.shape[1]:
        cache[j, q] = x
        stamp[j, q] = trial
    return x


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _queue_at(lo, hi, fidx, p_start, ready, state, remaining):
    """The queue of a period starting at clock ``p_start``, in one pass over the features
    ``fidx[lo:hi]`` (priority order): its head (-1 if no feature is eligible), whether an
    eligible feature needs no items, and when the next not-yet-eligible feature becomes
    eligible (inf if none will)."""
    head = -1
    zero = False
    change = INF
    for i in range(lo, hi):
        f = fidx[i]
        if state[f] == DONE:
            continue
        if ready[f] <= p_start + EPS:
            if head < 0:
                head = f
            if remaining[f] <= 0.0:
                zero = True
        elif ready[f] < change:
            change = ready[f]
    return head, zero, change


@njit(cache=True, inline="always", **NO_REFCOUNT)
def period_of(r, L, q):
    """The first period >= q in which a feature ready at clock r is eligible."""
    return max(q, np.int64(math.ceil(r / L - EPS)))


@njit(cache=True, **NO_REFCOUNT)
def tp_next_completion(
    lo,
    hi,
    fidx,
    L,
    horizon,
    code,
    off,
    n,
    pool,
    key,
    j,
    q0,
    trial,
    ready,
    state,
    remaining,
    cache,
    stamp,
):
    """Clock time of team j's next completion, rolling forward from period q0 (no state
    changes); a time beyond the horizon if none happens before it. Team j's features are
    ``fidx[lo:hi]`` in priority order; its periods are L working days; its items per
    period are the distribution ``(code, pool[off:off+n])`` on stream ``key``."""
    q = q0
    prev = -1
    rem = 0.0
    while True:
        start = q * L
        if start >= horizon:
            return (q + 1) * L
        head, zero, change = _queue_at(lo, hi, fidx, start, ready, state, remaining)
        if zero:
            return (q + 1) * L  # a feature needing no items: done at this period's end
        if head < 0:  # nothing eligible in period q: skip to the first period that has
            if change == INF:
                return INF
            q = period_of(change, L, q)
            continue
        if head != prev:  # a new head of the queue (or the first): its own remaining
            prev = head
            rem = remaining[head]
        while True:
            rem -= tp_items(code, off, n, pool, key, q, trial, cache, stamp, j)
            if rem <= 0.0:
                return (q + 1) * L
            q += 1
            if q * L >= horizon:
                return (q + 1) * L
            if q * L + EPS >= change:
                break  # the queue may get a new head: look again


@njit(cache=True, **NO_REFCOUNT)
def tp_commit(
    lo,
    hi,
    fidx,
    L,
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
    """Apply team j's periods from q0 that end at or before clock t. Returns the next
    uncommitted period. Features finishing are marked done at their period end; the
    caller releases their successors.

    While the head of the queue absorbs whole periods without finishing (the common case)
    the periods are applied in a tight loop without scanning the team's features."""
    q = q0
    while (q + 1) * L <= t + EPS:
        head, zero, change = _queue_at(lo, hi, fidx, q * L, ready, state, remaining)
        if head < 0:  # nothing eligible in period q
            qe = -1 if change == INF else period_of(change, L, q)
            if qe < 0 or (qe + 1) * L > t + EPS:
                # No feature was eligible in the periods that ended by t: they are settled.
                # (Not beyond: a feature made ready later may still be eligible before qe.)
                q = max(q, np.int64(math.floor(t / L + EPS)))
                break
            q = qe
            continue
        if not zero:
            # Fast path: whole periods to the head while it does not finish.
            while (q + 1) * L <= t + EPS and q * L + EPS < change:
                n = tp_items(code, off, n_par, pool, key, q, trial, cache, stamp, j)
                if n >= remaining[head]:
                    break
                if n > 0.0:
                    if state[head] == WAITING:
                        state[head] = ACTIVE
                        start[head] = q * L
                    remaining[head] -= n
                    work[j] += n
                q += 1
            if (q + 1) * L > t + EPS or q * L + EPS >= change:
                continue
        # A period in which something finishes: hand out its items in priority order.
        p_start = q * L
        n = tp_items(code, off, n_par, pool, key, q, trial, cache, stamp, j)
        for i in range(lo, hi):
            f = fidx[i]
            if state[f] == DONE or ready[f] > p_start + EPS:
                continue
            take = min(n, remaining[f])
            if take <= 0.0 and remaining[f] > 0.0:
                continue  # items used up; features with nothing left to do still finish
            if state[f] == WAITING:
                state[f] = ACTIVE
                start[f] = p_start
            remaining[f] -= take
            n -= take
            work[j] += take
            if remaining[f] <= 0.0:
                state[f] = DONE
                done[f] = (q + 1) * L
        q += 1
    return q


#: The queue of a period, for kernels/throughput_wip.py (the same compiled function).
queue_at = _queue_at
