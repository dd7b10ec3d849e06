"""Sensitivity (tornado) and criticality of a scenario.

**Tornado.** For every uncertain input (see :mod:`.inputs`) the scenario is forecast twice
more, with that input held at its P10 and at its P90 while everything else stays random.
Streams are keyed by (seed, entity id), so all other inputs keep their draws (common
random numbers) and the difference between the two runs is the input's *swing*: of the
portfolio's P85 done date (in working days) and of the mean NPV. Rows are ranked by the
finish swing (then the NPV swing), largest first.

**Criticality.** The criticality index of a feature is the share of trials in which it
lies on the chain that determines the portfolio's last done date. Per trial the chain is
walked back from the feature done last (in a trial not done by the horizon: the first
feature, in file order, not done) by this rule, with clock times compared to 1e-6:

1. if the feature started the moment its latest dependency was done, that dependency;
2. else, if a feature of the same team was done the moment it started (it waited for its
   team), that feature (the lowest index if several);
3. else, if it started at its ``not_before``, the chain ends;
4. else, if it has dependencies (it was held by a risk delay after they were done), the
   latest of them;
5. else the chain ends (it started at time 0 or after a risk delay alone).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.decide.inputs import UncertainInput, held_texts, hold, uncertain_inputs
from portfolio_sim.results.decide_results import Sensitivity
from portfolio_sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from portfolio_sim.results.decide_tables import DataFrame

EPS = 1e-6

__all__ = [
    "EPS",
    "Sensitivity",
    "critical_chains",
    "criticality",
    "criticality_index",
    "finish_day",
    "sensitivity",
]


def finish_day(port_t: np.ndarray, horizon_days: int, p: float = 85) -> int:
    """The P-th percentile working day of the portfolio's done date (horizon = not done)."""
    t = np.asarray(port_t)
    days = done_days_or(t, horizon_days)
    return int(np.percentile(days.astype(np.int64), p, method="inverted_cdf"))


def _npv_mean(fc: Any) -> float:
    from portfolio_sim.engines.output import MONEY_COLUMNS

    return float(fc.raw.money[:, MONEY_COLUMNS.index("npv")].mean())


def _load(scenario: Scenario | str | os.PathLike[str], variant: str | None) -> Scenario:
    from portfolio_sim.forecasting import resolve_scenario

    scn, _ = resolve_scenario(scenario, variant)
    return scn


