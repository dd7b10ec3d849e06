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
