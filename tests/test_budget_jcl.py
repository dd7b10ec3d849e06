"""Budget overrun, spent date, quarter budgets, contingency and joint confidence
(docs/model.md §6, §8, §10).

Mon-Fri calendar from Monday 2027-01-04 (working day 0); January 2027 has 20 working days
(days 0-19), February 20 (days 20-39), March 23 (days 40-62), so Q1 has 63. One member at
100/day paid for n working days costs 100 n. A budget is overrun when the cost is
*strictly* greater than the budget. The budget-spent day is the working day on which the
cumulative spend (people cost of whole days, one-offs on their start day) first exceeds
the budget; a trial whose cost never exceeds it has no spent date.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from portfolio_sim.engines.output import MONEY_COLUMNS
from portfolio_sim.forecasting import forecast
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.scenario import load_text

HEAD = """\
name: Budget
start: 2027-01-04
horizon: {horizon}
calendar: {{workdays: [mon, tue, wed, thu, fri]}}
"""
DAY0 = np.datetime64("2027-01-04")


def run(body: str, horizon: str = "2027-12-31", trials: int = 20, seed: int = 7) -> Forecast:
    scn = load_text(HEAD.format(horizon=horizon) + body, "yaml")
    return forecast(scn, trials=trials, seed=seed, keep_trials=True)


def cost_col(fc: Forecast) -> np.ndarray:
    assert fc.raw.money is not None
    return fc.raw.money[:, MONEY_COLUMNS.index("cost")]


def thirty_days(budget: str) -> Forecast:
    # 30 person-days by one member at 100/day: cost 3000 in every trial.
    return run(
        f"""\
budget: {budget}
teams: [{{id: web, members: 1, cost_per_member_day: 100}}]
features: [{{id: a, team: web, effort: {{fixed: 30}}}}]
"""
    )


# -- total budget -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "want"),
    [(3000, 0.0), (2999.99, 1.0), (5000, 0.0), (0, 1.0)],
)
def test_overrun_is_strictly_greater(total: float, want: float) -> None:
    # cost 3000: a budget of exactly 3000 is not overrun.
    fc = thirty_days(f"{{total: {total}}}")
    b = fc.budget
    assert b["total"] == total
    assert b["overrun_probability"] == want
    assert json.loads(fc.to_json())["portfolio"]["budget_overrun_probability"] == want


def test_no_budget_no_overrun_probability() -> None:
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 30}}]
"""
    )
    assert fc.budget["overrun_probability"] is None
    assert fc.to_dict()["portfolio"]["budget_overrun_probability"] is None


@pytest.mark.parametrize("total", [1550, 1500])
def test_spent_date_deterministic(total: float) -> None:
    # Spend after days 0..14 is 1500, after day 15 (Mon 01-25) 1600: day 15 is the first
    # day on which spend exceeds 1550 -- and 1500 (strictly greater, as for the overrun).
    fc = thirty_days(f"{{total: {total}}}")
    b = fc.budget
    assert b["spent_date"] == {p: "2027-01-25" for p in ("p10", "p50", "p85", "p95")}
    assert b["never_spent_share"] == 0.0
    assert fc.raw.money is not None
    np.testing.assert_array_equal(fc.raw.money[:, MONEY_COLUMNS.index("spent_day")], 15)


def test_spent_date_never_when_cost_equals_budget() -> None:
    fc = thirty_days("{total: 3000}")
    b = fc.budget
    assert b["spent_date"] == {p: None for p in ("p10", "p50", "p85", "p95")}
    assert b["never_spent_share"] == 1.0


def test_spent_date_counts_one_off_on_its_start_day() -> None:
    # a: 20 days (days 0..19, 2000). b starts Mon 02-01 (day 20) with a one-off 5000:
    # spend through day 19 = 2000 <= 4000; through day 20 = 2000 + 100 + 5000 > 4000.
    fc = run(
        """\
budget: {total: 4000}
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 20}}
  - {id: b, team: web, effort: {fixed: 5}, depends_on: [a], cost: {fixed: 5000}}
"""
    )
    assert fc.budget["spent_date"]["p50"] == "2027-02-01"
    assert fc.budget["overrun_probability"] == 1.0


