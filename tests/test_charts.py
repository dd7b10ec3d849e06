"""Report charts (report/charts.py, report/svg.py): what each draws, read back from the SVG
with an XML parser (positions mapped to dates through the axis' own tick labels)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.report import charts, svg

NAT = pd.NaT
NS = "{http://www.w3.org/2000/svg}"
ACME = Path(__file__).parent / "data" / "acme.yaml"


def _day(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


FEATURES = pd.DataFrame(
    {
        "id": ["never-done", "only-p10-p50", "full", "censored-tail"],
        "p10": [NAT, _day("2027-01-05"), _day("2027-02-01"), _day("2027-03-01")],
        "p50": [NAT, _day("2027-01-09"), _day("2027-02-15"), _day("2027-04-01")],
        "p85": [NAT, NAT, _day("2027-03-01"), NAT],
        "p95": [NAT, NAT, _day("2027-03-10"), NAT],
        "deadline": [_day("2027-03-01"), NAT, _day("2027-02-20"), NAT],
    }
)


def _root(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    return root


def _classed(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if cls in (e.get("class") or "").split()]


def _title(e: ET.Element) -> str:
    t = e.find(f"{NS}title")
    return "" if t is None else t.text or ""


def _text(e: ET.Element) -> str:
    """The visible text of a ``<text>`` (after its hover ``<title>``, if any)."""
    t = e.find(f"{NS}title")
    return (e.text if t is None else t.tail) or ""


def _x_to_day(root: ET.Element):  # noqa: ANN202
    """The inverse of the x scale, from two month-start tick labels and their x."""
    ticks = {}
    for t in _classed(root, "text", "xtick"):
        ticks[float(t.get("x", "nan"))] = svg.day_number(np.datetime64(t.text, "D"))
    (x0, d0), (x1, d1) = sorted(ticks.items())[0], sorted(ticks.items())[-1]
    return lambda x: d0 + (x - x0) * (d1 - d0) / (x1 - x0)


def _days(*s: str) -> list[float]:
    return [svg.day_number(np.datetime64(d, "D")) for d in s]


def test_feature_dates_draws_one_bar_per_feature_done_in_some_trial() -> None:
    root = _root(charts.feature_dates_svg(FEATURES))
    # Rows top-down in table order, every feature labelled (the never-done one too).
    labels = _classed(root, "text", "row-label")
    assert [_text(t) for t in labels] == list(FEATURES["id"])
    ys = [float(t.get("y", "nan")) for t in labels]
    assert ys == sorted(ys)
    rows = _classed(root, "g", "row")
    assert [_title(g).split(":")[0] for g in rows] == ["only-p10-p50", "full", "censored-tail"]
    to_day = _x_to_day(root)
    spans = []
    for g in rows:
        (bar,) = _classed(g, "rect", "bar")
        x, w = float(bar.get("x", "nan")), float(bar.get("width", "nan"))
        spans.append((round(to_day(x) * 2) / 2, round(to_day(x + w) * 2) / 2))
    # A bar ends at P95, else P85, else P50 (positions are rounded to 0.1 px).
    expected = [
        _days("2027-01-05", "2027-01-09"),
        _days("2027-02-01", "2027-03-10"),
        _days("2027-03-01", "2027-04-01"),
    ]
    for got, want in zip(spans, expected, strict=True):
        assert got == pytest.approx(want, abs=0.5)

    def marks(g: ET.Element, **attr: str) -> int:
        return sum(all(p.get(k) == v for k, v in attr.items()) for p in g.iter(f"{NS}path"))

    assert [marks(g, stroke=charts.DARK) for g in rows] == [1, 1, 1]  # P50
    assert [marks(g, stroke=charts.ORANGE) for g in rows] == [0, 1, 0]  # P85
    # The never-done feature's deadline is not drawn: there is no bar to read it against.
    assert [marks(g, fill=charts.RED) for g in rows] == [0, 1, 0]
    assert "deadline 2027-02-20" in _title(rows[1])
    assert "P85 after horizon" in _title(rows[2])


def test_feature_dates_without_any_done_feature_or_rows() -> None:
    root = _root(charts.feature_dates_svg(FEATURES.assign(p10=NAT, p50=NAT)))
    assert _classed(root, "g", "row") == [] and _classed(root, "rect", "bar") == []
    assert charts.feature_dates_svg(FEATURES.iloc[:0]).startswith("<svg")


def _many(n: int, long_every: int = 0) -> pd.DataFrame:
    start = pd.Timestamp("2027-01-04")
    ids = [
        f"feature-{i:03d}"
        + ("-with-a-very-long-descriptive-name-" * 3 if long_every and i % long_every == 0 else "")
        for i in range(n)
    ]
    d = [start + pd.Timedelta(days=3 * i) for i in range(n)]
    return pd.DataFrame(
        {
            "id": ids,
            "p10": d,
            "p50": [x + pd.Timedelta(days=10) for x in d],
            "p85": [x + pd.Timedelta(days=20) for x in d],
            "p95": [x + pd.Timedelta(days=30) for x in d],
            "deadline": [NAT] * n,
        }
    )


@pytest.mark.parametrize("n", [45, 200])
def test_feature_dates_grow_with_the_rows_and_keep_every_name(n: int) -> None:
    """A fixed row height: the chart grows with the feature count; a name too long for
    the label column is shortened with "…" and keeps its full text as hover title."""
    df = _many(n, long_every=7)
    root = _root(charts.feature_dates_svg(df))
    labels = _classed(root, "text", "row-label")
    ys = [float(t.get("y", "nan")) for t in labels]
    assert np.diff(ys) == pytest.approx(charts.ROW)
    shown = [(_text(t), _title(t)) for t in labels]
    for fid, (text, tip) in zip(df["id"], shown, strict=True):
        assert text == fid or (text.endswith("…") and tip == fid and fid.startswith(text[:-1]))
    assert any(text != fid for fid, (text, _) in zip(df["id"], shown, strict=True))
    assert len(_classed(root, "g", "row")) == n
    # No blank band: the plot area ends one row below the last label.
    height = float(root.get("height", "nan"))
    assert height - ys[-1] < charts.ROW / 2 + 60
    small = float(_root(charts.feature_dates_svg(_many(30))).get("height", "nan"))
    assert height - small == pytest.approx((n - 30) * charts.ROW)


MONTHS = pd.DataFrame(
    {
        "month": ["2027-01", "2027-02", "2027-03"],
        "cumulative_p10": [1e6, 2e6, 3e6],
        "cumulative_p50": [1.5e6, 2.5e6, 4e6],
        "cumulative_p90": [2e6, 3e6, 5e6],
        "cost_p10": [1e6, 1e6, 1e6],
        "cost_p50": [1.5e6, 1e6, 1.5e6],
        "cost_p90": [2e6, 1e6, 2e6],
        "capex_p50": [5e5, 0.0, 5e5],
    }
)
TEAMS = pd.DataFrame(
    {
        "id": ["web", "mobile", "data"],
        "kind": ["effort", "throughput", "effort"],
        "utilization": [0.85, np.nan, 1.0],
    }
)


def _all_charts(text: str = "") -> dict[str, str]:
    feats = FEATURES.assign(id=FEATURES["id"] + text)
    return {
        "dates": charts.feature_dates_svg(feats),
        "fan": charts.cost_fan_svg(MONTHS, 4.5e6, "EUR"),
        "monthly": charts.monthly_cost_svg(MONTHS, "EUR"),
        "npv": charts.npv_svg(np.linspace(-2e6, 8e6, 400), "EUR"),
        "teams": charts.utilisation_svg(TEAMS),
    }


def test_charts_are_valid_xml_deterministic_and_every_mark_has_a_hover_title() -> None:
    first, again = _all_charts(), _all_charts()
    assert first == again  # same input, same bytes
    for name, text in first.items():
        root = _root(text)
        assert "http" not in charts.clean_svg(text), name
        data_rects = [
            r for r in root.iter(f"{NS}rect") if r.get("fill") not in ("none", charts.ZEBRA)
        ]
        in_titled_group = {
            id(r) for g in root.iter(f"{NS}g") if _title(g) for r in g.iter(f"{NS}rect")
        }
        legend_y = 60  # legend swatches sit above the plot
        for r in data_rects:
            if float(r.get("y", "0")) < legend_y and float(r.get("width", "0")) <= 18:
                continue
            assert _title(r) or id(r) in in_titled_group, (name, r.attrib)
    npv_bars = [r for r in _root(first["npv"]).iter(f"{NS}rect") if _title(r)]
    assert len(npv_bars) == 60
    assert sum(int(re.search(r": ([\d,]+) trials", _title(r)).group(1)) for r in npv_bars) == 400


def test_labels_are_escaped() -> None:
    root = _root(charts.feature_dates_svg(FEATURES.assign(id=FEATURES["id"] + ' <&> "q"')))
    assert [_text(t) for t in _classed(root, "text", "row-label")][0] == 'never-done <&> "q"'


def test_axes_have_units_and_money_ticks_never_use_exponents() -> None:
    for scale in (1.0, 1e3, 1e6, 3.2e9):
        m = MONTHS.assign(**{c: MONTHS[c] * scale / 1e6 for c in MONTHS.columns[1:]})
        for text in (charts.cost_fan_svg(m, None, "USD"), charts.monthly_cost_svg(m, "USD")):
            ticks = [t.text or "" for t in _classed(_root(text), "text", "ytick")]
            assert ticks and all(t.startswith("USD ") or t == "USD 0" for t in ticks), ticks
            assert not [t for t in ticks if re.search(r"\de|×10|e\+", t)]
            assert len(set(ticks)) == len(ticks)
    axis = [t.text for t in _classed(_root(_all_charts()["monthly"]), "text", "axis-title")]
    assert sorted(axis) == ["Cost per month (EUR)", "Month"]
    teams = [t.text for t in _classed(_root(_all_charts()["teams"]), "text", "axis-title")]
    assert teams == ["Utilisation (% of paid capacity)"]


def test_money_labels_fall_back_to_whole_units_when_short_ones_collide() -> None:
    lo, hi, ticks = svg.nice_domain(1_000_000, 1_000_400, 5)
    labels = svg.money_labels(ticks, "EUR")
    assert labels[0] == "EUR 1,000,000" and len(set(labels)) == len(labels)
    assert svg.money_labels([0, 500_000, 1_000_000], "EUR") == ["EUR 0", "EUR 500k", "EUR 1M"]


def test_nice_domain_and_date_ticks() -> None:
    assert svg.nice_domain(0, 6.9e6, 6) == (0, 8e6, [0, 2e6, 4e6, 6e6, 8e6])
    assert svg.nice_domain(-2.1, 7.3, 5)[2] == [-4, -2, 0, 2, 4, 6, 8]
    lo, hi = _days("2027-01-10", "2028-12-20")
    ticks = svg.date_ticks(lo, hi, 10)
    assert [lab for _, lab in ticks] == [
        "2027-04",
        "2027-07",
        "2027-10",
        "2028-01",
        "2028-04",
        "2028-07",
        "2028-10",
    ]
    assert all(d == _days(lab + "-01")[0] for d, lab in ticks)
    short = svg.date_ticks(*_days("2027-03-01", "2027-03-20"), 5)
    assert [lab for _, lab in short] == ["2027-03-01", "2027-03-08", "2027-03-15"]  # Mondays
    assert math.isnan(svg.day_number(NAT)) and math.isnan(svg.day_number(None))


def test_html_reports_import_no_matplotlib(tmp_path: Path) -> None:
    """The forecast and compare HTML reports draw their charts without matplotlib
    (importing pyplot alone cost about half a second of a 1.5 s budget)."""
    code = f"""
import sys
from portfolio_sim.cli import main
assert main(["forecast", {str(ACME)!r}, "--trials", "200", "--quiet", "--html", {str(tmp_path / "f.html")!r}]) == 0
assert main(["compare", {str(ACME)!r}, "--trials", "200", "--quiet", "--html", {str(tmp_path / "c.html")!r}]) == 0
assert "matplotlib" not in sys.modules, sorted(m for m in sys.modules if "matplotlib" in m)[:5]
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    for name in ("f.html", "c.html"):
        page = (tmp_path / name).read_text()
        assert page.count("<svg") >= 4
        for block in re.findall(r"<svg.*?</svg>", page, flags=re.S):
            ET.fromstring(block.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1))
