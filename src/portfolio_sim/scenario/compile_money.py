"""The money arrays of a compiled scenario (docs/model.md §6, docs/money.md).

:func:`money_arrays` turns the calendar, the teams' paid members and cost rates, the
discount rate, the budget and the deadlines into :class:`MoneyInputs`: each team's
cumulative cost of paid members by working day, the month of each working day and the
first working day of each month, calendar offsets, each month's discount factor
``(1 + rate)^(-(m + 1) / 12)``, the budget quarter of each month and the month of each
feature's deadline penalty. Both engines' money code and results/money.py read it; the
per-trial draws (one-off costs, cost shocks, value) are theirs.
"""

from __future__ import annotations

import numpy as np

from portfolio_sim.calendar import WorkCalendar
from portfolio_sim.scenario.compiled import MoneyInputs
from portfolio_sim.scenario.schema import Scenario


def money_arrays(
    scn: Scenario,
    cal: WorkCalendar,
    pay_lists: list[list[tuple[int, float]]],
    team_feats: list[list[int]],
    feat_deadline: np.ndarray,
) -> MoneyInputs:
    """Calendar and cost arrays for both engines' money code (all but per-trial draws)."""
    h = int(cal.horizon_days)
    n_m = int(cal.n_months)
    n_t = len(scn.teams)
    cum = np.zeros((n_t, h + 1))
    days = np.arange(h, dtype=np.int64)
    for j, team in enumerate(scn.teams):
        members = np.zeros(h)
        for when, count in pay_lists[j]:
            members[min(when, h) :] = count
        cum[j, 1:] = np.cumsum(members * team.cost_per_member_day)
    day_month = (
        np.asarray(cal.days_in_month_index(h), dtype=np.int64)
        if h > 0
        else np.zeros(0, dtype=np.int64)
    )
    month_first_day = np.searchsorted(day_month, np.arange(n_m + 1), side="left").astype(np.int64)
    month_first_day[n_m] = h
    start = np.datetime64(scn.start, "D")
    first_month = start.astype("datetime64[M]")
    month_starts = (first_month + np.arange(n_m + 1)).astype("datetime64[D]")
    month_start_off = (month_starts - start).astype(np.int64)
    horizon_off = int((np.datetime64(scn.horizon_date, "D") - start).astype(np.int64))
    month_start_off[n_m] = horizon_off + 1
    cal_off = (
        np.asarray(cal.calendar_days_since_start(days), dtype=np.int64).reshape(h)
        if h > 0
        else np.zeros(0, dtype=np.int64)
    )
    disc = (1.0 + scn.discount_rate) ** (-(np.arange(n_m) + 1.0) / 12.0)
    penalty_month = np.zeros(len(scn.features), dtype=np.int64)
    for i, f in enumerate(scn.features):
        if f.deadline is not None:
            penalty_month[i] = min(max(int(cal.month_index_of(f.deadline)), 0), n_m - 1)
    total = scn.budget.total if scn.budget is not None and scn.budget.total is not None else -1.0
    quarters = sorted(scn.budget.quarters) if scn.budget is not None else []
    labels = cal.month_labels(n_m)
    quarter_of_month = np.full(n_m, -1, dtype=np.int64)
    for qi, quarter in enumerate(quarters):
        year, q = int(quarter[:4]), int(quarter[-1])
        for month in range(3 * q - 2, 3 * q + 1):
            label = f"{year}-{month:02d}"
            if label in labels:
                quarter_of_month[labels.index(label)] = qi
    return MoneyInputs(
        horizon_days=h,
        team_cost_cum=cum,
        team_has_work=np.array([len(x) > 0 for x in team_feats], dtype=np.bool_),
        day_month=day_month,
        month_first_day=month_first_day,
        cal_off=cal_off,
        month_start_off=month_start_off,
        horizon_off=horizon_off,
        disc=disc,
        budget_total=float(total),
        quarter_of_month=quarter_of_month,
        feat_penalty_month=penalty_month,
    )
