"""Money, exact cases: people cost, paid days, one-offs, months, capex/opex (docs/model.md §6, §10).

Every estimate is ``{fixed: x}``, so every trial is the same and every number below is
worked out by hand in a comment (never by calling the code under test). Calendar: Mon-Fri,
no holidays, start Monday 2027-01-04 = working day 0::

    day  0 Mon 01-04   5 Mon 01-11  10 Mon 01-18  15 Mon 01-25  19 Fri 01-29
    day 20 Mon 02-01  25 Mon 02-08  29 Fri 02-12  39 Fri 02-26  40 Mon 03-01

Working days per month in 2027: January 20 (04..29; Jan 1 is a Friday before the start,
30/31 are a weekend), February 20 (Feb 1 is a Monday, 28 days), March 23 (1..31), so
the first quarter has 63 working days and days 0-19 are January, 20-39 February, 40-62
March. Work ending at clock time t is done on working day ceil(t) - 1, and a team is paid
whole working days from day 0 through that day (ceil(t) days in all).

The discounting convention (docs/model.md §6) is the end-of-period convention of
``numpy_financial.npv`` with a monthly rate: month k's cash flow is discounted by
``(1 + r) ** -((k + 1) / 12)``, i.e. ``npf.npv((1 + r) ** (1 / 12) - 1, [0] + flows)``.
numpy-financial is not a dependency: :func:`npf_npv` below is its formula in numpy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.engines.output import MONEY_COLUMNS
from portfolio_sim.forecasting import forecast
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.scenario import load_text

TRIALS = 20
HEAD = """\
name: Money
start: 2027-01-04
horizon: {horizon}
discount_rate: {rate}
calendar: {calendar}
"""
MON_FRI = "{workdays: [mon, tue, wed, thu, fri]}"


def run(
    body: str,
    horizon: str = "2027-12-31",
    rate: float = 0.0,
    trials: int = TRIALS,
    seed: int = 5,
    calendar: str = MON_FRI,
) -> Forecast:
    head = HEAD.format(horizon=horizon, rate=rate, calendar=calendar)
    scn = load_text(head + body, "yaml")
    return forecast(scn, trials=trials, seed=seed, keep_trials=True)


def npf_npv(rate: float, values: np.ndarray | list[float]) -> float:
    """numpy_financial.npv: sum of values[t] / (1 + rate) ** t for t = 0, 1, ..."""
    v = np.asarray(values, dtype=np.float64)
    return float(np.sum(v / (1.0 + rate) ** np.arange(v.size)))


def col(fc: Forecast, name: str) -> np.ndarray:
    assert fc.raw.money is not None
    return fc.raw.money[:, MONEY_COLUMNS.index(name)]


def team(fc: Forecast, tid: str) -> pd.Series:
    return fc.teams.set_index("id").loc[tid]


def month_p50(fc: Forecast, what: str) -> dict[str, float]:
    """Month label -> P50 of ``what`` (cost / capex / opex / cumulative), nonzero months."""
    m = fc.months
    return {r["month"]: float(r[f"{what}_p50"]) for _, r in m.iterrows() if r[f"{what}_p50"]}


def assert_every_trial(fc: Forecast, name: str, want: float) -> None:
    np.testing.assert_allclose(col(fc, name), want, rtol=1e-12, atol=1e-9)


def assert_team_cost(fc: Forecast, tid: str, want: float) -> None:
    r = team(fc, tid)
    for c in ("cost_mean", "cost_p10", "cost_p50", "cost_p80", "cost_p90"):
        assert r[c] == pytest.approx(want, abs=1e-9), f"{tid} {c}: {r[c]} != {want}"


# -- people cost --------------------------------------------------------------------------


def test_one_member_ten_days_costs_ten_days() -> None:
    # 10 person-days by 1 member -> t = 10, done day 9 (Fri 01-15): paid days 0..9 = 10 days
    # x 100 = 1000, all in January.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert_every_trial(fc, "cost", 1000.0)
    assert_team_cost(fc, "web", 1000.0)
    assert month_p50(fc, "cost") == {"2027-01": 1000.0}


def test_staffing_increase_paid_from_the_change_day() -> None:
    # 2 members at 100/day; from Mon 2027-01-18 (day 10) 3 members, no ramp.
    # Capacity 2/day x 10 days = 20; 30 more at 3/day = 10 days -> t = 20, done day 19
    # (Fri 01-29). Paid: days 0..9 x 200 + days 10..19 x 300 = 2000 + 3000 = 5000, January.
    fc = run(
        """\
