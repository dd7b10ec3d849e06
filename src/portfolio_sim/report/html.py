"""One self-contained HTML report of a forecast: no network, no scripts, no CDN.

Headline answers first (when, what it costs, what it is worth), then each chart as
inline SVG next to the table of the numbers it draws.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import formatting as fmt
from portfolio_sim.report import charts
from portfolio_sim.results import precision_text

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;
padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.headline{display:flex;flex-wrap:wrap;gap:1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.8em 1.2em;min-width:220px}
.card .k{color:#666;font-size:.85em} .card .v{font-size:1.4em;font-weight:600}
.pair .chart{max-width:900px} .pair .data{margin-top:1em}
table{border-collapse:collapse;font-size:.85em;font-variant-numeric:tabular-nums}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4;font-weight:600} td:first-child,th:first-child{text-align:left}
td{white-space:nowrap} .text{text-align:left} td.text{white-space:normal}
footer{margin-top:3em;color:#666;font-size:.8em;overflow-wrap:anywhere}
.note{color:#555;font-size:.85em} .warning{color:#a00;font-weight:600}
svg{max-width:100%;height:auto}
@media print{
 @page{size:A4;margin:12mm}
 body{margin:0;max-width:none;padding:0;font-size:10pt}
 h2{break-after:avoid} .card,tr,svg{break-inside:avoid}
 thead{display:table-header-group} table{font-size:8pt}
 .pair .chart{max-width:100%}
}
"""

#: Columns shown as prose (left-aligned, may wrap) rather than as figures.
TEXT_COLUMNS = frozenset({"id", "team", "kind", "scenario", "feature", "input", "basis"})


def _cell(col: str, value: Any, currency: str) -> str:
    """One table cell's text, by the column's kind (see :mod:`.format`)."""
    if col == "deadline":  # NaT: no deadline (not "after horizon")
        return fmt.iso_date(value)
    if isinstance(value, dt.date | pd.Timestamp | np.datetime64):
        return fmt.iso_date(value, missing="after horizon")
    if col in fmt.MONEY_COLUMNS:
        return fmt.money(value, currency, missing="")
    if col in fmt.PERCENT_COLUMNS:
        return fmt.pct(value, missing="")
    if isinstance(value, float | np.floating):
        return "" if pd.isna(value) else f"{value:,.1f}"
    return "" if value is None or value is pd.NaT else str(value)


def _cls(col: str) -> str:
    return " class='text'" if col in TEXT_COLUMNS else ""


