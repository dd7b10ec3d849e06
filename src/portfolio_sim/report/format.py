"""The report's view of :mod:`portfolio_sim.formatting` (the one number format of every
human-facing output), plus the matplotlib axis helper that only charts need."""

from __future__ import annotations

from typing import Any

from portfolio_sim.formatting import (
    LABELS,
    MONEY_COLUMNS,
    PERCENT_COLUMNS,
    iso_date,
    label,
    money,
    money_tick,
    pct,
    signed_money,
)


def money_axis(axis: Any, currency: str) -> None:
    """Label a matplotlib axis' ticks as money (:func:`money_tick`), with no offset."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: money_tick(v, currency)))


__all__ = [
    "LABELS",
    "MONEY_COLUMNS",
    "PERCENT_COLUMNS",
    "iso_date",
    "label",
    "money",
    "money_axis",
    "money_tick",
    "pct",
    "signed_money",
]
