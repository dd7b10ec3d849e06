"""One self-contained HTML report of a comparison: no network, no scripts, no CDN.

Headline answers first (for each variant: when, what it costs, what it is worth, and how
often it beats the base in the same trial), then the side-by-side table, per-feature done
dates with deadlines, the cut line, the cost fan chart with the budget line, the NPV
distribution, team utilisation and the paired comparison. Every chart is inline SVG
(:mod:`portfolio_sim.report.compare_charts`, no matplotlib) next to the table of the numbers
it draws; the SVG is cleaned of its namespace URL so the file holds no http(s) reference at
all.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from portfolio_sim import formatting as fmt
from portfolio_sim.report.compare_charts import (
    cost_fan_chart,
    cut_line_chart,
    feature_dates_chart,
    npv_chart,
    paired_chart,
    utilisation_chart,
)
from portfolio_sim.report.html import (
    CSS,
    chart_pair,
    date_text,
    deadline_text,
    money_text,
    pct_text,
)
from portfolio_sim.results.percentiles import VALUE_PERCENTILES, level_key

#: At most this many variants share one side-by-side table (base + 4 columns fit 1280 px
#: with money deltas); more variants get further tables, each with the base again.
VARIANTS_PER_TABLE = 4

#: With more scenarios than this, the cumulative-cost table writes its currency once, in
#: the headers, instead of in every cell (base + 5 variants or more do not fit otherwise).
MONTHS_CURRENCY_IN_CELLS = 5

#: At most this many variants' P50 columns share one cumulative-cost table (base + 8
#: variants measured 1,200 px wide at 1280 px, with wrapped headers).
MONTHS_VARIANTS_PER_TABLE = 8

EXTRA_CSS = """
.card .s{color:#444;font-size:.85em;margin-top:.3em}
.sbs{margin-top:1em} .sbs .note{margin:.2em 0} @media print{.sbs{break-inside:avoid}}
td.good{color:#175} td.bad{color:#a22} .yes{color:#175;font-weight:600} .no{color:#a22}
"""


def _days(x: Any) -> str:
    if x is None or pd.isna(x):
        return ""
    return f"{float(x):+,.0f} d"


def _signed_money(x: Any, currency: str) -> str:
    return fmt.signed_money(x, currency)


def _p(level: Any) -> str:
    """A level as a heading reads it: ``80`` -> ``"P80"``, ``97.5`` -> ``"P97.5"``."""
    return "P" + level_key(level)[1:].replace("_", ".")


def _html_table(df: pd.DataFrame, raw_cols: tuple[str, ...] = ()) -> str:
    """A table of pre-formatted strings; columns in ``raw_cols`` hold trusted HTML."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    text_cols = {"Feature", "Scenario", "Team", "Variant", "Metric"}
    body = []
    for row in df.itertuples(index=False, name=None):
        cells = [
            f"<td{' class=text' if c in text_cols else ''}>"
            f"{v if c in raw_cols else html.escape(str(v))}</td>"
            for c, v in zip(df.columns, row, strict=True)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# -- sections ---------------------------------------------------------------------------
def _headline(cmp: Any) -> str:
    cur = cmp.currency
    port = cmp.portfolio.set_index("scenario")
    paired = cmp.paired.set_index("variant")
    lv = cmp.levels
    # the cards show every chosen cost level; by default the cost P50 only
    cost_levels = (50,) if cmp.percentiles is None else lv.cost
    cards = []
    for name in cmp.scenarios:
        r = port.loc[name]
        variant = name in paired.index

        def done(p: Any, r: Any = r, variant: bool = variant) -> str:
            k = f"finish_{level_key(p)}"
            delta = f" ({_days(r[f'{k}_delta_days'])})" if variant else ""
            return f"{_p(p)} <b class='num'>{date_text(r[k])}</b>{delta}"

        cost = ", ".join(
            f"{_p(p)} {html.escape(money_text(r[f'cost_{level_key(p)}'], cur))}"
            for p in cost_levels
        )
        lines = [
            "Done " + ", ".join(done(p) for p in lv.dates),
            f"Cost {cost}",
            f"NPV mean {html.escape(money_text(r['npv_mean'], cur))}",
            f"Chance of overrunning the budget {pct_text(r['budget_overrun_probability'])}",
        ]
        if variant:
            p = paired.loc[name]
            lines.append(
                f"Finishes earlier than the base in <b class='num'>{pct_text(p['earlier_probability'])}</b>"
                " of trials"
            )
            if not pd.isna(p["worth_more_probability"]):
                lines.append(
                    f"Worth more in <b class='num'>{pct_text(p['worth_more_probability'])}</b> "
                    f"(NPV {html.escape(_signed_money(p['npv_delta_mean'], cur))} on average)"
                )
        body = "".join(f"<div class='s'>{line}</div>" for line in lines)
        title = "Base" if name == "base" else f"Variant {name}"
        cards.append(f"<div class='card'><div class='v'>{html.escape(title)}</div>{body}</div>")
    return f"<div class='headline'>{''.join(cards)}</div>"


def _side_by_side(cmp: Any) -> str:
    """Metrics down, scenarios across (delta to the base in brackets); with more than
    :data:`VARIANTS_PER_TABLE` variants, one table per group of variants
    (:func:`_grouped_tables`)."""
    cur = cmp.currency
    port = cmp.portfolio.set_index("scenario")
    rows = []
    lv = cmp.levels
    spec = [
        *((f"Done {_p(p)}", f"finish_{level_key(p)}", "date") for p in lv.dates),
        ("Not done by the horizon", "not_done_share", "pct"),
        *((f"Cost {_p(p)}", f"cost_{level_key(p)}", "money") for p in lv.cost),
        ("NPV mean", "npv_mean", "money"),
        *((f"NPV {_p(p)}", f"npv_{level_key(p)}", "money") for p in lv.npv),
        ("Chance of overrunning the budget", "budget_overrun_probability", "pct"),
    ]
    for label, col, kind in spec:
        row: dict[str, str] = {"Metric": label}
        for name in cmp.scenarios:
            v = port.at[name, col]
            if kind == "date":
                delta = port.at[name, f"{col}_delta_days"]
                text = date_text(v) + ("" if name == "base" else f" ({_days(delta)})")
            elif kind == "pct":
                delta = port.at[name, f"{col}_delta"]
                text = pct_text(v) + (
                    "" if name == "base" or pd.isna(delta) else f" ({100 * delta:+.0f} pt)"
                )
            else:
                delta = port.at[name, f"{col}_delta"]
                text = money_text(v, cur) + (
                    "" if name == "base" else f" ({_signed_money(delta, cur)})"
                )
            row[name] = text
        rows.append(row)
    df = pd.DataFrame(rows)
    head = "<h2>Side by side (delta to the base)</h2>"
    return head + _grouped_tables(df, ["Metric", "base"], [], cmp.variants, VARIANTS_PER_TABLE)


def _groups(n: int, per: int) -> list[range]:
    """``range(n)`` in as few runs of at most ``per`` as possible, as even as possible
    (7 by 4: 4 + 3; 9 by 4: 3 + 3 + 3)."""
    k = max(-(-n // per), 1)
    bounds = [round(i * n / k) for i in range(k + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


def _grouped_tables(
    df: pd.DataFrame, first: list[str], last: list[str], variants: list[str], per: int
) -> str:
    """``df`` as one table, or, with more than ``per`` variant columns, one table per
    group of variants ("Variants 5-7 of 7"), each with the ``first`` and ``last``
    columns again, so that no table is wider than the page. ``variants`` are the
    columns between them."""
    if len(variants) <= per:
        return _html_table(df)
    parts = []
    for g in _groups(len(variants), per):
        note = f"Variants {g.start + 1}-{g.stop} of {len(variants)}"
        cols = [*first, *(variants[i] for i in g), *last]
        parts.append(f"<div class='sbs'><p class='note'>{note}</p>{_html_table(df[cols])}</div>")
    return "".join(parts)


def _features_table(cmp: Any) -> str:
    f = cmp.features
    dates: dict[str, Any] = {}
    for p in cmp.levels.dates:
        k = level_key(p)
        dates[f"Done {_p(p)}"] = f[k].map(date_text)
        dates[f"Δ {_p(p)}"] = f[f"{k}_delta_days"].map(_days)
    out = pd.DataFrame(
        {
            "Feature": f["id"],
            "Scenario": f["scenario"],
            **dates,
            "Deadline": f["deadline"].map(lambda d: "" if pd.isna(d) else date_text(d)),
            "Chance of meeting the deadline": [
                deadline_text(p, u)
                for p, u in zip(
                    f["deadline_probability"], f["deadline_undecided_share"], strict=True
                )
            ],
        }
    )
    return _html_table(out)


def _cut_line_table(cut: pd.DataFrame, levels: Any = (50, 85)) -> str:
    def mark(ok: bool) -> str:
        return "<span class='yes'>makes it</span>" if ok else "<span class='no'>misses</span>"

    at = {f"At {_p(p)}": cut[f"at_{level_key(p)}"].map(mark) for p in levels}
    out = pd.DataFrame(
        {
            "Feature": cut["id"],
            "Scenario": cut["scenario"],
            "Chance of being done by the date": cut["probability"].map(pct_text),
            **at,
        }
    )
    return _html_table(out, raw_cols=tuple(at))


def _months_table(cmp: Any) -> str:
    base = cmp.base.months
    cur = cmp.currency
    # many scenarios: the currency once per header ("hire-two P50 (EUR)"), not per cell
    in_cells = len(cmp.scenarios) <= MONTHS_CURRENCY_IN_CELLS
    unit = "" if in_cells else f" ({cur})"

    def money(v: Any, missing: str = "n/a") -> str:
        return fmt.money(v, cur if in_cells else "", missing=missing)

    out = pd.DataFrame({"Month": base["month"]})
    out[f"base P10{unit}"] = base["cumulative_p10"].map(money)
    for name in cmp.scenarios:
        m = cmp.forecasts[name].months.set_index("month")["cumulative_p50"]
        out[f"{name} P50{unit}"] = base["month"].map(m).map(lambda v: money(v, ""))
    out[f"base P90{unit}"] = base["cumulative_p90"].map(money)
    first = ["Month", f"base P10{unit}", f"base P50{unit}"]
    variants = [f"{name} P50{unit}" for name in cmp.variants]
    return _grouped_tables(out, first, [f"base P90{unit}"], variants, MONTHS_VARIANTS_PER_TABLE)


def _npv_table(cmp: Any) -> str:
    cur = cmp.currency
    levels = VALUE_PERCENTILES if cmp.percentiles is None else cmp.percentiles
    rows = []
    for name in cmp.scenarios:
        npv = cmp.forecasts[name].portfolio.loc["npv"]
        rows.append(
            {
                "Scenario": name,
                "NPV mean": money_text(npv["mean"], cur),
                **{f"NPV {_p(p)}": money_text(npv[level_key(p)], cur) for p in levels},
                "Chance NPV > 0": pct_text(npv["positive_probability"]),
            }
        )
    return _html_table(pd.DataFrame(rows))


def _teams_table(cmp: Any) -> str:
    t = cmp.stacked("teams")
    chosen = cmp.percentiles  # by default: done P85 and cost P50
    out = pd.DataFrame(
        {
            "Team": t["id"],
            "Scenario": t["scenario"],
            "Utilisation": t["utilization"].map(lambda u: "" if pd.isna(u) else pct_text(u)),
            **{
                f"Done {_p(p)}": t[level_key(p)].map(date_text)
                for p in ((85,) if chosen is None else chosen)
            },
        }
    )
    for p in (50,) if chosen is None else chosen:
        if f"cost_{level_key(p)}" in t.columns:
            col = t[f"cost_{level_key(p)}"]
            out[f"Cost {_p(p)}"] = col.map(lambda v: money_text(v, cmp.currency))
    return _html_table(out.sort_values(["Team"], kind="stable"))


def _paired_table(cmp: Any) -> str:
    cur = cmp.currency
    p = cmp.paired
    # by default the delta's P10 and P90; else every chosen level
    delta_levels = (10, 90) if cmp.percentiles is None else cmp.levels.npv_delta
    out = pd.DataFrame(
        {
            "Variant": p["variant"],
            "Chance earlier": p["earlier_probability"].map(pct_text),
            "Chance same day": p["same_day_probability"].map(pct_text),
            "Chance later": p["later_probability"].map(pct_text),
            "Mean Δ done (working days)": p["finish_delta_mean_workdays"].map(
                lambda v: "" if pd.isna(v) else f"{v:+.1f}"
            ),
            "Chance worth more": p["worth_more_probability"].map(pct_text),
            "Δ NPV mean": p["npv_delta_mean"].map(lambda v: _signed_money(v, cur)),
            **{
                f"Δ NPV {_p(q)}": p[f"npv_delta_{level_key(q)}"].map(
                    lambda v: _signed_money(v, cur)
                )
                for q in delta_levels
            },
            "Chance cheaper": p["cheaper_probability"].map(pct_text),
        }
    )
    return _html_table(out)


def comparison_html(cmp: Any) -> str:
    """The report of a :class:`~portfolio_sim.results.compare_tables.Comparison`."""
    base = cmp.base
    has_money = base.raw.money is not None
    title = f"{base.scenario}: base and {len(cmp.variants)} variant(s)"
    parts = [_headline(cmp), _side_by_side(cmp)]
    parts.append(
        chart_pair("When: done dates per feature", feature_dates_chart(cmp), _features_table(cmp))
    )
    target = cmp.target_date
    if target is not None:
        cut = cmp.cut_line(target)
        parts.append(
            chart_pair(
                f"Cut line: what is done by {date_text(target)}",
                cut_line_chart(cut, target),
                _cut_line_table(cut, cmp.levels.dates),
            )
        )
    if has_money:
        cur = cmp.currency
        parts.append(
            chart_pair(
                f"What it costs: cumulative cost ({cur})", cost_fan_chart(cmp), _months_table(cmp)
            )
        )
        parts.append(chart_pair(f"What it is worth: NPV ({cur})", npv_chart(cmp), _npv_table(cmp)))
    parts.append(chart_pair("Teams: utilisation", utilisation_chart(cmp), _teams_table(cmp)))
    parts.append(
        chart_pair(
            "Variant comparison: paired trial by trial",
            paired_chart(cmp.paired),
            _paired_table(cmp),
        )
    )
    footer = "; ".join(f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in cmp.meta.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}{EXTRA_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{base.trials:,} Monte Carlo trials per scenario, seed {base.seed}, engine "
        f"{html.escape(base.engine)}; common random numbers: trial i of every scenario "
        "shares the draws of everything the variant did not change.</p>"
        + "".join(parts)
        + f"<footer>Provenance — {footer}</footer></body></html>"
    )
