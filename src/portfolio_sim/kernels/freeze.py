"""Portfolio freezes in the fast engine (docs/model.md §5.5).

A freeze is a risk with a ``delay`` and no ``affects``, beginning on the working day
``on`` (clock ``lo``). When it fires in a trial (risk slot 0) its length x is drawn (risk
slot 1, never negative): no feature that has not started by ``lo`` may start before
``hi = lo + x``; work in progress continues. The fired freezes of a trial are *windows*
``[lo, hi)``, merged where they overlap or touch, in ``frz`` (pairs ``lo, hi`` by ``lo``,
padded with inf). A feature that is not held (``feat_freeze`` false: the zero-work join of
a shared feature) ignores them.

How the schedule applies them:

* a feature becoming ready at r inside a window is ready at its end (:func:`gate`);
* an effort team starts no held feature at a clock time inside a window (the caller
  asks :func:`thaw` and waits for the window's end). The loops decide this per team,
  from its first open feature: a team's features are all held, except the task team of
  a shared feature's join, whose only feature is that join;
* a throughput team starts features at period starts, so at a period start p inside a
  window its held features that are eligible (ready at or before p) but have received no
  items become ready at the window's end (:func:`bump`): they get items from the first
  period starting at or after it. Features ready later are gated, so only the first
  period start of a window can find any (:func:`next_bump`, an event of the general loop).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.codes import EPS, WAITING
from portfolio_sim.kernels.risk_draws import fires, impact
from portfolio_sim.rng import NO_REFCOUNT

INF = np.inf


@njit(cache=True, **NO_REFCOUNT)
def freeze_windows(m, trial, frz):
    """Fill ``frz`` [2 x freezes] with ``trial``'s merged freeze windows (see the module
    docstring); returns their number."""
    n = 0
    for i in range(m.freeze_risk.shape[0]):
        r = m.freeze_risk[i]
        if not fires(m, r, trial):
            continue
        x = impact(m, r, trial)
        if not x > 0.0:
            continue
        lo = m.freeze_on[i]
        hi = lo + x
        k = n  # insertion by start (ties keep file order)
        while k > 0 and frz[2 * k - 2] > lo:
            frz[2 * k] = frz[2 * k - 2]
            frz[2 * k + 1] = frz[2 * k - 1]
            k -= 1
        frz[2 * k] = lo
        frz[2 * k + 1] = hi
        n += 1
    w = 0  # merge windows that overlap or touch
    for k in range(n):
        lo = frz[2 * k]
        hi = frz[2 * k + 1]
        if w > 0 and lo <= frz[2 * w - 1]:
            if hi > frz[2 * w - 1]:
                frz[2 * w - 1] = hi
        else:
            frz[2 * w] = lo
            frz[2 * w + 1] = hi
            w += 1
    for k in range(2 * w, frz.shape[0]):
        frz[k] = INF
    return w


@njit(cache=True, inline="always", **NO_REFCOUNT)
def thaw(frz, t):
    """The end of the window containing clock t (``lo <= t < hi``), or t itself."""
    for k in range(0, frz.shape[0], 2):
        if frz[k] > t:
            break
        if t < frz[k + 1]:
            return frz[k + 1]
    return t


@njit(cache=True, inline="always", **NO_REFCOUNT)
def gate(frz, hold, f, r):
    """The ready time of feature f that would be ready at r: the end of the window r is
    in, for a held feature."""
    if frz.shape[0] == 0 or not hold[f]:
        return r
    return thaw(frz, r)


@njit(cache=True, **NO_REFCOUNT)
def bump(frz, hold, fidx, lo, hi, p, ready, state):
    """At the start p of a throughput period: if p is inside a window, the held features
    ``fidx[lo:hi]`` eligible at p that have received no items become ready at the
    window's end. Returns how many did."""
    if frz.shape[0] == 0:
        return 0
    end = thaw(frz, p)
    if end == p:
        return 0
    n = 0
    for i in range(lo, hi):
        f = fidx[i]
        if state[f] == WAITING and hold[f] and ready[f] <= p + EPS and ready[f] < end:
            ready[f] = end
            n += 1
    return n


@njit(cache=True, **NO_REFCOUNT)
def next_bump(frz, L, t):
    """The first period start (periods of L working days) inside a window that is after
    clock t (more than EPS), among the windows' first period starts; inf if none."""
    for k in range(0, frz.shape[0], 2):
        lo = frz[k]
        if lo == INF:
            break
        b = math.ceil(lo / L) * L
        if b > t + EPS and b < frz[k + 1]:
            return b
    return INF


@njit(cache=True, **NO_REFCOUNT)
def next_start(frz, t):
    """The first window start after clock t (more than EPS), inf if none."""
    for k in range(0, frz.shape[0], 2):
        if frz[k] > t + EPS:
            return frz[k]
    return INF
