"""The round-robin deal of a throughput team with ``wip_limit`` k > 1 (docs/model.md §2.9).

The reference form of the rule: items are dealt one at a time. The in-progress set is the
first k eligible features (in priority order) that still need items; the deal cycles
through it in priority order, starting each period with its highest-priority feature. A
feature whose last item is dealt leaves the set and the next eligible feature needing
items joins it (it has a lower priority than every feature in the set, so it is served
after them in the cycle). The deal stops when the items run out or no eligible feature
needs any (the rest are lost). The fast engine (kernels/throughput_wip.py) deals whole
rounds at once, which gives the same numbers since item counts are whole.
"""

from __future__ import annotations

from portfolio_sim.scenario.compile import CompiledScenario
from portfolio_sim.scenario.type_compile import types_of


def deal_round_robin(
    n: float, eligible: list[int], need: dict[int, float], wip: int
) -> list[tuple[int, float]]:
    """Deal ``n`` items among ``eligible`` (priority order) with at most ``wip`` in
    progress; ``need[f]`` is feature f's remaining items and is reduced in place. Returns
    the deal, one ``(feature, items)`` pair per item dealt, in order."""
    out: list[tuple[int, float]] = []
    last = -1  # position in ``eligible`` of the feature served last
    while n > 0.0:
        active = [i for i, f in enumerate(eligible) if need[f] > 0.0][:wip]
        if not active:
            break
        nxt = next((i for i in active if i > last), active[0])
        f = eligible[nxt]
        take = min(1.0, n, need[f])
        need[f] -= take
        n -= take
        out.append((f, take))
        last = nxt
    return out


def deal_by_type(
    counts: list[float], eligible: list[int], need: dict[int, list[float]], wip: int
) -> list[tuple[int, int]]:
    """Deal a period's per-type ``counts`` among ``eligible`` (priority order) with at
    most ``wip`` in progress (docs/model.md §2.10); ``need[f][t]`` is feature f's type-t
    items left and is reduced in place, as is ``counts``. The in-progress set is the first
    ``wip`` eligible features that still need an item of a type the period still has; at
    its turn a feature takes one item of the first such type. Returns the deal, one
    ``(feature, type)`` pair per item, in order."""
    out: list[tuple[int, int]] = []
    types = range(len(counts))

    def first_type(f: int) -> int | None:
        return next((t for t in types if need[f][t] > 0.0 and counts[t] > 0.0), None)

    last = -1
    while True:
        active = [i for i, f in enumerate(eligible) if first_type(f) is not None][:wip]
        if not active:
            break
        nxt = next((i for i in active if i > last), active[0])
        f = eligible[nxt]
        t = first_type(f)
        assert t is not None
        need[f][t] -= 1.0
        counts[t] -= 1.0
        out.append((f, t))
        last = nxt
    return out


def type_tables(
    m: CompiledScenario,
) -> tuple[list[list[list[float]] | None], list[list[tuple[int, int]]]]:
    """Throughput by type (docs/model.md §2.10) for the reference engine: each team's
    counts ``[type][history period]`` (None: a plain team), and each feature's slots
    ``(slot, type)`` in its team's type order (scenario/type_compile.py)."""
    ty = types_of(m.types, m.n_teams, m.n_features)
    by_type: list[list[list[float]] | None] = [None] * m.n_teams
    for j in range(m.n_teams):
        off, n_types, n = int(ty.tp_types[j, 0]), int(ty.tp_types[j, 1]), int(m.tp_dist[j, 2])
        if n_types:
            flat = [float(x) for x in m.pool[off : off + n_types * n]]
            by_type[j] = [flat[t * n : (t + 1) * n] for t in range(n_types)]
    slots = [
        [(s, int(ty.ft_type[s])) for s in range(int(ty.ft_ptr[f]), int(ty.ft_ptr[f + 1]))]
        for f in range(m.n_features)
    ]
    return by_type, slots
