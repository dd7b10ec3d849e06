"""Throughput-team edge cases found by the property tests, checked on both engines."""

from __future__ import annotations

import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario.load import load_text

ENGINES = ["fast", "des"]

# Team `flow` completes 3 items a week. At t = 12 feature b becomes ready with a
# not_before of working day 30, so no flow feature is eligible before period 6; at t = 17
# feature c becomes ready and is eligible from period 4 (working days 20-24). The fast
# engine once settled periods 2-5 as "nothing eligible" when b arrived, and then started c
# only in period 6 (done after the horizon) instead of period 4.
SKIPPED_PERIODS = """\
name: skipped periods
start: 2027-01-04
horizon: 2027-03-31
teams:
  - {id: flow, throughput: {fixed: 3, per: week}}
  - {id: e1, members: 1}
  - {id: e2, members: 1}
features:
  - {id: a, team: flow, items: {fixed: 2}}
  - {id: x, team: e1, effort: {fixed: 12}}
  - {id: b, team: flow, items: {fixed: 2}, depends_on: [x], not_before: 2027-02-15}
  - {id: y, team: e2, effort: {fixed: 17}}
  - {id: c, team: flow, items: {fixed: 2}, depends_on: [y]}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_feature_ready_mid_gap_is_served_in_its_first_eligible_period(engine: str) -> None:
    fc = forecast(load_text(SKIPPED_PERIODS, "yaml", "s.yaml"), trials=3, seed=0, engine=engine)
    done = {r.id: (str(r.p50.date()), r.mean_workdays) for r in fc.features.itertuples()}
    # a: week 1 (working days 0-4) -> t = 5, Friday 2027-01-08.
    assert done["a"] == ("2027-01-08", 5.0)
    # c: ready at 17, eligible from period 4 (working days 20-24) -> t = 25, Fri 2027-02-05.
    assert done["c"] == ("2027-02-05", 25.0)
    # b: not before working day 30 (Mon 2027-02-15) -> period 6 -> t = 35, Fri 2027-02-19.
    assert done["b"] == ("2027-02-19", 35.0)
