"""Exports: the Excel workbook reads back with the CSV's numbers; provenance everywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import portfolio_sim
from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.formatting import label
from portfolio_sim.results.excel import heading, is_money, is_percent, money_format

openpyxl = pytest.importorskip("openpyxl")

ACME = Path(__file__).parent / "data" / "acme.yaml"
SHA = hashlib.sha256(ACME.read_bytes()).hexdigest()
PROVENANCE_KEYS = {"seed", "trials", "engine", "scenario_sha256", "portfolio_sim", "numpy"}
PROVENANCE_KEYS |= {"numba", "created"}


@pytest.fixture(scope="module")
def cmp() -> portfolio_sim.Comparison:
    return portfolio_sim.compare(ACME, trials=400, seed=3)


@pytest.fixture(scope="module")
def fc() -> portfolio_sim.Forecast:
    return portfolio_sim.forecast(ACME, trials=400, seed=3)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _same_cell(csv_value: Any, xl_value: Any) -> bool:
    """One CSV cell (as pandas reads it) against the workbook's cell (as openpyxl does)."""
    if _missing(csv_value) or _missing(xl_value):
        return _missing(csv_value) and _missing(xl_value)
    if isinstance(xl_value, dt.datetime | dt.date):
        return pd.Timestamp(csv_value) == pd.Timestamp(xl_value)
    if isinstance(xl_value, bool):
        return str(csv_value) == str(xl_value)
    if isinstance(xl_value, int | float):
        # openpyxl stores 16 significant digits (Excel itself shows 15): equal to that
        return math.isclose(float(csv_value), float(xl_value), rel_tol=1e-15, abs_tol=0.0)
    return str(csv_value) == str(xl_value)


