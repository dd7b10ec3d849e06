"""A saved EVM baseline (docs/model.md §11.4): written by ``forecast --save-baseline``,
read back through the status file's ``baseline`` or ``--baseline``; the plan and status
are those of tests/test_evm.py (BAC 3,000; PV on day 15 = 1,500; EV 1,800)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.forecasting import forecast, plan_baseline
from portfolio_sim.results.evm_baseline import load_baseline, save_baseline
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.status import status_from_text

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
STATUS = """\
as_of: 2027-01-25
features:
  a: {done_on: 2027-01-15}
  b: {started_on: 2027-01-18, remaining_fraction: 0.6}
actual_cost: {web: 1700}
"""

# b twice as big: the plan's own baseline moves (BAC 5,000, b's budget 4,000 over days
# 10-49, planned finish Fri 03-12); the saved one keeps BAC 3,000 and PV(15) = 1,500
CHANGED = PLAN.replace("effort: {fixed: 20}", "effort: {fixed: 40}")


def _ev(fc) -> dict:  # type: ignore[no-untyped-def]
    return {k: v for k, v in fc.earned_value.to_dict().items() if k != "baseline_file"}


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_saved_baseline_gives_the_same_evm_as_the_plan_run_again(
    engine: str, tmp_path: Path
) -> None:
    scn = load_text(PLAN, "yaml", "plan.yaml")
    status = status_from_text(STATUS, scn, "st.yaml")
    path = tmp_path / "base.json"
    base = plan_baseline(scn, trials=8, seed=4, engine=engine)
    save_baseline(
        base, path, {"seed": 4, "engine": engine}, forecast(scn, trials=1).compiled.calendar
    )
    again = forecast(scn, trials=8, seed=4, engine=engine, status=status)
    saved = forecast(scn, trials=8, seed=4, engine=engine, status=status, baseline=path)
    assert again.earned_value.baseline_file is None
    assert saved.earned_value.baseline_file == str(path)
    assert _ev(saved) == _ev(again)  # exactly: JSON keeps every float
    assert f"baseline: saved in {path}, 8 trials" in saved.to_text()
    assert f"Against the baseline saved in {path}" in saved.to_html()
    assert load_baseline(path, scn.start) == base


def test_with_a_changed_plan_the_planned_value_stays_the_saved_one(tmp_path: Path) -> None:
    old = load_text(PLAN, "yaml", "plan.yaml")
    new = load_text(CHANGED, "yaml", "plan.yaml")
    path = tmp_path / "base.json"
    save_baseline(plan_baseline(old, trials=8), path, {}, forecast(old, trials=1).compiled.calendar)
    status = status_from_text(STATUS, new, "st.yaml")
    moved = forecast(new, trials=8, status=status).earned_value
    kept = forecast(new, trials=8, status=status, baseline=path).earned_value
    assert moved.bac == pytest.approx(5_000) and moved.planned_finish == "2027-03-12"
    assert kept.bac == pytest.approx(3_000) and kept.planned_finish == "2027-02-12"
    assert kept.pv == pytest.approx(1_500)
    # EV by the saved budgets and sizes: a 1,000 + 40 % of b's 2,000
    assert kept.ev == pytest.approx(1_800)
    # the Monte Carlo side is the new plan's: b's 60 % of 40 = 24 days left from day 15
    assert kept.mc_cost == moved.mc_cost == {"p50": pytest.approx(1_700 + 2_400),
                                              "p80": pytest.approx(1_700 + 2_400)}  # fmt: skip


def test_cli_saves_the_baseline_and_the_status_file_points_at_it(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    assert main(["forecast", str(plan), "--trials", "8", "--quiet",
                 "--save-baseline", str(tmp_path / "base.json")]) == 0  # fmt: skip
    doc = json.loads((tmp_path / "base.json").read_text())
    assert doc["format"] == "portfolio-sim-baseline" and doc["bac"] == pytest.approx(3_000)
    assert [f["id"] for f in doc["features"]] == ["a", "b"]
    pv = {r["day"]: r["pv"] for r in doc["planned_value"]}
    assert pv[15] == pytest.approx(1_500) and pv[30] == pytest.approx(3_000)
    plan.write_text(CHANGED)  # the plan changes after the baseline was agreed
    status = tmp_path / "st.yaml"
    status.write_text(STATUS + "baseline: base.json\n")  # relative to the status file
    out = tmp_path / "f.json"
    args = ["forecast", str(plan), "--status", str(status), "--trials", "8", "--quiet"]
    assert main([*args, "--json", str(out)]) == 0
    ev = json.loads(out.read_text())["earned_value"]
    assert ev["baseline_file"] == str(tmp_path / "base.json")
    assert ev["bac"] == pytest.approx(3_000) and ev["pv"] == pytest.approx(1_500)
    # --baseline overrides the status file's
    status.write_text(STATUS)
    (tmp_path / "other.json").write_text((tmp_path / "base.json").read_text())
    assert main([*args, "--json", str(out), "--baseline", str(tmp_path / "other.json")]) == 0
    assert json.loads(out.read_text())["earned_value"]["baseline_file"].endswith("other.json")


def test_bad_baselines_are_refused_naming_the_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    status = tmp_path / "st.yaml"
    status.write_text(STATUS)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    args = ["forecast", str(plan), "--status", str(status), "--trials", "4", "--quiet"]
    assert main([*args, "--baseline", str(bad)]) == 2
    assert f"{bad}: not a usable baseline: not JSON" in capsys.readouterr().err
    assert main(["forecast", str(plan), "--trials", "4", "--baseline", str(bad)]) == 2
    assert "--baseline: only with --status" in capsys.readouterr().err
    assert main(["forecast", str(plan), "--trials", "4", "--save-baseline", str(plan)]) == 2
    assert plan.read_text() == PLAN  # an input is never overwritten
    scn = load_text(PLAN, "yaml", "plan.yaml")
    good = tmp_path / "good.json"
    save_baseline(plan_baseline(scn, trials=4), good, {}, forecast(scn, trials=1).compiled.calendar)
    with pytest.raises(InputError, match="baseline: only with status"):
        forecast(scn, trials=1, baseline=good)
    other = scn.model_copy(update={"start": scn.start.replace(day=5)})
    with pytest.raises(InputError, match="its plan starts on 2027-01-04, this plan on 2027-01-05"):
        load_baseline(good, other.start)
    doc = json.loads(good.read_text())
    good.write_text(json.dumps(dataclasses.asdict(load_baseline(good, scn.start)) | {"x": 1}))
    with pytest.raises(InputError, match="format is not"):
        load_baseline(good, scn.start)
    assert doc["version"] == 1
