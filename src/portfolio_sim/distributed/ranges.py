"""Trial ranges: split a run, run each range on a worker, join the outputs in order.

A range task (:func:`run_range`) is pure: (scenario, status, seed, engine, first trial,
count) -> :class:`~portfolio_sim.engines.output.EngineOutput` of trials ``first ..
first + count - 1``, computed from the seed alone. The validated scenario travels with
every task (a :class:`~portfolio_sim.scenario.schema.Scenario`, about 20 kB pickled; no
shared file system, no scattered data that a lost worker would take with it), so Dask
may run a task on any worker, run it again after a worker is lost (``retries``), or run
it twice: the answer is the same.

Ranges never stream their month statistics (``stream=False``): streamed bands cannot be
joined exactly (:func:`~portfolio_sim.results.precision.join_outputs` refuses). Instead,
for large fast-engine runs (:class:`ClusterRun`), each range's per-trial month and
quarter arrays stay on its worker, in the range's future, and the monthly percentiles,
means and quarter numbers are selected there (:mod:`.months`); the client joins the rest
(finish times, money columns, tallies), 72 bytes per trial as a local run holds. Other
runs join the month arrays in the client (docs/distributed.md, "Memory").
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portfolio_sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from portfolio_sim.engines.output import EngineOutput
    from portfolio_sim.scenario.compile import CompiledScenario
    from portfolio_sim.scenario.status import Status

#: At most this many trials per range (bounds a task's memory and the work a lost
#: worker takes with it).
RANGE_TRIALS = 250_000
#: At least this many ranges per worker (balances the load when workers differ).
RANGES_PER_WORKER = 4
#: Times Dask runs a range again after its worker was lost.
RETRIES = 3
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RangeJob:
    """What every range task of one run needs: the validated scenario (variant applied),
    the status of a re-forecast (or None), the seed, the engine, ``keep_trials``, a key
    naming the run (the compiled scenario is cached per worker under it) and ``load``
    (the team-load accounting, docs/model.md §10.13)."""

    scenario: Scenario
    status: Status | None
    seed: int
    engine: str
    keep_trials: bool
    key: str
    load: bool = True


#: Compiled scenarios of the runs this worker took part in (a few, newest last).
_compiled: dict[str, CompiledScenario] = {}


def _compile(job: RangeJob) -> CompiledScenario:
    hit = _compiled.get(job.key)
    if hit is not None:
        return hit
    if job.status is None:
        from portfolio_sim.scenario.compile import compile_scenario

        compiled = compile_scenario(job.scenario, job.seed)
    else:
        from portfolio_sim.scenario.status_apply import compile_with_status

        compiled = compile_with_status(job.scenario, job.status, job.seed)
    while len(_compiled) >= 4:
        _compiled.pop(next(iter(_compiled)))
    _compiled[job.key] = compiled
    return compiled


def run_range(job: RangeJob, first: int, n: int) -> EngineOutput:
    """Trials ``first .. first + n - 1`` of ``job`` (the Dask task; pure)."""
    compiled = _compile(job)
    if job.engine == "fast":
        from portfolio_sim.engines.fast import run_fast

        return run_fast(
            compiled,
            n,
            keep_trials=job.keep_trials,
            first_trial=first,
            stream=False,
            load=job.load,
        )
    from portfolio_sim.engines.des import run_des

    return run_des(compiled, n, first_trial=first, load=job.load)


#: Trials each worker runs to warm its kernels before a run's ranges go out.
WARM_TRIALS = 64


def _warm(job: RangeJob) -> None:
    out = run_range(job, 0, WARM_TRIALS)
    if job.engine == "fast" and not job.keep_trials:  # the monthly selection's kernels
        from portfolio_sim.distributed import months

        months.warm(out)


def warm_workers(client: Any, job: RangeJob) -> None:
    """Compile (or load from the on-disk cache) the kernels ``job`` needs, and its
    compiled scenario, on every worker now connected, before its ranges go out: a few
    trials of the job itself (``client.run``; milliseconds on a warm worker). A worker
    that joins later does the same on its first range. (``portfolio-sim warmup`` after
    installing fills the on-disk cache, so no worker compiles from scratch.)"""
    client.run(_warm, job)


def split_ranges(first: int, n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` consecutive ``(first_trial, count)`` ranges covering trials ``first ..
    first + n - 1`` (sizes differ by at most one; never an empty range)."""
    parts = max(1, min(int(parts), n))
    edges = [first + (n * k) // parts for k in range(parts + 1)]
    return [(a, b - a) for a, b in zip(edges, edges[1:], strict=False)]


def range_count(n: int, n_workers: int) -> int:
    """How many ranges a run of ``n`` trials is split into on ``n_workers`` workers:
    :data:`RANGES_PER_WORKER` per worker, more when a range would exceed
    :data:`RANGE_TRIALS`, never more than ``n``."""
    return max(1, min(n, max(RANGES_PER_WORKER * max(n_workers, 1), math.ceil(n / RANGE_TRIALS))))


def join_all(outputs: list[EngineOutput]) -> EngineOutput:
    """The outputs of consecutive ranges joined in order (a balanced tree of
    :func:`~portfolio_sim.results.precision.join_outputs`: each array is copied about
    log2(ranges) times, and the result is the same as joining left to right)."""
    from portfolio_sim.results.precision import join_outputs

    while len(outputs) > 1:
        paired = [join_outputs(a, b) for a, b in zip(outputs[::2], outputs[1::2], strict=False)]
        outputs = paired + ([outputs[-1]] if len(outputs) % 2 else [])
    return outputs[0]


def _strip(out: EngineOutput) -> EngineOutput:
    """``out`` without its per-trial month and quarter arrays (they stay on the worker,
    in the range's future, for :mod:`.months`)."""
    from dataclasses import replace

    return replace(out, month_cost=None, month_capex=None, quarter_cost=None)


def _gather_joined(client: Any, futures: list[Any], sizes: list[int], first: int, n: int,
                   progress: Progress | None) -> EngineOutput:  # fmt: skip
    """The outputs of ``futures`` (consecutive ranges) joined in order, gathered as they
    finish; their team-load histograms (the same size whatever a range's trials) are
    added on arrival rather than kept per range."""
    from dataclasses import replace

    from dask.distributed import as_completed

    index = {f.key: i for i, f in enumerate(futures)}
    pieces: list[Any] = [None] * len(futures)
    hist = total = None
    done = 0
    for future in as_completed(futures):  # one gather at a time, as they finish
        i = index[future.key]
        if pieces[i] is not None:  # reported again (recomputed): joined once
            continue
        out = future.result()
        if out.load_hist is not None:
            hist = out.load_hist if hist is None else hist + out.load_hist
            total = out.load_sum if total is None else total + out.load_sum
            out = replace(out, load_hist=None, load_sum=None)
        pieces[i] = out
        done += sizes[i]
        if progress is not None:
            progress(first + done, first + n)
    joined = join_all(pieces)
    if hist is not None:
        joined = replace(joined, load_hist=hist, load_sum=total)
    return joined


class ClusterRun:
    """``run(first, n)``: trials ``first .. first + n - 1`` of ``job`` as ranges on
    ``client``'s cluster, joined in order (equal to ``run_fast(compiled, n,
    first_trial=first)``); ``progress(done, total)`` counts trials as ranges finish.

    Runs whose months the workers can select (:func:`.months.wanted`: the fast engine,
    per-trial arrays not kept, months streamed as locally) leave each range's month
    arrays on its worker: ``run`` returns the output without them, and :meth:`finish`,
    once every batch has run, adds the monthly bands, means and quarter numbers selected
    on the workers (:func:`.months.select_months`), or, when that cannot answer exactly,
    joins the arrays in the client as before. On any error, or Ctrl-C, the run's
    futures are cancelled before the exception goes on."""

    def __init__(self, client: Any, job: RangeJob, progress: Progress | None = None) -> None:
        from portfolio_sim.distributed import months

        self.client, self.job, self.progress = client, job, progress
        budgets = None
        if job.engine == "fast" and not job.keep_trials:
            budgets = months.budgets_of(_compile(job))
        self.budgets = budgets
        self.held: list[Any] = []  # futures of the ranges whose month arrays stay remote
        self.held_sizes: list[int] = []

    def __call__(self, first: int, n: int, ranges: int | None = None) -> EngineOutput:
        from portfolio_sim.distributed import months

        client, job = self.client, self.job
        n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {})) or 1
        parts = split_ranges(first, n, ranges or range_count(n, n_workers))
        futures = [
            client.submit(
                run_range, job, a, m, retries=RETRIES, pure=False, key=f"run_range-{job.key}-{a}"
            )
            for a, m in parts
        ]
        remote = self.budgets is not None and (
            bool(self.held) or months.wanted(first + n) and first == 0
        )
        sent = futures
        if remote:
            sent = [client.submit(_strip, f, retries=RETRIES, pure=False) for f in futures]
        try:
            joined = _gather_joined(client, sent, [m for _, m in parts], first, n, self.progress)
        except BaseException:
            client.cancel(futures + sent + self.held)
            raise
        if remote:
            self.held += futures
            self.held_sizes += [m for _, m in parts]
        else:
            client.cancel(futures)
        return self._keep_load_days(joined)

    def _keep_load_days(self, joined: EngineOutput) -> EngineOutput:
        if self.job.engine == "fast" and joined.load_days is not None:
            from dataclasses import replace

            from portfolio_sim.engines.load_inputs import KEEP_MAX

            if joined.load_days.size > KEEP_MAX:  # what run_fast keeps for the whole batch
                joined = replace(joined, load_days=None)
        return joined

    def finish(self, raw: EngineOutput) -> EngineOutput:
        """``raw`` (every batch joined) with its month statistics: selected on the
        workers for held ranges, else ``raw`` as it is."""
        if not self.held:
            return raw
        from dataclasses import replace

        from portfolio_sim.distributed import months

        held, self.held = self.held, []
        assert sum(self.held_sizes) == raw.trials and self.budgets is not None
        self.held_sizes = []
        try:
            stats = months.select_months(self.client, held, raw.trials, self.budgets)
            if stats is None:  # not exact this way: the arrays, joined in the client
                full = self.client.gather(held)
                joined = join_all([replace(o, load_hist=None, load_sum=None) for o in full])
                return replace(
                    raw,
                    month_cost=joined.month_cost,
                    month_capex=joined.month_capex,
                    quarter_cost=joined.quarter_cost,
                )
        except BaseException:
            self.client.cancel(held)
            raise
        self.client.cancel(held)
        bands, means, quarters = stats
        return replace(raw, month_bands=bands, month_means=means, quarter_stats=quarters)


