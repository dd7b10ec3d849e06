"""Distributions (docs/model.md §4) against theory.

Every random test uses a fixed seed, so it is deterministic; the tolerances are what a
*correct* sampler would pass with overwhelming probability for an arbitrary seed:

* a sample mean is compared with the exact mean within 5 standard errors, where the
  standard error of a mean of n draws is sd / sqrt(n) (a two-sided miss has probability
  about 6e-7);
* an empirical proportion (e.g. the share of draws <= p10) within 5 binomial standard
  errors sqrt(p (1 - p) / n);
* a whole distribution with scipy's Kolmogorov-Smirnov test against the exact CDF, and
  discrete ones with a chi-square test, each requiring p > 0.001.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from scipy import stats

from portfolio_sim import distributions as d
from portfolio_sim.rng import TABLE_SIZE

N = 200_000
ALPHA = 1e-3


def rng(seed: int = 20270104) -> np.random.Generator:
    return np.random.default_rng(seed)


def exact(kind: str, params: Any) -> Any:
    """The scipy frozen distribution that ``kind``/``params`` mean."""
    if kind == "uniform":
        lo, hi = params
        return stats.uniform(loc=lo, scale=hi - lo)
    if kind == "triangular":
        lo, mode, hi = params
        return stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    if kind == "pert":
        lo, mode, hi = params
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        return stats.beta(a, b, loc=lo, scale=hi - lo)
    if kind == "lognormal":
        mu, sigma = d.lognormal_fit(params["p10"], params["p90"])
        return stats.lognorm(s=sigma, scale=math.exp(mu))
    raise AssertionError(kind)


CONTINUOUS = [
    ("uniform", [3.0, 8.0]),
    ("triangular", [2.0, 4.0, 9.0]),
    ("triangular", [0.0, 0.0, 5.0]),  # mode at low
    ("triangular", [1.0, 6.0, 6.0]),  # mode at high
    ("pert", [20.0, 35.0, 70.0]),
    ("pert", [1.0, 1.0, 10.0]),
    ("lognormal", {"p10": 30.0, "p90": 90.0}),
    ("lognormal", {"p10": 0.5, "p90": 2.0}),
]


# --- samplers against theory ---------------------------------------------------------


@pytest.mark.parametrize(("kind", "params"), CONTINUOUS)
def test_sampler_matches_exact_cdf(kind: str, params: Any) -> None:
    x = d.sample(kind, params, N, rng())
    assert x.shape == (N,)
    ref = exact(kind, params)
    assert stats.kstest(x, ref.cdf).pvalue > ALPHA
    # mean within 5 standard errors (sd / sqrt(n)) of the exact mean
    assert abs(x.mean() - d.mean(kind, params)) < 5 * ref.std() / math.sqrt(N)
    # and the module's exact mean is the distribution's mean
    assert d.mean(kind, params) == pytest.approx(ref.mean(), rel=1e-12)


def test_pert_mean_formula() -> None:
    assert d.mean("pert", [20, 35, 70]) == pytest.approx((20 + 4 * 35 + 70) / 6)
    assert d.mean("pert", [20, 35, 70]) == pytest.approx(230 / 6)
    x = d.sample("pert", [20, 35, 70], N, rng(1))
    sd = exact("pert", [20, 35, 70]).std()
    assert abs(x.mean() - 230 / 6) < 5 * sd / math.sqrt(N)
    assert x.min() >= 20 and x.max() <= 70


def test_pert_shape() -> None:
    assert d.pert_shape(20, 35, 70) == pytest.approx((1 + 4 * 15 / 50, 1 + 4 * 35 / 50))
    assert d.pert_shape(0, 5, 10) == (3.0, 3.0)
    assert d.pert_shape(4, 4, 4) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("kind", "params", "value"),
    [
        ("fixed", 5, 5.0),
        ("uniform", [3, 8], 5.5),
        ("triangular", [2, 4, 9], 5.0),
        ("pert", [20, 35, 70], 230 / 6),
        ("pert", [4, 4, 4], 4.0),
        ("samples", [3, 5, 2, 7, 4, 0, 6], 27 / 7),
        ("integers", [1, 6], 3.5),
        (
            "lognormal",
            {"p10": 30, "p90": 90},
            math.exp(math.log(2700) / 2 + 0.5 * (math.log(3) / (2 * 1.2815515655446004)) ** 2),
        ),
    ],
)
def test_mean_exact(kind: str, params: Any, value: float) -> None:
    assert d.mean(kind, params) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("kind", "params", "q", "value"),
    [
        ("fixed", 5, 0.3, 5.0),
        ("uniform", [3, 8], 0.2, 4.0),
        ("uniform", [3, 8], 1.0, 8.0),
        ("triangular", [2, 4, 9], 0.1, 2 + math.sqrt(0.1 * 7 * 2)),  # below F(mode) = 2/7
        ("triangular", [2, 4, 9], 0.5, 9 - math.sqrt(0.5 * 7 * 5)),
        ("triangular", [2, 4, 9], 2 / 7, 4.0),  # F(mode)
        ("triangular", [3, 3, 3], 0.5, 3.0),
        ("integers", [1, 6], 0.0, 1.0),
        ("integers", [1, 6], 0.5, 3.0),  # inverted CDF: F(3) = 0.5
        ("integers", [1, 6], 0.51, 4.0),
        ("integers", [1, 6], 1.0, 6.0),
        ("samples", [3, 5, 2, 7, 4, 0, 6], 0.5, 4.0),  # sorted 0 2 3 4 5 6 7
        ("samples", [3, 5, 2, 7, 4, 0, 6], 0.1, 0.0),
        ("samples", [3, 5, 2, 7, 4, 0, 6], 1.0, 7.0),
    ],
)
def test_quantile_exact(kind: str, params: Any, q: float, value: float) -> None:
    assert d.quantile(kind, params, q) == pytest.approx(value, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("kind", "params"), [c for c in CONTINUOUS if c[0] != "pert"])
@pytest.mark.parametrize("q", [0.01, 0.1, 0.5, 0.85, 0.99])
def test_quantile_matches_scipy(kind: str, params: Any, q: float) -> None:
    assert d.quantile(kind, params, q) == pytest.approx(exact(kind, params).ppf(q), rel=1e-9)


@pytest.mark.parametrize("kind", ["integers", "samples"])
def test_quantile_inverted_cdf_at_float_boundary(kind: str) -> None:
    # 0.07 * 100 is 7.000000000000001 in floats; the inverted-CDF 7 % quantile is still 7.
    params = [1, 100] if kind == "integers" else list(range(1, 101))
    assert d.quantile(kind, params, 0.07) == 7.0


def test_quantile_has_no_closed_form_for_pert() -> None:
    with pytest.raises(ValueError, match="pert"):
        d.quantile("pert", [1, 2, 3], 0.5)


# --- lognormal fit -------------------------------------------------------------------


def test_z90() -> None:
    assert abs(d.Z90 - NormalDist().inv_cdf(0.9)) < 1e-15


@pytest.mark.parametrize(("p10", "p90"), [(30.0, 90.0), (0.5, 2.0), (1.0, 1.001), (100.0, 1e6)])
def test_lognormal_fit_hits_p10_and_p90(p10: float, p90: float) -> None:
    mu, sigma = d.lognormal_fit(p10, p90)
    nd = NormalDist(mu, sigma)
    assert math.exp(nd.inv_cdf(0.1)) == pytest.approx(p10, rel=1e-12)
    assert math.exp(nd.inv_cdf(0.9)) == pytest.approx(p90, rel=1e-12)
    params = {"p10": p10, "p90": p90}
    assert d.quantile("lognormal", params, 0.1) == pytest.approx(p10, rel=1e-12)
    assert d.quantile("lognormal", params, 0.9) == pytest.approx(p90, rel=1e-12)
    assert d.quantile("lognormal", params, 0.5) == pytest.approx(math.sqrt(p10 * p90), rel=1e-12)


def test_lognormal_sampler_empirical_p10_p90() -> None:
    x = d.sample("lognormal", {"p10": 30.0, "p90": 90.0}, N, rng(7))
    se = math.sqrt(0.1 * 0.9 / N)  # binomial standard error of a 10 % share
    assert abs((x <= 30.0).mean() - 0.1) < 5 * se
    assert abs((x > 90.0).mean() - 0.1) < 5 * se
    assert (x > 0).all()


# --- discrete samplers ---------------------------------------------------------------


@pytest.mark.parametrize(("lo", "hi"), [(1, 6), (0, 3), (40, 60)])
def test_integers_uniform_over_both_ends(lo: int, hi: int) -> None:
    x = d.sample("integers", [lo, hi], N, rng(3))
    assert (x == np.round(x)).all()
    assert x.min() == lo and x.max() == hi
    counts = np.bincount((x - lo).astype(int), minlength=hi - lo + 1)
    assert counts.size == hi - lo + 1
    assert stats.chisquare(counts).pvalue > ALPHA  # expected: equal counts


def test_integers_degenerate() -> None:
    assert (d.sample("integers", [4, 4], 100, rng()) == 4).all()


def test_bootstrap_draws_every_sample_equally() -> None:
    samples = [3, 5, 2, 7, 4, 0, 6]
    x = d.sample("samples", samples, N, rng(5))
    assert set(np.unique(x).tolist()) == set(samples)
    counts = np.array([(x == s).sum() for s in samples])
    assert stats.chisquare(counts).pvalue > ALPHA


def test_bootstrap_duplicates_weigh_by_count() -> None:
    x = d.sample("samples", [1, 1, 2], N, rng(6))
    se = math.sqrt(2 / 9 / N)
    assert abs((x == 1).mean() - 2 / 3) < 5 * se
    assert set(np.unique(x).tolist()) == {1.0, 2.0}


def test_single_sample_and_fixed() -> None:
    assert (d.sample("samples", [9], 10, rng()) == 9).all()
    assert (d.sample("fixed", 2.5, 10, rng()) == 2.5).all()


@pytest.mark.parametrize(
    ("kind", "params"), [("uniform", [5, 5]), ("triangular", [5, 5, 5]), ("pert", [5, 5, 5])]
)
def test_degenerate_continuous(kind: str, params: list[float]) -> None:
    x = d.sample(kind, params, 100, rng())
    assert (x == 5).all()
    assert d.mean(kind, params) == 5


def test_sampler_is_reproducible() -> None:
    for kind, params in CONTINUOUS:
        a = d.sample(kind, params, 50, rng(11))
        b = d.sample(kind, params, 50, rng(11))
        assert (a == b).all()


# --- check_params --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("fixed", 0),
        ("fixed", 3.5),
        ("uniform", [3, 8]),
        ("uniform", [3, 3]),
        ("triangular", [2, 4, 9]),
        ("triangular", [2, 2, 2]),
        ("pert", [20, 35, 70]),
        ("pert", (0, 0, 1)),
        ("lognormal", {"p10": 30, "p90": 90}),
        ("samples", [0, 0, 3]),
        ("samples", [5]),
        ("integers", [1, 6]),
        ("integers", [2.0, 2.0]),
    ],
)
def test_check_params_accepts_valid(kind: str, params: Any) -> None:
    assert d.check_params(kind, params) is None


@pytest.mark.parametrize(
    ("kind", "params", "reason"),
    [
        ("uniform", [8, 3], "low (8) > high (3)"),
        ("integers", [6, 1], "low (6) > high (1)"),
        ("triangular", [5, 3, 9], "low (5) > mode (3)"),
        ("pert", [5, 3, 9], "low (5) > mode (3)"),
        ("triangular", [2, 10, 9], "mode (10) > high (9)"),
        ("pert", [2, 10, 9], "mode (10) > high (9)"),
        ("uniform", [-1, 3], "negative value (-1)"),
        ("pert", [-5, -2, 3], "negative value (-5)"),
        ("samples", [3, -2, 1], "negative value (-2)"),
        ("fixed", -2, "negative value (-2)"),
        ("uniform", [math.nan, 3], "values must be finite numbers, got nan"),
        ("fixed", math.nan, "values must be finite numbers, got nan"),
        ("samples", [1, math.inf], "values must be finite numbers, got inf"),
        ("triangular", [1, 2, -math.inf], "values must be finite numbers, got -inf"),
        ("lognormal", {"p10": math.nan, "p90": 9}, "values must be finite numbers, got nan"),
        ("lognormal", {"p10": 1, "p90": math.inf}, "values must be finite numbers, got inf"),
        ("samples", [], "samples must not be empty"),
        ("lognormal", {"p10": 90, "p90": 30}, "p10 (90) >= p90 (30)"),
        ("lognormal", {"p10": 30, "p90": 30}, "p10 (30) >= p90 (30)"),
        ("lognormal", {"p10": 0, "p90": 30}, "p10 (0) must be > 0"),
        ("lognormal", {"p10": -1, "p90": 30}, "p10 (-1) must be > 0"),
        ("lognormal", {"p10": 1}, "expected {p10: a, p90: b}"),
        ("lognormal", {"p10": 1, "p90": 2, "p50": 1.5}, "expected {p10: a, p90: b}"),
        ("lognormal", [1, 2], "expected {p10: a, p90: b}"),
        ("integers", [1.5, 3], "integers bounds must be whole numbers"),
        ("integers", [1, 3.25], "integers bounds must be whole numbers"),
        ("uniform", [1, 2, 3], "expected [low, high], got 3 values"),
        ("integers", [1], "expected [low, high], got 1 values"),
        ("pert", [1, 2], "expected [low, mode, high], got 2 values"),
        ("triangular", [1, 2, 3, 4], "expected [low, mode, high], got 4 values"),
        ("fixed", [1], "expected a single number"),
        ("uniform", 3, "expected a list of numbers"),
        ("uniform", [True, 3], "expected numbers, got True"),
        ("samples", ["3"], "expected numbers, got '3'"),
        ("fixed", None, "expected numbers, got None"),
    ],
)
def test_check_params_rejects(kind: str, params: Any, reason: str) -> None:
    assert d.check_params(kind, params) == reason


def test_check_params_unknown_kind() -> None:
    reason = d.check_params("normal", [0, 1])
    assert reason is not None
    assert reason.startswith("unknown distribution 'normal'; expected one of fixed, uniform")
    assert "integers" in reason


def test_check_params_negative_allowed_when_asked() -> None:
    assert d.check_params("uniform", [-1, 3], nonnegative=False) is None
    assert d.check_params("fixed", -2, nonnegative=False) is None
    assert d.check_params("integers", [-3, -1], nonnegative=False) is None
    # order checks still apply
    assert d.check_params("uniform", [3, -1], nonnegative=False) == "low (3) > high (-1)"


# --- encode --------------------------------------------------------------------------


def test_codes_are_distinct_and_stable() -> None:
    assert d.KINDS == {
        "fixed": 0,
        "uniform": 1,
        "triangular": 2,
        "pert": 3,
        "lognormal": 4,
        "samples": 5,
        "integers": 6,
    }


@pytest.mark.parametrize(
    ("kind", "params", "code", "vector"),
    [
        ("fixed", 5, d.FIXED, [5.0]),
        ("uniform", [3, 8], d.UNIFORM, [3.0, 8.0]),
        ("triangular", [2, 4, 9], d.TRIANGULAR, [2.0, 4.0, 9.0]),
        ("pert", [4, 4, 4], d.PERT, [4.0, 4.0, 4.0, 1.0, 1.0]),
        (
            "lognormal",
            {"p10": 30, "p90": 90},
            d.LOGNORMAL,
            [math.log(2700) / 2, math.log(3) / (2 * 1.2815515655446004)],
        ),
        ("samples", [3, 5, 2], d.SAMPLES, [3.0, 5.0, 2.0]),
        ("integers", [1, 6], d.INTEGERS, [1.0, 6.0]),
    ],
)
def test_encode_layouts(kind: str, params: Any, code: int, vector: list[float]) -> None:
    got_code, got = d.encode(kind, params)
    assert got_code == code
    assert got.dtype == np.float64
    assert got.ndim == 1
    np.testing.assert_allclose(got, vector, rtol=1e-14)


def test_encode_pert_layout_with_quantile_tables() -> None:
    code, got = d.encode("pert", [20, 35, 70])
    a, b = 1 + 4 * 15 / 50, 1 + 4 * 35 / 50
    assert code == d.PERT
    np.testing.assert_allclose(got[:5], [20.0, 35.0, 70.0, a, b], rtol=1e-14)
    assert len(got) == 5 + 2 * TABLE_SIZE
    # The left table starts at Q(2^-2) of Beta(a, b), the right one at Q(2^-2) of
    # Beta(b, a) (the mirror image): the exact quartiles, checked by the exact CDF.
    q1, q3 = got[5], 1.0 - got[5 + TABLE_SIZE]
    assert d.beta_cdf(np.array([q1, q3]), a, b) == pytest.approx([0.25, 0.75], abs=1e-14)
