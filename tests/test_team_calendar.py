"""Team calendars (docs/model.md §2.8): team holidays and availability compiled into
capacity segments, honoured by both engines with hand-computed done times; validation of
the new fields; the segment arithmetic against a day-by-day integral."""

from __future__ import annotations

import numpy as np
import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import capacity_segments, compile_scenario
from portfolio_sim.scenario.team_calendar import scale_segments
from scenario_text import BASE, problems

ENGINES = ["fast", "des"]

HEAD = """\
name: team calendar
start: 2027-01-04
horizon: 2027-12-31
calendar: {{holidays: [2027-01-12]}}
teams:
  - {team}
features:
{features}
"""


def done_times(team: str, features: str, engine: str) -> tuple[np.ndarray, object]:
    scn = load_text(HEAD.format(team=team, features=features), "yaml", "tc.yaml")
    fc = forecast(scn, trials=4, seed=1, engine=engine, keep_trials=True)  # type: ignore[arg-type]
    assert fc.raw.done is not None
    return fc.raw.done, fc


@pytest.mark.parametrize("engine", ENGINES)
def test_two_day_team_holiday_moves_done_two_working_days(engine: str) -> None:
    # 10 person-days, one person, Mon 2027-01-04; the portfolio holiday Tue 01-12 makes
    # days 5.. Mon 01-11, Wed 01-13, ... Without a team calendar: t = 10, done day 9 =
    # Mon 01-18. Team holiday Wed 01-06 and Thu 01-07 (days 2 and 3): 2 person-days by
    # t = 2, none on days 2-3, the other 8 on days 4-11 -> t = 12, done day 11 = Wed 01-20,
    # two working days later.
    team = "{id: web, members: 1, cost_per_member_day: 100, holidays: [{from: 2027-01-06, to: 2027-01-07}]}"
    done, fc = done_times(team, "  - {id: a, team: web, effort: {fixed: 10}}", engine)
    np.testing.assert_allclose(done[:, 0], 12.0, atol=1e-9)
    assert fc.features.set_index("id").loc["a", "p50"].isoformat()[:10] == "2027-01-20"
    # paid leave: the team is paid through its done day (12 working days, not 10)
    assert fc.teams.set_index("id").loc["web", "cost_mean"] == pytest.approx(1200.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_availability_share_and_holiday_inside_it(engine: str) -> None:
    # One person at 50 % in the first week (days 0-4) with a team holiday on Wed 01-06
    # (day 2) inside it: 4 x 0.5 = 2 person-days by t = 5; the portfolio holiday Tue 01-12
    # is not a working day, so days 5.. are Mon 01-11, Wed 01-13, ...; 8 left at 1 a day
    # -> t = 13, done day 12 = Thu 01-21.
    team = (
        "{id: web, members: 1, holidays: [2027-01-06, 2027-01-09],"
        " availability: [{from: 2027-01-04, to: 2027-01-08, share: 0.5}]}"
    )
    done, fc = done_times(team, "  - {id: a, team: web, effort: {fixed: 10}}", engine)
    np.testing.assert_allclose(done[:, 0], 13.0, atol=1e-9)
    assert fc.features.set_index("id").loc["a", "p50"].isoformat()[:10] == "2027-01-21"


@pytest.mark.parametrize("engine", ENGINES)
def test_holiday_during_a_ramp_and_wip_sharing(engine: str) -> None:
    # One member, +1 member from day 0 ramping over 4 days: rate 1 + t/4 on [0, 4], then 2.
    # Team holiday Tue 01-05 (day 1). Capacity: day 0 gives 1.125, day 1 none, day 2 1.625,
    # day 3 1.875: 4.625 by t = 4, then 2 a day. WIP 2 with a (4 pd) and b (6 pd) sharing
    # equally: a ends when the team has delivered 8: 3.375 more at 2 a day -> t = 5.6875;
    # b then has 6 - 4 = 2 left at 2 a day -> t = 6.6875.
    team = (
        "{id: web, members: 1, wip_limit: 2, changes: [{on: 2027-01-04, members: 2, ramp_days: 4}],"
        " holidays: [2027-01-05]}"
    )
    feats = "  - {id: a, team: web, effort: {fixed: 4}}\n  - {id: b, team: web, effort: {fixed: 6}}"
    done, _ = done_times(team, feats, engine)
    np.testing.assert_allclose(done[:, 0], 5.6875, atol=1e-9)
    np.testing.assert_allclose(done[:, 1], 6.6875, atol=1e-9)


def test_scaled_segments_match_a_day_by_day_integral() -> None:
    # staffing ramp plus shares on some days: C(t) at whole days equals the sum over days
    # of share(d) x integral of the unscaled rate over [d, d + 1).
    starts, _c, rates, slopes = capacity_segments(2.0, [(3.0, 5.0, 6.5), (20.0, 1.0, 0.0)], 0.8)
    shares = {1: 0.0, 4: 0.25, 5: 0.25, 9: 0.0, 21: 0.6}
    t, cum, rate, slope = scale_segments(starts, rates, slopes, shares)

    def c_at(ts, cs, rs, ss, x):
        k = max(np.searchsorted(ts, x, side="right") - 1, 0)
        d = x - ts[k]
        return cs[k] + rs[k] * d + 0.5 * ss[k] * d * d

    base = capacity_segments(2.0, [(3.0, 5.0, 6.5), (20.0, 1.0, 0.0)], 0.8)
    expected = 0.0
    for day in range(30):
        whole = c_at(*base, day + 1.0) - c_at(*base, float(day))
        expected += shares.get(day, 1.0) * whole
        assert c_at(t, cum, rate, slope, day + 1.0) == pytest.approx(expected, abs=1e-9)


def test_compile_ignores_team_holidays_off_the_portfolio_calendar() -> None:
    # a team holiday on a Saturday or on a portfolio holiday changes nothing
    plain = load_text(
        HEAD.format(
            team="{id: web, members: 1}", features="  - {id: a, team: web, effort: {fixed: 3}}"
        ),
        "yaml",
        "a.yaml",
    )
    extra = load_text(
        HEAD.format(
            team="{id: web, members: 1, holidays: [2027-01-09, 2027-01-12, 2026-12-30]}",
            features="  - {id: a, team: web, effort: {fixed: 3}}",
        ),
        "yaml",
        "b.yaml",
    )
    a, b = compile_scenario(plain), compile_scenario(extra)
    np.testing.assert_array_equal(a.cap_t, b.cap_t)
    np.testing.assert_array_equal(a.cap_cum, b.cap_cum)


def test_team_calendar_validation() -> None:
    tp = BASE.replace(
        "{id: mobile, throughput: {samples: [1, 2, 3]}}",
        "{id: mobile, throughput: {samples: [1, 2, 3]}, holidays: [2027-02-01]}",
    )
    (line,) = problems(tp)
    assert line.startswith("s.yaml:6: teams[1].holidays: ") and "effort teams only" in line
    share = BASE.replace(
        "{id: web, members: 2}",
        "{id: web, members: 2, availability: [{from: 2027-08-01, to: 2027-08-31, share: 1.5}]}",
    )
    (line,) = problems(share)
    assert line.startswith("s.yaml:5: teams[0].availability[0].share: ")
    backwards = BASE.replace(
        "{id: web, members: 2}",
        "{id: web, members: 2, availability: [{from: 2027-08-31, to: 2027-08-01, share: 0.5}]}",
    )
    (line,) = problems(backwards)
    assert "teams[0].availability[0]" in line and "before it starts" in line
    overlap = BASE.replace(
        "{id: web, members: 2}",
        "{id: web, members: 2, availability: [{from: 2027-08-01, to: 2027-08-31, share: 0.5},"
        " {from: 2027-08-20, to: 2027-09-10, share: 0.8}]}",
    )
    (line,) = problems(overlap)
    assert line.startswith("s.yaml:5: teams[0].availability: ") and "overlap" in line
    bad_holiday = BASE.replace("{id: web, members: 2}", "{id: web, members: 2, holidays: [soon]}")
    (line,) = problems(bad_holiday)
    assert line.startswith("s.yaml:5: teams[0].holidays[0]")
