"""Keyed counter-based streams (rng.py): uniforms and the distribution samplers.

Statistical tolerances come from sampling error: a sample correlation of n independent
pairs has standard error about 1/sqrt(n), so we allow |r| < 4/sqrt(n); shares of n
trials with probability q are allowed 4 sqrt(q (1 - q) / n); whole distributions are
compared with the exact CDF by a Kolmogorov-Smirnov (continuous) or chi-square
(discrete) test, requiring p > 0.001. Seeds and keys are fixed, so each test is
deterministic; the bounds make a correct generator pass for any key.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import numpy as np
import pytest
from numba import njit
from scipy import stats

from portfolio_sim.distributions import encode
from portfolio_sim.rng import (
    FIXED,
    INTEGERS,
    LOGNORMAL,
    PERT,
    SAMPLES,
    SUBSTREAM,
    TRIANGULAR,
    UNIFORM,
    draw,
    stream_key,
    uniform,
)

N = 20_000
ALPHA = 1e-3
KEY = stream_key(42, "feature", "payments-api")


@njit(cache=False)
def _uniforms(
    key: np.uint64, trial0: int, trial_step: int, index0: int, index_step: int, n: int
) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(key, trial0 + i * trial_step, index0 + i * index_step)  # type: ignore[arg-type]
    return out


@njit(cache=False)
def _draws(
    code: int, pool: np.ndarray, n_par: int, key: np.uint64, n: int, slot: int
) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        out[i] = draw(code, pool, 0, n_par, key, i, slot)  # type: ignore[arg-type]
    return out


def along_trials(key: int = KEY, n: int = N, index: int = 0, first: int = 0) -> np.ndarray:
    return _uniforms(np.uint64(key), first, 1, index, 0, n)


def along_indices(key: int = KEY, n: int = N, trial: int = 0) -> np.ndarray:
    return _uniforms(np.uint64(key), trial, 0, 0, 1, n)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def small_corr(a: np.ndarray, b: np.ndarray) -> None:
    r = corr(a, b)
    assert abs(r) < 4.0 / math.sqrt(len(a)), f"correlation {r}"


def sample(kind: str, params: object, n: int = N, key: int = KEY, slot: int = 0) -> np.ndarray:
    code, pool = encode(kind, params)
    pool = np.ascontiguousarray(pool, dtype=np.float64)
    return _draws(code, pool, len(pool), np.uint64(key), n, slot)


def ks(values: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> None:
    res = stats.kstest(values, cdf)
    assert res.pvalue > ALPHA, f"KS statistic {res.statistic}, p = {res.pvalue}"


# -- stream keys ------------------------------------------------------------------------


def test_stream_key_is_documented_blake2b() -> None:
    def expected(seed: int, kind: str, eid: str) -> int:
        h = hashlib.blake2b(f"{seed}\x1f{kind}\x1f{eid}".encode(), digest_size=8)
        return int.from_bytes(h.digest(), "little")

    for args in [(0, "feature", "payments-api"), (7, "team", "web"), (123456789, "risk", "r")]:
        assert stream_key(*args) == expected(*args)
    # Pinned values: a change of the hash changes every forecast ever made with a seed.
    assert stream_key(0, "feature", "payments-api") == 0x1CF633EB828D7FF6
    assert stream_key(7, "team", "web") == 2957491400757980852


def test_stream_key_depends_on_seed_kind_and_id() -> None:
    keys = {
        stream_key(s, k, e)
        for s in (0, 1, 2)
        for k in ("feature", "team", "risk")
        for e in ("a", "b", "web", "a\x1f", "")
    }
    assert len(keys) == 3 * 3 * 5
    assert all(0 <= k < 2**64 for k in keys)
    # Separator: kind "feature" + id "x" differs from kind "featurex"-style concatenation.
    assert stream_key(1, "feature", "x") != stream_key(1, "featur", "ex")
    assert stream_key(1, "feature", "x") == stream_key(1, "feature", "x")


# -- uniforms ---------------------------------------------------------------------------


def test_uniform_in_open_interval_and_uniform() -> None:
    u = along_trials(n=200_000)
    assert (u > 0.0).all() and (u < 1.0).all()
    res = stats.kstest(u, "uniform")
    assert res.pvalue > ALPHA
    # Mean 1/2, sd 1/sqrt(12): within 4 standard errors.
    assert abs(u.mean() - 0.5) < 4.0 / math.sqrt(12 * len(u))
    # 53 random bits: no repeats among 200k draws (collision probability ~ 2e-6).
    assert len(np.unique(u)) == len(u)


def test_uniform_along_indices_is_uniform() -> None:
    u = along_indices(n=N, trial=12345)
    assert (u > 0.0).all() and (u < 1.0).all()
    assert stats.kstest(u, "uniform").pvalue > ALPHA


def test_uniform_low_bits_balanced() -> None:
    # Bit k of the mantissa (floor(u 2^k) mod 2) is 1 with probability 1/2 for k = 1..52.
    u = along_trials(n=N, index=3)
    se = math.sqrt(0.25 / N)
    for k in range(1, 53):
        bit = np.floor(u * 2.0**k) % 2
        assert abs(bit.mean() - 0.5) < 4 * se, f"bit {k}: {bit.mean()}"


def test_uniform_is_pure_function() -> None:
    a = along_trials(n=1000)
    b = along_trials(n=1000)
    np.testing.assert_array_equal(a, b)
    # Scalar calls from Python agree with the jitted loop.
    assert uniform(np.uint64(KEY), 17, 0) == a[17]  # type: ignore[arg-type]
    # A block starting at trial 500 is the tail of the block starting at 0.
    np.testing.assert_array_equal(along_trials(n=500, first=500), a[500:])


def test_lag_one_correlation_near_zero() -> None:
    u = along_trials(n=N + 1)
    small_corr(u[:-1], u[1:])
    v = along_indices(n=N + 1)
    small_corr(v[:-1], v[1:])


def test_pairs_fill_the_unit_square() -> None:
    # Successive pairs (u_i, u_{i+1}) binned on a 10 x 10 grid: chi-square against uniform.
    u = along_trials(n=2 * N)
    cells = (np.floor(u[0::2] * 10) * 10 + np.floor(u[1::2] * 10)).astype(np.int64)
    counts = np.bincount(cells, minlength=100)
    assert stats.chisquare(counts).pvalue > ALPHA


def test_neighbouring_keys_uncorrelated() -> None:
    a = along_trials(key=KEY)
    b = along_trials(key=KEY + 1)
    small_corr(a, b)
    assert np.mean(a == b) == 0.0
    # Keys of neighbouring ids.
    k1, k2 = stream_key(0, "feature", "f1"), stream_key(0, "feature", "f2")
    small_corr(along_trials(key=k1), along_trials(key=k2))
    # Key 0 and key 1 (worst case for a weak mixer).
    small_corr(along_trials(key=0), along_trials(key=1))


def test_neighbouring_trials_and_indices_uncorrelated() -> None:
    # Same index, trials t and t + 1, over many t: the lag-1 check above with index 5.
    u = along_trials(n=N + 1, index=5)
    small_corr(u[:-1], u[1:])
    # Same trial, index 0 vs index 1 (Box-Muller's pair), over many trials.
    small_corr(along_trials(index=0), along_trials(index=1))
    # Slot 0 vs slot 1 (SUBSTREAM apart), and trial-index diagonal (t, i) vs (t + 1, i - 1).
    small_corr(along_trials(index=0), along_trials(index=SUBSTREAM))
    key = np.uint64(KEY)
    a = _uniforms(key, 1, 1, 1, 1, N)
    b = _uniforms(key, 2, 1, 0, 1, N)
    small_corr(a, b)
    # Trial t and index t vs trial t + 1 and index t (counter-based: no shared state).
    small_corr(_uniforms(key, 0, 1, 0, 1, N), _uniforms(key, 1, 1, 0, 1, N))


# -- draw() against exact CDFs ---------------------------------------------------------


def test_draw_fixed() -> None:
    x = sample("fixed", 12.5, n=100)
    assert (x == 12.5).all()
    assert sample("fixed", 0, n=10).tolist() == [0.0] * 10


def test_draw_uniform() -> None:
    x = sample("uniform", [3, 8])
    assert ((x > 3) & (x < 8)).all()
    ks(x, stats.uniform(3, 5).cdf)


@pytest.mark.parametrize("params", [[2, 4, 9], [2, 2, 9], [2, 9, 9], [0, 5, 10]])
def test_draw_triangular(params: list[float]) -> None:
    lo, mode, hi = params
    x = sample("triangular", params)
    assert ((x >= lo) & (x <= hi)).all()
    ks(x, stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo).cdf)


def test_draw_triangular_degenerate() -> None:
    assert (sample("triangular", [4, 4, 4], n=100) == 4.0).all()


@pytest.mark.parametrize(
    ("params", "shape"),
    [
        ([20, 35, 70], (2.2, 3.8)),  # alpha < beta
        ([20, 55, 70], (3.8, 2.2)),  # alpha > beta
        ([0, 50, 100], (3.0, 3.0)),  # symmetric
        ([10, 10, 20], (1.0, 5.0)),  # mode at the low end: alpha = 1
        ([10, 20, 20], (5.0, 1.0)),  # mode at the high end: beta = 1
        ([0, 1, 100], (1.04, 4.96)),  # mode near the low end: alpha near 1
    ],
)
def test_draw_pert(params: list[float], shape: tuple[float, float]) -> None:
    lo, mode, hi = params
    a, b = shape
    assert encode("pert", params)[1][3:5] == pytest.approx([a, b])
    x = sample("pert", params)
    assert ((x >= lo) & (x <= hi)).all()
    dist = stats.beta(a, b, loc=lo, scale=hi - lo)
    ks(x, dist.cdf)
    # PERT mean (lo + 4 mode + hi) / 6 within 4 standard errors.
    assert abs(x.mean() - (lo + 4 * mode + hi) / 6) < 4 * dist.std() / math.sqrt(len(x))


def test_draw_pert_degenerate() -> None:
    assert (sample("pert", [5, 5, 5], n=100) == 5.0).all()


@pytest.mark.parametrize(("p10", "p90"), [(30, 90), (1, 2), (100, 10_000)])
def test_draw_lognormal(p10: float, p90: float) -> None:
    mu = (math.log(p10) + math.log(p90)) / 2
    sigma = (math.log(p90) - math.log(p10)) / (2 * stats.norm.ppf(0.9))
    x = sample("lognormal", {"p10": p10, "p90": p90})
    assert (x > 0).all()
    ks(x, stats.lognorm(s=sigma, scale=math.exp(mu)).cdf)
    se = math.sqrt(0.09 / len(x))
    assert abs(np.mean(x <= p10) - 0.1) < 4 * se
    assert abs(np.mean(x <= p90) - 0.9) < 4 * se


def test_draw_samples_every_value_equally_likely() -> None:
    values = [7, 3, 3, 10, 0.5]
    x = sample("samples", values)
    uniq = np.unique(x).tolist()
    assert uniq == [0.5, 3.0, 7.0, 10.0]
    counts = np.array([np.sum(x == v) for v in (7, 3, 10, 0.5)])
    expected = np.array([1, 2, 1, 1]) / 5 * len(x)
    assert stats.chisquare(counts, expected).pvalue > ALPHA
    assert (sample("samples", [4], n=100) == 4.0).all()


@pytest.mark.parametrize(("lo", "hi"), [(3, 7), (0, 1), (0, 0), (10, 40)])
def test_draw_integers_every_value_equally_likely(lo: int, hi: int) -> None:
    x = sample("integers", [lo, hi])
    assert (x == np.round(x)).all()
    counts = np.bincount((x - lo).astype(np.int64), minlength=hi - lo + 1)
    assert len(counts) == hi - lo + 1  # nothing outside [lo, hi]
    assert (counts > 0).all()  # every integer hit
    if hi > lo:
        assert stats.chisquare(counts).pvalue > ALPHA


def test_draw_codes_match_distribution_kinds() -> None:
    kinds = ["fixed", "uniform", "triangular", "pert", "lognormal", "samples", "integers"]
    params: list[object] = [1, [0, 1], [0, 1, 2], [0, 1, 2], {"p10": 1, "p90": 2}, [1], [0, 1]]
    codes = [encode(k, p)[0] for k, p in zip(kinds, params, strict=True)]
    assert codes == [FIXED, UNIFORM, TRIANGULAR, PERT, LOGNORMAL, SAMPLES, INTEGERS]


def test_draw_slots_independent() -> None:
    # Size (slot 0) and growth (slot 1) of the same entity are independent draws.
    a = sample("uniform", [0, 1], slot=0)
    b = sample("uniform", [0, 1], slot=1)
    small_corr(a, b)
    # Lognormal draws of neighbouring slots are independent too.
    c = sample("lognormal", {"p10": 1, "p90": 3}, slot=0)
    d = sample("lognormal", {"p10": 1, "p90": 3}, slot=1)
    small_corr(np.log(c), np.log(d))


def test_draw_same_key_trial_slot_same_value() -> None:
    a = sample("pert", [20, 35, 70], n=2000)
    b = sample("pert", [20, 35, 70], n=2000)
    np.testing.assert_array_equal(a, b)
    c = sample("pert", [20, 35, 70], n=2000, key=KEY + 1)
    assert not np.array_equal(a, c)
