"""The human-facing number format (portfolio_sim/formatting.py), money axes on charts, and SVG
files that parse as XML on their own."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portfolio_sim import formatting as fmt
from portfolio_sim.cli import main
from portfolio_sim.report import charts

ACME = Path(__file__).parent / "data" / "acme.yaml"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567.8, "EUR 1,234,568"),
        (0, "EUR 0"),
        (999.4, "EUR 999"),
        (2.5, "EUR 3"),  # halves away from zero, not to even
        (-2.5, "-EUR 3"),
        (-701181.2, "-EUR 701,181"),
        (3.2e12, "EUR 3,200,000,000,000"),  # never scientific notation
        (np.float64(6500000), "EUR 6,500,000"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_money(value: object, text: str) -> None:
    assert fmt.money(value, "EUR") == text


def test_signed_money_and_missing_text() -> None:
    assert fmt.signed_money(5000, "USD") == "+USD 5,000"
    assert fmt.signed_money(-20.4, "USD") == "-USD 20"
    assert fmt.money(None, "EUR", missing="") == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_200_000, "EUR 1.2M"),
        (350_000, "EUR 350k"),
        (2_000_000, "EUR 2M"),
        (999_960, "EUR 1M"),  # rounds up into the next unit, not "1000k"
        (2.5e9, "EUR 2.5bn"),
        (900, "EUR 900"),
        (0, "EUR 0"),
        (-1_500_000, "-EUR 1.5M"),
    ],
)
def test_money_tick(value: float, text: str) -> None:
    assert fmt.money_tick(value, "EUR") == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.851, "85 %"),
        (0.0, "0 %"),
        (1.0, "100 %"),
        (0.996, ">99 %"),  # not exactly certain: never shown as 100 %
        (0.004, "<1 %"),
        (0.005, "1 %"),
        (None, "n/a"),
        (pd.NA, "n/a"),
    ],
)
def test_pct(value: object, text: str) -> None:
    assert fmt.pct(value) == text


def test_iso_date_has_no_time_part() -> None:
    assert fmt.iso_date(pd.Timestamp("2027-03-25 13:45")) == "2027-03-25"
    assert fmt.iso_date(np.datetime64("2027-03-25T00:00:00")) == "2027-03-25"
    assert fmt.iso_date(dt.datetime(2027, 3, 25, 9)) == "2027-03-25"
    assert fmt.iso_date(dt.date(2027, 3, 25)) == "2027-03-25"
    assert fmt.iso_date(pd.NaT, missing="after horizon") == "after horizon"


def test_labels() -> None:
    assert fmt.label("cost_p50") == "Cost P50"
    assert fmt.label("utilization") == "Utilisation"
    assert fmt.label("overrun_probability") == "Chance of overrunning the budget"
    assert fmt.label("something_new_p85") == "Something new P85"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_money_axis_has_currency_ticks_and_no_offset() -> None:
    """Millions on the axis: ticks read "EUR 2M", never a bare number with a "1e6"
    offset above the axis."""
    months = pd.DataFrame(
        {
            "month": ["2027-01", "2027-02", "2027-03"],
            "cumulative_p10": [1e6, 2e6, 3e6],
            "cumulative_p50": [1.5e6, 2.5e6, 4e6],
            "cumulative_p90": [2e6, 3e6, 5e6],
        }
    )
    texts = _texts(charts.cost_fan_svg(months, 4.5e6, "EUR"))
    assert "EUR 2M" in texts and "EUR 4M" in texts
    assert "Cumulative cost (EUR)" in texts
    assert not [t for t in texts if re.search(r"1e\d|×10|e\+0", t)]
    npv = _texts(charts.npv_svg(np.linspace(-2e6, 8e6, 400), "EUR"))
    assert "NPV (EUR)" in npv and any(t.startswith("EUR ") and t.endswith("M") for t in npv)


def test_svg_files_written_by_the_cli_parse_as_xml(tmp_path: Path) -> None:
    """`sensitivity --svg` and `trace --gantt x.svg` write files that an XML parser
    accepts: the svg namespace is declared and every prefix used (the case that broke:
    ``xlink:href`` with its declaration stripped, a fatal XML error) is bound."""
    tornado, gantt = tmp_path / "tornado.svg", tmp_path / "gantt.svg"
    assert main(["sensitivity", str(ACME), "--trials", "100", "--svg", str(tornado)]) == 0
    assert main(["trace", str(ACME), "--trial", "3", "--gantt", str(gantt), "--quiet"]) == 0
    for path in (tornado, gantt):
        text = path.read_text()
        used = set(re.findall(r"[\s<]([A-Za-z]\w*):\w+", text)) - {"xmlns"}
        assert all(f'xmlns:{prefix}="' in text for prefix in used), used
        root = ET.fromstring(text)
        assert root.tag == f"{SVG}svg"
        assert "<metadata>" not in text


def test_inline_svg_is_clean_for_html() -> None:
    """The HTML copy keeps no namespace URL (offline report), the file copy keeps them."""
    svg = charts.feature_dates_svg(
        pd.DataFrame(
            {
                "id": ["a"],
                "p10": [pd.Timestamp("2027-01-04")],
                "p50": [pd.Timestamp("2027-01-08")],
                "p85": [pd.Timestamp("2027-01-12")],
                "p95": [pd.Timestamp("2027-01-15")],
                "deadline": [pd.NaT],
            }
        )
    )
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "http" not in charts.clean_svg(svg)


def test_html_tables_name_their_rows(tmp_path: Path) -> None:
    """The forecast report's teams table is headed "Team", its features table "Feature"
    (both frames key their rows by ``id``)."""
    out = tmp_path / "r.html"
    assert main(["forecast", str(ACME), "--trials", "200", "--quiet", "--html", str(out)]) == 0
    text = out.read_text()
    teams = text[text.index("Teams: utilisation") :]
    first_heading = re.search(r"<table.*?<th[^>]*>([^<]*)</th>", teams, re.S)
    assert first_heading is not None and first_heading.group(1) == "Team"
    feats = text[text.index("When: done dates") :]
    first_heading = re.search(r"<table.*?<th[^>]*>([^<]*)</th>", feats, re.S)
    assert first_heading is not None and first_heading.group(1) == "Feature"


def test_team_cells_name_shared_features_and_duration_tasks() -> None:
    ids = ["a", "s@web", "s@mobile", "s", "audit"]
    teams = ["web", "web", "mobile", "@s", "@audit"]
    assert fmt.team_cells(ids, teams) == [
        "web",
        "web",
        "mobile",
        "shared: web, mobile",
        "duration task",
    ]


def test_human_tables_hide_task_team_ids(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The bundled digital portfolio has a shared feature (loyalty-programme, parts on web
    and mobile) and a duration task (pci-dss-qsa-audit): the terminal and the HTML features
    table name them in words, not by their internal ``@`` team ids (the JSON keeps them)."""
    digital = Path(__file__).parent.parent / "scenarios" / "digital-portfolio.yaml"
    out, js = tmp_path / "r.html", tmp_path / "r.json"
    args = ["forecast", str(digital), "--trials", "300", "--html", str(out), "--json", str(js)]
    assert main(args) == 0
    terminal = capsys.readouterr().out
    feats = out.read_text()
    feats = feats[feats.index("When: done dates") : feats.index("Teams: utilisation")]
    for text in (terminal, feats):
        assert "shared: web, mobile" in text and "duration task" in text
        assert "@loyalty-programme" not in text and "@pci-dss-qsa-audit" not in text
    assert '"team": "@pci-dss-qsa-audit"' in js.read_text()
