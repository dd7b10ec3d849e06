"""``forecast(..., how_many_by=...)``: the how-many table in JSON, CSV, Excel and HTML.

A throughput team that completes exactly 3 items every week (a one-value sample) has
done 3 x (complete weeks) items by a date, in every trial: every column is that number.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from portfolio_sim.cli import main
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario.schema import Scenario

SCENARIO: dict[str, object] = {
    "name": "steady",
    "start": "2027-01-04",  # a Monday
    "horizon": "2027-12-31",
    "teams": [{"id": "flow", "throughput": {"samples": [3], "per": "week"}}],
    "features": [{"id": "a", "team": "flow", "items": {"fixed": 30}}],
}
ITEMS = ("items_at_least_95", "items_at_least_85", "items_p50", "items_at_most_85")
# by Fri 2027-01-29: 4 complete weeks -> 12 items; by Wed 2027-02-10: 5 weeks -> 15
EXPECTED = {"2027-01-29": (4, 12), "2027-02-10": (5, 15)}


def _scenario_file(tmp_path: Path) -> Path:
    import yaml

    path = tmp_path / "steady.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    return path


def test_json_how_many_exact() -> None:
    fc = forecast(Scenario.model_validate(SCENARIO), trials=200, how_many_by=list(EXPECTED))
    doc = json.loads(fc.to_json())["how_many"]
    assert doc["by"] == list(EXPECTED)
    assert [t["id"] for t in doc["teams"]] == ["flow"]
    for row in doc["teams"][0]["dates"]:
        periods, items = EXPECTED[row["date"]]
        assert row["periods"] == periods
        assert all(row[c] == items for c in (*ITEMS, "items_at_most_95"))
        assert row["mean"] == float(items)


def test_default_outputs_have_no_how_many(tmp_path: Path) -> None:
    fc = forecast(Scenario.model_validate(SCENARIO), trials=50)
    assert fc.how_many is None
    assert "how_many" not in fc.to_dict()
    assert "how_many.csv" not in {Path(p).name for p in fc.to_csv(str(tmp_path / "csv"))}
    assert "How many" not in fc.to_html()


def test_cli_how_many_in_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario_file(tmp_path)
    out = tmp_path / "out"
    args = ["forecast", str(path), "--trials", "100", "--how-many-by", "2027-01-29"]
    files = ["--json", f"{out}.json", "--csv", f"{out}-csv", "--xlsx", f"{out}.xlsx"]
    assert main([*args, *files, "--html", f"{out}.html", "--quiet"]) == 0
    assert "Items done by the end of each date" in capsys.readouterr().out
    doc = json.loads(Path(f"{out}.json").read_text())
    assert doc["how_many"]["teams"][0]["dates"][0]["items_p50"] == 12
    csv_lines = Path(f"{out}-csv/how_many.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[:3] == ["team", "date", "periods"]
    assert csv_lines[1].split(",")[:4] == ["flow", "2027-01-29", "4", "12"]
    wb = openpyxl.load_workbook(f"{out}.xlsx")
    assert "how_many" in wb.sheetnames
    sheet_rows = list(wb["how_many"].iter_rows(values_only=True))
    assert sheet_rows[1][0] == "flow" and sheet_rows[1][3] == 12
    html = Path(f"{out}.html").read_text()
    assert "How many items by each date" in html
    assert "<td class='text'>flow</td>" in html or ">flow</td>" in html
