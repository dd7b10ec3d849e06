"""The tables of the history tools (:mod:`portfolio_sim.history`): "how many" forecasts,
calibration summaries and backtests. The DataFrame contract of those results lives here.

The history layer computes with numpy and plain Python (rows as dicts, columns as
arrays); the builders here turn them into DataFrames, and :class:`BacktestResult` holds
a backtest's three tables with its text and HTML renderings.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

#: The table type of the history tools, for the layers that do not import pandas.
Table: TypeAlias = pd.DataFrame

#: Terminal headings of the :func:`portfolio_sim.history.how_many` columns.
HOW_MANY_HEADINGS: dict[str, str] = {
    "items_at_least_95": "at least (95%)",
    "items_at_least_85": "at least (85%)",
    "items_p50": "P50",
    "items_at_most_85": "at most (85%)",
    "items_at_most_95": "at most (95%)",
}


# -- how many ----------------------------------------------------------------------------
def history_how_many_frame(parts: Sequence[Mapping[str, Any]]) -> Table:
    """The how-many table: one block of rows per team, in order. Each part maps a column
    to a scalar (``team``, repeated over the block) or to one value per date (``date``,
    ``periods`` and the item columns); the blocks are stacked with a fresh 0..n-1 index."""
    return pd.concat([pd.DataFrame(dict(part)) for part in parts], ignore_index=True)


def history_how_many_text(table: Table) -> str:
    """The how-many table for the terminal (headings of :data:`HOW_MANY_HEADINGS`, the
    mean to one decimal)."""
    shown = table.rename(columns=HOW_MANY_HEADINGS).copy()
    shown["mean"] = shown["mean"].map(lambda x: f"{x:.1f}")
    return str(shown.to_string(index=False))


# -- calibration -------------------------------------------------------------------------
def history_calibration_summary(rows: Sequence[Mapping[str, Any]]) -> Table:
    """The calibration summary: one row per team dict (columns in the dicts' order)."""
    return pd.DataFrame([dict(r) for r in rows])


# -- backtest ----------------------------------------------------------------------------
def history_backtest_tables(
    cuts: Sequence[Mapping[str, Any]],
    forecasts: Mapping[str, np.ndarray],
    summary: Sequence[Mapping[str, Any]],
    reliability: Mapping[str, Any],
) -> tuple[Table, Table, Table]:
    """The ``table``, ``summary`` and ``reliability`` of a :class:`BacktestResult`.

    ``cuts`` are the per-cut dicts (team, cut, history_periods, actual), ``forecasts``
    one array per forecast column (one value per cut, appended after the cut columns),
    ``summary`` one dict per team (then "(all)"), ``reliability`` one column per key
    (arrays over the levels, or a scalar repeated).
    """
    table = pd.DataFrame([dict(c) for c in cuts])
    for col, values in forecasts.items():
        table[col] = values
    return table, pd.DataFrame([dict(s) for s in summary]), pd.DataFrame(dict(reliability))


@dataclass
class BacktestResult:
    """Per-cut forecasts and actuals (``table``), calibration (``summary``) and the
    reliability curve (``reliability``); see :mod:`portfolio_sim.history.backtest`."""

    source: str
    per: str
    every: int
    horizon: int
    window: int | None
    min_history: int
    trials: int
    seed: int
    table: pd.DataFrame
    summary: pd.DataFrame
    reliability: pd.DataFrame
    skipped: list[Any]

    def text(self) -> str:
        """The summary for the terminal."""
        unit = self.per
        head = (
            f"backtest of {self.source}: forecast the next {self.horizon} {unit}s every "
            f"{self.every} {unit}s, history "
            + (f"last {self.window} {unit}s" if self.window else "all before each cut")
            + f", {self.trials:,} trials, seed {self.seed}"
        )
        shown = self.summary.copy()
        for col in ("share_le_p50", "share_le_p85", "share_ge_at_least_85", "se_85"):
            shown[col] = shown[col].map(lambda x: "" if pd.isna(x) else f"{x:.2f}")
        return head + "\n\n" + shown.to_string(index=False)

    def to_html(
        self, path: str | os.PathLike[str], protect: Iterable[str | os.PathLike[str]] = ()
    ) -> None:
        """Write a self-contained HTML report (inline SVG reliability chart) atomically."""
        from portfolio_sim.report.history_backtest import backtest_html
        from portfolio_sim.results.io import write_text_atomic

        write_text_atomic(path, backtest_html(self), protect)


__all__ = [
    "HOW_MANY_HEADINGS",
    "BacktestResult",
    "Table",
    "history_backtest_tables",
    "history_calibration_summary",
    "history_how_many_frame",
    "history_how_many_text",
]
