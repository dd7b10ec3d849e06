"""Sensitivity (tornado) and criticality."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.decide.inputs import dist_quantile, hold, pert_quantile, uncertain_inputs
from portfolio_sim.decide.sensitivity import critical_chains, criticality, sensitivity
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text

#: Only a's effort is uncertain in a way that matters: the risk has no impact (a delay of
#: 0 days) and the staffing change comes after all work is done.
ONE_INPUT = """\
name: One input
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: web, members: 1, cost_per_member_day: 100,
     changes: [{on: 2027-11-01, members: 2, ramp_days: 20}]}
features:
  - {id: a, team: web, priority: 1, effort: {uniform: [10, 30]}}
  - {id: b, team: web, priority: 2, depends_on: [a], effort: {fixed: 10}}
risks:
  - {id: r, probability: 0.5, affects: [b], delay: {fixed: 0}}
"""


def scenario(text: str):
    return load_text(text, "yaml", "s.yaml")


def test_single_uncertain_input_carries_the_whole_swing():
    scn = scenario(ONE_INPUT)
    keys = [i.key for i in uncertain_inputs(scn)]
    assert keys == ["features.a.effort", "teams.web.changes.0.ramp_days", "risks.r"]
    result = sensitivity(scn, trials=400, seed=3)
    table = result.table.set_index("input")
    # a held at P10 = 12 and P90 = 28 person-days: the chain a -> b ends at 22 or 38
    assert table.loc["features.a.effort", "finish_low_days"] + result.base["finish_p85_day"] == 21
    assert table.loc["features.a.effort", "finish_high_days"] + result.base["finish_p85_day"] == 37
    assert table.loc["features.a.effort", "finish_swing_days"] == 16
    assert table.loc["features.a.effort", "npv_swing"] == pytest.approx(16 * 100, abs=1e-6)
    for other in ("teams.web.changes.0.ramp_days", "risks.r"):
        assert table.loc[other, "finish_swing_days"] == 0
        assert table.loc[other, "npv_swing"] == pytest.approx(0, abs=1e-9)
    assert result.table["input"].iloc[0] == "features.a.effort"  # ranked first
    assert "Tornado" in result.to_text()
    svg = result.to_svg()
    assert svg.startswith("<svg") and "features.a.effort" in svg


def test_holding_keeps_every_other_draw():
    text = ONE_INPUT.replace("effort: {fixed: 10}", "effort: {pert: [5, 10, 30]}")
    scn = scenario(text)
    inp = next(i for i in uncertain_inputs(scn) if i.key == "features.a.effort")
    base = forecast(scn, trials=300, seed=5, keep_trials=True)
    held = forecast(hold(scn, inp, "high"), trials=300, seed=5, keep_trials=True)
    assert base.raw.size is not None and held.raw.size is not None
    np.testing.assert_array_equal(base.raw.size[:, 1], held.raw.size[:, 1])  # b unchanged
    assert np.all(held.raw.size[:, 0] == pytest.approx(28.0))


def test_risk_and_success_held_at_fires_and_succeeds():
    text = ONE_INPUT.replace(
        "effort: {fixed: 10}}",
        "effort: {fixed: 10},\n     value: {per_month: 1000, success_probability: 0.5}}",
    )
    scn = scenario(text)
    kinds = {i.kind: i for i in uncertain_inputs(scn)}
    assert hold(scn, kinds["risk"], "high").risks[0].probability == 1.0
    assert hold(scn, kinds["risk"], "low").risks[0].probability == 0.0
    held = hold(scn, kinds["success"], "high").feature("b").value
    assert held is not None and held.success_probability == 1.0


def test_pert_quantile_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for lo, mode, hi in ((20, 35, 70), (0, 0, 10), (1, 9, 10), (5, 5, 5)):
        for q in (0.1, 0.5, 0.9):
            got = pert_quantile(lo, mode, hi, q)
            if hi == lo:
                assert got == lo
                continue
            a = 1 + 4 * (mode - lo) / (hi - lo)
            b = 1 + 4 * (hi - mode) / (hi - lo)
            assert got == pytest.approx(
                lo + (hi - lo) * stats.beta.ppf(q, a, b), abs=1e-6 * (hi - lo)
            )


def test_throughput_with_zero_p10_is_held_at_lowest_positive():
    text = """\
