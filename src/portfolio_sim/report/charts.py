"""Charts of a forecast, drawn with matplotlib (Agg) and returned as inline SVG text.

Every chart is a pure function of DataFrames from the results layer; the HTML report
puts each next to its data table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import formatting as fmt


def money_axis(axis: Any, currency: str) -> None:
    """Label a matplotlib axis' ticks as money (:func:`formatting.money_tick`), with no
    offset ("1e6") and no scientific notation."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.money_tick(v, currency)))


def new_figure(width: float, height: float) -> tuple[Any, Any]:
    """A matplotlib (Agg) figure and axes of ``width`` x ``height`` inches, set up for
    stable, searchable SVG output (:func:`figure_svg`)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, small
    plt.rcParams["svg.hashsalt"] = "portfolio-sim"  # stable ids: same input, same SVG
    fig, ax = plt.subplots(figsize=(width, height), dpi=96)
    return fig, ax


def figure_svg(fig: Any) -> str:
    """The figure as a standalone SVG document (closes the figure): valid XML with its
    namespace declarations, so a file written from it opens in any browser or editor.
    Matplotlib's RDF ``<metadata>`` (with its URLs) is left out. An HTML page embeds it
    through :func:`clean_svg`."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return standalone_svg(buf.getvalue())


def standalone_svg(svg: str) -> str:
    """Matplotlib's SVG output from its ``<svg`` element on, without the RDF
    ``<metadata>`` block; the ``xmlns`` and ``xmlns:xlink`` declarations stay, so the
    text parses as XML on its own (``xlink:href`` needs its prefix bound)."""
    svg = svg[svg.index("<svg") :]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)


def clean_svg(svg: str) -> str:
    """Inline SVG for an HTML page, without URLs: drop the RDF ``<metadata>`` block and
    the ``xmlns`` declarations (an SVG inside HTML needs neither: the HTML parser binds
    the SVG and xlink namespaces itself), so an offline report holds no address a
    browser could try to fetch. Not for files written on their own (not valid XML)."""
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


DEFAULT_DATE_KEYS = ("p10", "p50", "p85", "p95")


def feature_dates_svg(features: pd.DataFrame, keys: Sequence[str] = DEFAULT_DATE_KEYS) -> str:
    """Per feature: a bar from P10 to P95 with P50 and P85 marks, and the deadline; with
    other date columns ``keys`` (increasing levels): a bar from the lowest to the
    highest, the dark mark at the level nearest 50 and the orange one at the
    second-highest."""
    return figure_svg(feature_dates_figure(features, keys))


def feature_dates_figure(features: pd.DataFrame, keys: Sequence[str] = DEFAULT_DATE_KEYS) -> Any:
    """The figure of :func:`feature_dates_svg`: the bars are one collection (first row
    of the table at the top), then one line of P50 marks, one of P85 marks and one of
    deadlines, each left out when it has no point. One artist per kind of mark, not per
    feature: 200 features drew 800 artists one by one (about 2 s)."""
    df = features.iloc[::-1]
    fig, ax = new_figure(9, max(2.0, 0.28 * len(df) + 1))
    y = np.arange(len(df))

    def dates(col: str) -> np.ndarray:
        return pd.to_datetime(df[col]).to_numpy(dtype="datetime64[ns]")

    cols = [dates(k) for k in keys]
    low = cols[0]
    drawn = ~np.isnat(low)  # a feature never done in any trial gets no bar
    end = cols[0] if len(cols) == 1 else cols[1]
    for x in cols[2:]:  # the highest level not NaT (above the lowest), else the lowest
        end = np.where(~np.isnat(x), x, end)
    end = np.where(np.isnat(end), low, end)
    if drawn.any():
        ax.hlines(y[drawn], low[drawn], end[drawn], color="#9ab", lw=6, capstyle="butt")
    levels = [float(k[1:].replace("_", ".")) for k in keys]
    mid = min(range(len(keys)), key=lambda i: (abs(levels[i] - 50), i))
    marks = [(cols[mid], {"color": "#135"})]
    if len(keys) >= 2 and len(keys) - 2 != mid:
        marks.append((cols[-2], {"color": "#c60"}))
    for x, style in marks:
        at = drawn & ~np.isnat(x)
        if at.any():
            ax.plot(x[at], y[at], "|", ms=12, mew=2, **style)
    deadline = dates("deadline")
    at = drawn & ~np.isnat(deadline)
    if at.any():
        ax.plot(deadline[at], y[at], "v", color="#c00", ms=7)
    ax.set_yticks(y, list(df["id"]))
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("Done dates: P10-P95 bar, P50 (dark) and P85 (orange) marks, deadline (red)")
    ax.set_xlabel("Done date")
    if len(df) > 25:  # a tall chart: dates above the rows too, not only far below
        ax.tick_params(axis="x", top=True, labeltop=True)
    ax.set_ylim(-0.7, len(df) - 0.3)  # no blank band above or below the rows
    ax.grid(axis="x", alpha=0.3)
    fig.autofmt_xdate()
    return fig


