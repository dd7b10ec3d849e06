"""Team load over time: each team's capacity per month split into busy, waiting and
empty capacity-days (docs/model.md §10.13), from one trial's start, done and ready times.

Computed after the trial's schedule (kernels/trial.py), so the event loops are untouched:
the states follow from the times alone.

* An effort team is *busy* while at least one of its features is in progress (clock
  ``[start, done)``): processor sharing gives all its capacity to the features in
  progress, and a ready feature waits only while the WIP limit is full, so a WIP limit
  never leaves capacity unused. A throughput team is busy in a period whose queue holds
  a ready feature not yet done (clock ``[first period start at/after ready, done)``).
* *Empty* from the time its last feature is done (no unfinished feature left; a team
  without features is empty throughout) to the horizon.
* *Waiting* otherwise: unfinished features exist but none is in progress (dependencies,
  ``not_before``, risk delays).

Capacity-days are the team's capacity ``C_j`` (effort teams, person-days) or working
days (throughput teams) over each piece, split at the month boundaries ``month_t``.
:func:`tally_load` adds a trial's figures into share histograms (bin-major, so that the
common shares 0 and 1 hit two small contiguous rows) and fixed-point sums: integers,
identical whatever the thread count.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from portfolio_sim.codes import (
    EFFORT,
    EPS,
    LOAD_BUSY,
    LOAD_EMPTY,
    LOAD_RES,
    LOAD_WAITING,
    WORK_SCALE,
)
from portfolio_sim.kernels.schedule import cap_at
from portfolio_sim.rng import NO_REFCOUNT


class LoadModel(NamedTuple):
    """What the load accounting reads besides the schedule arrays.

    ``on``: whether the kernel accounts load at all (opt-in: see engines/fast.py);
    ``month_t`` [M+1]: clock time at which month k starts (``month_t[M]`` = horizon);
    ``cap_month`` [T, M]: each team's capacity-days in month k (the share denominators;
    team-months with none are not tallied); ``scale`` [T, M]: ``LOAD_RES / cap_month``
    (0 where no capacity)."""

    on: bool
    month_t: np.ndarray
    cap_month: np.ndarray
    scale: np.ndarray


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _cap(m, j, t):
    if m.team_kind[j] == EFFORT:
        return cap_at(m.cap_ptr, m.cap_t, m.cap_cum, m.cap_rate, m.cap_slope, j, t)
    return t


@njit(cache=True, **NO_REFCOUNT)
def _add(m, lm, j, a, b, s, days):
    """Add team j's capacity-days over clock ``[a, b)`` to ``days[j, k, s]``, month by
    month (a whole month adds its ``cap_month``)."""
    if b <= a:
        return
    month_t = lm.month_t
    n_m = month_t.shape[0] - 1
    k = np.searchsorted(month_t, a, side="right") - 1
    if k < 0:
        k = 0
    while k < n_m and month_t[k] < b:
        lo = month_t[k]
        hi = month_t[k + 1]
        if a <= lo and hi <= b:
            days[j, k, s] += lm.cap_month[j, k]
        else:
            lo = max(a, lo)
            hi = min(b, hi)
            if hi > lo:
                days[j, k, s] += _cap(m, j, hi) - _cap(m, j, lo)
        k += 1


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _busy(m, j, done, start, ready, bs, be):
    """Team j's busy intervals ``[bs[p], be[p])``, p < n, sorted by start (not merged),
    and the done time of its last feature, capped at the horizon: ``(n, last)``."""
    horizon = m.horizon
    tp = m.team_kind[j] != EFFORT
    period = float(m.tp_period[j])
    last = 0.0
    n = 0
    for i in range(m.team_feat_ptr[j], m.team_feat_ptr[j + 1]):
        f = m.team_feat_idx[i]
        d = done[f]
        if d > last:
            last = d
        if tp:
            r = ready[f]
            if not r <= horizon:
                continue
            s = math.ceil((r - EPS) / period) * period
        else:
            s = start[f]
        e = min(d, horizon)
        if not s < e:
            continue
        p = n  # insertion sort by start (starts mostly come in order)
        while p > 0 and bs[p - 1] > s:
            bs[p] = bs[p - 1]
            be[p] = be[p - 1]
            p -= 1
        bs[p] = s
        be[p] = e
        n += 1
    last = min(last, horizon)
    return n, last


@njit(cache=True, **NO_REFCOUNT)
def trial_load(m, lm, done, start, ready, days, bs, be):
    """One trial's load into ``days`` [T, M, 3] (capacity-days per team, month, state;
    codes.LOAD_STATES order). ``bs``/``be`` [F] are scratch for one team's busy intervals."""
    horizon = m.horizon
    for j in range(days.shape[0]):
        for k in range(days.shape[1]):
            for s in range(3):
                days[j, k, s] = 0.0
    for j in range(m.team_kind.shape[0]):
        n, last = _busy(m, j, done, start, ready, bs, be)
        cur = 0.0
        p = 0
        while p < n:
            a = bs[p]
            b = be[p]
            p += 1
            while p < n and bs[p] <= b:
                if be[p] > b:
                    b = be[p]
                p += 1
            _add(m, lm, j, cur, a, LOAD_WAITING, days)
            _add(m, lm, j, max(a, cur), b, LOAD_BUSY, days)
            cur = max(cur, b)
        _add(m, lm, j, cur, last, LOAD_WAITING, days)
        _add(m, lm, j, max(cur, last), horizon, LOAD_EMPTY, days)


