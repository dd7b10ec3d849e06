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
trials and indices. ``uniform`` returns a double in the open interval (0, 1) with 53
random bits.

Draw indices: an entity owns *slots* (0 = size, 1 = growth, ...; a throughput team's
slot is its period number). A slot may consume several uniforms (Box-Muller, rejection
sampling); they use the sub-indices ``slot * SUBSTREAM + j``.

:func:`draw` turns uniforms into a sample of a distribution encoded by
:func:`portfolio_sim.distributions.encode`. Both engines call it, so the same
``(seed, trial, entity)`` gives the same sampled size in either engine. All samplers are
exact: inverse CDFs in closed form where they exist, Box-Muller for the lognormal, and
for the Beta behind Beta-PERT rejection from a tabled piecewise-constant envelope
(``distributions.beta_envelope``: an alias-table bin, a point, a height; about 3.1
uniforms and almost never a logarithm per draw), instead of a costly inverse Beta CDF or
gamma-variate ratios.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
from numba import njit

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
    """The uniform in (0, 1) at ``index`` of ``key``'s stream in ``trial``."""
    x = _mix(np.uint64(key) + np.uint64(trial) * _G1)
    x = _mix(x ^ (np.uint64(index) * _G2 + _G1))
    return (float(x >> _S11) + 0.5) * _TWO53


@njit(cache=True, **NO_REFCOUNT)
def _beta_envelope(a, b, pool, off, bins, key, trial, base):
    """Beta(a, b) by exact rejection from the tabled envelope of
    ``distributions.beta_envelope`` at ``pool[off:]``; uniforms from sub-index ``base``."""
    prob = off
    alias = off + bins
    upper = off + 2 * bins
    lower = off + 3 * bins
    w = 1.0 / bins
    j = 0
    while j < 3 * 200:
        u = uniform(key, trial, base + j) * bins
        k = min(int(u), bins - 1)
        if u - k >= pool[prob + k]:
            k = int(pool[alias + k])
        x = (k + uniform(key, trial, base + j + 1)) * w
        y = uniform(key, trial, base + j + 2) * pool[upper + k]
        j += 3
        if y <= pool[lower + k]:
            return x
        if x > 0.0 and x < 1.0:
            g = math.exp((a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x))
            if y <= g:
                return x
    return (a - 1.0) / (a + b - 2.0)  # unreachable in practice: 200 rejections in a row


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

    Kept small on purpose: the one-uniform distributions are sampled here, where LLVM
    inlines them into the caller, and the rest in :func:`_draw_shaped`. A single large
    sampler is never inlined, and the call alone cost 3-4 times a uniform."""
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
    return _draw_shaped(code, pool, off, key, trial, base)


@njit(cache=True, **NO_REFCOUNT)
def _draw_shaped(code, pool, off, key, trial, base):
    """Triangular, Beta-PERT and lognormal samples (see :func:`draw`)."""
    if code == TRIANGULAR:
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
    if code == PERT:
        lo = pool[off]
        hi = pool[off + 2]
        if hi == lo:
            return lo
        a = pool[off + 3]
        b = pool[off + 4]
        if a == 1.0:  # Beta(1, b): closed-form inverse CDF
            x = 1.0 - (1.0 - uniform(key, trial, base)) ** (1.0 / b)
        elif b == 1.0:  # Beta(a, 1)
            x = uniform(key, trial, base) ** (1.0 / a)
        else:
            x = _beta_envelope(a, b, pool, off + 6, np.int64(pool[off + 5]), key, trial, base)
        return lo + (hi - lo) * x
    # LOGNORMAL
    u1 = uniform(key, trial, base)
    u2 = uniform(key, trial, base + 1)
    z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return math.exp(pool[off] + pool[off + 1] * z)


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