def html_table(df: pd.DataFrame, currency: str = "", labels: dict[str, str] | None = None) -> str:
    """A results table in human form: headings from :func:`format.label` (or
    ``labels``), money with the currency in whole units, shares as percentages, dates
    as ISO dates (an undated percentile reads "after horizon")."""
    labels = labels or {}
    dates = {c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])}
    head = "".join(
        f"<th{_cls(c)}>{html.escape(labels.get(c, fmt.label(c)))}</th>" for c in df.columns
    )
    rows = []
    for row in df.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(df.columns, row, strict=True):
            if col in dates and col != "deadline" and pd.isna(value):
                text = "after horizon"
            else:
                text = _cell(col, value, currency)
            cells.append(f"<td{_cls(col)}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def money_text(x: Any, currency: str) -> str:
    """An amount in whole units with its currency (:func:`format.money`)."""
    return fmt.money(x, currency)


def date_text(x: Any) -> str:
    """An ISO date; a missing date (not done by the horizon) reads "after horizon"."""
    return fmt.iso_date(x, missing="after horizon")


def pct_text(x: Any) -> str:
    """A share as a percentage (:func:`format.pct`)."""
    return fmt.pct(x)


def deadline_text(p: Any, undecided: Any) -> str:
    """The chance of meeting the deadline, with the undecided share (trials not done by a
    horizon before the deadline: neither met nor missed, docs/model.md §6.6) when there is
    one: "62 % (5 % undecided)"."""
    if p is None or pd.isna(p):
        return ""
    if undecided is None or pd.isna(undecided) or undecided <= 0:
        return pct_text(p)
    return f"{pct_text(p)} ({pct_text(undecided)} undecided)"


def _card(key: str, value: str) -> str:
    return f'<div class="card"><div class="k">{html.escape(key)}</div><div class="v">{html.escape(value)}</div></div>'


def chart_pair(title: str, svg: str, table: str) -> str:
    """A titled section: a chart (inline SVG) beside its data table."""
    return (
        f"<h2>{html.escape(title)}</h2><div class='pair'><div class='chart'>{charts.clean_svg(svg)}</div>"
        f"<div class='data'>{table}</div></div>"
    )


def _level(key: str) -> str:
    """``p80`` -> ``P80``, ``p97_5`` -> ``P97.5``."""
    return "P" + key[1:].replace("_", ".")


def forecast_html(fc: Any) -> str:
    """The report of one forecast as an HTML document (a string)."""
    cur = fc.compiled.currency
    port = fc.portfolio
    fin = port.loc["finish"]
    title = fc.scenario + (f" — variant {fc.variant}" if fc.variant else "")
    chosen = fc.percentiles
    date_keys = list(fc.date_columns)
    shown = ["p50", "p85"] if chosen is None else date_keys
    cards = [_card(f"Portfolio done ({_level(k)})", date_text(fin[k])) for k in shown]
    parts: list[str] = []
    feats = fc.features
    has_money = fc.raw.money is not None
    if has_money:
        cost = port.loc["cost"]
        npv = port.loc["npv"]
        budget = fc.budget
        cost_keys = ["p50", "p80"] if chosen is None else date_keys
        low = "p10" if chosen is None else date_keys[0]
        cards += [
            _card(
                "Cost " + " / ".join(_level(k) for k in cost_keys),
                " / ".join(money_text(cost[k], cur) for k in cost_keys)
                + " ("
                + precision_text.rel_text(max(float(cost[f"{k}_ci_rel"]) for k in cost_keys))
                + " at 95 %)",
            ),
            _card("Budget", money_text(budget["total"], cur)),
            _card("Chance of overrunning the budget", pct_text(budget["overrun_probability"])),
            _card(
                f"NPV mean ({_level(low)})",
                f"{money_text(npv['mean'], cur)} ({money_text(npv[low], cur)})",
            ),
            _card("Chance NPV > 0", pct_text(npv["positive_probability"])),
        ]
    deadline_rows = feats[feats["deadline"].notna()]
    if len(deadline_rows):
        worst = deadline_rows.sort_values("deadline_probability").iloc[0]
        cards.append(
            _card(
                f"Riskiest deadline: {worst['id']}",
                deadline_text(worst["deadline_probability"], worst["deadline_undecided_share"]),
            )
        )
    date_cols = [
        "id",
        "team",
        *date_keys,
        "deadline",
        "deadline_probability",
        "deadline_undecided_share",
        "not_done_share",
    ]
    # how precise the dates are (docs/model.md §8.10): a footnote when all are within
    # ±1 working day, else one "± wd" column (the widest interval of the row)
    teams = fc.teams
    feat_wd = feats[[f"{k}_ci_wd" for k in date_keys]].astype(float).max(axis=1)
    team_wd = teams[[f"{k}_ci_wd" for k in date_keys]].astype(float).max(axis=1)
    port_wd = max(float(fin[f"{k}_ci_wd"]) for k in date_keys)
    widest = max([port_wd, *feat_wd.tolist(), *team_wd.tolist()])
    feat_table = feats[date_cols].copy()
    feat_table["team"] = fmt.team_cells(list(feats["id"]), list(feats["team"]))
    if widest > precision_text.FOOTNOTE_UP_TO:
        feat_table["± wd"] = feat_wd.map(precision_text.wd_text)
    note = precision_text.dates_note(widest)
    if widest > precision_text.FOOTNOTE_UP_TO:
        note += f" Portfolio dates: {precision_text.wd_text(port_wd)}."
    parts.append(
        chart_pair(
            "When: done dates per feature",
            charts.feature_dates_svg(feats, date_keys),
            html_table(feat_table, cur) + f"<p class='note'>{html.escape(note)}</p>",
        )
    )
    team_cols = [
        c
        for c in (
            "id",
            "kind",
            *(("p50", "p85", "p95") if chosen is None else date_keys),
            "utilization",
            "cost_mean",
            *(("cost_p50", "cost_p90") if chosen is None else (f"cost_{k}" for k in date_keys)),
        )
        if c in teams.columns
    ]
    parts.append(
        chart_pair(
            "Teams: utilisation and done dates",
            charts.utilisation_svg(teams),
            html_table(
                teams[team_cols].assign(**{"± wd": team_wd.map(precision_text.wd_text)})
                if widest > precision_text.FOOTNOTE_UP_TO
                else teams[team_cols],
                cur,
                labels={"id": "Team"},
            ),
        )
    )
    load = fc.team_load
    if len(load):
        from portfolio_sim.report.load_chart import load_heatmap_svg, load_summary
        from portfolio_sim.results.load import BOTTLENECK_BUSY_P50 as hot

        parts.append(
            chart_pair(
                "Team load over time: busy, waiting, empty",
                load_heatmap_svg(load, hot),
                html_table(
                    load_summary(load, hot).assign(
                        **{
                            f"{s}_share": lambda d, s=s: d[f"{s}_share"].map(pct_text)
                            for s in ("busy", "waiting", "empty")
                        }
                    ),
                    cur,
                    labels={"team": "Team"},
                )
                + "<p class='note'>Share of each team's capacity (mean over the trials, "
                "weighted by capacity): busy on features in progress, waiting (unfinished "
                "features, none workable yet), empty (nothing left). Per-month bands: "
                "team_load.csv / JSON.</p>",
            )
        )
    if has_money:
        months = fc.months
        cum_cols = ["month", "cumulative_p10", "cumulative_p50", "cumulative_p90"]
        cumulative = months[cum_cols]
        status = fc.meta.get("status")
        if status:  # a re-forecast: actuals to as_of, then the fan (docs/model.md §11.6)
            from portfolio_sim.report import cost_actuals

            as_of = status["as_of"]
            fan_svg = cost_actuals.reforecast_cost_svg(
                months,
                fc.compiled.budget_total,
                cur,
                fc.compiled.calendar.start,
                as_of,
                status["cost_to_date"],
                status.get("phasing", "total"),
            )
            basis = cost_actuals.month_basis(
                months["month"], as_of, fc.compiled.calendar.start, status.get("phasing", "total")
            )
            cumulative = cumulative.assign(basis=basis)[["month", "basis", *cum_cols[1:]]]
        else:
            fan_svg = charts.cost_fan_svg(months, fc.compiled.budget_total, cur)
        parts.append(
            chart_pair(
                f"What it costs: cumulative cost ({cur})",
                fan_svg,
                html_table(cumulative, cur, labels={"basis": "Actual or forecast"}),
            )
        )
        parts.append(
            chart_pair(
                f"Cost per month, capex and opex ({cur})",
                charts.monthly_cost_svg(months, cur),
                html_table(
                    months[["month", "cost_p10", "cost_p50", "cost_p90", "capex_p50", "opex_p50"]],
                    cur,
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
            chart_pair(
                f"What it is worth: NPV ({cur})",
                charts.npv_svg(npv_values, cur),
                html_table(feats[value_cols][feats["value_pv_mean"] > 0], cur),
            )
        )
        jcl = fc.joint_confidence().reset_index()
        shown = pd.DataFrame({"budget": jcl["budget"]})
        for col in jcl.columns[1:]:
            shown[f"Done by {date_text(col)}"] = jcl[col].map(pct_text)
        parts.append(
            "<h2>Joint confidence: within budget and done by date</h2>"
            "<p>Chance of both staying within the budget (row) and being done by the date "
            "(column).</p>" + html_table(shown, cur)
        )
    if fc.how_many is not None:
        from portfolio_sim.results.history_tables import HOW_MANY_HEADINGS

        parts.append(
            "<h2>How many items by each date</h2>"
            "<p>Items each throughput team completes by the end of each date: at least N "
            "is reached in that share of trials; at most N is not exceeded.</p>"
            + html_table(fc.how_many, cur, labels={**HOW_MANY_HEADINGS, "mean": "Mean"})
        )
    if getattr(fc, "earned_value", None) is not None:
        from portfolio_sim.report.evm_html import evm_section

        parts.append(evm_section(fc.earned_value, cur))
    prov = fc.meta
    footer = "; ".join(f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in prov.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{fc.trials:,} Monte Carlo trials, seed {fc.seed}, engine {html.escape(fc.engine)}.</p>"
        + "".join(f"<p class='warning'>Warning: {html.escape(w)}</p>" for w in fc.warnings)
        + "".join(
            f"<p>{html.escape(t)}</p>"
            for t in [precision_text.trials_note(fc.trials, fc.auto, detail=False)]
            if t
        )
        + f"<div class='headline'>{''.join(cards)}</div>"
        + "".join(parts)
        + f"<footer>Provenance — {footer}</footer></body></html>"
    )
