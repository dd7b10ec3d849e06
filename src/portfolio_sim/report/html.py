"""One self-contained HTML report of a forecast: no network, no scripts, no CDN.

Headline answers first (when, what it costs, what it is worth), then each chart as
inline SVG next to the table of the numbers it draws.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim.report import charts

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.headline{display:flex;flex-wrap:wrap;gap:1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.8em 1.2em;min-width:220px}
.card .k{color:#666;font-size:.85em} .card .v{font-size:1.4em;font-weight:600}
.pair{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
.pair .chart{flex:1 1 560px} .pair .data{flex:1 1 380px;max-height:520px;overflow:auto}
table{border-collapse:collapse;font-size:.8em} td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
footer{margin-top:3em;color:#666;font-size:.8em}
svg{max-width:100%;height:auto}
"""


def _money(x: Any, currency: str) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return f"{currency} {x:,.0f}"


def _date(x: Any) -> str:
    return "after horizon" if x is None or pd.isna(x) else str(pd.Timestamp(x).date())


def _pct(x: Any) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * float(x):.0f}%"


def _deadline_pct(p: Any, undecided: Any) -> str:
    """P(meet the deadline), with the undecided share (trials not done by a horizon
    before the deadline: neither met nor missed) when there is one: "62% (5% undecided)"."""
    if p is None or pd.isna(p):
        return ""
    if undecided is None or pd.isna(undecided) or undecided <= 0:
        return _pct(p)
    return f"{_pct(p)} ({_pct(undecided)} undecided)"


def _table(df: pd.DataFrame) -> str:
    out = df.copy()
    for col in out.columns:
        if col == "deadline":  # NaT: no deadline (not "after horizon")
            out[col] = out[col].map(lambda d: "" if pd.isna(d) else _date(d))
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(_date)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return out.to_html(index=False, border=0, escape=True)


def _card(key: str, value: str) -> str:
    return f'<div class="card"><div class="k">{html.escape(key)}</div><div class="v">{html.escape(value)}</div></div>'


def _pair(title: str, svg: str, table: str) -> str:
    return (
        f"<h2>{html.escape(title)}</h2><div class='pair'><div class='chart'>{svg}</div>"
        f"<div class='data'>{table}</div></div>"
    )


def forecast_html(fc: Any) -> str:
    """The report of one forecast as an HTML document (a string)."""
    cur = fc.compiled.currency
    port = fc.portfolio
    fin = port.loc["finish"]
    title = fc.scenario + (f" — variant {fc.variant}" if fc.variant else "")
    cards = [
        _card("Portfolio done (P50)", _date(fin["p50"])),
        _card("Portfolio done (P85)", _date(fin["p85"])),
    ]
    parts: list[str] = []
    feats = fc.features
    has_money = fc.raw.money is not None
    if has_money:
        cost = port.loc["cost"]
        npv = port.loc["npv"]
        budget = fc.budget
        cards += [
            _card("Cost P50 / P80", f"{_money(cost['p50'], cur)} / {_money(cost['p80'], cur)}"),
            _card("Budget", _money(budget["total"], cur)),
            _card("Chance of overrunning the budget", _pct(budget["overrun_probability"])),
            _card("NPV mean (P10)", f"{_money(npv['mean'], cur)} ({_money(npv['p10'], cur)})"),
            _card("Chance NPV > 0", _pct(npv["positive_probability"])),
        ]
    deadline_rows = feats[feats["deadline"].notna()]
    if len(deadline_rows):
        worst = deadline_rows.sort_values("deadline_probability").iloc[0]
        cards.append(
            _card(
                f"Riskiest deadline: {worst['id']}",
                _deadline_pct(worst["deadline_probability"], worst["deadline_undecided_share"]),
            )
        )
    date_cols = [
        "id",
        "team",
        "p10",
        "p50",
        "p85",
        "p95",
        "deadline",
        "deadline_probability",
        "not_done_share",
    ]
    parts.append(
        _pair(
            "When: done dates per feature",
            charts.feature_dates_svg(feats),
            _table(
                feats[date_cols].assign(
                    deadline_probability=[
                        _deadline_pct(p, u)
                        for p, u in zip(
                            feats["deadline_probability"],
                            feats["deadline_undecided_share"],
                            strict=True,
                        )
                    ]
                )
            ),
        )
    )
    teams = fc.teams
    team_cols = [
        c
        for c in (
            "id",
            "kind",
            "p50",
            "p85",
            "p95",
            "utilization",
            "cost_mean",
            "cost_p50",
            "cost_p90",
        )
        if c in teams.columns
    ]
    parts.append(
        _pair(
            "Teams: utilisation and done dates",
            charts.utilisation_svg(teams),
            _table(teams[team_cols]),
        )
    )
    if has_money:
        months = fc.months
        parts.append(
            _pair(
                f"What it costs: cumulative cost ({cur})",
                charts.cost_fan_svg(months, fc.compiled.budget_total),
                _table(months[["month", "cumulative_p10", "cumulative_p50", "cumulative_p90"]]),
            )
        )
        parts.append(
            _pair(
                f"Cost per month, capex and opex ({cur})",
                charts.monthly_cost_svg(months),
                _table(
                    months[["month", "cost_p10", "cost_p50", "cost_p90", "capex_p50", "opex_p50"]]
                ),
            )
        )
        npv_values = fc.raw.money[:, 5]
        value_cols = [
            "id",
            "value_pv_mean",
            "cost_of_delay_per_month",
            "cost_of_delay_per_week",
            "oneoff_cost_mean",
        ]
        parts.append(
            _pair(
                f"What it is worth: NPV ({cur})",
                charts.npv_svg(npv_values),
                _table(feats[value_cols][feats["value_pv_mean"] > 0]),
            )
        )
        jcl = fc.joint_confidence().reset_index()
        jcl["budget"] = jcl["budget"].map(lambda b: _money(b, cur))
        parts.append("<h2>Joint confidence: within budget and done by date</h2>" + _table(jcl))
    prov = fc.meta
    footer = "; ".join(f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in prov.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{fc.trials:,} Monte Carlo trials, seed {fc.seed}, engine {html.escape(fc.engine)}.</p>"
        f"<div class='headline'>{''.join(cards)}</div>"
        + "".join(parts)
        + f"<footer>Provenance — {footer}</footer></body></html>"
    )
