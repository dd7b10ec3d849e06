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
:func:`trial_tally_load` adds a trial's figures into share histograms (bin-major, so that the
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


@njit(cache=True, **NO_REFCOUNT)
def _tally_month(lm, j, k, x0, x1, x2, w, hist, sums, pure):
    """One team-month's capacity-days ``x0, x1, x2`` (busy, waiting, empty): a month
    wholly in one state (that state's days equal to the month's capacity, the others 0)
    only counts ``pure[w, j, k, s]``; any other adds each state's share bin and
    fixed-point days. Team-months without capacity are not tallied."""
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
def keep_load(days, keep, i):
    """Copy one trial's ``days`` [T, M, 3] into row ``i`` of ``keep`` [n, T, M, 3]."""
    for j in range(days.shape[0]):
        for k in range(days.shape[1]):
            for s in range(3):
                keep[i, j, k, s] = days[j, k, s]


# A trial's pieces (waiting, busy, ..., empty) tile each team's [0, horizon), so a month
# wholly inside one piece holds that piece's state only: its capacity-days are the
# month's ``cap_month`` in that state and 0 in the others, i.e. share 1 ("pure"). Runs of
# such months are counted with two writes into a per-worker difference array ``pdiff``
# [T, M+1, 3] (prefix-summed into ``pure`` after the block: kernels/run.py), so a trial
# costs per piece, not per team-month; only the few months a piece boundary falls in
# are summed (in piece order) and classified one by one (:func:`_tally_month`).


@njit(cache=True, **NO_REFCOUNT)
def trial_tally_load(m, lm, done, start, ready, w, hist, sums, pure, pdiff, bs, be, days):
    """One trial's load, added into worker ``w``'s share histogram ``hist[w, bin, j, k,
    s]``, fixed-point sums ``sums[w, j, k, s]`` and counts of pure team-months (see
    above; ``pdiff`` [T, M+1, 3] int64 collects their runs, :func:`portfolio_sim.engines.
    load_inputs.fold_pure` adds them into the histogram and sums afterwards, giving
    exactly what classifying each month would have added). ``bs``/``be`` [F] are scratch
    for one team's busy intervals. ``days`` [T, M, 3], when it has rows, gets the trial's
    capacity-days per team, month and state (codes.LOAD_STATES order) for
    :func:`keep_load`."""
    horizon = m.horizon
    if days.shape[0] > 0:
        days[:] = 0.0
    month_t = lm.month_t
    n_m = month_t.shape[0] - 1
    keep = days.shape[0] > 0
    for j in range(m.team_kind.shape[0]):
        n, last = _busy(m, j, done, start, ready, bs, be)
        ko = -1  # the open month: one a piece covers in part, tallied once passed
        x0 = 0.0  # its capacity-days, by state
        x1 = 0.0
        x2 = 0.0
        cur = 0.0
        p = 0
        phase = 0
        next_a = 0.0
        next_b = 0.0
        while True:
            # the team's next piece [a, b) in state s: waiting up to each merged busy
            # interval, the interval, ..., waiting up to the last done, empty after
            if phase == 0:
                if p < n:
                    bi = bs[p]
                    b = be[p]
                    p += 1
                    while p < n and bs[p] <= b:
                        if be[p] > b:
                            b = be[p]
                        p += 1
                    a, s = cur, LOAD_WAITING
                    next_a, next_b = max(bi, cur), b
                    b = bi
                    phase = 1
                else:
                    a, b, s = cur, last, LOAD_WAITING
                    phase = 2
            elif phase == 1:
                a, b, s = next_a, next_b, LOAD_BUSY
                cur = max(cur, next_b)
                phase = 0
            elif phase == 2:
                a, b, s = max(cur, last), horizon, LOAD_EMPTY
                phase = 3
            else:
                break
            if b <= a:
                continue
            k = int(np.searchsorted(month_t, a, side="right")) - 1
            if k < 0:
                k = 0
            while k < n_m and month_t[k] < b:
                lo = month_t[k]
                hi = month_t[k + 1]
                if a <= lo and hi <= b:  # months k .. k2 - 1 lie wholly inside the piece
                    k2 = int(np.searchsorted(month_t, b, side="right")) - 1
                    pdiff[j, k, s] += 1
                    pdiff[j, k2, s] -= 1
                    if keep:
                        for kk in range(k, k2):
                            days[j, kk, s] += lm.cap_month[j, kk]
                    k = k2
                    continue
                lo = max(a, lo)
                hi = min(b, hi)
                if hi > lo:
                    if ko != k:
                        if ko >= 0:
                            _tally_month(lm, j, ko, x0, x1, x2, w, hist, sums, pure)
                        ko = k
                        x0 = 0.0
                        x1 = 0.0
                        x2 = 0.0
                    x = _cap(m, j, hi) - _cap(m, j, lo)
                    if s == LOAD_BUSY:
                        x0 += x
                    elif s == LOAD_WAITING:
                        x1 += x
                    else:
                        x2 += x
                    if keep:
                        days[j, k, s] += x
                k += 1
        if ko >= 0:
            _tally_month(lm, j, ko, x0, x1, x2, w, hist, sums, pure)