teams:
  - {id: web, members: 2, cost_per_member_day: 100,
     changes: [{on: 2027-01-18, members: 3}]}
features: [{id: a, team: web, effort: {fixed: 50}}]
"""
    )
    assert fc.raw.done is not None
    np.testing.assert_allclose(fc.raw.done[:, 0], 20.0, atol=1e-9)
    assert_every_trial(fc, "cost", 5000.0)
    assert_team_cost(fc, "web", 5000.0)
    assert month_p50(fc, "cost") == {"2027-01": 5000.0}


def test_staffing_change_on_a_weekend_takes_effect_next_working_day() -> None:
    # Same as above with the change dated Saturday 2027-01-16: it takes effect Monday
    # 01-18 (day 10), so the numbers are the same: t = 20, cost 5000.
    fc = run(
        """\
teams:
  - {id: web, members: 2, cost_per_member_day: 100,
     changes: [{on: 2027-01-16, members: 3}]}
features: [{id: a, team: web, effort: {fixed: 50}}]
"""
    )
    assert_every_trial(fc, "cost", 5000.0)


def test_staffing_increase_with_ramp_across_a_month_boundary() -> None:
    # 2 members; from day 10 three members, the new one ramping 0 -> 1 over 10 working days.
    # Capacity by t = 20: 2 x 20 + 10 x 1/2 (linear ramp) = 45; 5 more at 3/day = 5/3 days
    # -> t = 21.667, done day 21 (Tue 02-02). Paid members: 2 on days 0..9, 3 on days
    # 10..21 (paid members change on the change day, whatever the ramp):
    # 10 x 200 + 12 x 300 = 5600; January (days 0..19) 2000 + 3000 = 5000, February
    # (days 20, 21) 600.
    fc = run(
        """\
teams:
  - {id: web, members: 2, cost_per_member_day: 100,
     changes: [{on: 2027-01-18, members: 3, ramp_days: 10}]}
features: [{id: a, team: web, effort: {fixed: 50}}]
"""
    )
    assert fc.raw.done is not None
    np.testing.assert_allclose(fc.raw.done[:, 0], 20.0 + 5.0 / 3.0, atol=1e-9)
    assert_every_trial(fc, "cost", 5600.0)
    assert_team_cost(fc, "web", 5600.0)
    assert month_p50(fc, "cost") == {"2027-01": 5000.0, "2027-02": 600.0}
    assert month_p50(fc, "cumulative")["2027-02"] == 5600.0


def test_staffing_decrease_stops_paying_at_once() -> None:
    # 3 members until Mon 01-11 (day 5), then 1. Capacity 3 x 5 = 15; 10 more at 1/day
    # -> t = 15, done day 14 (Fri 01-22). Paid: 5 x 300 + 10 x 100 = 2500.
    fc = run(
        """\
teams:
  - {id: web, members: 3, cost_per_member_day: 100,
     changes: [{on: 2027-01-11, members: 1}]}
features: [{id: a, team: web, effort: {fixed: 25}}]
"""
    )
    assert_every_trial(fc, "cost", 2500.0)
    assert_team_cost(fc, "web", 2500.0)


def test_focus_slows_work_but_does_not_lower_the_day_rate() -> None:
    # 2 members at focus 0.5 -> 1 person-day per day: 10 person-days -> t = 10.
    # Paid: 10 days x 2 members x 100 = 2000 (cost is paid members x rate, whatever the
    # focus; docs/scenario-format.md).
    fc = run(
        """\
