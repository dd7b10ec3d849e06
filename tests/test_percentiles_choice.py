"""User-chosen percentile levels (issue #16): API ``forecast(..., percentiles=...)`` and
the CLI's ``--percentiles``.

Exact cases: with ``{fixed: x}`` efforts every trial is the same, so every chosen level is
the same hand-computed date and amount. Calendar Mon-Fri from Monday 2027-01-04 (working
day 0): 10 person-days by 1 member -> t = 10, done on working day 9 = Fri 2027-01-15;
paid days 0..9 x 100 = 1000.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.forecasting import forecast
from portfolio_sim.results.percentiles import (
    check_levels,
    hist_percentiles,
    level_key,
    sample_percentiles,
)
from portfolio_sim.scenario import load_text

SCENARIO = """\
name: Fixed
start: 2027-01-04
horizon: 2027-12-31
calendar: {workdays: [mon, tue, wed, thu, fri]}
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features: [{id: a, team: web, effort: {fixed: 10}}]
"""


def test_level_keys_are_snake_case() -> None:
    assert [level_key(p) for p in (80, 80.0, 97.5, 2.25)] == ["p80", "p80", "p97_5", "p2_25"]


@pytest.mark.parametrize(
    "levels",
    [[], [0, 50], [50, 100], [50, 50], [90, 50], [-5], [float("nan")], [True], "50"],
)
def test_bad_levels_are_refused(levels: object) -> None:
    with pytest.raises(InputError):
        check_levels(levels)  # type: ignore[arg-type]


def test_inverted_cdf_on_hand_made_values() -> None:
    # 10 values 1..10: P-th percentile = smallest v with at least P % of values <= v:
    # P50 -> 5 (5/10 = 50 %), P80 -> 8, P85 -> 9 (8/10 < 85 %), P97.5 -> 10, P12.5 -> 2.
    values = np.arange(1.0, 11.0)
    got = sample_percentiles(values, [12.5, 50, 80, 85, 97.5])
    assert got.tolist() == [2.0, 5.0, 8.0, 9.0, 10.0]
    # the same as a histogram of bins 0..9 with one trial each: bin index = value - 1
    assert hist_percentiles(np.ones(10, dtype=np.int64), [12.5, 50, 80, 85, 97.5]).tolist() == [
        1,
        4,
        7,
        8,
        9,
    ]


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_chosen_levels_in_json_exact(engine: str) -> None:
    fc = forecast(
        load_text(SCENARIO, "yaml"), trials=20, seed=3, engine=engine, percentiles=(50, 80, 97.5)
    )
    doc = fc.to_dict()
    keys = ["p50", "p80", "p97_5"]
    want = dict.fromkeys(keys, "2027-01-15")
    assert doc["portfolio"]["finish"] == want
    assert doc["features"][0]["finish"] == want
    assert doc["teams"][0]["finish"] == want
    assert doc["portfolio"]["cost"] == {"mean": 1000.0, **dict.fromkeys(keys, 1000.0)}
    assert doc["teams"][0]["cost"] == {"mean": 1000.0, **dict.fromkeys(keys, 1000.0)}
    assert set(doc["portfolio"]["npv"]) == {"mean", *keys, "positive_probability"}
    assert list(fc.features.columns[2:5]) == keys
    assert "p85" not in fc.portfolio.columns


def test_default_levels_unchanged() -> None:
    doc = forecast(load_text(SCENARIO, "yaml"), trials=20, seed=3).to_dict()
    assert list(doc["portfolio"]["finish"]) == ["p10", "p50", "p85", "p95"]
    assert list(doc["portfolio"]["cost"]) == ["mean", "p10", "p50", "p80", "p90"]
    assert list(doc["portfolio"]["npv"]) == ["mean", "p10", "p50", "p90", "positive_probability"]


def test_api_refuses_bad_levels() -> None:
    with pytest.raises(InputError, match="increasing"):
        forecast(load_text(SCENARIO, "yaml"), trials=5, percentiles=(90, 50))


def test_cli_percentiles_json_text_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scn = tmp_path / "s.yaml"
    scn.write_text(SCENARIO)
    out, html = tmp_path / "out.json", tmp_path / "r.html"
    args = ["forecast", str(scn), "--trials", "50", "--percentiles", "50,80,90"]
    rc = main([*args, "--json", str(out), "--html", str(html)])
    assert rc == 0
    doc = json.loads(out.read_text())
    port = doc["portfolio"]
    assert port["finish"] == dict.fromkeys(["p50", "p80", "p90"], "2027-01-15")
    assert list(port["cost"]) == ["mean", "p50", "p80", "p90"]
    assert list(port["npv"]) == ["mean", "p50", "p80", "p90", "positive_probability"]
    assert "p85" not in json.dumps(doc["features"]) + json.dumps(port)
    text = capsys.readouterr().out
    assert "Portfolio done   P50 2027-01-15   P80 2027-01-15   P90 2027-01-15" in text
    assert "Portfolio done (P80)" in html.read_text()


@pytest.mark.parametrize("bad", ["50,50", "90,50", "0,50", "50,100", "x", "50,,80"])
def test_cli_bad_percentiles_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    scn = tmp_path / "s.yaml"
    scn.write_text(SCENARIO)
    out = tmp_path / "out.json"
    assert main(["forecast", str(scn), "--percentiles", bad, "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--percentiles" in err and "Traceback" not in err
    assert not out.exists()
