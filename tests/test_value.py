"""Value, success, deadline penalties, discounting and NPV, exact cases (docs/model.md §6).

Deterministic scenarios (``{fixed: x}`` estimates), Mon-Fri calendar from Monday
2027-01-04 (working day 0). 10 person-days by one member end at t = 10: done Friday
2027-01-15 (day 9). Value then accrues per *calendar* day from Saturday 2027-01-16
through the horizon date inclusive, at ``per_month * 12 / 365`` a day. With
``per_month: 3650`` that is exactly 120 a day; with horizon 2027-12-31 the feature earns
on 365 - 15 = 350 days (January 16..31 = 16 days, then February..December = 334):
42000 in all.

Discounting: month k (k = 0 is January 2027, the start's month) is discounted by
``(1 + r) ** -((k + 1) / 12)``. This is the end-of-period convention of
``numpy_financial.npv`` with the monthly rate ``(1 + r) ** (1 / 12) - 1`` applied to the
monthly flows at t = 1..M, i.e. ``npf.npv(m, [0] + flows)``; :func:`npf_npv` implements
that formula in numpy (numpy-financial is not a dependency). Expected monthly flows are
built here independently, from numpy calendar-day arrays.
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

TRIALS = 20
DAILY = 120.0  # 3650 * 12 / 365
HEAD = """\
name: Value
start: 2027-01-04
horizon: {horizon}
discount_rate: {rate}
calendar: {{workdays: [mon, tue, wed, thu, fri]}}
"""
ONE = """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 10}, FIELDS}
"""


def run(
    body: str,
    horizon: str = "2027-12-31",
    rate: float = 0.0,
    trials: int = TRIALS,
    seed: int = 11,
) -> Forecast:
    scn = load_text(HEAD.format(horizon=horizon, rate=rate) + body, "yaml")
    return forecast(scn, trials=trials, seed=seed, keep_trials=True)


def one(fields: str, **kw: object) -> Forecast:
    """One member at 100/day, feature ``a`` of 10 person-days (done Fri 2027-01-15)."""
    return run(ONE.replace("FIELDS", fields), **kw)  # type: ignore[arg-type]


def col(fc: Forecast, name: str) -> np.ndarray:
    assert fc.raw.money is not None
    return fc.raw.money[:, MONEY_COLUMNS.index(name)]


def npf_npv(rate: float, values: np.ndarray | list[float]) -> float:
    """numpy_financial.npv: sum of values[t] / (1 + rate) ** t for t = 0, 1, ..."""
    v = np.asarray(values, dtype=np.float64)
    return float(np.sum(v / (1.0 + rate) ** np.arange(v.size)))


def monthly_pv(flows: np.ndarray, r: float) -> float:
    """Discounted monthly flows, the numpy-financial way (end of each month)."""
    return npf_npv((1.0 + r) ** (1.0 / 12.0) - 1.0, np.concatenate([[0.0], flows]))


def value_flows(first: str, horizon: str, ramp_months: float = 0.0) -> np.ndarray:
    """Monthly value flows (from January 2027) of a feature earning from ``first`` through
    ``horizon`` inclusive: calendar day i (0 = ``first``) earns the integral of the rate
    ``DAILY * min(x / rd, 1)`` over [i, i + 1], rd = ramp_months * 365 / 12."""
    days = np.arange(np.datetime64(first), np.datetime64(horizon) + 1)
    x = np.arange(days.size + 1, dtype=np.float64)
    rd = ramp_months * 365.0 / 12.0
    g = DAILY * x  # cumulative value after x days
    if rd > 0:
        g = DAILY * np.where(x < rd, x * x / (2.0 * rd), rd / 2.0 + (x - rd))
    per_day = np.diff(g)
    month = (days.astype("datetime64[M]") - np.datetime64("2027-01", "M")).astype(np.int64)
    n_months = int((np.datetime64(horizon, "M") - np.datetime64("2027-01", "M")).astype(int)) + 1
    return np.bincount(month, weights=per_day, minlength=n_months)


# -- value timing -----------------------------------------------------------------------------


def test_value_from_the_day_after_done_through_the_horizon_inclusive() -> None:
    # Done Fri 01-15; earns 01-16..12-31 = 350 days x 120 = 42000.
    fc = one("value: {per_month: 3650}")
    np.testing.assert_allclose(col(fc, "value"), 350 * DAILY, rtol=1e-12)
    np.testing.assert_allclose(col(fc, "value_pv"), 42000.0, rtol=1e-12)
    flows = value_flows("2027-01-16", "2027-12-31")
    assert flows[0] == 16 * DAILY and flows[1] == 28 * DAILY and flows.sum() == 42000.0
    f = fc.features.set_index("id")
    assert f.loc["a", "value_pv_mean"] == pytest.approx(42000.0, rel=1e-9)


def test_value_stops_at_a_mid_year_horizon() -> None:
    # Horizon Wed 2027-06-30: 01-16..06-30 = 16 + 28 + 31 + 30 + 31 + 30 = 166 days -> 19920.
    fc = one("value: {per_month: 3650}", horizon="2027-06-30")
    np.testing.assert_allclose(col(fc, "value"), 166 * DAILY, rtol=1e-12)


def test_value_counts_calendar_days_up_to_a_weekend_horizon() -> None:
    # Horizon Sunday 2027-06-27 (not a working day): value still runs through that calendar
    # date: 166 - 3 = 163 days -> 19560.
    fc = one("value: {per_month: 3650}", horizon="2027-06-27")
    np.testing.assert_allclose(col(fc, "value"), 163 * DAILY, rtol=1e-12)


def test_feature_done_on_the_horizon_day_earns_nothing() -> None:
    # Horizon Fri 2027-01-15 = the done date: value would start 01-16, after the horizon.
    fc = one("value: {per_month: 3650}", horizon="2027-01-15")
    assert fc.features.set_index("id").loc["a", "not_done_share"] == 0.0
    np.testing.assert_array_equal(col(fc, "value"), 0.0)


def test_feature_not_done_by_horizon_earns_nothing() -> None:
    # 100 person-days cannot be done by Wed 03-31 (63 working days).
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 100}, value: {per_month: 3650}}]
""",
        horizon="2027-03-31",
    )
    np.testing.assert_array_equal(col(fc, "value"), 0.0)
    np.testing.assert_array_equal(col(fc, "value_pv"), 0.0)


