"""Fast engine, exact cases: deterministic estimates give dates computed by hand.

Every estimate here is ``{fixed: x}`` (or a risk with probability 1 / a throughput team
whose only sample is one number), so every trial is the same and each done date is a
literal worked out by hand with a Mon-Fri calendar (docs/model.md §1: work ending at clock
time t > 0 is done on working day ceil(t) - 1; working day 0 is the start).

Reference calendar, start Monday 2027-01-04, no holidays::

    day  0 Mon 01-04   5 Mon 01-11  10 Mon 01-18  15 Mon 01-25  20 Mon 02-01  25 Mon 02-08
    day  4 Fri 01-08   9 Fri 01-15  14 Fri 01-22  19 Fri 01-29  24 Fri 02-05  29 Fri 02-12
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.scenario import load_text

TRIALS = 50
HEAD = """\
name: Exact
start: 2027-01-04
horizon: {horizon}
"""


def run(body: str, horizon: str = "2027-12-31", trials: int = TRIALS, seed: int = 3) -> Forecast:
    scn = load_text(HEAD.format(horizon=horizon) + body, "yaml")
    return forecast(scn, trials=trials, seed=seed, keep_trials=True)


def row(fc: Forecast, fid: str) -> pd.Series:
    df = fc.features.set_index("id")
    return df.loc[fid]


def assert_done_on(fc: Forecast, fid: str, date: str, t: float) -> None:
    """Every percentile is ``date``; every trial ends at clock time ``t``."""
    r = row(fc, fid)
    want = pd.Timestamp(date)
    for p in ("p10", "p50", "p85", "p95"):
        assert r[p] == want, f"{fid} {p}: {r[p]} != {want}"
    assert r["not_done_share"] == 0.0
    assert r["mean_workdays"] == pytest.approx(t, abs=1e-6)
    assert fc.raw.done is not None
    col = fc.compiled.feature_ids.index(fid)
    np.testing.assert_allclose(fc.raw.done[:, col], t, atol=1e-9)


def test_model_example_ten_person_days_done_friday() -> None:
    # docs/model.md §1: 10 person-days by one person from Mon 2027-01-04 -> done Fri 01-15.
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-15", 10.0)
    d = fc.to_dict()["features"][0]
    assert d["finish"] == dict.fromkeys(("p10", "p50", "p85", "p95"), "2027-01-15")
    assert d["mean_workdays"] == 10.0


def test_cross_team_dependency_across_a_holiday() -> None:
    # a: 5 pd on team A -> t = 5, done day 4 = Fri 01-08. Mon 01-11 is a holiday, so
    # day 5 = Tue 01-12 ... day 8 = Fri 01-15, day 9 = Mon 01-18.
    # b (team B) starts at t = 5 when a is done, 5 pd -> t = 10 -> day 9 = Mon 01-18.
    fc = run(
        """\
calendar: {holidays: [2027-01-11]}
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 5}}
  - {id: b, team: tb, effort: {fixed: 5}, depends_on: [a]}
"""
    )
    assert_done_on(fc, "a", "2027-01-08", 5.0)
    assert_done_on(fc, "b", "2027-01-18", 10.0)
    assert fc.raw.start is not None
    np.testing.assert_allclose(fc.raw.start[:, 1], 5.0)


def test_wip_two_shares_capacity_equally() -> None:
    # One member, WIP 2: both features get 0.5 pd/day. a (10 pd) ends at t = 20
    # (day 19 = Fri 01-29); b then has 10 of 20 pd left at full rate: t = 30
    # (day 29 = Fri 02-12).
    fc = run(
        """\
teams: [{id: web, members: 1, wip_limit: 2}]
features:
  - {id: a, team: web, effort: {fixed: 10}}
  - {id: b, team: web, effort: {fixed: 20}}
"""
    )
    assert_done_on(fc, "a", "2027-01-29", 20.0)
    assert_done_on(fc, "b", "2027-02-12", 30.0)
    team = fc.teams.set_index("id").loc["web"]
    assert team["p50"] == pd.Timestamp("2027-02-12")
    # 30 pd done on 30 pd paid (days 0..29): fully utilised.
    assert team["utilization"] == pytest.approx(1.0, abs=1e-6)


def test_wip_one_runs_in_sequence() -> None:
    # Same features, WIP 1: a at t = 10 (01-15), b at t = 30 (02-12).
    fc = run(
        """\
teams: [{id: web, members: 1}]
features:
  - {id: a, team: web, effort: {fixed: 10}}
  - {id: b, team: web, effort: {fixed: 20}}
