"""The size draw of a feature in a correlation group (docs/model.md §4.10).

A member's size is its estimate's inverse CDF (``rng.draw_at``) at the copula uniform
``rng.copula_uniform`` of its group's factor and its own size uniform, instead of at its
own size uniform; features in no group never come here (kernels/sample.py keeps
``rng.draw`` for them, so their draws are unchanged bit for bit).
"""

from __future__ import annotations

from numba import njit

from portfolio_sim.codes import SLOT_SIZE
from portfolio_sim.rng import NO_REFCOUNT, copula_uniform, draw_at


@njit(cache=True, **NO_REFCOUNT)
def correlated_size(m, f, trial):
    """Feature f's size estimate drawn through its group's copula in ``trial``."""
    g = m.feat_group[f]
    u = copula_uniform(
        m.group_key[g], m.feat_key[f], trial, SLOT_SIZE, m.group_load[g, 0], m.group_load[g, 1]
    )
    return draw_at(m.feat_size[f, 0], m.pool, m.feat_size[f, 1], m.feat_size[f, 2], u)
