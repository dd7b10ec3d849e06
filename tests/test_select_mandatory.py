"""Mandatory work in selection (docs/model.md §6.10): the optimiser always takes the
required items and their dependency closure, the mandatory set alone over the budget is a
clear error, and the recommendation is explained in words."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.decide.optimise import Infeasible, optimise, required_closure, score
from portfolio_sim.decide.select import select
from portfolio_sim.errors import InputError
from portfolio_sim.scenario import load_text
from scenario_text import BASE, problems
from test_select import SCENARIO

MANDATORY = SCENARIO.replace(
    "{id: report, team: app, priority: 2,", "{id: report, team: app, priority: 2, mandatory: true,"
)


def brute_force(costs, values, budget, deps, required, variances, objective):
    n = len(costs)
    best = -np.inf
    for r in range(n + 1):
        for subset in itertools.combinations(range(n), r):
            s = set(subset)
            if not set(required) <= s or sum(costs[i] for i in s) > budget + 1e-9:
                continue
            if any(d not in s for i in s for d in deps[i]):
                continue
            best = max(
                best, score(sum(values[i] for i in s), sum(variances[i] for i in s), objective)
            )
    return best


def test_required_item_with_negative_value_and_its_dependency_are_taken():
    # item 2 is mandatory, worth -5 and needs item 0 (worth -1): both must be in, and the
    # budget 10 then leaves 10 - 3 - 4 = 3 for item 1 (cost 3, value 2) but not item 3.
    costs, values = [3.0, 3.0, 4.0, 5.0], [-1.0, 2.0, -5.0, 9.0]
    deps = [[], [], [0], []]
    choice = optimise(costs, values, 10.0, depends_on=deps, required=[2])
    assert choice.items == (0, 1, 2)
    assert choice.objective == pytest.approx(-4.0)
    # without the requirement the optimum is {1, 3} (value 11): the requirement matters
    assert optimise(costs, values, 10.0, depends_on=deps).items == (1, 3)
    greedy = optimise(costs, values, 10.0, depends_on=deps, required=[2], exact_max=0)
    assert {0, 2} <= set(greedy.items) and greedy.cost <= 10.0


@pytest.mark.parametrize("objective", ["mean", "p10", "positive"])
def test_required_matches_brute_force(objective):
    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(2, 8))
        costs = rng.integers(1, 15, n).astype(float).tolist()
        values = rng.normal(1, 5, n).round(2).tolist()
        variances = (rng.uniform(0, 3, n) ** 2).tolist()
        deps = [[j for j in range(i) if rng.uniform() < 0.25] for i in range(n)]
        required = [int(rng.integers(0, n))]
        must = required_closure(required, deps)
        budget = sum(costs[i] for i in must) + float(rng.integers(0, 30))
        choice = optimise(
            costs,
            values,
            budget,
            depends_on=deps,
            variances=variances,
            objective=objective,
            required=required,
        )
        assert set(must) <= set(choice.items)
        expected = brute_force(costs, values, budget, deps, must, variances, objective)
        assert choice.objective == pytest.approx(expected, abs=1e-9)


def test_required_over_budget_or_resource_is_infeasible():
    with pytest.raises(Infeasible) as info:
        optimise([3.0, 4.0], [1.0, 1.0], 6.0, depends_on=[[], [0]], required=[1])
    assert (info.value.resource, info.value.needed, info.value.available) == (None, 7.0, 6.0)
    with pytest.raises(Infeasible) as info:
        optimise([1.0], [1.0], 9.0, required=[0], uses=[[5.0]], limits=[4.0])
    assert info.value.resource == 0


@pytest.fixture(scope="module")
def mandatory_selection():
    scn = load_text(MANDATORY, "yaml", "s.yaml")
    return select(scn, trials=500, seed=2, budgets=5, budget=30_000)


def test_select_funds_mandatory_at_every_budget(mandatory_selection):
    sel = mandatory_selection
    assert sel.mandatory == ["report"]
    # report's contribution is negative (test_select: not funded without the flag)
    items = sel.items.set_index("id")
    assert items.loc["report", "npv_contribution"] < 0
    for funded in sel.frontier["funded"]:
        assert "report" in funded
    # the frontier starts at the mandatory set's cost (no budget below it is offered)
    assert sel.frontier["budget"].iloc[0] == pytest.approx(items.loc["report", "cost"])


def test_select_explains_in_and_out(mandatory_selection):
    sel = mandatory_selection
    lines = sel.explanation
    assert any(line.startswith("in  report: mandatory") for line in lines)
    assert "report" in sel.chosen
    outs = [line for line in lines if line.startswith("out ")]
    # every feature not funded is accounted for in the out lines
    for fid in ("base", "shop", "loyalty", "gold"):
        if fid not in sel.chosen:
            assert any(fid in line for line in outs), (fid, lines)
    # at 30,000 not everything fits: at least one left out for the budget, with numbers
    assert any("of the budget is left" in line for line in outs)
    assert "Why (" in sel.to_text()


def test_mandatory_closure_is_funded_and_explained():
    text = MANDATORY.replace("mandatory: true,", "").replace(
        "{id: loyalty, team: app, priority: 1,",
        "{id: loyalty, team: app, priority: 1, mandatory: true,",
    )
    scn = load_text(text, "yaml", "s.yaml")
    sel = select(scn, trials=300, seed=2, budgets=[200_000], verify=False)
    assert sel.mandatory == ["base", "shop", "loyalty"]
    assert {"base", "shop", "loyalty"} <= set(sel.chosen)
    assert any(
        line.startswith("in  base: required by mandatory loyalty") for line in sel.explanation
    )


def test_mandatory_over_budget_is_a_clear_error(tmp_path: Path, capsys):
    scn = load_text(MANDATORY, "yaml", "s.yaml")
    with pytest.raises(InputError, match=r"mandatory features .*\(report\) cost an estimated"):
        select(scn, budget=5_000, trials=200, seed=2, budgets=3, verify=False)
    path = tmp_path / "s.yaml"
    path.write_text(MANDATORY)
    assert main(["select", str(path), "--trials", "200", "--budget", "5000", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "above the budget EUR 5,000" in err and "Traceback" not in err


def test_mandatory_field_validation():
    bad = BASE.replace("- {id: a, team: web,", "- {id: a, team: web, mandatory: maybe,")
    (line,) = problems(bad)
    assert line.startswith("s.yaml:8: features[0].mandatory:")


def test_select_runs_on_the_bundled_portfolio_with_risks_tasks_and_shared_features() -> None:
    """The bundled portfolio has risks on features select may leave out, a duration task
    and a shared feature (hidden teams): the unfunded set is removed with its references
    (risks, correlation groups) and select answers instead of failing."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from portfolio_sim.cli import main

    root = Path(__file__).resolve().parents[1]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["select", str(root / "scenarios" / "digital-portfolio.yaml"), "--trials", "200"])
    assert rc == 0, err.getvalue()
    assert "Traceback" not in err.getvalue()
    text = out.getvalue()
    assert "Mandatory (funded at every budget): psd2-sca-compliance" in text
    # the objective column is money like the others, not a raw float with cents
    assert "Objective: NPV mean" in text
    frontier = text.split("\n\n")[0]
    assert not re.search(r"\d\.\d", frontier), frontier
