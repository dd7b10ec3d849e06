"""The headline answers of a forecast and their change against the file as loaded.

Built from the forecast's JSON document (:meth:`Forecast.to_dict`, docs/outputs.md), at
the built-in levels (dates P10/P50/P85/P95, cost P50/P80) whatever the file's
``report.percentiles``: the page always shows P50/P85 and cost P50/P80. A date after the
horizon is ``null`` (docs/model.md §8.2), never the horizon.

The base and the edited plan are forecast with the same seed and trials, so every random
draw of an entity is the same in both (common random numbers, docs/model.md §7.3) and a
delta is the effect of the edits, not sampling noise. Deltas: dates in calendar days
(positive = later), probabilities as a difference of shares (0.1 = 10 points), money in
the scenario's currency; ``null`` when either side has no number (a date after the
horizon, no budget, no money).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def headline(doc: dict[str, Any]) -> dict[str, Any]:
    """The numbers the page shows, from a forecast's JSON document."""
    port = doc["portfolio"]
    cost = port.get("cost")
    npv = port.get("npv")
    return {
        "trials": doc["trials"],
        "seed": doc["seed"],
        "currency": doc.get("currency"),
        "portfolio": {
            "p50": port["finish"]["p50"],
            "p85": port["finish"]["p85"],
            "not_done_share": port["not_done_share"],
        },
        "cost": None if cost is None else {"p50": cost["p50"], "p80": cost["p80"]},
        "budget_overrun_probability": port.get("budget_overrun_probability"),
        "npv_mean": None if npv is None else npv["mean"],
        "deadlines": [
            {
                "id": f["id"],
                "deadline": f["deadline"],
                "probability": f["deadline_probability"],
                "undecided_share": f["deadline_undecided_share"],
            }
            for f in doc["features"]
            if f["deadline"] is not None
        ],
        "features": [
            {
                "id": f["id"],
                "team": f["team"],
                "finish": f["finish"],
                "deadline": f["deadline"],
                "not_done_share": f["not_done_share"],
            }
            for f in doc["features"]
        ],
        "warnings": list(doc.get("warnings", [])),
    }


def _days(new: str | None, old: str | None) -> int | None:
    if new is None or old is None:
        return None
    return (dt.date.fromisoformat(new) - dt.date.fromisoformat(old)).days


def _diff(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old


def delta(edited: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """``edited`` minus ``base`` (two :func:`headline` results of one seed and trials)."""
    ec, bc = edited["cost"], base["cost"]
    base_deadlines = {d["id"]: d["probability"] for d in base["deadlines"]}
    base_features = {f["id"]: f["finish"] for f in base["features"]}
    kept = {f["id"] for f in edited["features"]}
    return {
        "portfolio": {
            "p50_days": _days(edited["portfolio"]["p50"], base["portfolio"]["p50"]),
            "p85_days": _days(edited["portfolio"]["p85"], base["portfolio"]["p85"]),
        },
        "cost": None
        if ec is None or bc is None
        else {"p50": ec["p50"] - bc["p50"], "p80": ec["p80"] - bc["p80"]},
        "budget_overrun_probability": _diff(
            edited["budget_overrun_probability"], base["budget_overrun_probability"]
        ),
        "npv_mean": _diff(edited["npv_mean"], base["npv_mean"]),
        "deadlines": {
            d["id"]: _diff(d["probability"], base_deadlines[d["id"]])
            for d in edited["deadlines"]
            if d["id"] in base_deadlines
        },
        "features": {
            f["id"]: {
                "p50_days": _days(f["finish"]["p50"], base_features[f["id"]]["p50"]),
                "p85_days": _days(f["finish"]["p85"], base_features[f["id"]]["p85"]),
            }
            for f in edited["features"]
            if f["id"] in base_features
        },
        "removed": [fid for fid in base_features if fid not in kept],
    }
