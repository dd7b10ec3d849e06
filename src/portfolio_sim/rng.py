"""Keyed, counter-based random streams shared by both engines (docs/model.md §7).

Every random number is a pure function of ``(seed, entity, trial, draw index)``::

    key = stream_key(seed, "feature", "payments-api")   # once, at compile time
    u   = uniform(key, trial, index)                       # in the hot loop, no state

There is no generator state to carry, seed or split, so results do not depend on the
number of threads, processes or chunks, and adding or removing an entity leaves every
other entity's draws unchanged (common random numbers across variants).

The generator is a counter-based hash in the SplitMix64 family: the 64-bit stream key and
the trial are mixed by one round of the SplitMix64 finaliser, then the draw index by a
second round. SplitMix64 passes BigCrush; two rounds decorrelate neighbouring keys,
trials and indices. ``uniform`` returns a double with 53 random bits, (k + 1/2) 2^-53 for
a 53-bit k: in (0, 1), except that the largest k rounds to exactly 1.0 (chance 2^-53;
every sampler handles it, see docs/model.md §4.9).

Draw indices: an entity owns *slots* (0 = size, 1 = growth, ...; a throughput team's
slot is its period number). A slot may consume several uniforms (the money model's
sub-draws); they use the sub-indices ``slot * SUBSTREAM + j``. A distribution sample
uses one uniform, sub-index ``slot * SUBSTREAM``.

:func:`draw` turns one uniform into a sample of a distribution encoded by
:func:`portfolio_sim.distributions.encode`, by its inverse CDF (docs/model.md §4). Both
engines call it, so the same ``(seed, trial, entity)`` gives the same sampled size in
either engine. Closed forms serve where they are cheap (uniform, integers, samples,
triangular); the Beta behind Beta-PERT and the standard normal behind the lognormal are
inverted by *quantile tables*: cubic Hermite interpolation of the exact quantile function
on a dyadic grid (:func:`quantile_table`), with an error below 1e-6 of the range (PERT)
and 1e-7 in z (normal), stated in docs/model.md §4.9 and tested in
tests/test_quantile_tables.py. One uniform a draw keeps every stream trivially
independent of threads and batching, and lets correlated estimates use a Gaussian copula.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from portfolio_sim.codes import EPS

SUBSTREAM = 1 << 16

#: Numba options for kernels that never allocate: no reference counting of array
#: arguments. Numba otherwise increments and decrements (atomically) the refcount of every
#: array passed to a function and of every array an inlined helper receives; in the event
#: loop that bookkeeping cost more than the simulation itself (measured: 1.8-2.4x slower).
#: Functions compiled with it must not create arrays (no np.empty, no sort of a view).
#: ``_nrt`` is a private Numba option: tests/test_library_internals.py pins it.
NO_REFCOUNT: dict[str, Any] = {"_nrt": False}

_G1 = np.uint64(0x9E3779B97F4A7C15)
_G2 = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO53 = 1.0 / 9007199254740992.0

# Codes shared with distributions.KINDS (kept literal so this module imports no scenario code).
FIXED, UNIFORM, TRIANGULAR, PERT, LOGNORMAL, SAMPLES, INTEGERS = range(7)


def stream_key(seed: int, kind: str, entity_id: str) -> int:
    """The 64-bit key of an entity's stream: a hash of the seed, its kind and its id."""
    h = hashlib.blake2b(f"{int(seed)}\x1f{kind}\x1f{entity_id}".encode(), digest_size=8)
    return int.from_bytes(h.digest(), "little")


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _mix(x):
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True, **NO_REFCOUNT)
def uniform(key: int, trial: int, index: int) -> float:
    """The uniform in (0, 1] (1.0 with chance 2^-53) at ``index`` of ``key``'s stream in
    ``trial``."""
    x = _mix(np.uint64(key) + np.uint64(trial) * _G1)
    x = _mix(x ^ (np.uint64(index) * _G2 + _G1))
    return (float(x >> _S11) + 0.5) * _TWO53


#: Quantile tables (see :func:`quantile_table`): the half ``v = min(u, 1 - u)`` of the unit
#: interval is cut at the powers of two into ``TABLE_LEVELS`` levels, level ``i`` covering
#: ``[2^-(i+2), 2^-(i+1))`` (53 levels reach the smallest uniform, 2^-54), and each level
#: into ``TABLE_CELLS`` equal cells of four cubic coefficients.
TABLE_LEVELS = 53
TABLE_BITS = 4
TABLE_CELLS = 1 << TABLE_BITS
TABLE_SIZE = 4 * TABLE_LEVELS * TABLE_CELLS


