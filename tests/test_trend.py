"""Forecast history (docs/model.md §11.5): snapshots and the trend over them."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.report.trend import trend_dates_svg, trend_html
from portfolio_sim.results import io as results_io
from portfolio_sim.results.snapshots import (
    load_snapshots,
    save_snapshot,
    trend_frame,
    trend_text,
)
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


def _snap(as_of: str, p50: str | None, p85: str | None, cost: float, npv: float) -> dict:
    return {
        "format": "portfolio-sim-snapshot",
        "version": 1,
        "scenario": "s",
        "as_of": as_of,
        "created": f"{as_of}T00:00:00+00:00",
        "currency": "EUR",
        "portfolio": {
            "finish": {"p50": p50, "p85": p85},
            "cost": {"p50": cost - 1, "p80": cost},
            "npv": {"p50": npv, "mean": npv},
        },
    }


def _write(folder: Path, snaps: list[dict]) -> None:
    folder.mkdir(exist_ok=True)
    for i, s in enumerate(snaps):
        (folder / f"{i}.json").write_text(json.dumps(s))


THREE = [  # written out of order: the trend sorts by as_of
    _snap("2027-06-01", "2028-09-22", "2028-11-03", 7_959_044, -247_275),
    _snap("2027-03-01", "2028-07-07", "2028-08-11", 7_074_490, 1_269_358),
    _snap("2027-10-01", "2028-12-15", None, 8_758_177, -1_523_314),
]


def test_snapshot_round_trip_of_a_re_forecast(tmp_path: Path) -> None:
    scn = load_text(PLAN, "yaml", "plan.yaml")
    fc = forecast(scn, trials=4, status=status_from_text(STATUS, scn, "st.yaml"))
    path = save_snapshot(fc, tmp_path / "snaps", "abc")
    again = save_snapshot(fc, tmp_path / "snaps", "abc")
    assert path != again  # a snapshot is never replaced
    (doc,) = load_snapshots(tmp_path / "snaps")[:1]
    assert doc["as_of"] == "2027-01-25" and doc["inputs_sha256"] == "abc"
    # b's 12 days left from day 15: done at t = 27, Tue 2027-02-09 in every trial
    assert doc["portfolio"]["finish"] == {k: "2027-02-09" for k in ("p10", "p50", "p85", "p95")}
    assert doc["features"]["a"]["p50"] == "2027-01-15"
    assert doc["portfolio"]["cost"]["p80"] == pytest.approx(2_900)


def test_snapshot_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scn = load_text(PLAN, "yaml", "plan.yaml")
    fc = forecast(scn, trials=2)

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(results_io.os, "replace", boom)
    with pytest.raises(OSError):
        save_snapshot(fc, tmp_path, None)
    assert list(tmp_path.iterdir()) == []  # neither a half file nor the temporary one


def test_trend_table_values_from_three_snapshots(tmp_path: Path) -> None:
    _write(tmp_path, THREE)
    df = trend_frame(load_snapshots(tmp_path))
    assert [d.isoformat()[:10] for d in df["as_of"]] == ["2027-03-01", "2027-06-01", "2027-10-01"]
    # 2028-08-11 -> 2028-11-03 is 84 days; the last P85 is after the horizon
    assert df["finish_p85_shift_days"].iloc[1] == 84
    assert df["finish_p85"].isna().iloc[2]
    assert df["cost_p80_change"].iloc[2] == pytest.approx(8_758_177 - 7_959_044)
    text = trend_text(df, "EUR")
    lines = text.splitlines()
    assert lines[2].split() == [
        "2027-06-01",
        "2028-09-22",
        "2028-11-03",
        "+84",
        "d",
        "EUR",
        "7,959,044",
        "-EUR",
        "247,275",
    ]
    assert "after horizon" in lines[3]


def test_trend_html_chart_is_valid_xml(tmp_path: Path) -> None:
    _write(tmp_path, THREE)
    df = trend_frame(load_snapshots(tmp_path))
    svg = trend_dates_svg(df)
    root = ET.fromstring(svg)
    paths = [e for e in root.iter() if e.get("class") == "trend-P50"]
    assert len(paths) == 1 and paths[0].get("d", "").count("L") == 2  # three points
    assert any(e.get("class") == "diagonal" for e in root.iter())
    page = trend_html(df, "EUR")
    assert page.count("<svg") == 2 and "+84 d" in page


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portfolio_sim", *args], capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "bad.json:1: not valid JSON"),
        ('{"format": "other"}', "bad.json: format: expected 'portfolio-sim-snapshot'"),
        (json.dumps({**THREE[0], "as_of": "June"}), "bad.json: as_of: a date"),
        (json.dumps({**THREE[0], "portfolio": {"finish": {"p50": None}}}),
         "bad.json: portfolio.finish: p50 and p85 are needed"),
    ],
)  # fmt: skip
def test_trend_cli_bad_snapshot_exits_2(tmp_path: Path, content: str, reason: str) -> None:
    _write(tmp_path, THREE[:1])
    (tmp_path / "bad.json").write_text(content)
    r = _cli("trend", str(tmp_path))
    assert r.returncode == 2
    assert reason in r.stderr
    assert "Traceback" not in r.stderr


def test_trend_cli_missing_or_empty_folder_exits_2(tmp_path: Path) -> None:
    for folder in (tmp_path / "none", tmp_path):
        r = _cli("trend", str(folder))
        assert r.returncode == 2 and "Traceback" not in r.stderr and str(folder) in r.stderr


def test_trend_cli_writes_outputs(tmp_path: Path) -> None:
    snaps = tmp_path / "snaps"
    _write(snaps, THREE)
    out = tmp_path / "out"
    out.mkdir()
    r = _cli("trend", str(snaps), "--html", str(out / "t.html"), "--csv", str(out / "csv"),
             "--json", str(out / "t.json"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "+91 d" not in r.stdout and "+84 d" in r.stdout
    rows = json.loads((out / "t.json").read_text())["trend"]
    assert [r["finish_p85"] for r in rows] == ["2028-08-11", "2028-11-03", None]
    assert (out / "csv" / "trend.csv").read_text().startswith("as_of,finish_p50")
    assert "<svg" in (out / "t.html").read_text()
