"""Throughput teams (MODEL.md §2): items per period, served in priority order.

Periods are consecutive blocks of ``L`` working days from clock 0. At the end of period
q (clock ``(q + 1) L``) the period's items go, in priority order, to the features not yet
done whose ready time is at or before the period's start ``q L``; what is left over once
a feature is done carries to the next eligible feature; what is left after all of them
is lost. A feature *starts* at the start of the first period that gives it items and is
*done* at the end of the period in which its remaining items reach zero. Periods with no
eligible feature are skipped (their items are lost).

To avoid one global event per period, a team's next event is its next *completion*:
:func:`tp_next_completion` rolls periods forward (only the head of the queue can finish
first) and :func:`tp_commit` applies periods for real once the clock reaches them.

Each trial draws a team's periods once, in order, into cumulative sums
``cum[j, q] = items of periods 0 .. q-1`` (:func:`_tp_fill`). Items are whole numbers,
so sums are exact, and "the period in which the head's remaining items run out" is a
search in a non-decreasing array (:func:`_tp_find`) instead of a walk period by period.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.rng import NO_REFCOUNT, draw

EPS = 1e-9
INF = np.inf
WAITING, ACTIVE, DONE = 0, 1, 2
#: A period number beyond any horizon ("never").
NEVER = np.int64(1) << np.int64(60)


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _tp_fill(code, off, n, pool, key, trial, cum, filled, j, q):
    """Draw team j's periods up to q (if not drawn yet this trial): afterwards
    ``cum[j, k]`` is valid for every k <= q + 1. A period's items are the draw rounded
    half up, never below 0."""
    k = filled[j]
    while k <= q:
        x = draw(code, pool, off, n, key, trial, k)
        cum[j, k + 1] = cum[j, k] + max(np.floor(x + 0.5), 0.0)  # np.floor stays a float
        k += 1
    filled[j] = k


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _tp_find(code, off, n, pool, key, trial, cum, filled, j, a, b, target):
    """The first period q in [a, b) with ``cum[j, q + 1] >= target`` (b if none), drawing
    periods only as far as the answer. ``cum[j, a]`` must be valid."""
    known = min(b, filled[j])  # cum[j, q + 1] is valid for q < known
    if a < known and cum[j, known] >= target:
        lo = a
        hi = known - 1
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[j, mid + 1] >= target:
                hi = mid
            else:
                lo = mid + 1
        return lo
    q = max(a, known)
    while q < b:
        _tp_fill(code, off, n, pool, key, trial, cum, filled, j, q)
        if cum[j, q + 1] >= target:
            return q
        q += 1
    return b


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _first_period_at(x, L, q):
    """The first period >= q whose start ``p L`` satisfies ``p L + EPS >= x``."""
    if x > 1e15:
        return NEVER
    p = max(q, np.int64(math.ceil((x - EPS) / L)))
    while p > q and (p - 1) * L + EPS >= x:
        p -= 1
    while p * L + EPS < x:
        p += 1
    return p


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _first_period_from(h, L):
    """The first period whose start ``p L`` is at or after clock h."""
    p = np.int64(math.ceil(h / L))
    while p > 0 and (p - 1) * L >= h:
        p -= 1
    while p * L < h:
        p += 1
    return p


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _periods_ended_by(t, L, q):
    """The first period >= q that has not ended by clock t (``(p + 1) L > t + EPS``)."""
    p = max(q, np.int64(math.floor((t + EPS) / L)))
    while p > q and p * L > t + EPS:
        p -= 1
    while (p + 1) * L <= t + EPS:
        p += 1
    return p


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
def _period_of(r, L, q):
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
    cum,
    filled,
):
    """Clock time of team j's next completion, rolling forward from period q0 (no state
    changes); a time beyond the horizon if none happens before it. Team j's features are
    ``fidx[lo:hi]`` in priority order; its periods are L working days; its items per
    period are the distribution ``(code, pool[off:off+n])`` on stream ``key``."""
    qh = _first_period_from(horizon, L)
    q = q0
    prev = -1
    rem = 0.0
    while True:
        if q >= qh:
            return (q + 1) * L
        head, zero, change = _queue_at(lo, hi, fidx, q * L, ready, state, remaining)
        if zero:
            return (q + 1) * L  # a feature needing no items: done at this period's end
        if head < 0:  # nothing eligible in period q: skip to the first period that has
            if change == INF:
                return INF
            q = _period_of(change, L, q)
            continue
        if head != prev:  # a new head of the queue (or the first): its own remaining
            prev = head
            rem = remaining[head]
        # The head takes every period's items until it finishes, until the horizon or
        # until another feature becomes eligible (the queue may get a new head).
        b = min(qh, _first_period_at(change, L, q + 1))
        _tp_fill(code, off, n, pool, key, trial, cum, filled, j, q - 1)
        base = cum[j, q]
        qf = _tp_find(code, off, n, pool, key, trial, cum, filled, j, q, b, base + rem)
        if qf < b:
            return (qf + 1) * L
        _tp_fill(code, off, n, pool, key, trial, cum, filled, j, b - 1)
        rem -= cum[j, b] - base
        q = b


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
    cum,
    filled,
):
    """Apply team j's periods from q0 that end at or before clock t. Returns the next
    uncommitted period. Features finishing are marked done at their period end; the
    caller releases their successors.

    While the head of the queue absorbs whole periods without finishing (the common case)
    they are applied at once, from the cumulative sums, without scanning the features."""
    q = q0
    qt = _periods_ended_by(t, L, q0)  # periods q0 .. qt-1 end by t
    while q < qt:
        head, zero, change = _queue_at(lo, hi, fidx, q * L, ready, state, remaining)
        if head < 0:  # nothing eligible in period q
            qe = -1 if change == INF else _period_of(change, L, q)
            if qe < 0 or qe >= qt:
                # No feature was eligible in the periods that ended by t: they are settled.
                # (Not beyond: a feature made ready later may still be eligible before qe.)
                q = max(q, np.int64(math.floor(t / L + EPS)))
                break
            q = qe
            continue
        if not zero:
            # Whole periods to the head while it does not finish.
            b = min(qt, _first_period_at(change, L, q + 1))
            _tp_fill(code, off, n_par, pool, key, trial, cum, filled, j, q - 1)
            base = cum[j, q]
            qf = _tp_find(
                code, off, n_par, pool, key, trial, cum, filled, j, q, b, base + remaining[head]
            )
            got = cum[j, qf] - base  # items of periods q .. qf-1 (qf <= filled: drawn)
            if got > 0.0:
                if state[head] == WAITING:
                    state[head] = ACTIVE
                    first = _tp_find(
                        code, off, n_par, pool, key, trial, cum, filled, j, q, qf, base + 0.5
                    )
                    start[head] = first * L
                remaining[head] -= got
                work[j] += got
            q = qf
            if q >= b:
                continue
        # A period in which something finishes: hand out its items in priority order.
        p_start = q * L
        _tp_fill(code, off, n_par, pool, key, trial, cum, filled, j, q)
        n = cum[j, q + 1] - cum[j, q]
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


@njit(cache=True, inline="always", **NO_REFCOUNT)
def tp_commit_team(
    lo,
    fptr,
    fidx,
    periods,
    dists,
    pool,
    keys,
    j,
    t,
    tp_q,
    trial,
    ready,
    state,
    remaining,
    start,
    done,
    work,
    cum,
    filled,
):
    """:func:`tp_commit` for team j of the model's team arrays, from position ``lo`` of
    its priority order (every feature before it is done); advances ``tp_q[j]``."""
    tp_q[j] = tp_commit(
        lo,
        fptr[j + 1],
        fidx,
        float(periods[j]),
        dists[j, 0],
        dists[j, 1],
        dists[j, 2],
        pool,
        keys[j],
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
        cum,
        filled,
    )
