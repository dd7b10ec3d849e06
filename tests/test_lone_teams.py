"""Lone teams and team cycles, on both engines, against dates worked out by hand.

The fast engine simulates a team that is in no cycle of the team graph on its own
(kernels/lone.py: an effort team's own event loop, a throughput team's single pass over
its periods) and a cycle of teams by the event loop restricted to the cycle, with
releases from earlier components fed in as timed events (docs/model.md §10.11). The
SimPy engine has no such decomposition, so agreement on these hand-computed logs checks
both. Deterministic estimates give exact clock times (working days from day 0).
"""

from __future__ import annotations

import pytest

from portfolio_sim.codes import WORK_SCALE
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.fast_inputs import kernel_model
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.kernels.components import CYCLE, LONE_EFFORT, LONE_THROUGHPUT
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario

ENGINES = ["fast", "des"]

HEAD = """\
name: lone
start: 2027-01-04
horizon: {horizon}
teams:
{teams}
features:
{features}
"""


def compiled(
    teams: str, features: str, extra: str = "", horizon: str = "2028-12-29"
) -> CompiledScenario:
    text = HEAD.format(horizon=horizon, teams=teams, features=features) + extra
    return compile_scenario(load_text(text, "yaml", "lone.yaml"), seed=0)


def run(m: CompiledScenario, engine: str) -> EngineOutput:
    return run_fast(m, 1, keep_trials=True) if engine == "fast" else run_des(m, 1)


def log(m: CompiledScenario, out: EngineOutput) -> list[tuple[float, str, str]]:
    """(time, event, feature) of every start and finish, in time order (DES style)."""
    assert out.start is not None and out.done is not None
    rows = []
    for f, fid in enumerate(m.feature_ids):
        rows.append((round(float(out.start[0, f]), 9), "start", fid))
        rows.append((round(float(out.done[0, f]), 9), "finish", fid))
    return sorted(rows)


# Platform (3 person-days a day) feeds the app team (2 a day, two in progress share it)
# and the mobile team (5 items a week: periods of 5 working days).
LAYERED_TEAMS = """\
  - {id: platform, members: 3}
  - {id: app, members: 2, wip_limit: 2}
  - {id: mobile, throughput: {fixed: 5, per: week}}"""
LAYERED_FEATURES = """\
  - {id: p1, team: platform, effort: {fixed: 6}}
  - {id: p2, team: platform, effort: {fixed: 21}}
  - {id: a1, team: app, effort: {fixed: 3}, depends_on: [p1]}
  - {id: a2, team: app, effort: {fixed: 8}}
  - {id: a3, team: app, effort: {fixed: 2}, depends_on: [a2, p2]}
  - {id: m1, team: mobile, items: {fixed: 3}}
  - {id: m3, team: mobile, items: {fixed: 1}}
  - {id: m5, team: mobile, items: {fixed: 1}, depends_on: [m1, p1]}
  - {id: m2, team: mobile, items: {fixed: 7}, depends_on: [p1]}
  - {id: m4, team: mobile, items: {fixed: 5}, depends_on: [m1, p2]}"""
LAYERED_RISKS = """\
risks:
  - {id: late, probability: 1, affects: [m5], delay: {fixed: 1}}
"""


def test_layered_portfolio_is_three_lone_teams() -> None:
    m = kernel_model(compiled(LAYERED_TEAMS, LAYERED_FEATURES, LAYERED_RISKS))
    assert m.comp_team.tolist() == [0, 1, 2]
    assert m.comp_kind.tolist() == [LONE_EFFORT, LONE_EFFORT, LONE_THROUGHPUT]


