"""What an engine hands to the results layer: aggregates, no pandas, no dates.
It lives with the engines, which fill it; :mod:`portfolio_sim.results` reads it (the
engines never import results).

Both engines (fast kernels, SimPy reference) fill the same :class:`EngineOutput`, so
everything downstream (tables, JSON, reports) is engine-agnostic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.codes import MONEY_COLUMNS, MONEY_SCALE, TIME_SCALE, WORK_SCALE

__all__ = ["MONEY_COLUMNS", "MONEY_SCALE", "TIME_SCALE", "WORK_SCALE", "EngineOutput"]


@dataclass
class EngineOutput:
    """Aggregates of ``trials`` trials.

    Histograms have ``horizon_days + 1`` bins: bin d counts done on working day d, the
    last bin counts "not done by the horizon".
    """

    trials: int
    feat_hist: np.ndarray  # int64 [F, H+1]
    feat_tsum: np.ndarray  # int64 [F] fixed-point sum of done clock times (done trials)
    team_hist: np.ndarray  # int64 [T, H+1]
    team_work: np.ndarray  # int64 [T] fixed-point work done
    team_cap: np.ndarray  # int64 [T] fixed-point capacity paid (effort teams)
    port_t: np.ndarray  # float64 [trials] portfolio finish clock time (inf: not done)
    events: int = 0
    #: Optional per-trial arrays [trials, F] (done clock time, start clock time, size).
    done: np.ndarray | None = None
    start: np.ndarray | None = None
    size: np.ndarray | None = None
    #: Per-trial money [trials, 8] (MONEY_COLUMNS) and monthly cost/capex [trials, M].
    money: np.ndarray | None = None
    month_cost: np.ndarray | None = None
    month_capex: np.ndarray | None = None
    #: Fixed-point sums over trials of each feature's discounted value and one-off cost.
    feat_value_sum: np.ndarray | None = None
    feat_cost_sum: np.ndarray | None = None
    #: Per-trial cost of each budget quarter [trials, Q] (sorted quarter labels), float64.
    quarter_cost: np.ndarray | None = None
    #: Streamed instead of the per-trial month and quarter arrays (engines/month_stream.py;
    #: then ``month_cost``, ``month_capex`` and ``quarter_cost`` are None): the monthly
    #: bands ``{"cost_p10": [M], ...}`` and means ``{"cost": [M], ...}`` of cost, capex,
    #: opex and cumulative cost, and per budget quarter [Q, 4] its cost P50/P80/P90 and
    #: the number of trials over its budget.
    month_bands: dict[str, np.ndarray] | None = None
    month_means: dict[str, np.ndarray] | None = None
    quarter_stats: np.ndarray | None = None
    #: Team load (docs/model.md §10.13; None when not accounted): share histograms
    #: [LOAD_RES+1, T, M, 3] (bin b counts trials whose share was b / LOAD_RES), fixed-point
    #: sums of capacity-days [T, M, 3], capacity-days per team-month [T, M] (the share
    #: denominators), and per-trial capacity-days [trials, T, M, 3] when kept.
    load_hist: np.ndarray | None = None
    load_sum: np.ndarray | None = None
    load_cap: np.ndarray | None = None
    load_days: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_trials(
        cls,
        done: np.ndarray,
        start: np.ndarray,
        size: np.ndarray,
        work: np.ndarray,
        cap: np.ndarray,
        feat_team: np.ndarray,
        n_teams: int,
        horizon_days: int,
    ) -> EngineOutput:
        """Aggregate per-trial arrays (used by the reference engine and tests).

        ``work``/``cap`` are per-trial [trials, T] work done and capacity paid.
        Produces exactly what the kernels accumulate, with the same fixed-point rounding.
        """
        n, n_f = done.shape
        h = horizon_days
        ok = done <= h
        days = done_days_or(done, h, ok)
        days = days.astype(np.int64)
        feat_hist = np.zeros((n_f, h + 1), dtype=np.int64)
        for f in range(n_f):
            feat_hist[f] = np.bincount(days[:, f], minlength=h + 1)
        tsum = np.where(ok, np.round(np.where(ok, done, 0) * TIME_SCALE), 0).astype(np.int64)
        team_t = np.zeros((n, n_teams))
        for f in range(n_f):
            team_t[:, feat_team[f]] = np.maximum(team_t[:, feat_team[f]], done[:, f])
        tok = team_t <= h
        tdays = done_days_or(team_t, h, tok)
        team_hist = np.zeros((n_teams, h + 1), dtype=np.int64)
        for j in range(n_teams):
            team_hist[j] = np.bincount(tdays[:, j].astype(np.int64), minlength=h + 1)
        port = done.max(axis=1) if n_f else np.zeros(n)
        return cls(
            trials=n,
            feat_hist=feat_hist,
            feat_tsum=tsum.sum(axis=0),
            team_hist=team_hist,
            team_work=np.round(work * WORK_SCALE).astype(np.int64).sum(axis=0),
            team_cap=np.round(cap * WORK_SCALE).astype(np.int64).sum(axis=0),
            port_t=np.where(port <= h, port, np.inf),
            done=done,
            start=start,
            size=size,
        )
