"""Status files with monthly actuals and staffing as it really was (docs/model.md §11.1,
§11.2), on both engines.

Hand-computed cases use a Mon-Fri calendar from Mon 2027-01-04 (working day d is the
d-th weekday, no holidays): January has days 0-19, February 20-39, March 1-9 are days
40-46, so as_of Wed 2027-03-10 is A = 47 and as_of Mon 2027-01-18 is A = 10.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio_sim.calendar import done_day
from portfolio_sim.codes import MONEY_COST
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.errors import ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.status import status_from_text
from portfolio_sim.scenario.status_apply import compile_with_status

PLAN = """\
name: small
start: 2027-01-04
horizon: 2027-12-31
teams:
  - id: web
    members: 1
    cost_per_member_day: 100
    changes: [{on: 2027-01-11, members: 3}, {on: 2027-02-01, members: 5}]
  - {id: mob, throughput: {fixed: 2}, members: 1, cost_per_member_day: 50}
features:
  - {id: a, team: web, effort: {pert: [5, 10, 20]}, cost: {fixed: 999}}
  - {id: b, team: web, effort: {pert: [5, 10, 20]}, depends_on: [a]}
  - {id: m, team: mob, items: {uniform: [2, 9]}}
  - {id: n, team: mob, items: {fixed: 3}, depends_on: [a]}
"""
ENGINES = ["fast", "des"]
MONTHLY = """\
as_of: 2027-03-10
features:
  a: {done_on: 2027-01-20}
  b: {started_on: 2027-01-21, remaining: {pert: [10, 20, 40]}}
actual_cost_by_month:
  web: {2027-01: 1200, 2027-02: 800.25, 2027-03: 300}
  mob: {2027-01: 0, 2027-02: 650, 2027-03: 77.5, to_date: 727.5}