@njit(cache=True, inline="always", **NO_REFCOUNT)
def load_bin(x, scale):
    """The histogram bin of ``x`` capacity-days, ``scale = LOAD_RES / capacity``:
    ``round(x * scale)`` (half up), within ``[0, LOAD_RES]`` (round-off may step a hair
    outside)."""
    b = math.floor(x * scale + 0.5)
    if b < 0:
        return 0
    if b > LOAD_RES:
        return LOAD_RES
    return np.int64(b)


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _tally_month(lm, j, k, x0, x1, x2, w, hist, sums, pure):
    """tally_load's classification of one team-month (capacity-days ``x0, x1, x2``)."""
    c = lm.cap_month[j, k]
    if c <= 0.0:
        return
    if x1 == 0.0 and x2 == 0.0 and x0 == c:
        pure[w, j, k, 0] += 1
        return
    if x0 == 0.0 and x2 == 0.0 and x1 == c:
        pure[w, j, k, 1] += 1
        return
    if x0 == 0.0 and x1 == 0.0 and x2 == c:
        pure[w, j, k, 2] += 1
        return
    sc = lm.scale[j, k]
    sums[w, j, k, 0] += np.int64(round(x0 * WORK_SCALE))
    hist[w, load_bin(x0, sc), j, k, 0] += 1
    sums[w, j, k, 1] += np.int64(round(x1 * WORK_SCALE))
    hist[w, load_bin(x1, sc), j, k, 1] += 1
    sums[w, j, k, 2] += np.int64(round(x2 * WORK_SCALE))
    hist[w, load_bin(x2, sc), j, k, 2] += 1


@njit(cache=True, **NO_REFCOUNT)
def tally_load(lm, days, w, hist, sums, pure):
    """Add one trial's ``days`` [T, M, 3] into worker ``w``'s share histogram
    ``hist[w, bin, j, k, s]`` and fixed-point sums ``sums[w, j, k, s]``. A team-month
    wholly in one state s (``days[j, k, s]`` equal to the month's capacity, the others
    0: most months) only counts ``pure[w, j, k, s]``; :func:`portfolio_sim.engines.
    load_inputs.fold_pure` adds those counts into the histogram and sums afterwards,
    giving exactly what the general path would have added."""
    cap = lm.cap_month
    for j in range(cap.shape[0]):
        for k in range(cap.shape[1]):
            _tally_month(lm, j, k, days[j, k, 0], days[j, k, 1], days[j, k, 2], w, hist, sums, pure)


