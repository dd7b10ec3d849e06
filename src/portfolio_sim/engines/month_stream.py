"""Exact monthly and quarterly money statistics, fed batch by batch (no trials x months
arrays kept).

The results layer reports, per month, P10/P50/P90 and the mean of cost, capex, opex
(cost - capex) and cumulative cost, and per budget quarter P50/P80/P90 of its cost and
the number of trials over its budget (docs/model.md §6, §8). Keeping the per-trial
month arrays for that costs ``trials x months x 8`` bytes (384 MB at a million trials of
48 months); this module computes the same numbers, bit for bit, from batches of trials:

* Means: each month's sum is added trial after trial in trial order, in float64, which
  is how numpy's ``arr.mean(axis=0)`` adds a C-contiguous trials x months array of two
  or more columns (one column is summed pairwise: such runs keep their arrays).
* Percentiles (the inverted-CDF rule of docs/model.md §8, numpy's order statistics
  ``np.sort(x)[rank]``): for every series and rank a window ``[lo, hi]`` of values is
  kept, with exact counts of the values below and above it. The first batch (the pilot)
  places each window around its rank with a margin of :data:`Z` standard errors of the
  sample quantile; the windows narrow as trials accumulate (:meth:`MonthStream.feed`).
  At the end, when the rank falls inside its window (``below <= rank < below + kept``),
  the answer is the ``rank - below``-th smallest kept value: exact, whatever the data.
  When it does not (a window missed: about ``exp(-Z**2 / 2)`` per window for independent
  trials), or a value is NaN, infinite or -0.0 (numpy's own rules decide those),
  :meth:`MonthStream.finish` returns None and the engine runs the trials again keeping
  the arrays (same numbers: trial ``i`` always draws the same stream).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from portfolio_sim.codes import BUDGET_RTOL

#: Percentiles of the monthly bands and of each budget quarter's cost.
BAND_PS = (10, 50, 90)
QUARTER_PS = (50, 80, 90)
#: Half-width of a window in standard errors of the sample quantile.
Z = 6.0
#: Trials of the first batch that place the windows.
PILOT = 1 << 14
#: Minimum half-width of a window, in ranks.
MIN_HALF = 64
SERIES = ("cost", "capex", "opex", "cumulative")
#: Batches of at least this many trials x months are classified in two threads.
PARALLEL_FROM = 1 << 16
#: Trials per tile of :func:`_feed`.
TILE = 2048
#: Trials per batch fed by :func:`stream_arrays` (the engine's ``STREAM_BATCH``).
STREAM_BATCH = 1 << 16
#: Fewer kept trials than this are left to the results layer's sorts by
#: :func:`stream_arrays` (the windows would hold most values anyway).
MIN_TRIALS = 1 << 15


@functools.lru_cache(maxsize=16)
def order_ranks(n: int, ps: tuple[int, ...]) -> np.ndarray:
    """The 0-based order statistics that ``np.percentile(..., method="inverted_cdf")``
    returns for ``ps`` over ``n`` values (numpy's own rule, round-off included)."""
    ranks = np.percentile(np.arange(n, dtype=np.float64), list(ps), method="inverted_cdf")
    return np.asarray(ranks).astype(np.int64)


@njit(cache=True, nogil=True)
def _column(rows, r, n, s, k_per, lo, hi, below, above, eq_lo, eq_hi, n_in, off, cap, pool):
    """The values ``rows[r, :n]`` of series ``s`` into that series' windows (see
    :func:`_feed`; a row of a C-contiguous 2-d array: the counting loop vectorises).
    Window by window over a column, the counts stay in registers: several times faster
    than trial by trial. One branch-free pass counts the values below, above and on
    the bounds; only when some fall strictly inside (a few per tile once the windows
    have narrowed) does a second pass copy those, in trial order, into the pool."""
    col = rows[r]
    for w in range(s * k_per, (s + 1) * k_per):
        lo_w = lo[w]
        hi_w = hi[w]
        under = 0
        over = 0
        e_lo = 0
        e_hi = 0
        for i in range(n):  # branch-free: vectorises
            v = col[i]
            under += v < lo_w
            over += v > hi_w
            e_lo += v == lo_w
            e_hi += v == hi_w
        below[w] += under
        above[w] += over
        eq_lo[w] += e_lo
        if lo_w != hi_w:  # one value: counted once
            eq_hi[w] += e_hi
        elif under + over + e_lo == n:
            continue
        if under + over + e_lo + e_hi == n:
            continue  # nothing strictly inside (NaNs aside: they make the run fail)
        # the few values strictly inside, in trial order (a rarely taken branch)
        kept = n_in[w]
        o = off[w] + kept
        room = max(cap[w] - kept, 0)
        j = 0
        for i in range(n):
            v = col[i]
            if v > lo_w and v < hi_w:
                if j < room:
                    pool[o + j] = v
                j += 1
        n_in[w] = kept + j


@njit(cache=True, nogil=True)
def _odd(v):
    """NaN, infinity or -0.0: numpy's own percentile rules decide those."""
    return (v - v != 0.0) | ((v == 0.0) & np.signbit(v))


@njit(cache=True, nogil=True)
def _feed(cost, capex, qcost, qlimit, part, win, sums, over, bad):
    """Classify a batch: trials (rows) of float32 ``cost``/``capex`` [n, M] and float64
    ``qcost`` [n, Q] into the windows ``win`` (the arguments of :func:`_column` after
    the series; series: M cost, M capex, M opex, M cumulative, Q quarters). Adds month
    sums in trial order, counts quarters over ``qlimit``, and sets ``bad[part]`` on a
    NaN, infinity or -0.0. ``part`` 0 does the cost and cumulative series, part 1 capex,
    opex and the quarters (two threads: each writes only its own series)."""
    n, n_m = cost.shape
    n_q = qcost.shape[1]
    # A tile of trials at a time, transposed for the windows, which read one month's
    # column. Rows are padded off a multiple of 4 KiB (else a trial's months all fall
    # in one cache set).
    first = np.empty((n_m, TILE + 8))
    second = np.empty((n_m, TILE + 8))
    quarter = np.empty((n_q, TILE + 8))
    s1 = 0 if part == 0 else n_m  # series of ``first``: cost or capex
    s2 = 3 * n_m if part == 0 else 2 * n_m  # of ``second``: cumulative or opex
    acc1 = sums[s1 : s1 + n_m].copy()
    acc2 = sums[s2 : s2 + n_m].copy()
    odd = False
    for i0 in range(0, n, TILE):
        m = min(TILE, n - i0)
        # one pass in trial order over the tile's rows: the month sums (one chain per
        # month, in trial order) and the tile transposed for the windows, which read one
        # month's column (rows read in order, the columns written as n_m sequential runs)
        for i in range(m):
            running = 0.0
            for k in range(n_m):
                c = np.float64(cost[i0 + i, k])
                if part == 0:
                    running = c if k == 0 else running + c  # as np.cumsum
                    acc1[k] += c
                    acc2[k] += running
                    first[k, i] = c
                    second[k, i] = running
                else:
                    x = np.float64(capex[i0 + i, k])
                    acc1[k] += x
                    acc2[k] += c - x
                    first[k, i] = x
                    second[k, i] = c - x
        for k in range(n_m):
            fk = first[k]
            sk = second[k]
            for i in range(m):  # branch-free: vectorises
                odd |= _odd(fk[i]) | _odd(sk[i])
            _column(first, k, m, s1 + k, *win)
            _column(second, k, m, s2 + k, *win)
        if part == 1:
            for q in range(n_q):
                for i in range(m):
                    v = qcost[i0 + i, q]
                    quarter[q, i] = v
                    over[q] += v > qlimit[q]
                    odd |= _odd(v)
                _column(quarter, q, m, 4 * n_m + q, *win)
    sums[s1 : s1 + n_m] = acc1
    sums[s2 : s2 + n_m] = acc2
    if odd:
        bad[part] = True


class MonthStream:
    """Windows and sums of one run (see the module docstring). Build with
    :meth:`from_pilot` on the first batch, :meth:`feed` every batch (the pilot too, in
    trial order), then :meth:`finish`."""

    def __init__(
        self, trials: int, n_m: int, quarter_budgets: list[float], threads: int = 2
    ) -> None:
        self.trials = trials
        self.threads = threads
        self.n_m = n_m
        self.n_q = len(quarter_budgets)
        self.qlimit = np.array(
            [b + BUDGET_RTOL * max(1.0, abs(b)) for b in quarter_budgets], dtype=np.float64
        )
        n_s = 4 * n_m + self.n_q
        self.k = len(BAND_PS)
        w = n_s * self.k
        rb, rq = order_ranks(trials, BAND_PS), order_ranks(trials, QUARTER_PS)
        self.rank = np.concatenate([np.tile(rb, 4 * n_m), np.tile(rq, self.n_q)])
        self.lo = np.full(w, -np.inf)
        self.hi = np.full(w, np.inf)
        self.below = np.zeros(w, dtype=np.int64)
        self.above = np.zeros(w, dtype=np.int64)
        self.eq_lo = np.zeros(w, dtype=np.int64)
        self.eq_hi = np.zeros(w, dtype=np.int64)
        self.n_in = np.zeros(w, dtype=np.int64)
        self.off = np.zeros(w, dtype=np.int64)
        self.cap = np.zeros(w, dtype=np.int64)
        self.pool = np.empty(0)
        self.sums = np.zeros(4 * n_m)
        self.over = np.zeros(self.n_q, dtype=np.int64)
        self.bad = np.zeros(2, dtype=np.bool_)
        self.seen = 0
        self.basis = 1  # the trials the windows were last placed from
        self.next_narrow = 0

    @classmethod
    def from_pilot(
        cls,
        trials: int,
        cost: np.ndarray,
        capex: np.ndarray,
        qcost: np.ndarray,
        quarter_budgets: list[float],
    ) -> MonthStream:
        """Windows placed from the first batch (rows of ``cost``/``capex``/``qcost``)."""
        n0 = min(cost.shape[0], PILOT)
        cost, capex, qcost = cost[:n0], capex[:n0], qcost[:n0]
        n_m = cost.shape[1]
        st = cls(trials, n_m, quarter_budgets)
        # one column at a time: no pilot x months float64 arrays
        running = np.zeros(n0)
        for col in range(n_m):
            c64 = cost[:, col].astype(np.float64)
            st._place(col, c64.copy(), n0)
            st._place(n_m + col, capex[:, col].astype(np.float64), n0)
            st._place(2 * n_m + col, c64 - capex[:, col], n0)
            if col == 0:
                running[:] = c64
            else:
                running += c64
            st._place(3 * n_m + col, running.copy(), n0)
        for q in range(st.n_q):
            st._place(4 * n_m + q, np.array(qcost[:, q], dtype=np.float64), n0)
        st.basis = n0
        st.next_narrow = 2 * n0
        return st

    def _half(self, w: int, n: int) -> float:
        p = (self.rank[w] + 0.5) / self.trials
        return Z * math.sqrt(n * p * (1 - p)) + MIN_HALF

    def _place(self, s: int, values: np.ndarray, n: int) -> None:
        """Set the windows of series ``s`` from ``n`` sample values (not counted). One
        partition at every window's bounds: each bound is its order statistic, exactly."""
        bounds = []
        for w in range(s * self.k, (s + 1) * self.k):
            centre = (self.rank[w] + 0.5) / self.trials * n - 0.5
            half = self._half(w, n)
            bounds.append((w, math.floor(centre - half), math.ceil(centre + half)))
        kth = sorted({i for _, i_lo, i_hi in bounds for i in (i_lo, i_hi) if 0 <= i < n})
        if kth:
            values.partition(kth)
        for w, i_lo, i_hi in bounds:
            self.lo[w] = values[i_lo] if i_lo >= 0 else -np.inf
            self.hi[w] = values[i_hi] if i_hi < n else np.inf

    def _reserve(self, n_next: int, basis: int) -> None:
        """Room in each window for the values kept plus those the next ``n_next``
        trials may add: twice the window's expected share (its width in ranks over
        ``basis`` trials) plus slack. Values equal to a bound are counted, not stored."""
        kept = [
            self.pool[o : o + min(m, c)]
            for o, m, c in zip(self.off, self.n_in, self.cap, strict=True)
        ]
        caps = np.empty(len(kept), dtype=np.int64)
        for w, values in enumerate(kept):
            if self.lo[w] == self.hi[w]:
                caps[w] = 0  # one value: counted, not stored
                continue
            share = 2 * self._half(w, basis) / basis
            caps[w] = len(values) + min(n_next, int(2 * share * n_next) + 1024)
        off = np.concatenate([[0], np.cumsum(caps)[:-1]]).astype(np.int64)
        pool = np.empty(int(caps.sum()))
        for w, values in enumerate(kept):
            pool[off[w] : off[w] + len(values)] = values
        self.pool, self.off, self.cap = pool, off, caps

    def _narrow(self) -> None:
        """Move each window's bounds in towards its rank, as the trials seen allow,
        turning the values left outside into counts."""
        n = self.seen
        self.basis = n
        for w in range(len(self.lo)):
            m = int(self.n_in[w])
            if m > self.cap[w] or self.lo[w] == self.hi[w]:
                continue  # overflowed (finish fails) or one value: nothing to gain
            vals = self.pool[self.off[w] : self.off[w] + m]
            e_lo = int(self.eq_lo[w])
            centre = (self.rank[w] + 0.5) / self.trials * n - 0.5 - self.below[w]
            half = self._half(w, n)
            j_lo = math.floor(centre - half) - e_lo  # positions among the stored values
            j_hi = math.ceil(centre + half) - e_lo
            move_lo, move_hi = 0 <= j_lo < m, 0 <= j_hi < m
            if not (move_lo or move_hi):
                continue
            vals.sort()
            a, b = 0, m
            if move_lo:
                lo = vals[j_lo]
                a = int(np.searchsorted(vals, lo, "left"))
                a2 = int(np.searchsorted(vals, lo, "right"))
                self.below[w] += e_lo + a
                self.eq_lo[w] = a2 - a
                self.lo[w] = lo
                a = a2
            if move_hi:
                hi = vals[j_hi]
                b2 = int(np.searchsorted(vals, hi, "left"))
                b = int(np.searchsorted(vals, hi, "right"))
                self.above[w] += int(self.eq_hi[w]) + m - b
                self.eq_hi[w] = 0 if self.lo[w] == hi else b - b2
                self.hi[w] = hi
                b = b2
            a, b = min(a, b), b  # lo == hi: nothing strictly inside
            vals[: b - a] = vals[a:b].copy()
            self.n_in[w] = b - a

    def feed(self, cost: np.ndarray, capex: np.ndarray, qcost: np.ndarray) -> None:
        """Add the next batch of trials (in trial order). The windows narrow each time
        the trials seen double, and each batch first gets room for what it may add."""
        n = cost.shape[0]
        if self.seen >= self.next_narrow:
            self._narrow()
            self.next_narrow = 2 * self.seen
        self._reserve(n, self.basis)
        args = (cost, capex, qcost, self.qlimit)
        win = (self.k, self.lo, self.hi, self.below, self.above, self.eq_lo, self.eq_hi) + (
            self.n_in,
            self.off,
            self.cap,
            self.pool,
        )
        state = (win, self.sums, self.over, self.bad)
        if self.threads < 2 or n * self.n_m < PARALLEL_FROM:
            _feed(*args, 0, *state)
            _feed(*args, 1, *state)
        else:  # the two parts write disjoint series: two threads (nogil)
            import threading

            helper = threading.Thread(target=_feed, args=(*args, 0, *state), daemon=True)
            helper.start()
            _feed(*args, 1, *state)
            helper.join()
        self.seen += n

    def finish(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray] | None:
        """``(bands, means, quarters)`` once every trial is fed: bands ``{"cost_p10": [M],
        ...}`` as results' ``month_bands``, means ``{"cost": [M], ...}`` as
        ``month_means``, quarters [Q, 4] (P50, P80, P90, trials over budget); None when a
        window missed its rank or a value needs numpy's own rules (run again keeping
        the arrays)."""
        assert self.seen == self.trials
        if self.bad.any():
            return None
        values = np.empty(len(self.lo))
        for w in range(len(self.lo)):
            r = int(self.rank[w] - self.below[w])  # position in the window's values
            e_lo, m, e_hi = int(self.eq_lo[w]), int(self.n_in[w]), int(self.eq_hi[w])
            if m > self.cap[w] or not 0 <= r < e_lo + m + e_hi:
                return None
            if r < e_lo:
                values[w] = self.lo[w]
            elif r >= e_lo + m:
                values[w] = self.hi[w]
            else:
                vals = self.pool[self.off[w] : self.off[w] + m]
                vals.partition(r - e_lo)
                values[w] = vals[r - e_lo]
        return assemble(values, self.sums, self.over, self.trials, self.n_m, self.n_q)


def assemble(
    values: np.ndarray, sums: np.ndarray, over: np.ndarray, trials: int, n_m: int, n_q: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """:meth:`MonthStream.finish`'s result from the value at every window's rank (windows
    in its order: series after series, :data:`BAND_PS` or :data:`QUARTER_PS` within
    each), the month sums [4M], and the trials over each quarter's budget [Q] (also
    how :mod:`portfolio_sim.distributed.months` ends)."""
    k = len(BAND_PS)
    bands = {}
    for g, name in enumerate(SERIES):
        block = values[g * n_m * k : (g + 1) * n_m * k].reshape(n_m, k)
        for j, p in enumerate(BAND_PS):
            bands[f"{name}_p{p}"] = block[:, j].copy()
    means = {name: sums[g * n_m : (g + 1) * n_m] / trials for g, name in enumerate(SERIES)}
    quarters = np.empty((n_q, k + 1))
    quarters[:, :k] = values[4 * n_m * k :].reshape(n_q, k)
    quarters[:, k] = over
    return bands, means, quarters


def stream_arrays(
    cost: np.ndarray, capex: np.ndarray, qcost: np.ndarray, quarter_budgets: list[float]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray] | None:
    """:meth:`MonthStream.finish` of kept per-trial arrays (float32 ``cost``/``capex``
    [trials, M], float64 ``qcost`` [trials, Q], C-contiguous), fed in the engine's batch
    sizes: the results layer's monthly numbers without sorting each month. None when the
    arrays do not qualify (fewer than two months or trials than :data:`MIN_TRIALS`,
    other dtypes, quarters without a budget) or :meth:`~MonthStream.finish` says so;
    the caller then computes them from the arrays as before (the same numbers)."""
    trials, n_m = cost.shape
    ok = (
        n_m >= 2
        and trials >= MIN_TRIALS
        and cost.dtype == np.float32
        and capex.dtype == np.float32
        and qcost.dtype == np.float64
        and capex.shape == cost.shape
        and qcost.shape[0] == trials
        and qcost.shape[1] == len(quarter_budgets)
        and all(a.flags.c_contiguous for a in (cost, capex, qcost))
    )
    if not ok:
        return None
    stream = MonthStream.from_pilot(trials, cost, capex, qcost, quarter_budgets)
    first = 0
    while first < trials:
        n = min(max(PILOT, first), STREAM_BATCH, trials - first)
        sl = slice(first, first + n)
        stream.feed(cost[sl], capex[sl], qcost[sl])
        first += n
    return stream.finish()
