"""Risks whose impact scales with the feature: ``extra_fraction`` (docs/model.md §5.3).

A fired ``extra_fraction`` risk draws its fraction x once (risk slot 1, as every impact)
and adds x times each affected feature's size *as drawn* (estimate x growth, items
rounded up; before any risk's extra) to that feature. Several such risks on one feature
add up, each a fraction of that same drawn size (so file order does not matter); the
total extra items are rounded up once. Applied before the additive risks of
kernels/sample.py ``kernel_sample_trial``, which skip this kind.
"""

from __future__ import annotations

from numba import njit

from portfolio_sim.codes import RISK_EXTRA_FRACTION
from portfolio_sim.kernels.risk_draws import fires, impact
from portfolio_sim.rng import NO_REFCOUNT, whole_items


@njit(cache=True, **NO_REFCOUNT)
def apply_fraction_risks(m, trial, size, scratch):
    """Add the fired ``extra_fraction`` risks' extras to ``size`` (the drawn sizes).
    ``scratch`` [F] must be all 0 on entry and is all 0 on return (the trial's delay
    array, before any delay risk is added)."""
    fired = False
    for r in range(m.risk_prob.shape[0]):
        if m.risk_kind[r] != RISK_EXTRA_FRACTION:
            continue
        if fires(m, r, trial):
            x = impact(m, r, trial)
            for i in range(m.risk_ptr[r], m.risk_ptr[r + 1]):
                f = m.risk_idx[i]
                scratch[f] += x * size[f]
            fired = True
    if fired:
        for f in range(size.shape[0]):
            if scratch[f] != 0.0:
                size[f] += whole_items(scratch[f]) if m.feat_items[f] else scratch[f]
                scratch[f] = 0.0