@njit(cache=True, **NO_REFCOUNT)
def keep_load(days, keep, i):
    """Copy one trial's ``days`` [T, M, 3] into row ``i`` of ``keep`` [n, T, M, 3]."""
    for j in range(days.shape[0]):
        for k in range(days.shape[1]):
            for s in range(3):
                keep[i, j, k, s] = days[j, k, s]


# -- the same tallies without the [T, M, 3] array (runs that keep no per-trial load) ----
#
# A trial's pieces (waiting, busy, ..., empty) tile each team's [0, horizon), so a month
# wholly inside one piece is exactly what tally_load counts as "pure" (that piece adds
# the month's ``cap_month`` to a zeroed cell; no other piece touches it). Such runs of
# months are counted with two writes into a per-worker difference array ``pdiff``
# [T, M+1, 3] (prefix-summed into ``pure`` after the block: kernels/run.py); only the
# few months a piece boundary falls in are summed, in the same order as trial_load sums
# them, and classified by the same test as tally_load. The counts, sums and histograms
# are therefore identical to trial_load + tally_load, at a cost per piece instead of per
# team-month (most of the load accounting's time on long horizons).


@njit(cache=True, **NO_REFCOUNT)
def _piece(m, lm, j, a, b, s, w, hist, sums, pure, pdiff, acc, ko):
    """Team j's piece ``[a, b)`` in state s (as :func:`_add`): whole months into
    ``pdiff``, the others into the open month ``ko[0]`` (its capacity-days ``acc``),
    which is tallied when the pieces move past it."""
    if b <= a:
        return
    month_t = lm.month_t
    n_m = month_t.shape[0] - 1
    k = np.searchsorted(month_t, a, side="right") - 1
    if k < 0:
        k = 0
    while k < n_m and month_t[k] < b:
        lo = month_t[k]
        hi = month_t[k + 1]
        if a <= lo and hi <= b:  # months k .. k2 - 1 lie wholly inside the piece
            k2 = np.searchsorted(month_t, b, side="right") - 1
            pdiff[j, k, s] += 1
            pdiff[j, k2, s] -= 1
            k = k2
            continue
        lo = max(a, lo)
        hi = min(b, hi)
        if hi > lo:
            if ko[0] != k:
                if ko[0] >= 0:
                    _tally_month(lm, j, ko[0], acc[0], acc[1], acc[2], w, hist, sums, pure)
                ko[0] = k
                acc[0] = 0.0
                acc[1] = 0.0
                acc[2] = 0.0
            acc[s] += _cap(m, j, hi) - _cap(m, j, lo)
        k += 1


@njit(cache=True, **NO_REFCOUNT)
def trial_tally_load(m, lm, done, start, ready, w, hist, sums, pure, pdiff, acc, ko, bs, be):
    """:func:`trial_load` then :func:`tally_load` of one trial, without the days array
    (see above): ``pdiff`` [T, M+1, 3] int64 collects the runs of pure months, ``acc``
    [3] and ``ko`` [1] are scratch."""
    horizon = m.horizon
    for j in range(m.team_kind.shape[0]):
        n, last = _busy(m, j, done, start, ready, bs, be)
        ko[0] = -1
        cur = 0.0
        p = 0
        while p < n:
            a = bs[p]
            b = be[p]
            p += 1
            while p < n and bs[p] <= b:
                if be[p] > b:
                    b = be[p]
                p += 1
            _piece(m, lm, j, cur, a, LOAD_WAITING, w, hist, sums, pure, pdiff, acc, ko)
            _piece(m, lm, j, max(a, cur), b, LOAD_BUSY, w, hist, sums, pure, pdiff, acc, ko)
            cur = max(cur, b)
        _piece(m, lm, j, cur, last, LOAD_WAITING, w, hist, sums, pure, pdiff, acc, ko)
        _piece(m, lm, j, max(cur, last), horizon, LOAD_EMPTY, w, hist, sums, pure, pdiff, acc, ko)
        if ko[0] >= 0:
            _tally_month(lm, j, ko[0], acc[0], acc[1], acc[2], w, hist, sums, pure)
