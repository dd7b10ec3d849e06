"""The random draws of one trial, for the reference engine (MODEL.md §2-§5, §7).

Every number comes from the keyed counter-based streams of :mod:`portfolio_sim.rng`, with
the same slots as the fast engine, so the same ``(seed, trial, entity)`` gives the same
draw in both engines and they can be compared trial by trial:

* feature stream: slot 0 is the size, slot 1 the ``growth`` multiplier (size x growth);
  a size in items is rounded up, ``ceil(x - 1e-9)`` (so 4.0000000001 stays 4); a size is
  never negative;
* risk stream: the risk fires in a trial when ``uniform(key, trial, 0) < probability``;
  its impact is slot 1 (never negative). A ``delay`` adds to every affected feature's
  start delay (delays of several risks add up); ``extra_effort`` / ``extra_items`` add to
  the affected feature's size (extra items rounded up);
* throughput team stream: period ``q`` (working days ``[qL, (q+1)L)``) draws from slot
  ``q``; the draw is rounded half up, ``floor(n + 0.5)``, never below 0.

This module calls only ``rng.draw`` / ``rng.uniform``; it is a re-implementation, not a
wrapper of the kernels, and holds no generator state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from portfolio_sim.rng import draw, uniform
from portfolio_sim.scenario.compile import (
    NO_DIST,
    RISK_DELAY,
    SLOT_FIRES,
    SLOT_GROWTH,
    SLOT_IMPACT,
    SLOT_SIZE,
    CompiledScenario,
)

#: Tolerance of the round-up of item counts (a float just above an integer stays it).
ROUND_EPS = 1e-9


@dataclass
class TrialDraws:
    """What one trial drew: per-feature size and start delay, and the risks that fired."""

    size: list[float]
    delay: list[float]
    fired: list[int]  # risk indices that fired in this trial, in file order


def _sample(m: CompiledScenario, ref: np.ndarray, key: np.uint64, trial: int, slot: int) -> float:
    """One draw of the distribution ``ref = (code, off, n)`` from ``key``'s ``slot``."""
    return float(
        draw(
            np.int64(ref[0]),
            m.pool,
            np.int64(ref[1]),
            np.int64(ref[2]),
            key,
            np.int64(trial),
            np.int64(slot),
        )
    )


def sample_trial(m: CompiledScenario, trial: int) -> TrialDraws:
    """Draw every feature's size (growth, rounding, risk extras) and start delay."""
    size: list[float] = []
    delay: list[float] = []
    for f in range(m.n_features):
        key = m.feat_key[f]
        s = _sample(m, m.feat_size[f], key, trial, SLOT_SIZE)
        if m.feat_growth[f, 0] != NO_DIST:
            s *= _sample(m, m.feat_growth[f], key, trial, SLOT_GROWTH)
        if m.feat_items[f]:
            s = float(math.ceil(s - ROUND_EPS))
        size.append(max(s, 0.0))
        delay.append(0.0)
    fired: list[int] = []
    for r in range(m.n_risks):
        key = m.risk_key[r]
        if not float(uniform(key, np.int64(trial), np.int64(SLOT_FIRES))) < m.risk_prob[r]:
            continue
        fired.append(r)
        x = max(_sample(m, m.risk_dist[r], key, trial, SLOT_IMPACT), 0.0)
        for f in m.risk_idx[m.risk_ptr[r] : m.risk_ptr[r + 1]]:
            if m.risk_kind[r] == RISK_DELAY:
                delay[f] += x
            elif m.feat_items[f]:
                size[f] += float(math.ceil(x - ROUND_EPS))
            else:
                size[f] += x
    return TrialDraws(size=size, delay=delay, fired=fired)


def period_items(m: CompiledScenario, team: int, trial: int, period: int) -> float:
    """Items a throughput team completes in period ``period`` of ``trial`` (whole, >= 0)."""
    n = _sample(m, m.tp_dist[team], m.team_key[team], trial, period)
    return max(float(math.floor(n + 0.5)), 0.0)
