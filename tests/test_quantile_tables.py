"""Quantile tables (rng.quantile_table, distributions.pert_tables) and their error bound.

Beta-PERT and the lognormal's standard normal are sampled by cubic Hermite interpolation
of the exact quantile function (docs/model.md §4). What is checked here, without scipy:

* the exact Beta CDF (a positive series) against closed forms and against an independent
  numerical integral of the density, and its inverse against the CDF;
* the table error bound, docs/model.md §4.4: at most 1e-6 of the range for every PERT.
  Beta-PERT with lambda = 4 is a one-parameter family (alpha + beta = 6), so a dense
  sweep of alpha covers it: the Hermite remainder h^4/384 max|Q''''| peaks at a cell's
  middle, where every cell of 41 shapes is measured (< 1e-7, ten times inside the bound);
  for eight shapes the bound is also certified over the whole continuum of u: every cell's
  cubic is increasing (its derivative, a quadratic, is checked exactly), so for u between
  F(y_k) and F(y_k+1) of a fine x grid both the exact quantile (in [y_k, y_k+1]) and the
  table (between its values at the ends) are bracketed, and the largest gap is a bound;
* the normal table: |z error| < 1e-7 at every cell's middle and quarter points.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from portfolio_sim import distributions as d
from portfolio_sim.rng import (
    NORMAL_TABLE,
    TABLE_CELLS,
    TABLE_LEVELS,
    TABLE_SIZE,
    table_lookup,
    table_nodes,
)

#: The stated bound (docs/model.md §4.4), as a share of high - low.
BOUND = 1e-6
U_MIN = 2.0**-54  # the smallest uniform rng.uniform returns ((0 + 0.5) 2^-53)


def lookup(table: np.ndarray, v: np.ndarray) -> np.ndarray:
    """numpy twin of rng.table_lookup (checked against it below)."""
    m, e = np.frexp(v)
    i = np.clip(-e - 1, 0, TABLE_LEVELS - 1)
    t = (2.0 * m - 1.0) * TABLE_CELLS
    j = np.minimum(t.astype(np.int64), TABLE_CELLS - 1)
    t = t - j
    c = 4 * (i * TABLE_CELLS + j)
    return table[c] + t * (table[c + 1] + t * (table[c + 2] + t * table[c + 3]))


def pert_q(tables: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The tabled Beta quantile at u in (0, 1) (both halves), as rng.draw computes it."""
    left = u < 0.5
    v = np.minimum(u, 1.0 - u)
    return np.where(left, lookup(tables[:TABLE_SIZE], v), 1.0 - lookup(tables[TABLE_SIZE:], v))


# -- the exact Beta CDF and quantile -----------------------------------------------------


def _binomial_cdf(x: np.ndarray, a: int, b: int) -> np.ndarray:
    n = a + b - 1  # I_x(a, b) = P(Binomial(n, x) >= a) for whole a, b
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))


@pytest.mark.parametrize(("a", "b"), [(1, 5), (5, 1), (2, 4), (3, 3), (4, 2), (1, 1)])
def test_beta_cdf_whole_shapes_match_the_binomial_sum(a: int, b: int) -> None:
    x = np.linspace(0.0, 1.0, 2001)
    np.testing.assert_allclose(d.beta_cdf(x, a, b), _binomial_cdf(x, a, b), rtol=1e-13, atol=0)


@pytest.mark.parametrize("b", [1.04, 2.5, 4.96])
def test_beta_cdf_closed_forms_with_one_unit_shape(b: float) -> None:
    x = np.geomspace(1e-12, 1 - 1e-9, 3001)
    np.testing.assert_allclose(d.beta_cdf(x, 1.0, b), -np.expm1(b * np.log1p(-x)), rtol=1e-13)
    np.testing.assert_allclose(d.beta_cdf(x, b, 1.0), x**b, rtol=1e-13)


@pytest.mark.parametrize("a", [1.04, 2.2, 3.8, 4.5])
def test_beta_cdf_equals_the_integral_of_its_density(a: float) -> None:
    # Independent of the series: Gauss-Legendre (8 points) on 4000 cells of [0, 1], graded
    # towards both ends, where x^(a-1) (1-x)^(b-1) is not smooth.
    b = 6.0 - a
    s = np.linspace(0.0, 1.0, 4001)
    edges = s**4 / (s**4 + (1.0 - s) ** 4)
    g, w = np.polynomial.legendre.leggauss(8)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    pts = mid[:, None] + half[:, None] * g[None, :]
    cells = (d.beta_pdf(pts, a, b) * w[None, :]).sum(axis=1) * half
    integral = np.concatenate([[0.0], np.cumsum(cells)])
    np.testing.assert_allclose(d.beta_cdf(edges, a, b), integral, rtol=0, atol=1e-9)
    assert integral[-1] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("a", [1.0, 1.04, 2.2, 3.0, 4.96, 5.0])
def test_beta_quantile_inverts_the_cdf_at_every_node(a: float) -> None:
    v = table_nodes().reshape(-1)
    q = d.beta_quantile(v, a, 6.0 - a)
    assert (np.diff(q.reshape(TABLE_LEVELS, -1)[::-1, :-1].reshape(-1)) > 0).all()
    np.testing.assert_allclose(d.beta_cdf(q, a, 6.0 - a), v, rtol=1e-13, atol=0)


# -- table layout -------------------------------------------------------------------------


