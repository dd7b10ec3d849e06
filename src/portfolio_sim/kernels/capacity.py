"""An effort team's cumulative capacity ``C(t)``, evaluated and inverted (docs/model.md §2).

The compiler (scenario/compile_teams.py) turns each effort team's staffing, ramp-ups,
focus, holidays and availability into segments of a linear capacity rate; the integral,
``C_j(t)``, is the person-days team j has from clock time 0 to t, piecewise quadratic.
Segment k of team j (``cap_ptr[j] <= k < cap_ptr[j + 1]``) starts at ``cap_t[k]`` with
``C = cap_cum[k]``, rate ``cap_rate[k]`` and slope ``cap_slope[k]``.

The event loops (kernels/schedule.py, kernels/lone.py) evaluate :func:`cap_at` to share
capacity among the features in progress and invert it with :func:`cap_time` to find when
the next one finishes. Both are inlined into their callers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.rng import NO_REFCOUNT

INF = np.inf


@njit(cache=True, inline="always", **NO_REFCOUNT)
def cap_at(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t):
    """C_j(t): cumulative capacity (person-days) of effort team j from 0 to clock time t."""
    lo = cap_ptr[j]
    k = cap_ptr[j + 1] - 1
    while k > lo and cap_t[k] > t:
        k -= 1
    d = t - cap_t[k]
    return cap_cum[k] + cap_rate[k] * d + 0.5 * cap_slope[k] * d * d


@njit(cache=True, inline="always", **NO_REFCOUNT)
def cap_time(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, target):
    """The earliest clock time t with C_j(t) >= target (inf if capacity never gets there)."""
    lo = cap_ptr[j]
    hi = cap_ptr[j + 1]
    k = lo
    while k + 1 < hi and cap_cum[k + 1] < target:
        k += 1
    rem = target - cap_cum[k]
    if rem <= 0.0:
        return cap_t[k]
    r = cap_rate[k]
    s = cap_slope[k]
    if r <= 0.0 and s <= 0.0:
        if k + 1 < hi:
            return cap_t[k + 1]
        return INF
    return cap_t[k] + 2.0 * rem / (r + math.sqrt(r * r + 2.0 * s * rem))
