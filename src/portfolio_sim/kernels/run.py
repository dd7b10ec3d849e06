"""Run many trials in parallel and aggregate without trials x features memory.

Trials are split into contiguous blocks, one per worker thread (threads are started by
engines/fast.py, which avoids Numba's slow-to-compile parfor machinery). :func:`run_block`
is plain Python: it allocates a worker's work arrays with numpy and calls the compiled
trial loop, which releases the GIL (compiling the allocation too cost about 5 s of the
cold start). Each block adds into its own slice of integer accumulators (day-resolution
histograms, fixed-point sums), which are summed afterwards. Integer addition is associative, so the totals are
identical whatever the number of threads, workers or batches: the reproducibility
guarantee of docs/model.md §8 holds bit for bit.

Day histograms have ``H + 1`` bins: bin d < H counts trials done on working day d, bin H
counts trials not done by the horizon. Percentiles under the inverted-CDF rule are exact
from these counts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from portfolio_sim.codes import EFFORT, MONEY_SCALE, N_MONEY, TIME_SCALE, WORK_SCALE
from portfolio_sim.kernels.arrays import KernelModel
from portfolio_sim.kernels.clock import kernel_done_day
from portfolio_sim.kernels.load import LoadModel, keep_load, trial_tally_load
from portfolio_sim.kernels.money import KernelMoney, trial_money
from portfolio_sim.kernels.schedule import cap_at, kernel_sample_trial
from portfolio_sim.kernels.trial import kernel_simulate_trial
from portfolio_sim.rng import NO_REFCOUNT


class Tallies(NamedTuple):
    """What a block of trials writes. Accumulators have a leading worker axis ``w`` (each
    worker adds into its own slice; summed afterwards); per-trial arrays are indexed by
    the trial's position ``i`` in the batch.

    Money fields (kernels/money.py): ``money_out[i]`` = cost, cost_pv, value, value_pv,
    penalty_pv, npv, capex, budget spent day; ``month_cost[i]`` / ``month_capex[i]`` [M]
    (float32); ``quarter_cost[i, q]`` cost of budget quarter q (float64, exact sums of the
    months)."""

    feat_hist: np.ndarray  # [W, F, H+1] done-day counts (bin H: not done by the horizon)
    feat_tsum: np.ndarray  # [W, F] fixed-point sums of done clock times (done trials)
    team_hist: np.ndarray  # [W, T, H+1] done-day counts of each team's last feature
    team_work: np.ndarray  # [W, T] fixed-point work done
    team_cap: np.ndarray  # [W, T] fixed-point capacity paid
    events: np.ndarray  # [W] events processed
    port_t: np.ndarray  # [n] portfolio finish clock time (inf: not by the horizon)
    keep_done: np.ndarray  # [n, F] per-trial done times if ``keep`` (else [0, F])
    keep_start: np.ndarray  # [n, F] per-trial start times if ``keep``
    keep_size: np.ndarray  # [n, F] per-trial sizes if ``keep``
    money_out: np.ndarray  # [n, N_MONEY] (codes.MONEY_COLUMNS)
    month_cost: np.ndarray  # [n, M]
    month_capex: np.ndarray  # [n, M]
    feat_value_sum: np.ndarray  # [W, F] fixed-point sums of discounted value
    feat_cost_sum: np.ndarray  # [W, F] fixed-point sums of one-off cost
    quarter_cost: np.ndarray  # [n, Q]


class TrialWork(NamedTuple):
    """One worker's scratch arrays for the trial loop (overwritten every trial)."""

    size: np.ndarray  # [F (+ extra)] sampled size (person-days or items); by type: §2.10
    delay: np.ndarray  # [F] risk delay before a feature may start
    done: np.ndarray  # [F] done clock time (inf: not by the horizon)
    start: np.ndarray  # [F] start clock time
    ready: np.ndarray  # [F] ready clock time
    finish_v: np.ndarray  # [F] virtual finish (effort) / items left (throughput)
    deps_left: np.ndarray  # [F] dependencies not done yet (-1: released)
    state: np.ndarray  # [F] WAITING / ACTIVE / DONE
    work: np.ndarray  # [T] work done through the horizon
    team_k: np.ndarray  # [T] features in progress
    team_v: np.ndarray  # [T] virtual progress
    team_c: np.ndarray  # [T] capacity used up to the last sync
    team_next: np.ndarray  # [T] next event time
    team_due: np.ndarray  # [T] virtual progress at which the next event completes
    team_t: np.ndarray  # [T] done time of the team's last feature
    dirty: np.ndarray  # [T] bool: must be looked at again
    tp_q: np.ndarray  # [T] first period not yet applied (throughput teams)
    tp_cache: np.ndarray  # [T, H+1] items per period, this trial
    tp_stamp: np.ndarray  # [T, H+1] trial that filled tp_cache (-1: none)
    team_lo: np.ndarray  # [T] first open feature position
    rel_t: np.ndarray  # [F] a team component's release events: times
    rel_f: np.ndarray  # [F] and the features they release
    m_cost: np.ndarray  # [M] month cost
    m_capex: np.ndarray  # [M] month capex
    f_value: np.ndarray  # [F] discounted value
    f_cost: np.ndarray  # [F] one-off cost
    team_end: np.ndarray  # [T] last paid working day
    evt: np.ndarray  # [2F+1] capex sweep events
    mout: np.ndarray  # [N_MONEY] money outputs of the trial
    frz: np.ndarray  # [2Z] the trial's freeze windows (kernels/freeze.py)