name: TP
start: 2027-01-04
teams:
  - {id: m, throughput: {samples: [0, 0, 3, 5, 2]}}
features:
  - {id: x, team: m, items: {fixed: 10}}
"""
    scn = scenario(text)
    (inp,) = uncertain_inputs(scn)
    held = hold(scn, inp, "low").team("m").throughput
    assert held is not None and held.fixed == 2
    assert dist_quantile(scn.team("m").throughput, 0.9) == 5


def test_throughput_held_at_quantiles_of_its_mean_rate():
    text = """\
name: TP
start: 2027-01-04
teams:
  - {id: m, throughput: {samples: [0, 0, 3, 5, 2]}}
features:
  - {id: x, team: m, items: {fixed: 40}}
"""
    scn = scenario(text)
    (inp,) = uncertain_inputs(scn)
    low = hold(scn, replace(inp, periods=20), "low").team("m").throughput
    high = hold(scn, replace(inp, periods=20), "high").team("m").throughput
    assert low is not None and high is not None and low.samples and high.samples
    # the history scaled down / up around its mean of 2 items per week
    assert 0.5 < low.samples[2] / 3 < 1 < high.samples[2] / 3 < 1.5
    row = sensitivity(scn, trials=300, seed=1).table.iloc[0]
    assert row["held_low"].startswith("mean P10") and row["finish_swing_days"] > 0
    assert row["finish_low_days"] > 0 > row["finish_high_days"]


CHAIN = """\
name: Chain
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: web, members: 1}
  - {id: app, members: 1}
features:
  - {id: a, team: web, effort: {uniform: [5, 15]}}
  - {id: b, team: app, depends_on: [a], effort: {pert: [5, 10, 20]}}
  - {id: c, team: web, depends_on: [b], effort: {uniform: [5, 15]}}
  - {id: side, team: app, priority: 9, effort: {fixed: 1}}
"""


def test_criticality_of_a_serial_chain_is_one():
    fc = forecast(scenario(CHAIN), trials=500, seed=1, keep_trials=True)
    crit = criticality(fc).set_index("id")["criticality"]
    assert crit["a"] == crit["b"] == crit["c"] == 1.0
    assert crit["side"] == 0.0


def test_criticality_through_a_team_wait():
    text = """\
name: Wait
start: 2027-01-04
teams:
  - {id: web, members: 1}
  - {id: app, members: 1}
features:
  - {id: x, team: web, priority: 1, effort: {fixed: 10}}
  - {id: y, team: web, priority: 2, effort: {fixed: 5}}
  - {id: z, team: app, effort: {fixed: 3}}
"""
    fc = forecast(scenario(text), trials=20, seed=1, keep_trials=True)
    crit = criticality(fc).set_index("id")["criticality"]
    assert crit["x"] == crit["y"] == 1.0 and crit["z"] == 0.0


def test_critical_chains_rules_by_hand():
    inf = np.inf
    # f0 -> f2 (dependency), f1 same team as f2 done at f2's start, f3 not done
    done = np.array([[5.0, 8.0, 12.0, 1.0], [5.0, 8.0, 12.0, inf]])
    start = np.array([[0.0, 0.0, 8.0, 0.0], [0.0, 0.0, 8.0, 2.0]])
    dep_ptr = np.array([0, 0, 0, 1, 1])
    dep_idx = np.array([0])
    team = np.array([0, 1, 1, 2])
    on = critical_chains(done, start, dep_ptr, dep_idx, team, np.zeros(4))
    assert on[0].tolist() == [False, True, True, False]  # waited for its team: f1
    assert on[1].tolist() == [False, False, False, True]  # not done: starts at f3


def test_cli_sensitivity(tmp_path: Path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(ONE_INPUT)
    svg, csv = tmp_path / "t.svg", tmp_path / "t.csv"
    code = main(["sensitivity", str(path), "--trials", "100", "--svg", str(svg), "--csv", str(csv)])
    assert code == 0
    assert "Criticality" in capsys.readouterr().out
    assert svg.read_text().startswith("<svg")
    assert csv.read_text().startswith("input,")
