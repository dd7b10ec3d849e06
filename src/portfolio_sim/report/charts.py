"""Charts of a forecast as SVG text, drawn with :mod:`portfolio_sim.report.svg` (no
matplotlib: the HTML report imports no plotting library).

Every chart is a pure function of DataFrames from the results layer; the HTML report
puts each next to its data table. Charts with one row per feature or team grow with the
row count (a fixed row height), so 45 or 200 features stay readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import formatting as fmt
from portfolio_sim.report import svg
from portfolio_sim.report.svg import Canvas, Plot, day_number, iso_day, text_width

#: Nominal chart width in pixels (the page scales it to its column).
WIDTH = 900
#: Height of one feature row.
ROW = 18
#: Longest row label column, in pixels (longer labels are shortened, with a hover title).
MAX_LABEL = 300
BAR = "#9ab"
DARK = "#135"
ORANGE = "#c60"
RED = "#c00"
ZEBRA = "#f5f6f8"


def clean_svg(svg_text: str) -> str:
    """Inline SVG for an HTML page, without URLs: drop any RDF ``<metadata>`` block and
    the ``xmlns`` declarations (an SVG inside HTML needs neither: the HTML parser binds
    the SVG namespace itself), so an offline report holds no address a browser could
    try to fetch. Not for files written on their own (not valid XML)."""
    svg_text = re.sub(r"<metadata>.*?</metadata>\s*", "", svg_text, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg_text)


def level_name(key: str) -> str:
    """A level key as a heading reads it: ``"p97_5"`` -> ``"P97.5"``."""
    return "P" + key[1:].replace("_", ".")


def label_width(labels: Sequence[str], size: float = 11) -> float:
    """Width of a row-label column: the longest label, at most :data:`MAX_LABEL`."""
    return min(max((text_width(s, size) for s in labels), default=30.0) + 14, MAX_LABEL)


def date_domain(days: Sequence[float]) -> tuple[float, float]:
    """The x range of a date axis over the finite ``days``, padded a little."""
    finite = [d for d in days if math.isfinite(d)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    pad = max(2.0, 0.02 * (hi - lo))
    return lo - pad, hi + pad


def rows_tick_top(p: Plot, ticks: Sequence[tuple[float, str]], n: int, title: str) -> None:
    """A date x axis for a chart of ``n`` rows; tall charts repeat the dates on top."""
    if not math.isfinite(p.x.lo) or not ticks:
        ticks = []
    p.x_axis(ticks, title, top_labels=n > 25)


DEFAULT_DATE_KEYS = ("p10", "p50", "p85", "p95")


def feature_dates_svg(features: pd.DataFrame, keys: Sequence[str] = DEFAULT_DATE_KEYS) -> str:
    """Per feature (first row of the table on top): a bar from the lowest level
    (P10) to the highest not missing (P95, else the next lower), a dark mark at the level
    nearest 50 and an orange one at the second-highest (P85), and the deadline (red
    triangle). A feature never done in any trial gets no bar and no marks. Each row's
    hover title lists its dates."""
    ids = [str(i) for i in features["id"]]
    n = len(ids)
    cols = [[day_number(v) for v in features[k]] for k in keys]
    deadline = [day_number(v) for v in features["deadline"]]
    levels = [float(k[1:].replace("_", ".")) for k in keys]
    mid = min(range(len(keys)), key=lambda i: (abs(levels[i] - 50), i))
    marks = [(mid, DARK, "dark")]
    if len(keys) >= 2 and len(keys) - 2 != mid:
        marks.append((len(keys) - 2, ORANGE, "orange"))
    low = cols[0]
    drawn = [math.isfinite(v) for v in low]
    ends = []
    for i in range(n):  # the highest level not missing, else the lowest
        ends.append(next((c[i] for c in reversed(cols) if math.isfinite(c[i])), low[i]))
    span = f"{level_name(keys[0])}-{level_name(keys[-1])}"
    names = " and ".join(f"{level_name(keys[j])} ({word})" for j, _, word in marks)
    title = f"Done dates: {span} bar, {names} marks, deadline (red)"
    left = label_width(ids) + 8
    top = 48 + (22 if n > 25 else 0)
    height = top + max(n, 1) * ROW + 46
    c = Canvas(WIDTH, height, title)
    svg.title(c, title)
    legend = [("bar", BAR, f"{span} range")]
    legend += [("|", color, level_name(keys[j])) for j, color, _ in marks]
    svg.legend(c, left, 34, [*legend, ("v", RED, "deadline")])
    in_view = [d for i in range(n) if drawn[i] for d in (low[i], ends[i], deadline[i])]
    p = Plot(c, left, top, WIDTH - left - 20, max(n, 1) * ROW, x=date_domain(in_view))
    for i in range(1, n, 2):
        c.rect(p.left, top + i * ROW, p.width, ROW, ZEBRA)
    ticks = svg.date_ticks(p.x.lo, p.x.hi, int(p.width // 80)) if in_view else []
    rows_tick_top(p, ticks, n, "Done date")
    for i, fid in enumerate(ids):
        y = top + (i + 0.5) * ROW
        c.label(left - 8, y, fid, left - 14, 11, class_="row-label")
        if not drawn[i]:
            continue
        dates = ", ".join(
            f"{level_name(k)} {iso_day(col[i]) if math.isfinite(col[i]) else 'after horizon'}"
            for k, col in zip(keys, cols, strict=True)
        )
        has_deadline = math.isfinite(deadline[i])
        tip = f"{fid}: {dates}" + (f"; deadline {iso_day(deadline[i])}" if has_deadline else "")
        c.open_group(tip, class_="row")
        x0, x1 = p.x(low[i]), p.x(ends[i])
        c.rect(x0, y - 4, max(x1 - x0, 2.0), 8, BAR, class_="bar")
        for j, color, _ in marks:
            if math.isfinite(cols[j][i]):
                svg.marker(c, "|", p.x(cols[j][i]), y, 14, color)
        if has_deadline:
            svg.marker(c, "v", p.x(deadline[i]), y, 10, RED)
        c.close_group()
    p.frame()
    return c.svg()


def month_days(months: pd.Series) -> list[float]:
    """Day numbers of the first day of each ``YYYY-MM`` month."""
    return [day_number(np.datetime64(str(m)[:7], "D")) for m in months]


def money_plot(
    c: Canvas,
    values: Sequence[float],
    currency: str,
    x: tuple[float, float],
    ylabel: str,
    top: float = 52,
    bottom: float = 50,
) -> Plot:
    """A plot area over the whole canvas width with a money y axis from 0 (or the lowest
    value) to the highest value, and its y ticks and title."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    lo, hi, ticks = svg.nice_domain(min([0.0, *finite]), max([0.0, *finite]) or 1.0, 6, 1.0)
    labels = svg.money_labels(ticks, currency)
    left = max(text_width(s, 10) for s in labels) + 36
    p = Plot(c, left, top, c.width - left - 24, c.height - top - bottom, x=x, y=(lo, hi))
    p.y_axis(list(zip(ticks, labels, strict=True)), ylabel)
    return p


