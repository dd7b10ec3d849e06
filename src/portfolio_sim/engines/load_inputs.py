"""The team-load inputs of both engines and the reduction of per-trial load figures.

:func:`load_inputs` (and :func:`load_model`, the kernels' tuple of it) give the month
boundaries on the working-day clock and each team's capacity-days per month (the
reference engine never imports the kernels); :func:`tally_days` reduces
per-trial capacity-days ``[n, T, M, 3]`` (the reference engine's) into the same share
histograms and fixed-point sums the kernels accumulate (docs/model.md §10.13), with the
same rounding, so both engines hand the results layer identical aggregates.

Memory: the histograms are ``(LOAD_RES + 1) x T x M x 3`` int32 counters per worker
thread (11.5 MB for 20 teams over 48 months), whatever the number of trials; per-trial
figures are kept only with ``keep_trials`` and while ``trials x T x M x 3`` is at most
:data:`KEEP_MAX` (docs/outputs.md, "Team load").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from portfolio_sim.codes import EFFORT, LOAD_RES, WORK_SCALE
from portfolio_sim.scenario.compile import CompiledScenario

if TYPE_CHECKING:
    from portfolio_sim.kernels.load import LoadModel

#: Per-trial load figures are kept (``EngineOutput.load_days``) up to this many values.
KEEP_MAX = 1 << 25


def month_starts(compiled: CompiledScenario) -> np.ndarray:
    """Clock time at which each month's first working day starts, [M + 1] float64
    (``[M]`` = the horizon; a month without working days starts where the next does)."""
    h = compiled.horizon_days
    n_m = len(compiled.month_labels)
    of_day = compiled.calendar.days_in_month_index(h).astype(np.int64)
    return np.searchsorted(of_day, np.arange(n_m + 1), side="left").astype(np.float64)


def capacity_at(compiled: CompiledScenario, j: int, t: np.ndarray) -> np.ndarray:
    """``C_j(t)``: effort team j's cumulative capacity (person-days) at clock times ``t``;
    working days ``t`` for a throughput team."""
    t = np.asarray(t, dtype=np.float64)
    if int(compiled.team_kind[j]) != EFFORT:
        return t.copy()
    lo, hi = int(compiled.cap_ptr[j]), int(compiled.cap_ptr[j + 1])
    seg_t = compiled.cap_t[lo:hi]
    k = np.maximum(np.searchsorted(seg_t, t, side="right") - 1, 0) + lo
    d = t - compiled.cap_t[k]
    return compiled.cap_cum[k] + compiled.cap_rate[k] * d + 0.5 * compiled.cap_slope[k] * d * d


class LoadInputs(NamedTuple):
    """The engine-neutral part of the kernels' ``LoadModel`` (same fields; the reference
    engine uses it without importing the kernels)."""

    month_t: np.ndarray
    cap_month: np.ndarray
    scale: np.ndarray


def load_model(compiled: CompiledScenario, on: bool = True) -> LoadModel:
    """The kernels' :class:`~portfolio_sim.kernels.load.LoadModel` of ``compiled``
    (``on``: the kernel accounts load)."""
    from portfolio_sim.kernels.load import LoadModel

    li = load_inputs(compiled)
    return LoadModel(on=bool(on), month_t=li.month_t, cap_month=li.cap_month, scale=li.scale)


def load_inputs(compiled: CompiledScenario) -> LoadInputs:
    """Month boundaries, capacity-days per team-month and share scales of ``compiled``."""
    month_t = month_starts(compiled)
    cap = np.zeros((compiled.n_teams, month_t.shape[0] - 1))
    for j in range(compiled.n_teams):
        c = capacity_at(compiled, j, month_t)
        cap[j] = c[1:] - c[:-1]
    scale = np.where(cap > 0.0, LOAD_RES / np.where(cap > 0.0, cap, 1.0), 0.0)
    return LoadInputs(month_t=month_t, cap_month=cap, scale=scale)


def load_bins(days: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Histogram bins of capacity-days ``days`` [..., T, M, 3] given ``scale`` [T, M]
    (kernels/load.py ``load_bin``; team-months without capacity give bin 0)."""
    scaled = days * scale[..., None]
    return np.clip(np.floor(scaled + 0.5), 0, LOAD_RES).astype(np.int64)


def tally_days(days: np.ndarray, lm: LoadInputs) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial capacity-days [n, T, M, 3] -> (histogram [LOAD_RES+1, T, M, 3] int64,
    fixed-point sums [T, M, 3] int64), as the kernels tally them."""
    cap = lm.cap_month
    n_t, n_m = cap.shape
    hist = np.zeros((LOAD_RES + 1, n_t, n_m, 3), dtype=np.int64)
    sums = np.zeros((n_t, n_m, 3), dtype=np.int64)
    if days.shape[0] == 0:
        return hist, sums
    has = np.broadcast_to((cap > 0.0)[..., None], (n_t, n_m, 3))
    sums[has] = np.round(days * WORK_SCALE).astype(np.int64).sum(axis=0)[has]
    bins = load_bins(days, lm.scale)
    jj, kk, ss = np.nonzero(has)
    for j, k, s in zip(jj, kk, ss, strict=True):
        hist[:, j, k, s] = np.bincount(bins[:, j, k, s], minlength=LOAD_RES + 1)
    return hist, sums


def fold_pure(
    hist: np.ndarray, sums: np.ndarray, pure: np.ndarray, cap_month: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Add the kernels' counts of team-months wholly in one state (``pure`` [T, M, 3],
    kernels/load.py ``trial_tally_load``) into ``hist`` [LOAD_RES+1, T, M, 3] and ``sums``
    [T, M, 3]: such a month has share 1 in its state (bin LOAD_RES, capacity-days
    ``cap_month`` [T, M]) and 0 in the two others."""
    hist = hist.copy()
    hist[LOAD_RES] += pure
    for s in range(3):
        others = pure.sum(axis=-1) - pure[..., s]
        hist[0, :, :, s] += others
    full = np.round(cap_month * WORK_SCALE).astype(np.int64)[..., None]
    return hist, sums + pure * full
