"""Estimate distributions (docs/model.md §4): parameter rules, fits and reference samplers.

A distribution in a scenario file is a mapping with exactly one key::

    {fixed: 5}  {uniform: [3, 8]}  {triangular: [2, 4, 9]}  {pert: [20, 35, 70]}
    {lognormal: {p10: 30, p90: 90}}  {samples: [3, 5, 2]}  {integers: [1, 6]}

This module knows what the parameters mean and which are valid. It turns a distribution
into a *code* and a flat parameter vector (:func:`encode`) so that Numba kernels never see
dicts, and it holds plain-numpy reference samplers used by tests. It imports no engine.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: z such that Phi(z) = 0.9; the lognormal fit puts p10 and p90 at mu -/+ Z90 * sigma.
Z90 = 1.2815515655446004

#: Beta-PERT shape parameter (docs/model.md §4: lambda = 4).
PERT_LAMBDA = 4.0

# Integer codes shared with the kernels (kernels/sampling.py).
FIXED, UNIFORM, TRIANGULAR, PERT, LOGNORMAL, SAMPLES, INTEGERS = range(7)

KINDS: dict[str, int] = {
    "fixed": FIXED,
    "uniform": UNIFORM,
    "triangular": TRIANGULAR,
    "pert": PERT,
    "lognormal": LOGNORMAL,
    "samples": SAMPLES,
    "integers": INTEGERS,
}


def _finite(values: Sequence[float]) -> str | None:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            return f"expected numbers, got {v!r}"
        try:
            finite = math.isfinite(float(v))
        except OverflowError:
            finite = False
        if not finite:
            return f"values must be finite numbers, got {v!r}"
    return None


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_params(kind: str, params: Any, *, nonnegative: bool = True) -> str | None:
    """Return why ``params`` are invalid for distribution ``kind``, or ``None`` if valid.

    ``nonnegative`` forbids negative values (sizes, money, delays are never negative).
    """
    if kind not in KINDS:
        return f"unknown distribution {kind!r}; expected one of {', '.join(KINDS)}"
    if kind == "lognormal":
        if not isinstance(params, dict) or set(params) != {"p10", "p90"}:
            return "expected {p10: a, p90: b}"
        bad = _finite([params["p10"], params["p90"]])
        if bad:
            return bad
        a, b = float(params["p10"]), float(params["p90"])
        if a <= 0:
            return f"p10 ({_fmt(a)}) must be > 0"
        if a >= b:
            return f"p10 ({_fmt(a)}) >= p90 ({_fmt(b)})"
        return None
    if kind == "fixed":
        if isinstance(params, list | tuple):
            return "expected a single number"
        bad = _finite([params])
        if bad:
            return bad
        if nonnegative and params < 0:
            return f"negative value ({_fmt(params)})"
        return None
    if not isinstance(params, list | tuple):
        return "expected a list of numbers"
    bad = _finite(params)
    if bad:
        return bad
    vals = [float(v) for v in params]
    if nonnegative and any(v < 0 for v in vals):
        return f"negative value ({_fmt(min(vals))})"
    if kind == "samples":
        if not vals:
            return "samples must not be empty"
        return None
    need = {"uniform": 2, "integers": 2, "triangular": 3, "pert": 3}[kind]
    if len(vals) != need:
        names = "[low, high]" if need == 2 else "[low, mode, high]"
        return f"expected {names}, got {len(vals)} values"
    if kind == "integers" and any(v != int(v) for v in vals):
        return "integers bounds must be whole numbers"
    if need == 2:
        lo, hi = vals
        if lo > hi:
            return f"low ({_fmt(lo)}) > high ({_fmt(hi)})"
        return None
    lo, mode, hi = vals
    if lo > mode:
        return f"low ({_fmt(lo)}) > mode ({_fmt(mode)})"
    if mode > hi:
        return f"mode ({_fmt(mode)}) > high ({_fmt(hi)})"
    return None


def lognormal_fit(p10: float, p90: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal whose 10 % and 90 % quantiles are p10 and p90."""
    lo, hi = math.log(p10), math.log(p90)
    return (lo + hi) / 2.0, (hi - lo) / (2.0 * Z90)