def month_axis(p: Plot) -> None:
    p.x_axis(svg.date_ticks(p.x.lo, p.x.hi, int(p.width // 70)), "Month", grid=True)


def cost_fan_svg(months: pd.DataFrame, budget: float | None, currency: str = "") -> str:
    """Cumulative cost by month: P10-P90 band, P50 line (a dot per month whose hover
    title gives the month's three numbers), and the total budget line (dashed red)."""
    x = month_days(months["month"])
    p10, p50, p90 = (months[f"cumulative_{k}"].to_numpy(float) for k in ("p10", "p50", "p90"))
    title = "Cumulative cost by month"
    c = Canvas(WIDTH, 360, title)
    svg.title(c, title)
    unit = f" ({currency})" if currency else ""
    ys = [*p90, *p10] + ([budget] if budget is not None else [])
    dom = (x[0], x[-1]) if x else (0.0, 1.0)
    p = money_plot(c, ys, currency, dom, f"Cumulative cost{unit}")
    month_axis(p)
    items = [("band", BAR, "P10-P90"), ("line", DARK, "P50")]
    svg.legend(c, p.left, 34, items + ([("dash", RED, "budget")] if budget is not None else []))
    fan(c, p, x, p10, p50, p90, currency, DARK, "")
    if budget is not None:
        y = p.y(budget)
        c.line(
            p.left,
            y,
            p.right,
            y,
            RED,
            tip=f"Budget {fmt.money(budget, currency)}",
            stroke_width=1.5,
            stroke_dasharray="6 3",
            class_="budget",
        )
        c.text(
            p.left + 6, y - 8, f"budget {fmt.money_tick(budget, currency)}", 10, "start", fill=RED
        )
    p.frame()
    return c.svg()


def fan(
    c: Canvas,
    p: Plot,
    x: Sequence[float],
    lo: np.ndarray,
    mid: np.ndarray,
    hi: np.ndarray,
    currency: str,
    color: str,
    name: str,
    band: bool = True,
) -> None:
    """A P10-P90 band (``band``) and a P50 line with a hover dot per month."""
    pts = [(p.x(d), p.y(v)) for d, v in zip(x, hi, strict=True) if math.isfinite(v)]
    low = [(p.x(d), p.y(v)) for d, v in zip(x, lo, strict=True) if math.isfinite(v)]
    if band and pts:
        c.path(svg.points_d(pts + low[::-1]) + " Z", fill=BAR, fill_opacity=0.6, class_="band")
    line = [(p.x(d), p.y(v)) for d, v in zip(x, mid, strict=True) if math.isfinite(v)]
    c.polyline(line, color, stroke_width=2.0)
    who = f"{name} " if name else ""
    for d, a, m, b in zip(x, lo, mid, hi, strict=True):
        if math.isfinite(m):
            tip = (
                f"{who}{iso_day(d)[:7]}: P10 {fmt.money(a, currency)}, P50 "
                f"{fmt.money(m, currency)}, P90 {fmt.money(b, currency)}"
            )
            svg.marker(c, "o", p.x(d), p.y(m), 6, color, tip)


def monthly_cost_svg(months: pd.DataFrame, currency: str = "") -> str:
    """Cost per month: a P10-P90 bar per month, the P50 cost and the P50 capex as a step
    over each month; each month's hover title gives its numbers."""
    x = month_days(months["month"])
    cols = {k: months[k].to_numpy(float) for k in ("cost_p10", "cost_p50", "cost_p90", "capex_p50")}
    title = "Cost per month"
    c = Canvas(WIDTH, 320, title)
    svg.title(c, title)
    unit = f" ({currency})" if currency else ""
    dom = (x[0], x[-1] + 30.44) if x else (0.0, 1.0)
    p = money_plot(
        c, [*cols["cost_p90"], *cols["cost_p10"]], currency, dom, f"Cost per month{unit}"
    )
    month_axis(p)
    svg.legend(
        c,
        p.left,
        34,
        [("band", BAR, "cost P10-P90"), ("line", DARK, "cost P50"), ("line", ORANGE, "capex P50")],
    )
    for i, d in enumerate(x):
        x0, x1 = p.x(d), p.x(x[i + 1] if i + 1 < len(x) else d + 30.44)
        v = {k: float(col[i]) for k, col in cols.items()}
        tip = (
            f"{iso_day(d)[:7]}: cost P10 {fmt.money(v['cost_p10'], currency)}, P50 "
            f"{fmt.money(v['cost_p50'], currency)}, P90 {fmt.money(v['cost_p90'], currency)};"
            f" capex P50 {fmt.money(v['capex_p50'], currency)}"
        )
        c.open_group(tip, class_="month")
        if math.isfinite(v["cost_p10"]) and math.isfinite(v["cost_p90"]):
            c.rect(
                x0 + 1,
                p.y(v["cost_p90"]),
                x1 - x0 - 2,
                p.y(v["cost_p10"]) - p.y(v["cost_p90"]),
                BAR,
                fill_opacity=0.6,
            )
        for key, color in (("cost_p50", DARK), ("capex_p50", ORANGE)):
            if math.isfinite(v[key]):
                c.line(x0 + 1, p.y(v[key]), x1 - 1, p.y(v[key]), color, stroke_width=2.5)
        c.close_group()
    p.frame()
    return c.svg()


def histogram(
    c: Canvas, values: np.ndarray, currency: str, edges: np.ndarray, ylabel_top: float = 52
) -> tuple[Plot, list[np.ndarray]]:
    """A plot with a money x axis over the bin ``edges`` and a trial-count y axis."""
    counts = [np.histogram(v, bins=edges)[0] for v in values]
    x0, x1, xt = svg.nice_domain(float(edges[0]), float(edges[-1]), 7, 1.0)
    top = max((int(k.max()) for k in counts if len(k)), default=1)
    y0, y1, yt = svg.nice_domain(0.0, float(max(top, 1)), 5, 1.0)
    labels = [svg.count_label(t) for t in yt]
    left = max(text_width(s, 10) for s in labels) + 36
    p = Plot(
        c, left, ylabel_top, c.width - left - 24, c.height - ylabel_top - 50, x=(x0, x1), y=(y0, y1)
    )
    p.y_axis(list(zip(yt, labels, strict=True)), "Trials")
    return p, counts


def npv_svg(npv: np.ndarray, currency: str = "") -> str:
    """Histogram of NPV over trials (60 bins, each with its range and count as hover
    title), with dashed P10/P50/P90 lines."""
    npv = np.asarray(npv, dtype=float)
    title = "NPV over trials (P10, P50, P90 dashed)"
    c = Canvas(720, 330, title)
    svg.title(c, title)
    edges = np.histogram_bin_edges(npv, bins=60)
    p, (counts,) = histogram(c, np.asarray([npv]), currency, edges)
    xt = svg.nice_domain(p.x.lo, p.x.hi, 7, 1.0)[2]
    unit = f" ({currency})" if currency else ""
    p.x_axis(list(zip(xt, svg.money_labels(xt, currency), strict=True)), f"NPV{unit}")
    svg.legend(
        c,
        p.left,
        34,
        [("bar", BAR, "trials per bin"), ("dash", DARK, "P50"), ("dash", ORANGE, "P10 and P90")],
    )
    for k, n in enumerate(counts):
        a, b = float(edges[k]), float(edges[k + 1])
        tip = f"{fmt.money(a, currency)} to {fmt.money(b, currency)}: {n:,} trials"
        c.rect(p.x(a), p.y(n), max(p.x(b) - p.x(a) - 0.5, 0.5), p.y(0) - p.y(n), BAR, tip)
    for q, color in ((10, ORANGE), (50, DARK), (90, ORANGE)):
        if len(npv):
            v = float(np.percentile(npv, q, method="inverted_cdf"))
            x = p.x(v)
            c.line(
                x,
                p.top,
                x,
                p.bottom,
                color,
                tip=f"P{q} {fmt.money(v, currency)}",
                stroke_width=1.5,
                stroke_dasharray="6 3",
            )
            c.text(x + 3, p.top + 8, f"P{q}", 10, "start", fill=color)
    p.frame()
    return c.svg()


def hbars(
    c: Canvas,
    p: Plot,
    rows: Sequence[str],
    groups: Sequence[tuple[str, str, Sequence[float]]],
    row_h: float,
    unit: str = " %",
) -> None:
    """Grouped horizontal bars from 0: for each row (top to bottom) one bar per group
    (name, colour, values); a value NaN draws no bar and reads "n/a" in the hover title."""
    k = len(groups)
    h = (row_h - 6) / max(k, 1)
    for i, row in enumerate(rows):
        y0 = p.top + i * row_h + 3
        for j, (name, color, vals) in enumerate(groups):
            v = float(vals[i])
            who = f" ({name})" if name else ""
            text = "n/a" if not math.isfinite(v) else f"{v:,.0f}{unit}"
            if not math.isfinite(v):
                continue
            c.rect(p.x(0), y0 + j * h, p.x(v) - p.x(0), h - 1, color, f"{row}{who}: {text}")
            if h >= 9:
                c.text(p.x(v) + 3, y0 + j * h + h / 2, text, min(10, h), "start", class_="value")


def percent_rows_chart(
    title: str,
    rows: Sequence[str],
    groups: Sequence[tuple[str, str, Sequence[float]]],
    xlabel: str,
    row_h: float = 22,
    width: float = 720,
    legend: bool = False,
    mark50: bool = False,
) -> str:
    """A 0-100 % bar chart with one row per label (see :func:`hbars`)."""
    left = label_width(rows) + 8
    items = [("bar", color, name) for name, color, _ in groups]
    # below the legend's last row (it wraps when many scenarios share the chart)
    top = svg.legend(Canvas(width, 0), left, 34, items) + 14 if legend else 30
    c = Canvas(width, top + max(len(rows), 1) * row_h + 46, title)
    svg.title(c, title)
    p = Plot(c, left, top, width - left - 40, max(len(rows), 1) * row_h, x=(0.0, 100.0))
    p.x_axis([(v, f"{v} %") for v in range(0, 101, 20)], xlabel)
    if legend:
        svg.legend(c, left, 34, items)
    for i, row in enumerate(rows):
        c.label(left - 8, top + (i + 0.5) * row_h, row, left - 14, 11, class_="row-label")
    hbars(c, p, rows, groups, row_h)
    if mark50:
        c.line(p.x(50), p.top, p.x(50), p.bottom, "#999", stroke_dasharray="2 2")
    p.frame()
    return c.svg()


def utilisation_svg(teams: pd.DataFrame) -> str:
    """Share of paid capacity spent on features, per effort team (scenario order)."""
    df = teams[teams["kind"] == "effort"]
    vals = (df["utilization"].astype(float) * 100).to_numpy()
    return percent_rows_chart(
        "Team utilisation",
        [str(i) for i in df["id"]],
        [("", BAR, vals)],
        "Utilisation (% of paid capacity)",
    )


def tornado_svg(table: pd.DataFrame, base: dict[str, Any], top: int = 15) -> str:
    """Two-panel tornado, largest swing on top: the P85 finish (working days vs base)
    and the mean NPV (vs base) with each input held at its P10 (green) and its P90
    (orange)."""
    df = table.head(top)
    labels = [str(s) for s in df["input"]]
    npv = fmt.money(base["npv_mean"], "")
    title = f"Tornado (base: P85 {base['finish_p85']}, mean NPV {npv})"
    left = label_width(labels) + 8
    n = max(len(df), 1)
    row_h, gap, top_y = 22, 36, 70
    c = Canvas(WIDTH, top_y + n * row_h + 50, title)
    svg.title(c, title)
    svg.legend(c, left, 34, [("bar", "#6a9", "held at P10"), ("bar", "#c75", "held at P90")])
    pw = (WIDTH - left - gap - 20) / 2
    panels = (
        (
            "finish_low_days",
            "finish_high_days",
            "P85 finish vs base",
            "Working days",
            lambda v: f"{v:+,.0f} d",
            svg.count_label,
        ),
        (
            "npv_low_delta",
            "npv_high_delta",
            "Mean NPV vs base",
            "NPV difference (currency)",
            lambda v: fmt.signed_money(v, ""),
            lambda v: fmt.money_tick(v, ""),
        ),
    )
    for i, s in enumerate(labels):
        c.label(left - 8, top_y + (i + 0.5) * row_h, s, left - 14, 11, class_="row-label")
    for k, (lo, hi, head, unit, show, tick) in enumerate(panels):
        a, b = df[lo].to_numpy(float), df[hi].to_numpy(float)
        vals = [v for v in (*a, *b) if math.isfinite(v)]
        x0, x1, xt = svg.nice_domain(min([0.0, *vals]), max([0.0, *vals]), 5, 1.0)
        px = left + k * (pw + gap)
        p = Plot(c, px, top_y, pw, n * row_h, x=(x0, x1))
        c.text(px + pw / 2, top_y - 12, head, 11, "middle", font_weight="600")
        p.x_axis([(t, tick(t)) for t in xt], unit)
        for i, s in enumerate(labels):
            y = top_y + i * row_h + 3
            for j, (v, color, at) in enumerate(((a[i], "#6a9", "P10"), (b[i], "#c75", "P90"))):
                if math.isfinite(v):
                    c.rect(
                        p.x(0), y + j * 8, p.x(v) - p.x(0), 8, color, f"{s} held at {at}: {show(v)}"
                    )
        c.line(p.x(0), p.top, p.x(0), p.bottom, "#333", stroke_width=1.0)
        p.frame()
    return c.svg()


__all__ = [
    "clean_svg",
    "cost_fan_svg",
    "feature_dates_svg",
    "monthly_cost_svg",
    "npv_svg",
    "tornado_svg",
    "utilisation_svg",
]
