"""Team load of one reference-engine trial (docs/model.md §10.13), written independently
of the kernels' ``kernels/load.py`` from the trial's own start, done and ready times.

Per team: the busy intervals (effort team: a feature in progress, clock ``[start, done)``;
throughput team: a ready feature not done, from the first period start at or after its
ready time to its done time) are merged; the gaps before the team's last done time are
*waiting*, the rest up to the horizon *empty*. Each piece is weighed by the team's
capacity ``C_j`` (effort) or in working days (throughput) and split at the months'
first working days ``month_t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from portfolio_sim.codes import EPS, LOAD_BUSY, LOAD_EMPTY, LOAD_WAITING
from portfolio_sim.des.model import DesModel, TrialResult


def trial_load(
    model: DesModel,
    res: TrialResult,
    month_t: np.ndarray,
    cap_month: np.ndarray,
    done: Sequence[float] | None = None,
    start: Sequence[float] | None = None,
) -> np.ndarray:
    """Capacity-days [T, M, 3] (busy, waiting, empty) of trial ``res``; a piece that
    covers a whole month counts that month's capacity ``cap_month[j, k]``. ``done`` and
    ``start`` replace the trial's own times when given (a re-forecast's pinned done
    features, docs/model.md §11.2)."""
    done_t = res.done if done is None else done
    start_t = res.start if start is None else start
    horizon = model.horizon
    m = model.m
    bounds = [float(x) for x in month_t]
    n_m = len(bounds) - 1
    days = np.zeros((m.n_teams, n_m, 3))

    for j, feats in enumerate(model.team_feats):
        cap = model.capacity[j]
        weigh: Callable[[float], float] = cap.at if cap is not None else float

        def add(
            a: float, b: float, state: int, j: int = j, weigh: Callable[[float], float] = weigh
        ) -> None:
            for k in range(n_m):
                if a <= bounds[k] and bounds[k + 1] <= b:
                    days[j, k, state] += cap_month[j, k]
                    continue
                lo, hi = max(a, bounds[k]), min(b, bounds[k + 1])
                if hi > lo:
                    days[j, k, state] += weigh(hi) - weigh(lo)

        period = float(m.tp_period[j])
        spans = []
        for f in feats:
            if cap is None:
                if not res.ready[f] <= horizon:
                    continue
                s = math.ceil((res.ready[f] - EPS) / period) * period
            else:
                s = start_t[f]
            e = min(done_t[f], horizon)
            if s < e:
                spans.append((s, e))
        spans.sort(key=lambda x: x[0])
        last = min(max([done_t[f] for f in feats], default=0.0), horizon)
        cur = 0.0
        p = 0
        while p < len(spans):
            a, b = spans[p]
            p += 1
            while p < len(spans) and spans[p][0] <= b:
                b = max(b, spans[p][1])
                p += 1
            add(cur, a, LOAD_WAITING)
            add(max(a, cur), b, LOAD_BUSY)
            cur = max(cur, b)
        add(cur, last, LOAD_WAITING)
        add(max(cur, last), horizon, LOAD_EMPTY)
    return days