def test_value_with_holidays_and_a_weekend_start() -> None:
    # Start Saturday 2027-01-02 (working day 0 is Mon 01-04); holidays Wed 01-06 and
    # Mon 01-11..Tue 01-12. 10 person-days run on 01-04, 05, 07, 08, 13, 14, 15, 18, 19,
    # 20 -> done Wed 01-20. Value (calendar days, holidays included) from Thu 01-21
    # through 12-31: 365 - 20 = 345 days x 120 = 41400.
    scn = load_text(
        """\
name: Holidays
start: 2027-01-02
horizon: 2027-12-31
calendar: {holidays: [2027-01-06, {from: 2027-01-11, to: 2027-01-12}]}
"""
        + ONE.replace("FIELDS", "value: {per_month: 3650}"),
        "yaml",
    )
    fc = forecast(scn, trials=5, seed=1)
    np.testing.assert_allclose(col(fc, "value"), 345 * DAILY, rtol=1e-12)
    np.testing.assert_allclose(col(fc, "cost"), 1000.0, rtol=1e-12)


def test_ramp_of_two_months() -> None:
    # Ramp over rd = 2 x 365 / 12 = 60.8333 calendar days, linear from 0 to 120/day.
    # Over 350 days the ramp loses half of rd days of full value:
    # 120 x (350 - 60.8333 / 2) = 120 x 319.58333 = 38350.
    fc = one("value: {per_month: 3650, ramp_months: 2}")
    np.testing.assert_allclose(col(fc, "value"), 38350.0, rtol=1e-12)
    assert value_flows("2027-01-16", "2027-12-31", 2.0).sum() == pytest.approx(38350.0)


def test_ramp_longer_than_the_time_left() -> None:
    # Ramp over 12 months = 365 days but only 166 days to the horizon (Wed 06-30): the
    # feature earns the triangle 120 x 166^2 / (2 x 365) = 120 x 27556 / 730 = 4529.753...
    fc = one("value: {per_month: 3650, ramp_months: 12}", horizon="2027-06-30")
    np.testing.assert_allclose(col(fc, "value"), 120.0 * 27556.0 / 730.0, rtol=1e-12)


