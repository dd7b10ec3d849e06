"""Numba kernel behind "how many" forecasts and backtests: cumulative items per trial.

Arrays in, arrays out; imports only numpy, numba and :mod:`portfolio_sim.rng`, so a
throughput team's items in period q of trial i are exactly the engine's
(``kernels/throughput.py::tp_items``): ``max(floor(draw(code, pool, off, n, key, i, q)
+ 0.5), 0)``.

The loops are serial: the work is small (a how-many is a few million draws), and a
parallel (``prange``) kernel cost seconds more to compile cold and a thread launch per
call; each trial is a pure function of its keyed stream, so the numbers would be the
same either way.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from portfolio_sim.rng import draw, period_items


@njit(cache=True)
def cumulative_items(code, off, n, pool, key, trials, first_trial, counts):
    """Items completed in the first ``counts[k]`` periods, for every trial and every k.

    ``counts`` must be non-decreasing. Returns int64 ``[trials, len(counts)]``; row r is
    trial ``first_trial + r`` of stream ``key`` (so a run split in chunks gives the same
    numbers).
    """
    m = counts.shape[0]
    out = np.zeros((trials, m), dtype=np.int64)
    top = np.int64(0)
    for k in range(m):
        if counts[k] > top:
            top = counts[k]
    for r in range(trials):
        trial = first_trial + r
        total = np.int64(0)
        k = 0
        while k < m and counts[k] <= 0:
            k += 1
        for q in range(top):
            x = draw(code, pool, off, n, key, trial, q)
            total += np.int64(period_items(x))
            while k < m and counts[k] == q + 1:
                out[r, k] = total
                k += 1
    return out


@njit(cache=True)
def batch_totals(code, pool, offs, ns, keys, periods, trials):
    """Items completed in ``periods[c]`` periods for many independent forecasts at once.

    Forecast c draws from ``(code, pool[offs[c]:offs[c]+ns[c]])`` on stream ``keys[c]``.
    Returns int64 ``[len(offs), trials]``: one call for a whole backtest, since a Python
    call per forecast would cost more than its work.
    """
    jobs = offs.shape[0]
    out = np.zeros((jobs, trials), dtype=np.int64)
    for flat in range(jobs * trials):
        c = flat // trials
        trial = flat - c * trials
        total = np.int64(0)
        for q in range(periods[c]):
            x = draw(code, pool, offs[c], ns[c], keys[c], trial, q)
            total += np.int64(period_items(x))
        out[c, trial] = total
    return out