def _assert_workbook_matches_csv(xlsx: Path, folder: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    csvs = sorted(p.stem for p in folder.glob("*.csv"))
    assert csvs and set(csvs) <= set(wb.sheetnames)
    for name in csvs:
        csv = pd.read_csv(folder / f"{name}.csv", dtype=object, keep_default_na=False)
        rows = list(wb[name].iter_rows(values_only=True))
        # human headings in the workbook, the machine keys in the CSV: one for one
        assert list(rows[0]) == [heading(c, csv) for c in csv.columns], name
        assert len(rows) - 1 == len(csv), name
        for r, row in enumerate(rows[1:]):
            for c, xl_value in enumerate(row):
                csv_value = csv.iat[r, c]
                assert _same_cell(csv_value, xl_value), (
                    name,
                    r,
                    csv.columns[c],
                    csv_value,
                    xl_value,
                )


def test_comparison_workbook_reads_back_as_csv(
    cmp: portfolio_sim.Comparison, tmp_path: Path
) -> None:
    cmp.to_csv(str(tmp_path / "csv"))
    cmp.to_excel(str(tmp_path / "c.xlsx"))
    _assert_workbook_matches_csv(tmp_path / "c.xlsx", tmp_path / "csv")
    # and pandas reads the same numbers
    xl = pd.read_excel(tmp_path / "c.xlsx", sheet_name=None)
    csv = pd.read_csv(tmp_path / "csv" / "portfolio.csv")
    assert xl["portfolio"][label("npv_mean_delta")].tolist() == pytest.approx(
        csv["npv_mean_delta"].tolist(), rel=1e-15
    )
    assert list(pd.to_datetime(csv["finish_p85"])) == list(xl["portfolio"][label("finish_p85")])
    paired = pd.read_csv(tmp_path / "csv" / "paired.csv")
    assert xl["paired"][label("worth_more_probability")].tolist() == pytest.approx(
        paired["worth_more_probability"].tolist(), rel=1e-15
    )


def test_forecast_workbook_reads_back_as_csv(fc: portfolio_sim.Forecast, tmp_path: Path) -> None:
    fc.to_csv(str(tmp_path / "csv"))
    fc.to_excel(str(tmp_path / "f.xlsx"))
    _assert_workbook_matches_csv(tmp_path / "f.xlsx", tmp_path / "csv")


def test_workbook_formats(cmp: portfolio_sim.Comparison, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    cmp.to_excel(str(path))
    wb = openpyxl.load_workbook(path)
    euro = money_format("EUR")
    assert euro == '#,##0 "EUR"'
    ws = wb["portfolio"]
    header = [c.value for c in ws[1]]
    row = {h: ws.cell(row=2, column=k + 1) for k, h in enumerate(header)}
    assert header[:2] == ["Scenario", "Finish P50"]  # human headings, not the CSV keys
    row = {key: row[label(key)] for key in map(str, cmp.portfolio.columns)}
    assert row["finish_p50"].is_date and row["finish_p50"].number_format == "yyyy-mm-dd"
    assert row["cost_p50"].number_format == euro
    assert row["npv_mean_delta"].number_format == euro
    assert row["budget_overrun_probability"].number_format == "0.0%"
    assert isinstance(row["cost_p80"].value, int | float)
    months = wb["months"]
    mh = [c.value for c in months[1]]
    assert months.cell(row=2, column=mh.index(label("cumulative_p50")) + 1).number_format == euro
    prov = {r[0]: r[1] for r in wb["provenance"].iter_rows(min_row=2, values_only=True)}
    assert prov["scenario_sha256"] == SHA and prov["seed"] == "3"


def test_forecast_workbook_portfolio_rows(fc: portfolio_sim.Forecast, tmp_path: Path) -> None:
    """The forecast's portfolio sheet mixes a date row (finish) and money rows."""
    path = tmp_path / "f.xlsx"
    fc.to_excel(str(path))
    ws = openpyxl.load_workbook(path)["portfolio"]
    header = [c.value for c in ws[1]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    p50 = header.index("P50")
    assert rows["finish"][p50].is_date
    assert rows["cost"][p50].number_format == '#,##0 "EUR"'
    assert rows["npv"][p50].number_format == '#,##0 "EUR"'


def test_column_classes() -> None:
    assert is_money("cost_p50") and is_money("npv_delta_mean") and is_money("value_pv_mean")
    assert not is_money("budget_overrun_probability") and not is_money("finish_p50_delta_days")
    assert is_percent("deadline_probability") and is_percent("not_done_share")
    assert money_format('US"D') == '#,##0 "USD"'


def test_provenance_in_every_output(
    cmp: portfolio_sim.Comparison, fc: portfolio_sim.Forecast, tmp_path: Path
) -> None:
    for meta in (cmp.meta, fc.meta, *(f.meta for f in cmp.forecasts.values())):
        assert set(meta) >= PROVENANCE_KEYS
        assert meta["scenario_sha256"] == SHA and meta["seed"] == 3 and meta["trials"] == 400
        assert meta["engine"] == "fast"
    assert json.loads(cmp.to_json())["provenance"]["scenario_sha256"] == SHA
    assert json.loads(fc.to_json())["provenance"]["scenario_sha256"] == SHA
    assert SHA in cmp.to_html() and SHA in fc.to_html()
    cmp.to_csv(str(tmp_path / "csv"))
    prov = pd.read_csv(tmp_path / "csv" / "provenance.csv").set_index("key")["value"]
    assert prov["scenario_sha256"] == SHA and prov["numpy"] == cmp.meta["numpy"]


def test_exports_are_atomic_and_protect_inputs(
    cmp: portfolio_sim.Comparison, tmp_path: Path
) -> None:
    target = tmp_path / "c.xlsx"
    cmp.to_excel(str(target))
    assert [p.name for p in tmp_path.iterdir()] == ["c.xlsx"]  # no temp file left
    with pytest.raises(InputError, match="refusing to overwrite"):
        cmp.to_excel(str(target), protect=[str(target)])
    with pytest.raises(InputError, match="does not exist"):
        cmp.to_excel(str(tmp_path / "missing" / "c.xlsx"))


def test_json_has_no_nan(cmp: portfolio_sim.Comparison) -> None:
    text = cmp.to_json()
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text)
    feats = doc["comparison"]["features"]
    one_click = next(f for f in feats if f["id"] == "one-click" and f["scenario"] == "base")
    assert one_click["deadline"] == "2027-06-30" and not math.isnan(
        one_click["deadline_probability"]
    )


def test_cli_forecast_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "f.xlsx"
    args = ["forecast", str(ACME), "--trials", "200", "--seed", "1", "--quiet", "--xlsx", str(out)]
    assert main(args) == 0
    wb = openpyxl.load_workbook(out)
    assert {"features", "teams", "portfolio", "months", "provenance"} <= set(wb.sheetnames)