def pert_shape(low: float, mode: float, high: float) -> tuple[float, float]:
    """Beta shape parameters (alpha, beta) of the Beta-PERT on [low, high] (lambda = 4)."""
    if high == low:
        return 1.0, 1.0
    alpha = 1.0 + PERT_LAMBDA * (mode - low) / (high - low)
    beta = 1.0 + PERT_LAMBDA * (high - mode) / (high - low)
    return alpha, beta


def _numba_ready() -> None:
    """Prepare Numba before the first (cached) Numba call, as the engines do: compiling a
    scenario with a PERT runs the Beta code of rng.py before any kernel is loaded."""
    from portfolio_sim.jit_cache import ensure_fresh

    ensure_fresh()


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def beta_cdf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """The exact regularised incomplete Beta function I_x(a, b) (the Beta(a, b) CDF), to
    about 1e-15 relative, for a, b >= 1 (every Beta-PERT shape); no scipy."""
    from portfolio_sim.rng import beta_cdf_array  # Numba: not on validate's path

    _numba_ready()
    x = np.asarray(x, dtype=np.float64)
    flat = np.ascontiguousarray(x.reshape(-1))
    return beta_cdf_array(flat, float(a), float(b), _log_beta(a, b)).reshape(x.shape)


def beta_pdf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """The Beta(a, b) density (a, b >= 1)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - _log_beta(a, b))


def beta_quantile(v: np.ndarray, a: float, b: float) -> np.ndarray:
    """The exact v-quantile of Beta(a, b) for 0 < v <= 1/2 (a, b >= 1), to about 1e-15
    relative (Newton's method on :func:`beta_cdf`, see ``rng.beta_quantile_array``)."""
    from portfolio_sim.rng import beta_quantile_array

    _numba_ready()
    v = np.asarray(v, dtype=np.float64)
    flat = np.ascontiguousarray(v.reshape(-1))
    return beta_quantile_array(flat, float(a), float(b), _log_beta(a, b)).reshape(v.shape)


@functools.lru_cache(maxsize=256)
def pert_tables(alpha: float, beta: float) -> np.ndarray:
    """The two quantile tables of Beta(alpha, beta) (rng.quantile_table): the left one of
    x = Q(v) for u = v < 1/2, the right one of 1 - Q(1 - v), i.e. the left table of
    Beta(beta, alpha), for u = 1 - v > 1/2. Nodes are exact (:func:`beta_quantile`); the
    slopes are 1 / density. Error bound: docs/model.md §4.4. About 1.5 ms a shape, cached
    (variants and sweeps compile the same estimates again); read-only."""
    from portfolio_sim.rng import quantile_table, table_nodes

    v = table_nodes()
    out = []
    for a, b in ((alpha, beta), (beta, alpha)):
        inner = beta_quantile(v[:, :-1].reshape(-1), a, b).reshape(len(v), -1)
        # a level's last node is the next level's first: the same number, so the table
        # is continuous to the bit
        top = np.concatenate([beta_quantile(v[:1, -1], a, b), inner[:-1, 0]])
        q = np.column_stack([inner, top])
        out.append(quantile_table(q, 1.0 / beta_pdf(q, a, b)))
    tables = np.concatenate(out)
    tables.flags.writeable = False  # shared by the cache (about 54 kB a shape)
    return tables


def encode(kind: str, params: Any) -> tuple[int, np.ndarray]:
    """Turn a validated distribution into (code, float64 parameter vector) for the kernels.

    Layouts: fixed [x]; uniform [lo, hi]; triangular [lo, mode, hi]; pert [lo, mode, hi,
    alpha, beta, left and right quantile tables (see :func:`pert_tables`; none when
    low = high)]; lognormal
    [mu, sigma]; samples [s0, s1, ...]; integers [lo, hi].
    """
    code = KINDS[kind]
    if kind == "fixed":
        return code, np.array([float(params)])
    if kind == "lognormal":
        return code, np.array(lognormal_fit(float(params["p10"]), float(params["p90"])))
    vals = [float(v) for v in params]
    if kind == "pert":
        a, b = pert_shape(*vals)
        table = pert_tables(a, b) if vals[2] > vals[0] else np.zeros(0)
        return code, np.concatenate([[*vals, a, b], table])
    return code, np.array(vals, dtype=np.float64)


def mean(kind: str, params: Any) -> float:
    """Exact mean of a validated distribution."""
    if kind == "fixed":
        return float(params)
    if kind == "lognormal":
        mu, sigma = lognormal_fit(float(params["p10"]), float(params["p90"]))
        return math.exp(mu + sigma * sigma / 2.0)
    vals = [float(v) for v in params]
    if kind in ("uniform", "integers"):
        return (vals[0] + vals[1]) / 2.0
    if kind == "triangular":
        return sum(vals) / 3.0
    if kind == "pert":
        lo, mode, hi = vals
        return (lo + PERT_LAMBDA * mode + hi) / (PERT_LAMBDA + 2.0)
    return float(np.mean(vals))  # samples


def quantile(kind: str, params: Any, q: float) -> float:
    """Exact q-quantile where a closed form exists (not for pert; use scipy in tests)."""
    if kind == "fixed":
        return float(params)
    if kind == "lognormal":
        from statistics import NormalDist

        if q <= 0.0:
            return 0.0
        if q >= 1.0:
            return math.inf
        mu, sigma = lognormal_fit(float(params["p10"]), float(params["p90"]))
        return math.exp(mu + sigma * NormalDist().inv_cdf(q))
    vals = [float(v) for v in params]
    if kind == "uniform":
        return vals[0] + q * (vals[1] - vals[0])
    if kind == "integers":
        ilo, ihi = int(vals[0]), int(vals[1])
        return float(ilo + min(ihi - ilo, max(0, math.ceil(q * (ihi - ilo + 1) - 1e-9) - 1)))
    if kind == "triangular":
        lo, mode, hi = vals
        if hi == lo:
            return lo
        fc = (mode - lo) / (hi - lo)
        if q < fc:
            return lo + math.sqrt(q * (hi - lo) * (mode - lo))
        return hi - math.sqrt((1 - q) * (hi - lo) * (hi - mode))
    if kind == "samples":
        s = np.sort(np.asarray(vals))
        return float(s[max(0, math.ceil(q * len(s) - 1e-9) - 1)])
    raise ValueError(f"no closed-form quantile for {kind}")


def sample(kind: str, params: Any, size: int, rng: np.random.Generator) -> np.ndarray:
    """Reference sampler on numpy's Generator (tests and the plain-numpy baseline)."""
    if kind == "fixed":
        return np.full(size, float(params))
    if kind == "lognormal":
        mu, sigma = lognormal_fit(float(params["p10"]), float(params["p90"]))
        return rng.lognormal(mu, sigma, size)
    vals = [float(v) for v in params]
    if kind == "uniform":
        return rng.uniform(vals[0], vals[1], size)
    if kind == "integers":
        return rng.integers(int(vals[0]), int(vals[1]), size, endpoint=True).astype(float)
    if kind == "triangular":
        lo, mode, hi = vals
        if hi == lo:
            return np.full(size, lo)
        return rng.triangular(lo, mode, hi, size)
    if kind == "pert":
        lo, mode, hi = vals
        if hi == lo:
            return np.full(size, lo)
        a, b = pert_shape(lo, mode, hi)
        return lo + (hi - lo) * rng.beta(a, b, size)
    return rng.choice(np.asarray(vals), size)  # samples
