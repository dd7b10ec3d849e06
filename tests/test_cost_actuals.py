"""The re-forecast's cost chart: actual cost to date solid up to as_of, the P10-P90 fan
after, the as-of marker; the table marks actual months (docs/model.md §11.6)."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.report import charts, cost_actuals, svg
from portfolio_sim.report.html import forecast_html
from portfolio_sim.results.text import forecast_text
from portfolio_sim.scenario.load import load_text
from portfolio_sim.scenario.status import status_from_text

NS = "{http://www.w3.org/2000/svg}"

MONTHS = pd.DataFrame(
    {
        "month": ["2027-01", "2027-02", "2027-03", "2027-04"],
        "cumulative_p10": [0.9e6, 1.6e6, 2.4e6, 3.0e6],
        "cumulative_p50": [0.9e6, 1.7e6, 2.7e6, 3.6e6],
        "cumulative_p90": [0.9e6, 1.9e6, 3.1e6, 4.4e6],
    }
)


def _classed(root: ET.Element, tag: str, cls: str, ns: str = NS) -> list[ET.Element]:
    return [e for e in root.iter(f"{ns}{tag}") if cls in (e.get("class") or "").split()]


def _first_point(d: str) -> tuple[float, float]:
    x, y = re.match(r"M([-\d.]+),([-\d.]+)", d).groups()  # type: ignore[union-attr]
    return float(x), float(y)


def _x_to_day(root: ET.Element, ns: str = NS):  # noqa: ANN202
    """The inverse of the x scale, from the first and last month tick and their x."""
    ticks = {
        float(t.get("x", "nan")): svg.day_number(np.datetime64(t.text, "D"))
        for t in _classed(root, "text", "xtick", ns)
    }
    (x0, d0), (x1, d1) = sorted(ticks.items())[0], sorted(ticks.items())[-1]
    return lambda x: d0 + (x - x0) * (d1 - d0) / (x1 - x0)


def test_actuals_are_one_solid_segment_to_as_of_with_their_value_then_the_fan() -> None:
    text = cost_actuals.reforecast_cost_svg(
        MONTHS, 4.5e6, "EUR", "2027-01-04", "2027-02-15", 1_234_567.0
    )
    root = ET.fromstring(text)  # valid XML
    (group,) = _classed(root, "g", "actual")
    title = group.find(f"{NS}title")
    assert title is not None
    assert title.text == "Actual cost to date (as of 2027-02-15): EUR 1,234,567"
    (seg,) = group.iter(f"{NS}line")
    (dot,) = group.iter(f"{NS}circle")
    x_as_of = float(dot.get("cx", "nan"))
    # The segment runs from (start, 0) to the point (as_of, cost to date).
    to_day = _x_to_day(root)
    assert to_day(float(seg.get("x1", "nan"))) == pytest.approx(
        svg.day_number(np.datetime64("2027-01-04")), abs=0.05
    )
    assert to_day(x_as_of) == pytest.approx(svg.day_number(np.datetime64("2027-02-15")), abs=0.05)
    assert float(seg.get("x2", "nan")) == x_as_of
    assert float(seg.get("y2", "nan")) == float(dot.get("cy", "nan"))
    # Its height reads back as the cost to date, against the budget line (y of 0 is
    # where the segment starts).
    (budget,) = _classed(root, "line", "budget")
    y0, y_ctd, y_budget = (float(v) for v in (seg.get("y1"), dot.get("cy"), budget.get("y1")))
    assert (y0 - y_ctd) / (y0 - y_budget) * 4.5e6 == pytest.approx(1_234_567.0, rel=2e-4)
    # The as-of marker is a vertical line at as_of, labelled with the date.
    (marker,) = _classed(root, "line", "as-of")
    assert float(marker.get("x1", "nan")) == float(marker.get("x2", "nan")) == x_as_of
    assert [t.text for t in _classed(root, "text", "as-of")] == ["as of 2027-02-15"]
    legend = [t.text for t in _classed(root, "text", "legend")]
    assert legend[0] == "actual to date (phasing not recorded)"
    assert "forecast P10-P90" in legend and "as of" in legend
    # The fan starts at the actual point and passes through the ends of Feb, Mar, Apr
    # (January ends before as_of: no forecast dot there).
    (band,) = _classed(root, "path", "band")
    (p50,) = _classed(root, "path", "forecast")
    assert _first_point(band.get("d", "")) == _first_point(p50.get("d", "")) == (x_as_of, y_ctd)
    dots = [c for c in root.iter(f"{NS}circle") if c is not dot]
    ends = [to_day(float(c.get("cx", "nan"))) for c in dots]
    expected = [
        svg.day_number(np.datetime64(d)) for d in ("2027-03-01", "2027-04-01", "2027-05-01")
    ]
    assert ends == pytest.approx(expected, abs=0.05)
    tips = [c.find(f"{NS}title").text for c in dots]  # type: ignore[union-attr]
    assert tips[0] == "end of 2027-02: P10 EUR 1,600,000, P50 EUR 1,700,000, P90 EUR 1,900,000"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2027-01-04", ["forecast"] * 4),  # as_of = start: nothing actual
        ("2027-03-01", ["actual (spread evenly)"] * 2 + ["forecast"] * 2),
        (
            "2027-02-15",
            ["actual (spread evenly)", "actual to 02-15, then forecast", "forecast", "forecast"],
        ),
    ],
)
def test_month_basis(as_of: str, expected: list[str]) -> None:
    assert cost_actuals.month_basis(MONTHS["month"], as_of, "2027-01-04") == expected


def test_plain_chart_bytes_are_those_of_main() -> None:
    # SHA-256 of charts.cost_fan_svg on these inputs, recorded on main at 1dc6b4f
    # before the re-forecast chart was added: a forecast without status draws the
    # same bytes as before.
    from test_charts import MONTHS as PLAIN

    got = {
        (b, c): hashlib.sha256(charts.cost_fan_svg(PLAIN, b, c).encode()).hexdigest()
        for b, c in ((4.5e6, "EUR"), (None, ""))
    }
    assert got == {
        (4.5e6, "EUR"): "5094acc3821c5efc719e58d8dd3ea8aaaf42502e9e7461265a47db73cdcf2ab8",
        (None, ""): "f381fc44606ba3c9d8987ef58137c02ee3aa7a270de891cdd26efca4296df05a",
    }


PLAN = """\
name: small
start: 2027-01-04
horizon: 2027-06-30
currency: EUR
budget: {total: 20000}
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
  - {id: mob, throughput: {fixed: 2}, members: 1, cost_per_member_day: 50}
