"""Portfolio cost shocks in the fast engine's money (docs/model.md §5.4).

A cost shock is a risk with a ``cost`` and no affected features: when it fires in a trial
(risk slot 0, as every risk) its cost is drawn (risk slot 1) and paid on its working day
(``on``, default the start): in that month's cost (opex), the portfolio cost, cost PV,
NPV, budget quarters and the spent date. A day at or after the horizon pays nothing.
The draws are recomputed where needed (no per-trial storage: kernels/money.py allocates
nothing).
"""

from __future__ import annotations

from numba import njit

from portfolio_sim.codes import SLOT_FIRES, SLOT_IMPACT
from portfolio_sim.rng import NO_REFCOUNT, draw, uniform


@njit(cache=True, inline="always", **NO_REFCOUNT)
def shock_cost(mm, i, trial):
    """Cost shock i's cost in ``trial`` (0 if it does not fire or is never paid)."""
    if mm.shock_day[i] >= mm.horizon_days:
        return 0.0
    if not uniform(mm.shock_key[i], trial, SLOT_FIRES) < mm.shock_prob[i]:
        return 0.0
    x = draw(
        mm.shock_dist[i, 0],
        mm.pool,
        mm.shock_dist[i, 1],
        mm.shock_dist[i, 2],
        mm.shock_key[i],
        trial,
        SLOT_IMPACT,
    )
    return max(x, 0.0)


@njit(cache=True, **NO_REFCOUNT)
def add_cost_shocks(mm, trial, month_cost):
    """Add every fired cost shock to the month of its day (file order)."""
    for i in range(mm.shock_day.shape[0]):
        c = shock_cost(mm, i, trial)
        if c > 0.0:
            month_cost[mm.day_month[mm.shock_day[i]]] += c


@njit(cache=True, **NO_REFCOUNT)
def cost_shocks_before(mm, trial, day):
    """The fired cost shocks paid on working days before ``day`` (spent-date search)."""
    s = 0.0
    for i in range(mm.shock_day.shape[0]):
        if mm.shock_day[i] < day:
            s += shock_cost(mm, i, trial)
    return s
