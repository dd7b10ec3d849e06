"""The deadline rule (docs/money.md, "Deadline penalties"), on both engines.

met = done on or before the deadline date; missed = done after it, or not done by a
horizon on/after the deadline date; undecided = not done by a horizon before the deadline
date. Only a missed deadline books ``deadline_penalty`` (in the deadline's month); the
forecast reports P(met) as ``deadline_probability`` and the undecided share as
``deadline_undecided_share``.

Calendar: Mon-Fri, start Monday 2027-01-04 = working day 0; Friday 2027-01-29 is working
day 19, so a Friday 2027-01-29 horizon gives 20 working days (clock 0..20). One member at
100 a day: ``effort: {fixed: 30}`` cannot be done by that horizon, and the team is paid
all 20 days: cost 2000. ``effort: {fixed: 10}`` is done Friday 2027-01-15 (day 9).
Discount rate 8 %: January (month 0) is discounted by 1.08 ** (-1/12), February by
1.08 ** (-2/12).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from portfolio_sim.decide.select import estimate_columns
from portfolio_sim.engines.output import MONEY_COLUMNS
from portfolio_sim.forecasting import forecast
from portfolio_sim.report.html import forecast_html
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.results.text import forecast_text
from portfolio_sim.scenario import load_text
from portfolio_sim.tracing import trace_trial

ENGINES = ["fast", "des"]
RATE = 0.08
JAN = 1.08 ** (-1 / 12)
FEB = 1.08 ** (-2 / 12)
PENALTY = 1000.0

SCENARIO = """\
name: Deadline
start: 2027-01-04
horizon: {horizon}
discount_rate: {rate}
calendar: {{workdays: [mon, tue, wed, thu, fri]}}
teams: [{{id: web, members: 1, cost_per_member_day: 100}}]
features:
  - {{id: a, team: web, effort: {effort}, deadline: {deadline}, deadline_penalty: 1000}}
  - {{id: b, team: web, effort: {{fixed: 1}}}}
