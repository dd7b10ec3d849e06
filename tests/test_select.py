"""Budgeted selection: the pure optimiser (knapsack optimum, dependencies, objectives),
the efficient frontier on a scenario, and priority orders by cost of delay."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.decide.optimise import optimise, score
from portfolio_sim.decide.priorities import compare_priorities, reprioritise
from portfolio_sim.decide.select import select
from portfolio_sim.scenario import load_text

SIZES = [3, 4, 8, 10, 15, 20]
VALUES = [3, 1, 3, 4, 3, 6]


def brute_force(costs, values, budget, deps, variances=None, objective="mean"):
    n = len(costs)
    var = variances or [0.0] * n
    best = score(0.0, 0.0, objective)
    for r in range(n + 1):
        for subset in itertools.combinations(range(n), r):
            s = set(subset)
            if sum(costs[i] for i in s) > budget + 1e-9:
                continue
            if any(d not in s for i in s for d in deps[i]):
                continue
            best = max(best, score(sum(values[i] for i in s), sum(var[i] for i in s), objective))
    return best


def test_knapsack_known_optimum():
    choice = optimise(SIZES, VALUES, 32)
    assert choice.objective == 12
    assert choice.cost <= 32
    assert sum(VALUES[i] for i in choice.items) == 12
    assert choice.exact


def test_dependencies_respected():
    # item 5 (value 6) needs item 1 (value 1): {0, 2, 5} is no longer allowed
    deps = [[], [], [], [], [], [1]]
    choice = optimise(SIZES, VALUES, 32, depends_on=deps)
    chosen = set(choice.items)
    assert all(set(deps[i]) <= chosen for i in chosen)
    assert choice.objective == brute_force(SIZES, VALUES, 32, deps) == 11


@pytest.mark.parametrize("objective", ["mean", "p10", "positive"])
def test_matches_brute_force_on_random_instances(objective):
    rng = np.random.default_rng(3)
    for _ in range(25):
        n = int(rng.integers(1, 9))
        costs = rng.integers(1, 20, n).astype(float).tolist()
        values = rng.normal(2, 5, n).round(2).tolist()
        variances = (rng.uniform(0, 4, n) ** 2).tolist()
        deps = [[j for j in range(i) if rng.uniform() < 0.2] for i in range(n)]
        budget = float(rng.integers(0, 60))
        choice = optimise(
            costs, values, budget, depends_on=deps, variances=variances, objective=objective
        )
        expected = brute_force(costs, values, budget, deps, variances, objective)
        assert choice.objective == pytest.approx(expected, abs=1e-9)
        assert all(set(deps[i]) <= set(choice.items) for i in choice.items)


def test_greedy_fallback_is_feasible_and_closed():
    deps = [[], [0], [1], [], [3], [0, 3]]
    choice = optimise(SIZES, VALUES, 32, depends_on=deps, exact_max=0)
    assert not choice.exact
    assert choice.cost <= 32
    assert all(set(deps[i]) <= set(choice.items) for i in choice.items)


def test_extra_resource_limits():
    # a second resource (team capacity) rules out item 5
    uses = [[0, 0, 0, 0, 0, 1]]
    choice = optimise(SIZES, VALUES, 32, uses=uses, limits=[0])
    assert 5 not in choice.items
    assert choice.objective == brute_force(SIZES[:5], VALUES[:5], 32, [[]] * 5)


def test_risk_averse_objectives_prefer_sure_value():
    # one slot: a sure 10 or a risky 12 (sd 10)
    var = [0.0, 100.0]
    assert optimise([1, 1], [10, 12], 1, objective="mean", variances=var).items == (1,)
    assert optimise([1, 1], [10, 12], 1, objective="p10", variances=var).items == (0,)
    assert optimise([1, 1], [10, 12], 1, objective="positive", variances=var).items == (0,)


def test_bad_objective():
    with pytest.raises(ValueError, match="objective"):
        optimise([1], [1], 1, objective="median")


SCENARIO = """\
name: Selection
start: 2027-01-04
horizon: 2029-12-31
discount_rate: 0.05
budget: {total: 120000}
teams:
  - {id: web, members: 2, cost_per_member_day: 500, wip_limit: 2}
  - {id: app, members: 1, cost_per_member_day: 400}
