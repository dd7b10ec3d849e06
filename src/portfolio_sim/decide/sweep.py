"""Sweeps: forecast a grid of variants, on Dask distributed when it is installed.

``settings`` maps a variant ``set`` path (docs/model.md §7, e.g. ``teams.web.members``) to the
values to try; the grid is their Cartesian product (the first path varies slowest). Each
grid point is the scenario with those fields set, forecast with the same ``trials`` and
``seed``, and gives one row of headline numbers (:func:`headline`).

Where it runs:

* ``scheduler=None`` (default): a Dask ``LocalCluster`` on this machine: worker processes
  with one Dask thread each and ``NUMBA_NUM_THREADS`` chosen so that workers x Numba
  threads <= cores;
* ``scheduler="tcp://host:8786"``: an existing Dask cluster (its workers need
  portfolio_sim installed; the scenario travels as text, no shared file system needed);
* ``local=True``, or Dask not installed: one point after another in this process (with a
  note on stderr saying so).

One task per grid point. A task is pure: scenario text + changes + trials + seed -> the
headline dict, computed from the seed alone, so results are identical whichever worker
runs it, however many workers there are, and identical to running each variant locally.
Tasks are submitted with ``retries`` and Dask recomputes the tasks of a worker that dies,
so a lost worker costs time, never rows.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.errors import InputError
from portfolio_sim.results.decide_numbers import portfolio_numbers
from portfolio_sim.scenario.schema import Scenario, VariantChange

if TYPE_CHECKING:
    from portfolio_sim.results.decide_tables import DataFrame

SWEEP_VARIANT = "__sweep__"
HEADLINE_COLUMNS = (
    "finish_p50",
    "finish_p85",
    "finish_p85_day",
    "not_done_share",
    "cost_p50",
    "cost_p80",
    "npv_mean",
    "npv_p10",
    "overrun_probability",
)
Progress = Callable[[int, int], None]


def grid(settings: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The Cartesian product of ``settings`` as a list of ``{path: value}`` (first path
    slowest)."""
    if not settings:
        return [{}]
    for path, values in settings.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise InputError(f"sweep values for {path!r} must be a non-empty list")
    keys = list(settings)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*settings.values())]