teams: [{id: web, members: 2, focus: 0.5, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert_every_trial(fc, "cost", 2000.0)


def test_release_horizon_pays_through_the_horizon() -> None:
    # Horizon Wed 2027-03-31: working days 0..62 (20 + 20 + 23 = 63). `web` is kept to
    # the horizon: 63 x 100 = 6300 (Jan 2000, Feb 2000, Mar 2300); `app` is released
    # after its 10 days: 1000.
    fc = run(
        """\
teams:
  - {id: web, members: 1, cost_per_member_day: 100, release: horizon}
  - {id: app, members: 1, cost_per_member_day: 100}
features:
  - {id: a, team: web, effort: {fixed: 10}}
  - {id: b, team: app, effort: {fixed: 10}}
""",
        horizon="2027-03-31",
    )
    assert fc.compiled.horizon_days == 63
    assert_team_cost(fc, "web", 6300.0)
    assert_team_cost(fc, "app", 1000.0)
    assert_every_trial(fc, "cost", 7300.0)
    assert month_p50(fc, "cost") == {"2027-01": 3000.0, "2027-02": 2000.0, "2027-03": 2300.0}


def test_team_not_done_by_horizon_is_paid_through_the_horizon() -> None:
    # 100 person-days by one member cannot finish by Wed 03-31 (63 working days): the
    # team is paid all 63 days = 6300.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 100}}]
""",
        horizon="2027-03-31",
    )
    assert_every_trial(fc, "cost", 6300.0)
    assert_team_cost(fc, "web", 6300.0)


def test_throughput_team_cost_and_capex() -> None:
    # A throughput team completing exactly 1 item per week (5 working days): 3 items are
    # done at the end of week 3, t = 15 (day 14, Fri 01-22). Its 2 paid members at 100/day
    # cost 15 x 200 = 3000; its only feature is capitalizable and in progress all along,
    # so all 3000 is capex.
    fc = run(
        """\
teams: [{id: tp, throughput: {fixed: 1}, members: 2, cost_per_member_day: 100}]
features: [{id: a, team: tp, items: {fixed: 3}, capitalizable: true}]
"""
    )
    assert fc.raw.done is not None
    np.testing.assert_allclose(fc.raw.done[:, 0], 15.0, atol=1e-9)
    assert_every_trial(fc, "cost", 3000.0)
    assert_every_trial(fc, "capex", 3000.0)
    assert_team_cost(fc, "tp", 3000.0)


def test_holidays_are_not_paid() -> None:
    # Holidays Wed 01-06 and Mon 01-11..Tue 01-12 are not working days: 10 person-days
    # run on 01-04, 05, 07, 08, 13, 14, 15, 18, 19, 20 -> done Wed 01-20; paid 10 days
    # = 1000 (a team is paid per working day).
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 10}}]
""",
        calendar="{holidays: [2027-01-06, {from: 2027-01-11, to: 2027-01-12}]}",
    )
    assert fc.features.set_index("id").loc["a", "p50"] == pd.Timestamp("2027-01-20")
    assert_every_trial(fc, "cost", 1000.0)


def test_team_without_features_costs_nothing() -> None:
    # `idle` has no features and is released at once (not `release: horizon`): 0.
    fc = run(
        """\
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
  - {id: idle, members: 4, cost_per_member_day: 100}
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert_team_cost(fc, "idle", 0.0)
    assert_every_trial(fc, "cost", 1000.0)


def test_monthly_bucketing_across_the_month_boundary() -> None:
    # 30 person-days by one member: t = 30, done day 29 (Fri 02-12). Paid 30 days:
    # January days 0..19 = 20 x 100 = 2000, February days 20..29 = 1000. Cumulative
    # 2000, 3000, and 3000 in every later month.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 30}}]
"""
    )
    assert month_p50(fc, "cost") == {"2027-01": 2000.0, "2027-02": 1000.0}
    m = fc.months.set_index("month")
    assert list(m.index) == [f"2027-{k:02d}" for k in range(1, 13)]
    assert m.loc["2027-01", "cumulative_p50"] == 2000.0
    for k in range(2, 13):
        assert m.loc[f"2027-{k:02d}", "cumulative_p50"] == 3000.0
    assert fc.raw.month_cost is not None
    np.testing.assert_array_equal(fc.raw.month_cost[:, 0], 2000.0)
    np.testing.assert_array_equal(fc.raw.month_cost[:, 1], 1000.0)
    np.testing.assert_array_equal(fc.raw.month_cost[:, 2:], 0.0)


def test_team_months_table_splits_team_cost_by_month() -> None:
    # Two teams: web 30 days (Jan 2000, Feb 1000), app 2 members x 50/day for 5 days
    # (Jan 500).
    fc = run(
        """\
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
  - {id: app, members: 2, cost_per_member_day: 50}
features:
  - {id: a, team: web, effort: {fixed: 30}}
  - {id: b, team: app, effort: {fixed: 10}}
"""
    )
    tm = fc.team_months.set_index(["team", "month"])
    for p in ("cost_p10", "cost_p50", "cost_p90"):
        assert tm.loc[("web", "2027-01"), p] == 2000.0
        assert tm.loc[("web", "2027-02"), p] == 1000.0
        assert tm.loc[("web", "2027-03"), p] == 0.0
        assert tm.loc[("app", "2027-01"), p] == 500.0
        assert tm.loc[("app", "2027-02"), p] == 0.0
    assert month_p50(fc, "cost") == {"2027-01": 2500.0, "2027-02": 1000.0}


# -- one-off costs ------------------------------------------------------------------------


def test_one_off_cost_is_paid_in_the_start_days_month() -> None:
    # a: 20 days -> t = 20 (done Fri 01-29). b depends on a and starts at t = 20 = day 20,
    # Mon 02-01, so its one-off 5000 falls in February; b takes 5 days -> t = 25.
    # People: 25 days x 100 = 2500 (Jan 2000, Feb 500). Feb total 500 + 5000 = 5500.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 20}}
  - {id: b, team: web, effort: {fixed: 5}, depends_on: [a], cost: {fixed: 5000}}
"""
    )
    assert_every_trial(fc, "cost", 7500.0)
    assert month_p50(fc, "cost") == {"2027-01": 2000.0, "2027-02": 5500.0}
    f = fc.features.set_index("id")
    assert f.loc["b", "oneoff_cost_mean"] == pytest.approx(5000.0)
    assert f.loc["a", "oneoff_cost_mean"] == 0.0
    # team cost is people cost only; the one-off is in the portfolio total
    assert_team_cost(fc, "web", 2500.0)


def test_one_off_cost_of_a_feature_never_started_is_not_paid() -> None:
    # a (100 days) is not done by the horizon Wed 03-31, so b never starts: its one-off
    # 5000 is never paid. People: 63 days x 100 = 6300.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 100}}
  - {id: b, team: web, effort: {fixed: 5}, depends_on: [a], cost: {fixed: 5000}}
""",
        horizon="2027-03-31",
    )
    assert_every_trial(fc, "cost", 6300.0)