def test_table_nodes_cover_every_uniform_below_one_half() -> None:
    v = table_nodes()
    assert v.shape == (TABLE_LEVELS, TABLE_CELLS + 1)
    assert v[0, -1] == 0.5 and v[-1, 0] == U_MIN
    np.testing.assert_array_equal(v[1:, -1], v[:-1, 0])  # levels tile [2^-54, 1/2)
    assert TABLE_SIZE == 4 * TABLE_LEVELS * TABLE_CELLS


def test_numpy_twin_and_jitted_lookup_agree_and_hit_the_nodes() -> None:
    tables = d.pert_tables(2.2, 3.8)
    v = table_nodes()[:, :-1].reshape(-1)
    node_q = d.beta_quantile(v, 2.2, 3.8)
    np.testing.assert_allclose(lookup(tables, v), node_q, rtol=1e-14)
    rng = np.random.default_rng(5)
    w = np.concatenate([rng.uniform(0, 0.5, 500), 2.0 ** rng.uniform(-54, -1, 500), [U_MIN]])
    jit = np.array([table_lookup(tables, 0, float(x)) for x in w])  # type: ignore[arg-type]
    np.testing.assert_array_equal(jit, lookup(tables, w))


# -- the error bound ------------------------------------------------------------------------


def _cell_points(fracs: list[float]) -> np.ndarray:
    v = table_nodes()
    return np.concatenate([(v[:, :-1] + f * (v[:, 1:] - v[:, :-1])).reshape(-1) for f in fracs])


def test_pert_table_error_at_every_cell_middle_of_the_whole_family() -> None:
    v = _cell_points([0.5])
    worst = 0.0
    for a in np.linspace(1.0, 5.0, 41):
        b = 6.0 - a
        tables = d.pert_tables(a, b)
        for tab, (p, r) in ((tables[:TABLE_SIZE], (a, b)), (tables[TABLE_SIZE:], (b, a))):
            worst = max(worst, float(np.max(np.abs(lookup(tab, v) - d.beta_quantile(v, p, r)))))
    assert worst < BOUND / 10, worst


def _cubics_increase(table: np.ndarray) -> bool:
    """Exact check that every cell's cubic c0 + c1 t + c2 t^2 + c3 t^3 increases on [0, 1]:
    its derivative c1 + 2 c2 t + 3 c3 t^2 is >= 0 at both ends and at an inner extremum."""
    c = table.reshape(-1, 4)
    c1, c2, c3 = c[:, 1], c[:, 2], c[:, 3]
    ends = (c1 >= 0) & (c1 + 2 * c2 + 3 * c3 >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(c3 != 0, -c2 / (3 * c3), -1.0)
    inner = (t > 0) & (t < 1)
    return bool(ends.all() and (c1 + 2 * c2 * t + 3 * c3 * t * t)[inner].min(initial=0) >= 0)


def _certified_gap(table: np.ndarray, a: float, b: float) -> float:
    """A bound on |table(v) - Q(v)| over every reachable v in [2^-54, 1/2) of one half."""
    top = float(d.beta_quantile(np.array([0.5]), a, b)[0])
    y = np.arange(0.0, top + 4e-7, 4e-7)  # x grid in steps of 4e-7 of the range
    exact_v = d.beta_cdf(y, a, b)
    t = lookup(table, np.clip(exact_v, U_MIN, 0.5 - 2.0**-54))
    assert (np.diff(t) >= 0).all()  # increasing across cells and levels too
    gap = np.maximum(np.abs(t[1:] - y[:-1]), np.abs(y[1:] - t[:-1]))
    reachable = exact_v[1:] >= U_MIN  # [F(y_k), F(y_k+1)] holds a uniform
    return float(gap[reachable].max())


@pytest.mark.heavy
@pytest.mark.parametrize("a", [1.0, 1.04, 2.2, 3.0])
def test_pert_table_error_certified_over_every_u(a: float) -> None:
    # Both halves in v = min(u, 1 - u), as draw reads them: Q(u) on the left, and
    # 1 - Q'(1 - u) on the right, Q' the quantile of Beta(b, a); so alpha = a and
    # alpha = 6 - a (its mirror image) are checked at once.
    b = 6.0 - a
    tables = d.pert_tables(a, b)
    left, right = tables[:TABLE_SIZE], tables[TABLE_SIZE:]
    assert _cubics_increase(left) and _cubics_increase(right)
    assert _certified_gap(left, a, b) < BOUND
    assert _certified_gap(right, b, a) < BOUND


def test_normal_table_error_in_z() -> None:
    v = _cell_points([0.25, 0.5, 0.75])
    inv = NormalDist().inv_cdf
    z = np.array([inv(float(x)) for x in v])
    assert np.max(np.abs(lookup(NORMAL_TABLE, v) - z)) < 1e-7
    assert _cubics_increase(NORMAL_TABLE)


def test_the_uniform_one_reads_as_the_deepest_tail() -> None:
    # uniform() returns (k + 0.5) 2^-53; the largest k rounds to 1.0 exactly, so draw's
    # v = 1 - u is 0: its bits give level 52, cell 0, t = 0, i.e. Q(2^-54), finite.
    assert (float(2**53 - 1) + 0.5) * 2.0**-53 == 1.0
    tables = d.pert_tables(2.2, 3.8)
    for off in (0, TABLE_SIZE):
        assert table_lookup(tables, off, 0.0) == table_lookup(tables, off, U_MIN)  # type: ignore[arg-type]
    assert table_lookup(NORMAL_TABLE, 0, 0.0) == pytest.approx(NormalDist().inv_cdf(U_MIN))  # type: ignore[arg-type]