"""


def text(horizon: str, deadline: str, effort: str, rate: float = RATE) -> str:
    return SCENARIO.format(horizon=horizon, deadline=deadline, effort=effort, rate=rate)


def run(
    horizon: str, deadline: str, effort: str, engine: str, trials: int = 20, rate: float = RATE
) -> Forecast:
    scn = load_text(text(horizon, deadline, effort, rate), "yaml", "deadline.yaml")
    return forecast(scn, trials=trials, seed=3, engine=engine, keep_trials=True)  # type: ignore[arg-type]


def col(fc: Forecast, name: str) -> np.ndarray:
    assert fc.raw.money is not None
    return fc.raw.money[:, MONEY_COLUMNS.index(name)]


def feat(fc: Forecast, fid: str = "a") -> dict[str, object]:
    return fc.features.set_index("id").loc[fid].to_dict()


# -- the example: horizon Fri 2027-01-29, deadline Mon 2027-02-01 ----------------
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("horizon", "deadline"),
    [
        ("2027-01-29", "2027-02-01"),  # the issue: the deadline is the next working day
        ("2027-01-29", "2027-01-31"),  # Sunday: same last working day as the horizon
        ("2027-01-30", "2027-01-31"),  # Saturday horizon, Sunday deadline
    ],
)
def test_not_done_before_a_later_deadline_is_undecided(
    engine: str, horizon: str, deadline: str
) -> None:
    fc = run(horizon, deadline, "{fixed: 30}", engine, rate=0.0)
    np.testing.assert_array_equal(col(fc, "penalty_pv"), 0.0)
    # Paid 20 working days at 100 (Mon 01-04 .. Fri 01-29); nothing earned; no penalty.
    np.testing.assert_array_equal(col(fc, "cost"), 2000.0)
    np.testing.assert_array_equal(col(fc, "npv"), -2000.0)
    a = feat(fc)
    assert a["not_done_share"] == 1.0
    assert a["deadline_probability"] == 0.0
    assert a["deadline_undecided_share"] == 1.0
    assert math.isnan(feat(fc, "b")["deadline_undecided_share"])  # b has no deadline


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("horizon", "deadline", "disc"),
    [
        ("2027-01-29", "2027-01-29", JAN),  # deadline on the horizon date
        ("2027-01-29", "2027-01-28", JAN),  # deadline before it
        ("2027-01-31", "2027-01-31", JAN),  # Sunday horizon = Sunday deadline
        ("2027-02-26", "2027-02-15", FEB),  # booked in the deadline's month (February)
    ],
)
def test_not_done_by_a_horizon_on_or_after_the_deadline_is_missed(
    engine: str, horizon: str, deadline: str, disc: float
) -> None:
    fc = run(horizon, deadline, "{fixed: 100}", engine)
    np.testing.assert_allclose(col(fc, "penalty_pv"), PENALTY * disc, rtol=1e-12)
    np.testing.assert_allclose(col(fc, "npv"), -col(fc, "cost_pv") - PENALTY * disc, rtol=1e-12)
    a = feat(fc)
    assert (a["deadline_probability"], a["deadline_undecided_share"]) == (0.0, 0.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_done_after_the_deadline_before_the_horizon_is_missed(engine: str) -> None:
    # Done Fri 01-15 (day 9), deadline Thu 01-14 (day 8), horizon Fri 01-29.
    fc = run("2027-01-29", "2027-01-14", "{fixed: 10}", engine)
    np.testing.assert_allclose(col(fc, "penalty_pv"), PENALTY * JAN, rtol=1e-12)
    a = feat(fc)
    assert (a["deadline_probability"], a["deadline_undecided_share"]) == (0.0, 0.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_done_by_the_horizon_before_a_later_deadline_is_met(engine: str) -> None:
    # Done Fri 01-15, horizon Fri 01-29, deadline Mon 02-01: met (done on or before it).
    fc = run("2027-01-29", "2027-02-01", "{fixed: 10}", engine)
    np.testing.assert_array_equal(col(fc, "penalty_pv"), 0.0)
    a = feat(fc)
    assert (a["deadline_probability"], a["deadline_undecided_share"]) == (1.0, 0.0)


# -- stochastic: effort uniform on [10, 40] person-days, one member -----------------------
# Done at clock t = effort (a is first). Not done by the 20-day horizon iff t > 20:
# P = (40 - 20) / 30 = 2/3. Met a Friday 01-22 deadline (day 14) iff t <= 15: P = 1/6.
TRIALS = 2000


def within_binomial(k: float, n: int, p: float) -> None:
    """|k/n - p| within 4.5 binomial standard errors (two-sided miss chance ~7e-6)."""
    se = math.sqrt(p * (1.0 - p) / n)
    assert abs(k / n - p) <= 4.5 * se, (k / n, p, se)


@pytest.mark.parametrize("engine", ENGINES)
def test_undecided_share_is_the_chance_of_not_done_by_the_horizon(engine: str) -> None:
    fc = run("2027-01-29", "2027-02-01", "{uniform: [10, 40]}", engine, trials=TRIALS)
    a = feat(fc)
    within_binomial(float(a["deadline_undecided_share"]) * TRIALS, TRIALS, 2 / 3)
    # Every trial is met (done by the horizon, so before the deadline) or undecided.
    assert float(a["deadline_undecided_share"]) == float(a["not_done_share"])
    assert float(a["deadline_probability"]) + float(a["deadline_undecided_share"]) == 1.0
    np.testing.assert_array_equal(col(fc, "penalty_pv"), 0.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_missed_share_charged_when_the_deadline_is_before_the_horizon(engine: str) -> None:
    fc = run("2027-01-29", "2027-01-22", "{uniform: [10, 40]}", engine, trials=TRIALS)
    a = feat(fc)
    within_binomial(float(a["deadline_probability"]) * TRIALS, TRIALS, 1 / 6)
    assert a["deadline_undecided_share"] == 0.0
    penalty = col(fc, "penalty_pv")
    charged = penalty > 0
    np.testing.assert_allclose(penalty[charged], PENALTY * JAN, rtol=1e-12)
    # Each trial is met or charged: the charged share is 1 - P(met) exactly.
    assert charged.sum() == TRIALS - round(float(a["deadline_probability"]) * TRIALS)


# -- outputs -------------------------------------------------------------------------------
def test_outputs_show_the_undecided_share() -> None:
    fc = run("2027-01-29", "2027-02-01", "{fixed: 30}", "fast", rate=0.0)
    doc = json.loads(json.dumps(fc.to_dict()))
    by_id = {f["id"]: f for f in doc["features"]}
    assert by_id["a"]["deadline_undecided_share"] == 1.0
    assert by_id["a"]["deadline_probability"] == 0.0
    assert by_id["b"]["deadline_undecided_share"] is None
    assert "0 % (100 % undecided)" in forecast_text(fc)
    assert "0 % (100 % undecided)" in forecast_html(fc)  # the riskiest-deadline card


def test_selection_estimate_charges_no_penalty_for_an_undecided_deadline() -> None:
    # Only ``a`` has a deadline; at rate 0 its contribution is -(its share of the team
    # cost 2000): a's expected size 30 of 31 person-days -> -2000 * 30 / 31, no penalty.
    scn = load_text(text("2027-01-29", "2027-02-01", "{fixed: 30}", 0.0), "yaml", "d.yaml")
    fc = forecast(scn, trials=20, seed=3)
    columns, _ = estimate_columns(scn, fc)
    assert columns["npv_contribution"][0] == pytest.approx(-2000.0 * 30 / 31, rel=1e-12)


def test_trace_says_undecided() -> None:
    scn = load_text(text("2027-01-29", "2027-02-01", "{fixed: 30}"), "yaml", "d.yaml")
    t = trace_trial(scn, seed=0, trial=0)
    f = t.features.set_index("feature")
    assert f.loc["a", "deadline_met"] is None
    assert "2027-02-01 undecided" in t.summary()
