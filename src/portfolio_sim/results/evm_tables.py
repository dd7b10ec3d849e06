"""The earned value of a re-forecast as rows: terminal text, CSV and the HTML table
(docs/model.md §11.4; keys in docs/outputs.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portfolio_sim import formatting as fmt

if TYPE_CHECKING:
    import pandas as pd

    from portfolio_sim.results.evm import EarnedValue

#: (key, label, kind, formula) of each row; kind: money, ratio, days, date.
ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("bac", "Budget at completion (BAC)", "money", "plan cost P50"),
    ("pv", "Planned value (PV)", "money", "budget of the work planned by as_of"),
    ("ev", "Earned value (EV)", "money", "sum of budget x percent complete"),
    ("ac", "Actual cost (AC)", "money", "status cost to date"),
    ("cv", "Cost variance (CV)", "money", "EV - AC"),
    ("sv", "Schedule variance (SV)", "money", "EV - PV"),
    ("cpi", "Cost performance index (CPI)", "ratio", "EV / AC"),
    ("spi", "Schedule performance index (SPI)", "ratio", "EV / PV"),
    ("es_days", "Earned schedule (ES)", "days", "C + (EV - PV_C) / (PV_C+1 - PV_C)"),
    ("at_days", "Actual time (AT)", "days", "working days from start to as_of"),
    ("sv_t_days", "Schedule variance SV(t)", "days", "ES - AT"),
    ("spi_t", "SPI(t)", "ratio", "ES / AT"),
    ("eac_budget_rate", "EAC, rest at budget rate", "money", "AC + (BAC - EV)"),
    ("eac_cpi", "EAC, rest at CPI", "money", "BAC / CPI"),
    ("eac_cpi_spi", "EAC, rest at CPI x SPI", "money", "AC + (BAC - EV) / (CPI x SPI)"),
    ("vac", "Variance at completion (VAC)", "money", "BAC - BAC / CPI"),
    ("tcpi", "To-complete performance index (TCPI)", "ratio", "(BAC - EV) / (BAC - AC)"),
    ("planned_finish", "Planned finish", "date", "end of PD (plan's last P50 finish)"),
    ("ieac_t_finish", "Finish by IEAC(t)", "date", "start + PD / SPI(t)"),
)


def _cell(kind: str, v: Any, currency: str) -> str:
    if v is None:
        return "not defined"
    if kind == "money":
        return fmt.money(v, currency)
    if kind == "ratio":
        return f"{v:.2f}"
    if kind == "days":
        return f"{v:.1f} wd"
    return str(v)


def evm_rows(ev: EarnedValue, currency: str) -> list[tuple[str, str, str]]:
    """(label, formatted value, formula) per row, then the Monte Carlo rows."""
    d = ev.to_dict()
    rows = [(label, _cell(kind, d[key], currency), formula) for key, label, kind, formula in ROWS]
    if d["ieac_t_finish"] is None and ev.ieac_t_days is not None:
        # defined, but the date lies beyond the calendar the scenario spans
        i = next(i for i, (key, *_) in enumerate(ROWS) if key == "ieac_t_finish")
        rows[i] = (rows[i][0], "after the horizon", rows[i][2])
    if ev.mc_cost is not None:
        for k, v in ev.mc_cost.items():
            rows.append(
                (f"Monte Carlo EAC {k.upper()}", fmt.money(v, currency), "re-forecast cost")
            )
    for k, when in (ev.mc_finish or {}).items():
        rows.append((f"Monte Carlo finish {k.upper()}", when or "after horizon", "re-forecast"))
    return rows


def baseline_words(ev: EarnedValue) -> str:
    """Where the baseline came from: the plan forecast run again, or a saved file."""
    n = "" if ev.baseline_trials is None else f", {ev.baseline_trials:,} trials"
    if ev.baseline_file is None:
        return f"the plan forecast{n}"
    return f"saved in {ev.baseline_file}{n}"


def evm_text(ev: EarnedValue, currency: str) -> str:
    """The terminal section."""
    rows = evm_rows(ev, currency)
    wl = max(len(r[0]) for r in rows)
    wv = max(len(r[1]) for r in rows)
    head = f"Earned value on {ev.as_of} (baseline: {baseline_words(ev)})"
    return "\n".join([head, *(f"  {a:<{wl}}  {b:>{wv}}   {c}" for a, b, c in rows)])


def evm_frame(ev: EarnedValue) -> pd.DataFrame:
    """The CSV table ``earned_value.csv``: metric, value (raw numbers), formula."""
    import pandas as pd

    d = ev.to_dict()
    rows = [{"metric": key, "value": d[key], "formula": formula} for key, _, _, formula in ROWS]
    for k, v in (ev.mc_cost or {}).items():
        rows.append({"metric": f"mc_cost_{k}", "value": v, "formula": "re-forecast cost"})
    for k, when in (ev.mc_finish or {}).items():
        rows.append({"metric": f"mc_finish_{k}", "value": when, "formula": "re-forecast finish"})
    return pd.DataFrame(rows, columns=["metric", "value", "formula"])
