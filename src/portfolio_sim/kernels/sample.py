"""One trial's feature sizes and start delays, drawn before the schedule runs (docs/model.md
§2-§4).

Every draw comes from the keyed streams of portfolio_sim/rng.py, addressed by (the
feature's or risk's stream key, the trial, a slot), so a trial's sizes do not depend on
the order anything is simulated in, and the reference engine (des/sampling.py) draws the
same numbers. :func:`kernel_sample_trial` draws, in order:

* each feature's size (from its correlation group's copula when it has one,
  kernels/correlation.py), times its growth factor; sizes in items are whole items; a
  negative size counts as 0;
* items per type (§2.10): each typed slot's whole items go to ``size[n_features + slot]``
  and are added to the feature's size;
* scaled risks (an extra fraction of the size, kernels/scaled_risks.py);
* every other risk that fires (``uniform < probability``): one impact draw, shared by the
  features it affects; a delay adds to their start delay, any other kind to their size
  (whole items for features sized in items).
"""

from __future__ import annotations

from numba import njit

from portfolio_sim.codes import (
    RISK_DELAY,
    RISK_EXTRA_FRACTION,
    SLOT_GROWTH,
    SLOT_SIZE,
    SLOT_TYPED,
)
from portfolio_sim.kernels.correlation import correlated_size
from portfolio_sim.kernels.risk_draws import fires, impact
from portfolio_sim.kernels.scaled_risks import apply_fraction_risks
from portfolio_sim.rng import NO_REFCOUNT, draw, whole_items


@njit(cache=True, **NO_REFCOUNT)
def kernel_sample_trial(m, trial, size, delay):
    """Draw every feature's size (growth, rounding, risk extras) and start delay."""
    n_f = m.feat_team.shape[0]
    for f in range(n_f):
        if m.feat_group[f] >= 0:
            s = correlated_size(m, f, trial)
        else:
            s = draw(
                m.feat_size[f, 0],
                m.pool,
                m.feat_size[f, 1],
                m.feat_size[f, 2],
                m.feat_key[f],
                trial,
                SLOT_SIZE,
            )
        if m.feat_growth[f, 0] >= 0:
            s *= draw(
                m.feat_growth[f, 0],
                m.pool,
                m.feat_growth[f, 1],
                m.feat_growth[f, 2],
                m.feat_key[f],
                trial,
                SLOT_GROWTH,
            )
        if m.feat_items[f]:
            s = whole_items(s)
        size[f] = max(s, 0.0)
        delay[f] = 0.0
    for k in range(m.ft_feat.shape[0]):  # items per type (docs/model.md §2.10)
        f = m.ft_feat[k]
        x = draw(
            m.ft_dist[k, 0], m.pool, m.ft_dist[k, 1], m.ft_dist[k, 2], m.feat_key[f], trial,
            SLOT_TYPED + m.ft_type[k],
        )  # fmt: skip
        x = max(whole_items(x), 0.0)
        size[n_f + k] = x
        size[f] += x
    apply_fraction_risks(m, trial, size, delay)
    for r in range(m.risk_prob.shape[0]):
        if m.risk_kind[r] != RISK_EXTRA_FRACTION and fires(m, r, trial):
            x = impact(m, r, trial)
            kind = m.risk_kind[r]
            for i in range(m.risk_ptr[r], m.risk_ptr[r + 1]):
                f = m.risk_idx[i]
                if kind == RISK_DELAY:
                    delay[f] += x
                elif m.feat_items[f]:
                    size[f] += whole_items(x)
                else:
                    size[f] += x
