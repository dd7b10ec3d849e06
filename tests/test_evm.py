"""Earned value of a re-forecast (docs/model.md §11.4): each formula on a hand-worked
example, then the baseline and percent complete on a deterministic scenario.

The worked example (the one in docs/model.md §11.4; numbers by hand, in the style of
the PMI Practice Standard's examples): BAC = 100,000; three features with budget
shares 0.3 / 0.5 / 0.2, planned (start, finish) in working days (0, 10), (10, 30),
(20, 40); on day AT = 20, a is done, b is 40 % complete, c not started; AC = 60,000.
  PV  = 30,000 + 50,000 * 10/20 + 0 = 55,000
  EV  = 30,000 + 0.4 * 50,000      = 50,000
  CV  = -10,000, SV = -5,000, CPI = 5/6, SPI = 10/11
  EAC = 60,000 + 50,000 = 110,000 (budget rate); 100,000 / (5/6) = 120,000 (CPI);
        60,000 + 50,000 / (5/6 * 10/11) = 60,000 + 66,000 = 126,000 (CPI x SPI)
  VAC = -20,000; TCPI = 50,000 / 40,000 = 1.25
  ES: PV(t) = 30,000 + 2,500 (t - 10) on days 10..20; PV(18) = 50,000 = EV, PV(19) =
      52,500: C = 18, I = 0, ES = 18; SV(t) = -2, SPI(t) = 0.9; PD = 40,
      IEAC(t) = 40 / 0.9 = 44.4 days. With b 43 % complete, EV = 51,500: C = 18,
      I = 1,500 / 2,500 = 0.6, ES = 18.6.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.results.evm import Baseline, compute, earned_schedule
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.status import status_from_text

BASE = Baseline(
    ids=("a", "b", "c"),
    weight=(0.3, 0.5, 0.2),
    start=(0.0, 10.0, 20.0),
    finish=(10.0, 30.0, 40.0),
    bac=100_000.0,
)


def test_hand_worked_example_each_formula() -> None:
    ev = compute(BASE, {"a": 1.0, "b": 0.4}, ac=60_000.0, at=20.0)
    approx = pytest.approx
    assert ev.pv == approx(55_000)
    assert ev.ev == approx(50_000)
    assert ev.ac == 60_000
    assert ev.cv == approx(-10_000)
    assert ev.sv == approx(-5_000)
    assert ev.cpi == approx(5 / 6)
    assert ev.spi == approx(10 / 11)
    assert ev.eac_budget_rate == approx(110_000)
    assert ev.eac_cpi == approx(120_000)
    assert ev.eac_cpi_spi == approx(126_000)
    assert ev.vac == approx(-20_000)
    assert ev.tcpi == approx(1.25)
    assert ev.es_days == approx(18.0)
    assert ev.sv_t_days == approx(-2.0)
    assert ev.spi_t == approx(0.9)
    assert ev.planned_days == 40.0
    assert ev.ieac_t_days == approx(40 / 0.9)


def test_earned_schedule_interpolates_within_a_day() -> None:
    assert earned_schedule(BASE, 51_500.0) == pytest.approx(18.6)
    assert earned_schedule(BASE, 0.0) == 0.0
    # PV is flat on no day of BASE before 40; all work earned: ES = PD
    assert earned_schedule(BASE, 100_000.0) == 40.0


def test_undefined_ratios_are_none_not_zero() -> None:
    ev = compute(BASE, {}, ac=0.0, at=0.0)
    assert ev.cpi is None and ev.spi is None and ev.spi_t is None
    assert ev.eac_cpi is None and ev.eac_cpi_spi is None and ev.ieac_t_days is None
    assert ev.eac_budget_rate == 100_000.0


PLAN = """\
name: evm
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
features:
  - {id: a, team: web, effort: {fixed: 10}}
  - {id: b, team: web, effort: {fixed: 20}, depends_on: [a]}
