"""How numbers read in human-facing outputs: money, percentages, dates and labels.

One convention, used by every human-facing surface (HTML reports and charts, the
terminal tables, Excel headings), so a reader sees the same spelling everywhere. This
module imports no pandas or matplotlib at module level: :mod:`portfolio_sim.results` and
:mod:`portfolio_sim.report` both use it (the chart axis helpers live in
:mod:`portfolio_sim.report.svg`). Machine exports (JSON, CSV) keep snake_case keys
and plain numbers; see docs/outputs.md.

* **Money** is the scenario's currency *code*, a space, then whole units with thousands
  separators: ``money(1234567.8, "EUR") == "EUR 1,234,568"``. A negative amount puts the
  ASCII minus before the code (``"-EUR 701,181"``), so a pasted cell stays readable and
  never turns into a formula; :func:`signed_money` always shows the sign (``"+EUR 5,000"``).
  Never scientific notation, whatever the size. Cents are for machine exports only.
* **Axis ticks** of money are short: ``money_tick(1_200_000, "EUR") == "EUR 1.2M"``,
  ``"EUR 350k"``, ``"EUR 0"``; never an exponent or a ``1e6`` offset (see
  :func:`portfolio_sim.report.svg.money_labels`).
* **Probabilities** are whole percentages with a space before the sign:
  ``pct(0.851) == "85 %"``. A share that is not exactly 0 or 1 never rounds to a
  certainty: ``pct(0.996) == ">99 %"``, ``pct(0.004) == "<1 %"``.
* **Dates** are ISO dates without a time part: ``iso_date(...) == "2027-03-25"``.
* **Labels**: :func:`label` turns a results column name into its table heading
  (``"cost_p50"`` -> ``"Cost P50"``, ``"utilization"`` -> ``"Utilisation"``).

Missing values (None, NaN, NaT) read as the ``missing`` text each function takes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

#: Column names whose values are money, in the scenario's currency.
MONEY_COLUMNS = frozenset(
    {
        "budget",
        "total",
        "cost_mean",
        "cost_p10",
        "cost_p50",
        "cost_p80",
        "cost_p90",
        "capex_p10",
        "capex_p50",
        "capex_p90",
        "capex_mean",
        "opex_p10",
        "opex_p50",
        "opex_p90",
        "opex_mean",
        "cumulative_p10",
        "cumulative_p50",
        "cumulative_p90",
        "cumulative_mean",
        "value_pv_mean",
        "oneoff_cost_mean",
        "cost_of_delay_per_month",
        "cost_of_delay_per_week",
        "npv_mean",
        "npv_p10",
        "npv_p50",
        "npv_p90",
    }
)

#: Column names whose values are probabilities or shares (0..1).
PERCENT_COLUMNS = frozenset(
    {
        "deadline_probability",
        "deadline_undecided_share",
        "not_done_share",
        "utilization",
        "overrun_probability",
        "budget_overrun_probability",
        "positive_probability",
        "probability",
    }
)

#: Table headings of results columns (anything else: see :func:`label`).
LABELS = {
    "id": "Feature",
    "team": "Team",
    "kind": "Kind",
    "month": "Month",
    "p10": "Done P10",
    "p50": "Done P50",
    "p85": "Done P85",
    "p95": "Done P95",
    "deadline": "Deadline",
    "deadline_probability": "Chance of meeting the deadline",
    "deadline_undecided_share": "Deadline undecided",
    "not_done_share": "Not done by the horizon",
    "utilization": "Utilisation",
    "cost_mean": "Cost mean",
    "cumulative_p10": "Cumulative cost P10",
    "cumulative_p50": "Cumulative cost P50",
    "cumulative_p90": "Cumulative cost P90",
    "value_pv_mean": "Value (PV) mean",
    "oneoff_cost_mean": "One-off cost mean",
    "cost_of_delay_per_month": "Cost of delay per month",
    "cost_of_delay_per_week": "Cost of delay per week",
    "overrun_probability": "Chance of overrunning the budget",
    "budget_overrun_probability": "Chance of overrunning the budget",
    "positive_probability": "Chance NPV > 0",
    "budget": "Budget",
    "mean_workdays": "Mean working days",
}


#: Words a heading writes in capitals (``"npv_delta_mean"`` -> ``"NPV delta mean"``).
_ACRONYMS = frozenset({"npv", "pv", "roi", "id"})


def _missing(x: Any) -> bool:
    """None, NaN, NaT (numpy's or pandas'): the values that differ from themselves."""
    if x is None or type(x).__name__ == "NAType":  # pandas.NA
        return True
    try:
        return bool(x != x)
    except (TypeError, ValueError):
        return False


def _half_up(v: float) -> int:
    """Nearest whole number, halves away from zero (not Python's to-even rounding)."""
    whole = math.floor(abs(v) + 0.5)
    return -whole if v < 0 else whole


def _prefix(currency: str) -> str:
    return f"{currency} " if currency else ""


def money(x: Any, currency: str, missing: str = "n/a") -> str:
    """Whole units of ``currency`` with thousands separators: ``"EUR 1,234,568"``."""
    if _missing(x):
        return missing
    v = _half_up(float(x))
    sign = "-" if v < 0 else ""
    return f"{sign}{_prefix(currency)}{abs(v):,}"


def signed_money(x: Any, currency: str, missing: str = "n/a") -> str:
    """:func:`money` with the sign always shown: ``"+EUR 5,000"``, ``"-EUR 20"``."""
    if _missing(x):
        return missing
    text = money(x, currency)
    return text if text.startswith("-") else f"+{text}"


def money_tick(x: float, currency: str) -> str:
    """A short money label for a chart axis: ``"EUR 1.2M"``, ``"EUR 350k"``,
    ``"EUR 2.5bn"``, ``"EUR 900"``; one decimal only when it is not ``.0``."""
    v = float(x)
    sign = "-" if v < 0 else ""
    v = abs(v)
    cur = _prefix(currency)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if round(v / size, 1) >= 1:
            n = f"{v / size:.1f}".removesuffix(".0")
            return f"{sign}{cur}{n}{suffix}"
    return f"{sign}{cur}{v:.0f}" if round(v) else f"{cur}0"


def pct(x: Any, missing: str = "n/a") -> str:
    """A probability (0..1) as a whole percentage: ``"85 %"``; ``">99 %"`` and ``"<1 %"``
    for shares that would otherwise round to a certainty they are not."""
    if _missing(x):
        return missing
    p = float(x)
    if 0 < p < 0.005:
        return "<1 %"
    if 0.995 <= p < 1:
        return ">99 %"
    return f"{_half_up(100 * p)} %"


def iso_date(x: Any, missing: str = "") -> str:
    """``YYYY-MM-DD`` of a date, datetime or timestamp (no time part)."""
    if _missing(x):
        return missing
    if isinstance(x, dt.datetime):  # pandas' Timestamp is a datetime too
        return x.date().isoformat()
    if isinstance(x, dt.date):
        return x.isoformat()
    import numpy as np

    return str(np.datetime64(x, "D"))


def team_cells(ids: Sequence[str], teams: Sequence[str]) -> list[str]:
    """The Team column of a features table for people: a shared feature's whole (team
    ``@ID`` with part rows ``ID@TEAM``, docs/model.md §3.9) reads "shared: web, mobile",
    a duration task (team ``@ID``, §3.10) "duration task"; machine exports keep ``@ID``."""
    parts: dict[str, list[str]] = {}
    for fid in ids:
        whole, sep, team = str(fid).rpartition("@")
        if sep and whole:
            parts.setdefault(whole, []).append(team)
    out = []
    for fid, team in zip(ids, teams, strict=True):
        t = str(team)
        if t.startswith("@"):
            shared = parts.get(str(fid))
            t = f"shared: {', '.join(shared)}" if shared else "duration task"
        out.append(t)
    return out


def label(column: str) -> str:
    """The heading of a results column: from :data:`LABELS`, else percentile suffixes in
    capitals and words spaced (``"cost_p50"`` -> ``"Cost P50"``)."""
    if column in LABELS:
        return LABELS[column]
    words = [
        w.upper() if (w[:1] == "p" and w[1:].isdigit()) or w in _ACRONYMS else w
        for w in column.split("_")
    ]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


__all__ = [
    "LABELS",
    "MONEY_COLUMNS",
    "PERCENT_COLUMNS",
    "iso_date",
    "label",
    "money",
    "money_tick",
    "pct",
    "signed_money",
]
