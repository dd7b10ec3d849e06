"""A pure optimiser for budgeted selection with dependencies (no simulation here).

Choose a subset S of n items to maximise an objective subject to

* ``sum(cost[i] for i in S) <= budget``;
* optional extra resources: ``sum(use[k][i] for i in S) <= limit[k]`` for each k (team
  capacity);
* dependencies: an item is only chosen with every item it depends on;
* optional ``required`` items (mandatory work and its dependency closure) are always
  chosen: the search starts from them and only decides about the others.

Objectives (item i has mean ``value[i]`` and variance ``variance[i]``, independent; the
total is approximated as normal):

``mean``      sum of values (a plain knapsack when there are no dependencies);
``p10``       mean - z90 x sqrt(total variance) (the 10 % quantile of the normal);
``positive``  Phi(mean / sd), the probability that the total is positive.

**Exact** for up to :data:`EXACT_MAX` items: depth-first branch-and-bound over items in a
topological order (an item may only be taken when everything it depends on was taken).
The bound for ``mean`` is the fractional-knapsack relaxation of the remaining items with
positive value under the budget alone (dropping dependencies and resources only relaxes);
for ``p10``/``positive`` the bound uses the best reachable mean with the current
(smallest possible) variance, which is valid because adding items never lowers variance.
**Greedy** above that (or when ``max_nodes`` is exceeded): repeatedly add the item whose
*closure* (it and everything it depends on not yet chosen) improves the objective most per
unit of cost and still fits; stops when nothing improves. Documented as a heuristic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from portfolio_sim.graph import topological_order

Objective = Literal["mean", "p10", "positive"]
OBJECTIVES: tuple[str, ...] = ("mean", "p10", "positive")
EXACT_MAX = 25
Z90 = 1.2815515655446004
_TOL = 1e-9


@dataclass(frozen=True)
class Choice:
    """The chosen items (indexes, ascending), their objective and total cost."""

    items: tuple[int, ...]
    objective: float
    cost: float
    mean: float
    sd: float
    exact: bool


def score(mean: float, var: float, objective: str) -> float:
    """The objective of a set with total ``mean`` and ``var`` (normal approximation)."""
    sd = math.sqrt(max(var, 0.0))
    if objective == "mean":
        return mean
    if objective == "p10":
        return mean - Z90 * sd
    if objective == "positive":
        if sd <= 0.0:
            return 1.0 if mean > 0 else 0.0
        return NormalDist().cdf(mean / sd)
    raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")


def optimise(
    costs: Sequence[float],
    values: Sequence[float],
    budget: float,
    *,
    depends_on: Sequence[Sequence[int]] | None = None,
    variances: Sequence[float] | None = None,
    objective: str = "mean",
    uses: Sequence[Sequence[float]] = (),
    limits: Sequence[float] = (),
    offset: float = 0.0,
    required: Sequence[int] = (),
    exact_max: int = EXACT_MAX,
    max_nodes: int = 2_000_000,
) -> Choice:
    """The best subset under the budget (see the module docstring).

    ``offset`` is a constant added to every set's mean (e.g. a fixed overhead, negative);
    it matters for the ``p10`` and ``positive`` objectives. ``required`` items (closed
    over their dependencies here) are in every set; :class:`Infeasible` is raised when
    they alone exceed the budget or a resource limit.

    >>> optimise([3, 4, 8, 10, 15, 20], [3, 1, 3, 4, 3, 6], 32).objective
    12.0
    """
    n = len(costs)
    if len(values) != n:
        raise ValueError("costs and values differ in length")
    score(0.0, 0.0, objective)  # validates the objective
    deps = [list(d) for d in depends_on] if depends_on is not None else [[] for _ in range(n)]
    var = [float(v) for v in variances] if variances is not None else [0.0] * n
    cost = [float(c) for c in costs]
    val = [float(v) for v in values]
    use = [[float(x) for x in u] for u in uses]
    lim = [float(x) for x in limits]
    if len(use) != len(lim):
        raise ValueError("uses and limits differ in length")
    must = required_closure(required, deps)
    check_required(must, cost, budget, use, lim)
    if n <= exact_max:
        found = _branch_and_bound(
            cost, val, var, deps, budget, use, lim, objective, max_nodes, offset, must
        )
        if found is not None:
            return found
    return _greedy(cost, val, var, deps, budget, use, lim, objective, offset, must)


class Infeasible(ValueError):
    """The required items alone exceed the budget (``resource`` None) or the limit of
    resource ``resource``; ``needed`` and ``available`` say by how much."""

    def __init__(self, resource: int | None, needed: float, available: float):
        self.resource, self.needed, self.available = resource, needed, available
        what = "the budget" if resource is None else f"resource {resource}"
        super().__init__(f"required items need {needed:g}, above {what} ({available:g})")


def required_closure(required: Sequence[int], deps: Sequence[Sequence[int]]) -> list[int]:
    """``required`` and everything it depends on, directly or not (ascending)."""
    seen: set[int] = set()
    stack = list(required)
    while stack:
        j = stack.pop()
        if j not in seen:
            seen.add(j)
            stack.extend(deps[j])
    return sorted(seen)


def check_required(
    must: Sequence[int],
    cost: Sequence[float],
    budget: float,
    use: Sequence[Sequence[float]] = (),
    lim: Sequence[float] = (),
) -> None:
    """Raise :class:`Infeasible` when the items ``must`` alone do not fit."""
    spent = sum(cost[i] for i in must)
    if spent > budget + _TOL:
        raise Infeasible(None, spent, budget)
    for k in range(len(use)):
        needed = sum(use[k][i] for i in must)
        if needed > lim[k] + _TOL:
            raise Infeasible(k, needed, lim[k])


def _choice(
    items: list[int],
    cost: list[float],
    val: list[float],
    var: list[float],
    obj: str,
    exact: bool,
    offset: float,
) -> Choice:
    m = offset + sum(val[i] for i in items)
    v = sum(var[i] for i in items)
    return Choice(
        items=tuple(sorted(items)),
        objective=score(m, v, obj),
        cost=sum(cost[i] for i in items),
        mean=m,
        sd=math.sqrt(max(v, 0.0)),
        exact=exact,
    )


def _branch_and_bound(
    cost: list[float],
    val: list[float],
    var: list[float],
    deps: list[list[int]],
    budget: float,
    use: list[list[float]],
    lim: list[float],
    objective: str,
    max_nodes: int,
    offset: float,
    must: list[int],
) -> Choice | None:
    n = len(cost)
    forced = set(must)
    order = [i for i in topological_order(n, deps) if i not in forced]
    n_free = len(order)
    by_ratio = sorted(
        (i for i in range(n) if val[i] > 0),
        key=lambda i: -(val[i] / cost[i]) if cost[i] > 0 else -math.inf,
    )
    taken = [i in forced for i in range(n)]
    best_items: list[int] = list(must)
    m0 = offset + sum(val[i] for i in must)
    v0 = sum(var[i] for i in must)
    best = score(m0, v0, objective)
    nodes = 0

    def bound(pos: int, spent: float, m: float, v: float) -> float:
        rest = set(order[pos:])
        room = budget - spent
        extra = 0.0
        for i in by_ratio:
            if i not in rest:
                continue
            if cost[i] <= room + _TOL:
                room -= cost[i]
                extra += val[i]
            elif cost[i] > 0:
                extra += val[i] * room / cost[i]
                break
        top = m + extra
        if objective == "mean":
            return top
        if objective == "p10":
            return top - Z90 * math.sqrt(max(v, 0.0))
        if top > 0:
            return 1.0 if v <= 0 else NormalDist().cdf(top / math.sqrt(v))
        vmax = v + sum(var[i] for i in rest)
        return 0.0 if vmax <= 0 else NormalDist().cdf(top / math.sqrt(vmax))

    chosen: list[int] = list(must)
    used = [sum(u[i] for i in must) for u in use]

    def visit(pos: int, spent: float, m: float, v: float) -> bool:
        nonlocal best, best_items, nodes
        nodes += 1
        if nodes > max_nodes:
            return False
        s = score(m, v, objective)
        if s > best + _TOL:
            best, best_items = s, list(chosen)
        if pos == n_free or bound(pos, spent, m, v) <= best + _TOL:
            return True
        i = order[pos]
        fits = (
            all(taken[d] for d in deps[i])
            and spent + cost[i] <= budget + _TOL
            and all(used[k] + use[k][i] <= lim[k] + _TOL for k in range(len(use)))
        )
        if fits:
            taken[i] = True
            chosen.append(i)
            for k in range(len(use)):
                used[k] += use[k][i]
            ok = visit(pos + 1, spent + cost[i], m + val[i], v + var[i])
            for k in range(len(use)):
                used[k] -= use[k][i]
            chosen.pop()
            taken[i] = False
            if not ok:
                return False
        return visit(pos + 1, spent, m, v)

    if not visit(0, sum(cost[i] for i in must), m0, v0):
        return None
    return _choice(best_items, cost, val, var, objective, True, offset)


def _closure(i: int, deps: list[list[int]], chosen: set[int]) -> list[int]:
    out: list[int] = []
    stack = [i]
    seen: set[int] = set()
    while stack:
        j = stack.pop()
        if j in seen or j in chosen:
            continue
        seen.add(j)
        out.append(j)
        stack.extend(deps[j])
    return out


def _greedy(
    cost: list[float],
    val: list[float],
    var: list[float],
    deps: list[list[int]],
    budget: float,
    use: list[list[float]],
    lim: list[float],
    objective: str,
    offset: float,
    must: list[int],
) -> Choice:
    n = len(cost)
    chosen: set[int] = set(must)
    spent = sum(cost[i] for i in must)
    m = offset + sum(val[i] for i in must)
    v = sum(var[i] for i in must)
    used = [sum(u[i] for i in must) for u in use]
    current = score(m, v, objective)
    while True:
        best_gain, best_add = 0.0, None
        for i in range(n):
            if i in chosen:
                continue
            add = _closure(i, deps, chosen)
            c = sum(cost[j] for j in add)
            if spent + c > budget + _TOL:
                continue
            if any(used[k] + sum(use[k][j] for j in add) > lim[k] + _TOL for k in range(len(use))):
                continue
            gain = score(m + sum(val[j] for j in add), v + sum(var[j] for j in add), objective)
            gain -= current
            if gain <= _TOL:
                continue
            rate = gain / c if c > 0 else math.inf
            if best_add is None or rate > best_gain:
                best_gain, best_add = rate, add
        if best_add is None:
            break
        chosen.update(best_add)
        spent += sum(cost[j] for j in best_add)
        m += sum(val[j] for j in best_add)
        v += sum(var[j] for j in best_add)
        for k in range(len(use)):
            used[k] += sum(use[k][j] for j in best_add)
        current = score(m, v, objective)
    return _choice(sorted(chosen), cost, val, var, objective, False, offset)