def test_one_off_cost_of_a_capitalizable_feature_is_capex() -> None:
    # As implemented (docs/money.md): the one-off cost of a capitalizable feature is capex.
    # b is capitalizable: its people share (days 20..24, 500) and its one-off (5000) are
    # capex in February; a's 2000 in January is opex.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 20}}
  - {id: b, team: web, effort: {fixed: 5}, depends_on: [a], cost: {fixed: 5000},
     capitalizable: true}
"""
    )
    assert month_p50(fc, "capex") == {"2027-02": 5500.0}
    assert month_p50(fc, "opex") == {"2027-01": 2000.0}
    assert_every_trial(fc, "capex", 5500.0)


# -- capex and opex -----------------------------------------------------------------------


def test_capex_half_share_with_wip_two() -> None:
    # One member, WIP 2: a (10, capitalizable) and b (20) start together at 0.5/day each.
    # a is done at t = 20 (10 / 0.5); b has 10 left at 1/day -> t = 30.
    # Cost 30 x 100 = 3000 (Jan 2000, Feb 1000). Capex = a's half share while both run:
    # 0.5 x 20 days x 100 = 1000, all January. Opex: Jan 1000, Feb 1000.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100, wip_limit: 2}]
features:
  - {id: a, team: web, effort: {fixed: 10}, capitalizable: true}
  - {id: b, team: web, effort: {fixed: 20}}
"""
    )
    assert fc.raw.done is not None
    np.testing.assert_allclose(fc.raw.done[0], [20.0, 30.0], atol=1e-9)
    assert_every_trial(fc, "cost", 3000.0)
    assert_every_trial(fc, "capex", 1000.0)
    assert month_p50(fc, "cost") == {"2027-01": 2000.0, "2027-02": 1000.0}
    assert month_p50(fc, "capex") == {"2027-01": 1000.0}
    assert month_p50(fc, "opex") == {"2027-01": 1000.0, "2027-02": 1000.0}
    assert fc.portfolio.loc["capex", "p50"] == 1000.0


