"""Warnings when the answer is dominated by not-done trials (issue #13): stderr, exit 0,
JSON ``warnings``; none for a healthy bundled scenario.

BASE runs 2027-01-04 (a Monday) to 2028-12-31: 104 whole weeks, 520 working days, so
team web (2 members, focus 1) can give at most 1040 person-days and team mobile (at most
3 items a week) at most 312 items: hand-computed bounds the messages must show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio_sim import forecast
from portfolio_sim.results.warnings import not_done_warnings
from portfolio_sim.scenario.dominant import dominant_estimates
from scenario_text import BASE, valid

ROOT = Path(__file__).resolve().parent.parent
HUGE = BASE.replace(
    "{id: a, team: web, effort: {fixed: 5}}", "{id: a, team: web, effort: {fixed: 2000}}"
)
WHY_A = (
    "feature a: its effort fixed value (2000 person-days) alone exceeds the 1040 person-days "
    "team web can give by the horizon (520 working days x at most 2 members x focus 1): "
    "the forecast is dominated by it"
)
SUMMARY = (
    "100 % of trials do not finish the portfolio by the horizon (2028-12-31); not done most "
    "often: a (100 %), b (100 %). Dates, costs and utilisation describe mostly unfinished work"
)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portfolio_sim", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_huge_estimate_warns_on_both_engines(engine: str) -> None:
    result = forecast(valid(HUGE), trials=50, seed=1, engine=engine)  # type: ignore[arg-type]
    assert result.warnings == [SUMMARY, WHY_A]
    assert json.loads(result.to_json())["warnings"] == [SUMMARY, WHY_A]


def test_cli_warns_on_stderr_with_exit_0_even_quiet(tmp_path: Path) -> None:
    # pert [10, 20, 1e6]: P(effort > 1040) = (1 - 1030/999990)^5 ~ 0.995 (alpha ~ 1, beta ~ 5)
    (tmp_path / "s.yaml").write_text(
        BASE.replace("effort: {fixed: 5}}", "effort: {pert: [10, 20, 1000000]}}", 1)
    )
    res = run_cli(
        "forecast", "s.yaml", "--trials", "400", "--quiet", "--json", "o.json", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("warning: ") for line in lines)
    # 400 trials at p = 0.995: below 97 % has probability < 1e-3 (binomial)
    share = int(lines[0].removeprefix("warning: ").split(" %")[0])
    assert 97 <= share <= 100
    assert lines[1] == (
        "warning: feature a: its effort pert upper bound (1e+06 person-days) alone exceeds "
        "the 1040 person-days team web can give by the horizon (520 working days x at most "
        "2 members x focus 1): the forecast is dominated by it"
    )
    assert json.loads((tmp_path / "o.json").read_text())["warnings"] == [
        line.removeprefix("warning: ") for line in lines
    ]


def test_bundled_scenario_gets_no_warning(tmp_path: Path) -> None:
    path = ROOT / "scenarios" / "digital-portfolio.yaml"
    res = run_cli(
        "forecast", str(path), "--trials", "300", "--quiet", "--json", "o.json", cwd=tmp_path
    )
    assert res.returncode == 0 and res.stderr == ""
    assert json.loads((tmp_path / "o.json").read_text())["warnings"] == []


def test_dominant_estimates_effort_not_before_and_throughput() -> None:
    text = BASE.replace(
        "{id: b, team: web, effort: {fixed: 5}, depends_on: [a]}",
        # from 2028-01-03 (a Monday) to 2028-12-31: 52 weeks = 260 days, 520 person-days
        "{id: b, team: web, effort: {uniform: [1, 600]}, not_before: 2028-01-03}",
    ).replace("items: {fixed: 4}", "items: {fixed: 313}")
    assert dominant_estimates(valid(text)) == {
        "b": "its effort uniform upper bound (600 person-days) alone exceeds the 520 "
        "person-days team web can give by the horizon (260 working days x at most 2 "
        "members x focus 1)",
        "m": "its items fixed value (313 items) alone exceeds the 312 items team mobile can "
        "finish by the horizon (104 weeks x at most 3 items)",
    }
    at_bound = text.replace("uniform: [1, 600]", "uniform: [1, 520]").replace("313", "312")
    assert dominant_estimates(valid(at_bound)) == {}


def test_not_done_warnings_rule() -> None:
    ids = ["a", "b", "c", "d", "e"]
    assert not_done_warnings(ids, [0.5, 0.5, 0, 0, 0], 0.5, "2028-12-31") == []
    got = not_done_warnings(ids, [0.2, 0.6, 0.3, 0.6, 0.1], 0.51, "2028-12-31", {"c": "why"})
    assert got == [
        "51 % of trials do not finish the portfolio by the horizon (2028-12-31); not done "
        "most often: b (60 %), d (60 %), c (30 %) and 2 more. Dates, costs and utilisation "
        "describe mostly unfinished work",
        "feature c: why: the forecast is dominated by it",
    ]
