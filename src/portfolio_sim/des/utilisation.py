"""Utilisation over time of one simulated trial, per team and calendar month.

From a trial's schedule (each feature's ready, start and done clock times), the paid
period of each team (working day 0 until the day its last feature is done, or the
horizon with ``release: horizon``; docs/model.md §2, §10) is split into three states:

* **busy**: a feature is in progress (or, on a throughput team, ready and waiting for
  the next period's items);
* **idle_blocked**: idle waiting: nothing in progress, but features are left that are
  not ready yet (dependencies, ``not_before``, risk delays);
* **idle_empty**: idle with an empty backlog: every feature of the team is done (the
  rest of its last paid day, or until the horizon with ``release: horizon``).

Shares are of the paid *capacity*: effort teams weigh time by their capacity rate
(focus x effective members), so busy over the whole paid period equals the team's
utilisation of docs/model.md §10 (all capacity goes to features while one is in progress).
Throughput teams (and months without capacity) weigh working days evenly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from portfolio_sim.calendar import done_day
from portfolio_sim.codes import EFFORT, EPS
from portfolio_sim.des.model import DesModel, TrialResult
from portfolio_sim.scenario.compile import CompiledScenario


def _paid_end(m: CompiledScenario, j: int, team_finish: float) -> float:
    """Clock time at which team ``j`` stops being paid (docs/model.md §2, §10)."""
    horizon = float(m.horizon_days)
    if m.team_release_horizon[j] or team_finish > horizon:
        return horizon
    return min(float(done_day(team_finish) + 1), horizon)


def utilisation_rows(
    m: CompiledScenario, model: DesModel, res: TrialResult, ready: list[float]
) -> list[tuple[Any, ...]]:
    """One ``(team, month, paid_days, paid_capacity, busy, idle_blocked, idle_empty)``
    tuple (:data:`portfolio_sim.results.trace_tables.UTILISATION_COLUMNS`) per team and
    month (teams in scenario order, months in calendar order), shares of the paid capacity: busy (a feature in progress, or
    ready and waiting for a throughput period), idle waiting (features left, none ready:
    dependencies, ``not_before``, risk delays), idle empty (nothing left to do).

    Effort teams weigh time by their capacity rate (so ``busy`` over the whole paid
    period is the team's utilisation of docs/model.md §10); throughput teams weigh time
    evenly (``paid_capacity`` is NaN). Months without paid days are left out; a
    scenario without working days gives no rows.
    """
    cal = m.calendar
    h = m.horizon_days
    rows: list[tuple[Any, ...]] = []
    if h <= 0:
        return rows
    month_of_day = cal.days_in_month_index(h)
    bounds = [float(d) for d in np.flatnonzero(np.diff(month_of_day)) + 1]
    labels = m.month_labels or cal.month_labels(cal.n_months)
    for j, team in enumerate(m.team_ids):
        feats = model.team_feats[j]
        finish = max((res.done[f] for f in feats), default=0.0)
        end = _paid_end(m, j, finish)
        cap = model.capacity[j] if int(m.team_kind[j]) == EFFORT else None
        times = {0.0, end}
        for f in feats:
            times.update(t for t in (res.start[f], res.done[f], ready[f]) if 0.0 < t < end)
        times.update(b for b in bounds if b < end)
        cuts = sorted(times)
        # month -> [days, capacity, 3 x capacity by state, 3 x days by state]
        acc: dict[int, np.ndarray] = {}
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            if b - a <= EPS:
                continue
            mid = 0.5 * (a + b)
            left = [f for f in feats if res.done[f] > mid]
            if any(res.start[f] <= mid or ready[f] <= mid for f in left):
                state = 0
            elif left:
                state = 1
            else:
                state = 2
            weight = cap.at(b) - cap.at(a) if cap is not None else 0.0
            month = int(month_of_day[min(math.floor(a + EPS), h - 1)])
            row = acc.setdefault(month, np.zeros(8))
            row[0] += b - a
            row[1] += weight
            row[2 + state] += weight
            row[5 + state] += b - a
        for month in sorted(acc):
            row = acc[month]
            parts = row[2:5] if row[1] > 0 else row[5:8]  # no capacity: weigh time
            shares = parts / parts.sum() if parts.sum() > 0 else np.full(3, np.nan)
            capacity = float(row[1]) if cap is not None else np.nan
            rows.append((team, labels[month], float(row[0]), capacity, *map(float, shares)))
    return rows


__all__ = ["utilisation_rows"]