"""


def plan():  # type: ignore[no-untyped-def]
    return load_text(PLAN, "yaml", "plan.yaml")


def run(engine: str, c, trials: int = 30):  # type: ignore[no-untyped-def]
    return run_fast(c, trials, keep_trials=True) if engine == "fast" else run_des(c, trials)


@pytest.mark.parametrize("engine", ENGINES)
def test_months_before_as_of_cost_exactly_the_recorded_actuals_in_every_trial(
    engine: str,
) -> None:
    # January 1,200 + 0, February 800.25 + 650; March holds as_of: 300 + 77.5 actual on
    # days 40-46, then the forecast from day 47. Tolerance: the per-trial month arrays
    # are float32 (2 ulps, 2.4e-7, covers the float64 cumulative sum's rounding too); these
    # amounts are exact in float32, so the test would catch any spreading error.
    status = status_from_text(MONTHLY, plan(), "st.yaml")
    assert status.cost_to_date == pytest.approx(3027.75) and status.phasing == "monthly"
    fc = forecast(plan(), trials=40, seed=5, engine=engine, status=status, keep_trials=True)
    mc = fc.raw.month_cost
    assert mc is not None
    np.testing.assert_allclose(mc[:, 0], 1200.0, rtol=2.4e-7)
    np.testing.assert_allclose(mc[:, 1], 1450.25, rtol=2.4e-7)
    assert (mc[:, 2] > 377.5).all()  # March: the actual part plus the forecast
    months = fc.months.set_index("month")
    for k in ("p10", "p50", "p90"):
        assert months.loc["2027-01", f"cost_{k}"] == pytest.approx(1200.0, rel=2.4e-7)
        assert months.loc["2027-02", f"cost_{k}"] == pytest.approx(1450.25, rel=2.4e-7)
        assert months.loc["2027-02", f"cumulative_{k}"] == pytest.approx(2650.25, rel=2.4e-7)
    assert (fc.raw.money[:, MONEY_COST] >= 3027.75 - 1e-9).all()
    assert fc.earned_value.ac == pytest.approx(3027.75)


def test_a_total_beside_monthly_tables_is_spread_evenly_over_its_days() -> None:
    # mob's 470 as a total: 10 a day over days 0-46; web by month.
    text = MONTHLY.replace("  mob: {2027-01: 0, 2027-02: 650, 2027-03: 77.5, to_date: 727.5}\n",
                           "actual_cost: {mob: 470}\n")  # fmt: skip
    status = status_from_text(text, plan(), "st.yaml")
    assert status.phasing == "mixed"
    out = run_fast(compile_with_status(plan(), status, 1), 10, keep_trials=True)
    assert out.month_cost is not None
    np.testing.assert_allclose(out.month_cost[:, 0], 1200 + 200, rtol=2.4e-7)
    np.testing.assert_allclose(out.month_cost[:, 1], 800.25 + 200, rtol=2.4e-7)


def test_the_report_draws_the_recorded_phasing() -> None:
    from portfolio_sim.report import cost_actuals

    fc = forecast(plan(), trials=20, status=status_from_text(MONTHLY, plan(), "st.yaml"))
    assert fc.meta["status"]["phasing"] == "monthly"
    html = fc.to_html()
    assert cost_actuals.LEGENDS["monthly"] in html
    assert cost_actuals.ACTUAL_LEGEND not in html
    assert "actual (recorded)" in html and "actual (spread evenly)" not in html


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        status_from_text(text, plan(), "st.yaml")
    return [str(p) for p in info.value.problems]


HEAD = "as_of: 2027-03-10\nactual_cost: {mob: 1}\nactual_cost_by_month:\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + "  web: {2027-04: 10}\n",
         "st.yaml:4: actual_cost_by_month.web.2027-04: the month 2027-04 is not before as_of"),
        (HEAD + "  web: {2026-12: 10}\n",
         "st.yaml:4: actual_cost_by_month.web.2026-12: the month 2026-12 is before the plan's"),
        (HEAD + "  wbe: {2027-01: 10}\n",
         "st.yaml:4: actual_cost_by_month.wbe: unknown team"),
        (HEAD + "  web:\n    2027-01: 10\n    2027-02: -5\n",
         "st.yaml:6: actual_cost_by_month.web.2027-02: a cost >= 0, got -5"),
        (HEAD + "  mob: {2027-01: 1}\n  web: {2027-01: 1}\n",
         "st.yaml:4: actual_cost_by_month.mob: both forms for one team"),
        (HEAD + "  web:\n    2027-01: 10\n    2027-02: 20.5\n    to_date: 30\n",
         "st.yaml:7: actual_cost_by_month.web.to_date: the months add up to 30.50, not the"),
        (HEAD + "  web: {2027-1: 10}\n",
         "st.yaml:4: actual_cost_by_month.web.2027-1: a month YYYY-MM"),
        ("as_of: 2027-03-10\nactual_cost_by_month:\n  web: {2027-01: 1}\n",
         "st.yaml:1: actual_cost: the cost to date of every team is needed"),
        # as_of Mon 2027-05-03: May 1-2 are a weekend, no working day of May before it
        ("as_of: 2027-05-03\nactual_cost: {mob: 1}\nactual_cost_by_month:\n  web: {2027-05: 1}\n",
         "st.yaml:4: actual_cost_by_month.web.2027-05: no working day of 2027-05 from the "
         "start before as_of"),
        # mob released when done: all done by Fri 01-29 (day 19), so nothing in February
        ("as_of: 2027-03-10\nfeatures:\n  a: {done_on: 2027-01-20}\n  m: {done_on: 2027-01-22}\n"
         "  n: {done_on: 2027-01-29}\nactual_cost: {web: 1}\n"
         "actual_cost_by_month:\n  mob: {2027-01: 5, 2027-02: 1}\n",
         "st.yaml:8: actual_cost_by_month.mob.2027-02: no working day of 2027-02 from the "
         "start on which the team was paid"),
    ],
)  # fmt: skip
def test_monthly_actuals_errors_are_located(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in _problems(text)), _problems(text)


def test_cli_bad_monthly_table_exits_2_with_file_line(tmp_path: Path) -> None:
    scn = tmp_path / "plan.yaml"
    scn.write_text(PLAN)
    bad = tmp_path / "st.yaml"
    bad.write_text(HEAD + "  web: {2027-04: 10}\n")
    res = subprocess.run(
        [sys.executable, "-m", "portfolio_sim", "forecast", str(scn), "--status", str(bad),
         "--trials", "10", "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 2
    assert f"{bad}:4: actual_cost_by_month.web.2027-04:" in res.stderr
    assert "Traceback" not in res.stderr


# Staffing as it really was. as_of Mon 01-18 (A = 10); a done Tue 01-12; b has 28.75
# person-days left. The plan said 1 member, 3 from Mon 01-11 (day 5), 5 from Mon 02-01
# (day 20). Really: 2 from 01-11, the new one ramping over 10 working days (rate 1 + (t -
# 5)/10 on days 5-15). The plan's 01-11 change is replaced; its 02-01 change is after
# as_of and still applies (planned_changes: keep, the default).
#   capacity from t = 10: [10, 15] 5 + (15^2 - 10^2 - 10 (15 - 10))/20 ... = 8.75;
#   [15, 20) 2 a day: 18.75; then 5 a day: 10 more by t = 22: done day 21, Tue 02-02.
#   With planned_changes: drop, 2 a day: t = 20 + 10/2 = 25, done day 24, Fri 02-05.
# Cost: web 1,000 actual + days 10-19 at 2 x 100 (2,000) + days 20-21 at 5 x 100 (1,000)
# = 4,000 (drop: days 10-24 at 200 = 3,000: 4,000 again); mob 400 + days 10-19 (n done
# day 19, as in tests/test_status.py) x 50 = 900. Total 4,900 either way.
STAFF = """\
as_of: 2027-01-18
features:
  a: {done_on: 2027-01-12}
  b: {started_on: 2027-01-13, remaining: {fixed: 28.75}}
  m: {done_on: 2027-01-14}
