"""Portfolio freezes (docs/model.md §5.5): a risk with ``delay`` and ``on`` and no
``affects``. When it fires with length x, no feature that has not started by ``on`` may
start before ``on`` + x working days; work in progress continues.

Hand-computed cases use a Mon-Fri calendar from Mon 2027-01-04 (working day d is the d-th
weekday), so every date is counted by hand; each test body runs on both engines.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from portfolio_sim.calendar import done_day
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.errors import ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.status import status_from_text
from portfolio_sim.scenario.status_apply import compile_with_status
from scenario_text import BASE, problems
from test_engine_agreement import disagreements, scenario_texts

ENGINES = ["fast", "des"]
START = dt.date(2027, 1, 4)

# The worked example of docs/model.md §5.5. Freeze from Mon 01-11 (day 5) for 10
# working days: window [5, 15), new starts again on Mon 01-25 (day 15).
LONE = """\
name: freeze
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: dev, members: 1}
  - {id: app, throughput: {fixed: 2, per: week}}
  - {id: ops, members: 1}
features:
  - {id: a, team: dev, effort: {fixed: 10}}
  - {id: b, team: dev, effort: {fixed: 5}}
  - {id: c, team: app, items: {fixed: 3}}
  - {id: d, team: app, items: {fixed: 2}}
  - {id: e, duration: {fixed: 3}, not_before: 2027-01-13}
  - id: s
    parts:
      - {team: ops, effort: {fixed: 7}}
risks:
  - {id: reorg, probability: PROB, delay: {fixed: 10}, on: 2027-01-11}
"""
# dev (one member, WIP 1): a runs [0, 10), in progress on day 5 so it carries on; b
#   was not started by day 5: it starts at 15, not 10, done at 20 = Fri 01-29.
# app (2 items a week): c gets 2 items in period 0 (started), 1 in period 1, done at 10;
#   d, eligible from period 1 (day 5, in the window), waits: periods 3 -> done at 20.
# e (duration task, ready day 7 inside the window): starts at 15, done at 18 (Wed 01-27).
# s: its part on ops runs [0, 7); the join s (no work) is not held: done at 7.
LONE_DONE = {
    "1": [10.0, 20.0, 10.0, 20.0, 18.0, 7.0, 7.0],
    "0": [10.0, 15.0, 10.0, 15.0, 10.0, 7.0, 7.0],
}
LONE_DATES = {"a": "2027-01-15", "b": "2027-01-29", "d": "2027-01-29", "e": "2027-01-27"}

# A cycle of teams (cyc -> tq -> cyc), run by the general event loop of the fast engine.
CYCLE = """\
name: freeze-cycle
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: cyc, members: 1}
  - {id: tq, throughput: {fixed: 2, per: week}, wip_limit: WIP}
features:
  - {id: k1, team: cyc, effort: {fixed: 3}}
  - {id: k3, team: cyc, effort: {fixed: 4}}
  - {id: k4, team: cyc, effort: {fixed: 1}}
  - {id: q0, team: tq, items: {fixed: 4}}
  - {id: q1, team: tq, items: {fixed: 3}, depends_on: [k1]}
  - {id: k2, team: cyc, effort: {fixed: 2}, depends_on: [q1]}
risks:
  - {id: reorg, probability: 1, delay: {fixed: 10}, on: 2027-01-11}