"""
# Mon-Fri from Mon 2027-01-04: day 9 = Fri 01-15, day 15 = Mon 01-25.
STATUS = """\
as_of: 2027-01-25
features:
  a: {done_on: 2027-01-15}
  b: {started_on: 2027-01-18, remaining_fraction: 0.6}
actual_cost: {web: 1700}
"""


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_baseline_and_reforecast_of_a_deterministic_plan(engine: str) -> None:
    # Plan: a on days 0-9 (t 0..10), b on days 10-29 (t 10..30); cost 30 x 100 = 3,000
    # = BAC; budgets by size 10:20 -> 1,000 and 2,000. AT = 15: PV = 1,000 + 2,000 *
    # 5/20 = 1,500; EV = 1,000 + 0.4 * 2,000 = 1,800; AC = 1,700. ES: PV(t) = 1,000 +
    # 100 (t - 10) = 1,800 at t = 18. PD = 30 (done Fri 02-12); IEAC(t) = 30 / 1.2 = 25
    # (end of day 24, Fri 02-05). Re-forecast: b's 12 days left from day 15 end at t =
    # 27 (Tue 02-09); cost 1,700 + 12 x 100 = 2,900.
    scn = load_text(PLAN, "yaml", "plan.yaml")
    status = status_from_text(STATUS, scn, "st.yaml")
    fc = forecast(scn, trials=8, engine=engine, status=status)
    ev = fc.earned_value
    assert ev.bac == pytest.approx(3_000)
    assert ev.pv == pytest.approx(1_500)
    assert ev.ev == pytest.approx(1_800)
    assert ev.ac == 1_700
    assert ev.cpi == pytest.approx(18 / 17)
    assert ev.spi == pytest.approx(1.2)
    assert ev.at_days == 15
    assert ev.es_days == pytest.approx(18)
    assert ev.spi_t == pytest.approx(1.2)
    assert ev.planned_finish == "2027-02-12"
    assert ev.ieac_t_finish == "2027-02-05"
    assert ev.mc_cost == {"p50": pytest.approx(2_900), "p80": pytest.approx(2_900)}
    assert ev.mc_finish["p50"] == "2027-02-09"


def test_outputs_carry_the_earned_value(tmp_path: Path) -> None:
    scn = load_text(PLAN, "yaml", "plan.yaml")
    fc = forecast(scn, trials=4, status=status_from_text(STATUS, scn, "st.yaml"))
    doc = json.loads(fc.to_json())
    assert doc["earned_value"]["ev"] == pytest.approx(1_800)
    assert doc["earned_value"]["eac_cpi"] == pytest.approx(3_000 * 17 / 18)
    fc.to_csv(str(tmp_path))
    csv = (tmp_path / "earned_value.csv").read_text()
    assert "spi_t,1.2" in csv
    assert "Earned value on 2027-01-25" in fc.to_text()
    assert "<h2>Earned value on 2027-01-25</h2>" in fc.to_html()
    assert forecast(scn, trials=4).earned_value is None


def test_an_ieac_t_finish_past_the_horizon_reads_after_the_horizon() -> None:
    """IEAC(t) is defined (SPI(t) > 0) but its date lies past the horizon: the table says
    so instead of "not defined" (which is kept for a zero denominator)."""
    import dataclasses

    from portfolio_sim.results.evm_tables import evm_rows

    scn = load_text(PLAN, "yaml", "plan.yaml")
    ev = forecast(scn, trials=8, status=status_from_text(STATUS, scn, "st.yaml")).earned_value
    late = dataclasses.replace(ev, ieac_t_days=10_000.0, ieac_t_finish=None)
    rows = {label: value for label, value, _ in evm_rows(late, "EUR")}
    assert rows["Finish by IEAC(t)"] == "after the horizon"
    undefined = dataclasses.replace(ev, ieac_t_days=None, ieac_t_finish=None)
    rows = {label: value for label, value, _ in evm_rows(undefined, "EUR")}
    assert rows["Finish by IEAC(t)"] == "not defined"
