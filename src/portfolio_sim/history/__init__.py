"""Forecasts from real history: calibrate teams from work-item exports, "how many items
by this date", and backtests of forecast accuracy.

* :func:`calibrate` (:mod:`.calibrate`): per-team throughput samples (zero periods
  included) and cycle-time percentiles from a CSV export; skipped rows are reported with
  their line numbers.
* :func:`how_many` (:mod:`.howmany`): items each throughput team completes by given dates,
  with the engine's own keyed period draws; "at least" and "at most" percentiles.
* :func:`backtest` (:mod:`.backtest`): forecasts made at past dates with only the data
  known then, against what happened; calibration shares and a reliability chart.
"""

from __future__ import annotations

from portfolio_sim.history.backtest import BacktestResult, backtest
from portfolio_sim.history.calibrate import Calibration, SkippedRow, calibrate
from portfolio_sim.history.howmany import how_many

__all__ = ["BacktestResult", "Calibration", "SkippedRow", "backtest", "calibrate", "how_many"]
