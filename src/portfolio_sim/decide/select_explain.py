"""The recommendation of :func:`portfolio_sim.decide.select.select` in words.

One line per funded feature saying why it is in, then the features left out that had a
positive estimated contribution (best first), each with the reason it is out; features
whose contribution (with their unfunded prerequisites) is not positive are summed up in
one line. Reasons, in the order they are tested (docs/model.md §6.10):

in
    ``mandatory``; ``required by mandatory X`` (a dependency of mandatory work);
    ``prerequisite of funded X`` (a dependency of a funded feature whose own contribution
    is not positive); otherwise its estimated NPV contribution and cost.
out
    not positive (with its unfunded prerequisites); needs more than the budget left after
    the funded set; a team's capacity to the horizon is used up; otherwise the objective
    is higher without it (``p10``/``positive``: its value is uncertain) or the greedy
    heuristic (above 25 features) did not reach it.

The numbers are the additive estimates of :func:`select.estimate_columns` (expected cost
and NPV contribution), not the verification forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from portfolio_sim.formatting import money, signed_money

#: Left-out features with a positive contribution listed one by one; the rest are summed.
MAX_OUT_LINES = 8
_TOL = 1e-9


def _closure(i: int, deps: Sequence[Sequence[int]], within: set[int]) -> list[int]:
    """``i`` and its (transitive) prerequisites that are not in ``within``."""
    out: list[int] = []
    stack, seen = [i], set()
    while stack:
        j = stack.pop()
        if j in seen or j in within:
            continue
        seen.add(j)
        out.append(j)
        stack.extend(deps[j])
    return out


def explain(
    items: dict[str, Any],
    chosen: Sequence[str],
    mandatory: Sequence[str],
    left_budget: float,
    objective: str,
    *,
    uses: Sequence[Sequence[float]] = (),
    limits: Sequence[float] = (),
    team_ids: Sequence[str] = (),
    currency: str = "",
) -> list[str]:
    """Lines explaining the chosen set (see the module docstring). ``items`` holds the
    columns of :func:`~portfolio_sim.decide.select.estimate_columns`; ``left_budget`` is
    the budget after the fixed cost; ``mandatory`` the features marked mandatory; ``uses``/``limits`` the capacity constraints (empty
    without them), one per team in ``team_ids`` order."""
    ids = list(items["id"])
    index = {fid: i for i, fid in enumerate(ids)}
    deps = [[index[d] for d in ds] for ds in items["depends_on"]]
    cost = [float(x) for x in items["cost"]]
    npv = [float(x) for x in items["npv_contribution"]]
    funded = {index[f] for f in chosen}
    declared = {index[f] for f in mandatory}
    lines: list[str] = []
    for i in sorted(funded):
        why = _why_in(i, ids, deps, npv, cost, funded, declared, currency)
        lines.append(f"in  {ids[i]}: {why}")
    spent = sum(cost[i] for i in funded)
    left = left_budget - spent
    used = [sum(u[i] for i in funded) for u in uses]
    out = [i for i in range(len(ids)) if i not in funded]
    gain = {i: sum(npv[j] for j in _closure(i, deps, funded)) for i in out}
    positive = sorted((i for i in out if gain[i] > _TOL), key=lambda i: -gain[i])
    for i in positive[:MAX_OUT_LINES]:
        add = _closure(i, deps, funded)
        need = sum(cost[j] for j in add)
        pre = [ids[j] for j in add if j != i]
        with_pre = f" with its unfunded prerequisites {', '.join(pre)}" if pre else ""
        head = f"out {ids[i]}: contribution {signed_money(gain[i], currency)}{with_pre}"
        if need > left + _TOL:
            reason = (
                f"needs {money(need, currency)}, only {money(left, currency)} of the budget is left"
            )
        else:
            full = [
                k
                for k in range(len(uses))
                if used[k] + sum(uses[k][j] for j in add) > limits[k] + _TOL
            ]
            if full:
                k = full[0]
                team = team_ids[k] if k < len(team_ids) else str(k)
                reason = (
                    f"team {team}'s capacity to the horizon is used up "
                    f"({used[k]:,.0f} of {limits[k]:,.0f} committed, it needs "
                    f"{sum(uses[k][j] for j in add):,.0f} more)"
                )
            elif objective != "mean":
                reason = f"the {objective} objective is higher without it (its value is uncertain)"
            else:
                reason = "fits, but the greedy heuristic (more than 25 features) did not add it"
        lines.append(f"{head}; {reason}")
    if len(positive) > MAX_OUT_LINES:
        rest = [ids[i] for i in positive[MAX_OUT_LINES:]]
        lines.append(
            f"out {len(rest)} more with a smaller positive contribution: {', '.join(rest)}"
        )
    negative = [ids[i] for i in out if gain[i] <= _TOL]
    if negative:
        lines.append(
            f"out {len(negative)} whose estimated NPV contribution (with unfunded "
            f"prerequisites) is not positive: {', '.join(negative)}"
        )
    return lines


def _why_in(
    i: int,
    ids: list[str],
    deps: list[list[int]],
    npv: list[float],
    cost: list[float],
    funded: set[int],
    declared: set[int],
    currency: str,
) -> str:
    """Why funded feature ``i`` is in (``declared``: the features marked mandatory)."""
    contribution = (
        f"NPV contribution {signed_money(npv[i], currency)} for {money(cost[i], currency)}"
    )
    dependents = [j for j in sorted(funded) if i in _closure(j, deps, set()) and j != i]
    if i in declared:
        return f"mandatory ({contribution})"
    by = [ids[j] for j in dependents if j in declared]
    if by:
        return f"required by mandatory {', '.join(by)} ({contribution})"
    if npv[i] <= _TOL and dependents:
        return f"prerequisite of funded {', '.join(ids[j] for j in dependents)} ({contribution})"
    return contribution
