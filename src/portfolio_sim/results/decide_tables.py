"""The DataFrames of the decision tools (``portfolio_sim.decide``): built here from the plain
rows and columns (dicts, lists, numpy arrays) that the decide modules compute, so the
DataFrame contract stays in the results layer.

Column names are stable API:

``priorities_table`` (one row per priority order): order, cost_of_delay_mean,
cost_of_delay_p50, cost_of_delay_p90, npv_mean, finish_p85 (date; NaT = not done by the
horizon), finish_p85_day (working day), priorities (feature ids, first first), vs_best
(cost_of_delay_mean minus the lowest).

``estimates_table`` (one row per feature): id, team, depends_on (list of ids),
expected_size, cost, value_pv, npv_contribution, sd.

``frontier_table`` (one row per budget): budget, objective_estimate, npv_estimate,
cost_estimate, exact, n_funded, funded (list of ids), npv_mean, npv_p10,
npv_positive_probability, cost_mean, cost_p80 (the verified numbers; NaN unverified).

``tornado_table`` (one row per input, largest finish swing then NPV swing first):
:data:`TORNADO_COLUMNS`; finish_p85_low/_high are dates (NaT = not done by the horizon).

``criticality_table`` (one row per feature, most critical first): id, team, criticality.

``sweep_table`` (one row per grid point): one column per setting path, then the headline
columns; ``attrs`` carries backend, trials and seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas import DataFrame

# ``DataFrame`` is re-exported so that the decide modules can annotate the tables they
# return without importing pandas themselves.

#: Columns of the tornado table, in order.
TORNADO_COLUMNS = (
    "input",
    "kind",
    "entity",
    "held_low",
    "held_high",
    "finish_p85_low",
    "finish_p85_high",
    "finish_low_days",
    "finish_high_days",
    "finish_swing_days",
    "npv_mean_low",
    "npv_mean_high",
    "npv_low_delta",
    "npv_high_delta",
    "npv_swing",
    "note",
)
#: Verified columns of the frontier (NaN where the sets were not verified).
VERIFIED_COLUMNS = ("npv_mean", "npv_p10", "npv_positive_probability", "cost_mean", "cost_p80")


def _timestamp(value: Any) -> Any:
    """A ``numpy.datetime64`` (or date) as a ``pd.Timestamp``; NaT or None as ``pd.NaT``."""
    if value is None or (isinstance(value, np.datetime64) and np.isnat(value)):
        return pd.NaT
    return pd.Timestamp(value)


def priorities_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The priority-order comparison from one dict per order (``finish_p85`` a
    ``datetime64``, NaT = not done), with ``vs_best`` added."""
    df = pd.DataFrame([{**r, "finish_p85": _timestamp(r["finish_p85"])} for r in rows])
    best = df["cost_of_delay_mean"].min()
    df["vs_best"] = df["cost_of_delay_mean"] - best
    return df


def estimates_table(columns: Mapping[str, Any]) -> pd.DataFrame:
    """Per-feature selection estimates from their columns (see the module docstring)."""
    return pd.DataFrame(dict(columns))


def frontier_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The efficient frontier from one dict per budget; verified columns missing from the
    rows (selection without verification) are added as NaN."""
    frontier = pd.DataFrame(list(rows))
    for col in VERIFIED_COLUMNS:
        if col not in frontier:
            frontier[col] = np.nan
    return frontier


def tornado_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The tornado from one dict per input (finish_p85_low/_high as ``datetime64``, NaT =
    not done), sorted by finish swing then NPV swing, largest first (ties keep order)."""
    dated = [
        {
            **r,
            "finish_p85_low": _timestamp(r["finish_p85_low"]),
            "finish_p85_high": _timestamp(r["finish_p85_high"]),
        }
        for r in rows
    ]
    table = pd.DataFrame(dated, columns=list(TORNADO_COLUMNS))
    if len(table):
        table = table.sort_values(
            ["finish_swing_days", "npv_swing"], ascending=False, kind="stable"
        ).reset_index(drop=True)
    return table


def criticality_table(ids: Sequence[str], teams: Sequence[str], index: Any) -> pd.DataFrame:
    """Criticality index per feature, most critical first (ties keep scenario order)."""
    df = pd.DataFrame({"id": list(ids), "team": list(teams), "criticality": index})
    return df.sort_values("criticality", ascending=False, kind="stable").reset_index(drop=True)


def sweep_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], attrs: Mapping[str, Any]
) -> pd.DataFrame:
    """The sweep table: one row per grid point in ``columns`` order, ``attrs`` recorded
    on ``df.attrs``."""
    df = pd.DataFrame(list(rows), columns=list(columns))
    df.attrs.update(dict(attrs))
    return df


__all__ = [
    "TORNADO_COLUMNS",
    "DataFrame",
    "VERIFIED_COLUMNS",
    "criticality_table",
    "estimates_table",
    "frontier_table",
    "priorities_table",
    "sweep_table",
    "tornado_table",
]
