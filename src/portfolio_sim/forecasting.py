"""Orchestration: a scenario (file or object), a seed and an engine -> a :class:`Forecast`."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from portfolio_sim.errors import InputError
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.results.percentiles import Level, check_levels
from portfolio_sim.scenario.compile import compile_scenario
from portfolio_sim.scenario.dominant import dominant_estimates
from portfolio_sim.scenario.schema import Scenario
from portfolio_sim.scenario.status import Status

if TYPE_CHECKING:
    from portfolio_sim.engines.output import EngineOutput
    from portfolio_sim.results.precision import AutoReport

Engine = Literal["fast", "des"]
MAX_TRIALS = 100_000_000


def resolve_scenario(
    scenario: Scenario | str | os.PathLike[str], variant: str | None
) -> tuple[Scenario, str | None]:
    """The scenario to run and the SHA-256 of its file (None when given a
    :class:`Scenario`, or when the file cannot be read again): a path is loaded, a
    :class:`Scenario` is taken as it is, then ``variant`` (when given) is applied.
    Raises InputError for anything else, ScenarioError for a bad file or variant.

    Shared by every entry point that takes "a Scenario or a path" (forecast, trace,
    the decision tools), so they resolve it, and record provenance, the same way."""
    digest = None
    if isinstance(scenario, str | os.PathLike):
        from portfolio_sim.scenario.load import load

        path = Path(scenario)
        scn = load(path)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = None
    elif isinstance(scenario, Scenario):
        scn = scenario
    else:
        raise InputError(f"expected a Scenario or a path, got {type(scenario).__name__}")
    if variant is not None:
        from portfolio_sim.scenario.variants import apply_variant

        scn = apply_variant(scn, variant)
    from portfolio_sim.scenario.expand import engine_view

    # Duration tasks and shared features as plain features (docs/model.md §3.9-§3.10),
    # so that outputs list the parts and the compiled arrays match the scenario.
    return engine_view(scn), digest


def report_levels(
    scn: Scenario, percentiles: Sequence[float] | Literal["default"] | None
) -> tuple[Level, ...] | None:
    """The percentile levels to report (docs/model.md §0.4), validated: ``percentiles``
    when given (the API's argument, the CLI's ``--percentiles``), else the scenario's
    ``report.percentiles``, else None (the built-in levels of each output). The string
    ``"default"`` asks for the built-in levels whatever the file says: what the decision
    tools use, as they read fixed levels (finish P85, cost P80, NPV P10)."""
    if isinstance(percentiles, str) and percentiles == "default":
        return None
    if percentiles is not None:
        return check_levels(percentiles)
    report = scn.report
    if report is not None and report.percentiles is not None:
        return check_levels(report.percentiles)
    return None


def provenance(seed: int, trials: int, engine: str, sha256: str | None) -> dict[str, Any]:
    """Where a number came from: inputs, versions, time (stored in every output)."""
    import numpy

    from portfolio_sim import __version__

    try:
        import numba

        numba_version: str | None = numba.__version__
    except ImportError:  # pragma: no cover
        numba_version = None
    return {
        "seed": int(seed),
        "trials": int(trials),
        "engine": engine,
        "scenario_sha256": sha256,
        "portfolio_sim": __version__,
        "numpy": numpy.__version__,
        "numba": numba_version,
        "python": platform.python_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def forecast(
    scenario: Scenario | str | os.PathLike[str],
    trials: int | Literal["auto"] = 10_000,
    seed: int = 0,
    variant: str | None = None,
    engine: Engine = "fast",
    *,
    progress: Callable[[int, int], None] | None = None,
    keep_trials: bool = False,
    how_many_by: Sequence[dt.date | str] | dt.date | str | None = None,
    percentiles: Sequence[float] | Literal["default"] | None = None,
    precision_days: float | None = None,
    cost_rel_precision: float | None = None,
    max_trials: int | None = None,
    team_load: bool = True,
    status: Status | str | os.PathLike[str] | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    baseline: Any = None,
) -> Forecast:
    """Forecast a scenario (or one of its variants) with ``trials`` Monte Carlo trials.

    The same scenario, trials and seed give identical numbers on every run, whatever
    the thread count or batching. ``engine="des"`` runs the SimPy reference model
    (slow; for checks and traces). ``keep_trials`` keeps per-trial arrays
    (trials x features, and trials x months of cost) on ``result.raw``; without it a
    large fast run keeps only the per-trial money columns and finish times, and its
    monthly numbers are computed as the trials run (the same numbers). ``how_many_by`` (dates) adds the "how many
    items by DATE" table of the throughput teams (:func:`portfolio_sim.history.how_many`,
    same trials and seed) as ``result.how_many``, which every output then carries.
    ``percentiles`` (e.g. ``(50, 80, 90)``: numbers in (0, 100), increasing, no
    duplicates) sets the levels reported for dates, cost and value in every output; it
    overrides the scenario's ``report.percentiles``; neither: the defaults.
    ``percentiles="default"``: the defaults whatever the file says (see
    :func:`report_levels`).

    ``trials="auto"`` chooses the number of trials by precision (docs/model.md §8.11):
    batches (10,000 trials, then doubling the total) until the 95 % interval of the
    portfolio's and every feature's P50/P85/P95 done dates (every chosen level) is
    within ``±precision_days`` working days (default 1) and that of cost P50/P80 within
    ``cost_rel_precision`` of the cost (default 0.01), or ``max_trials`` (default
    2,000,000) is reached, which the forecast then warns about. The result equals a
    fixed run with the reported trial count (``result.trials``); ``result.auto`` says
    what the rule did.

    ``team_load`` (default on) accounts each team's capacity per month as busy, waiting
    or empty in every trial (docs/model.md §10.13; ``result.team_load``); callers that
    only read dates or money (the decide commands' inner runs) may switch it off to save
    the kernel's extra time.

    ``status`` (a :class:`~portfolio_sim.scenario.status.Status` or the path of a status
    file) re-forecasts from what happened up to its ``as_of`` (docs/model.md §11): the
    plan is unchanged, done features are done at their dates, started ones have the work
    left, and cost to date is the actual. ``result.meta["status"]`` records it. Its
    earned value (``result.earned_value``, §11.4) is measured against ``baseline`` (a
    :class:`~portfolio_sim.results.evm.Baseline` or the path of one saved by
    :func:`save_plan_baseline`), else the status file's ``baseline``, else the plan
    forecast run again (``result.baseline`` keeps the one used).

    ``scheduler`` (a Dask scheduler address or ``distributed.Client``) or ``workers`` (a
    ``LocalCluster`` of that many processes) runs the trials as ranges on a Dask cluster
    and joins them in order: the same numbers as the local run (docs/distributed.md).
    """
    auto = trials == "auto"
    if not auto and (
        isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= MAX_TRIALS
    ):
        raise InputError(
            f"trials must be a whole number from 1 to {MAX_TRIALS:,} or 'auto', got {trials!r}"
        )
    report = _auto_report(auto, precision_days, cost_rel_precision, max_trials)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative whole number, got {seed!r}")
    if baseline is not None and status is None:
        raise InputError("baseline: only with status (earned value is of a re-forecast)")
    scn, digest = resolve_scenario(scenario, variant)
    levels = report_levels(scn, percentiles)
    if status is None:
        compiled = compile_scenario(scn, seed)
    else:
        from portfolio_sim.scenario.status import load_status
        from portfolio_sim.scenario.status_apply import compile_with_status

        if not isinstance(status, Status):
            status = load_status(status, scn)
        compiled = compile_with_status(scn, status, seed)
    if engine not in ("fast", "des"):
        raise InputError(f"engine must be 'fast' or 'des', got {engine!r}")

    def run_batch(first: int, n: int) -> EngineOutput:
        tick = None if progress is None else lambda d, t: progress(first + d, first + t)
        if engine == "fast":
            from portfolio_sim.engines.fast import run_fast

            # batches of trials="auto" are joined trial by trial (results.precision
            # .join_outputs): they keep their month arrays instead of streaming them
            return run_fast(
                compiled,
                n,
                keep_trials=keep_trials,
                progress=tick,
                first_trial=first,
                stream=None if report is None else False,
                load=team_load,
            )
        from portfolio_sim.engines.des import run_des

        return run_des(compiled, n, progress=tick, first_trial=first, load=team_load)

    batches: contextlib.AbstractContextManager[Callable[[int, int], EngineOutput]]
    batches = contextlib.nullcontext(run_batch)
    if scheduler is not None or workers is not None:  # ranges on Dask (docs/distributed.md)
        from portfolio_sim.distributed.ranges import cluster_batches

        ev = status if isinstance(status, Status) else None
        batches = cluster_batches(
            scheduler, workers, scn, ev, seed, engine, keep_trials, progress, team_load
        )
    t0 = time.perf_counter()
    with batches as batch:
        raw = _run_all(batch, trials, report, levels, compiled)
        finish = getattr(batch, "finish", None)  # on Dask: months selected on the workers
        if finish is not None:
            raw = finish(raw)
    trials = raw.trials
    elapsed = time.perf_counter() - t0
    table = None
    if how_many_by is not None:
        from portfolio_sim.history.howmany import how_many

        table = how_many(scn, how_many_by, trials=trials, seed=seed)
    result = Forecast(
        compiled=compiled,
        raw=raw,
        trials=trials,
        seed=seed,
        engine=engine,
        elapsed_s=elapsed,
        meta=provenance(seed, trials, engine, digest) | _status_meta(status),
        dominant=dominant_estimates(scn),
        how_many=table,
        percentiles=levels,
        auto=report,
    )
    if isinstance(status, Status):
        result.baseline, source = _baseline(scn, status, baseline, result.trials, seed, engine)
        result.earned_value = _earned_value(scn, status, result, result.baseline, source)
    return result


def _run_all(
    run_batch: Callable[[int, int], EngineOutput],
    trials: int | str,
    report: AutoReport | None,
    levels: tuple[Level, ...] | None,
    compiled: Any,
) -> EngineOutput:
    """All the trials: one batch, or batches until precise (``trials="auto"``)."""
    if report is None:
        assert isinstance(trials, int)
        return run_batch(0, trials)
    from portfolio_sim.results import precision

    rule_dates = precision.RULE_DATE_LEVELS if levels is None else levels
    rule_cost = precision.RULE_COST_LEVELS if levels is None else levels
    return precision.run_until_precise(
        run_batch,
        lambda out: precision.widest(
            out, compiled.horizon_days, compiled.feature_ids, rule_dates, rule_cost
        ),
        report,
    )


#: The most trials of the baseline (plan) run behind the earned value (it keeps its
#: per-trial arrays): a re-forecast with more trials runs its baseline with this many.
BASELINE_MAX_TRIALS = 100_000


def plan_baseline(
    scenario: Scenario | str | os.PathLike[str],
    trials: int = 10_000,
    seed: int = 0,
    engine: Engine = "fast",
    variant: str | None = None,
) -> Any:
    """The EVM baseline of a plan (docs/model.md §11.4): its plain forecast (no status)
    with min(``trials``, 100,000) trials, same seed and engine, per-trial arrays kept."""
    from portfolio_sim.results.evm import baseline

    scn, _ = resolve_scenario(scenario, variant)
    plan = forecast(
        scn,
        trials=min(trials, BASELINE_MAX_TRIALS),
        seed=seed,
        engine=engine,
        keep_trials=True,
        percentiles="default",
    )
    return baseline(plan)


def save_plan_baseline(
    result: Forecast,
    scenario: Scenario | str | os.PathLike[str],
    path: str | os.PathLike[str],
    variant: str | None = None,
    protect: Sequence[str | os.PathLike[str]] = (),
) -> Any:
    """Write the EVM baseline of the plan behind ``result`` (its trials, seed and engine;
    the one a re-forecast computed when it has one) to ``path`` atomically
    (:mod:`portfolio_sim.results.evm_baseline`). Returns the path."""
    from portfolio_sim.results.evm_baseline import save_baseline

    base = result.baseline if result.baseline_source is None else None
    if base is None:
        engine: Engine = "des" if result.engine == "des" else "fast"
        base = plan_baseline(scenario, result.trials, result.seed, engine, variant)
    scn, _ = resolve_scenario(scenario, variant)
    meta = {"scenario": scn.name, **{k: result.meta.get(k) for k in ("seed", "engine")}}
    meta["scenario_sha256"] = result.meta.get("scenario_sha256")
    keep = [str(p) for p in protect]  # inputs, and the baseline this run read
    keep += [result.baseline_source] if result.baseline_source not in (None, "<given>") else []
    return save_baseline(base, path, meta, result.compiled.calendar, keep)


def _baseline(
    scn: Scenario, status: Status, given: Any, trials: int, seed: int, engine: Engine
) -> tuple[Any, str | None]:
    """The baseline of a re-forecast and the file it came from (None: the plan re-run)."""
    from portfolio_sim.results.evm import Baseline
    from portfolio_sim.results.evm_baseline import load_baseline

    if isinstance(given, Baseline):
        return given, "<given>"
    source = given if given is not None else status.baseline
    if source is not None:
        return load_baseline(source, scn.start), str(source)
    return plan_baseline(scn, trials, seed, engine), None


def _earned_value(
    scn: Scenario, status: Status, now: Forecast, base: Any, source: str | None
) -> Any:
    """The EVM numbers of a re-forecast (docs/model.md §11.4) against ``base``."""
    import dataclasses

    from portfolio_sim.results.evm import earned_value

    now.baseline_source = source
    return dataclasses.replace(earned_value(base, now, scn, status), baseline_file=source)


def _status_meta(status: Status | str | os.PathLike[str] | None) -> dict[str, Any]:
    """What a re-forecast started from (empty for a plain forecast)."""
    if not isinstance(status, Status):
        return {}
    return {
        "status": {
            "as_of": status.as_of.isoformat(),
            "cost_to_date": status.cost_to_date,
            "phasing": status.phasing,
            "done": sorted(k for k, v in status.features.items() if v.done_on is not None),
            "started": sorted(k for k, v in status.features.items() if v.done_on is None),
        }
    }


def _auto_report(
    auto: bool,
    precision_days: float | None,
    cost_rel_precision: float | None,
    max_trials: int | None,
) -> AutoReport | None:
    """The (empty) report of ``trials="auto"`` with its validated targets; None for a
    fixed trial count, which takes no targets."""
    from portfolio_sim.results import precision

    given = {
        "precision_days": precision_days,
        "cost_rel_precision": cost_rel_precision,
        "max_trials": max_trials,
    }
    if not auto:
        named = [k for k, v in given.items() if v is not None]
        if named:
            raise InputError(f"{', '.join(named)}: only with trials='auto'")
        return None
    for name in ("precision_days", "cost_rel_precision"):
        v = given[name]
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < math.inf
        ):
            raise InputError(f"{name} must be a positive finite number, got {v!r}")
    if max_trials is not None and (
        isinstance(max_trials, bool)
        or not isinstance(max_trials, int)
        or not 1 <= max_trials <= MAX_TRIALS
    ):
        raise InputError(
            f"max_trials must be a whole number from 1 to {MAX_TRIALS:,}, got {max_trials!r}"
        )
    return precision.AutoReport(
        precision_days=float(
            precision.DEFAULT_PRECISION_DAYS if precision_days is None else precision_days
        ),
        cost_rel_precision=float(
            precision.DEFAULT_COST_REL_PRECISION
            if cost_rel_precision is None
            else cost_rel_precision
        ),
        max_trials=precision.MAX_AUTO_TRIALS if max_trials is None else max_trials,
    )