"""
# cyc: k1 [0, 3), k3 [3, 7); k4 would start at 7, inside the window: [15, 16).
# tq: q0 gets 2 + 2 items in periods 0 and 1 (in progress): done at 10; q1 is ready at
#   3, eligible from period 1 (day 5, in the window): it waits for period 3 (day 15):
#   2 + 1 items, done at 25. k2 (after q1): [25, 27).
CYCLE_DONE = [3.0, 7.0, 16.0, 10.0, 25.0, 27.0]
CYCLE_START = [0.0, 3.0, 15.0, 0.0, 15.0, 25.0]


def compiled(text: str, seed: int = 1) -> CompiledScenario:
    return compile_scenario(load_text(text, "yaml", "s.yaml"), seed=seed)


def run(engine: str, m: CompiledScenario, trials: int = 3, **kw: Any) -> Any:
    if engine == "fast":
        return run_fast(m, trials, keep_trials=True, **kw)
    return run_des(m, trials, **kw)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("prob", ["1", "0"])
def test_lone_teams_hand_computed(engine: str, prob: str) -> None:
    m = compiled(LONE.replace("PROB", prob))
    assert m.feature_ids == ["a", "b", "c", "d", "e", "s@ops", "s"]
    out = run(engine, m)
    np.testing.assert_allclose(out.done, [LONE_DONE[prob]] * 3, atol=1e-9)
    if prob == "1":
        cal = m.calendar
        for f, date in LONE_DATES.items():
            t = out.done[0, m.feature_ids.index(f)]
            assert str(cal.date_of(done_day(t))) == date


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_dates_in_the_forecast(engine: str) -> None:
    fc = forecast(load_text(LONE.replace("PROB", "1"), "yaml", "s.yaml"), 5, engine=engine)
    p50 = {r.id: str(r.p50.date()) for r in fc.features.itertuples()}
    for f, date in LONE_DATES.items():
        assert p50[f] == date


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("wip", ["1", "2"])
def test_cycle_of_teams_hand_computed(engine: str, wip: str) -> None:
    m = compiled(CYCLE.replace("WIP", wip))
    out = run(engine, m)
    np.testing.assert_allclose(out.done, [CYCLE_DONE] * 3, atol=1e-9)
    np.testing.assert_allclose(out.start, [CYCLE_START] * 3, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_frozen_time_is_waiting_in_team_load(engine: str) -> None:
    """dev: busy [0, 10) and [15, 20), waiting [10, 15) (b held), empty after; January
    has 20 working days. app: busy [0, 10) (c), waiting [10, 15) (d held), busy
    [15, 20): the same."""
    m = compiled(LONE.replace("PROB", "1"))
    out = run(engine, m, load=True)
    days = out.load_days
    for team in ("dev", "app"):
        j = m.team_ids.index(team)
        np.testing.assert_allclose(days[:, j, 0], [[15.0, 5.0, 0.0]] * 3, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_probability_zero_is_the_plan_without_the_risk(engine: str) -> None:
    """A freeze that never fires changes nothing, bit for bit (random sizes)."""
    text = LONE.replace("{fixed: 10}}", "{fixed: 10}, priority: 2}")
    text = text.replace("effort: {fixed: 5}", "effort: {pert: [2, 5, 15]}")
    text = text.replace("items: {fixed: 3}", "items: {uniform: [1, 6]}")
    plain = compiled(text.split("risks:")[0], seed=7)
    never = compiled(text.replace("PROB", "0"), seed=7)
    a, b = run(engine, plain, 50), run(engine, never, 50)
    assert np.array_equal(a.done, b.done)
    assert np.array_equal(a.start, b.start)
    assert np.array_equal(a.money, b.money)


def test_windows_merge_and_gate_only_new_starts() -> None:
    """Two freezes that overlap act as one window [5, 20): b (not started by day 5)
    starts at 20; a second, later one that starts inside it adds nothing new."""
    text = LONE.replace("PROB", "1") + (
        "  - {id: again, probability: 1, delay: {fixed: 10}, on: 2027-01-18}\n"
    )
    m = compiled(text)
    for out in (run("fast", m), run("des", m)):
        assert out.done[0, m.feature_ids.index("b")] == pytest.approx(25.0)
        assert out.done[0, m.feature_ids.index("e")] == pytest.approx(23.0)


RANDOM_TRIALS = 40


@st.composite
def frozen_texts(draw: Any) -> str:
    """The random scenarios of test_engine_agreement with one or two freezes added and
    throughput teams' WIP limits drawn."""
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(draw(scenario_texts()))
    for team in doc["teams"]:
        if "throughput" in team:
            team["wip_limit"] = draw(st.integers(1, 3))
    freezes = [
        {
            "id": f"z{k}",
            "probability": draw(st.sampled_from([0.5, 1])),
            "on": (START + dt.timedelta(days=draw(st.integers(0, 40)))).isoformat(),
            "delay": draw(st.sampled_from([{"fixed": 5}, {"uniform": [0, 12]}, {"fixed": 2.5}])),
        }
        for k in range(draw(st.integers(1, 2)))
    ]
    doc["risks"] = list(doc.get("risks", [])) + freezes
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=frozen_texts(), seed=st.integers(0, 2**31))
def test_random_frozen_scenarios_agree_trial_by_trial(text: str, seed: int) -> None:
    try:
        scn = load_text(text, "yaml", "generated.yaml")
    except ScenarioError:
        assume(False)
        raise
    m = compile_scenario(scn, seed)
    n = RANDOM_TRIALS
    fast = run_fast(m, n, keep_trials=True, load=True)
    des = run_des(m, n, load=True)
    bad = disagreements(m, fast, des)
    assert len(bad) == 0, f"trials {bad.tolist()} disagree:\n{text}"
    fin = np.isfinite(des.done)
    np.testing.assert_allclose(fast.start[fin], des.start[fin], atol=1e-6)
    # Every team's load (frozen time is waiting), throughput teams' too: a feature released
    # after a lone throughput team's last whole period before the horizon has its ready
    # time in both engines.
    assert np.abs(fast.load_days - des.load_days).max(initial=0) <= 1e-6


def test_a_freeze_that_fires_moves_some_trials() -> None:
    """The random agreement above would pass if neither engine froze anything: on a
    busy team a 50 % freeze moves some trials' dates and leaves the others' alone."""
    text = LONE.replace("PROB", "0.5").replace("{fixed: 10}, on", "{uniform: [2, 12]}, on")
    m = compiled(text, seed=11)
    plain = compiled(text.split("risks:")[0], seed=11)
    out, base = run("fast", m, 200), run("fast", plain, 200)
    moved = (out.done != base.done).any(axis=1)
    assert 60 < moved.sum() < 140  # binomial(200, 0.5): 100 +- 40 is > 5 sigma
    des = run("des", m, 200)
    assert len(disagreements(m, out, des)) == 0