features:
  - {id: base, team: web, priority: 1, effort: {uniform: [20, 30]}}
  - {id: shop, team: web, priority: 2, depends_on: [base], effort: {pert: [20, 30, 50]},
     value: {per_month: 9000, success_probability: 0.8}}
  - {id: loyalty, team: app, priority: 1, depends_on: [shop], effort: {fixed: 20},
     value: {per_month: 2000}}
  - {id: report, team: app, priority: 2, effort: {fixed: 15}, value: {per_month: 300}}
  - {id: gold, team: web, priority: 3, effort: {fixed: 40}, value: {per_month: 6000, success_probability: 0.5}}
"""


@pytest.fixture(scope="module")
def scn():
    return load_text(SCENARIO, "yaml", "s.yaml")


@pytest.fixture(scope="module")
def selection(scn):
    return select(scn, trials=1000, seed=2, budgets=6)


def test_frontier_monotone_and_closed(scn, selection):
    fr = selection.frontier
    assert list(fr["budget"]) == sorted(fr["budget"])
    est = fr["objective_estimate"].to_numpy()
    assert np.all(np.diff(est) >= -1e-9)
    assert np.all(fr["cost_estimate"] <= fr["budget"] + 1e-6)
    deps = {f.id: set(f.depends_on) for f in scn.features}
    for funded in fr["funded"]:
        assert all(deps[f] <= set(funded) for f in funded)
    assert selection.budget == 120000
    assert selection.chosen == list(fr.loc[fr["budget"] == 120000, "funded"].iloc[0])
    # everything funded at the top of the frontier is verified by a forecast
    top = fr.iloc[-1]
    assert np.isfinite(top["npv_mean"]) and np.isfinite(top["npv_p10"])
    assert "budget" in selection.to_text()


def test_verification_is_a_forecast_without_the_unfunded(scn):
    from portfolio_sim.decide.select import without
    from portfolio_sim.forecasting import forecast

    sel = select(scn, trials=1000, seed=2, budgets=[10_000_000], capacity=False)
    row = sel.frontier.iloc[-1]
    drop = [f.id for f in scn.features if f.id not in row["funded"]]
    fc = forecast(without(scn, drop), trials=1000, seed=2)
    assert row["npv_mean"] == float(fc.portfolio.loc["npv", "mean"])
    assert row["npv_p10"] == float(fc.portfolio.loc["npv", "p10"])
    # the additive estimate is an approximation, but not a wild one here
    assert row["npv_estimate"] == pytest.approx(row["npv_mean"], rel=0.1)
    # features with a negative contribution and nothing depending on them are not funded
    assert "report" not in row["funded"]


def test_objectives_run(scn):
    for objective in ("p10", "positive"):
        sel = select(scn, trials=500, seed=1, budgets=3, objective=objective, verify=False)
        assert np.all(np.diff(sel.frontier["objective_estimate"].to_numpy()) >= -1e-9)


PRIORITY = """\
name: Priorities
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: web, members: 1}
features:
  - {id: slow-small, team: web, priority: 1, effort: {uniform: [50, 70]}, value: {per_month: 1000}}
  - {id: base, team: web, priority: 2, effort: {fixed: 5}}
  - {id: quick-big, team: web, priority: 3, depends_on: [base], effort: {uniform: [8, 12]},
     value: {per_month: 20000}}
"""


def test_cd3_beats_written_order_and_inherits_priority():
    scn = load_text(PRIORITY, "yaml", "p.yaml")
    table = compare_priorities(scn, trials=500, seed=1, wsjf={"slow-small": 9, "quick-big": 1})
    by = table.set_index("order")
    assert list(table["order"]) == ["as written", "CD3", "WSJF"]
    assert by.loc["CD3", "cost_of_delay_mean"] < by.loc["as written", "cost_of_delay_mean"]
    # the prerequisite inherits its dependent's rank under CD3
    assert by.loc["CD3", "priorities"][:2] == ["base", "quick-big"]
    assert by.loc["WSJF", "priorities"][0] == "slow-small"
    assert by.loc["CD3", "vs_best"] == 0
    ranked = reprioritise(scn, {"quick-big": 5.0})
    assert [f.priority for f in ranked.features] == [3.0, 1.0, 2.0]


def test_cli_select_and_priorities(tmp_path: Path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    csv = tmp_path / "frontier.csv"
    code = main(["select", str(path), "--trials", "300", "--budgets", "3", "--csv", str(csv)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Efficient frontier" in out and "At the budget" in out
    assert csv.read_text().startswith("budget,")
    pri = tmp_path / "p.yaml"
    pri.write_text(PRIORITY)
    assert main(["priorities", str(pri), "--trials", "200", "--wsjf", "base=3"]) == 0
    assert "CD3" in capsys.readouterr().out
    assert main(["select", str(path), "--objective", "median"]) == 2
