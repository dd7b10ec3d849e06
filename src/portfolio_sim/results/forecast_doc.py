"""The JSON document of a forecast (docs/model.md §9; every key in docs/outputs.md), built
from a :class:`~portfolio_sim.results.forecast.Forecast`'s tables and aggregates."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.results import money, precision
from portfolio_sim.results.percentiles import level_key

if TYPE_CHECKING:
    from portfolio_sim.results.forecast import Forecast


def _iso(d: Any) -> str | None:
    """ISO date of a datetime64, Timestamp or date; None for NaT, NaN or None."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return None
    if isinstance(d, np.datetime64):
        return None if np.isnat(d) else str(d.astype("datetime64[D]"))
    import pandas as pd

    if pd.isna(d):
        return None
    return str(np.datetime64(d, "D"))


def _num(x: Any) -> float | None:
    """A float for JSON; None for a missing value (None or NaN)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def how_many_doc(table: Any) -> dict[str, Any]:
    """The JSON ``how_many`` key: ``{"by": [dates], "teams": [{"id", "dates": [{"date",
    "periods", items_at_least_95, ..., "mean"}]}]}`` (see docs/outputs.md)."""
    teams: dict[str, list[dict[str, Any]]] = {}
    for row in table.to_dict(orient="records"):
        team = str(row.pop("team"))
        row["date"] = _iso(row["date"])
        teams.setdefault(team, []).append(
            {k: (float(v) if k == "mean" else v if k == "date" else int(v)) for k, v in row.items()}
        )
    by = list(dict.fromkeys(_iso(d) for d in table["date"]))
    return {"by": by, "teams": [{"id": t, "dates": rows} for t, rows in teams.items()]}


def forecast_doc(fc: Forecast) -> dict[str, Any]:
    """The JSON document of docs/model.md §9 (keys: docs/outputs.md) as plain Python
    objects: what :meth:`Forecast.to_dict` returns."""

    def finish(cols: dict[str, Any], i: int) -> dict[str, str | None]:
        return {k: _iso(cols[k][i]) for k in fc.date_columns}

    def finish_ci(cols: dict[str, Any], i: int) -> dict[str, dict[str, Any]]:
        return precision.finish_ci_doc(cols, i, fc.date_columns, _iso)

    feats = fc.feature_columns()
    teams = fc.team_columns()
    port = fc.portfolio_finish()
    doc: dict[str, Any] = {
        "scenario": fc.scenario,
        "variant": fc.variant,
        "trials": int(fc.trials),
        "seed": int(fc.seed),
        "engine": fc.engine,
        "features": [
            {
                "id": feats["id"][i],
                "team": feats["team"][i],
                "finish": finish(feats, i),
                "finish_ci": finish_ci(feats, i),
                "mean_workdays": _num(feats["mean_workdays"][i]),
                "deadline": _iso(feats["deadline"][i]),
                "deadline_probability": _num(feats["deadline_probability"][i]),
                "deadline_undecided_share": _num(feats["deadline_undecided_share"][i]),
                "not_done_share": float(feats["not_done_share"][i]),
            }
            for i in range(len(feats["id"]))
        ],
        "teams": [
            {
                "id": teams["id"][i],
                "kind": teams["kind"][i],
                "finish": finish(teams, i),
                "finish_ci": finish_ci(teams, i),
                "not_done_share": float(teams["not_done_share"][i]),
                "utilization": _num(teams["utilization"][i]),
            }
            for i in range(len(teams["id"]))
        ],
        "portfolio": {
            "finish": {k: _iso(port[k]) for k in fc.date_columns},
            "finish_ci": finish_ci({k: [v] for k, v in port.items()}, 0),
            "not_done_share": float(port["not_done_share"]),
        },
        "precision": precision.precision_doc(fc.trials, fc.widest, fc.auto),
        "warnings": fc.warnings,
        "provenance": dict(fc.meta),
    }
    if fc.raw.money is not None:
        _add_money(fc, doc, feats, teams)
    if fc.how_many is not None:
        doc["how_many"] = how_many_doc(fc.how_many)
    if fc.earned_value is not None:
        doc["earned_value"] = fc.earned_value.to_dict()
    from portfolio_sim.results.load import load_doc

    if (load := load_doc(fc.compiled, fc.raw)) is not None:
        doc["team_load"] = load
    return doc


def _add_money(
    fc: Forecast, doc: dict[str, Any], feats: dict[str, Any], teams: dict[str, Any]
) -> None:
    """The money keys of docs/model.md §9 (and extensions) into the JSON document."""
    for i, item in enumerate(doc["features"]):
        item["value_pv_mean"] = _num(feats["value_pv_mean"][i])
        item["oneoff_cost_mean"] = _num(feats["oneoff_cost_mean"][i])
        per_month = _num(feats["cost_of_delay_per_month"][i])
        item["cost_of_delay"] = (
            None
            if per_month is None
            else {
                "per_month": per_month,
                "per_week": float(feats["cost_of_delay_per_week"][i]),
            }
        )
    for i, item in enumerate(doc["teams"]):
        item["cost"] = {
            "mean": float(teams["cost_mean"][i]),
            **{level_key(p): float(teams[f"cost_{level_key(p)}"][i]) for p in fc.cost_levels},
        }
    bands = fc._month_bands
    per_team: dict[str, dict[str, dict[str, float]]] = {}
    for r in money.team_months_rows(fc.compiled, fc.raw):
        per_team.setdefault(r["month"], {})[r["team"]] = {
            f"p{p}": float(r[f"cost_p{p}"]) for p in (10, 50, 90)
        }
    doc["months"] = [
        {
            "month": month,
            **{
                name: {f"p{p}": float(bands[f"{name}_p{p}"][m]) for p in (10, 50, 90)}
                for name in ("cost", "capex", "opex", "cumulative")
            },
            "teams": per_team.get(month, {}),
        }
        for m, month in enumerate(fc.compiled.month_labels)
    ]
    pm = copy.deepcopy(fc._portfolio_money)
    budget = fc.budget
    doc["portfolio"].update(
        {
            "cost": pm["cost"],
            "cost_ci": precision.json_safe(fc.cost_ci()),
            "npv": pm["npv"],
            "value_pv": pm["value_pv"],
            "cost_pv": pm["cost_pv"],
            "capex": pm["capex"],
            "roi": _num(pm["roi"]["mean"]),  # null when nothing is spent
            "expected_value": pm["npv"]["mean"],
            "budget_overrun_probability": budget["overrun_probability"],
            "budget": budget,
        }
    )
    doc["currency"] = fc.compiled.currency