def test_value_pv_matches_numpy_financial_convention() -> None:
    # r = 10 %/year; flows by calendar month from independent day arrays (16 x 120 in
    # January, 28 x 120 in February, ...), discounted npf-style.
    r = 0.10
    fc = one("value: {per_month: 3650}", rate=r)
    flows = value_flows("2027-01-16", "2027-12-31")
    want = monthly_pv(flows, r)
    by_hand = sum(v * 1.1 ** (-(k + 1) / 12) for k, v in enumerate(flows))
    assert want == pytest.approx(by_hand, rel=1e-12)
    np.testing.assert_allclose(col(fc, "value_pv"), want, rtol=1e-9)
    np.testing.assert_allclose(col(fc, "value"), 42000.0, rtol=1e-12)


def test_ramped_value_pv_matches_numpy_financial_convention() -> None:
    # Same with a 2-month ramp: the ramp's integral is split by calendar month.
    r = 0.10
    fc = one("value: {per_month: 3650, ramp_months: 2}", rate=r)
    want = monthly_pv(value_flows("2027-01-16", "2027-12-31", 2.0), r)
    np.testing.assert_allclose(col(fc, "value_pv"), want, rtol=1e-9)


def test_value_of_a_later_feature_over_two_years() -> None:
    # 30 person-days -> done Fri 2027-02-12; earns from Sat 02-13 through 2028-12-31
    # (2028 is a leap year: 24 months of flows), with a 3-month ramp and r = 8 %.
    r = 0.08
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 30}, value: {per_month: 3650, ramp_months: 3}}
""",
        horizon="2028-12-31",
        rate=r,
    )
    flows = value_flows("2027-02-13", "2028-12-31", 3.0)
    assert flows.size == 24 and flows[0] == 0.0
    # total: days 02-13-2027 .. 12-31-2028 = 365 - 43 + 366 = 688; minus half the ramp
    assert flows.sum() == pytest.approx(120.0 * (688 - 3 * 365 / 24), rel=1e-12)
    np.testing.assert_allclose(col(fc, "value"), flows.sum(), rtol=1e-12)
    np.testing.assert_allclose(col(fc, "value_pv"), monthly_pv(flows, r), rtol=1e-9)


# -- success ----------------------------------------------------------------------------------


def test_success_probability_zero_earns_nothing() -> None:
    fc = one("value: {per_month: 3650, success_probability: 0}", trials=200)
    np.testing.assert_array_equal(col(fc, "value"), 0.0)
    # cost is still paid: NPV = -1000 in every trial
    np.testing.assert_allclose(col(fc, "npv"), -1000.0, rtol=1e-12)


def test_success_probability_half_earns_in_about_half_the_trials() -> None:
    n = 4000
    fc = one("value: {per_month: 3650, success_probability: 0.5}", trials=n, seed=3)
    v = col(fc, "value")
    wins = v > 0
    # a success earns the full 42000, a failure nothing
    np.testing.assert_allclose(v[wins], 42000.0, rtol=1e-12)
    np.testing.assert_array_equal(v[~wins], 0.0)
    k = int(wins.sum())
    se = math.sqrt(n * 0.25)
    assert abs(k - n / 2) <= 4 * se, k
    f = fc.features.set_index("id")
    assert f.loc["a", "value_pv_mean"] == pytest.approx(42000.0 * k / n, rel=1e-6)


# -- deadline penalties -----------------------------------------------------------------------


def test_penalty_booked_when_late() -> None:
    # Done Fri 01-15, deadline Thu 01-14: late, penalty 500 (r = 0). NPV = -1000 - 500.
    fc = one("deadline: 2027-01-14, deadline_penalty: 500")
    np.testing.assert_allclose(col(fc, "penalty_pv"), 500.0, rtol=1e-12)
    np.testing.assert_allclose(col(fc, "npv"), -1500.0, rtol=1e-12)
    assert fc.features.set_index("id").loc["a", "deadline_probability"] == 0.0


@pytest.mark.parametrize("deadline", ["2027-01-15", "2027-01-17", "2027-03-01"])
def test_no_penalty_when_on_time(deadline: str) -> None:
    # Done Fri 01-15: on time for a deadline that day, Sunday 01-17 or later.
    fc = one(f"deadline: {deadline}, deadline_penalty: 500")
    np.testing.assert_array_equal(col(fc, "penalty_pv"), 0.0)
    np.testing.assert_allclose(col(fc, "npv"), -1000.0, rtol=1e-12)
    assert fc.features.set_index("id").loc["a", "deadline_probability"] == 1.0


def test_penalty_discounted_in_the_deadlines_month() -> None:
    # 30 person-days: done Fri 02-12 (February, k = 1); deadline Fri 01-29 (January,
    # k = 0). The penalty 10000 is discounted in the deadline's month:
    # 10000 x 1.08 ** (-1/12), not 1.08 ** (-2/12).
    r = 0.08
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 30}, deadline: 2027-01-29, deadline_penalty: 10000}
""",
        rate=r,
    )
    np.testing.assert_allclose(col(fc, "penalty_pv"), 10000.0 * 1.08 ** (-1 / 12), rtol=1e-12)


