"""Plain-text tables of a forecast for the terminal (the CLI prints these)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _date(x: Any) -> str:
    return "after horizon" if pd.isna(x) else str(pd.Timestamp(x).date())


def _pct(x: Any) -> str:
    return "" if pd.isna(x) else f"{100 * float(x):.0f}%"


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
            "on time": feats["deadline_probability"].map(_pct),
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
    return "\n".join(lines)