def table_nodes() -> np.ndarray:
    """The grid of :func:`quantile_table`: ``v[i, j]`` for level ``i`` and node ``j``
    (``TABLE_CELLS + 1`` nodes a level; a level's last node is the next level's first)."""
    i = np.arange(TABLE_LEVELS, dtype=np.float64)[:, None]
    j = np.arange(TABLE_CELLS + 1, dtype=np.float64)[None, :]
    return (1.0 + j / TABLE_CELLS) * np.exp2(-(i + 2.0))


def quantile_table(q: np.ndarray, dq: np.ndarray) -> np.ndarray:
    """Cubic Hermite coefficients of a quantile function from its exact values ``q`` and
    derivatives ``dq`` (d quantile / d v) at :func:`table_nodes` (both shaped like it).

    Cell ``(i, j)`` maps its position ``t`` in [0, 1) to ``c0 + t (c1 + t (c2 + t c3))``,
    the cubic with the quantile's value and slope at both ends. Its error is at most
    ``h^4 / 384 max |Q''''|`` over the cell, ``h`` the cell width in v (the Hermite
    remainder), largest at the cell's middle; docs/model.md §4 states the resulting bound.
    """
    h = (np.exp2(-(np.arange(TABLE_LEVELS, dtype=np.float64) + 2.0)) / TABLE_CELLS)[:, None]
    y0, y1 = q[:, :-1], q[:, 1:]
    d0, d1 = dq[:, :-1] * h, dq[:, 1:] * h
    c2 = 3.0 * (y1 - y0) - 2.0 * d0 - d1
    c3 = 2.0 * (y0 - y1) + d0 + d1
    return np.ascontiguousarray(np.stack([y0, d0, c2, c3], axis=-1).reshape(-1), np.float64)


def _normal_table() -> np.ndarray:
    """:func:`quantile_table` of the standard normal on v < 1/2 (z < 0): z = Phi^-1(v) by
    the standard library (Wichura's AS241, about 1e-16), dz/dv = 1 / phi(z)."""
    from statistics import NormalDist

    inv = NormalDist().inv_cdf
    z = np.array([[inv(float(x)) for x in row] for row in table_nodes()])
    return quantile_table(z, math.sqrt(2.0 * math.pi) * np.exp(0.5 * z * z))


#: The standard normal quantile table of every lognormal (a constant of the jitted code).
NORMAL_TABLE = _normal_table()


