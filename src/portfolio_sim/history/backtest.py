"""Backtest "how many" forecasts against what actually happened.

Method
    From a calibrated export (:func:`portfolio_sim.history.calibrate`), cut dates are the
    starts of periods, every ``every`` periods, going back from the most recent period
    whose ``horizon`` periods are all complete. At each cut, per team, the forecast sees
    only the team's complete periods before the cut (all of them, or the last
    ``window``), bootstraps them like a ``throughput: {samples: ...}`` team (one draw per
    period, keyed streams of :mod:`portfolio_sim.rng`, ``trials`` trials), and forecasts
    the items done in the next ``horizon`` periods. The actual is the number of items the
    team finished in those periods. A cut is used only when the team has at least
    ``min_history`` periods of history before it.

Calibration measures (per team and over all teams)
    ``share_le_p50`` / ``share_le_p85``: share of cuts whose actual is at or below the
    forecast P50 / P85 (docs/model.md §8 rule); calibrated forecasts give about 0.50 / 0.85
    (a little more for discrete counts). ``share_ge_at_least_85``: share whose actual
    reached the forecast "at least, 85 %" number (:mod:`.howmany`); about 0.85.
    ``se_85`` is the binomial standard error of an 0.85 share over the *effective*
    number of cuts: when ``every < horizon`` the outcome windows overlap, so neighbouring
    cuts share periods; we count ``cuts * every / horizon`` independent outcomes.
    Expect a plain bootstrap to be slightly optimistic with short histories: it treats
    the n periods seen as the whole truth, so its spread over H periods is too narrow by
    about ``sqrt(1 + H / n)`` (P85 coverage ~0.80 at n = 26, H = 12; ~0.84 at n = 104).
    The reliability table gives, for nominal levels 5 %, 10 %, ..., 95 %, the observed
    share of actuals at or below the forecast percentile at that level.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from portfolio_sim.errors import InputError
from portfolio_sim.history.calibrate import Calibration, calibrate
from portfolio_sim.history.howmany import items_summary
from portfolio_sim.results.history_tables import BacktestResult, history_backtest_tables
from portfolio_sim.results.percentiles import sample_percentiles
from portfolio_sim.rng import SAMPLES, stream_key

#: Nominal levels of the reliability chart (percent).
LEVELS: tuple[int, ...] = tuple(range(5, 100, 5))


def parse_span(text: str | int, per: str, workdays_per_week: int, what: str) -> int:
    """``"12w"``, ``"10d"`` or a bare number of periods -> a number of periods.

    With weekly periods a ``d`` span must be whole weeks of 7 calendar days; with daily
    periods ``w`` counts ``workdays_per_week`` working days a week and ``d`` working days.
    """
    if isinstance(text, int):
        n, unit = text, ""
    else:
        m = re.fullmatch(r"\s*(\d+)\s*([wWdD]?)\s*", str(text))
        if m is None:
            raise InputError(f"{what}: expected a span like 2w, 12w or 10d, got {text!r}")
        n, unit = int(m[1]), m[2].lower()
    if unit == "":
        periods = n
    elif per == "week":
        if unit == "d" and n % 7:
            raise InputError(f"{what}: {text} is not whole weeks (periods are weeks)")
        periods = n if unit == "w" else n // 7
    else:
        periods = n * workdays_per_week if unit == "w" else n
    if periods < 1:
        raise InputError(f"{what}: must be at least one period, got {text!r}")
    return periods


def _shares(
    actual: np.ndarray, forecasts: dict[str, np.ndarray], every: int, horizon: int
) -> dict[str, Any]:
    """Calibration shares of one group of cuts (``actual`` and the forecast columns
    restricted to the group); NaN for an empty group."""
    n = len(actual)
    eff = n * min(1.0, every / horizon)
    return {
        "cuts": n,
        "share_le_p50": float((actual <= forecasts["items_p50"]).mean()) if n else np.nan,
        "share_le_p85": float((actual <= forecasts["items_at_most_85"]).mean()) if n else np.nan,
        "share_ge_at_least_85": (
            float((actual >= forecasts["items_at_least_85"]).mean()) if n else np.nan
        ),
        "se_85": float(np.sqrt(0.85 * 0.15 / eff)) if n else np.nan,
    }


#: Histories per kernel call when a progress callback is given.
PROGRESS_CHUNK = 16


def _forecast_totals(
    pasts: list[np.ndarray],
    keys: list[int],
    horizon: int,
    trials: int,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Bootstrapped items over ``horizon`` periods, one row of ``trials`` per history.

    Each row draws from its own keyed stream, so computing the rows in chunks (to report
    ``progress(done, total)`` in histories) gives the same numbers as one call."""
    from portfolio_sim.jit_cache import ensure_fresh

    ensure_fresh()
    from portfolio_sim.history.howmany_kernel import batch_totals

    n = len(pasts)
    step = PROGRESS_CHUNK if progress is not None else max(n, 1)
    parts = []
    for lo in range(0, n, step):
        chunk = pasts[lo : lo + step]
        ns = np.array([len(p) for p in chunk], dtype=np.int64)
        offs = np.zeros(len(chunk), dtype=np.int64)
        offs[1:] = np.cumsum(ns)[:-1]
        parts.append(
            np.asarray(
                batch_totals(
                    np.int64(SAMPLES),
                    np.concatenate(chunk),
                    offs,
                    ns,
                    np.array(keys[lo : lo + step], dtype=np.uint64),
                    np.full(len(chunk), horizon, dtype=np.int64),
                    np.int64(trials),
                )
            )
        )
        if progress is not None:
            progress(min(lo + step, n), n)
    return np.concatenate(parts, axis=0)


