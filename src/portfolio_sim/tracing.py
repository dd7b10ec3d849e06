"""Trace one trial: pick it, run it on the SimPy reference model, build its trace.

:func:`trace_trial` is the entry point behind ``portfolio_sim.trace_trial`` and
``portfolio-sim trace``. Which trial: ``trial=K`` traces trial K; ``near="p85"`` runs the
fast engine over ``trials_for_near`` trials with the same seed, takes the P85 of the
portfolio finish (inverted-CDF rule, docs/model.md §8) and traces the lowest-numbered trial
whose finish is closest to it. Both engines draw from the same keyed streams, so trial K
of the DES is trial K of the fast engine: the traced finish is the fast engine's finish
of that trial. The DES computes the trace's rows
(:func:`portfolio_sim.des.event_trace.trace_rows`); the results layer builds the
:class:`~portfolio_sim.results.trace_tables.Trace` from them
(:func:`portfolio_sim.results.trace_tables.build_trace`).

This module sits beside :mod:`portfolio_sim.forecasting` (it uses both engines); the SimPy
model under ``des/`` never imports the kernels.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from typing import Any

import numpy as np

from portfolio_sim.des.event_trace import trace_rows
from portfolio_sim.des.model import DesModel
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.errors import InputError
from portfolio_sim.forecasting import provenance, resolve_scenario
from portfolio_sim.results.percentiles import sample_percentiles
from portfolio_sim.results.trace_tables import Trace, build_trace
from portfolio_sim.scenario.compile import compile_scenario
from portfolio_sim.scenario.schema import Scenario

_NEAR = re.compile(r"^[pP](\d+(?:\.\d+)?)$")
MAX_NEAR_TRIALS = 10_000_000


def trace_trial(
    scenario_or_path: Scenario | str | os.PathLike[str],
    seed: int = 0,
    trial: int | None = None,
    near: str | None = None,
    variant: str | None = None,
    trials_for_near: int = 2000,
) -> Trace:
    """Trace one trial of a scenario (or of one of its variants) on the DES.

    Give exactly one of ``trial`` (a trial index >= 0) and ``near`` (``"p50"``,
    ``"p85"``, any ``"pNN"``): the trial whose portfolio finish is closest to that
    percentile over ``trials_for_near`` fast-engine trials with the same seed (ties: the
    lowest index). Raises InputError / ScenarioError for bad input.
    """
    _check_int("seed", seed, 0)
    if (trial is None) == (near is None):
        raise InputError("give exactly one of trial and near (e.g. near='p85')")
    scn, digest = resolve_scenario(scenario_or_path, variant)
    compiled = compile_scenario(scn, seed)
    extra: dict[str, Any] = {}
    if trial is not None:
        _check_int("trial", trial, 0)
    else:
        assert near is not None
        p = _parse_near(near)
        _check_int("trials_for_near", trials_for_near, 1, MAX_NEAR_TRIALS)
        port_t = run_fast(compiled, trials_for_near).port_t
        trial, target = pick_near(port_t, p)
        cal = compiled.calendar
        extra = {
            "near": near.lower(),
            "near_trials": trials_for_near,
            "target": target,
            "target_date": _date(cal.done_date(target)) if math.isfinite(target) else None,
            "fast_finish": float(port_t[trial]),
        }
    model = DesModel(compiled)
    res = model.run(int(trial), log=True)
    meta = provenance(seed, 1, "des", digest)
    return build_trace(trace_rows(scn, compiled, model, int(trial), res), extra, meta)


def pick_near(port_t: np.ndarray, p: float) -> tuple[int, float]:
    """The trial whose portfolio finish is closest to the ``p``-th percentile (inverted
    CDF; ties go to the lowest index), and that percentile. ``inf`` = not done."""
    t = np.asarray(port_t, dtype=np.float64)
    if t.size == 0:
        raise InputError("no trials to pick from")
    done = np.isfinite(t)
    target = float(sample_percentiles(t, [p])[0])
    if not math.isfinite(target):
        return int(np.flatnonzero(~done)[0]), math.inf
    dist = np.where(done, np.abs(t - target), np.inf)
    return int(np.argmin(dist)), target


def _parse_near(near: str) -> float:
    match = _NEAR.match(str(near).strip())
    p = float(match.group(1)) if match else -1.0
    if not 0.0 < p <= 100.0:
        raise InputError(f"near must be a percentile such as 'p50' or 'p85', got {near!r}")
    return p


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f"from {low:,} to {high:,}" if high is not None else f">= {low}"
        raise InputError(f"{name} must be a whole number {span}, got {value!r}")


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime64(value, "D")))


__all__ = ["MAX_NEAR_TRIALS", "pick_near", "trace_trial"]
