"""Mid-flight re-forecasting from a status file (docs/model.md §11), on both engines.

Hand-computed cases use a Mon-Fri calendar from Mon 2027-01-04 (working day d is the
d-th weekday, no holidays), so every date below is counted by hand.
"""

from __future__ import annotations

import datetime as dt
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
from portfolio_sim.scenario import load, load_text
from portfolio_sim.scenario.compile import compile_scenario
from portfolio_sim.scenario.status import Status, empty_status, status_from_text
from portfolio_sim.scenario.status_apply import compile_with_status

ROOT = Path(__file__).parent.parent
PLAN = """\
name: small
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
  - {id: mob, throughput: {fixed: 2}, members: 1, cost_per_member_day: 50}
features:
  - {id: a, team: web, effort: {pert: [5, 10, 20]}, cost: {fixed: 999}}
  - {id: b, team: web, effort: {pert: [5, 10, 20]}, depends_on: [a]}
  - {id: m, team: mob, items: {uniform: [2, 9]}}
  - {id: n, team: mob, items: {fixed: 3}, depends_on: [a]}
"""
ENGINES = ["fast", "des"]


def plan():  # type: ignore[no-untyped-def]
    return load_text(PLAN, "yaml", "plan.yaml")


def run(engine: str, c, trials: int = 20):  # type: ignore[no-untyped-def]
    return run_fast(c, trials, keep_trials=True) if engine == "fast" else run_des(c, trials)