def sensitivity(
    scenario: Scenario | str | os.PathLike[str],
    trials: int = 2_000,
    seed: int = 0,
    variant: str | None = None,
    *,
    inputs: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: Any = None,
    workers: int | None = None,
) -> Sensitivity:
    """Tornado of every uncertain input and the criticality index of every feature.

    ``inputs`` restricts the tornado to inputs whose key contains one of the strings.
    Costs ``1 + 2 x inputs`` forecasts of ``trials`` trials each. ``scheduler``/``workers``
    (docs/distributed.md): the ``2 x inputs`` held forecasts run as tasks on a Dask
    cluster, one per input and side; the same numbers as locally.
    """
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.results.decide_tables import tornado_table

    scn = _load(scenario, variant)
    all_inputs = uncertain_inputs(scn)
    if inputs is not None:
        all_inputs = [i for i in all_inputs if any(s in i.key for s in inputs)]
    base_fc = forecast(scn, trials=trials, seed=seed, keep_trials=True, team_load=False)
    c = base_fc.compiled
    h = c.horizon_days
    all_inputs = [_with_periods(i, base_fc) for i in all_inputs]
    base_day = finish_day(base_fc.raw.port_t, h)
    base_npv = _npv_mean(base_fc)
    rows = []
    total = len(all_inputs)
    if scheduler is None and workers is None:
        for k, inp in enumerate(all_inputs):
            sides = {side: side_numbers(scn, inp, side, trials, seed, h) for side in SIDES}
            rows.append(_swing_row(scn, inp, sides, base_day, base_npv, c))
            if progress is not None:
                progress(k + 1, total)
    else:
        from portfolio_sim.distributed.tasks import map_tasks

        tick = None if progress is None else (lambda d, _n: progress(d // 2, total))
        jobs = [(scn, inp, side, trials, seed, h) for inp in all_inputs for side in SIDES]
        got = iter(map_tasks(side_numbers, jobs, scheduler, workers, tick))
        for inp in all_inputs:
            sides = {side: next(got) for side in SIDES}
            rows.append(_swing_row(scn, inp, sides, base_day, base_npv, c))
    base = {
        "finish_p85": str(c.calendar.date_of(min(base_day, h - 1))) if base_day < h else None,
        "finish_p85_day": base_day,
        "npv_mean": base_npv,
    }
    return Sensitivity(
        table=tornado_table(rows),
        criticality=criticality(base_fc),
        base=base,
        trials=trials,
        seed=seed,
        meta=dict(base_fc.meta),
    )


def _with_periods(inp: UncertainInput, fc: Any) -> UncertainInput:
    """A throughput input with the number of periods its team works (P50 done day)."""
    if inp.kind != "throughput":
        return inp
    from dataclasses import replace

    from portfolio_sim.results.percentiles import hist_percentiles

    c = fc.compiled
    j = c.team_ids.index(inp.entity)
    day = int(hist_percentiles(fc.raw.team_hist[j], [50])[0])
    return replace(inp, periods=(day + 1) / float(c.tp_period[j]))


Side = Literal["low", "high"]
SIDES: tuple[Side, Side] = ("low", "high")


def side_numbers(
    scn: Scenario, inp: UncertainInput, side: Side, trials: int, seed: int, horizon_days: int
) -> tuple[int, float]:
    """(finish P85 working day, NPV mean) of ``scn`` with ``inp`` held at ``side``: one
    forecast, a pure function of its arguments (a Dask task when spread on a cluster)."""
    from portfolio_sim.forecasting import forecast

    fc = forecast(hold(scn, inp, side), trials=trials, seed=seed, team_load=False)
    return finish_day(fc.raw.port_t, horizon_days), _npv_mean(fc)


def _swing_row(
    scn: Scenario,
    inp: UncertainInput,
    sides: dict[Side, tuple[int, float]],
    base_day: int,
    base_npv: float,
    c: Any,
) -> dict[str, Any]:
    """One tornado row (see :func:`portfolio_sim.results.decide_tables.tornado_table`)
    from ``sides`` (:func:`side_numbers` of each side); finish_p85_low/_high are
    ``numpy.datetime64`` (NaT = not done by the horizon)."""
    h = c.horizon_days
    out: dict[str, Any] = {"input": inp.key, "kind": inp.kind, "entity": inp.entity}
    out.update(held_texts(scn, inp))
    days: dict[str, int] = {}
    npvs: dict[str, float] = {}
    for side in SIDES:
        days[side], npvs[side] = sides[side]
        out[f"finish_p85_{side}"] = (
            c.calendar.date_of(days[side]) if days[side] < h else np.datetime64("NaT", "D")
        )
        out[f"finish_{side}_days"] = days[side] - base_day
        out[f"npv_mean_{side}"] = npvs[side]
        out[f"npv_{side}_delta"] = npvs[side] - base_npv
    out["finish_swing_days"] = abs(days["high"] - days["low"])
    out["npv_swing"] = abs(npvs["high"] - npvs["low"])
    return out


def critical_chains(
    done: np.ndarray,
    start: np.ndarray,
    dep_ptr: np.ndarray,
    dep_idx: np.ndarray,
    feat_team: np.ndarray,
    not_before: np.ndarray,
) -> np.ndarray:
    """Per trial, which features lie on the chain that sets the last done date.

    ``done``/``start`` are per-trial clock times [trials, F] (inf: not reached). Returns
    a bool array [trials, F]. The walking rule is in the module docstring.
    """
    n, n_f = done.shape
    on = np.zeros((n, n_f), dtype=bool)
    if n == 0 or n_f == 0:
        return on
    finite_done = np.where(np.isfinite(done), done, np.inf)
    not_done = ~np.isfinite(done)
    cur = np.where(not_done.any(axis=1), np.argmax(not_done, axis=1), np.argmax(finite_done, 1))
    rows = np.arange(n)
    max_deps = int(np.max(np.diff(dep_ptr))) if n_f else 0
    deps = np.full((n_f, max(max_deps, 1)), -1, dtype=np.int64)
    for f in range(n_f):
        ds = dep_idx[dep_ptr[f] : dep_ptr[f + 1]]
        deps[f, : len(ds)] = ds
    same_team = feat_team[:, None] == feat_team[None, :]
    np.fill_diagonal(same_team, False)
    active = np.ones(n, dtype=bool)
    for _ in range(n_f + 1):
        idx = rows[active]
        if idx.size == 0:
            break
        f = cur[idx]
        if on[idx, f].any():  # defensive: never revisit (would mean a cycle)
            active[idx[on[idx, f]]] = False
            keep = ~on[idx, f]
            idx, f = idx[keep], f[keep]
        on[idx, f] = True
        s = start[idx, f]
        d = deps[f]  # [m, D]
        dep_done = np.where(d >= 0, done[idx[:, None], np.maximum(d, 0)], -np.inf)
        latest = np.argmax(dep_done, axis=1)
        latest_t = dep_done[np.arange(idx.size), latest]
        latest_f = d[np.arange(idx.size), latest]
        has_dep = latest_f >= 0
        rule1 = has_dep & np.isfinite(s) & (np.abs(s - latest_t) <= EPS)
        mates = same_team[f] & (np.abs(done[idx] - s[:, None]) <= EPS)
        has_mate = mates.any(axis=1) & np.isfinite(s)
        rule2 = ~rule1 & has_mate
        at_nb = np.abs(s - not_before[f]) <= EPS
        rule4 = ~rule1 & ~rule2 & ~at_nb & has_dep & np.isfinite(s)
        nxt = np.where(rule1 | rule4, latest_f, np.where(rule2, np.argmax(mates, axis=1), -1))
        cont = nxt >= 0
        cur[idx[cont]] = nxt[cont]
        active[idx[~cont]] = False
    return on


def criticality_index(fc: Any) -> np.ndarray:
    """Per feature (scenario order), the share of trials in which it lies on the chain
    that sets the last done date; needs a forecast made with ``keep_trials=True``."""
    raw, c = fc.raw, fc.compiled
    if raw.done is None or raw.start is None:
        raise ValueError("criticality needs a forecast made with keep_trials=True")
    on = critical_chains(raw.done, raw.start, c.dep_ptr, c.dep_idx, c.feat_team, c.feat_not_before)
    return on.mean(axis=0) if len(on) else np.zeros(c.n_features)


def criticality(fc: Any) -> DataFrame:
    """Criticality index of each feature from a forecast made with ``keep_trials=True``:
    id, team, criticality, most critical first (ties keep scenario order)."""
    from portfolio_sim.results.decide_tables import criticality_table

    c = fc.compiled
    index = criticality_index(fc)
    return criticality_table(c.feature_ids, [c.team_ids[j] for j in c.feat_team], index)