features:
  - {id: a, team: web, effort: {pert: [5, 10, 20]}}
  - {id: b, team: web, effort: {pert: [5, 10, 20]}, depends_on: [a]}
  - {id: m, team: mob, items: {uniform: [2, 9]}}
  - {id: n, team: mob, items: {fixed: 3}, depends_on: [a]}
"""
STATUS = """\
as_of: 2027-02-15
features:
  a: {done_on: 2027-01-12}
  m: {done_on: 2027-01-14}
  b: {started_on: 2027-01-13, remaining: {fixed: 4}}
actual_cost: {web: 3000, mob: 1200}
"""


def _cost_section(html: str) -> tuple[ET.Element, str]:
    """The cost chart (parsed: valid XML) and the table HTML of the cumulative cost."""
    start = html.index("<h2>What it costs")
    end = html.index("<h2>", start + 4)
    section = html[start:end]
    chart = section[section.index("<svg") : section.index("</svg>") + 6]
    return ET.fromstring(chart), section[section.index("<table") :]


def _rows(table: str) -> list[list[str]]:
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table)]
    return [c for c in cells if c]  # not the heading row


def test_reforecast_html_shows_actuals_then_the_fan_and_marks_actual_months() -> None:
    scn = load_text(PLAN, "yaml", "plan.yaml")
    fc = forecast(scn, trials=200, seed=5, status=status_from_text(STATUS, scn, "st.yaml"))
    root, table = _cost_section(forecast_html(fc))
    (group,) = _classed(root, "g", "actual", ns="")
    assert group.findtext("title") == "Actual cost to date (as of 2027-02-15): EUR 4,200"
    assert len(_classed(root, "line", "as-of", ns="")) == 1
    (dot,) = group.iter("circle")
    (p50,) = _classed(root, "path", "forecast", ns="")
    assert _first_point(p50.get("d", "")) == (float(dot.get("cx")), float(dot.get("cy")))  # type: ignore[arg-type]
    assert "<th class='text'>Actual or forecast</th>" in table
    rows = _rows(table)
    assert [r[:2] for r in rows[:3]] == [
        ["2027-01", "actual (spread evenly)"],
        ["2027-02", "actual to 02-15, then forecast"],
        ["2027-03", "forecast"],
    ]
    assert all(r[1] == "forecast" for r in rows[2:])
    # Cost before as_of is the actual in every trial: the first forecast month end
    # (end of Feb) is at least the cost to date in P10.
    assert float(fc.months["cumulative_p10"].iloc[1]) >= 4200
    line = "Actual cost to date (as of 2027-02-15): EUR 4,200"
    assert line in forecast_text(fc).splitlines()


def test_plain_forecast_html_keeps_the_plain_chart_and_table() -> None:
    scn = load_text(PLAN, "yaml", "plan.yaml")
    fc = forecast(scn, trials=200, seed=5)
    root, table = _cost_section(forecast_html(fc))
    plain = charts.clean_svg(charts.cost_fan_svg(fc.months, fc.compiled.budget_total, "EUR"))
    html = forecast_html(fc)
    assert plain in html
    assert not _classed(root, "line", "as-of", ns="") and not _classed(root, "g", "actual", ns="")
    assert "Actual or forecast" not in table
    assert "Actual cost to date" not in forecast_text(fc)


def test_recorded_monthly_phasing_is_drawn_through_each_month_end() -> None:
    """With every team's cost recorded by month, the solid line goes from (start, 0)
    through the actual cumulative cost at each month end before as_of (the months
    table's, the same in every trial) to the total on as_of, and the legend says so."""
    text = cost_actuals.reforecast_cost_svg(
        MONTHS, 4.5e6, "EUR", "2027-01-04", "2027-03-10", 2.0e6, "monthly"
    )
    root = ET.fromstring(text)
    (group,) = _classed(root, "g", "actual")
    (path,) = group.iter(f"{NS}path")
    pts = [tuple(float(v) for v in p.split(",")) for p in path.get("d", "")[1:].split(" L")]
    to_day = _x_to_day(root)
    days = [to_day(x) for x, _ in pts]
    want = ["2027-01-04", "2027-02-01", "2027-03-01", "2027-03-10"]
    assert days == pytest.approx([svg.day_number(np.datetime64(d)) for d in want], abs=0.05)
    (budget,) = _classed(root, "line", "budget")
    y0, yb = pts[0][1], float(budget.get("y1", "nan"))
    costs = [(y0 - y) / (y0 - yb) * 4.5e6 for _, y in pts]
    assert costs == pytest.approx([0.0, 0.9e6, 1.7e6, 2.0e6], abs=2_000)  # 0.1 px
    assert cost_actuals.LEGENDS["monthly"] in text
    assert cost_actuals.month_basis(MONTHS["month"], "2027-03-10", "2027-01-04", "monthly") == [
        "actual (recorded)", "actual (recorded)", "actual to 03-10, then forecast", "forecast"
    ]  # fmt: skip
