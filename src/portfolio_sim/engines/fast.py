"""Drive the Numba kernels over many trials, in batches, with an optional progress hook.

Batches only bound memory and let a progress bar move; they never change a number:
trial ``i`` always uses stream counter ``i`` and the accumulators are integers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from portfolio_sim.codes import LOAD_RES, N_MONEY
from portfolio_sim.engines import month_stream
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.errors import ModelError
from portfolio_sim.scenario.compile import CompiledScenario

#: Trials per kernel call when a progress callback is given.
BATCH = 1 << 16
#: Runs of more than this many trials x months keep no per-trial month arrays: their
#: monthly and quarterly statistics are computed batch by batch
#: (:mod:`portfolio_sim.engines.month_stream`), in batches of :data:`STREAM_BATCH`.
STREAM_FROM = 1 << 22
STREAM_BATCH = 1 << 16


#: One-shot callables for the calling thread to run while the worker threads simulate
#: (:func:`while_kernels_run`).
_WHILE_RUNNING: list[Callable[[], object]] = []


def while_kernels_run(work: Callable[[], object]) -> None:
    """Have the next multi-threaded kernel run call ``work()`` once, in the calling
    thread, while the worker threads simulate (a run on one worker leaves it pending).

    That thread otherwise only waits: work done there overlaps the trials instead of
    following them. The CLI imports the modules its outputs need this way (the HTML
    report's pandas and charts: about 0.2 s of a process that forecasts for about 0.5 s
    on two cores). ``work`` must not touch the run's arrays; it runs with the GIL held,
    which the kernels do not need once started."""
    _WHILE_RUNNING.append(work)


def discard_pending() -> None:
    """Forget the work of :func:`while_kernels_run` that no kernel run has taken."""
    _WHILE_RUNNING.clear()


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

    if _WHILE_RUNNING:
        # an empty block here first: the compiled loop is loaded from Numba's cache
        # before the threads start, so the work below overlaps only GIL-free trials
        kernel(model, first, 0, 0, 0, keep, *rest)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(kernel, model, first, lo, hi, w, keep, *rest)
            for w, (lo, hi) in enumerate(blocks)
            if hi > lo
        ]
        while _WHILE_RUNNING:
            _WHILE_RUNNING.pop(0)()
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
    stream: bool | None = None,
    first_trial: int = 0,
    load: bool = False,
) -> EngineOutput:
    """Run ``trials`` trials of ``compiled`` on the fast engine: trials ``first_trial ..
    first_trial + trials - 1`` (a run continued from where another stopped: together
    they equal one run of both sizes, as ``forecast(..., trials="auto")`` uses).

    ``keep_trials`` also returns per-trial done/start/size arrays [trials, F] (memory
    trials x features: for tests, traces and small runs) and the per-trial month and
    quarter cost arrays. ``progress(done, total)`` is called after each batch.
    ``workers`` is the number of parallel blocks (default: the Numba thread count); it
    never changes the result. ``stream`` (default: for runs of more than
    :data:`STREAM_FROM` trials x months, without ``keep_trials``) computes the monthly
    bands and means and the quarter statistics batch by batch instead of keeping
    trials x months arrays: the same numbers (:mod:`.month_stream`). ``load`` accounts
    team load per month (docs/model.md §10.13; :mod:`.load_inputs`); opt-in, since it
    adds to the kernel's time (about 3 of 40 us per trial on a 20-team portfolio:
    docs/outputs.md, "Team load"); off, the load fields of the output are None.
    """
    from portfolio_sim.jit_cache import ensure_fresh

    ensure_fresh()
    from portfolio_sim.engines.fast_inputs import kernel_model, kernel_money
    from portfolio_sim.engines.load_inputs import KEEP_MAX, fold_pure, load_model
    from portfolio_sim.kernels.run import Tallies, run_block
    from portfolio_sim.kernels.schedule import STALL

    model = kernel_model(compiled)
    mm = kernel_money(compiled)
    lm = load_model(compiled, load)
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
    feat_value = np.zeros((w, n_f), dtype=np.int64)
    feat_cost = np.zeros((w, n_f), dtype=np.int64)
    n_q = int(mm.quarter_of_month.max(initial=-1)) + 1
    quarters = sorted(compiled.budget_quarters.items())
    if stream is None:
        stream = not keep_trials and n_m >= 2 and trials * n_m > STREAM_FROM
    # numpy sums one month column pairwise: the streamed means add in trial order
    stream = bool(stream) and not keep_trials and n_m >= 2 and len(quarters) == n_q
    step = int(batch or (BATCH if progress is not None else max(trials, 1)))
    if stream:
        step = min(step, STREAM_BATCH)
    rows = min(step, trials) if stream else trials
    month_cost = np.empty((rows, n_m), dtype=np.float32)
    month_capex = np.empty((rows, n_m), dtype=np.float32)
    quarter_cost = np.zeros((rows, n_q))
    shape = (trials, n_f) if keep_trials else (0, n_f)
    done, start, size = np.empty(shape), np.empty(shape), np.empty(shape)
    streamed = None
    lshape = (n_t, n_m, 3) if load else (0, 0, 3)
    load_hist = np.zeros((w if load else 0, LOAD_RES + 1, *lshape), dtype=np.int32)
    load_sum = np.zeros((w if load else 0, *lshape), dtype=np.int64)
    load_pure = np.zeros((w if load else 0, *lshape), dtype=np.int64)
    keep_load = keep_trials and load and trials * n_t * n_m * 3 <= KEEP_MAX
    load_days = np.empty((trials if keep_load else 0, *lshape))
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
        # streamed: batches grow from the pilot's size as the windows narrow
        n = min(step if not stream else max(month_stream.PILOT, first), step, trials - first)
        sl = slice(first, first + n)
        ml = slice(0, n) if stream else sl
        batch_out = tallies._replace(
            port_t=port_t[sl],
            keep_done=done[sl] if keep_trials else no_keep,
            keep_start=start[sl] if keep_trials else no_keep,
            keep_size=size[sl] if keep_trials else no_keep,
            money_out=money[sl],
            month_cost=month_cost[ml],
            month_capex=month_capex[ml],
            quarter_cost=quarter_cost[ml],
        )
        try:
            _run_parallel(
                run_block, w, n, model, first_trial + first, keep_trials, batch_out, mm,
                lm, load_hist, load_sum, load_days[sl] if keep_load else load_days, load_pure,
            )  # fmt: skip
        except RuntimeError as err:
            if str(err) != STALL:
                raise
            t0 = first_trial + first
            raise ModelError(f"{STALL} (trials {t0}..{t0 + n - 1})") from None
        if stream:
            if streamed is None:
                streamed = month_stream.MonthStream.from_pilot(
                    trials, month_cost[:n], month_capex[:n], quarter_cost[:n],
                    [amount for _, amount in quarters],
                )  # fmt: skip
            streamed.feed(month_cost[:n], month_capex[:n], quarter_cost[:n])
        first += n
        if progress is not None:
            progress(first, trials)
    stats = streamed.finish() if streamed is not None else None
    if stream and stats is None:
        # a window missed its rank, or a value needs numpy's rules: the same trials
        # again (the same numbers), keeping the arrays
        return run_fast(
            compiled,
            trials,
            keep_trials=keep_trials,
            batch=batch,
            workers=workers,
            stream=False,
            first_trial=first_trial,
            load=load,
        )
    hist_total = sum_total = None
    if load:
        hist_total, sum_total = fold_pure(
            load_hist.sum(axis=0, dtype=np.int64),
            load_sum.sum(axis=0),
            load_pure.sum(axis=0),
            lm.cap_month,
        )
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
        month_cost=None if stats else month_cost,
        month_capex=None if stats else month_capex,
        feat_value_sum=feat_value.sum(axis=0),
        feat_cost_sum=feat_cost.sum(axis=0),
        quarter_cost=None if stats else quarter_cost,
        month_bands=stats[0] if stats else None,
        month_means=stats[1] if stats else None,
        quarter_stats=stats[2] if stats else None,
        load_hist=hist_total,
        load_sum=sum_total,
        load_cap=lm.cap_month if load else None,
        load_days=load_days if keep_load else None,
    )
