"""Charts of a comparison (base and variants) as SVG text, drawn with
:mod:`portfolio_sim.report.svg`; :mod:`portfolio_sim.report.compare_html` puts each next
to its table. One colour per scenario, base first (:data:`COLORS`)."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import codes
from portfolio_sim import formatting as fmt
from portfolio_sim.report import svg
from portfolio_sim.report.charts import (
    BAR,
    RED,
    WIDTH,
    ZEBRA,
    date_domain,
    fan,
    histogram,
    label_width,
    level_name,
    money_plot,
    month_axis,
    month_days,
    percent_rows_chart,
    rows_tick_top,
)
from portfolio_sim.report.svg import Canvas, Plot, day_number, iso_day, text_width
from portfolio_sim.results.percentiles import level_key

#: Marks of the date levels on the done-dates chart, in level order (cycles).
MARKS = ("|", "x", "+", "d", "*", "1", "2", "3", "4")

#: One colour per scenario (base first): base + 9 variants; cycles beyond.
COLORS = ("#135", "#c60", "#2a7", "#a3a", "#09c", "#b22", "#777", "#990", "#e6a", "#852")

#: Red-yellow-green (ColorBrewer RdYlGn, 11 classes) for probabilities 0..1.
RDYLGN = (
    "#a50026",
    "#d73027",
    "#f46d43",
    "#fdae61",
    "#fee08b",
    "#ffffbf",
    "#d9ef8b",
    "#a6d96a",
    "#66bd63",
    "#1a9850",
    "#006837",
)

#: Height of one scenario's sub-row of the done-dates chart.
SUB_ROW = 9

#: Narrowest column of the cut-line heat map ("100%" at 10 px with a margin); with more
#: scenarios than fit the chart's width at this width, the chart is scaled down.
CUT_CELL_MIN = 44.0


def _wrap(s: str, width: float, size: float) -> list[str]:
    """``s`` in lines of at most ``width`` pixels, broken after hyphens, underscores and
    spaces (a part longer than a line is shortened with an ellipsis, :func:`svg.fit`)."""
    parts = re.findall(r"[^-_ ]+[-_ ]*|[-_ ]+", s)
    lines: list[str] = []
    for part in parts:
        if lines and text_width(lines[-1] + part.rstrip(" "), size) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return [svg.fit(line.rstrip(" "), width, size) for line in lines] or [s]


def _color(k: int) -> str:
    return COLORS[k % len(COLORS)]


def _p(level: Any) -> str:
    return level_name(level_key(level))


def feature_dates_chart(cmp: Any) -> str:
    """Per feature, one bar per scenario from the lowest to the highest reported date
    level (P10-P95 by default), a mark at each of the comparison's date levels (P50 and
    P85 by default), and the base's deadline (red triangle)."""
    names = cmp.scenarios
    feats = {name: cmp.forecasts[name].features.set_index("id") for name in names}
    ids = [str(i) for i in dict.fromkeys(i for name in names for i in feats[name].index)]
    span_levels = cmp.base.date_levels  # every level the forecasts report, increasing
    span = [level_key(p) for p in span_levels]
    marks = [(level_key(p), MARKS[j % len(MARKS)]) for j, p in enumerate(cmp.levels.dates)]
    block = len(names) * SUB_ROW + 8
    lo, hi = _p(span_levels[0]), _p(span_levels[-1])
    shown = ", ".join(f"{_p(p)} ({m})" for p, (_, m) in zip(cmp.levels.dates, marks, strict=True))
    title = f"Done dates: {lo}-{hi} bar, {shown}, deadline (red triangle)"
    left = label_width(ids) + 8
    legend = [("bar", _color(k), name) for k, name in enumerate(names)]
    legend += [(m, "#444", _p(p)) for p, (_, m) in zip(cmp.levels.dates, marks, strict=True)]
    legend.append(("v", RED, "deadline"))
    c0 = Canvas(WIDTH, 0)
    rows_end = svg.legend(c0, left, 34, legend)
    top = rows_end + 16 + (22 if len(ids) > 25 else 0)
    c = Canvas(WIDTH, top + max(len(ids), 1) * block + 46, title)
    svg.title(c, title)
    svg.legend(c, left, 34, legend)
    days = [
        day_number(feats[n].at[f, k])
        for n in names
        for f in ids
        if f in feats[n].index
        for k in (span[0], span[-1], "deadline")
    ]
    p = Plot(c, left, top, WIDTH - left - 20, max(len(ids), 1) * block, x=date_domain(days))
    for i in range(1, len(ids), 2):
        c.rect(p.left, top + i * block, p.width, block, ZEBRA)
    finite = any(math.isfinite(d) for d in days)
    ticks = svg.date_ticks(p.x.lo, p.x.hi, int(p.width // 80)) if finite else []
    rows_tick_top(p, ticks, len(ids), "Done date")
    for i, fid in enumerate(ids):
        y_top = top + i * block + 4
        c.label(left - 8, y_top + len(names) * SUB_ROW / 2, fid, left - 14, 11, class_="row-label")
        for k, name in enumerate(names):
            df = feats[name]
            if fid not in df.index or pd.isna(df.at[fid, span[0]]):
                continue
            r = df.loc[fid]
            y = y_top + (k + 0.5) * SUB_ROW
            end = next((r[q] for q in reversed(span) if not pd.isna(r[q])), r[span[0]])
            text = ", ".join(
                f"{level_name(q)} {iso_day(day_number(r[q])) if not pd.isna(r[q]) else 'after horizon'}"
                for q in span
            )
            c.open_group(f"{fid} ({name}): {text}", class_="row")
            x0, x1 = p.x(day_number(r[span[0]])), p.x(day_number(end))
            c.rect(x0, y - 2.5, max(x1 - x0, 2.0), 5, _color(k), fill_opacity=0.45)
            for q, shape in marks:
                if not pd.isna(r[q]):
                    svg.marker(c, shape, p.x(day_number(r[q])), y, 8, _color(k))
            c.close_group()
            if k == 0 and not pd.isna(r["deadline"]):
                d = day_number(r["deadline"])
                svg.marker(c, "v", p.x(d), y_top - 1, 9, RED, f"{fid}: deadline {iso_day(d)}")
    p.frame()
    return c.svg()


def cut_line_chart(cut: pd.DataFrame, date: Any) -> str:
    """Heat map: probability that each feature is done by the target date, per scenario
    (red 0 %, yellow 50 %, green 100 %; the percentage is written in each cell)."""
    table = cut.pivot_table(index="id", columns="scenario", values="probability", sort=False)
    table = table[list(dict.fromkeys(cut["scenario"]))]
    rows = [str(i) for i in table.index]
    cols = [str(s) for s in table.columns]
    title = f"Probability of being done by {fmt.iso_date(date)}"
    left = label_width(rows) + 8
    cell_w = max([64.0, *(text_width(s, 10) + 12 for s in cols)])
    heads = [[s] for s in cols]
    room = WIDTH - left - 20
    if cell_w * len(cols) > room:  # many or long names: narrower columns, wrapped heads
        cell_w = max(CUT_CELL_MIN, room / max(len(cols), 1))
        heads = [_wrap(s, cell_w - 6, 10) for s in cols]
    lines = max(len(h) for h in heads) if heads else 1
    cell_h, top = 20, 50 + 12 * (lines - 1)
    width = max(left + cell_w * len(cols) + 20, text_width(title, 13) + 20)
    c = Canvas(width, top + cell_h * max(len(rows), 1) + 12, title)
    svg.title(c, title)
    for j, (s, head) in enumerate(zip(cols, heads, strict=True)):
        for n, line in enumerate(head):  # last line just above the cells
            y = top - 10 - 12 * (len(head) - 1 - n)
            tip = s if any(part.endswith("…") for part in head) else None  # shortened
            c.text(left + (j + 0.5) * cell_w, y, line, 10, "middle", tip, class_="col-label")
    values = table.to_numpy(dtype=float)
    for i, fid in enumerate(rows):
        y = top + i * cell_h
        c.label(left - 8, y + cell_h / 2, fid, left - 14, 11, class_="row-label")
        for j, s in enumerate(cols):
            v = values[i, j]
            if not math.isfinite(v):
                continue
            tip = f"{fid} ({s}): {fmt.pct(v)} chance of being done by {fmt.iso_date(date)}"
            x = left + j * cell_w
            c.rect(x + 0.5, y + 0.5, cell_w - 1, cell_h - 1, svg.lerp_color(RDYLGN, v), tip)
            ink = "#fff" if v < 0.15 or v > 0.85 else "#222"
            c.text(x + cell_w / 2, y + cell_h / 2, f"{100 * v:.0f}%", 10, "middle", fill=ink)
    return c.svg()


def cost_fan_chart(cmp: Any) -> str:
    """Cumulative cost by month: the base's P10-P90 band, each scenario's P50, budget."""
    title = "Cumulative cost by month"
    months = {name: cmp.forecasts[name].months for name in cmp.scenarios}
    xs = {name: month_days(m["month"]) for name, m in months.items()}
    all_x = [d for x in xs.values() for d in x]
    budget = cmp.base.compiled.budget_total
    ys = [v for m in months.values() for v in m["cumulative_p90"].to_numpy(float)]
    ys += [v for m in months.values() for v in m["cumulative_p10"].to_numpy(float)]
    dom = (min(all_x), max(all_x)) if all_x else (0.0, 1.0)
    legend = [("band", BAR, f"{cmp.scenarios[0]} P10-P90")]
    legend += [("line", _color(k), f"{n} P50") for k, n in enumerate(cmp.scenarios)]
    if budget is not None:
        legend.append(("dash", RED, "budget"))
    c0 = Canvas(WIDTH, 0)
    top = svg.legend(c0, 80, 34, legend) + 18
    # a legend of several rows (many variants) makes the chart taller, not the plot lower
    c = Canvas(WIDTH, 380 + top - 52, title)
    svg.title(c, title)
    p = money_plot(
        c,
        [*ys, *([budget] if budget is not None else [])],
        cmp.currency,
        dom,
        f"Cumulative cost ({cmp.currency})",
        top=top,
    )
    svg.legend(c, p.left, 34, legend)
    month_axis(p)
    for k, name in enumerate(cmp.scenarios):
        lo, mid, hi = (
            months[name][f"cumulative_{q}"].to_numpy(float) for q in ("p10", "p50", "p90")
        )
        fan(
            c,
            p,
            xs[name],
            lo,
            mid,
            hi,
            cmp.currency,
            _color(k),
            name,
            band=k == 0,
        )
    if budget is not None:
        y = p.y(budget)
        c.line(
            p.left,
            y,
            p.right,
            y,
            RED,
            tip=f"Budget {fmt.money(budget, cmp.currency)}",
            stroke_width=1.5,
            stroke_dasharray="6 3",
            class_="budget",
        )
        c.text(p.left + 6, y - 8, f"budget {fmt.money_tick(budget, cmp.currency)}", 10, fill=RED)
    p.frame()
    return c.svg()


def npv_chart(cmp: Any) -> str:
    """NPV over trials per scenario (step histograms on common bins, each bin's count as
    hover title), dotted line at each scenario's mean."""
    values = {name: cmp.forecasts[name].raw.money[:, codes.MONEY_NPV] for name in cmp.scenarios}
    lo = min(float(v.min()) for v in values.values())
    hi = max(float(v.max()) for v in values.values())
    edges = np.linspace(lo, hi if hi > lo else lo + 1, 61)
    title = "NPV over trials (dotted: mean)"
    legend = [("line", _color(k), n) for k, n in enumerate(values)]
    top = svg.legend(Canvas(800, 0), 80, 34, legend) + 18
    c = Canvas(800, 350 + top - 52, title)  # one more legend row: 16 px taller
    svg.title(c, title)
    p, counts = histogram(c, np.asarray(list(values.values())), cmp.currency, edges, top)
    svg.legend(c, p.left, 34, legend)
    xt = svg.nice_domain(p.x.lo, p.x.hi, 7, 1.0)[2]
    p.x_axis(
        list(zip(xt, svg.money_labels(xt, cmp.currency), strict=True)), f"NPV ({cmp.currency})"
    )
    cur = cmp.currency
    for k, (name, v) in enumerate(values.items()):
        pts: list[tuple[float, float]] = [(p.x(float(edges[0])), p.y(0))]
        for b, n in enumerate(counts[k]):
            pts += [(p.x(float(edges[b])), p.y(n)), (p.x(float(edges[b + 1])), p.y(n))]
        pts.append((p.x(float(edges[-1])), p.y(0)))
        c.polyline(pts, _color(k), stroke_width=1.5)
        for b, n in enumerate(counts[k]):  # hover targets: one per bin
            a, e = float(edges[b]), float(edges[b + 1])
            c.rect(
                p.x(a),
                p.y(n) - 3,
                p.x(e) - p.x(a),
                6,
                _color(k),
                f"{name}: {fmt.money(a, cur)} to {fmt.money(e, cur)}: {n:,} trials",
                fill_opacity=0.0,
            )
        mean = float(v.mean())
        c.line(
            p.x(mean),
            p.top,
            p.x(mean),
            p.bottom,
            _color(k),
            stroke_width=1.0,
            stroke_dasharray="2 2",
            tip=f"{name} mean {fmt.money(mean, cur)}",
        )
    p.frame()
    return c.svg()


def utilisation_chart(cmp: Any) -> str:
    """Share of paid capacity spent on features, per effort team and scenario."""
    teams = {name: cmp.forecasts[name].teams.set_index("id") for name in cmp.scenarios}
    ids = list(
        dict.fromkeys(i for t in teams.values() for i in t.index[t["kind"] == "effort"].tolist())
    )
    groups = []
    for k, (name, t) in enumerate(teams.items()):
        vals = [
            100 * float(t.at[i, "utilization"])
            if i in t.index and not pd.isna(t.at[i, "utilization"])
            else math.nan
            for i in ids
        ]
        groups.append((name, _color(k), vals))
    return percent_rows_chart(
        "Team utilisation",
        [str(i) for i in ids],
        groups,
        "Utilisation (% of paid capacity)",
        row_h=max(22, 12 * len(groups) + 6),
        legend=True,
    )


def paired_chart(paired: pd.DataFrame) -> str:
    """Per variant: how often it beats the base in the same trial (dotted line at 50 %)."""
    cols = [
        ("earlier_probability", "finishes earlier"),
        ("worth_more_probability", "worth more (NPV)"),
        ("cheaper_probability", "costs less"),
    ]
    cols = [(c, label) for c, label in cols if paired[c].notna().any()]
    groups = [
        (label, _color(k + 1), 100 * paired[c].to_numpy(float)) for k, (c, label) in enumerate(cols)
    ]
    return percent_rows_chart(
        "Variant vs base, trial by trial",
        list(paired["variant"]),
        groups,
        "% of trials, paired with the base",
        row_h=max(22, 12 * len(groups) + 6),
        legend=True,
        mark50=True,
    )


__all__ = [
    "COLORS",
    "MARKS",
    "cost_fan_chart",
    "cut_line_chart",
    "feature_dates_chart",
    "npv_chart",
    "paired_chart",
    "utilisation_chart",
]