"""
    )
    assert_done_on(fc, "a", "2027-01-15", 10.0)
    assert_done_on(fc, "b", "2027-02-12", 30.0)


def test_staffing_change_with_ramp_up() -> None:
    # 1 member; from Mon 01-11 (t = 5) 3 members, the 2 new ones ramping 0 -> 1 over 10
    # working days. C(t) = 5 + x + x^2/10 for x = t - 5 in [0, 10]: C(15) = 25.
    # Then rate 3: the remaining 5 pd take 5/3 days -> t = 16.667, done day 16 = Tue 01-26.
    fc = run(
        """\
teams: [{id: web, members: 1, changes: [{on: 2027-01-11, members: 3, ramp_days: 10}]}]
features: [{id: a, team: web, effort: {fixed: 30}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-26", 15.0 + 5.0 / 3.0)


def test_staffing_change_without_ramp() -> None:
    # 1 member, 3 from t = 5 at once: 5 + 3 (t - 5) = 20 -> t = 10, done Fri 01-15.
    fc = run(
        """\
teams: [{id: web, members: 1, changes: [{on: 2027-01-11, members: 3}]}]
features: [{id: a, team: web, effort: {fixed: 20}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-15", 10.0)


def test_members_removed_leave_at_once() -> None:
    # 2 members, 1 from t = 5: 10 pd by t = 5, then 1 pd/day: 20 pd at t = 15 (Fri 01-22).
    fc = run(
        """\
teams: [{id: web, members: 2, changes: [{on: 2027-01-11, members: 1}]}]
features: [{id: a, team: web, effort: {fixed: 20}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-22", 15.0)


def test_focus_half_doubles_duration() -> None:
    # 10 pd at 0.5 pd/day: t = 20, day 19 = Fri 01-29.
    fc = run(
        """\
teams: [{id: web, members: 1, focus: 0.5}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-29", 20.0)


def test_fractional_members() -> None:
    # 2.5 members: 10 pd in t = 4, done Thu 01-07.
    fc = run(
        """\
teams: [{id: web, members: 2.5}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-07", 4.0)


def test_not_before() -> None:
    # not_before Wed 01-13 = day 7: 5 pd from t = 7 -> t = 12, day 11 = Tue 01-19.
    # A not_before on a Saturday (01-16) takes effect on Mon 01-18 (day 10):
    # 5 pd -> t = 15, done Fri 01-22.
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 5}, not_before: 2027-01-13}
  - {id: b, team: tb, effort: {fixed: 5}, not_before: 2027-01-16}
"""
    )
    assert_done_on(fc, "a", "2027-01-19", 12.0)
    assert_done_on(fc, "b", "2027-01-22", 15.0)
    assert fc.raw.start is not None
    np.testing.assert_allclose(fc.raw.start[0], [7.0, 10.0])


def test_not_before_does_not_block_others() -> None:
    # a (priority 1) may not start before day 7; the idle slot takes b (priority 2):
    # b 0..5 (done Fri 01-08), a 7..12 (done Tue 01-19).
    fc = run(
        """\
teams: [{id: web, members: 1}]
features:
  - {id: a, team: web, priority: 1, effort: {fixed: 5}, not_before: 2027-01-13}
  - {id: b, team: web, priority: 2, effort: {fixed: 5}}
"""
    )
    assert_done_on(fc, "b", "2027-01-08", 5.0)
    assert_done_on(fc, "a", "2027-01-19", 12.0)


def test_certain_risk_delay_shifts_start() -> None:
    # delay 3 with probability 1: a starts at t = 3, 5 pd -> t = 8, day 7 = Wed 01-13.
    # b depends on c (5 pd, t = 5) and is delayed 3 after that: starts t = 8, ends 13
    # (day 12 = Wed 01-20).
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}, {id: tc, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 5}}
  - {id: c, team: tc, effort: {fixed: 5}}
  - {id: b, team: tb, effort: {fixed: 5}, depends_on: [c]}
risks:
  - {id: late, probability: 1, affects: [a, b], delay: {fixed: 3}}
"""
    )
    assert_done_on(fc, "a", "2027-01-13", 8.0)
    assert_done_on(fc, "c", "2027-01-08", 5.0)
    assert_done_on(fc, "b", "2027-01-20", 13.0)
    assert fc.raw.start is not None
    np.testing.assert_allclose(fc.raw.start[:, [0, 2]], [[3.0, 8.0]] * TRIALS)


def test_certain_risk_extra_effort_and_zero_probability_risk() -> None:
    # a: 5 + 5 pd (probability 1) = 10 -> Fri 01-15; the risk with probability 0 on b
    # never fires: b 5 pd -> Fri 01-08.
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 5}}
  - {id: b, team: tb, effort: {fixed: 5}}
risks:
  - {id: sure, probability: 1, affects: [a], extra_effort: {fixed: 5}}
  - {id: never, probability: 0, affects: [b], extra_effort: {fixed: 50}}
"""
    )
    assert_done_on(fc, "a", "2027-01-15", 10.0)
    assert_done_on(fc, "b", "2027-01-08", 5.0)
    assert fc.raw.size is not None
    np.testing.assert_array_equal(fc.raw.size[0], [10.0, 5.0])


def test_priorities_lower_first_ties_in_file_order() -> None:
    # WIP 1, 5 pd each. Order: c (1), b (1, after c in the file), a (2), d (no priority).
    # c 0..5 (01-08), b 5..10 (01-15), a 10..15 (01-22), d 15..20 (01-29).
    fc = run(
        """\
teams: [{id: web, members: 1}]
features:
  - {id: a, team: web, priority: 2, effort: {fixed: 5}}
  - {id: c, team: web, priority: 1, effort: {fixed: 5}}
  - {id: b, team: web, priority: 1, effort: {fixed: 5}}
  - {id: d, team: web, effort: {fixed: 5}}
"""
    )
    assert_done_on(fc, "c", "2027-01-08", 5.0)
    assert_done_on(fc, "b", "2027-01-15", 10.0)
    assert_done_on(fc, "a", "2027-01-22", 15.0)
    assert_done_on(fc, "d", "2027-01-29", 20.0)


def test_ready_feature_goes_first_when_higher_priority_waits_on_dependency() -> None:
    # Team B: x (priority 1) depends on a (team A, done t = 10); y (priority 2) is ready
    # at once and starts at 0 (WIP 1, 20 pd -> t = 20). x waits for the slot: 20..25.
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 10}}
  - {id: x, team: tb, priority: 1, effort: {fixed: 5}, depends_on: [a]}
  - {id: y, team: tb, priority: 2, effort: {fixed: 20}}
"""
    )
    assert_done_on(fc, "y", "2027-01-29", 20.0)
    assert_done_on(fc, "x", "2027-02-05", 25.0)


def test_throughput_fixed_two_per_week() -> None:
    # 2 items at the end of each 5-day week, 10 items: done at the end of week 5,
    # t = 25, day 24 = Fri 02-05. The 3-item feature after it: week 6 gives 2, week 7
    # gives 2 (1 left over is lost): t = 35, day 34 = Fri 02-19.
    fc = run(
        """\
teams: [{id: mob, throughput: {samples: [2], per: week}}]
features:
  - {id: a, team: mob, priority: 1, items: {fixed: 10}}
  - {id: b, team: mob, priority: 2, items: {fixed: 3}}
"""
    )
    assert_done_on(fc, "a", "2027-02-05", 25.0)
    assert_done_on(fc, "b", "2027-02-19", 35.0)


def test_throughput_leftover_carries_within_period() -> None:
    # 3 items a week; a needs 4: week 1 gives 3, week 2 gives 3 (1 to a, 2 carry to b).
    # a done t = 10 (Fri 01-15); b (2 items) done in the same period: t = 10 too.
    fc = run(
        """\
teams: [{id: mob, throughput: {samples: [3], per: week}}]
features:
  - {id: a, team: mob, priority: 1, items: {fixed: 4}}
  - {id: b, team: mob, priority: 2, items: {fixed: 2}}
"""
    )
    assert_done_on(fc, "a", "2027-01-15", 10.0)
    assert_done_on(fc, "b", "2027-01-15", 10.0)


def test_throughput_per_day_and_non_integer_items_round_up() -> None:
    # items 4.2 -> 5; 1 item a day: t = 5, Fri 01-08.
    fc = run(
        """\
teams: [{id: mob, throughput: {samples: [1], per: day}}]
features: [{id: a, team: mob, items: {fixed: 4.2}}]
"""
    )
    assert_done_on(fc, "a", "2027-01-08", 5.0)
    assert fc.raw.size is not None
    assert fc.raw.size[0, 0] == 5.0


def test_horizon_censoring() -> None:
    # Horizon Fri 01-29 = day 19 (20 working days). 20 pd by one member ends exactly at
    # t = 20: done on the horizon date. 30 pd is not done by then: NaT, share 1.
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 20}}
  - {id: b, team: tb, effort: {fixed: 30}}