def test_capex_full_share_once_alone() -> None:
    # Same with b capitalizable instead: b's half share over [0, 20) = 1000 (January), then
    # its full share over [20, 30) = 1000 (February). Capex 2000; opex = a's half = 1000.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100, wip_limit: 2}]
features:
  - {id: a, team: web, effort: {fixed: 10}}
  - {id: b, team: web, effort: {fixed: 20}, capitalizable: true}
"""
    )
    assert_every_trial(fc, "capex", 2000.0)
    assert month_p50(fc, "capex") == {"2027-01": 1000.0, "2027-02": 1000.0}
    assert month_p50(fc, "opex") == {"2027-01": 1000.0}


def test_capex_share_straddling_the_month_boundary() -> None:
    # WIP 2: a (12, capitalizable) and b (24) at 0.5/day: a done t = 24, b has 12 left
    # -> t = 36. Cost 36 x 100 = 3600: Jan 2000, Feb 1600. Capex = a's half share over
    # [0, 24): January 20 x 50 = 1000, February 4 x 50 = 200. Opex Jan 1000, Feb 1400.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100, wip_limit: 2}]
features:
  - {id: a, team: web, effort: {fixed: 12}, capitalizable: true}
  - {id: b, team: web, effort: {fixed: 24}}
"""
    )
    assert month_p50(fc, "cost") == {"2027-01": 2000.0, "2027-02": 1600.0}
    assert month_p50(fc, "capex") == {"2027-01": 1000.0, "2027-02": 200.0}
    assert month_p50(fc, "opex") == {"2027-01": 1000.0, "2027-02": 1400.0}


def test_idle_time_is_opex() -> None:
    # WIP 1: a (10, capitalizable) on days 0..9; b (5, capitalizable) may not start before
    # Mon 02-01 (day 20), so days 10..19 are idle but paid; b runs days 20..24.
    # Cost 25 x 100 = 2500. Capex = 1000 (a, January) + 500 (b, February).
    # Opex = the idle 10 days = 1000, January.
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 10}, capitalizable: true}
  - {id: b, team: web, effort: {fixed: 5}, capitalizable: true, not_before: 2027-02-01}
"""
    )
    assert_every_trial(fc, "cost", 2500.0)
    assert_every_trial(fc, "capex", 1500.0)
    assert month_p50(fc, "capex") == {"2027-01": 1000.0, "2027-02": 500.0}
    assert month_p50(fc, "opex") == {"2027-01": 1000.0}


def test_cost_accrues_uniformly_within_a_day_for_capex() -> None:
    # WIP 1: a (2.5, opex) runs [0, 2.5), b (2.5, capitalizable) runs [2.5, 5).
    # Paid days 0..4 = 500; b's share is the cost of clock [2.5, 5) = 250 (half of day 2
    # and days 3, 4).
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 2.5}}
  - {id: b, team: web, effort: {fixed: 2.5}, capitalizable: true}
"""
    )
    assert_every_trial(fc, "cost", 500.0)
    assert_every_trial(fc, "capex", 250.0)


# -- discounting ----------------------------------------------------------------------------


