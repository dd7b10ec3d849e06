""" "How many items by this date?" for throughput teams.

Semantics
    A throughput team completes, in period q of trial i, exactly the items the engine
    gives it (docs/model.md §2, ``kernels/throughput.py::tp_items``): the draw of its
    ``throughput`` distribution on the team's keyed stream, slot q, rounded half up and
    never below 0. Same scenario and seed, same items, period by period. This is the
    team's *capacity* in items: the answer assumes it always has work (the classic
    "how many" question), whatever the scenario's features.

    Items done **by** a date D are the items of the periods complete by the end of D:
    periods q with ``(q + 1) * L <= index_on_or_before(D) + 1`` (working-day clock, L
    working days a period), i.e. items complete at the end of their period (docs/model.md §2).
    A D before the start gives 0 periods and 0 items.

Percentile direction
    A PM asks "how many items will we have *at least*, with 85 % confidence?". So
    ``items_at_least_85`` is the largest n reached in at least 85 % of trials
    (``count(items >= n) >= 0.85 * trials``): the §8 inverted-CDF rule applied to the
    shortfall ``-items``. ``items_p50``, ``items_at_most_85`` and ``items_at_most_95`` are
    the §8 percentiles as everywhere else (the smallest n with at least p % of trials
    ``<= n``): upper bounds, useful to size a backlog ("we will not do more than").
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from portfolio_sim.calendar import as_date
from portfolio_sim.errors import InputError
from portfolio_sim.results.history_tables import (
    Table,
    history_how_many_frame,
    history_how_many_text,
)
from portfolio_sim.results.percentiles import sample_percentiles
from portfolio_sim.scenario.schema import Scenario

#: Columns of :func:`how_many` and :func:`items_summary`, in order.
ITEM_COLUMNS: tuple[str, ...] = (
    "items_at_least_95",
    "items_at_least_85",
    "items_p50",
    "items_at_most_85",
    "items_at_most_95",
    "mean",
)


def at_least(values: np.ndarray, p: float) -> np.ndarray:
    """Largest n with at least p % of the values ``>= n``, along the last axis."""
    return -np.asarray(sample_percentiles(-np.asarray(values), [p]))[..., 0]


def items_summary(totals: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`ITEM_COLUMNS` of each column of ``totals`` (``[trials, m]``)."""
    cols = np.asarray(totals).T  # [m, trials]
    upper = np.asarray(sample_percentiles(cols, [50, 85, 95]))
    return {
        "items_at_least_95": at_least(cols, 95).astype(np.int64),
        "items_at_least_85": at_least(cols, 85).astype(np.int64),
        "items_p50": upper[:, 0].astype(np.int64),
        "items_at_most_85": upper[:, 1].astype(np.int64),
        "items_at_most_95": upper[:, 2].astype(np.int64),
        "mean": cols.mean(axis=-1),
    }


def simulate_items(
    code: int,
    off: int,
    n: int,
    pool: np.ndarray,
    key: int,
    periods: Sequence[int] | np.ndarray,
    trials: int,
) -> np.ndarray:
    """Items done in the first ``periods[k]`` periods, per trial: int64 ``[trials, m]``.

    The items distribution is ``(code, pool[off:off+n])`` (an ``rng.draw`` encoding) on
    stream ``key``; trial i uses trial index i of that stream.
    """
    from portfolio_sim.jit_cache import ensure_fresh

    ensure_fresh()
    from portfolio_sim.history.howmany_kernel import cumulative_items

    ks = np.asarray(periods, dtype=np.int64)
    order = np.argsort(ks, kind="stable")
    out = cumulative_items(
        np.int64(code),
        np.int64(off),
        np.int64(n),
        np.ascontiguousarray(pool, dtype=np.float64),
        np.uint64(key),
        np.int64(trials),
        np.int64(0),
        np.ascontiguousarray(ks[order]),
    )
    result = np.empty_like(out)
    result[:, order] = out
    return result


def _resolve(scenario: Scenario | str | os.PathLike[str], variant: str | None) -> Scenario:
    if isinstance(scenario, str | os.PathLike):
        from portfolio_sim.scenario.load import load

        return load(scenario, variant=variant)
    if not isinstance(scenario, Scenario):
        raise InputError(f"expected a Scenario or a path, got {type(scenario).__name__}")
    if variant is not None:
        from portfolio_sim.scenario.variants import apply_variant

        return apply_variant(scenario, variant)
    return scenario


def how_many(
    scenario: Scenario | str | os.PathLike[str],
    by: Sequence[dt.date | str] | dt.date | str,
    trials: int = 10_000,
    seed: int = 0,
    variant: str | None = None,
    teams: Sequence[str] | None = None,
) -> Table:
    """Items each throughput team completes by each date in ``by``.

    Returns one row per (team, date) with ``team``, ``date``, ``periods`` (complete
    periods by the end of that date) and :data:`ITEM_COLUMNS` (see the module docstring
    for the "at least" / "at most" directions). Reproducible: same scenario, trials and
    seed give the same numbers, and they match the engine's period draws. The table is
    built by :func:`portfolio_sim.results.history_tables.history_how_many_frame`.

    Raises:
        InputError: no throughput team (or an unknown one in ``teams``), trials < 1, or
            a bad date. ScenarioError: an invalid scenario or variant.
    """
    from portfolio_sim.codes import THROUGHPUT
    from portfolio_sim.scenario.compile import compile_scenario

    if trials < 1:
        raise InputError("trials must be at least 1")
    dates = [as_date(d, "by") for d in ([by] if isinstance(by, str | dt.date) else by)]
    if not dates:
        raise InputError("give at least one date")
    scn = _resolve(scenario, variant)
    comp = compile_scenario(scn, seed)
    tp = [j for j in range(comp.n_teams) if comp.team_kind[j] == THROUGHPUT]
    if teams is not None:
        unknown = [t for t in teams if t not in comp.team_ids]
        if unknown:
            raise InputError(f"unknown team(s): {', '.join(unknown)}")
        tp = [comp.team_ids.index(t) for t in teams]
        effort = [comp.team_ids[j] for j in tp if comp.team_kind[j] != THROUGHPUT]
        if effort:
            raise InputError(f"not throughput teams: {', '.join(effort)}")
    if not tp:
        raise InputError("the scenario has no throughput team")
    cal = comp.calendar
    last_day = np.array([int(cal.index_on_or_before(d)) for d in dates], dtype=np.int64)
    parts: list[dict[str, Any]] = []
    for j in tp:
        length = int(comp.tp_period[j])
        periods = np.maximum((last_day + 1) // length, 0)
        code, off, n = (int(x) for x in comp.tp_dist[j])
        totals = simulate_items(code, off, n, comp.pool, int(comp.team_key[j]), periods, trials)
        parts.append(
            {"team": comp.team_ids[j], "date": dates, "periods": periods, **items_summary(totals)}
        )
    return history_how_many_frame(parts)


def how_many_text(table: Table) -> str:
    """The how-many table for the terminal
    (:func:`portfolio_sim.results.history_tables.history_how_many_text`)."""
    return history_how_many_text(table)