def cost_fan_svg(months: pd.DataFrame, budget: float | None, currency: str = "") -> str:
    """Cumulative cost by month: P10-P90 band, P50 line, and the total budget line."""
    fig, ax = new_figure(9, 3.6)
    x = pd.to_datetime(months["month"])
    ax.fill_between(
        x,
        months["cumulative_p10"],
        months["cumulative_p90"],
        color="#9ab",
        alpha=0.6,
        label="P10-P90",
    )
    ax.plot(x, months["cumulative_p50"], color="#135", label="P50")
    if budget is not None:
        ax.axhline(budget, color="#c00", ls="--", label="budget")
    ax.set_title("Cumulative cost by month")
    ax.set_ylabel(f"Cumulative cost ({currency})" if currency else "Cumulative cost")
    ax.set_xlabel("Month")
    money_axis(ax.yaxis, currency)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return figure_svg(fig)


def monthly_cost_svg(months: pd.DataFrame, currency: str = "") -> str:
    """Monthly cost bands and the capex share (P50)."""
    fig, ax = new_figure(9, 3.0)
    x = pd.to_datetime(months["month"])
    ax.fill_between(
        x,
        months["cost_p10"],
        months["cost_p90"],
        color="#9ab",
        alpha=0.6,
        label="cost P10-P90",
        step="mid",
    )
    ax.step(x, months["cost_p50"], where="mid", color="#135", label="cost P50")
    ax.step(x, months["capex_p50"], where="mid", color="#c60", label="capex P50")
    ax.set_title("Cost per month")
    ax.set_ylabel(f"Cost per month ({currency})" if currency else "Cost per month")
    ax.set_xlabel("Month")
    money_axis(ax.yaxis, currency)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return figure_svg(fig)


def npv_svg(npv: np.ndarray, currency: str = "") -> str:
    """Histogram of NPV over trials, with P10/P50/P90 lines."""
    fig, ax = new_figure(6, 3.0)
    ax.hist(npv, bins=60, color="#9ab")
    for p, color in ((10, "#c60"), (50, "#135"), (90, "#c60")):
        ax.axvline(np.percentile(npv, p, method="inverted_cdf"), color=color, ls="--")
    ax.set_title("NPV over trials (P10, P50, P90 dashed)")
    ax.set_xlabel(f"NPV ({currency})" if currency else "NPV")
    ax.set_ylabel("Trials")
    money_axis(ax.xaxis, currency)
    ax.grid(alpha=0.3)
    return figure_svg(fig)


def utilisation_svg(teams: pd.DataFrame) -> str:
    """Share of paid capacity spent on features, per effort team."""
    df = teams[teams["kind"] == "effort"]
    fig, ax = new_figure(6, max(1.8, 0.3 * len(df) + 0.8))
    ax.barh(list(df["id"])[::-1], list((df["utilization"] * 100).fillna(0))[::-1], color="#9ab")
    ax.set_xlim(0, 100)
    ax.set_xlabel("Utilisation (% of paid capacity)")
    ax.set_title("Team utilisation")
    return figure_svg(fig)


def tornado_svg(table: pd.DataFrame, base: dict[str, Any], top: int = 15) -> str:
    """Two-panel tornado: P85 finish (working days vs base) and mean NPV vs base."""
    df = table.head(top).iloc[::-1]
    fig, ax = new_figure(9, max(2.0, 0.32 * len(df) + 1.0))
    fig.clf()
    axes = fig.subplots(1, 2, sharey=True)
    labels = list(df["input"])
    y = np.arange(len(df))
    for a, (lo, hi, title) in zip(
        axes,
        (
            ("finish_low_days", "finish_high_days", "P85 finish, working days vs base"),
            ("npv_low_delta", "npv_high_delta", "Mean NPV vs base"),
        ),
        strict=True,
    ):
        a.barh(y, df[lo].to_numpy(float), color="#6a9", label="held at P10")
        a.barh(y, df[hi].to_numpy(float), color="#c75", label="held at P90")
        a.axvline(0, color="#333", lw=0.8)
        a.set_title(title, fontsize=9)
        a.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels, fontsize=8)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"Tornado (base: P85 {base['finish_p85']}, mean NPV {base['npv_mean']:,.0f})", fontsize=10
    )
    del ax
    return figure_svg(fig)
