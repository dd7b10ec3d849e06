"""A small self-contained HTML page for a backtest: summary, reliability chart (inline
SVG drawn by matplotlib, no network), and the per-cut table."""

from __future__ import annotations

import html
import io
from typing import Any

import numpy as np

from portfolio_sim import formatting as fmt
from portfolio_sim.report.charts import clean_svg, standalone_svg
from portfolio_sim.report.html import CSS, html_table

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
    percentile, against the nominal level, with +-2 standard errors and the diagonal."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    rel = result.reliability
    fig = Figure(figsize=(5.0, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfect")
    lo = np.clip(rel["level"] - 2 * rel["se"], 0, 1)
    hi = np.clip(rel["level"] + 2 * rel["se"], 0, 1)
    ax.fill_between(rel["level"], lo, hi, color="#dddddd", label="±2 SE (sampling)")
    ax.plot(rel["level"], rel["observed"], marker="o", color="#1f5fa8", label="observed")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Forecast percentile (nominal level, %)")
    ax.set_ylabel("Share of actuals at or below it (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_title(f"Reliability over {int(rel['cuts'].iloc[0])} forecasts")
    ax.grid(True, linewidth=0.3)
    ax.legend(loc="upper left", fontsize=8)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "portfolio-sim", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return standalone_svg(buf.getvalue())


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