""",
        horizon="2027-01-29",
    )
    assert_done_on(fc, "a", "2027-01-29", 20.0)
    b = row(fc, "b")
    assert b["not_done_share"] == 1.0
    for p in ("p10", "p50", "p85", "p95"):
        assert pd.isna(b[p])
    assert math.isnan(b["mean_workdays"])
    assert fc.raw.done is not None
    assert np.isinf(fc.raw.done[:, 1]).all()
    d = fc.to_dict()
    fb = d["features"][1]
    assert fb["finish"] == dict.fromkeys(("p10", "p50", "p85", "p95"), None)
    assert fb["not_done_share"] == 1.0
    assert fb["mean_workdays"] is None
    assert d["portfolio"]["not_done_share"] == 1.0
    assert d["portfolio"]["finish"]["p50"] is None
    tb = fc.teams.set_index("id").loc["tb"]
    assert tb["not_done_share"] == 1.0
    assert pd.isna(tb["p50"])


def test_dependent_of_censored_feature_is_censored() -> None:
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 30}}
  - {id: b, team: tb, effort: {fixed: 1}, depends_on: [a]}
""",
        horizon="2027-01-29",
    )
    assert row(fc, "b")["not_done_share"] == 1.0


@pytest.mark.parametrize(
    ("deadline", "probability"),
    [
        ("2027-01-15", 1.0),  # done on the deadline: met
        ("2027-01-14", 0.0),  # a day late
        ("2027-01-17", 1.0),  # a Sunday deadline: Fri 01-15 is before it
        ("2027-01-04", 0.0),  # on the start date: far too early
    ],
)
def test_deadline_probability_exact(deadline: str, probability: float) -> None:
    fc = run(
        f"""\
teams: [{{id: web, members: 1}}]
features: [{{id: a, team: web, effort: {{fixed: 10}}, deadline: {deadline}}}]
"""
    )
    r = row(fc, "a")
    assert r["deadline_probability"] == probability
    assert fc.to_dict()["features"][0]["deadline_probability"] == probability