def _float_bits_typer(typingctx: Any, x: Any) -> Any:
    """The IEEE-754 bits of a float64 as an int64 (one LLVM bitcast, no memory)."""
    sig = types.int64(types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


_float_bits: Any = intrinsic(_float_bits_typer)
_MANTISSA_LOW = (1 << (52 - TABLE_BITS)) - 1
_MANTISSA_SCALE = 1.0 / (1 << (52 - TABLE_BITS))


@njit(cache=True, inline="always", **NO_REFCOUNT)
def table_lookup(table: np.ndarray, off: int, v: float) -> float:
    """The tabled quantile at ``v`` in [2^-54, 1/2) of the table at ``table[off:]``.

    The cell is read off v's bits: its binary exponent is the level (v in
    [2^-(i+2), 2^-(i+1)) has exponent field 1021 - i), the top ``TABLE_BITS`` mantissa
    bits the cell, the other 48 bits the position t in the cell, exactly."""
    b = _float_bits(v)
    i = min(max(1021 - (b >> 52), 0), TABLE_LEVELS - 1)
    j = (b >> (52 - TABLE_BITS)) & (TABLE_CELLS - 1)
    t = float(b & _MANTISSA_LOW) * _MANTISSA_SCALE
    c = off + 4 * (i * TABLE_CELLS + j)
    return table[c] + t * (table[c + 1] + t * (table[c + 2] + t * table[c + 3]))


# -- the exact Beta CDF and quantile (compile-time nodes of the Beta-PERT tables) ----------
# Here rather than in distributions.py because they are Numba code, and distributions must
# stay importable without Numba (``portfolio-sim validate`` never loads it).


@njit(cache=True)
def _beta_series(x: float, a: float, b: float, log_b: float) -> float:
    """I_x(a, b) for 0 < x <= 1/2 by the positive series
    x^a (1-x)^b / (a B(a, b)) * sum_n (a+b)_n / (a+1)_n x^n: no cancellation, summed until
    a term adds under 1e-17 of the total (the term ratio tends to x <= 1/2, so the rest
    is below twice the last term)."""
    lead = math.exp(a * math.log(x) + b * math.log1p(-x) - log_b) / a
    term = 1.0
    total = 1.0
    for n in range(2000):
        term *= (a + b + n) / (a + 1.0 + n) * x
        total += term
        if term < 1e-17 * total:
            break
    return lead * total


@njit(cache=True)
def _beta_cdf(x: float, a: float, b: float, log_b: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x <= 0.5:
        return _beta_series(x, a, b, log_b)
    return 1.0 - _beta_series(1.0 - x, b, a, log_b)


@njit(cache=True)
def _beta_quantile(v: float, a: float, b: float, log_b: float, x0: float) -> float:
    """Newton's method on log F(x) = log v in log x from ``x0`` (or, if that is 0, from
    the left tail's power law F ~ x^a / (a B(a, b)), where log F is nearly linear in
    log x), kept inside a shrinking bisection bracket so that it always converges; two
    steps after the step falls under 1e-9 of x (quadratic convergence) reach the last
    bit."""
    lo = 0.0
    hi = 1.0
    x = x0 if x0 > 0.0 else math.exp((math.log(v) + math.log(a) + log_b) / a)
    x = min(max(x, 1e-300), 0.5)
    close = 0
    for _ in range(400):
        c = _beta_cdf(x, a, b, log_b)
        if c <= v:
            lo = x
        if c >= v:
            hi = x
        pdf = math.exp((a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) - log_b)
        nx = x * math.exp(-(math.log(c) - math.log(v)) * c / (pdf * x)) if c > 0.0 else -1.0
        if not (lo <= nx <= hi):
            nx = 0.5 * (lo + hi)
        close = close + 1 if abs(nx - x) <= 1e-9 * nx else 0
        x = nx
        if close == 2:
            break
    return x


@njit(cache=True)
def beta_cdf_array(x: np.ndarray, a: float, b: float, log_b: float) -> np.ndarray:
    """The Beta(a, b) CDF at every ``x`` (a, b >= 1; ``log_b`` = ln B(a, b)); see
    ``distributions.beta_cdf``."""
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = _beta_cdf(x[i], a, b, log_b)
    return out


@njit(cache=True)
def beta_quantile_array(v: np.ndarray, a: float, b: float, log_b: float) -> np.ndarray:
    """Beta(a, b) quantiles at every ``v`` in (0, 1/2], each Newton solve started from its
    neighbour's answer when that is near (v within 10 %); see
    ``distributions.beta_quantile``."""
    out = np.empty(v.size)
    for i in range(v.size):
        near = i > 0 and 0.9 < v[i] / v[i - 1] < 1.1
        out[i] = _beta_quantile(v[i], a, b, log_b, out[i - 1] if near else 0.0)
    return out


@njit(cache=True, inline="always", **NO_REFCOUNT)
def draw(
    code: int,
    pool: np.ndarray,
    off: int,
    n: int,
    key: int,
    trial: int,
    slot: int,
) -> float:
    """A sample of the distribution ``(code, pool[off:off+n])`` from ``key``'s ``slot``.

    Every kind takes one uniform and is sampled here, inlined into the caller (a call
    alone cost 3-4 times a uniform), except the triangular's two-branch closed form
    (:func:`_draw_triangular`); table lookups use selects, not branches, because a branch
    on u < 1/2 is mispredicted half the time (measured: 12 ns against 5 ns a lookup)."""
    base = slot * SUBSTREAM
    if code == FIXED:
        return pool[off]
    if code == SAMPLES:
        i = min(int(uniform(key, trial, base) * n), n - 1)
        return pool[off + i]
    if code == UNIFORM:
        lo = pool[off]
        return lo + uniform(key, trial, base) * (pool[off + 1] - lo)
    if code == INTEGERS:
        lo = pool[off]
        span = pool[off + 1] - lo + 1.0
        k = math.floor(uniform(key, trial, base) * span)
        if k >= span:
            k = span - 1.0
        return lo + k
    if code == PERT:  # [lo, mode, hi, alpha, beta, left table, right table]
        lo = pool[off]
        hi = pool[off + 2]
        if hi == lo:
            return lo
        # x = lo + (hi - lo) Q(u), Q(u) = 1 - Q'(1 - u) above 1/2 (selects, no branch)
        u = uniform(key, trial, base)
        left = u < 0.5
        q = table_lookup(pool, off + 5 + (0 if left else TABLE_SIZE), min(u, 1.0 - u))
        return lo + (hi - lo) * q if left else hi - (hi - lo) * q
    if code == LOGNORMAL:  # exp(mu + sigma z), z = -z(1 - u) above 1/2
        u = uniform(key, trial, base)
        z = table_lookup(NORMAL_TABLE, 0, min(u, 1.0 - u))
        return math.exp(pool[off] + pool[off + 1] * (z if u < 0.5 else -z))
    return _draw_triangular(pool, off, key, trial, base)


@njit(cache=True, **NO_REFCOUNT)
def _draw_triangular(pool, off, key, trial, base):
    """A triangular sample by its closed-form inverse CDF (see :func:`draw`)."""
    lo = pool[off]
    mode = pool[off + 1]
    hi = pool[off + 2]
    if hi == lo:
        return lo
    u = uniform(key, trial, base)
    fc = (mode - lo) / (hi - lo)
    if u < fc:
        return lo + math.sqrt(u * (hi - lo) * (mode - lo))
    return hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - mode))


