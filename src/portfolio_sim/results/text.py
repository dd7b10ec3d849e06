"""Plain-text tables of a forecast for the terminal (the CLI prints these).

Numbers read as in every human-facing output (:mod:`portfolio_sim.formatting`): money
with the scenario's currency code in whole units, probabilities as ``"85 %"``, ISO dates,
column headings from :func:`~portfolio_sim.formatting.label`. Tables are padded text,
never a DataFrame repr.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from portfolio_sim import formatting as fmt
from portfolio_sim.results import precision_text

#: How the cost to date was phased (docs/model.md §11.2), after its total.
_PHASING = {
    "total": "",
    "monthly": " (recorded by month)",
    "mixed": " (by month where recorded, totals spread evenly)",
}


def _date(x: Any) -> str:
    return fmt.iso_date(x, missing="after horizon")


def _pct(x: Any) -> str:
    return fmt.pct(x, missing="")


def _on_time(p: Any, undecided: Any) -> str:
    """The deadline probability, with the undecided share when some trials leave the
    deadline undecided (not done by a horizon before it): "62% (5% undecided)"."""
    if pd.isna(p):
        return ""
    if pd.isna(undecided) or undecided <= 0:
        return _pct(p)
    return f"{_pct(p)} ({_pct(undecided)} undecided)"


def _level_label(key: str) -> str:
    """``p80`` -> ``P80``, ``p97_5`` -> ``P97.5``."""
    return "P" + key[1:].replace("_", ".")


def _date_keys(fc: Any) -> list[str]:
    """The date columns the text shows: P50/P85/P95 by default, else every chosen level."""
    return ["p50", "p85", "p95"] if fc.percentiles is None else list(fc.date_columns)


def _keys(row: Any, default: tuple[str, ...], chosen: Any) -> list[str]:
    """Percentile keys of a money row to show: ``default``, or every chosen level."""
    if chosen is None:
        return list(default)
    return [k for k in row.index if k.startswith("p") and "_ci_" not in k]


def widest_wd(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per row, the widest 95 % half-width (working days) of the date columns ``keys``."""
    return df[[f"{k}_ci_wd" for k in keys]].astype(float).max(axis=1)


def forecast_text(fc: Any) -> str:
    """A readable summary: headline, features and teams. How precise the dates are:
    one footnote when every shown date is within ±1 working day at 95 %, else a "± wd"
    column (the widest interval of the row; docs/model.md §8.10)."""
    title = fc.scenario + (f" / variant {fc.variant}" if fc.variant else "")
    port = fc.portfolio.loc["finish"]
    keys = _date_keys(fc)
    feats, teams = fc.features, fc.teams
    port_wd = float(max(port[f"{k}_ci_wd"] for k in keys))
    feat_wd, team_wd = widest_wd(feats, keys), widest_wd(teams, keys)
    widest = max([port_wd, *feat_wd.tolist(), *team_wd.tolist()])
    column = widest > precision_text.FOOTNOTE_UP_TO
    lines = [
        f"{title}: {fc.trials:,} trials, seed {fc.seed}, engine {fc.engine}",
        *filter(None, [precision_text.trials_note(fc.trials, fc.auto)]),
        "",
        "Portfolio done   "
        + "   ".join(f"{_level_label(k)} {_date(port[k])}" for k in keys)
        + (f"   ({precision_text.wd_text(port_wd)})" if column else ""),
    ]
    if port["not_done_share"] > 0:
        lines.append(f"Not done by the horizon in {_pct(port['not_done_share'])} of trials")
    table = pd.DataFrame(
        {
            fmt.label("id"): feats["id"],
            fmt.label("team"): fmt.team_cells(list(feats["id"]), list(feats["team"])),
            **{f"Done {_level_label(k)}": feats[k].map(_date) for k in keys},
            fmt.label("deadline"): feats["deadline"].map(lambda d: fmt.iso_date(d)),
            "On time": [
                _on_time(p, u)
                for p, u in zip(
                    feats["deadline_probability"], feats["deadline_undecided_share"], strict=True
                )
            ],
            "Not done": feats["not_done_share"].map(lambda x: _pct(x) if x > 0 else ""),
        }
    )
    if column:
        table["± wd"] = feat_wd.map(precision_text.wd_text)
    team_table = pd.DataFrame(
        {
            fmt.label("team"): teams["id"],
            fmt.label("kind"): teams["kind"],
            **{f"Done {_level_label(k)}": teams[k].map(_date) for k in keys},
            fmt.label("utilization"): teams["utilization"].map(_pct),
        }
    )
    if column:
        team_table["± wd"] = team_wd.map(precision_text.wd_text)
    lines += ["", table.to_string(index=False), "", team_table.to_string(index=False)]
    lines += ["", precision_text.dates_note(widest)]
    if fc.raw.money is not None:
        lines += ["", money_text(fc)]
    if getattr(fc, "earned_value", None) is not None:
        from portfolio_sim.results.evm_tables import evm_text

        lines += ["", evm_text(fc.earned_value, fc.compiled.currency)]
    return "\n".join(lines)


def _m(x: Any, currency: str) -> str:
    return fmt.money(x, currency)