# -- validation --------------------------------------------------------------------


def test_validation_errors_point_at_the_risk() -> None:
    head = BASE + "risks:\n"
    assert problems(head + "  - {id: z, probability: 1, delay: {fixed: 3}}\n") == [
        "s.yaml:12: risks[0]: a delay without affects is a portfolio freeze "
        "(docs/model.md §5.5) and needs on: DATE, the day it begins (or give affects)"
    ]
    assert problems(
        head + "  - {id: z, probability: 1, affects: [a], delay: {fixed: 3}, on: 2027-02-01}\n"
    ) == [
        "s.yaml:12: risks[0]: on goes with a portfolio freeze, which affects no feature: "
        "remove affects (a delay on features starts when they are ready, §5.2)"
    ]
    assert problems(head + "  - {id: z, probability: 1, delay: {fixed: 3}, on: 2026-02-01}\n") == [
        "s.yaml:12: risks[0].on: freeze date 2026-02-01 is before start (2027-01-04)"
    ]
    assert problems(head + "  - {id: z, probability: 1, delay: {fixed: 3}, on: 2029-02-01}\n") == [
        "s.yaml:12: risks[0].on: freeze date 2029-02-01 is after the horizon (2028-12-31): "
        "it would never begin"
    ]
    assert problems(
        head + "  - {id: z, probability: 1, delay: {fixed: 3}, cost: {fixed: 1}, on: 2027-02-01}\n"
    ) == [
        "s.yaml:12: risks[0]: a risk needs exactly one of extra_effort, extra_items, delay, "
        "extra_fraction, cost"
    ]


# -- re-forecasting (§11) ----------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_freeze_before_as_of_is_history(engine: str) -> None:
    """as_of Mon 01-18 (day 10), inside the window: the freeze began before as_of, so
    it is not simulated; b and d (not started) start on as_of: b [10, 15), d gets its
    2 items in period 2: done at 15. A freeze on or
    after as_of still applies: from Wed 01-20 (day 12) for 10 days, e (ready day 10)
    started on as_of before it, and b started at 10 too; nothing is held."""
    scn = load_text(LONE.replace("PROB", "1"), "yaml", "s.yaml")
    status = status_from_text(
        "as_of: 2027-01-18\nfeatures:\n  a: {done_on: 2027-01-15}\n"
        "  c: {done_on: 2027-01-15}\n  s@ops: {done_on: 2027-01-13}\n  s: {done_on: 2027-01-13}\n"
        "actual_cost: {dev: 0, app: 0, ops: 0}\n",
        scn,
    )
    out = run(engine, compile_with_status(scn, status, seed=1))
    assert out.done[0].tolist()[:5] == pytest.approx([10.0, 15.0, 10.0, 15.0, 13.0])
    later = LONE.replace("PROB", "1").replace("on: 2027-01-11", "on: 2027-01-19")
    scn = load_text(later, "yaml", "s.yaml")
    status = status_from_text(
        "as_of: 2027-01-18\nfeatures:\n  a: {done_on: 2027-01-15}\n"
        "  s@ops: {done_on: 2027-01-13}\n  s: {done_on: 2027-01-13}\nactual_cost: {dev: 0, app: 0, ops: 0}\n",
        scn,
    )
    m = compile_with_status(scn, status, seed=1)
    assert m.freeze_on.tolist() == [11.0]
    out = run(engine, m)
    # b [10, 15); e [10, 13); c: 3 items from period 2 (day 10): done 20; d held: period
    # 3 starts at day 15, inside [11, 21): it waits for period 5 (day 25): done at 30.
    assert out.done[0].tolist()[:5] == pytest.approx([10.0, 15.0, 20.0, 30.0, 13.0])


LATE_RELEASE = """\
name: late release
start: 2027-01-04
horizon: 2027-01-27
teams:
  - {id: dev, members: 1}
  - {id: ops, members: 1, throughput: {fixed: 1}}
features:
  - {id: x, team: dev, effort: {fixed: 12}}
  - {id: y, team: ops, items: {fixed: 5}, depends_on: [x]}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_release_after_the_last_whole_period_counts_in_team_load(engine: str) -> None:
    # Horizon Wed 01-27 = 18 working days; ops' weeks end at 5, 10, 15 (the 4th, ending at
    # 20, is past the horizon). x is done at t = 12, so y is ready at 12 and eligible from
    # the period starting at 15: ops is busy [15, 18) = 3 days of January, waits on x for
    # 15 days before. (The fast engine once left y's ready time unset here.)
    m = compiled(LATE_RELEASE, seed=1)
    out = (
        run_fast(m, 3, keep_trials=True, load=True)
        if engine == "fast"
        else run_des(m, 3, load=True)
    )
    assert out.load_days is not None
    ops = m.team_ids.index("ops")
    np.testing.assert_allclose(out.load_days[:, ops, 0, 0], 3.0)  # busy
    np.testing.assert_allclose(out.load_days[:, ops, 0, 1], 15.0)  # waiting