def trial_work(
    n_f: int, n_t: int, n_bins: int, n_m: int, n_extra: int = 0, n_z: int = 0
) -> TrialWork:
    """Allocate a :class:`TrialWork` for F features, T teams, H+1 day bins, M months,
    Z portfolio freezes; ``size`` and ``finish_v`` get ``n_extra`` entries after the F
    features' for throughput by type (scenario/type_compile.py)."""
    return TrialWork(
        size=np.empty(n_f + n_extra),
        delay=np.empty(n_f),
        done=np.empty(n_f),
        start=np.empty(n_f),
        ready=np.empty(n_f),
        finish_v=np.empty(n_f + n_extra),
        deps_left=np.empty(n_f, dtype=np.int64),
        state=np.empty(n_f, dtype=np.int64),
        work=np.empty(n_t),
        team_k=np.empty(n_t, dtype=np.int64),
        team_v=np.empty(n_t),
        team_c=np.empty(n_t),
        team_next=np.empty(n_t),
        team_due=np.empty(n_t),
        team_t=np.empty(n_t),
        dirty=np.empty(n_t, dtype=np.bool_),
        tp_q=np.empty(n_t, dtype=np.int64),
        tp_cache=np.empty((n_t, n_bins)),
        tp_stamp=np.full((n_t, n_bins), -1, dtype=np.int64),
        team_lo=np.empty(n_t, dtype=np.int64),
        rel_t=np.empty(n_f),
        rel_f=np.empty(n_f, dtype=np.int64),
        m_cost=np.empty(n_m),
        m_capex=np.empty(n_m),
        f_value=np.empty(n_f),
        f_cost=np.empty(n_f),
        team_end=np.empty(n_t, dtype=np.int64),
        evt=np.empty(2 * n_f + 1),
        mout=np.empty(N_MONEY),
        frz=np.empty(2 * n_z),
    )


def run_block(
    m: KernelModel,
    first_trial: int,
    lo: int,
    hi: int,
    w: int,
    keep: bool,
    out: Tallies,
    mm: KernelMoney,
    lm: LoadModel,
    load_hist: np.ndarray,
    load_sum: np.ndarray,
    keep_load: np.ndarray,
    load_pure: np.ndarray,
) -> None:
    """Simulate trials ``first_trial + lo .. first_trial + hi - 1`` as worker ``w`` into
    ``out`` (see :class:`Tallies`); ``mm`` is the money model (kernels/money.py).
    ``lm`` the team-load model (kernels/load.py; when ``lm.on``: share histograms
    ``load_hist`` [W, LOAD_RES+1, T, M, 3], fixed-point sums ``load_sum`` [W, T, M, 3],
    per-trial capacity-days ``keep_load`` [n, T, M, 3] when it has rows, counts of
    team-months wholly in one state ``load_pure`` [W, T, M, 3]).

    Plain Python: allocates the worker's :class:`TrialWork` and runs the compiled loop.
    """
    extra = int(m.ft_feat.shape[0] + m.tp_types[:, 1].sum())  # §2.10 (type_compile.py)
    wk = trial_work(
        m.feat_team.shape[0],
        m.team_kind.shape[0],
        out.feat_hist.shape[2],
        out.month_cost.shape[1],
        extra,
        m.freeze_risk.shape[0],
    )
    n_t, n_f = m.team_kind.shape[0], m.feat_team.shape[0]
    n_m = lm.cap_month.shape[1]
    # per-trial capacity-days only where kept; runs of months wholly in one state are
    # counted in a difference array over months (kernels/load.py)
    days = np.empty((n_t, n_m, 3) if keep_load.shape[0] else (0, 0, 3))
    pdiff = np.zeros((n_t, n_m + 1, 3) if lm.on else (0, 0, 3), dtype=np.int64)
    lt = (load_hist, load_sum, keep_load, days, np.empty(n_f), np.empty(n_f), load_pure)
    lt2 = (pdiff,)
    _run_trials(m, mm, first_trial, lo, hi, w, keep, out, wk, lm, lt, lt2)
    if lm.on:
        runs = np.cumsum(pdiff, axis=1)[:, :n_m] * (lm.cap_month > 0.0)[..., None]
        load_pure[w] += runs