@njit(cache=True, inline="always", **NO_REFCOUNT)
def sample_index(n: int, key: int, trial: int, slot: int) -> int:
    """The index :func:`draw` picks from ``n`` samples at ``key``'s ``slot`` in ``trial``
    (``draw`` gives ``pool[off + sample_index(...)]``): the bootstrapped history period of
    a team with throughput by type (docs/model.md §2.10)."""
    return min(int(uniform(key, trial, slot * SUBSTREAM) * n), n - 1)


@njit(cache=True, inline="always", **NO_REFCOUNT)
def whole_items(x: float) -> int:
    """A drawn number of items as a whole count: rounded up, but a float within EPS above
    an integer stays that integer (4.0000000001 -> 4), docs/model.md §3. Not clipped: the
    caller keeps sizes at or above 0."""
    return math.ceil(x - EPS)


@njit(cache=True, inline="always", **NO_REFCOUNT)
def period_items(x: float) -> float:
    """A throughput draw as the items a period completes (docs/model.md §2): rounded half
    up, never below 0. A float (``np.floor``; ``math.floor`` would give an int64)."""
    return max(np.floor(x + 0.5), 0.0)


# -- correlated estimates: a one-factor Gaussian copula (docs/model.md §4.10) --------------

_SQRT_HALF = math.sqrt(0.5)


@njit(cache=True, inline="always", **NO_REFCOUNT)
def normal_quantile(u: float) -> float:
    """z = Phi^-1(u) from the standard normal quantile table (|error| < 1e-7, §4.9)."""
    z = table_lookup(NORMAL_TABLE, 0, min(u, 1.0 - u))
    return z if u < 0.5 else -z


@njit(cache=True, inline="always", **NO_REFCOUNT)
def normal_cdf(z: float) -> float:
    """Phi(z) = erfc(-z / sqrt 2) / 2 (the C library's erfc, relative error ~1e-16)."""
    return 0.5 * math.erfc(-z * _SQRT_HALF)


@njit(cache=True, **NO_REFCOUNT)
def copula_uniform(
    group_key: int, key: int, trial: int, slot: int, load: float, rest: float
) -> float:
    """The uniform of a feature's ``slot`` in a correlation group (docs/model.md §4.10):
    u = Phi(load z_g + rest e), z_g = Phi^-1 of the group stream's draw 0 in ``trial``
    (shared by the group's members), e = Phi^-1 of the feature's own uniform of ``slot``
    (the one :func:`draw` would use), ``load`` = sqrt(r), ``rest`` = sqrt(1 - r) for the
    groups' normal correlation r. u is uniform on (0, 1) for every member; two members'
    normal scores have correlation r."""
    zg = normal_quantile(uniform(group_key, trial, 0))
    e = normal_quantile(uniform(key, trial, slot * SUBSTREAM))
    return normal_cdf(load * zg + rest * e)


@njit(cache=True, **NO_REFCOUNT)
def draw_at(code: int, pool: np.ndarray, off: int, n: int, u: float) -> float:
    """A sample of the distribution ``(code, pool[off:off+n])`` at the given uniform ``u``:
    the same inverse CDF as :func:`draw` (which reads ``u`` from a stream); used where ``u``
    comes from the copula. tests/test_correlation.py checks the two agree bit for bit."""
    if code == FIXED:
        return pool[off]
    if code == SAMPLES:
        i = min(int(u * n), n - 1)
        return pool[off + i]
    if code == UNIFORM:
        lo = pool[off]
        return lo + u * (pool[off + 1] - lo)
    if code == INTEGERS:
        lo = pool[off]
        span = pool[off + 1] - lo + 1.0
        k = math.floor(u * span)
        if k >= span:
            k = span - 1.0
        return lo + k
    if code == PERT:
        lo = pool[off]
        hi = pool[off + 2]
        if hi == lo:
            return lo
        left = u < 0.5
        q = table_lookup(pool, off + 5 + (0 if left else TABLE_SIZE), min(u, 1.0 - u))
        return lo + (hi - lo) * q if left else hi - (hi - lo) * q
    if code == LOGNORMAL:
        z = table_lookup(NORMAL_TABLE, 0, min(u, 1.0 - u))
        return math.exp(pool[off] + pool[off + 1] * (z if u < 0.5 else -z))
    lo = pool[off]
    mode = pool[off + 1]
    hi = pool[off + 2]
    if hi == lo:
        return lo
    fc = (mode - lo) / (hi - lo)
    if u < fc:
        return lo + math.sqrt(u * (hi - lo) * (mode - lo))
    return hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
