"""``staff``: where N new people should go (docs/model.md §8.9).

Worked dates use a Mon-Fri calendar without holidays; working day 0 is Mon 2027-01-04,
day 5k is k weeks later.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from portfolio_sim.decide.staff import (
    Evaluator,
    assignments,
    count_assignments,
    paired_interval,
    parse_objective,
    staff,
    with_hires,
)
from portfolio_sim.errors import InputError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text

#: Two independent effort teams, fixed efforts; a (100 person-days) is the bottleneck.
TWO_TEAMS = """\
name: Two teams
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: a, members: 1, cost_per_member_day: 100}
  - {id: b, members: 1, cost_per_member_day: 100}
features:
  - {id: big, team: a, effort: {fixed: 100}}
  - {id: small, team: b, effort: {fixed: 30}, deadline: 2027-02-05}
"""

#: The team that finishes last (down) only waits on up.
HIDDEN = """\
name: Hidden bottleneck
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: up, members: 1, cost_per_member_day: 100}
  - {id: down, members: 1, cost_per_member_day: 100}
features:
  - {id: u, team: up, effort: {fixed: 60}}
  - {id: d, team: down, depends_on: [u], effort: {fixed: 2}}
"""

#: Three teams, uncertain efforts and a cross-team dependency.
THREE = """\
name: Three teams
start: 2027-01-04
horizon: 2028-12-29
teams:
  - {id: x, members: 2, cost_per_member_day: 500}
  - {id: y, members: 1, cost_per_member_day: 400}
  - {id: z, members: 1, cost_per_member_day: 300}
  - {id: tp, members: 3, cost_per_member_day: 300, throughput: {samples: [2, 3, 4]}}
features:
  - {id: x1, team: x, priority: 1, effort: {triangular: [60, 80, 120]}}
  - {id: x2, team: x, priority: 2, effort: {pert: [20, 30, 60]}}
  - {id: y1, team: y, priority: 1, effort: {uniform: [40, 70]}}
  - {id: z1, team: z, priority: 1, depends_on: [y1], effort: {triangular: [20, 30, 50]}}
  - {id: t1, team: tp, items: {fixed: 12}}