@njit(cache=True, nogil=True, **NO_REFCOUNT)
def _run_trials(m, mm, first_trial, lo, hi, w, keep, out, wk, lm, lt, lt2):
    """The trial loop of :func:`run_block`: into ``out`` (a :class:`Tallies`), over the
    work arrays ``wk`` (a :class:`TrialWork`). Releases the GIL. Compiled without
    reference counting: otherwise every inlined helper taking arrays (``cap_at``) would
    pay atomic reference-count updates per call."""
    feat_team = m.feat_team
    team_kind = m.team_kind
    n_f = feat_team.shape[0]
    n_t = team_kind.shape[0]
    horizon = m.horizon
    n_bins = out.feat_hist.shape[2]
    n_m = out.month_cost.shape[1]
    quarter_of_month = mm.quarter_of_month
    for i in range(lo, hi):
        trial = first_trial + i
        kernel_sample_trial(m, trial, wk.size, wk.delay)
        out.events[w] += kernel_simulate_trial(
            m,
            trial,
            wk.size,
            wk.delay,
            wk.done,
            wk.start,
            wk.work,
            wk.ready,
            wk.deps_left,
            wk.state,
            wk.finish_v,
            wk.team_k,
            wk.team_v,
            wk.team_c,
            wk.team_next,
            wk.team_due,
            wk.dirty,
            wk.tp_q,
            wk.tp_cache,
            wk.tp_stamp,
            wk.team_lo,
            wk.rel_t,
            wk.rel_f,
            wk.frz,
        )
        for f in range(m.feat_pin.shape[0]):  # a re-forecast's done features (§11.2)
            if m.feat_pin[f] >= 0.0:
                wk.done[f] = m.feat_pin[f]
                wk.start[f] = m.feat_pin[f]
        if lm.on:  # team load (kernels/load.py), per trial too if kept
            trial_tally_load(
                m, lm, wk.done, wk.start, wk.ready, w, lt[0], lt[1], lt[6],
                lt2[0], lt[4], lt[5], lt[3],
            )  # fmt: skip
            if lt[2].shape[0]:
                keep_load(lt[3], lt[2], i)
        last = 0.0
        for j in range(n_t):
            wk.team_t[j] = 0.0
        for f in range(n_f):
            d = wk.done[f]
            j = feat_team[f]
            if d <= horizon:
                out.feat_hist[w, f, kernel_done_day(d)] += 1
                out.feat_tsum[w, f] += np.int64(round(d * TIME_SCALE))
            else:
                out.feat_hist[w, f, n_bins - 1] += 1
            if d > wk.team_t[j]:
                wk.team_t[j] = d
            if d > last:
                last = d
        out.port_t[i] = last
        for j in range(n_t):
            d = wk.team_t[j]
            if d <= horizon:
                out.team_hist[w, j, kernel_done_day(d)] += 1
            else:
                out.team_hist[w, j, n_bins - 1] += 1
            if team_kind[j] == EFFORT:
                paid_to = horizon
                if d <= horizon and not m.team_release_horizon[j]:
                    paid_to = min(float(kernel_done_day(d) + 1), horizon)
                out.team_cap[w, j] += np.int64(
                    round(
                        cap_at(m.cap_ptr, m.cap_t, m.cap_cum, m.cap_rate, m.cap_slope, j, paid_to)
                        * WORK_SCALE
                    )
                )
            out.team_work[w, j] += np.int64(round(wk.work[j] * WORK_SCALE))
        trial_money(
            mm,
            trial,
            wk.done,
            wk.start,
            wk.team_t,
            wk.m_cost,
            wk.m_capex,
            wk.f_value,
            wk.f_cost,
            wk.team_end,
            wk.evt,
            wk.mout,
        )
        for k in range(N_MONEY):
            out.money_out[i, k] = wk.mout[k]
        for q in range(out.quarter_cost.shape[1]):
            out.quarter_cost[i, q] = 0.0
        for k in range(n_m):
            out.month_cost[i, k] = wk.m_cost[k]
            out.month_capex[i, k] = wk.m_capex[k]
            q = quarter_of_month[k]
            if q >= 0:
                out.quarter_cost[i, q] += wk.m_cost[k]
        for k in range(mm.value_feats.shape[0]):  # other features earn and cost nothing
            f = mm.value_feats[k]
            out.feat_value_sum[w, f] += np.int64(round(wk.f_value[f] * MONEY_SCALE))
        for k in range(mm.cost_feats.shape[0]):
            f = mm.cost_feats[k]
            out.feat_cost_sum[w, f] += np.int64(round(wk.f_cost[f] * MONEY_SCALE))
        if keep:
            for f in range(n_f):
                out.keep_done[i, f] = wk.done[f]
                out.keep_start[i, f] = wk.start[f]
                out.keep_size[i, f] = wk.size[f]
