"""Compare a base scenario with its variants under common random numbers (docs/model.md §7).

Each scenario is forecast with the same seed and trial count. Every random quantity is
drawn from a stream keyed by (seed, trial, entity id), so trial i of the base and of a
variant share the draws of every entity the variant leaves unchanged: an unchanged
feature's numbers are identical, and per-trial differences measure the change, not noise.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from portfolio_sim.calendar import as_date
from portfolio_sim.errors import InputError
from portfolio_sim.forecasting import Engine, forecast, provenance, report_levels
from portfolio_sim.results.compare_tables import BASE, Comparison
from portfolio_sim.scenario.schema import Scenario

__all__ = ["Comparison", "compare"]


def _offset_progress(
    progress: Callable[[int, int], None], offset: int, total: int
) -> Callable[[int, int], None]:
    """Progress of one run, reported as progress over all runs."""

    def step(done: int, _of: int) -> None:
        progress(offset + done, total)

    return step


def compare(
    scenario: Scenario | str | os.PathLike[str],
    variants: Sequence[str] | None = None,
    trials: int = 10_000,
    seed: int = 0,
    engine: Engine = "fast",
    *,
    cut_line: Any = None,
    progress: Callable[[int, int], None] | None = None,
    percentiles: Sequence[float] | None = None,
    scheduler: Any = None,
    workers: int | None = None,
) -> Comparison:
    """Forecast the base scenario and ``variants`` (default: all in the file) with
    common random numbers and return a :class:`Comparison`.

    ``cut_line`` is the default target date of :meth:`Comparison.cut_line` (and of the
    exported cut line table). ``progress(done, total)`` counts trials over all scenarios.
    ``percentiles`` (e.g. ``(50, 80, 90)``: numbers in (0, 100), increasing, no
    duplicates) sets the levels of dates, cost and value in every table and output; it
    overrides the scenario's ``report.percentiles``; neither: the defaults
    (:class:`~portfolio_sim.results.compare_rows.Levels`). The base and every variant are
    reported at the same levels (a variant cannot change them, docs/model.md §7).
    ``scheduler``/``workers``: each scenario's trials run as ranges on one Dask cluster
    (as :func:`~portfolio_sim.forecasting.forecast`; the same numbers as locally).
    """
    if isinstance(scenario, str | os.PathLike):
        from portfolio_sim.scenario.load import load

        path = Path(scenario)
        scn = load(path)
        digest: str | None = hashlib.sha256(path.read_bytes()).hexdigest()
    elif isinstance(scenario, Scenario):
        scn, digest = scenario, None
    else:
        raise InputError(f"expected a Scenario or a path, got {type(scenario).__name__}")
    names = list(scn.variants) if variants is None else [str(v) for v in variants]
    if not names:
        raise InputError("the scenario has no variants to compare (add `variants:` to the file)")
    if BASE in names:
        raise InputError(f"a variant may not be called {BASE!r} (the name of the base)")
    if len(set(names)) != len(names):
        raise InputError(f"variants listed twice: {', '.join(names)}")
    target = None if cut_line is None else as_date(cut_line, "cut_line")
    levels = report_levels(scn, percentiles)
    runs: list[tuple[str, str | None]] = [(BASE, None), *((n, n) for n in names)]
    total = trials * len(runs)
    forecasts = {}
    cluster: contextlib.AbstractContextManager[Any] = contextlib.nullcontext((None, "local"))
    if scheduler is not None or workers is not None:  # one connection for every scenario
        from portfolio_sim.distributed.connect import open_client

        cluster = open_client(scheduler, workers)
    with cluster as (client, _backend):
        for k, (label, variant) in enumerate(runs):
            step = None if progress is None else _offset_progress(progress, k * trials, total)
            fc = forecast(
                scn,
                trials=trials,
                seed=seed,
                variant=variant,
                engine=engine,
                progress=step,
                percentiles="default" if levels is None else levels,
                scheduler=client,
            )
            fc.meta["scenario_sha256"] = digest
            forecasts[label] = fc
    meta = provenance(seed, trials, engine, digest)
    meta["variants"] = ", ".join(names)
    return Comparison(forecasts=forecasts, meta=meta, cut_date=target, percentiles=levels)