@pytest.mark.parametrize("engine", ENGINES)
def test_lone_effort_and_throughput_teams_give_hand_computed_dates(engine: str) -> None:
    m = compiled(LAYERED_TEAMS, LAYERED_FEATURES, LAYERED_RISKS)
    # platform: p1 0 -> 2 (6 / 3), p2 2 -> 9 (21 / 3).
    # app: a2 starts alone at 0 (2 a day: 4 done by 2); p1's release at 2 starts a1 and
    #   both get 1 a day: a1 done at 5, a2 has 1 left and finishes alone at 5.5; a3 waits
    #   for p2 (released at 9, an event from an earlier component): 9 -> 10.
    # mobile: period 0 [0, 5) serves m1 (3) and m3 (1), both done at 5, 1 item lost;
    #   m5's dependencies are done at 2 (p1) and 5 (m1): ready at 5 + 1 (delay) = 6, so not
    #   in period 1 (start 5) but in period 2. Period 1 gives m2 (ready 2) 5 of 7;
    #   period 2 [10, 15): m5 1 (done 15), m2 2 (done 15), m4 (ready 9) 2 of 5;
    #   period 3: m4's last 3, done at 20.
    expected = [
        (0.0, "start", "a2"),
        (0.0, "start", "m1"),
        (0.0, "start", "m3"),
        (0.0, "start", "p1"),
        (2.0, "finish", "p1"),
        (2.0, "start", "a1"),
        (2.0, "start", "p2"),
        (5.0, "finish", "a1"),
        (5.0, "finish", "m1"),
        (5.0, "finish", "m3"),
        (5.0, "start", "m2"),
        (5.5, "finish", "a2"),
        (9.0, "finish", "p2"),
        (9.0, "start", "a3"),
        (10.0, "finish", "a3"),
        (10.0, "start", "m4"),
        (10.0, "start", "m5"),
        (15.0, "finish", "m2"),
        (15.0, "finish", "m5"),
        (20.0, "finish", "m4"),
    ]
    out = run(m, engine)
    assert log(m, out) == expected
    assert out.team_work.tolist() == pytest.approx(
        [27 * WORK_SCALE, 13 * WORK_SCALE, 17 * WORK_SCALE], rel=1e-12
    )  # work done (fixed point): person-days, person-days, items


CYCLE_TEAMS = """\
  - {id: x, members: 1}
  - {id: y, members: 1}
  - {id: u, members: 2}"""
CYCLE_FEATURES = """\
  - {id: x1, team: x, effort: {fixed: 3}}
  - {id: y1, team: y, effort: {fixed: 2}, depends_on: [x1]}
  - {id: x2, team: x, effort: {fixed: 1}, depends_on: [y1]}
  - {id: y2, team: y, effort: {fixed: 4}, depends_on: [u1]}
  - {id: u1, team: u, effort: {fixed: 4}}"""


@pytest.mark.parametrize("engine", ENGINES)
def test_team_cycle_with_releases_from_an_earlier_team(engine: str) -> None:
    m = compiled(CYCLE_TEAMS, CYCLE_FEATURES)
    km = kernel_model(m)
    assert [km.comp_team[km.comp_ptr[c] : km.comp_ptr[c + 1]].tolist() for c in range(2)] == [
        [2],
        [0, 1],
    ]
    assert km.comp_kind.tolist() == [LONE_EFFORT, CYCLE]
    # u1 0 -> 2 releases y2 (an event into the cycle); y is idle (y1 waits for x1), so y2
    # runs 2 -> 6; x1 0 -> 3 releases y1, which waits for y's slot: 6 -> 8; x2 8 -> 9.
    expected = [
        (0.0, "start", "u1"),
        (0.0, "start", "x1"),
        (2.0, "finish", "u1"),
        (2.0, "start", "y2"),
        (3.0, "finish", "x1"),
        (6.0, "finish", "y2"),
        (6.0, "start", "y1"),
        (8.0, "finish", "y1"),
        (8.0, "start", "x2"),
        (9.0, "finish", "x2"),
    ]
    assert log(m, run(m, engine)) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_no_limit_on_features_per_team(engine: str) -> None:
    # One team, 1,500 features of one person-day each, one after another: feature k is
    # done at k + 1 (working days), the last on day 1,499 of the horizon.
    n = 1500
    feats = "\n".join(f"  - {{id: f{k}, team: solo, effort: {{fixed: 1}}}}" for k in range(n))
    m = compiled("  - {id: solo, members: 1}", feats, horizon="2033-12-30")
    assert m.horizon_days > n
    out = run(m, engine)
    assert out.done is not None
    assert out.done[0].tolist() == pytest.approx([k + 1.0 for k in range(n)], abs=1e-9)
