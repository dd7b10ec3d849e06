"""The cumulative cost chart of a re-forecast: actuals to ``as_of``, the forecast after
(docs/model.md §11.6).

A status file gives each team's cost paid before ``as_of`` as one total, or by month
(``actual_cost_by_month``). A total's phasing is not known: the model spreads it evenly
over the days before ``as_of`` (§11.2) only to price the months, and the chart does not
pretend to know it: the actual cost to date is one straight solid segment from the
start (0) to ``as_of`` (the known total, labelled with its value), and the legend says
"phasing not recorded". When every team gave months (phasing ``"monthly"``) the solid
line is the recorded phasing instead: through the actual cumulative cost at each month
end before ``as_of`` (the months table's cumulative cost there, the same in every
trial), to the total on ``as_of``; "mixed" (some teams by month, some totals) draws the
same line and says that the totals in it are spread evenly. From
``as_of`` on, the forecast is the usual fan: the P10-P90 band and the P50 line, which
start together at the actual cost on ``as_of`` (cost before ``as_of`` is the actual in
every trial) and pass through each month's end. A vertical dashed line marks
``as_of``; the budget is the dashed red line, as in the plain chart.

Unlike the plain chart (:func:`portfolio_sim.report.charts.cost_fan_svg`, which puts a
month's cumulative cost on the month's first day), each month's cumulative cost sits
at the month's end (the first day of the next month): actuals and forecast share one
true date axis, so the fan meets the actual point on ``as_of``.

:func:`month_basis` says for each month of the months table whether its cost is the
actual (before ``as_of``, spread evenly), partly actual, or forecast; the HTML table
next to the chart shows it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import formatting as fmt
from portfolio_sim.report import svg
from portfolio_sim.report.charts import BAR, DARK, RED, WIDTH, money_plot, month_axis
from portfolio_sim.report.svg import Canvas, day_number, iso_day

#: Colour of the actual cost to date.
ACTUAL = "#222"
#: Colour of the ``as_of`` marker.
AS_OF = "#666"
#: The legend's name for the actual cost to date (a total: its phasing is not known).
ACTUAL_LEGEND = "actual to date (phasing not recorded)"
#: ... when every team recorded its cost by month, and when some did.
LEGENDS = {
    "total": ACTUAL_LEGEND,
    "monthly": "actual to date (as recorded by month)",
    "mixed": "actual to date (by month where recorded, totals spread evenly)",
}
#: The months table's word for a month before as_of, by phasing.
BASIS = {
    "total": "actual (spread evenly)",
    "monthly": "actual (recorded)",
    "mixed": "actual (recorded; totals spread evenly)",
}


def month_ends(months: pd.Series) -> list[float]:
    """Day numbers of the day after each ``YYYY-MM`` month (its end, exclusive)."""
    return [
        day_number((np.datetime64(str(m)[:7], "M") + 1).astype("datetime64[D]")) for m in months
    ]


def month_basis(months: pd.Series, as_of: Any, start: Any, phasing: str = "total") -> list[str]:
    """Per ``YYYY-MM`` month: ``"actual (spread evenly)"`` when the month ends on or
    before ``as_of`` (its cost is the actual, spread evenly over the days before
    ``as_of``, docs/model.md §11.2; ``"actual (recorded)"`` when every team gave its
    cost by month, ``"actual (recorded; totals spread evenly)"`` when some did),
    ``"actual to MM-DD, then forecast"`` for the month holding ``as_of`` when some of it
    after ``start`` is before ``as_of``, else ``"forecast"``."""
    a, s = day_number(as_of), day_number(start)
    out = []
    for m, end in zip(months, month_ends(months), strict=True):
        first = max(day_number(np.datetime64(str(m)[:7], "D")), s)
        if end <= a:
            out.append(BASIS[phasing])
        elif first < a:
            out.append(f"actual to {iso_day(a)[5:]}, then forecast")
        else:
            out.append("forecast")
    return out


def reforecast_cost_svg(
    months: pd.DataFrame,
    budget: float | None,
    currency: str,
    start: Any,
    as_of: Any,
    cost_to_date: float,
    phasing: str = "total",
) -> str:
    """Cumulative cost of a re-forecast (module doc): the actual cost to date as a
    solid segment from ``start`` to ``as_of`` with its value (through each month end
    before ``as_of`` when ``phasing`` is ``"monthly"`` or ``"mixed"``), the forecast's P10-P90
    band and P50 line from ``as_of`` (a dot per month end whose hover title gives the
    month's three numbers), the budget (dashed red) and the ``as_of`` marker."""
    ends = month_ends(months["month"])
    p10, p50, p90 = (months[f"cumulative_{k}"].to_numpy(float) for k in ("p10", "p50", "p90"))
    s, a, ctd = day_number(start), day_number(as_of), float(cost_to_date)
    title = "Cumulative cost: actual to date, then forecast"
    c = Canvas(WIDTH, 360, title)
    svg.title(c, title)
    unit = f" ({currency})" if currency else ""
    after = [i for i, e in enumerate(ends) if e > a]
    ys = [ctd, *(p90[i] for i in after), *(p10[i] for i in after)]
    ys += [budget] if budget is not None else []
    p = money_plot(c, ys, currency, (min(s, a), max([a, *ends])), f"Cumulative cost{unit}")
    month_axis(p)
    items = [
        ("line", ACTUAL, LEGENDS[phasing]),
        ("band", BAR, "forecast P10-P90"),
        ("line", DARK, "forecast P50"),
        ("dash", AS_OF, "as of"),
    ]
    svg.legend(c, p.left, 34, items + ([("dash", RED, "budget")] if budget is not None else []))
    _forecast(c, p, a, ctd, [(ends[i], p10[i], p50[i], p90[i]) for i in after], currency)
    _budget(c, p, budget, currency)
    x_a = p.x(a)
    c.line(
        x_a,
        p.top,
        x_a,
        p.bottom,
        AS_OF,
        tip=f"As of {iso_day(a)}",
        stroke_width=1.5,
        stroke_dasharray="4 3",
        class_="as-of",
    )
    c.text(x_a + 4, p.top + 9, f"as of {iso_day(a)}", 10, "start", fill=AS_OF, class_="as-of")
    tip = f"Actual cost to date (as of {iso_day(a)}): {fmt.money(ctd, currency)}"
    c.open_group(tip, class_="actual")
    if phasing == "total":
        c.line(p.x(s), p.y(0.0), x_a, p.y(ctd), ACTUAL, stroke_width=2.5)
    else:  # the recorded phasing: the actual cumulative cost at each month end
        pts = [(p.x(s), p.y(0.0))]
        pts += [(p.x(e), p.y(v)) for e, v in zip(ends, p50, strict=True) if s < e <= a]
        c.polyline([*pts, (x_a, p.y(ctd))], ACTUAL, stroke_width=2.5)
    c._el("circle", None, {"cx": float(x_a), "cy": float(p.y(ctd)), "r": 4.0, "fill": ACTUAL})
    c.text(
        x_a - 6,
        p.y(ctd) - 10,
        f"{fmt.money_tick(ctd, currency)} to date",
        10,
        "end",
        fill=ACTUAL,
        class_="actual-value",
    )
    c.close_group()
    p.frame()
    return c.svg()


def _forecast(
    c: Canvas,
    p: svg.Plot,
    a: float,
    ctd: float,
    rows: list[tuple[float, float, float, float]],
    currency: str,
) -> None:
    """The band and P50 line from (``a``, ``ctd``) through the month ends ``rows``
    (end, P10, P50, P90), with a hover dot per month end."""
    rows = [r for r in rows if all(math.isfinite(v) for v in r)]
    hi = [(p.x(a), p.y(ctd)), *((p.x(e), p.y(v)) for e, _, _, v in rows)]
    lo = [(p.x(a), p.y(ctd)), *((p.x(e), p.y(v)) for e, v, _, _ in rows)]
    c.path(svg.points_d(hi + lo[::-1]) + " Z", fill=BAR, fill_opacity=0.6, class_="band")
    mid = [(p.x(a), p.y(ctd)), *((p.x(e), p.y(m)) for e, _, m, _ in rows)]
    c.polyline(mid, DARK, stroke_width=2.0, class_="forecast")
    for e, v10, v50, v90 in rows:
        tip = (
            f"end of {iso_day(e - 1)[:7]}: P10 {fmt.money(v10, currency)}, P50 "
            f"{fmt.money(v50, currency)}, P90 {fmt.money(v90, currency)}"
        )
        svg.marker(c, "o", p.x(e), p.y(v50), 6, DARK, tip)


def _budget(c: Canvas, p: svg.Plot, budget: float | None, currency: str) -> None:
    """The total budget as a dashed red line across the plot, labelled."""
    if budget is None:
        return
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
    c.text(p.left + 6, y - 8, f"budget {fmt.money_tick(budget, currency)}", 10, "start", fill=RED)


__all__ = ["ACTUAL_LEGEND", "month_basis", "month_ends", "reforecast_cost_svg"]
