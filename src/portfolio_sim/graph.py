"""Dependency graphs: the one topological sort (scenario compiler, decide optimiser)."""

from __future__ import annotations

from collections.abc import Sequence


def topological_order(n: int, deps: Sequence[Sequence[int]]) -> list[int]:
    """Nodes ``0 .. n-1`` in an order where each comes after everything it depends on
    (``deps[i]``, duplicates ignored); stable: among nodes free at the same time, the
    first freed, then the lowest index, comes first (Kahn's algorithm with a FIFO queue).
    Raises ``ValueError`` on a cycle (scenario checks report cycles with their path
    before any caller gets here)."""
    indeg = [len(set(d)) for d in deps]
    succ: list[list[int]] = [[] for _ in range(n)]
    for i, ds in enumerate(deps):
        for d in sorted(set(ds)):
            succ[d].append(i)
    ready = [i for i in range(n) if indeg[i] == 0]
    order: list[int] = []
    head = 0
    while head < len(ready):
        i = ready[head]
        head += 1
        order.append(i)
        for s in succ[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if len(order) != n:
        raise ValueError("dependency cycle")
    return order