@pytest.mark.parametrize("engine", ENGINES)
def test_fixed_remaining_work_gives_hand_computed_dates(engine: str) -> None:
    # as_of Mon 01-18 = day 10. a done Tue 01-12 (day 6, pinned at t = 7). b has 4
    # person-days left from t = 10 at 1 a day: t = 14, done day 13 = Thu 01-21. m done
    # Thu 01-14 (day 8). n (3 items at 2 a week) is eligible from period 2 (days
    # 10-14): 2 items then, 1 in period 3: done at t = 20, day 19 = Fri 01-29.
    # Cost: actuals 1,000 + 400, then web days 10-13 (4 x 100) and mob days 10-19
    # (10 x 50): 2,300; a's one-off is in the actuals, not paid again.
    status = status_from_text(
        "as_of: 2027-01-18\nfeatures:\n  a: {done_on: 2027-01-12}\n"
        "  b: {started_on: 2027-01-13, remaining: {fixed: 4}}\n  m: {done_on: 2027-01-14}\n"
        "actual_cost: {web: 1000, mob: 400}\n",
        plan(),
    )
    c = compile_with_status(plan(), status, seed=3)
    out = run(engine, c)
    assert out.done is not None and out.money is not None
    for f, day in {"a": 6, "b": 13, "m": 8, "n": 19}.items():
        i = c.feature_ids.index(f)
        assert set(done_day(out.done[:, i]).tolist()) == {day}, f
    np.testing.assert_allclose(out.money[:, MONEY_COST], 2300.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_everything_done_by_as_of_equals_the_actuals(engine: str) -> None:
    status = status_from_text(
        "as_of: 2027-03-01\nfeatures:\n  a: {done_on: 2027-01-20}\n  b: {done_on: 2027-02-10}\n"
        "  m: {done_on: 2027-01-29}\n  n: {done_on: 2027-02-26}\n"
        "actual_cost: {web: 3210, mob: 1234.5}\n",
        plan(),
    )
    c = compile_with_status(plan(), status, seed=1)
    out = run(engine, c)
    assert out.done is not None and out.money is not None
    cal = c.calendar
    for fid, fs in status.features.items():
        assert fs.done_on is not None
        i = c.feature_ids.index(fid)
        assert (cal.date_of(done_day(out.done[:, i])) == np.datetime64(fs.done_on)).all()
    np.testing.assert_allclose(out.money[:, MONEY_COST], 3210 + 1234.5)


def test_as_of_start_without_entries_is_the_plain_forecast_bit_for_bit() -> None:
    scn = load(ROOT / "scenarios" / "digital-portfolio.yaml")
    plain = forecast(scn, trials=400, seed=7, keep_trials=True)
    again = forecast(scn, trials=400, seed=7, keep_trials=True, status=empty_status(scn.start))
    for name in ("feat_hist", "team_hist", "team_cap", "money", "month_cost", "done", "start"):
        np.testing.assert_array_equal(getattr(plain.raw, name), getattr(again.raw, name), name)


@pytest.mark.parametrize("name", ["digital-2027-03", "digital-2027-06", "digital-2027-10"])
def test_engines_agree_trial_by_trial_on_a_re_forecast(name: str) -> None:
    from portfolio_sim.scenario.status import load_status

    scn = load(ROOT / "scenarios" / "digital-portfolio.yaml")
    c = compile_with_status(
        scn, load_status(ROOT / "scenarios" / "status" / f"{name}.yaml", scn), 11
    )
    fast, des = run_fast(c, 60, keep_trials=True), run_des(c, 60)
    assert fast.done is not None and des.done is not None
    h = c.horizon_days
    days = [np.where(np.isinf(x.done), h, done_day(np.where(np.isinf(x.done), 1, x.done)))
            for x in (fast, des)]  # fmt: skip
    np.testing.assert_array_equal(days[0], days[1])
    assert fast.money is not None and des.money is not None
    np.testing.assert_allclose(fast.money, des.money, rtol=1e-9, atol=1e-6)


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        status_from_text(text, plan(), "st.yaml")
    return [str(p) for p in info.value.problems]


COSTS = "actual_cost: {web: 1, mob: 1}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("as_of: 2027-02-01\nfeatures:\n  a: {done_on: 2027-02-03}\n" + COSTS,
         "st.yaml:3: features.a.done_on: 2027-02-03 is not before as_of 2027-02-01"),
        ("as_of: 2027-02-01\nfeatures:\n  a: {done_on: 2027-01-20}\n  b: {done_on: 2027-01-10}\n"
         + COSTS, "st.yaml:4: features.b.done_on: done on 2027-01-10, before its dependency a"),
        ("as_of: 2027-02-01\nfeatures:\n  b: {done_on: 2027-01-20}\n" + COSTS,
         "st.yaml:3: features.b.done_on: done, but its dependency a is not"),
        ("as_of: 2027-02-01\nfeatures:\n  a:\n    done_on: 2027-01-20\n"
         "    remaining_fraction: 0.5\n" + COSTS,
         "st.yaml:5: features.a.remaining_fraction: remaining work on a done feature"),
        ("as_of: 2027-01-04\nactual_cost: {web: 10}\n",
         "st.yaml:2: actual_cost.web: actual cost before the start"),
        ("as_of: 2027-02-01\nfeatures:\n  zz: {done_on: 2027-01-20}\n" + COSTS,
         "st.yaml:3: features.zz: unknown feature"),
        ("as_of: 2027-02-01\nactual_cost: {web: 1, mob: 1, wbe: 3}\n",
         "st.yaml:2: actual_cost.wbe: unknown team"),
        ("as_of: 2027-02-01\nactual_cost: {web: 1}\n",
         "st.yaml:2: actual_cost: the cost to date of every team is needed"),
        ("as_of: 2027-02-01\nfeatures:\n  a: {started_on: 2027-01-20, remaining_fraction: 0}\n"
         + COSTS, "st.yaml:3: features.a.remaining_fraction: a started feature has work left"),
        ("as_of: 2027-02-01\nfeatures:\n  a: {started_on: 2027-01-20, items_done: 3}\n" + COSTS,
         "st.yaml:3: features.a.items_done: items_done is for features of throughput teams"),
    ],
)  # fmt: skip
def test_status_errors_are_located(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in _problems(text)), _problems(text)


