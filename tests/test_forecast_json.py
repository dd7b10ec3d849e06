"""The JSON document of a forecast: docs/model.md §9 keys, valid JSON in edge cases."""

from __future__ import annotations

import json

from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario.load import load_text

NO_COST = """\
name: no cost
start: 2027-01-04
horizon: 2027-12-31
teams: [{id: web, members: 1}]
features:
  - {id: a, team: web, effort: {fixed: 5}, value: {per_month: 1000}}
"""


def test_no_people_cost_gives_null_roi_and_valid_json() -> None:
    # Nothing is spent, so ROI (NPV / PV cost) is undefined: null, not NaN (NaN is not JSON).
    fc = forecast(load_text(NO_COST, "yaml", "n.yaml"), trials=10, seed=1)
    doc = json.loads(fc.to_json())
    assert doc["portfolio"]["roi"] is None
    assert doc["portfolio"]["cost"]["p50"] == 0.0
    assert doc["portfolio"]["npv"]["mean"] > 0


def test_model_section_9_keys_present() -> None:
    fc = forecast(load_text(NO_COST, "yaml", "n.yaml"), trials=10, seed=1)
    doc = json.loads(fc.to_json())
    for key in (
        "scenario",
        "variant",
        "trials",
        "seed",
        "features",
        "teams",
        "months",
        "portfolio",
    ):
        assert key in doc
    feat = doc["features"][0]
    assert set(feat["finish"]) == {"p10", "p50", "p85", "p95"}
    for key in ("id", "team", "mean_workdays", "deadline_probability", "not_done_share"):
        assert key in feat
    team = doc["teams"][0]
    assert set(team["cost"]) == {"mean", "p10", "p50", "p80", "p90"}
    assert "utilization" in team
    month = doc["months"][0]
    assert {"month", "cost", "capex", "opex"} <= set(month)
    port = doc["portfolio"]
    assert {"finish", "cost", "npv", "budget_overrun_probability"} <= set(port)
    assert set(port["npv"]) >= {"mean", "p10", "p50", "p90"}
    # 5 person-days by one person from Monday 2027-01-04: done Friday 2027-01-08.
    assert feat["finish"]["p50"] == "2027-01-08"
