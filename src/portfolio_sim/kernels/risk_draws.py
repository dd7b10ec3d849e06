"""A risk's two draws in the fast engine (docs/model.md §5): whether it fires in a trial
(risk slot 0: uniform < probability) and its impact x (risk slot 1, from the risk's
distribution, never negative). Every kind of risk (delay, extra work, extra fraction,
portfolio freeze) draws them the same way; what x then does is the caller's."""

from __future__ import annotations

from numba import njit

from portfolio_sim.codes import SLOT_FIRES, SLOT_IMPACT
from portfolio_sim.rng import NO_REFCOUNT, draw, uniform


@njit(cache=True, inline="always", **NO_REFCOUNT)
def fires(m, r, trial):
    """Whether risk r fires in ``trial``."""
    return uniform(m.risk_key[r], trial, SLOT_FIRES) < m.risk_prob[r]


@njit(cache=True, inline="always", **NO_REFCOUNT)
def impact(m, r, trial):
    """Risk r's impact in ``trial`` (0 where the distribution gives a negative value)."""
    x = draw(
        m.risk_dist[r, 0],
        m.pool,
        m.risk_dist[r, 1],
        m.risk_dist[r, 2],
        m.risk_key[r],
        trial,
        SLOT_IMPACT,
    )
    return max(x, 0.0)
