"""A small self-contained HTML page for a backtest: summary, reliability chart (inline
SVG drawn by matplotlib, no network), and the per-cut table."""

from __future__ import annotations

import html
import io
from typing import Any

import numpy as np


def reliability_svg(result: Any) -> str:
    """The reliability chart: observed share of actuals at or below the forecast
    percentile, against the nominal level, with +-2 standard errors and the diagonal."""
    import matplotlib
    from matplotlib.figure import Figure

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
    ax.set_xlabel("forecast percentile (nominal level)")
    ax.set_ylabel("share of actuals at or below it")
    ax.set_title(f"Reliability over {int(rel['cuts'].iloc[0])} forecasts")
    ax.grid(True, linewidth=0.3)
    ax.legend(loc="upper left", fontsize=8)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "portfolio-sim", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


#: Per-cut rows shown in the page (the CSV output has them all).
MAX_TABLE_ROWS = 300

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;font-size:0.9em;margin:1em 0}
th,td{border:1px solid #ccc;padding:0.2em 0.6em;text-align:right}
th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
"""


def backtest_html(result: Any) -> str:
    """The whole page as one string."""
    title = f"Backtest: {html.escape(str(result.source))}"
    summary = result.summary.to_html(index=False, float_format=lambda x: f"{x:.3f}")
    rows = result.table
    note = ""
    if len(rows) > MAX_TABLE_ROWS:
        note = f"<p>The last {MAX_TABLE_ROWS} of {len(rows)} forecasts (all of them: --csv).</p>"
        rows = rows.sort_values("cut", kind="stable").tail(MAX_TABLE_ROWS)
    table = note + rows.to_html(index=False, float_format=lambda x: f"{x:.1f}")
    window = f"last {result.window} {result.per}s" if result.window else "all periods before it"
    skipped = (
        f"<p>{len(result.skipped)} rows of the export were skipped (see the calibrate report).</p>"
        if result.skipped
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_STYLE}</style></head><body>
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
{reliability_svg(result)}
<h2>Forecasts and actuals</h2>
{table}
</body></html>
"""
