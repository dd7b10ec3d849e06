"""The period arithmetic of throughput teams (kernels/throughput.py), against brute force.

The kernels find period boundaries by a closed form plus fix-up steps and "the period in
which a feature's items run out" by a search over cumulative sums; each must give exactly
what walking period by period gives, including at clock times that fall on a period
boundary (within EPS) and when the draws are only partly made.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_sim.kernels.throughput import (
    EPS,
    _first_period_at,
    _first_period_from,
    _periods_ended_by,
    _tp_fill,
    _tp_find,
)
from portfolio_sim.rng import FIXED, SAMPLES, stream_key

lengths = st.sampled_from([1.0, 2.0, 4.0, 5.0, 7.0])
# Clock times: whole days, days plus or minus a hair (inside and outside EPS), fractions.
clocks = st.one_of(
    st.integers(0, 400).map(float),
    st.tuples(st.integers(0, 400), st.sampled_from([-EPS, EPS, -1e-10, 1e-10, -1e-6, 1e-6])).map(
        lambda p: max(p[0] + p[1], 0.0)
    ),
    st.floats(0.0, 400.0, allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(x=clocks, length=lengths, q=st.integers(0, 100))
def test_first_period_at_is_the_first_start_at_or_after(x: float, length: float, q: int) -> None:
    p = q
    while p * length + EPS < x:
        p += 1
    assert _first_period_at(x, length, q) == p


@settings(max_examples=300, deadline=None)
@given(t=clocks, length=lengths, q=st.integers(0, 100))
def test_periods_ended_by_is_the_first_period_still_running(
    t: float, length: float, q: int
) -> None:
    p = q
    while (p + 1) * length <= t + EPS:
        p += 1
    assert _periods_ended_by(t, length, q) == p


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 1500), length=lengths)
def test_first_period_from_the_horizon(h: int, length: float) -> None:
    p = 0
    while p * length < h:
        p += 1
    assert _first_period_from(float(h), length) == p


def test_first_period_at_infinity_is_never() -> None:
    assert _first_period_at(math.inf, 5.0, 3) > 10**15


HISTORY = np.array([0.0, 2.0, 0.0, 5.0, 1.0, 0.0, 3.0])


def _cum_by_walking(trial: int, n: int, key: int) -> np.ndarray:
    """Cumulative items of periods 0..n-1, drawing each period on its own."""
    cum = np.zeros((1, n + 1))
    filled = np.zeros(1, dtype=np.int64)
    for q in range(n):
        _tp_fill(SAMPLES, 0, HISTORY.size, HISTORY, key, trial, cum, filled, 0, q)
    return cum[0]


@settings(max_examples=300, deadline=None)
@given(
    trial=st.integers(0, 10_000),
    a=st.integers(0, 40),
    span=st.integers(1, 40),
    need=st.integers(0, 60),
    drawn=st.integers(0, 90),
)
def test_find_equals_walking_period_by_period(
    trial: int, a: int, span: int, need: int, drawn: int
) -> None:
    """_tp_find from any state of the cumulative sums (``drawn`` periods made so far)
    returns the period a walk returns, and leaves the sums it made equal to the walk's."""
    key = stream_key(3, "team", "flow")
    b = a + span
    ref = _cum_by_walking(trial, max(b, drawn) + 1, key)
    # Walk: the first period q in [a, b) whose cumulative items reach ref[a] + need.
    want = b
    for q in range(a, b):
        if ref[q + 1] >= ref[a] + need:
            want = q
            break
    cum = np.zeros((1, 200))
    filled = np.zeros(1, dtype=np.int64)
    _tp_fill(SAMPLES, 0, HISTORY.size, HISTORY, key, trial, cum, filled, 0, max(drawn, a) - 1)
    got = _tp_find(
        SAMPLES, 0, HISTORY.size, HISTORY, key, trial, cum, filled, 0, a, b, ref[a] + need
    )
    assert got == want
    k = int(filled[0])
    assert k >= min(want + 1, b)  # what the answer needed was drawn
    np.testing.assert_array_equal(cum[0, : k + 1], ref[: k + 1])


def test_fill_rounds_half_up_and_never_below_zero() -> None:
    pool = np.array([2.5, -0.7])
    cum = np.zeros((1, 4))
    filled = np.zeros(1, dtype=np.int64)
    _tp_fill(FIXED, 0, 1, pool, 1, 0, cum, filled, 0, 2)
    assert cum[0].tolist() == [0.0, 3.0, 6.0, 9.0] and filled[0] == 3
    cum[:] = 0.0
    filled[:] = 0
    _tp_fill(FIXED, 1, 1, pool, 1, 0, cum, filled, 0, 1)
    assert cum[0, :3].tolist() == [0.0, 0.0, 0.0]
