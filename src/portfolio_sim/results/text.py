"""Plain-text tables of a forecast for the terminal (the CLI prints these)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _date(x: Any) -> str:
    return "after horizon" if pd.isna(x) else str(pd.Timestamp(x).date())


def _pct(x: Any) -> str:
    return "" if pd.isna(x) else f"{100 * float(x):.0f}%"


def _on_time(p: Any, undecided: Any) -> str:
    """The deadline probability, with the undecided share when some trials leave the
    deadline undecided (not done by a horizon before it): "62% (5% undecided)"."""
    if pd.isna(p):
        return ""
    if pd.isna(undecided) or undecided <= 0:
        return _pct(p)
    return f"{_pct(p)} ({_pct(undecided)} undecided)"


def forecast_text(fc: Any) -> str:
    """A readable summary: headline, features and teams."""
    title = fc.scenario + (f" / variant {fc.variant}" if fc.variant else "")
    port = fc.portfolio.loc["finish"]
    lines = [
        f"{title}: {fc.trials:,} trials, seed {fc.seed}, engine {fc.engine}",
        "",
        "Portfolio done   P50 {}   P85 {}   P95 {}".format(
            _date(port["p50"]), _date(port["p85"]), _date(port["p95"])
        ),
    ]
    if port["not_done_share"] > 0:
        lines.append(f"Not done by the horizon in {_pct(port['not_done_share'])} of trials")
    feats = fc.features
    table = pd.DataFrame(
        {
            "feature": feats["id"],
            "team": feats["team"],
            "P50": feats["p50"].map(_date),
            "P85": feats["p85"].map(_date),
            "P95": feats["p95"].map(_date),
            "deadline": feats["deadline"].map(lambda d: "" if pd.isna(d) else _date(d)),
            "on time": [
                _on_time(p, u)
                for p, u in zip(
                    feats["deadline_probability"], feats["deadline_undecided_share"], strict=True
                )
            ],
            "not done": feats["not_done_share"].map(lambda x: _pct(x) if x > 0 else ""),
        }
    )
    teams = fc.teams
    team_table = pd.DataFrame(
        {
            "team": teams["id"],
            "kind": teams["kind"],
            "P50": teams["p50"].map(_date),
            "P85": teams["p85"].map(_date),
            "P95": teams["p95"].map(_date),
            "utilisation": teams["utilization"].map(_pct),
        }
    )
    lines += ["", table.to_string(index=False), "", team_table.to_string(index=False)]
    if fc.raw.money is not None:
        lines += ["", money_text(fc)]
    return "\n".join(lines)


def _m(x: Any, currency: str) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{currency} {float(x):,.0f}"


def money_text(fc: Any) -> str:
    """The finance view: cost bands vs budget, overrun risk, capex, value and NPV."""
    cur = fc.compiled.currency
    port = fc.portfolio
    cost, npv, value = port.loc["cost"], port.loc["npv"], port.loc["value_pv"]
    budget = fc.budget
    lines = [
        "Cost ({})        P10 {}   P50 {}   P80 {}   P90 {}".format(
            cur,
            _m(cost["p10"], cur),
            _m(cost["p50"], cur),
            _m(cost["p80"], cur),
            _m(cost["p90"], cur),
        ),
        "Contingency      P80-P50 {}   P90-P50 {}".format(
            _m(budget["contingency"]["p80_minus_p50"], cur),
            _m(budget["contingency"]["p90_minus_p50"], cur),
        ),
    ]
    if budget["total"] is not None:
        spent = budget.get("spent_date", {})
        lines.append(
            "Budget           {}   chance of overrun {}   runs out (P50) {}".format(
                _m(budget["total"], cur),
                _pct(budget["overrun_probability"]),
                spent.get("p50") or "not by the horizon",
            )
        )
    for q in budget["quarters"]:
        lines.append(
            "  {:<14} budget {}   cost P50 {}   chance of overrun {}".format(
                q["quarter"],
                _m(q["budget"], cur),
                _m(q["cost"]["p50"], cur),
                _pct(q["overrun_probability"]),
            )
        )
    lines += [
        "Capex            P50 {}".format(_m(port.loc["capex"]["p50"], cur)),
        "Value (PV)       mean {}   P10 {}   P90 {}".format(
            _m(value["mean"], cur), _m(value["p10"], cur), _m(value["p90"], cur)
        ),
        "NPV              mean {}   P10 {}   P50 {}   P90 {}   chance NPV > 0 {}".format(
            _m(npv["mean"], cur),
            _m(npv["p10"], cur),
            _m(npv["p50"], cur),
            _m(npv["p90"], cur),
            _pct(npv["positive_probability"]),
        ),
    ]
    months = fc.months
    table = pd.DataFrame(
        {
            "month": months["month"],
            "cost P10": months["cost_p10"].map(lambda v: f"{v:,.0f}"),
            "cost P50": months["cost_p50"].map(lambda v: f"{v:,.0f}"),
            "cost P90": months["cost_p90"].map(lambda v: f"{v:,.0f}"),
            "capex P50": months["capex_p50"].map(lambda v: f"{v:,.0f}"),
            "cumulative P50": months["cumulative_p50"].map(lambda v: f"{v:,.0f}"),
        }
    )
    active = months["cost_p90"] > 0
    if not active.any():  # a scenario without any cost: say so, not an empty table
        lines += [
            "",
            f"Monthly cost ({cur}): none (the P90 cost of every month is 0)",
        ]
        return "\n".join(lines)
    lines += ["", f"Monthly cost ({cur}), months with cost:", table[active].to_string(index=False)]
    return "\n".join(lines)
