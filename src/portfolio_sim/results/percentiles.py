"""The percentile rule of docs/model.md §8, in one place.

The p-th percentile is the smallest value v such that at least p % of trials are <= v
(the "inverted CDF" rule, numpy's ``method="inverted_cdf"``). We compare in integers
(``100 * count >= p * n``) so that P50 of 1,000,000 trials is never off by one through
float round-off.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

#: The percentiles every forecast reports.
DATE_PERCENTILES: tuple[int, ...] = (10, 50, 85, 95)
MONEY_PERCENTILES: tuple[int, ...] = (10, 50, 80, 90)
#: The percentiles of NPV, value, discounted cost and capex by default.
VALUE_PERCENTILES: tuple[int, ...] = (10, 50, 90)

Level = int | float


def level_key(p: float) -> str:
    """The output key of percentile level ``p``: ``p80``; a decimal level ``97.5`` is
    ``p97_5`` (snake_case, no dot)."""
    f = float(p)
    if f.is_integer():
        return f"p{int(f)}"
    return "p" + repr(f).replace(".", "_")


def check_levels(levels: Sequence[float]) -> tuple[Level, ...]:
    """User-chosen percentile levels, validated: numbers strictly between 0 and 100, at
    least one, no duplicates, in increasing order. Whole numbers come back as ``int``
    (so keys read ``p80``). Raises :class:`~portfolio_sim.errors.InputError`."""
    from portfolio_sim.errors import InputError

    if isinstance(levels, str | bytes) or not isinstance(levels, Sequence) or not levels:
        raise InputError(f"percentiles must be a non-empty list of numbers, got {levels!r}")
    out: list[Level] = []
    for p in levels:
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < float(p) < 100:
            raise InputError(f"percentile levels must be numbers in (0, 100), got {p!r}")
        f = float(p)
        out.append(int(f) if f.is_integer() else f)
    if len(set(out)) != len(out):
        raise InputError(f"percentile levels listed twice: {', '.join(map(str, out))}")
    if out != sorted(out):
        raise InputError(
            f"percentile levels must be in increasing order, got {', '.join(map(str, out))}"
        )
    return tuple(out)


def hist_percentiles(counts: np.ndarray, ps: Sequence[float]) -> np.ndarray:
    """Percentile bins of a histogram (last axis), as int64 bin indices.

    ``counts[..., b]`` is the number of trials whose value falls in bin b (bins in
    increasing order). Returns, for each p, the smallest b with
    ``cum[b] * 100 >= p * n``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    cum = np.cumsum(counts, axis=-1)
    n = cum[..., -1:]
    out = []
    for p in ps:
        need = (
            cum * 100 >= np.round(p * n).astype(np.int64)
            if float(p).is_integer()
            else (cum * 100.0 >= p * n)
        )
        out.append(np.argmax(need, axis=-1))
    return np.stack(out, axis=-1).astype(np.int64)


def inverted_cdf_ranks(n: int, ps: Sequence[float]) -> np.ndarray:
    """The 0-based order statistics (int indexes into n sorted values) that
    ``np.percentile(..., method="inverted_cdf")`` returns for ``ps``: the same call on
    ``0, 1, ..., n-1``, so that the rule is numpy's own, float round-off included."""
    return _ranks(int(n), tuple(float(p) for p in ps)).copy()


@functools.lru_cache(maxsize=64)
def _ranks(n: int, ps: tuple[float, ...]) -> np.ndarray:
    ranks = np.percentile(np.arange(n, dtype=np.float64), list(ps), method="inverted_cdf")
    return np.asarray(ranks).astype(np.intp)


def sortable(values: np.ndarray) -> bool:
    """True when sorting ``values`` and taking :func:`inverted_cdf_ranks` gives exactly
    what ``np.percentile`` gives: no NaN or infinity (numpy has its own rules for them)
    and no -0.0 (which of two equal zeros numpy picks is not defined)."""
    values = np.asarray(values)
    if values.size == 0:
        return True
    # min and max carry any NaN and show any infinity: two passes without temporaries
    lo, hi = values.min(), values.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    if lo > 0 or hi < 0:
        return True  # no zero at all
    return not bool(np.signbit(values[values == 0]).any())


def sample_percentiles(values: np.ndarray, ps: Sequence[float]) -> np.ndarray:
    """Inverted-CDF percentiles of per-trial values along the last axis.

    Equal to ``np.percentile(values, ps, axis=-1, method="inverted_cdf").T``. That call
    moves the axis to the front and partitions along it (slow for rows of 100,000s of
    trials); for float64 data of one or two axes we partition each row at exactly the
    order statistics it needs (:func:`inverted_cdf_ranks`; the values of a full sort at
    those ranks, in linear time). Other data (see :func:`sortable`, other dtypes or
    shapes) go through numpy."""
    values = np.asarray(values)
    ps = list(ps)
    n = values.shape[-1] if values.ndim else 0
    if values.dtype == np.float64 and values.ndim in (1, 2) and n > 0 and ps and sortable(values):
        ranks = inverted_cdf_ranks(n, ps)
        rows = np.array(values, order="C")  # a copy, rows contiguous
        rows.partition(ranks, axis=-1)
        return rows[..., ranks]
    return np.percentile(values, ps, axis=-1, method="inverted_cdf").T
