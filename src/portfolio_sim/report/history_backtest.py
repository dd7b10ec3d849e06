"""A small self-contained HTML page for a backtest: summary, reliability chart (inline
SVG drawn by :mod:`portfolio_sim.report.svg`, no network), and the per-cut table."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from portfolio_sim import formatting as fmt
from portfolio_sim.report import svg
from portfolio_sim.report.charts import clean_svg
from portfolio_sim.report.html import CSS, html_table
from portfolio_sim.report.svg import Canvas, Plot

BLUE = "#1f5fa8"

#: Headings of the summary and per-cut tables.
LABELS = {
    "team": "Team",
    "cuts": "Forecasts",
    "share_le_p50": "Actuals at or below P50",
    "share_le_p85": "Actuals at or below P85",
    "share_ge_at_least_85": "Reached the at-least (85 %) number",
    "se_85": "Standard error at 85 %",
    "cut": "Cut date",
    "history_periods": "History periods",
    "actual": "Actual items",
    "items_at_least_95": "At least (95 %)",
    "items_at_least_85": "At least (85 %)",
    "items_p50": "Items P50",
    "items_at_most_85": "At most (85 %)",
    "items_at_most_95": "At most (95 %)",
    "mean": "Items mean",
}


def reliability_svg(result: Any) -> str:
    """The reliability chart: observed share of actuals at or below the forecast
    percentile, against the nominal level, with +-2 standard errors (grey band) and the
    diagonal of perfect calibration; each point's hover title gives its numbers."""
    rel = result.reliability
    level = rel["level"].to_numpy(float)
    observed = rel["observed"].to_numpy(float)
    se = rel["se"].to_numpy(float)
    title = f"Reliability over {int(rel['cuts'].iloc[0])} forecasts"
    c = Canvas(500, 500, title)
    svg.title(c, title)
    svg.legend(
        c,
        70,
        34,
        [
            ("dash", "#999999", "perfect"),
            ("band", "#dddddd", "±2 SE (sampling)"),
            ("o", BLUE, "observed"),
        ],
    )
    p = Plot(c, 70, 52, 410, 390)
    ticks = [(t / 10, f"{10 * t} %") for t in range(0, 11, 2)]
    p.y_axis(ticks, "Share of actuals at or below it (%)")
    p.x_axis(ticks, "Forecast percentile (nominal level, %)")
    lo = np.clip(level - 2 * se, 0, 1)
    hi = np.clip(level + 2 * se, 0, 1)
    band = [(p.x(x), p.y(y)) for x, y in zip(level, hi, strict=True)]
    band += [(p.x(x), p.y(y)) for x, y in zip(level[::-1], lo[::-1], strict=True)]
    if band:
        c.path(svg.points_d(band) + " Z", fill="#dddddd")
    c.line(p.x(0), p.y(0), p.x(1), p.y(1), "#999999", stroke_dasharray="6 3")
    c.polyline(
        [(p.x(x), p.y(y)) for x, y in zip(level, observed, strict=True)], BLUE, stroke_width=2.0
    )
    for x, y, e in zip(level, observed, se, strict=True):
        tip = f"P{100 * x:.0f}: {fmt.pct(y)} of actuals at or below it (±2 SE {fmt.pct(2 * e)})"
        svg.marker(c, "o", p.x(x), p.y(y), 9, BLUE, tip)
    p.frame()
    return c.svg()


#: Per-cut rows shown in the page (the CSV output has them all).
MAX_TABLE_ROWS = 300


def backtest_html(result: Any) -> str:
    """The whole page as one string."""
    title = f"Backtest: {html.escape(str(result.source))}"
    summary_df = result.summary.copy()
    for col in ("share_le_p50", "share_le_p85", "share_ge_at_least_85", "se_85"):
        summary_df[col] = summary_df[col].map(lambda v: fmt.pct(v, missing=""))
    summary = html_table(summary_df, labels=LABELS)
    rows = result.table
    note = ""
    if len(rows) > MAX_TABLE_ROWS:
        note = f"<p>The last {MAX_TABLE_ROWS} of {len(rows)} forecasts (all of them: --csv).</p>"
        rows = rows.sort_values("cut", kind="stable").tail(MAX_TABLE_ROWS)
    rows = rows.assign(cut=rows["cut"].map(fmt.iso_date))
    table = note + html_table(rows, labels=LABELS)
    window = f"last {result.window} {result.per}s" if result.window else "all periods before it"
    skipped = (
        f"<p>{len(result.skipped)} rows of the export were skipped (see the calibrate report).</p>"
        if result.skipped
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{CSS}</style></head><body>
<h1>{title}</h1>
<p>At each cut date the forecast used only the history known then ({window}, at least
{result.min_history} {result.per}s), bootstrapped one {result.per} at a time
({result.trials:,} trials, seed {result.seed}), and forecast the items done in the next
{result.horizon} {result.per}s; cuts are every {result.every} {result.per}s.
A well-calibrated forecast has about 50 % of actuals at or below its P50 and about 85 %
at or below its P85, and reaches its "at least (85 %)" number about 85 % of the time.</p>
{skipped}
<h2>Calibration</h2>
{summary}
<h2>Reliability</h2>
<div class='chart' style='max-width:520px'>{clean_svg(reliability_svg(result))}</div>
<h2>Forecasts and actuals</h2>
{table}
</body></html>
"""