def test_deadline_probability_null_without_deadline() -> None:
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""
    )
    assert math.isnan(row(fc, "a")["deadline_probability"])
    assert fc.to_dict()["features"][0]["deadline_probability"] is None


def test_deadline_of_censored_feature_is_missed() -> None:
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 30}, deadline: 2027-01-29}]
""",
        horizon="2027-01-29",
    )
    assert row(fc, "a")["deadline_probability"] == 0.0


def test_mean_workdays_exact_mixed_sizes() -> None:
    # samples [10, 20]: per-trial done time is the sample; the mean over trials is the
    # mean of the per-trial times exactly (fixed point 2^-20 is exact for whole numbers).
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {samples: [10, 20]}}]
""",
        trials=400,
    )
    assert fc.raw.done is not None
    t = fc.raw.done[:, 0]
    assert set(np.unique(t)) == {10.0, 20.0}
    assert row(fc, "a")["mean_workdays"] == t.mean()


def test_portfolio_and_team_finish() -> None:
    # Portfolio finish is the last feature: b on team tb at t = 15 (Fri 01-22).
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {fixed: 10}}
  - {id: b, team: tb, effort: {fixed: 15}}
"""
    )
    port = fc.portfolio.loc["finish"]
    assert port["p50"] == pd.Timestamp("2027-01-22")
    assert port["not_done_share"] == 0.0
    teams = fc.teams.set_index("id")
    assert teams.loc["ta", "p95"] == pd.Timestamp("2027-01-15")
    assert teams.loc["tb", "p10"] == pd.Timestamp("2027-01-22")
    np.testing.assert_allclose(fc.raw.port_t, 15.0)


def test_start_not_on_a_working_day() -> None:
    # Start Saturday 2027-01-02: working day 0 is Mon 01-04, so 10 pd -> Fri 01-15.
    scn = load_text(
        """\
name: Sat
start: 2027-01-02
horizon: 2027-12-31
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 10}}]
""",
        "yaml",
    )
    fc = forecast(scn, trials=10, seed=0, keep_trials=True)
    assert_done_on(fc, "a", "2027-01-15", 10.0)


def test_wip_two_third_feature_takes_freed_slot() -> None:
    # One member, WIP 2: p (4 pd) and q (10 pd) share 0.5 each -> p done t = 8 (Wed
    # 01-13). r (3 pd) takes the freed slot at t = 8 and shares with q: r done t = 14
    # (Thu 01-21); q has 4 + 3 = 7 pd by then, its last 3 pd at full rate: t = 17
    # (Tue 01-26).
    fc = run(
        """\
teams: [{id: web, members: 1, wip_limit: 2}]
features:
  - {id: p, team: web, effort: {fixed: 4}}
  - {id: q, team: web, effort: {fixed: 10}}
  - {id: r, team: web, effort: {fixed: 3}}
