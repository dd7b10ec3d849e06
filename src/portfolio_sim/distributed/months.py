"""Exact monthly and quarterly percentiles of a run whose month arrays stay on the workers.

Each range task (:func:`~portfolio_sim.distributed.ranges.run_range`) leaves its per-trial
month and quarter arrays on the worker that computed it (the Dask future holds them
there); the client receives only small, mergeable summaries and ends with the numbers a
local run reports (``EngineOutput.month_bands``, ``month_means``, ``quarter_stats``),
bit for bit. The series, ranks and window rules are those of
:mod:`portfolio_sim.engines.month_stream` (the local streamed run):

1. **Windows from a pilot**: the first :data:`~.month_stream.PILOT` trials of the first
   range place a value window ``[lo, hi]`` around every wanted order statistic
   (:meth:`~.month_stream.MonthStream.from_pilot`, as locally).
2. **Counts and a coarse histogram** (:func:`scan_counts`, every range in parallel): per
   window the values below ``lo``, equal to ``lo``, equal to ``hi``, above ``hi``, and
   those strictly inside in :data:`BINS` equal-width bins (a monotone bin function, so
   each bin holds a contiguous run of the sorted values). Merged (added) in the client:
   the rank falls on ``lo``, on ``hi``, or in one bin, at a known offset.
3. **That bin's values** (:func:`scan_bin`): each range sends its values in the rank's
   bin (a few hundred per window at 10M trials) and the client selects the offset-th
   smallest: ``np.sort(all values)[rank]`` exactly. A bin too full to send (an atom of
   equal values, or a very uneven distribution) sends its min and max instead; all
   equal: that is the value; else the bin's ``[min, max]`` is the next round's window.
4. **Means** add each month's values trial after trial in trial order, as the local run
   does: a chain of tasks, range after range, each continuing the previous range's
   float64 sums (:func:`chain_sums`, the local stream's own code), so only the sums
   travel. The same pass counts trials over each quarter's budget and flags values
   numpy's own rules decide (NaN, infinity, -0.0).

The client holds per round ``windows x BINS`` counts (4 MB for 36 months and 8
quarters), never a per-trial month array. :func:`select_months` returns None when it
cannot answer exactly (a window missed its rank, odd values, too many rounds): the caller
then joins the ranges' arrays in the client, the former path (the same numbers).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from portfolio_sim.engines import month_stream

if TYPE_CHECKING:
    from portfolio_sim.engines.output import EngineOutput

#: Equal-width bins of each window's inside values.
BINS = 1024
#: A bin with at most this many values (all ranges together) is sent whole.
FETCH_WINDOW = 1 << 16
#: At most this many values are sent to the client in one round (all windows).
FETCH_TOTAL = 1 << 22
#: Rounds before giving up (each round's window is at least BINS times narrower,
#: or its edge values are atoms counted apart).
MAX_ROUNDS = 8

log = logging.getLogger(__name__)
Stats = tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]


@njit(cache=True, nogil=True)
def _bin(v, lo, scale, nb):
    """The bin of ``v`` (``lo < v < hi``): monotone in ``v``."""
    x = (v - lo) * scale
    if not x >= 0.0:  # NaN (infinite bounds): one bin
        return 0
    if x >= nb:
        return nb - 1
    return int(x)


@njit(cache=True, nogil=True)
def _series(cost, capex, qcost, s, n_m, col):
    """Column of series ``s`` into ``col``, a month's cost, capex or opex (cost - capex)
    in float64 as month_stream forms them, or a quarter's cost (cumulative cost: a
    running total kept by :func:`_scan`)."""
    n = cost.shape[0]
    g, k = s // n_m, s % n_m
    if g == 0:
        for i in range(n):
            col[i] = np.float64(cost[i, k])
    elif g == 1:
        for i in range(n):
            col[i] = np.float64(capex[i, k])
    elif g == 2:
        for i in range(n):
            col[i] = np.float64(cost[i, k]) - np.float64(capex[i, k])
    else:
        q = s - 4 * n_m
        for i in range(n):
            col[i] = qcost[i, q]


@njit(cache=True, nogil=True)
def _scan(cost, capex, qcost, ser, lo, hi, scale, nb, mode, bins, counts, hist, ext, pool, off):
    """One pass over a range for the windows ``w`` (sorted by series ``ser[w]``).

    ``mode`` 0: ``counts[w]`` = (below lo, equal lo, equal hi, above hi) and ``hist[w]``
    the bins of the values strictly inside. ``mode`` 1: of the values strictly inside in
    bin ``bins[w]``: ``ext[w]`` = (count, min, max), and, where ``off[w+1] > off[w]``,
    the values themselves into ``pool[off[w]:off[w+1]]`` (in trial order)."""
    n, n_m = cost.shape
    col = np.empty(n)
    running = np.zeros(n)
    n_w = ser.shape[0]
    w = 0
    last = 4 * n_m + qcost.shape[1]
    top = ser[n_w - 1] if n_w else -1
    for s in range(min(last, top + 1)):
        g = s // n_m
        if g == 3:  # the running total of cost, month after month
            k = s % n_m
            for i in range(n):
                c = np.float64(cost[i, k])
                running[i] = c if k == 0 else running[i] + c
        if w >= n_w or ser[w] != s:
            continue
        if g == 3:
            col[:] = running
        else:
            _series(cost, capex, qcost, s, n_m, col)
        while w < n_w and ser[w] == s:
            lo_w, hi_w, sc = lo[w], hi[w], scale[w]
            if mode == 0:
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
                if lo_w == hi_w:
                    e_hi = 0  # one value: counted once
                counts[w, 0] += under
                counts[w, 1] += e_lo
                counts[w, 2] += e_hi
                counts[w, 3] += over
                if under + over + e_lo + e_hi < n:
                    for i in range(n):
                        v = col[i]
                        if v > lo_w and v < hi_w:
                            hist[w, _bin(v, lo_w, sc, nb)] += 1
            else:
                b = bins[w]
                got = 0
                vmin = np.inf
                vmax = -np.inf
                o, room = off[w], off[w + 1] - off[w]
                for i in range(n):
                    v = col[i]
                    if v > lo_w and v < hi_w and _bin(v, lo_w, sc, nb) == b:
                        if got < room:
                            pool[o + got] = v
                        got += 1
                        vmin = min(vmin, v)
                        vmax = max(vmax, v)
                ext[w, 0] = got
                ext[w, 1] = vmin
                ext[w, 2] = vmax
            w += 1


def _scales(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``BINS / (hi - lo)`` per window; 0 (one bin) where that is not finite."""
    with np.errstate(all="ignore"):
        scale = BINS / (hi - lo)
    return np.where(np.isfinite(scale) & (scale > 0), scale, 0.0)