actual_cost: {web: 1000, mob: 400}
staffing:
  web: {members: 2, changes: [{on: 2027-01-11, members: 2, ramp_days: 10}]KEEP}
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("keep", "day"), [("", 21), (", planned_changes: drop", 24)])
def test_real_staffing_gives_hand_computed_dates(engine: str, keep: str, day: int) -> None:
    status = status_from_text(STAFF.replace("KEEP", keep), plan(), "st.yaml")
    c = compile_with_status(plan(), status, seed=3)
    out = run(engine, c, 10)
    assert out.done is not None and out.money is not None
    for f, d in {"a": 6, "b": day, "m": 8, "n": 19}.items():
        assert set(done_day(out.done[:, c.feature_ids.index(f)]).tolist()) == {d}, f
    np.testing.assert_allclose(out.money[:, MONEY_COST], 4900.0)


def test_without_actual_changes_the_team_had_its_members_all_along() -> None:
    # 3 members from as_of (no ramp), the plan's 02-01 change to 5 kept: 28.75 = 3 x 10
    # - 1.25: [10, 20) gives 30 > 28.75, so t = 10 + 28.75/3 = 19.58, done day 19.
    text = STAFF.replace(
        "{members: 2, changes: [{on: 2027-01-11, members: 2, ramp_days: 10}]KEEP}",
        "{members: 3}",
    )
    c = compile_with_status(plan(), status_from_text(text, plan()), seed=3)
    out = run_fast(c, 5, keep_trials=True)
    assert out.done is not None
    assert set(done_day(out.done[:, c.feature_ids.index("b")]).tolist()) == {19}


def test_engines_agree_trial_by_trial_with_real_staffing() -> None:
    text = STAFF.replace("{fixed: 28.75}", "{pert: [10, 30, 70]}").replace("KEEP", "")
    text = text.replace("  m: {done_on: 2027-01-14}\n", "")
    c = compile_with_status(plan(), status_from_text(text, plan()), seed=9)
    fast, des = run_fast(c, 80, keep_trials=True), run_des(c, 80)
    assert fast.done is not None and des.done is not None
    assert fast.money is not None and des.money is not None
    np.testing.assert_array_equal(done_day(fast.done), done_day(des.done))
    assert len(set(done_day(fast.done[:, c.feature_ids.index("b")]).tolist())) > 3
    np.testing.assert_allclose(fast.money, des.money, rtol=1e-9, atol=1e-6)