def test_cost_pv_matches_numpy_financial_convention() -> None:
    # Cost flows by month: Jan 2000, Feb 1000, then 0 (30 days, one member at 100/day).
    # With r = 8 %/year: month k discounted by 1.08 ** -((k + 1) / 12), which is
    # numpy_financial.npv(1.08 ** (1/12) - 1, [0, 2000, 1000, 0, ...]).
    r = 0.08
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 30}}]
""",
        rate=r,
    )
    flows = [2000.0, 1000.0] + [0.0] * 10
    want = npf_npv((1 + r) ** (1 / 12) - 1, [0.0, *flows])
    by_hand = 2000.0 * 1.08 ** (-1 / 12) + 1000.0 * 1.08 ** (-2 / 12)
    assert want == pytest.approx(by_hand, rel=1e-12)
    np.testing.assert_allclose(col(fc, "cost_pv"), want, rtol=1e-9)
    # undiscounted cost is unchanged by the rate
    assert_every_trial(fc, "cost", 3000.0)
    # no value: NPV is minus the discounted cost
    np.testing.assert_allclose(col(fc, "npv"), -want, rtol=1e-9)


def test_cost_pv_longer_plan_matches_numpy_financial() -> None:
    # One member at 150/day, 120 person-days -> t = 120, paid days 0..119. Months Jan..Jun 2027 have 20, 20, 23, 22, 21, 22 working days (Apr 1 Thu: 22;
    # May 3 Mon..31 Mon: 21; Jun 1 Tue..30 Wed: 22) -> 20 + 20 + 23 + 22 + 21 = 106 through
    # May, so June pays 14 days. Flows x 150: 3000, 3000, 3450, 3300, 3150, 2100.
    r = 0.05
    fc = run(
        """\
teams: [{id: web, members: 1, cost_per_member_day: 150}]
features: [{id: a, team: web, effort: {fixed: 120}}]
""",
        rate=r,
    )
    flows = [3000.0, 3000.0, 3450.0, 3300.0, 3150.0, 2100.0] + [0.0] * 6
    assert month_p50(fc, "cost") == dict(
        zip([f"2027-{k:02d}" for k in range(1, 7)], flows[:6], strict=True)
    )
    want = npf_npv((1 + r) ** (1 / 12) - 1, [0.0, *flows])
    np.testing.assert_allclose(col(fc, "cost_pv"), want, rtol=1e-9)


# -- team cost percentiles from the finish histogram --------------------------------------


def test_team_cost_percentiles_equal_the_per_trial_hand_values() -> None:
    # Uncertain effort: team cost per trial is 100 x (paid days) = 100 x ceil(t). The
    # table's P10/P50/P80/P90 (computed from the finish histogram) must equal the
    # inverted-CDF percentiles of these per-trial hand costs, and the mean their mean.
    fc = run(
        """\
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
  - {id: app, members: 2, cost_per_member_day: 50, changes: [{on: 2027-02-01, members: 1}]}
features:
  - {id: a, team: web, effort: {uniform: [10, 60]}}
  - {id: b, team: app, effort: {triangular: [20, 30, 70]}}
""",
        trials=2000,
    )
    assert fc.raw.done is not None
    t_web = fc.raw.done[:, 0]
    t_app = fc.raw.done[:, 1]
    paid_web = np.ceil(t_web - 1e-9)
    cost_web = 100.0 * paid_web
    # app: 2 x 50 = 100/day on days 0..19, then 1 x 50 = 50/day from day 20
    paid_app = np.ceil(t_app - 1e-9)
    cost_app = 100.0 * np.minimum(paid_app, 20) + 50.0 * np.maximum(paid_app - 20, 0)
    for tid, cost in (("web", cost_web), ("app", cost_app)):
        r = team(fc, tid)
        assert r["cost_mean"] == pytest.approx(cost.mean(), rel=1e-12)
        for p in (10, 50, 80, 90):
            want = np.percentile(cost, p, method="inverted_cdf")
            assert r[f"cost_p{p}"] == pytest.approx(want, abs=1e-9), (tid, p)
    np.testing.assert_allclose(col(fc, "cost"), cost_web + cost_app, rtol=1e-12)


# -- JSON -----------------------------------------------------------------------------------


def test_json_money_keys() -> None:
    # docs/model.md §9: teams[].cost {mean,p10,p50,p80,p90}; months[] {month, cost, capex, opex}
    # each {p10,p50,p90}; portfolio {cost, npv, budget_overrun_probability}.
    fc = run(
        """\