def _arrays(out: EngineOutput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    assert out.month_cost is not None and out.month_capex is not None
    assert out.quarter_cost is not None
    return out.month_cost, out.month_capex, out.quarter_cost


# -- range tasks (run on the worker that holds the range) ---------------------------------


def pilot_rows(out: EngineOutput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first :data:`~.month_stream.PILOT` trials' month, capex and quarter rows."""
    n0 = month_stream.PILOT
    return tuple(np.array(a[:n0]) for a in _arrays(out))  # type: ignore[return-value]


def scan_counts(
    out: EngineOutput, ser: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(counts [W, 4], hist [W, BINS]) of this range for windows ``(ser, lo, hi)``."""
    n_w = len(ser)
    counts = np.zeros((n_w, 4), dtype=np.int64)
    hist = np.zeros((n_w, BINS), dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    _scan(*_arrays(out), ser, lo, hi, _scales(lo, hi), BINS, 0, none, counts, hist,
          np.zeros((0, 3)), np.zeros(0), np.zeros(n_w + 1, dtype=np.int64))  # fmt: skip
    return counts, hist.astype(np.int32 if out.trials < 2**31 else np.int64)


def scan_bin(
    out: EngineOutput,
    ser: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    bins: np.ndarray,
    room: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ext [W, 3] = count, min, max of the values in bin ``bins[w]``; the values of the
    windows with ``room[w] > 0`` concatenated; their offsets [W + 1]). ``room[w]``: the
    bin's count over all ranges (known from the histograms), 0 for a bin not sent: one
    pass, and a range holds at most that many of the bin's values."""
    n_w = len(ser)
    ext = np.zeros((n_w, 3))
    room = np.asarray(room, dtype=np.int64)
    off = np.concatenate([[0], np.cumsum(room)]).astype(np.int64)
    pool = np.empty(int(off[-1]))
    _scan(*_arrays(out), ser, lo, hi, _scales(lo, hi), BINS, 1, bins,
          np.zeros((0, 4), dtype=np.int64), np.zeros((0, BINS), dtype=np.int64), ext,
          pool, off)  # fmt: skip
    got = np.minimum(ext[:, 0].astype(np.int64), room)
    kept = np.concatenate([pool[o : o + m] for o, m in zip(off[:-1], got, strict=True)])
    return ext, kept, np.concatenate([[0], np.cumsum(got)]).astype(np.int64)


def chain_sums(
    out: EngineOutput, acc: tuple[np.ndarray, np.ndarray, bool], qlimit: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """``acc`` = (month sums [4M], trials over each quarter's budget [Q], odd values
    seen) continued over this range's trials, in trial order: the local stream's own
    pass (:func:`~.month_stream._feed`) with no windows."""
    cost, capex, qcost = _arrays(out)
    sums, over, bad = np.array(acc[0]), np.array(acc[1]), np.zeros(2, dtype=np.bool_)
    empty_i = np.zeros(0, dtype=np.int64)
    win = (0, np.zeros(0), np.zeros(0)) + (empty_i,) * 7 + (np.zeros(0),)
    for part in (0, 1):
        month_stream._feed(cost, capex, qcost, qlimit, part, win, sums, over, bad)
    return sums, over, bool(acc[2] or bad.any())


def warm(out: EngineOutput) -> None:
    """Compile (or load from Numba's cache) this module's kernels on this worker, on a
    small range's output (:func:`~portfolio_sim.distributed.ranges.warm_workers`)."""
    if out.month_cost is None or out.quarter_cost is None or out.trials == 0:
        return
    ser, lo, hi = np.zeros(1, dtype=np.int64), np.array([-np.inf]), np.array([np.inf])
    scan_counts(out, ser, lo, hi)
    scan_bin(out, ser, lo, hi, np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64))
    n_m, n_q = out.month_cost.shape[1], out.quarter_cost.shape[1]
    chain_sums(out, (np.zeros(4 * n_m), np.zeros(n_q, dtype=np.int64), False), np.zeros(n_q))


# -- the client -------------------------------------------------------------------------


def _merged_counts(client: Any, held: list[Any], *args: Any) -> tuple[np.ndarray, np.ndarray]:
    """Counts and histograms of every range, added as they arrive."""
    from dask.distributed import as_completed

    from portfolio_sim.distributed.ranges import RETRIES

    futures = [client.submit(scan_counts, f, *args, retries=RETRIES, pure=False) for f in held]
    counts = hist = None
    seen: set[str] = set()
    try:
        for future in as_completed(futures):  # one gather at a time, as they finish
            if future.key in seen:  # reported again (recomputed): counted once
                continue
            seen.add(future.key)
            c, h = future.result()
            counts = c if counts is None else counts + c
            hist = h.astype(np.int64) if hist is None else hist + h
    except BaseException:
        client.cancel(futures)
        raise
    assert counts is not None and hist is not None
    return counts, hist


def _merged_bins(
    client: Any, held: list[Any], *args: Any
) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Count, min and max of each window's bin over every range, and the sent values."""
    from dask.distributed import as_completed

    from portfolio_sim.distributed.ranges import RETRIES

    futures = [client.submit(scan_bin, f, *args, retries=RETRIES, pure=False) for f in held]
    n_w = len(args[0])
    ext = np.zeros((n_w, 3))
    ext[:, 1], ext[:, 2] = np.inf, -np.inf
    values: list[list[np.ndarray]] = [[] for _ in range(n_w)]
    seen: set[str] = set()
    try:
        for future in as_completed(futures):  # one gather at a time, as they finish
            if future.key in seen:  # reported again (recomputed): counted once
                continue
            seen.add(future.key)
            e, pool, off = future.result()
            ext[:, 0] += e[:, 0]
            ext[:, 1] = np.minimum(ext[:, 1], e[:, 1])
            ext[:, 2] = np.maximum(ext[:, 2], e[:, 2])
            for w in np.flatnonzero(np.diff(off)):
                values[w].append(pool[off[w] : off[w + 1]])
    except BaseException:
        client.cancel(futures)
        raise
    return ext, values


def select_months(client: Any, held: list[Any], trials: int, budgets: list[float]) -> Stats | None:
    """``(bands, means, quarters)`` of the ``trials`` trials whose range outputs the
    futures ``held`` hold, in trial order (as :meth:`~.month_stream.MonthStream.finish`
    returns them); None when it cannot answer exactly (module docstring)."""
    import time

    from portfolio_sim.distributed.ranges import RETRIES

    t0 = time.perf_counter()
    cost, capex, qcost = client.submit(pilot_rows, held[0], retries=RETRIES, pure=False).result()
    st = month_stream.MonthStream.from_pilot(trials, cost, capex, qcost, budgets)
    del cost, capex, qcost
    # the means: a chain of tasks in trial order (runs while the windows are scanned)
    acc: Any = (np.zeros(4 * st.n_m), np.zeros(st.n_q, dtype=np.int64), False)
    chain = []
    for f in held:
        acc = client.submit(chain_sums, f, acc, st.qlimit, retries=RETRIES, pure=False)
        chain.append(acc)
    try:
        values = _select(client, held, st)
        sums, over, bad = acc.result()
    except BaseException:
        client.cancel(chain)
        raise
    if values is None or bad:
        log.info("months not selected on the workers (%s): joining the arrays",
                 "odd values" if bad else "window missed or too many rounds")  # fmt: skip
        return None
    log.info("months of %d trials selected on the workers in %.2f s", trials,
             time.perf_counter() - t0)  # fmt: skip
    return month_stream.assemble(values, sums, over, trials, st.n_m, st.n_q)


def _select(client: Any, held: list[Any], st: month_stream.MonthStream) -> np.ndarray | None:
    """The value at every window's rank (``st.rank``), or None."""
    n_w = len(st.lo)
    values = np.full(n_w, np.nan)
    active = np.arange(n_w)
    lo, hi = st.lo.copy(), st.hi.copy()
    ser = active // st.k
    for round_ in range(MAX_ROUNDS):
        log.info("round %d: %d windows", round_ + 1, len(active))
        counts, hist = _merged_counts(client, held, ser[active], lo[active], hi[active])
        below, e_lo, e_hi, above = counts.T
        inside = hist.sum(axis=1)
        if np.any(below + e_lo + inside + e_hi + above != st.trials):
            log.info("counts do not add up to the trials (NaNs?)")
            return None
        r = st.rank[active] - below
        if np.any(r < 0) or np.any(r >= e_lo + inside + e_hi):
            log.info("a window missed its rank: %s", np.flatnonzero(
                (r < 0) | (r >= e_lo + inside + e_hi)).tolist())  # fmt: skip
            return None  # a window missed its rank
        on_lo, on_hi = r < e_lo, r >= e_lo + inside
        values[active[on_lo]] = lo[active[on_lo]]
        values[active[on_hi]] = hi[active[on_hi]]
        mid = ~(on_lo | on_hi)
        if not mid.any():
            return values
        cum = np.cumsum(hist[mid], axis=1)
        j = (r - e_lo)[mid]
        b = np.array([np.searchsorted(row, x, "right") for row, x in zip(cum, j, strict=True)])
        before = np.where(b > 0, cum[np.arange(len(b)), np.maximum(b - 1, 0)], 0)
        size = hist[mid][np.arange(len(b)), b]
        send = (size <= FETCH_WINDOW) & (np.cumsum(np.where(size <= FETCH_WINDOW, size, 0))
                                         <= FETCH_TOTAL)  # fmt: skip
        act = active[mid]
        room = np.where(send, size, 0)
        ext, got = _merged_bins(client, held, ser[act], lo[act], hi[act], b, room)
        again = []
        for i, w in enumerate(act):
            if send[i]:
                pool = np.concatenate(got[i]) if got[i] else np.zeros(0)
                if len(pool) != size[i]:
                    log.info("window %d: %d values sent, %d counted", w, len(pool), size[i])
                    return None  # NaNs, or ranges that disagree: not exact
                pool.partition(j[i] - before[i])
                values[w] = pool[j[i] - before[i]]
            elif ext[i, 1] == ext[i, 2]:
                values[w] = ext[i, 1]  # every value of the bin is the same
            else:
                lo[w], hi[w] = ext[i, 1], ext[i, 2]  # the bin is the next window
                again.append(w)
        if not again:
            return values
        active = np.array(again, dtype=np.int64)
    log.info("windows %s undecided after %d rounds", active.tolist(), MAX_ROUNDS)
    return None


def budgets_of(compiled: Any) -> list[float] | None:
    """The budget quarters' amounts (sorted labels), or None when a scenario's months
    are not streamed locally either (fewer than two months, or quarters without a
    budget): as :func:`~portfolio_sim.engines.fast.run_fast` decides."""
    n_m = len(compiled.month_labels)
    n_q = int(np.max(compiled.money.quarter_of_month, initial=-1)) + 1
    quarters = sorted(compiled.budget_quarters.items())
    if n_m < 2 or len(quarters) != n_q:
        return None
    return [amount for _, amount in quarters]


def wanted(trials: int) -> bool:
    """Whether a run of ``trials`` selects its months on the workers (large enough that
    the arrays matter; below, the client joins them, as local runs sort them)."""
    return trials >= month_stream.MIN_TRIALS