def money_text(fc: Any) -> str:
    """The finance view: cost bands vs budget, overrun risk, capex, value and NPV."""
    cur = fc.compiled.currency
    port = fc.portfolio
    cost, npv, value = port.loc["cost"], port.loc["npv"], port.loc["value_pv"]
    budget = fc.budget
    chosen = fc.percentiles
    cost_keys = _keys(cost.dropna(), ("p10", "p50", "p80", "p90"), chosen)
    npv_keys = _keys(npv.dropna(), ("p10", "p50", "p90"), chosen)
    mid = "p50" if chosen is None else npv_keys[(len(npv_keys) - 1) // 2]
    lo_hi = ("p10", "p90") if chosen is None else (npv_keys[0], npv_keys[-1])

    def levels(row: Any, ks: list[str]) -> str:
        return "   ".join(f"{_level_label(k)} {_m(row[k], cur)}" for k in ks)

    rel = max(float(cost[f"{k}_ci_rel"]) for k in cost_keys)
    lines = [
        "Cost             "
        + levels(cost, cost_keys)
        + f"   ({precision_text.rel_text(rel)} at 95 %)",
        "Contingency      P80-P50 {}   P90-P50 {}".format(
            _m(budget["contingency"]["p80_minus_p50"], cur),
            _m(budget["contingency"]["p90_minus_p50"], cur),
        ),
    ]
    status = fc.meta.get("status")
    if status:  # a re-forecast (docs/model.md §11.1)
        lines.append(
            f"Actual cost to date (as of {status['as_of']}): {_m(status['cost_to_date'], cur)}"
            + _PHASING.get(status.get("phasing", "total"), "")
        )
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
        "Capex            " + levels(port.loc["capex"], [mid]),
        "Value (PV)       mean {}   {}".format(_m(value["mean"], cur), levels(value, list(lo_hi))),
        "NPV              mean {}   {}   chance NPV > 0 {}".format(
            _m(npv["mean"], cur), levels(npv, npv_keys), _pct(npv["positive_probability"])
        ),
    ]
    months = fc.months
    table = pd.DataFrame(
        {
            "Month": months["month"],
            **{
                fmt.label(col): months[col].map(lambda v: fmt.money(v, cur))
                for col in ("cost_p10", "cost_p50", "cost_p90", "capex_p50", "cumulative_p50")
            },
        }
    )
    active = months["cost_p90"] > 0
    if not active.any():  # a scenario without any cost: say so, not an empty table
        lines += [
            "",
            f"Monthly cost ({cur}): none (the P90 cost of every month is 0)",
        ]
        return "\n".join(lines)
    lines += ["", "Monthly cost, months with cost:", table[active].to_string(index=False)]
    return "\n".join(lines)


def _plain(x: Any) -> str:
    """A number that is neither money nor a share: thousands separated, at most two
    decimals, never scientific notation."""
    v = float(x)
    if v.is_integer():
        return f"{v:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def cell_text(column: str, x: Any, currency: str = "") -> str:
    """One table cell as the terminal shows it: money, percentage, ISO date, list or
    plain number according to the column (:mod:`portfolio_sim.formatting`)."""
    if isinstance(x, list | tuple):
        return ", ".join(str(v) for v in x) or "(none)"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if fmt._missing(x):
        return ""
    if hasattr(x, "year") or type(x).__name__ == "datetime64":
        return fmt.iso_date(x)
    if isinstance(x, int | float) or hasattr(x, "dtype"):
        if column in fmt.MONEY_COLUMNS or _is_money(column):
            return fmt.money(x, currency)
        if column in fmt.PERCENT_COLUMNS or _is_share(column):
            return fmt.pct(x)
        if hasattr(x, "dtype") and x.dtype.kind == "b":
            return "yes" if x else "no"
        return _plain(x)
    return str(x)


def _is_money(column: str) -> bool:
    words = column.split("_")
    return (
        bool({"cost", "npv", "budget", "value", "capex", "opex"} & set(words))
        and not ({"probability", "share", "days", "swing"} & set(words))
        or column in {"npv_swing", "cost_of_delay_mean", "cost_of_delay_p90"}
    )


def _is_share(column: str) -> bool:
    return column.endswith(("_probability", "_share")) or column in {"criticality"}


def table_text(df: pd.DataFrame, currency: str = "", headings: dict[str, str] | None = None) -> str:
    """A DataFrame as a padded terminal table: human headings (``headings``, else
    :func:`fmt.label`) and every cell through :func:`cell_text`; ``"(none)"`` for an
    empty table."""
    if len(df) == 0:
        return "(none)"
    names = headings or {}
    shown = pd.DataFrame(
        {
            names.get(str(col), fmt.label(str(col))): [
                cell_text(str(col), v, currency) for v in df[col].tolist()
            ]
            for col in df.columns
        }
    )
    return shown.to_string(index=False)


def cut_line_text(cut: pd.DataFrame, date: Any) -> str:
    """The cut line of a comparison (:meth:`Comparison.cut_line`) for the terminal: per
    scenario and feature, the chance of being done by ``date`` and whether it makes the
    date at each level (P50 and P85 by default)."""
    day = fmt.iso_date(date)
    makes = {c: f"Makes it at {_level_label(c[3:])}" for c in cut.columns if c.startswith("at_p")}
    makes |= {c[3:]: f"Done {_level_label(c[3:])}" for c in makes}
    table = table_text(
        cut,
        headings={"scenario": "Scenario", "probability": f"Chance done by {day}", **makes},
    )
    return f"Cut line at {day}:\n{table}"
