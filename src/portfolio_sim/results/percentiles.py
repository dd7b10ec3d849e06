"""The percentile rule of MODEL.md §8, in one place.

The p-th percentile is the smallest value v such that at least p % of trials are <= v
(the "inverted CDF" rule, numpy's ``method="inverted_cdf"``). We compare in integers
(``100 * count >= p * n``) so that P50 of 1,000,000 trials is never off by one through
float round-off.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The percentiles every forecast reports.
DATE_PERCENTILES: tuple[int, ...] = (10, 50, 85, 95)
MONEY_PERCENTILES: tuple[int, ...] = (10, 50, 80, 90)


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


def sample_percentiles(values: np.ndarray, ps: Sequence[float]) -> np.ndarray:
    """Inverted-CDF percentiles of per-trial values along the last axis."""
    values = np.asarray(values)
    return np.percentile(values, list(ps), axis=-1, method="inverted_cdf").T