def with_changes(scn: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """``scn`` with fields set by path (validated like a variant; raises ScenarioError)."""
    from portfolio_sim.scenario.variants import apply_variant

    if not changes:
        return scn
    copy = scn.model_copy(deep=True)
    copy.variants = {**scn.variants, SWEEP_VARIANT: [VariantChange(set=dict(changes))]}
    out = apply_variant(copy, SWEEP_VARIANT)
    out.variants = dict(scn.variants)
    out.variant = ", ".join(f"{k}={v}" for k, v in changes.items())
    return out


def headline(fc: Any) -> dict[str, Any]:
    """The headline numbers of a forecast: finish P50/P85 (ISO dates; None = not done by
    the horizon), cost P50/P80, NPV mean/P10, budget overrun probability (NaN without a
    budget). Plain Python values, so a Dask task returns them cheaply."""
    from portfolio_sim.decide.sensitivity import finish_day

    port = portfolio_numbers(fc)
    fin = port["finish"]

    def iso(x: np.datetime64) -> str | None:
        return None if np.isnat(x) else str(x.astype("datetime64[D]"))

    budget = fc.budget
    overrun = budget.get("overrun_probability")
    return {
        "finish_p50": iso(fin["p50"]),
        "finish_p85": iso(fin["p85"]),
        "finish_p85_day": finish_day(fc.raw.port_t, fc.compiled.horizon_days),
        "not_done_share": float(fin["not_done_share"]),
        "cost_p50": float(port["cost"]["p50"]),
        "cost_p80": float(port["cost"]["p80"]),
        "npv_mean": float(port["npv"]["mean"]),
        "npv_p10": float(port["npv"]["p10"]),
        "overrun_probability": float("nan") if overrun is None else float(overrun),
    }


def _scenario_of(source: str | Scenario, fmt: str, filename: str) -> Scenario:
    if isinstance(source, Scenario):
        return source
    from portfolio_sim.scenario.load import load_text

    return load_text(source, fmt, filename)


def run_point(
    source: str | Scenario,
    fmt: str,
    filename: str,
    variant: str | None,
    changes: Mapping[str, Any],
    trials: int,
    seed: int,
) -> dict[str, Any]:
    """One grid point (the Dask task): scenario text (or object) -> headline dict. Pure."""
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.scenario.variants import apply_variant

    scn = _scenario_of(source, fmt, filename)
    if variant is not None:
        scn = apply_variant(scn, variant)
    fc = forecast(
        with_changes(scn, changes), trials=trials, seed=seed, percentiles="default", team_load=False
    )
    return headline(fc)


def default_layout(n_points: int, workers: int | None = None) -> tuple[int, int]:
    """(workers, Numba threads per worker) with workers x threads <= cores."""
    cores = max(os.cpu_count() or 1, 1)
    w = int(workers) if workers else min(max(n_points, 1), cores)
    w = max(w, 1)
    return w, max(1, cores // w)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _bar() -> Progress:
    t0 = time.perf_counter()

    def show(done: int, n: int) -> None:
        rate = done / max(time.perf_counter() - t0, 1e-9)
        sys.stderr.write(f"\rsweep: {done}/{n} grid points ({rate:.2f}/s)")
        if done >= n:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def sweep(
    scenario: str | os.PathLike[str] | Scenario,
    settings: Mapping[str, Sequence[Any]],
    trials: int = 10_000,
    seed: int = 0,
    *,
    variant: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    processes: bool = True,
    local: bool = False,
    retries: int = 2,
    progress: bool | Progress = True,
    log: Callable[[str], None] = _stderr,
) -> DataFrame:
    """Forecast every point of the grid ``settings`` and return one row per point.

    Columns: one per setting path, then :data:`HEADLINE_COLUMNS`. ``df.attrs`` records
    ``backend`` (``"local"``, ``"dask LocalCluster ..."`` or ``"dask <address>"``),
    ``trials`` and ``seed``. ``workers``/``threads`` size the LocalCluster (default: one
    worker per grid point up to the cores, threads = cores // workers). ``progress`` is
    True (a line on stderr), False, or ``callback(done, total)``. Workers return plain
    headline dicts; the table is built by
    :func:`portfolio_sim.results.decide_tables.sweep_table`.
    """
    from portfolio_sim.results.decide_tables import sweep_table

    points = grid(settings)
    if isinstance(scenario, Scenario):
        source: str | Scenario = scenario
        fmt, filename = "yaml", "<scenario>"
        base = scenario
    else:
        path = Path(scenario)
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(f"cannot read {path}: {err.strerror or err}") from None
        fmt, filename = path.suffix.lstrip(".") or "yaml", str(path)
        base = _scenario_of(source, fmt, filename)
    from portfolio_sim.scenario.variants import apply_variant

    checked = apply_variant(base, variant) if variant is not None else base
    for changes in points:  # every point validated here, before any work is sent out
        with_changes(checked, changes)
    args = (source, fmt, filename, variant)
    show: Progress | None = (
        _bar() if progress is True else (progress if callable(progress) else None)
    )
    client_kind = "local" if local else _dask_or_note(log, len(points))
    if client_kind == "local":
        results = []
        for k, changes in enumerate(points):
            results.append(run_point(*args, changes, trials, seed))
            if show is not None:
                show(k + 1, len(points))
        backend = "local"
    else:
        results, backend = _run_dask(
            args, points, trials, seed, scheduler, workers, threads, processes, retries, show
        )
    rows = [{**changes, **res} for changes, res in zip(points, results, strict=True)]
    attrs = {"backend": backend, "trials": trials, "seed": seed}
    return sweep_table(rows, [*settings, *HEADLINE_COLUMNS], attrs)


def _dask_or_note(log: Callable[[str], None], n: int) -> str:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        log(
            f"note: dask is not installed (pip install 'portfolio-sim[dask]'); running the "
            f"{n} grid point(s) locally, one after another"
        )
        return "local"
    return "dask"


def _run_dask(
    args: tuple[Any, ...],
    points: list[dict[str, Any]],
    trials: int,
    seed: int,
    scheduler: str | None,
    workers: int | None,
    threads: int | None,
    processes: bool,
    retries: int,
    show: Progress | None,
) -> tuple[list[dict[str, Any]], str]:
    from dask.distributed import as_completed

    from portfolio_sim.distributed.connect import open_client

    # one way to reach Dask for every command (connect timeout, clear error when the
    # scheduler cannot be reached); a sweep's LocalCluster has at most one worker a point
    w = None if scheduler is not None else default_layout(len(points), workers)[0]
    with open_client(scheduler, w, threads=threads, processes=processes) as (client, backend):
        futures = [
            client.submit(run_point, *args, changes, trials, seed, retries=retries, pure=False)
            for changes in points
        ]
        for done, _ in enumerate(as_completed(futures), start=1):
            if show is not None:
                show(done, len(points))
        results = client.gather(futures)
    return list(results), backend
