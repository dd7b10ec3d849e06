"""The backtest HTML page, kept importable here; it lives in
:mod:`portfolio_sim.report.history_backtest` (the report layer renders the tables)."""

from __future__ import annotations

from portfolio_sim.report.history_backtest import (
    MAX_TABLE_ROWS,
    backtest_html,
    reliability_svg,
)

__all__ = ["MAX_TABLE_ROWS", "backtest_html", "reliability_svg"]
