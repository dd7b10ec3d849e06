"""The numbers of a forecast that the decision tools (``portfolio_sim.decide``) read, as
plain Python and numpy: no DataFrame is built and pandas is never imported.

They are the very columns and rows the :class:`~portfolio_sim.results.forecast.Forecast`
tables are built from, so a number read here equals the one in ``fc.features``,
``fc.teams`` or ``fc.portfolio`` exactly:

* :func:`portfolio_numbers` (``fc.portfolio`` as ``{metric: {column: value}}``): the
  ``finish`` row has p10..p95 as ``numpy.datetime64[D]`` (NaT = not done by the horizon)
  and ``not_done_share``; with money, ``cost``, ``npv``, ``value_pv``, ``cost_pv``,
  ``capex`` (mean and percentiles; ``npv`` also ``positive_probability``; ``cost`` also
  its 95 % intervals ``pNN_ci_low``/``_high``/``_rel``) and ``roi``.
* :func:`feature_columns` / :func:`team_columns` (``fc.features`` / ``fc.teams`` as
  ``{column: array or list}``, one entry per feature / team in scenario order; dates as
  ``datetime64[D]`` with NaT).

This keeps the decision layer's computations free of pandas (the developers' guide:
only the results and report layers touch pandas) and its Dask workers light.
"""

from __future__ import annotations

from typing import Any

from portfolio_sim.results import money, precision


def portfolio_numbers(fc: Any) -> dict[str, dict[str, Any]]:
    """The rows of ``fc.portfolio`` keyed by metric (see the module docstring).

    A metric the table has no row for (money metrics of a forecast without money) is
    absent; a column a row has no value for is absent from that row's dict.
    """
    rows: dict[str, dict[str, Any]] = {"finish": fc.portfolio_finish()}
    if fc.raw.money is not None:
        rows.update(money.portfolio_money(fc.raw))
        rows["cost"].update(precision.cost_ci_row(fc.raw, fc.cost_levels))
    return rows


def feature_columns(fc: Any) -> dict[str, Any]:
    """The columns of ``fc.features`` (id, team, p10..p95, mean_workdays, deadline,
    deadline_probability, deadline_undecided_share (NaN: no deadline), not_done_share and,
    with money, value_pv_mean, oneoff_cost_mean, cost_of_delay_per_month/_per_week)."""
    return dict(fc.feature_columns())


def team_columns(fc: Any) -> dict[str, Any]:
    """The columns of ``fc.teams`` (id, kind, p10..p95, not_done_share, utilization and,
    with money, the people-cost columns such as cost_mean)."""
    return dict(fc.team_columns())


__all__ = ["feature_columns", "portfolio_numbers", "team_columns"]
