"""Throughput teams with ``wip_limit`` > 1: the round-robin deal (docs/model.md §2.9),
hand-computed on both engines, on a lone team (kernels/lone.py) and on a team in a cycle
of the team graph (kernels/schedule.py)."""

from __future__ import annotations

import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario.load import load_text

ENGINES = ["fast", "des"]

# Team flow completes exactly 4 items a week (L = 5 working days from Mon 2027-01-04).
# With wip_limit 2 the items of a period are dealt one at a time, cycling in priority
# order through the first 2 eligible features that need items; each period's deal starts
# with the highest-priority one, and a finished feature's place goes to the next one.
#   P0 (t 0-5):   big, small, big, small          -> big 7, small 1, c 2
#   P1 (t 5-10):  big, small (done t=10), c, big  -> big 5, c 1
#   P2 (t 10-15): big, c (done t=15), big, big    -> big 2
#   P3 (t 15-20): big, big (done t=20), 2 lost
# With wip_limit 1 (today's rule) big takes P0, P1 and 1 of P2 (done t=15), small takes
# the other 3 of P2 (done t=15) and c is done in P3 (t=20).
LONE = """\
name: wip deal
start: 2027-01-04
horizon: 2027-06-30
teams:
  - {{id: flow, throughput: {{fixed: 4, per: week}}{wip}}}
features:
  - {{id: big, team: flow, items: {{fixed: 9}}}}
  - {{id: small, team: flow, items: {{fixed: 3}}}}
  - {{id: c, team: flow, items: {{fixed: 2}}}}
"""


def _done(text: str, engine: str) -> dict[str, float]:
    fc = forecast(load_text(text, "yaml", "s.yaml"), trials=3, seed=1, engine=engine)
    return {r.id: r.mean_workdays for r in fc.features.itertuples()}


@pytest.mark.parametrize("engine", ENGINES)
def test_wip_limit_two_deals_round_robin(engine: str) -> None:
    done = _done(LONE.format(wip=", wip_limit: 2"), engine)
    assert done == {"big": 20.0, "small": 10.0, "c": 15.0}


@pytest.mark.parametrize("engine", ENGINES)
def test_wip_limit_one_is_todays_rule(engine: str) -> None:
    done = _done(LONE.format(wip=""), engine)
    assert done == {"big": 15.0, "small": 15.0, "c": 20.0}


# The same team in a cycle of the team graph (flow -> ops -> flow), so the fast engine
# runs it in the general event loop. ops (1 member) does x0 in day 0 (done t=1): d
# (1 item, after x0) is eligible from P1. x1 (after big) takes 1 day.
#   P0: big, small, big, small                      -> big 7, small 1, c 2, d 1
#   P1: big, small (done t=10), c, big              -> big 5, c 1, d 1
#   P2: big, c (done t=15), d (done t=15), big      -> big 3
#   P3: big, big, big (done t=20), 1 lost           -> x1 ready t=20, done t=21
CYCLE = """\
name: wip deal in a cycle
start: 2027-01-04
horizon: 2027-06-30
teams:
  - {id: flow, throughput: {fixed: 4, per: week}, wip_limit: 2}
  - {id: ops, members: 1}
features:
  - {id: big, team: flow, items: {fixed: 9}}
  - {id: small, team: flow, items: {fixed: 3}}
  - {id: c, team: flow, items: {fixed: 2}}
  - {id: d, team: flow, items: {fixed: 1}, depends_on: [x0]}
  - {id: x0, team: ops, effort: {fixed: 1}}
  - {id: x1, team: ops, effort: {fixed: 1}, depends_on: [big]}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_wip_deal_in_a_team_cycle(engine: str) -> None:
    done = _done(CYCLE, engine)
    assert done == {"big": 20.0, "small": 10.0, "c": 15.0, "d": 15.0, "x0": 1.0, "x1": 21.0}
