"""The done-day rule of docs/model.md §1 for the kernels (one definition, Numba-compiled).

Work ending at clock time ``t`` is done on working day ``max(ceil(t - EPS) - 1, 0)``.
The Python side's spelling is :func:`portfolio_sim.calendar.done_day`; a test
(tests/test_codes.py) pins the two together on the boundary cases.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_sim.codes import EPS
from portfolio_sim.rng import NO_REFCOUNT


@njit(cache=True, **NO_REFCOUNT)
def kernel_done_day(t):
    """The working day on which work ending at clock time ``t`` (finite) is done."""
    d = math.ceil(t - EPS) - 1.0
    return np.int64(d) if d > 0.0 else np.int64(0)
