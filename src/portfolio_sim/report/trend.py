"""The trend report: how the forecast moved over the snapshots (docs/model.md §11.5).

The classic "forecast over time" chart: x is the date each forecast was made
(``as_of``), y the forecast done date; one line for P50 and one for P85, and the
diagonal y = x (a forecast can never be earlier than the day it is made). A healthy
project's lines flatten and converge on the diagonal where it finishes; lines that
climb parallel to the diagonal mean the finish slips as fast as time passes. A second
chart shows cost P80 and NPV P50 over the same dates.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from portfolio_sim import formatting as fmt
from portfolio_sim.report import svg
from portfolio_sim.report.charts import BAR, DARK, RED, WIDTH, clean_svg, date_domain, money_plot
from portfolio_sim.report.svg import Canvas, Plot, day_number, iso_day

GREEN = "#2a7"


def trend_dates_svg(df: pd.DataFrame) -> str:
    """Forecast done dates (P50, P85) against the date each forecast was made."""
    x = [day_number(d) for d in df["as_of"]]
    p50 = [day_number(d) for d in df["finish_p50"]]
    p85 = [day_number(d) for d in df["finish_p85"]]
    title = "Forecast over time: portfolio done date"
    c = Canvas(WIDTH, 420, title)
    svg.title(c, title)
    xd = date_domain(x)
    yd = date_domain([*p50, *p85, *x])
    p = Plot(c, 90, 56, c.width - 120, c.height - 56 - 60, x=xd, y=yd)
    p.x_axis(svg.date_ticks(xd[0], xd[1], int(p.width // 80)), "Forecast made on (as of)")
    p.y_axis(svg.date_ticks(yd[0], yd[1], 8), "Forecast done date")
    svg.legend(c, p.left, 36, [("line", DARK, "P50"), ("dash", RED, "P85"),
                                ("dot", "#888", "made on = done on")])  # fmt: skip
    lo, hi = max(xd[0], yd[0]), min(xd[1], yd[1])
    if hi > lo:
        c.line(
            p.x(lo), p.y(lo), p.x(hi), p.y(hi), "#888", stroke_dasharray="2 2", class_="diagonal"
        )
    for ys, color, dash, name in ((p50, DARK, None, "P50"), (p85, RED, "6 3", "P85")):
        pts = [(p.x(a), p.y(b)) for a, b in zip(x, ys, strict=True) if math.isfinite(b)]
        c.polyline(pts, color, stroke_width=2.0, stroke_dasharray=dash, class_=f"trend-{name}")
        for a, b in zip(x, ys, strict=True):
            if math.isfinite(b):
                tip = f"As of {iso_day(a)}: {name} done {iso_day(b)}"
                svg.marker(c, "o", p.x(a), p.y(b), 8, color, tip)
            else:  # not done by the horizon at this level: a mark on the top edge
                svg.marker(c, "v", p.x(a), p.top + 6, 10, color, f"As of {iso_day(a)}: {name} "
                           "after the horizon")  # fmt: skip
    p.frame()
    return c.svg()


def trend_money_svg(df: pd.DataFrame, currency: str) -> str:
    """Cost P80 and NPV P50 of each forecast against the date it was made."""
    x = [day_number(d) for d in df["as_of"]]
    cost = [float("nan") if v is None else float(v) for v in df["cost_p80"]]
    npv = [float("nan") if v is None else float(v) for v in df["npv_p50"]]
    title = "Forecast over time: cost P80 and NPV P50"
    c = Canvas(WIDTH, 340, title)
    svg.title(c, title)
    xd = date_domain(x)
    p = money_plot(c, [*cost, *npv], currency, xd, f"Money ({currency})" if currency else "Money")
    p.x_axis(svg.date_ticks(xd[0], xd[1], int(p.width // 80)), "Forecast made on (as of)")
    svg.legend(c, p.left, 34, [("line", DARK, "cost P80"), ("line", GREEN, "NPV P50")])
    for ys, color, name in ((cost, DARK, "cost P80"), (npv, GREEN, "NPV P50")):
        pts = [(p.x(a), p.y(b)) for a, b in zip(x, ys, strict=True) if math.isfinite(b)]
        c.polyline(pts, color, stroke_width=2.0)
        for a, b in zip(x, ys, strict=True):
            if math.isfinite(b):
                tip = f"As of {iso_day(a)}: {name} {fmt.money(b, currency)}"
                svg.marker(c, "o", p.x(a), p.y(b), 8, color, tip)
    if p.y.lo < 0 < p.y.hi:
        c.line(p.left, p.y(0), p.right, p.y(0), BAR)
    p.frame()
    return c.svg()


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px;color:#222}"
    "table{border-collapse:collapse;font-size:.9em;font-variant-numeric:tabular-nums}"
    "th,td{border-bottom:1px solid #ddd;padding:.25em .7em;text-align:right}"
    "th:first-child,td:first-child{text-align:left}svg{max-width:100%;height:auto}"
)


def trend_html(df: pd.DataFrame, currency: str = "", title: str = "Forecast trend") -> str:
    """A self-contained HTML page: both charts and the trend table."""

    def cell(v: Any, kind: str) -> str:
        if kind == "date":
            return fmt.iso_date(v, missing="after horizon")
        if kind == "money":
            return fmt.money(v, currency)
        return "" if fmt._missing(v) else f"{int(v):+d} d"

    cols = (("as_of", "As of", "date"), ("finish_p50", "Done P50", "date"),
            ("finish_p85", "Done P85", "date"), ("finish_p85_shift_days", "P85 moved", "days"),
            ("cost_p80", "Cost P80", "money"), ("npv_p50", "NPV P50", "money"))  # fmt: skip
    head = "".join(f"<th>{h}</th>" for _, h, _ in cols)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(cell(r[k], kind))}</td>" for k, _, kind in cols)
        + "</tr>"
        for _, r in df.iterrows()
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{len(df)} forecasts. A healthy forecast's P85 flattens and meets the diagonal "
        "(the day the forecast is made) where the work finishes; a line climbing beside "
        "the diagonal is a finish that slips as fast as time passes.</p>"
        f"<div>{clean_svg(trend_dates_svg(df))}</div>"
        f"<div>{clean_svg(trend_money_svg(df, currency))}</div>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>"
    )