def test_spent_date_and_overrun_with_uncertain_cost() -> None:
    # Effort uniform [10, 30]: a trial pays ceil(t) days. Budget 2000: a trial overruns iff
    # it pays more than 20 days, and then spends the budget on day 20 (Mon 02-01).
    n = 2000
    fc = run(
        """\
budget: {total: 2000}
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {uniform: [10, 30]}}]
""",
        trials=n,
    )
    assert fc.raw.done is not None
    paid = np.ceil(fc.raw.done[:, 0] - 1e-9)
    over = paid > 20
    b = fc.budget
    assert b["overrun_probability"] == over.mean()
    assert b["never_spent_share"] == pytest.approx(1 - over.mean())
    # about half the trials overrun: P(t > 20) = 1/2
    assert abs(over.mean() - 0.5) <= 4 * math.sqrt(0.25 / n)
    spent = fc.raw.money[:, MONEY_COLUMNS.index("spent_day")]  # type: ignore[index]
    np.testing.assert_array_equal(spent[over], 20)
    # P10 of the spent date: the 10 % earliest trials all spend on 02-01
    assert b["spent_date"]["p10"] == "2027-02-01"


def test_budget_equal_to_a_decimal_cost_is_not_overrun() -> None:
    # One member at 650.10/day for 200 person-days: paid 200 days = 130020.00 exactly
    # (money in cents). A budget of 130020 is met, not overrun (docs/model.md §10), and never
    # spent.
    fc = run(
        """\
budget: {total: 130020}
teams: [{id: web, members: 1, cost_per_member_day: 650.10}]
features: [{id: a, team: web, effort: {fixed: 200}}]
"""
    )
    b = fc.budget
    assert b["overrun_probability"] == 0.0
    assert b["never_spent_share"] == 1.0


# -- quarter budgets ----------------------------------------------------------------------------


def test_quarter_budgets() -> None:
    # 70 person-days: paid days 0..69; Q1 = days 0..62 = 6300, Q2 = days 63..69 = 700.
    # Q1 budget 6300 is met (not strictly greater); Q2 budget 699 is overrun; Q3 has no
    # cost at all.
    fc = run(
        """\
budget: {quarters: {2027-Q1: 6300, 2027-Q2: 699, 2027Q3: 0}}
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 70}}]
"""
    )
    b = fc.budget
    assert b["overrun_probability"] is None  # no total budget
    q = {x["quarter"]: x for x in b["quarters"]}
    assert q["2027-Q1"]["cost"] == {"p50": 6300.0, "p80": 6300.0, "p90": 6300.0}
    assert q["2027-Q1"]["overrun_probability"] == 0.0
    assert q["2027-Q2"]["cost"]["p50"] == 700.0
    assert q["2027-Q2"]["overrun_probability"] == 1.0
    assert q["2027Q3"]["cost"]["p50"] == 0.0
    assert q["2027Q3"]["overrun_probability"] == 0.0


def test_quarter_budget_equal_to_a_decimal_cost_is_not_overrun() -> None:
    # One member at 650.01/day for 63 person-days: Q1 (63 working days) costs
    # 20 x 650.01 + 20 x 650.01 + 23 x 650.01 = 40950.63. Total and Q1 budgets of
    # 40950.63 are both met, not overrun.
    fc = run(
        """\
budget: {total: 40950.63, quarters: {2027-Q1: 40950.63}}
teams: [{id: web, members: 1, cost_per_member_day: 650.01}]
features: [{id: a, team: web, effort: {fixed: 63}}]
"""
    )
    b = fc.budget
    assert b["overrun_probability"] == 0.0
    (q1,) = b["quarters"]
    assert q1["overrun_probability"] == 0.0
    assert q1["cost"]["p50"] == pytest.approx(40950.63, abs=0.005)


# -- contingency --------------------------------------------------------------------------------


def test_contingency_is_p80_and_p90_minus_p50_of_cost() -> None:
    # Cost = a one-off uniform [0, 1000] (no people cost): P50 ~ 500, P80 ~ 800, P90 ~ 900,
    # so contingency ~ 300 and ~ 400; exactly the inverted-CDF percentiles of per-trial cost.
    n = 4000
    fc = run(
        """\
budget: {total: 900}
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 5}, cost: {uniform: [0, 1000]}}]
""",
        trials=n,
    )
    c = cost_col(fc)
    p50, p80, p90 = (np.percentile(c, p, method="inverted_cdf") for p in (50, 80, 90))
    cont = fc.budget["contingency"]
    assert cont["p80_minus_p50"] == pytest.approx(p80 - p50, abs=1e-9)
    assert cont["p90_minus_p50"] == pytest.approx(p90 - p50, abs=1e-9)
    assert cont["p80_minus_p50"] == pytest.approx(300, abs=40)
    assert cont["p90_minus_p50"] == pytest.approx(400, abs=40)
    port = fc.portfolio.loc["cost"]
    assert (port["p50"], port["p80"], port["p90"]) == (p50, p80, p90)
    # P(cost > 900) = 0.1
    assert abs(fc.budget["overrun_probability"] - 0.1) <= 4 * math.sqrt(0.09 / n)


# -- joint confidence ---------------------------------------------------------------------------