def test_penalty_when_not_done_by_horizon() -> None:
    # 100 person-days not done by Wed 03-31: the deadline Mon 02-15 is missed; penalty 1000
    # discounted in February (k = 1): 1000 x 1.08 ** (-2/12).
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 100}, deadline: 2027-02-15, deadline_penalty: 1000}
""",
        horizon="2027-03-31",
        rate=0.08,
    )
    np.testing.assert_allclose(col(fc, "penalty_pv"), 1000.0 * 1.08 ** (-2 / 12), rtol=1e-12)


# -- NPV, ROI, cost of delay --------------------------------------------------------------------


def test_npv_is_discounted_value_minus_cost_minus_penalty() -> None:
    # r = 8 %: cost 1000 in January; value 3650/month with a 2-month ramp from 01-16;
    # late by a day (deadline Thu 01-14) -> penalty 500 in January.
    r = 0.08
    fc = one(
        "value: {per_month: 3650, ramp_months: 2}, deadline: 2027-01-14, deadline_penalty: 500",
        rate=r,
    )
    d0 = 1.08 ** (-1 / 12)
    cost_pv = 1000.0 * d0
    value_pv = monthly_pv(value_flows("2027-01-16", "2027-12-31", 2.0), r)
    penalty_pv = 500.0 * d0
    npv = value_pv - cost_pv - penalty_pv
    np.testing.assert_allclose(col(fc, "cost_pv"), cost_pv, rtol=1e-9)
    np.testing.assert_allclose(col(fc, "value_pv"), value_pv, rtol=1e-9)
    np.testing.assert_allclose(col(fc, "penalty_pv"), penalty_pv, rtol=1e-9)
    np.testing.assert_allclose(col(fc, "npv"), npv, rtol=1e-9)
    port = fc.portfolio
    assert port.loc["npv", "p50"] == pytest.approx(npv, rel=1e-9)
    assert port.loc["npv", "mean"] == pytest.approx(npv, rel=1e-9)
    # ROI = (PV value - PV cost - PV penalties) / PV cost, over all trials
    assert port.loc["roi", "mean"] == pytest.approx(npv / cost_pv, rel=1e-9)
    doc = json.loads(fc.to_json())
    assert doc["portfolio"]["roi"] == pytest.approx(npv / cost_pv, rel=1e-9)
    assert doc["portfolio"]["expected_value"] == pytest.approx(npv, rel=1e-9)
    assert doc["portfolio"]["npv"]["p50"] == pytest.approx(npv, rel=1e-9)


def test_roi_pools_all_trials() -> None:
    # success 0.5: ROI = sum(NPV) / sum(PV cost) over trials = (42000 k - 1000 n) / (1000 n)
    # with k successes out of n (r = 0).
    n = 400
    fc = one("value: {per_month: 3650, success_probability: 0.5}", trials=n)
    k = int((col(fc, "value") > 0).sum())
    want = (42000.0 * k - 1000.0 * n) / (1000.0 * n)
    assert fc.portfolio.loc["roi", "mean"] == pytest.approx(want, rel=1e-9)
    assert fc.portfolio.loc["npv", "positive_probability"] == k / n


def test_cost_of_delay_per_month_and_week() -> None:
    # Cost of delay = V per month, V x 12 / 52 per week; NaN for a feature without value.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 10}, value: {per_month: 5200}}
  - {id: b, team: web, effort: {fixed: 10}}
"""
    )
    f = fc.features.set_index("id")
    assert f.loc["a", "cost_of_delay_per_month"] == 5200.0
    assert f.loc["a", "cost_of_delay_per_week"] == pytest.approx(1200.0)
    assert math.isnan(f.loc["b", "cost_of_delay_per_month"])
    doc = fc.to_dict()
    assert doc["features"][0]["cost_of_delay"] == {"per_month": 5200.0, "per_week": 1200.0}
    assert doc["features"][1]["cost_of_delay"] is None
