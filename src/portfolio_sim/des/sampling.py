"""The random draws of one trial, for the reference engine (docs/model.md §2-§5, §7).

Every number comes from the keyed counter-based streams of :mod:`portfolio_sim.rng`, with
the same slots as the fast engine, so the same ``(seed, trial, entity)`` gives the same
draw in both engines and they can be compared trial by trial:

* feature stream: slot 0 is the size (through the group's copula for a member of a
  correlation group, docs/model.md §4.10), slot 1 the ``growth`` multiplier (size x growth);
  a size in items is rounded up, ``ceil(x - 1e-9)`` (so 4.0000000001 stays 4); a size is
  never negative;
* risk stream: the risk fires in a trial when ``uniform(key, trial, 0) < probability``;
  its impact is slot 1 (never negative). A ``delay`` adds to every affected feature's
  start delay (delays of several risks add up); ``extra_effort`` / ``extra_items`` add to
  the affected feature's size (extra items rounded up); ``extra_fraction`` adds its
  fraction of the feature's size as drawn, before the other risks (docs/model.md §5.3);
* throughput team stream: period ``q`` (working days ``[qL, (q+1)L)``) draws from slot
  ``q``; the draw is rounded half up, ``floor(n + 0.5)``, never below 0. A team with
  throughput by type uses the index of the sample that draw picks (its history period);
* items per type (docs/model.md §2.10): a feature's type-t items are slot ``SLOT_TYPED +
  t`` of its stream (t: the type's index in its team's order), rounded up, never below 0;
  the feature's size is their sum.

This module calls only ``rng.draw`` / ``rng.uniform``; it is a re-implementation, not a
wrapper of the kernels, and holds no generator state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portfolio_sim.codes import (
    NO_DIST,
    RISK_DELAY,
    RISK_EXTRA_FRACTION,
    SLOT_FIRES,
    SLOT_GROWTH,
    SLOT_IMPACT,
    SLOT_SIZE,
    SLOT_TYPED,
)
from portfolio_sim.des.freeze import merge_windows
from portfolio_sim.rng import copula_uniform as _rng_copula_uniform
from portfolio_sim.rng import draw as _rng_draw
from portfolio_sim.rng import draw_at as _rng_draw_at
from portfolio_sim.rng import period_items, whole_items
from portfolio_sim.rng import sample_index as _rng_sample_index
from portfolio_sim.rng import uniform as _rng_uniform
from portfolio_sim.scenario.compile import CompiledScenario
from portfolio_sim.scenario.type_compile import types_of


@dataclass
class TrialDraws:
    """What one trial drew: per-feature size and start delay, and the risks that fired."""

    size: list[float]
    delay: list[float]
    fired: list[int]  # risk indices that fired in this trial, in file order
    #: items per type (docs/model.md §2.10): each slot's draw (scenario/type_compile.py)
    typed: list[float] = field(default_factory=list)
    #: The fired portfolio freezes' merged windows ``(lo, hi)`` (des/freeze.py, §5.5).
    windows: list[tuple[float, float]] = field(default_factory=list)


#: The Numba dispatchers, called with plain ints (fast dispatch; typed loosely for mypy).
draw: Any = _rng_draw
uniform: Any = _rng_uniform
copula_uniform: Any = _rng_copula_uniform
draw_at: Any = _rng_draw_at
sample_index: Any = _rng_sample_index

Ref = tuple[int, int, int]  # (code, offset, length) of a distribution in the pool


def _ref(row: np.ndarray) -> Ref:
    return int(row[0]), int(row[1]), int(row[2])


class Sampler:
    """The draws of a compiled scenario, trial by trial.

    Holds the scenario's distribution references as plain ints and its stream keys as
    ``np.uint64`` scalars: Numba dispatches those in about a microsecond, while numpy
    integer scalars or Python ints above 2**63 cost tens of microseconds a call.
    """

    def __init__(self, m: CompiledScenario) -> None:
        self.pool = np.ascontiguousarray(m.pool, dtype=np.float64)
        self.feat_key = list(m.feat_key.astype(np.uint64))
        self.feat_size = [_ref(r) for r in m.feat_size]
        self.feat_growth = [_ref(r) if r[0] != NO_DIST else None for r in m.feat_growth]
        self.feat_items = [bool(x) for x in m.feat_items]
        self.risk_key = list(m.risk_key.astype(np.uint64))
        self.risk_prob = [float(p) for p in m.risk_prob]
        self.risk_dist = [_ref(r) for r in m.risk_dist]
        self.risk_delay = [int(k) == RISK_DELAY for k in m.risk_kind]
        self.risk_fraction = [int(k) == RISK_EXTRA_FRACTION for k in m.risk_kind]
        self.risk_feats = [
            [int(f) for f in m.risk_idx[m.risk_ptr[r] : m.risk_ptr[r + 1]]]
            for r in range(m.n_risks)
        ]
        self.team_key = list(m.team_key.astype(np.uint64))
        # Portfolio freezes (docs/model.md §5.5): risk index -> first clock day.
        self.freeze_on = {int(r): float(d) for r, d in zip(m.freeze_risk, m.freeze_on, strict=True)}
        self.tp_dist = [_ref(r) for r in m.tp_dist]
        ty = types_of(m.types, m.n_teams, m.n_features)
        self.slots = [  # items per type: (feature, stream slot, estimate), §2.10
            (int(f), SLOT_TYPED + int(t), _ref(r))
            for f, t, r in zip(ty.ft_feat, ty.ft_type, ty.ft_dist, strict=True)
        ]
        # Correlated estimates (docs/model.md §4.10): a member's group key and loadings.
        self.feat_group = [
            (np.uint64(m.group_key[g]), float(m.group_load[g, 0]), float(m.group_load[g, 1]))
            if g >= 0
            else None
            for g in (int(x) for x in m.feat_group)
        ]

    def _size(self, f: int, key: np.uint64, trial: int) -> float:
        """Feature f's size estimate: its own size uniform, or, in a correlation group, the
        group's copula uniform (``rng.copula_uniform``), through the same inverse CDF."""
        group = self.feat_group[f]
        ref = self.feat_size[f]
        if group is None:
            return self._draw(ref, key, trial, SLOT_SIZE)
        u = copula_uniform(group[0], key, trial, SLOT_SIZE, group[1], group[2])
        return float(draw_at(ref[0], self.pool, ref[1], ref[2], u))

    def _draw(self, ref: Ref, key: np.uint64, trial: int, slot: int) -> float:
        """One draw of the distribution ``ref`` from ``key``'s ``slot`` in ``trial``."""
        return float(draw(ref[0], self.pool, ref[1], ref[2], key, trial, slot))

    def trial(self, trial: int) -> TrialDraws:
        """Draw every feature's size (growth, rounding, risk extras) and start delay."""
        trial = int(trial)
        size: list[float] = []
        for f, key in enumerate(self.feat_key):
            s = self._size(f, key, trial)
            growth = self.feat_growth[f]
            if growth is not None:
                s *= self._draw(growth, key, trial, SLOT_GROWTH)
            if self.feat_items[f]:
                s = float(whole_items(s))
            size.append(max(s, 0.0))
        typed: list[float] = []
        for f, slot, ref in self.slots:  # items per type (docs/model.md §2.10)
            x = max(float(whole_items(self._draw(ref, self.feat_key[f], trial, slot))), 0.0)
            typed.append(x)
            size[f] += x
        delay = [0.0] * len(size)
        fired = self._fraction_risks(trial, size)
        windows: list[tuple[float, float]] = []
        for r, key in enumerate(self.risk_key):
            if self.risk_fraction[r]:
                continue
            if not float(uniform(key, trial, SLOT_FIRES)) < self.risk_prob[r]:
                continue
            fired.append(r)
            x = max(self._draw(self.risk_dist[r], key, trial, SLOT_IMPACT), 0.0)
            if r in self.freeze_on:  # a freeze: from its first day, x working days
                windows.append((self.freeze_on[r], self.freeze_on[r] + x))
            for f in self.risk_feats[r]:
                if self.risk_delay[r]:
                    delay[f] += x
                elif self.feat_items[f]:
                    size[f] += float(whole_items(x))
                else:
                    size[f] += x
        return TrialDraws(
            size=size, delay=delay, fired=sorted(fired), typed=typed, windows=merge_windows(windows)
        )

    def _fraction_risks(self, trial: int, size: list[float]) -> list[int]:
        """Add the fired ``extra_fraction`` risks' extras to ``size`` (docs/model.md §5.3):
        each adds its fraction x of the feature's size as drawn (before any risk's extra),
        summed over such risks, then extra items rounded up once. Returns those fired."""
        extra = [0.0] * len(size)
        fired: list[int] = []
        for r, key in enumerate(self.risk_key):
            if not self.risk_fraction[r]:
                continue
            if not float(uniform(key, trial, SLOT_FIRES)) < self.risk_prob[r]:
                continue
            fired.append(r)
            x = max(self._draw(self.risk_dist[r], key, trial, SLOT_IMPACT), 0.0)
            for f in self.risk_feats[r]:
                extra[f] += x * size[f]
        for f, e in enumerate(extra):
            if e != 0.0:
                size[f] += float(whole_items(e)) if self.feat_items[f] else e
        return fired

    def period_items(self, team: int, trial: int, period: int) -> float:
        """Items throughput team ``team`` completes in ``period`` of ``trial`` (whole, >= 0)."""
        n = self._draw(self.tp_dist[team], self.team_key[team], int(trial), int(period))
        return float(period_items(n))

    def period_index(self, team: int, trial: int, period: int) -> int:
        """The history period a team with throughput by type draws for ``period`` of
        ``trial`` (docs/model.md §2.10): the index its ``samples`` draw picks."""
        n = self.tp_dist[team][2]
        return int(sample_index(n, self.team_key[team], int(trial), int(period)))


def sample_trial(m: CompiledScenario, trial: int) -> TrialDraws:
    """Draw every feature's size and start delay in ``trial`` (see :class:`Sampler`)."""
    return Sampler(m).trial(trial)