#: Histories per task when the cut forecasts run as tasks (``map_tasks``).
TASK_CHUNK = 16


def cut_summaries(
    pasts: list[np.ndarray],
    keys: list[int],
    horizon: int,
    trials: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The forecasts of these histories, reduced row by row: the ``items_summary``
    columns and the percentiles at :data:`LEVELS` ``[histories, len(LEVELS)]``. Each
    row depends on its own history and stream only, so the rows of several calls, put
    together in order, are those of one call (how cuts run as tasks on a cluster, and
    why only these few numbers per cut, never the ``trials`` totals, travel back)."""
    totals = _forecast_totals(pasts, keys, horizon, trials, progress)  # [cuts, trials]
    return items_summary(totals.T), np.asarray(sample_percentiles(totals, LEVELS))


def _all_cut_summaries(
    pasts: list[np.ndarray],
    keys: list[int],
    horizon: int,
    trials: int,
    progress: Callable[[int, int], None] | None,
    map_tasks: Callable[..., list[Any]] | None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:func:`cut_summaries` of every history: in this process, or ``TASK_CHUNK``
    histories per task through ``map_tasks(fn, arg_list, progress=...)`` (e.g.
    :func:`portfolio_sim.distributed.tasks.map_tasks` with a scheduler), joined in order."""
    if map_tasks is None:
        return cut_summaries(pasts, keys, horizon, trials, progress)
    n = len(pasts)
    args = [
        (pasts[lo : lo + TASK_CHUNK], keys[lo : lo + TASK_CHUNK], horizon, trials)
        for lo in range(0, n, TASK_CHUNK)
    ]

    def tasks_done(done: int, total: int) -> None:  # tasks -> cut forecasts
        if progress is not None:
            progress(n if done >= total else min(done * TASK_CHUNK, n), n)

    parts = map_tasks(cut_summaries, args, progress=tasks_done)
    columns = {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}
    return columns, np.concatenate([p[1] for p in parts], axis=0)


def backtest(
    history: Calibration | str | os.PathLike[str],
    *,
    every: str | int = "2w",
    horizon: str | int = "12w",
    window: str | int | None = None,
    min_history: str | int = "8w",
    trials: int = 10_000,
    seed: int = 0,
    teams: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    map_tasks: Callable[..., list[Any]] | None = None,
    **calibrate_options: Any,
) -> BacktestResult:
    """Backtest throughput forecasts on a work-item export (or a :class:`Calibration`).

    Args:
        history: a CSV export (read with :func:`calibrate` and ``calibrate_options``) or
            the result of :func:`calibrate`.
        every: spacing of the cut dates (``"2w"``, ``"10d"`` or periods).
        horizon: how far each forecast looks ahead.
        window: use only this much history before each cut (default: all of it).
        min_history: cuts with less history than this (per team) are not used.
        trials, seed: Monte Carlo trials per forecast and the seed of the keyed streams
            (the stream of team T at cut period g is ``("backtest", "T@g")``).
        teams: backtest only these teams (default: all).
        progress: ``progress(done, total)`` over the cut forecasts (for a progress bar).
        map_tasks: run the cut forecasts as tasks: ``map_tasks(fn, arg_list,
            progress=...)`` returns ``[fn(*a) for a in arg_list]``, e.g.
            ``functools.partial(portfolio_sim.distributed.tasks.map_tasks,
            scheduler="tcp://host:8786")`` (docs/distributed.md); the same result.

    Returns:
        A :class:`BacktestResult`. Raises InputError when no cut fits in the history.
    """
    cal = history if isinstance(history, Calibration) else calibrate(history, **calibrate_options)
    if trials < 1:
        raise InputError("trials must be at least 1")
    wpw = cal.calendar.workdays_per_week
    every_p = parse_span(every, cal.per, wpw, "every")
    horizon_p = parse_span(horizon, cal.per, wpw, "horizon")
    window_p = None if window is None else parse_span(window, cal.per, wpw, "window")
    min_p = parse_span(min_history, cal.per, wpw, "min_history")
    chosen = cal.teams if teams is None else list(teams)
    unknown = [t for t in chosen if t not in cal.counts]
    if unknown:
        raise InputError(f"no history for team(s): {', '.join(unknown)}")

    cuts = list(range(cal.n_periods - horizon_p, -1, -every_p))[::-1]
    rows: list[dict[str, Any]] = []
    pasts: list[np.ndarray] = []
    keys: list[int] = []
    for team in chosen:
        counts, first = cal.counts[team], cal.first[team]
        for g in cuts:
            s = g - first
            lo = 0 if window_p is None else max(0, s - window_p)
            if s - lo < min_p or s < min_p:
                continue
            pasts.append(counts[lo:s].astype(np.float64))
            keys.append(stream_key(seed, "backtest", f"{team}@{g}"))
            rows.append(
                {
                    "team": team,
                    "cut": cal.period_start(g),
                    "history_periods": int(s - lo),
                    "actual": int(counts[s : s + horizon_p].sum()),
                }
            )
    if not rows:
        raise InputError(
            f"no cut date fits: {cal.n_periods} complete {cal.per}s of history, need at "
            f"least {min_p} before a cut and {horizon_p} after it"
        )
    forecasts, levels = _all_cut_summaries(pasts, keys, horizon_p, trials, progress, map_tasks)
    actual = np.array([r["actual"] for r in rows], dtype=np.int64)
    team_of = np.array([r["team"] for r in rows], dtype=object)
    summary: list[dict[str, Any]] = []
    for t in dict.fromkeys(team_of):  # teams in order of first appearance
        sel = team_of == t
        summary.append(
            {"team": t, **_shares(actual[sel], _select(forecasts, sel), every_p, horizon_p)}
        )
    summary.append({"team": "(all)", **_shares(actual, forecasts, every_p, horizon_p)})
    below = actual[:, None] <= levels
    n = len(rows)
    eff = n * min(1.0, every_p / horizon_p)
    lv = np.array(LEVELS) / 100.0
    reliability = {
        "level": lv,
        "observed": below.mean(axis=0),
        "cuts": n,
        "se": np.sqrt(lv * (1 - lv) / eff),
    }
    table, summary_table, reliability_table = history_backtest_tables(
        rows, forecasts, summary, reliability
    )
    return BacktestResult(
        source=cal.source,
        per=cal.per,
        every=every_p,
        horizon=horizon_p,
        window=window_p,
        min_history=min_p,
        trials=trials,
        seed=seed,
        table=table,
        summary=summary_table,
        reliability=reliability_table,
        skipped=list(cal.skipped),
    )


def _select(columns: dict[str, np.ndarray], sel: np.ndarray) -> dict[str, np.ndarray]:
    """The rows ``sel`` (a boolean mask) of each column."""
    return {k: v[sel] for k, v in columns.items()}
