"""Throughput by item type as arrays for both engines (docs/model.md §2.10).

A team with ``by_type`` keeps its ``samples`` as its throughput distribution (the period
draw picks history period k exactly as a plain team's does) and adds its per-type counts
to the pool, type-major: type t's count in period k is ``pool[off + t n + k]`` for n
samples. A feature with items per type has one *slot* per type it states, in the team's
type order: the slot's type index and its estimate. Both engines keep, per trial, each
slot's items left after the F features' entries of ``size`` / ``finish_v`` (the fast
engine's work arrays, kernels/run.py), followed by one scratch entry per type of every
typed team (a period's counts still to deal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from portfolio_sim.scenario.schema import Distribution, Scenario


@dataclass
class TypeArrays:
    """The compiled form of throughput by type (all empty or zero without it)."""

    tp_types: np.ndarray  # int64 [T, 3]: (pool offset of counts, n types (0: plain), scratch)
    ft_ptr: np.ndarray  # int64 [F+1]: each feature's slots
    ft_feat: np.ndarray  # int64 [S]: the slot's feature
    ft_type: np.ndarray  # int64 [S]: the slot's type index in its team's order
    ft_dist: np.ndarray  # int64 [S, 3]: the slot's estimate (code, off, n)
    extra: int  # S + the typed teams' types: entries after F in size / finish_v


def compile_types(
    scn: Scenario,
    values: list[float],
    add: Callable[[Distribution], tuple[int, int, int]],
) -> TypeArrays:
    """The arrays of :class:`TypeArrays` for ``scn`` (an engine view); per-type counts go
    into the pool's ``values`` and estimates through ``add``."""
    n_t, n_f = len(scn.teams), len(scn.features)
    tp_types = np.zeros((n_t, 3), dtype=np.int64)
    order: dict[str, list[str]] = {}
    for j, team in enumerate(scn.teams):
        by = team.throughput.by_type if team.throughput is not None else None
        if not by:
            continue
        order[team.id] = list(by)
        tp_types[j, 0] = len(values)
        tp_types[j, 1] = len(by)
        for counts in by.values():
            values.extend(float(c) for c in counts)
    ft_ptr = np.zeros(n_f + 1, dtype=np.int64)
    feat: list[int] = []
    kind: list[int] = []
    dist: list[tuple[int, int, int]] = []
    for i, f in enumerate(scn.features):
        items = f.typed_items
        if items is not None and f.team in order:
            for t, name in enumerate(order[f.team]):
                if name in items:
                    feat.append(i)
                    kind.append(t)
                    dist.append(add(items[name]))
        ft_ptr[i + 1] = len(feat)
    s = len(feat)
    scratch = n_f + s
    for j in range(n_t):
        if tp_types[j, 1] > 0:
            tp_types[j, 2] = scratch
            scratch += int(tp_types[j, 1])
    return TypeArrays(
        tp_types=tp_types,
        ft_ptr=ft_ptr,
        ft_feat=np.array(feat, dtype=np.int64),
        ft_type=np.array(kind, dtype=np.int64),
        ft_dist=np.array(dist, dtype=np.int64).reshape(s, 3),
        extra=scratch - n_f,
    )


#: The size estimate compiled for a feature with items per type (the types add theirs).
ZERO_ITEMS = Distribution(fixed=0.0)


def types_of(types: TypeArrays | None, n_t: int, n_f: int) -> TypeArrays:
    """``types`` (a compiled scenario's), or empty arrays for T teams and F features."""
    if types is not None:
        return types
    return TypeArrays(
        tp_types=np.zeros((n_t, 3), dtype=np.int64),
        ft_ptr=np.zeros(n_f + 1, dtype=np.int64),
        ft_feat=np.zeros(0, dtype=np.int64),
        ft_type=np.zeros(0, dtype=np.int64),
        ft_dist=np.zeros((0, 3), dtype=np.int64),
        extra=0,
    )
