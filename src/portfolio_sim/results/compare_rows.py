"""The rows of a comparison at its percentile levels (a floor below
:mod:`.compare_tables`): which levels each kind of number is reported at
(:class:`Levels`), one forecast's headline row, its cut line, and the per-trial arrays
the paired differences read.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim import codes
from portfolio_sim.calendar import done_days_or
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.results.percentiles import Level, hist_percentiles, level_key


@dataclass(frozen=True)
class Levels:
    """The percentile levels a comparison reports, per kind of number.

    ``Levels.of(None)`` are the defaults (dates P50/P85, cost P50/P80, NPV P10, paired NPV
    delta P10/P50/P90); ``Levels.of((50, 80, 90))`` reports every kind at the chosen
    levels (validated by the caller, :func:`~portfolio_sim.results.percentiles.check_levels`).
    """

    dates: tuple[Level, ...] = (50, 85)
    cost: tuple[Level, ...] = (50, 80)
    npv: tuple[Level, ...] = (10,)
    npv_delta: tuple[Level, ...] = (10, 50, 90)

    @classmethod
    def of(cls, chosen: Sequence[Level] | None) -> Levels:
        if chosen is None:
            return cls()
        levels = tuple(chosen)
        return cls(dates=levels, cost=levels, npv=levels, npv_delta=levels)

    @property
    def date_keys(self) -> list[str]:
        return [level_key(p) for p in self.dates]

    def metrics(self) -> tuple[str, ...]:
        """The columns of ``Comparison.portfolio`` (before the deltas), in order."""
        return (
            *(f"finish_{level_key(p)}" for p in self.dates),
            "not_done_share",
            *(f"cost_{level_key(p)}" for p in self.cost),
            "npv_mean",
            *(f"npv_{level_key(p)}" for p in self.npv),
            "budget_overrun_probability",
        )


#: The portfolio metrics at the default levels.
PORTFOLIO_METRICS = Levels().metrics()


def days_between(a: Any, b: Any) -> float:
    """Calendar days from date ``b`` to date ``a`` (NaN when either is missing)."""
    if pd.isna(a) or pd.isna(b):
        return math.nan
    return float((pd.Timestamp(a) - pd.Timestamp(b)).days)


def done_days(fc: Forecast) -> np.ndarray:
    """Per-trial portfolio done day (working-day index; the horizon for "not done")."""
    t = fc.raw.port_t
    h = fc.compiled.horizon_days
    return done_days_or(t, h).astype(np.int64)


def p50_done_date(fc: Forecast) -> dt.date | None:
    """The portfolio's P50 done date (None: not done by the horizon in half the trials),
    whatever levels ``fc`` reports: the same histogram rule as its finish row."""
    h = fc.compiled.horizon_days
    hist = np.bincount(done_days(fc), minlength=h + 1)
    day = int(hist_percentiles(hist, [50])[0])
    return None if day >= h else pd.Timestamp(fc.compiled.calendar.date_of(day)).date()


def per_trial_money(fc: Forecast, column: int) -> np.ndarray | None:
    """Per-trial money column ``column`` (a :mod:`portfolio_sim.codes` ``MONEY_*``)."""
    if fc.raw.money is None:
        return None
    return np.asarray(fc.raw.money[:, column], dtype=np.float64)


def portfolio_row(fc: Forecast, levels: Levels | None = None) -> dict[str, Any]:
    """The headline numbers of one forecast (the columns of ``Comparison.portfolio``) at
    ``levels`` (default: :class:`Levels` defaults). ``fc`` must report those levels."""
    lv = Levels() if levels is None else levels
    port = fc.portfolio
    fin = port.loc["finish"]
    row: dict[str, Any] = dict.fromkeys(lv.metrics(), math.nan)
    for k in lv.date_keys:
        row[f"finish_{k}"] = pd.Timestamp(fin[k]) if not pd.isna(fin[k]) else pd.NaT
    row["not_done_share"] = float(fin["not_done_share"])
    if fc.raw.money is not None:
        cost, npv = port.loc["cost"], port.loc["npv"]
        total = fc.compiled.budget_total
        cost_t = per_trial_money(fc, codes.MONEY_COST)
        overrun = None if total is None or cost_t is None else float(np.mean(cost_t > total))
        row.update({f"cost_{level_key(p)}": float(cost[level_key(p)]) for p in lv.cost})
        row["npv_mean"] = float(npv["mean"])
        row.update({f"npv_{level_key(p)}": float(npv[level_key(p)]) for p in lv.npv})
        row["budget_overrun_probability"] = math.nan if overrun is None else float(overrun)
    return row


def _done_by_share_at_least(done_by: np.ndarray, n: int, p: Level) -> np.ndarray:
    """``done_by / n >= p / 100`` without float round-off for whole levels (the rule of
    :func:`~portfolio_sim.results.percentiles.hist_percentiles`)."""
    if float(p).is_integer():
        return np.asarray(done_by * 100 >= int(p) * n)
    return np.asarray(done_by * 100.0 >= float(p) * n)


def cut_line_table(
    fc: Forecast, date: Any, scenario: str, levels: Sequence[Level] = (50, 85)
) -> pd.DataFrame:
    """Which features of one forecast are done by ``date`` at each of ``levels``
    (default P50 and P85).

    ``probability`` is the share of trials done on or before ``date`` (from the feature's
    done-day histogram). A feature makes the date at P50 exactly when its P50 done date is
    on or before it, i.e. when at least 50 % of trials are done by then (integer
    comparison, the percentile rule of docs/model.md §8); likewise at every level."""
    c = fc.compiled
    h = c.horizon_days
    limit = min(
        int(c.calendar.index_on_or_before(np.datetime64(pd.Timestamp(date).date(), "D"))), h - 1
    )
    hist = fc.raw.feat_hist
    n = int(fc.raw.trials)
    done_by = np.cumsum(hist[:, :h], axis=1)[:, limit] if limit >= 0 else np.zeros(len(hist))
    done_by = np.asarray(done_by, dtype=np.int64)
    feats = fc.features
    keys = [level_key(p) for p in levels]
    return pd.DataFrame(
        {
            "scenario": scenario,
            "id": feats["id"],
            "team": feats["team"],
            "probability": done_by / n,
            **{k: feats[k] for k in keys},
            **{
                f"at_{k}": _done_by_share_at_least(done_by, n, p)
                for k, p in zip(keys, levels, strict=True)
            },
        }
    )
