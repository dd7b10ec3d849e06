"""Portfolio selection under a budget: which features to fund (docs/model.md §6 money).

One forecast of the whole scenario gives per-feature estimates (the approximation):

* **cost** of a feature (counted against the budget) = its expected one-off cost + its
  share of its team's expected people cost, split over the team's features in proportion
  to their expected size (mean size x mean growth). Teams with ``release: horizon`` are
  paid whatever is funded: their cost is a fixed overhead taken off the budget first.
* **NPV contribution** = expected discounted value (``value_pv_mean``) - cost x (portfolio
  cost_pv / cost: the average discount of cost) - expected deadline penalty (penalty x
  P(missed), an undecided deadline costing nothing), discounted the same way.
* **variance** of the contribution: the success lottery only, p(1-p)(value/p)^2; the
  NPV of a set is taken as normal with the summed mean and variance (for the ``p10`` and
  ``positive`` objectives).
* **capacity** (optional): per team, the expected size of the funded features must fit the
  team's capacity through the horizon (person-days for effort teams, mean items per period
  x periods for throughput teams).

**Mandatory work** (``mandatory: true``, docs/model.md §6.10) and everything it depends on
is funded at every budget: the optimiser starts from that set and chooses among the rest.
A budget (or a team's capacity) that the mandatory set alone exceeds has no answer: the
frontier row is left empty, and :func:`select` raises :class:`InputError` with the numbers
when the budget asked about is one of them. The recommendation is explained in words by
:func:`portfolio_sim.decide.select_explain.explain`.

Contributions are additive in this approximation; in reality unfunding a feature moves
others earlier (and changes team cost). So every chosen set is **verified** with a
forecast of the scenario without the unfunded features (same seed: common random
numbers), and the verified numbers are reported next to the estimates.
The optimiser is :func:`portfolio_sim.decide.optimise.optimise` (exact branch-and-bound
up to 25 features, greedy above).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.codes import THROUGHPUT
from portfolio_sim.decide.optimise import (
    OBJECTIVES,
    Choice,
    Infeasible,
    check_required,
    optimise,
    required_closure,
)
from portfolio_sim.decide.select_explain import explain
from portfolio_sim.distributions import mean as dist_mean
from portfolio_sim.errors import InputError
from portfolio_sim.results.decide_numbers import feature_columns, portfolio_numbers, team_columns
from portfolio_sim.results.decide_results import Selection
from portfolio_sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from portfolio_sim.results.decide_tables import DataFrame


def _expected_size(f: Any) -> float:
    size = dist_mean(f.size.kind, f.size.params)
    if f.growth is not None:
        size *= dist_mean(f.growth.kind, f.growth.params)
    return float(size)


def _capacity_to_horizon(c: Any, j: int) -> float:
    """Person-days (effort team) or expected items (throughput team) through the horizon."""
    h = float(c.horizon_days)
    if c.team_kind[j] == THROUGHPUT:
        code, off, n = c.tp_dist[j]
        from portfolio_sim.distributions import KINDS

        kind = next(k for k, v in KINDS.items() if v == code)
        params: Any = list(c.pool[off : off + n])
        if kind == "fixed":
            params = params[0]
        elif kind == "lognormal":
            return np.inf  # kernel stores (mu, sigma); unbounded mean is not a constraint
        elif kind == "pert":
            params = params[:3]
        return float(dist_mean(kind, params)) * h / float(c.tp_period[j])
    lo, hi = c.cap_ptr[j], c.cap_ptr[j + 1]
    k = lo + int(np.searchsorted(c.cap_t[lo:hi], h, side="right")) - 1
    d = h - c.cap_t[k]
    return float(c.cap_cum[k] + c.cap_rate[k] * d + 0.5 * c.cap_slope[k] * d * d)


def feature_estimates(scn: Scenario, fc: Any) -> tuple[DataFrame, float]:
    """Per-feature cost, NPV contribution and variance from a forecast of ``scn`` as a
    table (:func:`portfolio_sim.results.decide_tables.estimates_table`), and the fixed
    overhead (cost of teams paid to the horizon)."""
    from portfolio_sim.results.decide_tables import estimates_table

    columns, fixed = estimate_columns(scn, fc)
    return estimates_table(columns), fixed


def estimate_columns(scn: Scenario, fc: Any) -> tuple[dict[str, Any], float]:
    """The columns of :func:`feature_estimates` (id, team, depends_on, expected_size,
    cost, value_pv, npv_contribution, sd; one entry per feature in scenario order) and
    the fixed overhead."""
    feats = feature_columns(fc)
    teams = team_columns(fc)
    port = portfolio_numbers(fc)
    c = fc.compiled
    cost_mean = float(port["cost"]["mean"])
    cost_pv = float(port["cost_pv"]["mean"])
    disc = cost_pv / cost_mean if cost_mean > 0 else 1.0
    sizes = np.array([_expected_size(f) for f in scn.features])
    team_of = np.asarray(c.feat_team)
    fixed = 0.0
    share = np.zeros(len(sizes))
    # by id: the team columns leave out the hidden teams of duration tasks and shared
    # features' joins (docs/model.md §3.9-§3.10), which cost nothing
    cost_of = dict(zip(teams["id"], teams["cost_mean"], strict=True))
    for j in range(c.n_teams):
        members = team_of == j
        team_cost = float(cost_of.get(c.team_ids[j], 0.0))
        if c.team_release_horizon[j]:
            fixed += team_cost
            continue
        total = sizes[members].sum()
        if total > 0:
            share[members] = team_cost * sizes[members] / total
    oneoff = np.asarray(feats["oneoff_cost_mean"], dtype=float)
    value = np.asarray(feats["value_pv_mean"], dtype=float)
    cost = share + oneoff
    # Missed = neither met nor undecided (docs/money.md): an undecided deadline (not done
    # by a horizon before it) is charged nothing, as in the engines.
    deadline_probability = np.asarray(feats["deadline_probability"], dtype=float)
    undecided = np.asarray(feats["deadline_undecided_share"], dtype=float)
    p_miss = np.where(
        np.isnan(deadline_probability),
        0.0,
        np.maximum(1.0 - deadline_probability - undecided, 0.0),
    )
    penalty = np.array([f.deadline_penalty for f in scn.features]) * p_miss * disc
    contribution = value - cost * disc - penalty
    p_success = np.array([f.value.success_probability if f.value else 1.0 for f in scn.features])
    cond = np.where(p_success > 0, value / np.maximum(p_success, 1e-12), 0.0)
    variance = p_success * (1 - p_success) * cond**2
    columns = {
        "id": c.feature_ids,
        "team": [c.team_ids[j] for j in team_of],
        "depends_on": [list(f.depends_on) for f in scn.features],
        "expected_size": sizes,
        "cost": cost,
        "value_pv": value,
        "npv_contribution": contribution,
        "sd": np.sqrt(variance),
    }
    return columns, fixed


def without(scn: Scenario, drop: Sequence[str]) -> Scenario:
    """``scn`` without the features ``drop``, its references to them cleaned up: other
    features' dependencies on them, risks' ``affects`` (a risk left affecting nothing is
    dropped; cost shocks affect no feature and stay) and correlation groups' members (a
    group left with fewer than two is dropped). The funded set is closed under
    dependencies, so no funded feature loses a dependency it needs. The result is
    built from the validated plan (possibly the engines' view, with the hidden teams of
    duration tasks and shared features) and not re-validated: it only loses items."""
    if not drop:
        return scn
    gone = set(drop)
    features = [
        f.model_copy(update={"depends_on": [d for d in f.depends_on if d not in gone]})
        for f in scn.features
        if f.id not in gone
    ]
    risks = []
    for r in scn.risks:
        left = [a for a in r.affects if a not in gone]
        if r.affects and not left:
            continue
        risks.append(r.model_copy(update={"affects": left}))
    groups = []
    for g in scn.correlation:
        if g.features is None:
            groups.append(g)
            continue
        members = [f for f in g.features if f not in gone]
        if len(members) >= 2:
            groups.append(g.model_copy(update={"features": members}))
    return scn.model_copy(
        update={"features": features, "risks": risks, "correlation": groups, "variants": {}}
    )


def _verify(
    scn: Scenario, funded: list[str], trials: int, seed: int, fixed: float, disc: float
) -> dict[str, float]:
    """Forecast the funded set (same seed); funding nothing costs only the fixed overhead."""
    from portfolio_sim.forecasting import forecast

    if not funded:
        overhead = -fixed * disc
        return {
            "npv_mean": overhead,
            "npv_p10": overhead,
            "npv_positive_probability": float(overhead > 0),
            "cost_mean": fixed,
            "cost_p80": fixed,
        }
    drop = [f.id for f in scn.features if f.id not in set(funded)]
    fc = forecast(
        without(scn, drop), trials=trials, seed=seed, percentiles="default", team_load=False
    )
    port = portfolio_numbers(fc)
    npv = port["npv"]
    return {
        "npv_mean": float(npv["mean"]),
        "npv_p10": float(npv["p10"]),
        "npv_positive_probability": float(npv["positive_probability"]),
        "cost_mean": float(port["cost"]["mean"]),
        "cost_p80": float(port["cost"]["p80"]),
    }


def select(
    scenario: Scenario | str | os.PathLike[str],
    budget: float | None = None,
    trials: int = 2_000,
    seed: int = 0,
    variant: str | None = None,
    *,
    objective: str = "mean",
    budgets: Sequence[float] | int = 8,
    capacity: bool = True,
    verify: bool = True,
    progress: Callable[[int, int], None] | None = None,
    scheduler: Any = None,
    workers: int | None = None,
) -> Selection:
    """Choose features to fund under ``budget`` (default: the scenario's ``budget.total``)
    maximising ``objective`` (``mean`` NPV, NPV ``p10``, or probability ``positive``), and
    the efficient frontier over ``budgets`` (a list, or a number of evenly spaced points up
    to the cost of everything). See the module docstring for the approximation.
    ``progress(done, total)`` is called after each budget of the frontier.
    ``scheduler``/``workers`` (docs/distributed.md): the verifying forecasts (one per
    distinct funded set) run as tasks on a Dask cluster; the same numbers as locally."""
    from portfolio_sim.forecasting import forecast, resolve_scenario
    from portfolio_sim.results.decide_tables import estimates_table, frontier_table

    if objective not in OBJECTIVES:
        raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    scn, _ = resolve_scenario(scenario, variant)
    if budget is None and scn.budget is not None:
        budget = scn.budget.total
    fc = forecast(scn, trials=trials, seed=seed, percentiles="default", team_load=False)
    items, fixed = estimate_columns(scn, fc)
    ids = list(items["id"])
    index = {fid: i for i, fid in enumerate(ids)}
    deps = [[index[d] for d in ds] for ds in items["depends_on"]]
    uses: list[list[float]] = []
    limits: list[float] = []
    if capacity:
        c = fc.compiled
        for j in range(c.n_teams):
            sizes = zip(items["expected_size"], c.feat_team, strict=True)
            uses.append([float(s) if t == j else 0.0 for s, t in sizes])
            limits.append(_capacity_to_horizon(c, j))
    disc = _disc(fc)
    must = required_closure([i for i, f in enumerate(scn.features) if f.mandatory], deps)
    costs = np.asarray(items["cost"]).tolist()
    floor = fixed + float(sum(costs[i] for i in must))
    _check_mandatory(ids, must, costs, fixed, budget, uses, limits, fc.compiled)
    total = float(np.sum(items["cost"])) + fixed
    if isinstance(budgets, int):
        grid = list(np.linspace(floor, total, max(budgets, 2)))
    else:
        grid = [float(b) for b in budgets]
    if budget is not None:
        grid.append(float(budget))
    grid = sorted(set(grid))

    def solve(b: float) -> Choice | None:
        if b < floor:
            return None
        try:
            return optimise(
                costs,
                np.asarray(items["npv_contribution"]).tolist(),
                b - fixed,
                depends_on=deps,
                variances=(np.asarray(items["sd"]) ** 2).tolist(),
                objective=objective,
                uses=uses,
                limits=limits,
                offset=-fixed * disc,
                required=must,
            )
        except Infeasible:
            return None

    rows: list[dict[str, Any]] = []
    best: Choice | None = None
    choices: list[Choice | None] = []
    for b in grid:
        choice = solve(b) if b >= fixed else None
        if choice is not None and best is not None and best.objective > choice.objective:
            choice = best  # greedy only: keep the frontier monotone
        if choice is not None:
            best = choice
        choices.append(choice)
    verified: dict[tuple[int, ...], dict[str, float]] = {}
    if verify and (scheduler is not None or workers is not None):
        from portfolio_sim.distributed.tasks import map_tasks

        keys = [ch.items if ch is not None else () for ch in choices if ch is not None or not must]
        sets = {key: [ids[i] for i in key] for key in keys}  # distinct, in frontier order
        jobs = [(scn, funded, trials, seed, fixed, disc) for funded in sets.values()]
        verified = dict(zip(sets, map_tasks(_verify, jobs, scheduler, workers), strict=True))
    for b, choice in zip(grid, choices, strict=True):
        funded = [ids[i] for i in choice.items] if choice is not None else []
        row: dict[str, Any] = {
            "budget": b,
            "objective_estimate": choice.objective if choice is not None else np.nan,
            "npv_estimate": choice.mean if choice is not None else np.nan,
            "cost_estimate": (choice.cost + fixed) if choice is not None else np.nan,
            "exact": bool(choice.exact) if choice is not None else False,
            "n_funded": len(funded),
            "funded": funded,
        }
        if verify and choice is None and must:
            row.update(dict.fromkeys(_VERIFIED, np.nan))  # no answer: mandatory set unaffordable
        elif verify:
            key = choice.items if choice is not None else ()
            if key not in verified:
                verified[key] = _verify(scn, funded, trials, seed, fixed, disc)
            row.update(verified[key])
        rows.append(row)
        if progress is not None:
            progress(len(rows), len(grid))
    chosen: list[str] = []
    why: list[str] = []
    if budget is not None:
        chosen = list(next(r["funded"] for r in rows if r["budget"] == float(budget)))
        why = explain(
            items,
            chosen,
            [f.id for f in scn.features if f.mandatory],
            float(budget) - fixed,
            objective,
            uses=uses,
            limits=limits,
            team_ids=list(fc.compiled.team_ids),
            currency=str(fc.compiled.currency),
        )
    return Selection(
        frontier=frontier_table(rows),
        items=estimates_table(items),
        objective=objective,
        budget=budget,
        chosen=chosen,
        trials=trials,
        seed=seed,
        meta=dict(fc.meta),
        fixed=float(fixed),
        currency=str(fc.compiled.currency),
        mandatory=[ids[i] for i in must],
        explanation=why,
    )


_VERIFIED = ("npv_mean", "npv_p10", "npv_positive_probability", "cost_mean", "cost_p80")


def _check_mandatory(
    ids: list[str],
    must: list[int],
    costs: list[float],
    fixed: float,
    budget: float | None,
    uses: list[list[float]],
    limits: list[float],
    c: Any,
) -> None:
    """Raise :class:`InputError` when the mandatory set alone (with its dependencies)
    exceeds ``budget`` after the fixed cost, or a team's capacity to the horizon: the
    question has no answer, and funding part of the mandatory work would hide that."""
    if not must:
        return
    names = ", ".join(ids[i] for i in must)
    try:
        check_required(must, costs, np.inf, uses, limits)
    except Infeasible as err:
        team = c.team_ids[err.resource] if err.resource is not None else "?"
        unit = "items" if c.team_kind[err.resource] == THROUGHPUT else "person-days"
        raise InputError(
            f"the mandatory features and their dependencies ({names}) need "
            f"{err.needed:,.0f} expected {unit} of team {team}, more than its capacity "
            f"to the horizon ({err.available:,.0f}); no selection can fund them "
            "(use --no-capacity to ignore team capacity)"
        ) from None
    if budget is None:
        return
    from portfolio_sim.formatting import money

    cur = str(c.currency)
    need = float(sum(costs[i] for i in must))
    if fixed + need > float(budget) + 1e-9:
        raise InputError(
            f"the mandatory features and their dependencies ({names}) cost an estimated "
            f"{money(need, cur)}; with the fixed cost {money(fixed, cur)} that is "
            f"{money(fixed + need, cur)}, above the budget {money(float(budget), cur)} by "
            f"{money(fixed + need - float(budget), cur)}: nothing else can be chosen and "
            "the mandatory work itself is not affordable"
        )


def _disc(fc: Any) -> float:
    port = portfolio_numbers(fc)
    cost = float(port["cost"]["mean"])
    return float(port["cost_pv"]["mean"]) / cost if cost > 0 else 1.0


__all__ = ["Selection", "estimate_columns", "feature_estimates", "select", "without"]
