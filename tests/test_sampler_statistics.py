"""Every distribution kind as both engines draw it (rng.draw on the keyed streams), against
its exact CDF at 10 million draws, without scipy (docs/model.md §4).

Tolerances come from sampling error, with fixed keys (deterministic), set so that a correct
sampler passes for any key with overwhelming probability:

* quantile shares: at cut points x_k with exact F(x_k), the share of n draws <= x_k is
  within 5 binomial standard errors sqrt(p (1 - p) / n) of F(x_k) (a miss has chance
  6e-7 a point), plus what the quantile tables may shift: draws within 1e-6 of the range
  of x_k, at most f_max 1e-6 (f_max the largest density in range units: 5 for PERT); for
  the lognormal, table error 1e-7 in z moves a share by under 1e-7 phi(z) < 4e-8;
* Kolmogorov-Smirnov on the first million draws: sqrt(n) D < 1.95 (Kolmogorov's limit
  law: P(sqrt(n) D > 1.949) = 0.001);
* discrete kinds: every value's share within 5 binomial standard errors of its exact
  probability, and no value outside the support.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from numba import njit

from portfolio_sim import distributions as d
from portfolio_sim.rng import draw, stream_key

N = 10_000_000
N_KS = 1_000_000
KEY = np.uint64(stream_key(2027, "feature", "statistics"))

pytestmark = pytest.mark.heavy


@njit(cache=False)
def _draws(code: int, pool: np.ndarray, key: np.uint64, n: int) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        out[i] = draw(code, pool, 0, len(pool), key, i, 0)  # type: ignore[arg-type]
    return out


def draws(kind: str, params: Any, n: int = N) -> np.ndarray:
    code, pool = d.encode(kind, params)
    return _draws(code, np.ascontiguousarray(pool, np.float64), KEY, n)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def exact_cdf(kind: str, params: Any, x: np.ndarray) -> np.ndarray:
    """F(x) in closed form (the PERT by the exact Beta CDF, checked against closed forms
    and quadrature in test_quantile_tables.py)."""
    if kind == "uniform":
        lo, hi = params
        return np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    if kind == "triangular":
        lo, mode, hi = params
        left = (x - lo) ** 2 / ((hi - lo) * (mode - lo)) if mode > lo else np.ones_like(x)
        right = 1.0 - (hi - x) ** 2 / ((hi - lo) * (hi - mode)) if hi > mode else np.ones_like(x)
        return np.clip(np.where(x < mode, left, right), 0.0, 1.0)
    if kind == "pert":
        lo, mode, hi = params
        a, b = d.pert_shape(lo, mode, hi)
        return d.beta_cdf((x - lo) / (hi - lo), a, b)
    if kind == "lognormal":
        mu, sigma = d.lognormal_fit(params["p10"], params["p90"])
        z = (np.log(x) - mu) / (sigma * math.sqrt(2.0))
        return 0.5 * _erfc(-z).astype(np.float64)
    raise AssertionError(kind)


def cut_points(kind: str, params: Any) -> np.ndarray:
    """Points from the far left tail to the far right tail."""
    if kind == "lognormal":
        return np.array([d.quantile(kind, params, q) for q in LEVELS])
    lo, hi = params[0], params[-1]
    return lo + (hi - lo) * np.array([1e-3, 5e-3, *np.linspace(0.02, 0.98, 25), 0.995, 0.999])


LEVELS = [1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999]

CONTINUOUS = [
    ("uniform", [3.0, 8.0], 0.0),
    ("triangular", [2.0, 4.0, 9.0], 0.0),
    ("triangular", [0.0, 0.0, 5.0], 0.0),
    ("triangular", [1.0, 6.0, 6.0], 0.0),
    ("pert", [20.0, 35.0, 70.0], 5e-6),
    ("pert", [10.0, 10.0, 20.0], 5e-6),  # Beta(1, 5)
    ("pert", [0.0, 1.0, 100.0], 5e-6),  # Beta(1.04, 4.96)
    ("pert", [20.0, 55.0, 70.0], 5e-6),  # Beta(3.8, 2.2)
    ("lognormal", {"p10": 30.0, "p90": 90.0}, 4e-8),
    ("lognormal", {"p10": 0.5, "p90": 20.0}, 4e-8),
]


@pytest.mark.parametrize(("kind", "params", "table_shift"), CONTINUOUS)
def test_shares_below_cut_points_match_the_exact_cdf(
    kind: str, params: Any, table_shift: float
) -> None:
    x = draws(kind, params)
    cuts = cut_points(kind, params)
    p = exact_cdf(kind, params, cuts)
    below = np.array([np.count_nonzero(x <= c) for c in cuts]) / N
    tol = 5.0 * np.sqrt(p * (1.0 - p) / N) + table_shift
    assert (np.abs(below - p) <= tol).all(), np.abs(below - p) / tol
    # the support: PERT, triangular and uniform draws never leave [low, high]
    if kind != "lognormal":
        assert x.min() >= params[0] and x.max() <= params[-1]
    else:
        assert x.min() > 0.0


@pytest.mark.parametrize(("kind", "params", "table_shift"), CONTINUOUS)
def test_kolmogorov_smirnov_against_the_exact_cdf(
    kind: str, params: Any, table_shift: float
) -> None:
    x = np.sort(draws(kind, params, N_KS))
    f = exact_cdf(kind, params, x)
    i = np.arange(1, N_KS + 1)
    dist = max(float(np.max(i / N_KS - f)), float(np.max(f - (i - 1) / N_KS)))
    assert math.sqrt(N_KS) * dist < 1.95, math.sqrt(N_KS) * dist


@pytest.mark.parametrize(
    ("kind", "params", "probs"),
    [
        ("integers", [1, 6], {v: 1 / 6 for v in range(1, 7)}),
        ("integers", [0, 1], {0: 0.5, 1: 0.5}),
        ("samples", [7, 3, 3, 10, 0.5], {7: 0.2, 3: 0.4, 10: 0.2, 0.5: 0.2}),
        ("fixed", 12.5, {12.5: 1.0}),
    ],
)
def test_discrete_kinds_every_value_at_its_probability(
    kind: str, params: Any, probs: dict[float, float]
) -> None:
    x = draws(kind, params)
    values, counts = np.unique(x, return_counts=True)
    assert sorted(values.tolist()) == sorted(float(v) for v in probs)
    for v, c in zip(values.tolist(), counts.tolist(), strict=True):
        p = probs[v]
        assert abs(c / N - p) <= 5 * math.sqrt(p * (1 - p) / N), (v, c / N, p)