INDEPENDENT = """\
teams:
  - {id: sched, members: 1}
  - {id: pay, members: 1}
features:
  - {id: x, team: sched, effort: {uniform: [10, 210]}}
  - {id: y, team: pay, effort: {fixed: 1}, cost: {uniform: [0, 1000]}}
"""


def _marginals(fc: Forecast) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial cost and portfolio done day (inf: not done by the horizon), by hand."""
    assert fc.raw.done is not None
    t = fc.raw.done.max(axis=1)
    h = fc.compiled.horizon_days
    day = np.where(t <= h, np.maximum(np.ceil(np.minimum(t, h) - 1e-9) - 1, 0), np.inf)
    return cost_col(fc), day


def test_joint_confidence_of_independent_p80s_is_about_064() -> None:
    # Cost (y's one-off, uniform [0, 1000]) and finish (x's effort, uniform [10, 210] by
    # one member: done by working day d iff t <= d + 1) are independent. Cost P80 = 800;
    # finish P80: (d + 1 - 10) / 200 = 0.8 -> d = 169. JCL = 0.8 x 0.8 = 0.64 exactly in
    # distribution; the estimate is binomial: within 4 SE.
    n = 20000
    fc = run(INDEPENDENT, trials=n, seed=1)
    date169 = np.busday_offset(DAY0, 169, roll="forward")
    jcl = fc.joint_confidence(budgets=[800.0], dates=[date169])
    assert list(jcl.columns) == [str(date169)]
    got = float(jcl.iloc[0, 0])
    se = math.sqrt(0.64 * 0.36 / n)
    assert abs(got - 0.64) <= 4 * se, got
    # and at the empirical P80s reported by the forecast
    cost, day = _marginals(fc)
    b80 = float(fc.portfolio.loc["cost", "p80"])
    d80 = float(np.percentile(day, 80, method="inverted_cdf"))
    date80 = np.busday_offset(DAY0, int(d80), roll="forward")
    got80 = float(fc.joint_confidence(budgets=[b80], dates=[date80]).iloc[0, 0])
    m_cost, m_date = float(np.mean(cost <= b80)), float(np.mean(day <= d80))
    assert 0.8 <= m_cost < 0.81 and 0.8 <= m_date < 0.81
    assert abs(got80 - m_cost * m_date) <= 4 * math.sqrt(0.64 * 0.36 / n)
    assert abs(got80 - 0.64) <= 4 * se + 0.02


@pytest.mark.parametrize("horizon", ["2027-12-31", "2027-06-30"])
def test_joint_confidence_never_exceeds_a_marginal(horizon: str) -> None:
    # With horizon 2027-06-30 (128 working days) some trials are not done by the horizon:
    # they are never "done by" a date.
    n = 3000
    fc = run(INDEPENDENT, horizon=horizon, trials=n, seed=2)
    cost, day = _marginals(fc)
    budgets = [0.0, 100.0, 350.0, 500.0, 800.0, 999.0, 2000.0]
    days = sorted({0, 9, 50, 100, 127, 169, 200, fc.compiled.horizon_days - 1})
    dates = [np.busday_offset(DAY0, d, roll="forward") for d in days]
    jcl = fc.joint_confidence(budgets=budgets, dates=dates)
    assert jcl.shape == (len(budgets), len(dates))
    grid = jcl.to_numpy()
    for i, b in enumerate(budgets):
        for k, d in enumerate(days):
            m_cost = float(np.mean(cost <= b))
            m_date = float(np.mean(day <= d))
            assert grid[i, k] == pytest.approx(float(np.mean((cost <= b) & (day <= d))))
            assert grid[i, k] <= m_cost + 1e-12
            assert grid[i, k] <= m_date + 1e-12
    # monotone in both budget and date
    assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
    # a budget above every cost gives the date marginal; the horizon the cost marginal
    not_done = float(fc.portfolio.loc["finish", "not_done_share"])
    assert grid[-1, -1] == pytest.approx(1.0 - not_done)
    if horizon == "2027-06-30":
        # P(t > 128) = (210 - 128) / 200 = 0.41
        assert abs(not_done - 0.41) <= 4 * math.sqrt(0.41 * 0.59 / n)


def test_joint_confidence_default_grid() -> None:
    fc = run("budget: {total: 700}\n" + INDEPENDENT, trials=500, seed=4)
    jcl = fc.joint_confidence()
    cost = fc.portfolio.loc["cost"]
    want = sorted({float(cost["p50"]), float(cost["p80"]), float(cost["p90"]), 700.0})
    assert list(jcl.index) == want
    assert jcl.shape[1] == 3  # finish P50, P85, P95
    assert float(jcl.to_numpy().max()) <= 1.0
