"""Compare priority orders by simulated total cost of delay.

Orders compared (each a full re-prioritisation, forecast with the same seed, so the
comparison uses common random numbers):

``as written``  the scenario's own priorities;
``CD3``         cost of delay divided by duration ("CD3"): CoD = ``value.per_month``,
                duration = the feature's mean simulated duration (done - start, working
                days) in the as-written forecast;
``WSJF``        only when scores are given (``wsjf={feature id: score}``, or a ``wsjf``
                attribute on features): higher first.

A computed order must not starve a prerequisite: a feature's score is raised to the
highest score of anything that (transitively) depends on it ("priority inheritance"), so
a feature with no value of its own that gates valuable work is ranked with that work.
Ties keep the written order.

**Total cost of delay** of a trial = sum over features with value of
``per_month x months from the start until the done date`` (calendar months of 365.25/12
days; not done by the horizon counts as done on the horizon). Reported as mean and P50/P90
over trials, next to the mean NPV and the P85 portfolio done date.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.results.decide_numbers import portfolio_numbers
from portfolio_sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from portfolio_sim.results.decide_tables import DataFrame

DAYS_PER_MONTH = 365.25 / 12


def _inherit(scn: Scenario, score: dict[str, float]) -> dict[str, float]:
    """Raise each feature's score to the highest score of its (transitive) dependents."""
    out = dict(score)
    dependents: dict[str, list[str]] = {f.id: [] for f in scn.features}
    for f in scn.features:
        for d in f.depends_on:
            dependents[d].append(f.id)
    changed = True
    while changed:  # a fixpoint; at most depth-of-graph rounds
        changed = False
        for f in scn.features:
            top = max((out[s] for s in dependents[f.id]), default=-np.inf)
            if top > out[f.id]:
                out[f.id] = top
                changed = True
    return out


def reprioritise(scn: Scenario, score: Mapping[str, float]) -> Scenario:
    """A copy of ``scn`` with priorities 1..n by ``score`` (higher first, inherited by
    prerequisites; ties keep the written order)."""
    eff = _inherit(scn, {f.id: float(score.get(f.id, 0.0)) for f in scn.features})
    written = {
        f.id: (f.priority if f.priority is not None else np.inf, i)
        for i, f in enumerate(scn.features)
    }
    ranked = sorted(eff, key=lambda fid: (-eff[fid], *written[fid]))
    out = scn.model_copy(deep=True)
    rank = {fid: k + 1 for k, fid in enumerate(ranked)}
    for f in out.features:
        f.priority = float(rank[f.id])
    return out


def cost_of_delay(fc: Any) -> np.ndarray:
    """Per-trial total cost of delay of a forecast made with ``keep_trials=True``."""
    c, raw = fc.compiled, fc.raw
    assert raw.done is not None
    h = c.horizon_days
    done = raw.done
    ok = np.isfinite(done) & (done <= h)
    day = done_days_or(done, h - 1, ok)
    cal_days = np.asarray(c.calendar.calendar_days_since_start(day.astype(np.int64)), float)
    horizon_off = float(c.money.horizon_off)
    cal_days = np.where(ok, cal_days, horizon_off)
    months = cal_days.reshape(done.shape) / DAYS_PER_MONTH
    per_month = np.where(c.feature_has_value, c.feat_value[:, 0], 0.0)
    return np.asarray(months @ per_month, dtype=float)


def _mean_durations(fc: Any) -> dict[str, float]:
    raw = fc.raw
    ok = np.isfinite(raw.done) & np.isfinite(raw.start)  # not started / not done: no duration
    dur = np.where(ok, raw.done, 0.0) - np.where(ok, raw.start, 0.0)
    n = ok.sum(axis=0)
    mean = np.where(n > 0, np.where(ok, dur, 0).sum(axis=0) / np.maximum(n, 1), np.inf)
    return dict(zip(fc.compiled.feature_ids, mean.tolist(), strict=True))


def compare_priorities(
    scenario: Scenario | str | os.PathLike[str],
    trials: int = 2_000,
    seed: int = 0,
    variant: str | None = None,
    *,
    wsjf: Mapping[str, float] | None = None,
) -> DataFrame:
    """One row per priority order: total cost of delay (mean, P50, P90), mean NPV, P85
    portfolio done date and the order itself (feature ids, first first), and ``vs_best``
    (mean cost of delay above the best order's). The table is built by
    :func:`portfolio_sim.results.decide_tables.priorities_table` from
    :func:`priority_rows`."""
    from portfolio_sim.results.decide_tables import priorities_table

    return priorities_table(priority_rows(scenario, trials, seed, variant, wsjf=wsjf))


def priority_rows(
    scenario: Scenario | str | os.PathLike[str],
    trials: int = 2_000,
    seed: int = 0,
    variant: str | None = None,
    *,
    wsjf: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """The rows of :func:`compare_priorities` as plain dicts, one per order (without
    ``vs_best``; ``finish_p85`` is a ``numpy.datetime64``, NaT = not done by the horizon)."""
    from portfolio_sim.decide.sensitivity import finish_day
    from portfolio_sim.forecasting import forecast, resolve_scenario

    scn, _ = resolve_scenario(scenario, variant)
    base = forecast(
        scn, trials=trials, seed=seed, keep_trials=True, percentiles="default", team_load=False
    )
    durations = _mean_durations(base)
    cd3 = {
        f.id: (f.value.per_month / max(durations[f.id], 1e-9)) if f.value is not None else 0.0
        for f in scn.features
    }
    orders: list[tuple[str, Scenario]] = [("as written", scn), ("CD3", reprioritise(scn, cd3))]
    given = dict(wsjf or {})
    given.update(
        {f.id: float(getattr(f, "wsjf", 0.0)) for f in scn.features if getattr(f, "wsjf", None)}
    )
    if given:
        orders.append(("WSJF", reprioritise(scn, given)))
    rows = []
    for name, s in orders:
        fc = (
            base
            if s is scn
            else forecast(
                s,
                trials=trials,
                seed=seed,
                keep_trials=True,
                percentiles="default",
                team_load=False,
            )
        )
        cod = cost_of_delay(fc)
        q50, q90 = np.percentile(cod, [50, 90], method="inverted_cdf")
        port = portfolio_numbers(fc)
        day = finish_day(fc.raw.port_t, fc.compiled.horizon_days)
        order = sorted(
            s.features,
            key=lambda f: f.priority if f.priority is not None else np.inf,
        )
        rows.append(
            {
                "order": name,
                "cost_of_delay_mean": float(cod.mean()),
                "cost_of_delay_p50": float(q50),
                "cost_of_delay_p90": float(q90),
                "npv_mean": float(port["npv"]["mean"]),
                "finish_p85": port["finish"]["p85"],
                "finish_p85_day": day,
                "priorities": [f.id for f in order],
            }
        )
    return rows