"""
    )
    assert_done_on(fc, "p", "2027-01-13", 8.0)
    assert_done_on(fc, "r", "2027-01-21", 14.0)
    assert_done_on(fc, "q", "2027-01-26", 17.0)
    assert fc.raw.start is not None
    np.testing.assert_allclose(fc.raw.start[0], [0.0, 0.0, 8.0])


def test_throughput_feature_ready_mid_period_waits_for_next_period() -> None:
    # x (effort, 3 pd) is done at t = 3, in the middle of the mobile team's first week.
    # Items go to features ready by the period's start (throughput.py), so b gets items
    # from week 2 (starts t = 5): 2 + 2 items -> done at the end of week 3, t = 15
    # (Fri 01-22).
    fc = run(
        """\
teams: [{id: a, members: 1}, {id: m, throughput: {samples: [2], per: week}}]
features:
  - {id: x, team: a, effort: {fixed: 3}}
  - {id: b, team: m, items: {fixed: 4}, depends_on: [x]}
"""
    )
    assert_done_on(fc, "x", "2027-01-06", 3.0)
    assert_done_on(fc, "b", "2027-01-22", 15.0)
    assert fc.raw.start is not None
    assert fc.raw.start[0, 1] == 5.0


def test_holiday_shifts_throughput_periods() -> None:
    # Wed 01-06 is a holiday. Periods are blocks of 5 working days: week 1 is days 0-4
    # (01-04, 05, 07, 08, 11), week 2 days 5-9 (01-12 .. 01-15, 01-18). 4 items at 2 a
    # week: t = 10, day 9 = Mon 01-18.
    fc = run(
        """\
calendar: {holidays: [2027-01-06]}
teams: [{id: m, throughput: {samples: [2], per: week}}]
features: [{id: b, team: m, items: {fixed: 4}}]
"""
    )
    assert_done_on(fc, "b", "2027-01-18", 10.0)


def test_certain_extra_items_round_up() -> None:
    # 3 items + 1.2 extra items (rounded up to 2) = 5, at 1 item a day: t = 5, Fri 01-08.
    fc = run(
        """\
teams: [{id: m, throughput: {samples: [1], per: day}}]
features: [{id: b, team: m, items: {fixed: 3}}]
risks: [{id: more, probability: 1, affects: [b], extra_items: {fixed: 1.2}}]
"""
    )
    assert_done_on(fc, "b", "2027-01-08", 5.0)
    assert fc.raw.size is not None
    assert fc.raw.size[0, 0] == 5.0


def test_utilisation_exact() -> None:
    # Team a: x may not start before day 7; 5 pd done at t = 12 (day 11). Paid days 0..11
    # (12 person-days), work 5: utilisation 5/12.
    # Team r (release: horizon): 10 pd done at t = 10 but paid through the horizon
    # (Fri 01-29, 20 working days): utilisation 10/20.
    fc = run(
        """\
teams: [{id: a, members: 1}, {id: r, members: 1, release: horizon}]
features:
  - {id: x, team: a, effort: {fixed: 5}, not_before: 2027-01-13}
  - {id: y, team: r, effort: {fixed: 10}}
""",
        horizon="2027-01-29",
    )
    util = fc.teams.set_index("id")["utilization"]
    assert util["a"] == pytest.approx(5 / 12, abs=1e-6)
    assert util["r"] == pytest.approx(10 / 20, abs=1e-6)


def test_zero_effort_is_done_on_the_start_date() -> None:
    # Zero work ends at t = 0: done on day 0 (calendar.done_day's documented choice);
    # its dependent starts at once: 5 pd -> t = 5, Fri 01-08.
    fc = run(
        """\
teams: [{id: a, members: 1}]
features:
  - {id: z, team: a, effort: {fixed: 0}}
  - {id: w, team: a, effort: {fixed: 5}, depends_on: [z]}
"""
    )
    assert_done_on(fc, "z", "2027-01-04", 0.0)
    assert_done_on(fc, "w", "2027-01-08", 5.0)


def test_zero_item_feature_done_with_the_feature_before_it() -> None:
    fc = run(
        """\
teams: [{id: m, throughput: {samples: [2], per: week}}]
features:
  - {id: a, team: m, priority: 1, items: {fixed: 2}}
  - {id: b, team: m, priority: 2, items: {fixed: 0}}
"""
    )
    assert_done_on(fc, "a", "2027-01-08", 5.0)
    assert_done_on(fc, "b", "2027-01-08", 5.0)