def test_cli_bad_status_exits_2_with_file_line(tmp_path: Path) -> None:
    scn = tmp_path / "plan.yaml"
    scn.write_text(PLAN)
    bad = tmp_path / "st.yaml"
    bad.write_text("as_of: 2027-02-01\nfeatures:\n  a: {done_on: 2027-03-01}\n" + COSTS)
    out = tmp_path / "out.json"
    res = subprocess.run(
        [sys.executable, "-m", "portfolio_sim", "forecast", str(scn), "--status", str(bad),
         "--trials", "10", "--json", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 2
    assert f"{bad}:3: features.a.done_on:" in res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.integers(min_value=1, max_value=60),
    a_done=st.booleans(),
    frac=st.floats(min_value=0.01, max_value=1.0),
    cost=st.floats(min_value=0.0, max_value=1e6),
)
def test_re_forecast_never_dates_unfinished_work_before_as_of_nor_costs_less(
    days: int, a_done: bool, frac: float, cost: float
) -> None:
    scn = plan()
    as_of = np.busday_offset(np.datetime64(scn.start), days, roll="forward").astype(dt.date)
    feats: dict[str, object] = {}
    if a_done:
        feats["a"] = {"done_on": scn.start.isoformat()}
    else:
        feats["a"] = {"started_on": scn.start.isoformat(), "remaining_fraction": frac}
    text = f"as_of: {as_of}\nfeatures: {feats}\nactual_cost: {{web: {cost!r}, mob: 0}}\n"
    text = text.replace("'", "")
    status: Status = status_from_text(text, scn)
    c = compile_with_status(scn, status, seed=days)
    out = run_fast(c, 50, keep_trials=True)
    assert out.done is not None and out.money is not None
    first = np.datetime64(as_of)
    for f, fid in enumerate(c.feature_ids):
        if fid in status.features and status.features[fid].done_on is not None:
            continue
        ok = np.isinf(out.done[:, f])
        dates = c.calendar.date_of(done_day(np.where(ok, 1.0, out.done[:, f])))
        assert (ok | (dates >= first)).all(), fid
    assert (out.money[:, MONEY_COST] >= cost - 1e-6 * max(cost, 1.0)).all()


def test_plain_compile_has_no_pins() -> None:
    c = compile_scenario(plan(), 0)
    assert c.feat_pin.shape == (0,)


@pytest.mark.parametrize("name", ["digital-2027-03", "digital-2027-06", "digital-2027-10"])
def test_bundled_status_files_re_forecast_from_the_command_line(name: str, tmp_path) -> None:
    """The CLI path validates the status against the scenario as the engines see it (with
    the hidden teams of duration tasks and shared features, which cost nothing and need
    no actual cost)."""
    from portfolio_sim.cli import main

    out = tmp_path / "f.json"
    args = ["forecast", str(ROOT / "scenarios" / "digital-portfolio.yaml"), "--quiet"]
    args += ["--status", str(ROOT / "scenarios" / "status" / f"{name}.yaml")]
    assert main([*args, "--trials", "200", "--json", str(out)]) == 0
    assert out.exists()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("on", "shock"), [("2027-02-01", 5000.0), ("2027-01-11", 0.0)])
def test_cost_shock_after_as_of_is_paid_one_before_is_in_the_actuals(
    engine: str, on: str, shock: float
) -> None:
    # The hand-computed case above (cost 2,300) with a certain 5,000 shock (§5.4): paid on
    # Mon 02-01, after as_of (01-18), it is forecast; paid on 01-11 it is history (§11.2).
    text = PLAN + f"risks:\n  - {{id: fine, probability: 1, cost: {{fixed: 5000}}, on: {on}}}\n"
    scn = load_text(text, "yaml", "plan.yaml")
    status = status_from_text(
        "as_of: 2027-01-18\nfeatures:\n  a: {done_on: 2027-01-12}\n"
        "  b: {started_on: 2027-01-13, remaining: {fixed: 4}}\n  m: {done_on: 2027-01-14}\n"
        "actual_cost: {web: 1000, mob: 400}\n",
        scn,
    )
    out = run(engine, compile_with_status(scn, status, seed=3))
    assert out.money is not None
    np.testing.assert_allclose(out.money[:, MONEY_COST], 2300.0 + shock)