SHEAD = "as_of: 2027-01-18\nactual_cost: {web: 1, mob: 1}\nstaffing:\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SHEAD + "  wbe: {members: 2}\n", "st.yaml:4: staffing.wbe: unknown team"),
        (SHEAD + "  web: {changes: []}\n", "st.yaml:4: staffing.web: a mapping with members"),
        (SHEAD + "  web: {members: -1}\n", "st.yaml:4: staffing.web.members: a number of members"),
        (SHEAD + "  web:\n    members: 2\n    changes:\n      - {on: 2027-01-20, members: 2}\n",
         "st.yaml:7: staffing.web.changes.0.on: 2027-01-20: an actual change is dated from"),
        (SHEAD + "  web:\n    members: 3\n    changes: [{on: 2027-01-11, members: 2}]\n",
         "st.yaml:5: staffing.web.members: 3 on as_of, but the last actual change (2027-01-11) "
         "leaves 2"),
        (SHEAD + "  web: {members: 2, planned_changes: later}\n",
         "st.yaml:4: staffing.web.planned_changes: keep or drop"),
        (SHEAD + "  web: {members: 2, ramp: 3}\n", "st.yaml:4: staffing.web.ramp: unknown field"),
    ],
)  # fmt: skip
def test_staffing_errors_are_located(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in _problems(text)), _problems(text)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.integers(min_value=1, max_value=90),
    a_done=st.booleans(),
    frac=st.floats(min_value=0.01, max_value=1.0),
    amounts=st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=5, max_size=5),
    members=st.floats(min_value=0.5, max_value=8.0),
)
def test_monthly_actuals_and_real_staffing_keep_the_re_forecast_invariants(
    days: int, a_done: bool, frac: float, amounts: list[float], members: float
) -> None:
    """Never a done date before as_of for unfinished work, never a cost below the cost to
    date, and each whole month before as_of costs its recorded actuals (rtol 2.4e-7: the
    per-trial month arrays are float32)."""
    scn = plan()
    as_of = np.busday_offset(np.datetime64(scn.start), days, roll="forward").astype(dt.date)
    whole = [k for k in range(5) if dt.date(2027, k + 2, 1) <= as_of]  # months ended by as_of
    table = {f"2027-{k + 1:02d}": amounts[k] for k in whole}
    a = ({"done_on": "2027-01-04"} if a_done
         else {"started_on": "2027-01-04", "remaining_fraction": frac})  # fmt: skip
    text = json.dumps({
        "as_of": as_of.isoformat(), "features": {"a": a},
        "actual_cost": {"mob": 10.0}, "actual_cost_by_month": {"web": table},
        "staffing": {"web": {"members": members}},
    })  # fmt: skip
    status = status_from_text(text, scn)
    c = compile_with_status(scn, status, seed=days)
    out = run_fast(c, 40, keep_trials=True)
    assert out.done is not None and out.money is not None and out.month_cost is not None
    first = np.datetime64(as_of)
    for f, fid in enumerate(c.feature_ids):
        if fid == "a" and a_done:
            continue
        inf = np.isinf(out.done[:, f])
        dates = c.calendar.date_of(done_day(np.where(inf, 1.0, out.done[:, f])))
        assert (inf | (dates >= first)).all(), fid
    ctd = status.cost_to_date
    assert (out.money[:, MONEY_COST] >= ctd - 1e-9 * max(ctd, 1.0)).all()
    a_day = int(c.calendar.index_on_or_after(as_of))
    for k in whole:
        mob = 10.0 * (int(c.money.month_first_day[k + 1]) - int(c.money.month_first_day[k]))
        want = amounts[k] + mob / a_day
        np.testing.assert_allclose(out.month_cost[:, k], want, rtol=2.4e-7, atol=1e-9)


def test_a_featureless_team_released_when_done_cannot_carry_actuals() -> None:
    """The model pays such a team nothing, so its cost to date would silently vanish from
    the forecast's cost: refused, in either form."""
    text = PLAN.replace("teams:\n", "teams:\n  - {id: idle, members: 1, cost_per_member_day: 9}\n")
    scn = load_text(text, "yaml", "p.yaml")
    for body in ("actual_cost: {web: 1, mob: 1, idle: 5}\n",
                 "actual_cost: {web: 1, mob: 1}\nactual_cost_by_month:\n  idle: {2027-01: 5}\n"):  # fmt: skip
        with pytest.raises(ScenarioError, match="st.yaml:[24]: actual_cost.*idle: the team has no"):
            status_from_text("as_of: 2027-02-01\n" + body, scn, "st.yaml")
    ok = status_from_text("as_of: 2027-02-01\nactual_cost: {web: 1, mob: 1, idle: 0}\n", scn)
    assert ok.cost_to_date == 2