budget: {total: 2500}
teams: [{id: web, members: 1, cost_per_member_day: 100, wip_limit: 2}]
features:
  - {id: a, team: web, effort: {fixed: 10}, capitalizable: true,
     value: {per_month: 1000}}
  - {id: b, team: web, effort: {fixed: 20}}
"""
    )
    doc = json.loads(fc.to_json())
    (t,) = doc["teams"]
    assert set(t["cost"]) >= {"mean", "p10", "p50", "p80", "p90"}
    assert t["cost"]["p50"] == 3000.0
    assert len(doc["months"]) == 12
    for m in doc["months"]:
        assert {"month", "cost", "capex", "opex"} <= set(m)
        for k in ("cost", "capex", "opex"):
            assert set(m[k]) >= {"p10", "p50", "p90"}
    jan = doc["months"][0]
    assert jan["month"] == "2027-01"
    assert (jan["cost"]["p50"], jan["capex"]["p50"], jan["opex"]["p50"]) == (2000, 1000, 1000)
    port = doc["portfolio"]
    assert set(port["cost"]) >= {"mean", "p10", "p50", "p80", "p90"}
    assert set(port["npv"]) >= {"mean", "p10", "p50", "p90"}
    assert port["cost"]["p50"] == 3000.0
    # 3000 > 2500 in every trial
    assert port["budget_overrun_probability"] == 1.0


def test_monthly_arrays_are_float32_and_sum_to_the_cost() -> None:
    # Per-trial monthly arrays are kept as float32 (memory); their sum matches the float64
    # per-trial cost to float32 precision.
    fc = run(
        """\
teams: [{id: web, members: 1.3, cost_per_member_day: 123.45}]
features: [{id: a, team: web, effort: {fixed: 77}}]
"""
    )
    assert fc.raw.month_cost is not None and fc.raw.month_capex is not None
    assert fc.raw.month_cost.dtype == np.float32
    total = fc.raw.month_cost.astype(np.float64).sum(axis=1)
    # 77 / 1.3 = 59.23 -> 60 paid days x 1.3 x 123.45 = 9629.1
    np.testing.assert_allclose(col(fc, "cost"), 60 * 1.3 * 123.45, rtol=1e-12)
    np.testing.assert_allclose(total, 60 * 1.3 * 123.45, rtol=1e-6)


def test_month_numbers_are_computed_once_per_forecast(monkeypatch: pytest.MonkeyPatch) -> None:
    """The month bands and means take a pass over trials x months; the JSON, the HTML
    report and the text table all read them, so a forecast computes them once. The table
    it hands out is the caller's: changing it changes nothing the forecast reports next."""
    from portfolio_sim.results import money

    startup = Path(__file__).parents[1] / "scenarios" / "startup.yaml"
    fc = forecast(startup, trials=500, seed=3)
    calls = {"bands": 0, "means": 0}
    bands, means = money.month_bands, money.month_means

    def counted_bands(*args: object) -> object:
        calls["bands"] += 1
        return bands(*args)  # type: ignore[arg-type]

    def counted_means(*args: object) -> object:
        calls["means"] += 1
        return means(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(money, "month_bands", counted_bands)
    monkeypatch.setattr(money, "month_means", counted_means)
    doc = fc.to_dict()
    first = fc.months
    expected = first.copy()
    first["cost_p50"] *= 2.0
    first.loc[0, "cumulative_mean"] = -1.0
    pd.testing.assert_frame_equal(fc.months, expected)
    assert calls == {"bands": 1, "means": 1}
    assert doc == fc.to_dict()
    fresh = forecast(startup, trials=500, seed=3)
    pd.testing.assert_frame_equal(fresh.months, expected)  # memo or not, same numbers
