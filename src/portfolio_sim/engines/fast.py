"""Drive the Numba kernels over many trials, in batches, with an optional progress hook.

Batches only bound memory and let a progress bar move; they never change a number:
trial ``i`` always uses stream counter ``i`` and the accumulators are integers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from portfolio_sim.codes import N_MONEY
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.errors import ModelError
from portfolio_sim.scenario.compile import CompiledScenario

#: Trials per kernel call when a progress callback is given.
BATCH = 1 << 16


def _run_parallel(kernel: Callable[..., None], workers: int, n: int, *args: object) -> None:
    """Run ``kernel`` on ``workers`` contiguous blocks of ``n`` trials, one thread each.

    The kernel's trial loop is compiled with ``nogil=True``, so the threads run in
    parallel; each writes only its own accumulator slice and its own rows of the per-trial
    arrays."""
    model, first, keep, *rest = args
    blocks = [((n * w) // workers, (n * (w + 1)) // workers) for w in range(workers)]
    if workers == 1:
        kernel(model, first, 0, n, 0, keep, *rest)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(kernel, model, first, lo, hi, w, keep, *rest)
            for w, (lo, hi) in enumerate(blocks)
            if hi > lo
        ]
        for future in futures:
            future.result()


def _numba_threads() -> int:
    """``numba.get_num_threads()``, without starting Numba's own thread pool (about
    0.03 s; these kernels run on Python threads) while it is not running: until then no
    ``set_num_threads`` can have happened (it starts the pool), so the count is
    ``NUMBA_NUM_THREADS``. ``parallel._is_initialized`` is private (pinned by
    tests/test_library_internals.py); without it this starts the pool, still correct."""
    import numba
    from numba.np.ufunc import parallel

    if getattr(parallel, "_is_initialized", True):
        return int(numba.get_num_threads())
    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def run_fast(
    compiled: CompiledScenario,
    trials: int,
    *,
    keep_trials: bool = False,
    progress: Callable[[int, int], None] | None = None,
    batch: int | None = None,
    workers: int | None = None,
    first_trial: int = 0,
) -> EngineOutput:
    """Run ``trials`` trials of ``compiled`` on the fast engine: trials ``first_trial ..
    first_trial + trials - 1`` (a run continued from where another stopped: together
    they equal one run of both sizes, as ``forecast(..., trials="auto")`` uses).

    ``keep_trials`` also returns per-trial done/start/size arrays [trials, F] (memory
    trials x features: for tests, traces and small runs). ``progress(done, total)`` is
    called after each batch. ``workers`` is the number of parallel blocks (default: the
    Numba thread count); it never changes the result.
    """
    from portfolio_sim.jit_cache import ensure_fresh

    ensure_fresh()
    from portfolio_sim.engines.fast_inputs import kernel_model, kernel_money
    from portfolio_sim.kernels.run import Tallies, run_block
    from portfolio_sim.kernels.schedule import STALL

    model = kernel_model(compiled)
    mm = kernel_money(compiled)
    n_m = len(compiled.month_labels)
    n_f, n_t, h = compiled.n_features, compiled.n_teams, compiled.horizon_days
    w = int(workers or _numba_threads())
    feat_hist = np.zeros((w, n_f, h + 1), dtype=np.int64)
    feat_tsum = np.zeros((w, n_f), dtype=np.int64)
    team_hist = np.zeros((w, n_t, h + 1), dtype=np.int64)
    team_work = np.zeros((w, n_t), dtype=np.int64)
    team_cap = np.zeros((w, n_t), dtype=np.int64)
    events = np.zeros(w, dtype=np.int64)
    port_t = np.empty(trials, dtype=np.float64)
    money = np.empty((trials, N_MONEY))
    month_cost = np.empty((trials, n_m), dtype=np.float32)
    month_capex = np.empty((trials, n_m), dtype=np.float32)
    feat_value = np.zeros((w, n_f), dtype=np.int64)
    feat_cost = np.zeros((w, n_f), dtype=np.int64)
    n_q = int(mm.quarter_of_month.max(initial=-1)) + 1
    quarter_cost = np.zeros((trials, n_q))
    shape = (trials, n_f) if keep_trials else (0, n_f)
    done, start, size = np.empty(shape), np.empty(shape), np.empty(shape)
    step = int(batch or (BATCH if progress is not None else max(trials, 1)))
    tallies = Tallies(
        feat_hist=feat_hist,
        feat_tsum=feat_tsum,
        team_hist=team_hist,
        team_work=team_work,
        team_cap=team_cap,
        events=events,
        port_t=port_t,
        keep_done=done,
        keep_start=start,
        keep_size=size,
        money_out=money,
        month_cost=month_cost,
        month_capex=month_capex,
        feat_value_sum=feat_value,
        feat_cost_sum=feat_cost,
        quarter_cost=quarter_cost,
    )
    no_keep = np.empty((0, n_f))
    first = 0
    while first < trials:
        n = min(step, trials - first)
        sl = slice(first, first + n)
        batch_out = tallies._replace(
            port_t=port_t[sl],
            keep_done=done[sl] if keep_trials else no_keep,
            keep_start=start[sl] if keep_trials else no_keep,
            keep_size=size[sl] if keep_trials else no_keep,
            money_out=money[sl],
            month_cost=month_cost[sl],
            month_capex=month_capex[sl],
            quarter_cost=quarter_cost[sl],
        )
        try:
            _run_parallel(run_block, w, n, model, first_trial + first, keep_trials, batch_out, mm)
        except RuntimeError as err:
            if str(err) != STALL:
                raise
            t0 = first_trial + first
            raise ModelError(f"{STALL} (trials {t0}..{t0 + n - 1})") from None
        first += n
        if progress is not None:
            progress(first, trials)
    return EngineOutput(
        trials=trials,
        feat_hist=feat_hist.sum(axis=0),
        feat_tsum=feat_tsum.sum(axis=0),
        team_hist=team_hist.sum(axis=0),
        team_work=team_work.sum(axis=0),
        team_cap=team_cap.sum(axis=0),
        port_t=np.where(port_t <= h, port_t, np.inf),
        events=int(events.sum()),
        done=done if keep_trials else None,
        start=start if keep_trials else None,
        size=size if keep_trials else None,
        money=money,
        month_cost=month_cost,
        month_capex=month_capex,
        feat_value_sum=feat_value.sum(axis=0),
        feat_cost_sum=feat_cost.sum(axis=0),
        quarter_cost=quarter_cost,
    )