"""


def scenario(text: str):
    return load_text(text, "yaml", "s.yaml")


def test_exact_case_hire_goes_to_the_bottleneck_with_the_ramp():
    # Current plan: big is 100 person-days at 1 a day: ends t = 100, done on day 99 =
    # Fri 2027-05-21. One hire in team a with ramp_days 10 (docs/model.md §2.6): capacity
    # 1 + t/10 over days 0-10 gives 10 + 5 = 15 person-days by t = 10, then 2 a day: the
    # other 85 take 42.5 days, so big ends at t = 52.5, done on day 52 = Wed 2027-03-17.
    # A hire in b only finishes small sooner (t = 17.5); the portfolio still ends on day 99.
    # Cost (§6.1): team a pays 2 x 100 over days 0-52 = 10,600 instead of 1 x 100 over
    # days 0-99 = 10,000: +600.
    result = staff(scenario(TWO_TEAMS), add=1, objective="p85", trials=20, ramp_days=10)
    assert result.recommended == {"a": 1}
    assert result.effect["before"] == "2027-05-21"
    assert result.effect["after"] == "2027-03-17"
    assert result.effect["gain"] == 99 - 52
    assert (result.effect["ci_low"], result.effect["ci_high"]) == (47.0, 47.0)
    assert result.effect["cost_delta"] == pytest.approx(600.0, abs=1e-6)
    top = result.candidates.iloc[0]
    assert top["assignment"] == "a +1" and top["hires_a"] == 1 and top["hires_b"] == 0
    assert str(top["finish_p85"].date()) == "2027-03-17"
    assert result.candidates.iloc[1]["finish_p85_gain_days"] == 0  # the hire in b
    assert list(result.curve["hires"]) == [0, 1]
    assert result.curve.iloc[1]["team_added"] == "a"
    assert result.curve.iloc[1]["marginal_gain"] == 47
    teams = result.teams.set_index("team")
    assert teams.loc["a", "last_share_before"] == 1.0
    assert str(teams.loc["a", "finish_p85_after"].date()) == "2027-03-17"


def test_hidden_bottleneck_the_hire_goes_upstream():
    # down finishes last in every trial, but only waits on up. Hire in up (ramp 10): u
    # has 15 done at t = 10 and 45 left at 2 a day: ends t = 32.5; d (2 person-days) ends
    # t = 34.5, day 34 = Fri 2027-02-19. Hire in down: u still ends at t = 60, d then has
    # two full-speed people: ends t = 61, day 60. Current plan: d ends t = 62, day 61 =
    # Tue 2027-03-30.
    result = staff(scenario(HIDDEN), add=1, trials=20, ramp_days=10)
    assert result.recommended == {"up": 1}
    assert result.effect["before"] == "2027-03-30"
    assert result.effect["after"] == "2027-02-19"
    teams = result.teams.set_index("team")
    assert teams.loc["down", "last_share_before"] == 1.0
    assert teams.loc["down", "hires"] == 0
    assert teams.loc["up", "critical_share_before"] == 1.0  # d starts the moment u is done
    assert str(teams.loc["down", "finish_p85_after"].date()) == "2027-02-19"
    assert any("down gets no one but waits on up" in line for line in result.explanation)
    second = result.candidates.iloc[1]
    assert second["assignment"] == "down +1" and second["finish_p85_gain_days"] == 61 - 60


@pytest.mark.parametrize("objective", ["p85", "npv", "deadline:z1"])
def test_greedy_with_exchange_finds_the_exhaustive_answer_on_a_small_case(objective):
    scn = scenario(THREE.replace("z1, team: z,", "z1, team: z, deadline: 2027-06-30,"))
    full = staff(scn, add=3, objective=objective, trials=300, seed=4, ramp_days=15)
    fast = staff(
        scn, add=3, objective=objective, trials=300, seed=4, ramp_days=15, exhaustive_max=0
    )
    assert full.search["mode"] == "exhaustive" and fast.search["mode"] == "greedy"
    assert full.search["assignments"] == count_assignments(3, 3, 3) == 10
    assert fast.recommended == full.recommended
    assert fast.effect["after"] == full.effect["after"]
    assert full.search["candidate_teams"] == ["x", "y", "z"]  # tp is a throughput team


def test_the_same_candidate_evaluated_twice_gives_identical_numbers():
    scn = scenario(THREE)
    obj = parse_objective("npv", scn)
    on = dt.date(2027, 1, 4)
    first = Evaluator(scn, obj, ["x", "y", "z"], on, 15.0, 200, 7)((1, 0, 2))
    again = Evaluator(scn, obj, ["x", "y", "z"], on, 15.0, 200, 7)((1, 0, 2))
    assert np.array_equal(first.trials, again.trials)
    assert (first.value, first.p85_day, first.cost_mean) == (
        again.value,
        again.p85_day,
        again.cost_mean,
    )
    # The empty assignment is the plan itself: the same numbers as a plain forecast.
    base = Evaluator(scn, obj, ["x", "y", "z"], on, 15.0, 200, 7)((0, 0, 0))
    fc = forecast(scn, trials=200, seed=7)
    assert str(fc.portfolio.loc["finish", "p85"].date()) == str(
        fc.compiled.calendar.date_of(base.p85_day)
    )
    one = staff(scn, add=2, objective="npv", trials=200, seed=7)
    two = staff(scn, add=2, objective="npv", trials=200, seed=7)
    assert one.candidates.equals(two.candidates) and one.curve.equals(two.curve)


def test_npv_objective_says_when_hiring_does_not_pay():
    # No value: every hire only adds cost. A hire in a costs +600 (see the exact case);
    # one in b: small ends at t = 17.5 (day 17), 2 x 100 x 18 days = 3,600 vs 3,000.
    result = staff(scenario(TWO_TEAMS), add=1, objective="npv", trials=10, ramp_days=10)
    assert result.effect["gain"] == pytest.approx(-600.0, abs=1e-6)
    assert any("does not pay" in line for line in result.explanation)


def test_deadline_objective_and_its_exact_probability():
    # small (30 person-days) misses 2027-02-05 (day 24) without help: done on day 29.
    # A hire in b (ramp 10): small ends t = 17.5, day 17: met in every trial.
    result = staff(scenario(TWO_TEAMS), add=1, objective="deadline:small", trials=10, ramp_days=10)
    assert result.recommended == {"b": 1}
    assert (result.effect["before"], result.effect["after"]) == (0.0, 1.0)
    assert (result.effect["ci_low"], result.effect["ci_high"]) == (1.0, 1.0)
    # done on day 29 = Fri 2027-02-12 before, day 17 = Wed 2027-01-27 after
    assert (result.effect["feature_p85_before"], result.effect["feature_p85_after"]) == (
        "2027-02-12",
        "2027-01-27",
    )


def test_with_hires_keeps_the_people_through_later_changes():
    scn = scenario(
        TWO_TEAMS.replace(
            "{id: a, members: 1, cost_per_member_day: 100}",
            "{id: a, members: 1, cost_per_member_day: 100, changes: "
            "[{on: 2027-01-01, members: 2}, {on: 2027-06-01, members: 3, ramp_days: 5}]}",
        ).replace("start: 2027-01-04", "start: 2027-01-01")
    )
    out = with_hires(scn, {"a": 2}, dt.date(2027, 3, 1), 10.0)
    changes = [(c.on.isoformat(), c.members, c.ramp_days) for c in out.team("a").changes]
    assert changes == [
        ("2027-01-01", 2, 0),
        ("2027-03-01", 4, 10.0),
        ("2027-06-01", 5, 5),
    ]
    assert [c.members for c in scn.team("a").changes] == [2, 3]  # the input is untouched
    with pytest.raises(InputError, match="already on 2027-06-01"):
        with_hires(scn, {"a": 1}, dt.date(2027, 6, 1), 10.0)


@pytest.mark.parametrize(("n", "t", "k"), [(1, 1, 1), (3, 3, 3), (4, 4, 2), (5, 3, 2), (6, 2, 2)])
def test_assignments_are_every_composition_with_the_cap(n, t, k):
    brute = {c for c in itertools.product(range(k + 1), repeat=t) if sum(c) == n}
    listed = list(assignments(n, t, k))
    assert len(listed) == len(set(listed)) == count_assignments(n, t, k) == len(brute)
    assert set(listed) == brute


def test_paired_intervals():
    base = np.arange(100, dtype=float)
    assert paired_interval("p85", base, base - 5) == (5.0, 5.0)  # every resample: 5 earlier
    lo, hi = paired_interval("p85", base, base)
    assert lo == hi == 0.0
    d = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    lo, hi = paired_interval("deadline", np.zeros(8), d)
    half = 1.959963984540054 * d.std(ddof=1) / np.sqrt(8)
    assert (lo, hi) == pytest.approx((0.75 - half, 0.75 + half))


def test_bad_arguments_are_input_errors():
    scn = scenario(TWO_TEAMS)
    with pytest.raises(InputError, match="no feature 'nope'"):
        staff(scn, add=1, objective="deadline:nope", trials=5)
    with pytest.raises(InputError, match="'big' has no deadline"):
        staff(scn, add=1, objective="deadline:big", trials=5)
    with pytest.raises(InputError, match="add: must be"):
        staff(scn, add=0, trials=5)
    with pytest.raises(InputError, match="max_per_team: 3 people cannot go"):
        staff(scn, add=3, max_per_team=1, trials=5)
    only_tp = scenario(THREE).model_copy(deep=True)
    only_tp.teams = [t for t in only_tp.teams if t.id == "tp"]
    only_tp.features = [f for f in only_tp.features if f.team == "tp"]
    with pytest.raises(InputError, match="no effort team"):
        staff(only_tp, add=1, trials=5)


def test_marginal_curve_by_hand():
    # Ramp 10 (docs/model.md §2.6): with k hires in a, capacity is 1 + k t/10 over days
    # 0-10 (10 + 5k person-days), then 1 + k a day. small (team b) is done on day 29.
    #   k = 1: 15 by t = 10, 85 / 2 = 42.5 more: t = 52.5, day 52: gain 99 - 52 = 47
    #   k = 2: 20 by t = 10, 80 / 3: t = 36.67, day 36: gain 63
    #   k = 3: 25 by t = 10, 75 / 4 = 18.75: t = 28.75, day 28; b now ends last (day 29):
    #          the portfolio is done on day 29, gain 70
    #   4th: in b small ends t = 17.5 (day 17), the portfolio on a's day 28: gain 71; in a
    #          (30 by t = 10, 70 / 5: t = 24, day 23) b still ends on day 29: gain 70.
    result = staff(scenario(TWO_TEAMS), add=4, trials=5, ramp_days=10)
    assert list(result.curve["gain"]) == [0, 47, 63, 70, 71]
    assert list(result.curve["marginal_gain"]) == [0, 47, 16, 7, 1]
    assert list(result.curve["team_added"]) == ["", "a", "a", "a", "b"]
    assert result.recommended == {"a": 3, "b": 1}


def test_the_curve_says_when_further_hires_stop_paying():
    # At most one per team: hire 1 in a (gain 47), hire 2 in b changes nothing.
    result = staff(scenario(TWO_TEAMS), add=2, max_per_team=1, trials=5, ramp_days=10)
    assert list(result.curve["gain"]) == [0, 47, 47]
    assert (
        "Marginal curve: hire 1 is the last one that improves p85; hires 2 to 2, placed one "
        "at a time, add nothing to it." in result.explanation
    )