def run_ranges(
    client: Any,
    job: RangeJob,
    first: int,
    n: int,
    progress: Progress | None = None,
    ranges: int | None = None,
) -> EngineOutput:
    """Trials ``first .. first + n - 1`` of ``job`` on ``client``'s cluster, joined in
    order: equal to ``run_fast(compiled, n, first_trial=first)`` (month statistics
    selected on the workers where :class:`ClusterRun` does so)."""
    run = ClusterRun(client, job, progress)
    return run.finish(run(first, n, ranges))


@contextlib.contextmanager
def cluster_batches(
    scheduler: Any,
    workers: int | None,
    scenario: Scenario,
    status: Status | None,
    seed: int,
    engine: str,
    keep_trials: bool,
    progress: Progress | None,
    load: bool = True,
) -> Iterator[ClusterRun]:
    """A :class:`ClusterRun` (``run_batch(first, n)`` plus ``finish(raw)``) for
    :func:`portfolio_sim.forecasting.forecast` that runs its trials as ranges on a
    cluster (:func:`~portfolio_sim.distributed.connect.open_client`: connected, or
    refused with a clear error, before any work)."""
    from portfolio_sim.distributed.connect import open_client

    job = RangeJob(scenario, status, seed, engine, keep_trials, uuid.uuid4().hex, load)
    with open_client(scheduler, workers) as (client, _backend):
        warm_workers(client, job)
        yield ClusterRun(client, job, progress)
