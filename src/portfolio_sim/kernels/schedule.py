"""One trial of the portfolio schedule, event by event (docs/model.md §1-§5, §10).

The clock is continuous working days. Events are feature completions, readiness
(dependencies, ``not_before``, risk delays) and throughput period ends; staffing changes
need no events because each effort team's capacity is a cumulative function ``C(t)``
(piecewise quadratic, see scenario/compile_teams.py) that we evaluate and invert
(kernels/capacity.py).

Equal sharing without per-feature bookkeeping: the ``k`` features in progress on an
effort team each receive ``dC / k``. A team keeps a *virtual progress* ``V`` (work each
in-progress feature has received since the team's epoch); a feature started at progress
``V0`` with size ``s`` finishes when ``V = V0 + s``. Only the team whose state changes
is updated, so an event costs O(features of that team).

The loop here, :func:`cycle_loop`, runs the teams of one component of the team graph
(a cycle of teams; kernels/trial.py runs the components in topological order and lone
teams by kernels/lone.py, docs/model.md §10.11). Their dependencies in earlier components
arrive as release events.

The loop's pieces live in their own modules: the capacity function ``C(t)`` and its
inverse in kernels/capacity.py, the per-team steps (releasing successors, syncing an
effort team's virtual progress, settling a throughput team's periods) in
kernels/cycle_steps.py, and the trial's size and delay draws, made before the loop, in
kernels/sample.py (:func:`cap_at`, :func:`cap_time` and :func:`kernel_sample_trial` are
re-exported here for their importers).

Simultaneous events: all completions at clock time t are applied first (across the
component's teams), then every affected team starts its highest-priority ready features.
Ties within ``EPS`` of each other count as simultaneous.

The event loop has no cap on the number of events (issue #13: a cap reported whatever
was unfinished when it bound as "not done by the horizon"). It terminates because every
iteration makes progress:

* the clock never goes back (every team's next event is at or after t), and each
  iteration runs at the earliest next event of some team j;
* if that is effort team j's next *completion*, the completion happens then: C(t) has
  reached the target by construction of :func:`cap_time`, so a shortfall of the virtual
  progress at t is rounding, and it is absorbed (``team_due``) rather than re-scheduled
  at the same time forever (large capacities, e.g. a big team idle for years, made that
  rounding exceed the completion tolerance and stalled the clock);
* if it is team j's next *readiness*, a feature starts (a readiness is only an event
  while the team has a free slot);
* if it is a throughput team's predicted completion, the periods up to it are applied;
  those period ends are multiples of the team's period and the clock passes each once.

So there are at most 2 F iterations with a start or a completion plus at most
horizon / period throughput period ends per throughput team. An iteration that neither
moves a feature nor advances the clock would repeat forever; it cannot happen, and if it
ever did the kernel raises :data:`STALL` instead of answering wrongly.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from portfolio_sim.codes import ACTIVE, DONE, EFFORT, EPS, THROUGHPUT, WAITING
from portfolio_sim.kernels.capacity import cap_at, cap_time
from portfolio_sim.kernels.cycle_steps import effort_sync, first_open, release, tp_settle
from portfolio_sim.kernels.freeze import bump, gate, next_bump, thaw
from portfolio_sim.kernels.sample import kernel_sample_trial
from portfolio_sim.kernels.throughput import tp_commit, tp_next_completion
from portfolio_sim.kernels.throughput_type import tpt_commit
from portfolio_sim.kernels.throughput_wip import tpw_commit, tpw_next_event
from portfolio_sim.rng import NO_REFCOUNT

INF = np.inf

#: The message of the error raised if the event loop ever stops making progress.
STALL = "schedule kernel: the event loop stopped making progress (a bug: please report it)"

__all__ = ["STALL", "cap_at", "cap_time", "cycle_loop", "kernel_sample_trial"]


@njit(cache=True, **NO_REFCOUNT)
def cycle_loop(
    m,
    comp,
    trial,
    size,
    delay,
    done,
    start,
    work,
    ready,
    deps_left,
    state,
    finish_v,
    team_k,
    team_v,
    team_c,
    team_next,
    team_due,
    dirty,
    tp_q,
    tp_cache,
    tp_stamp,
    team_lo,
    rel_t,
    rel_f,
    ne,
    frz,
):
    """Simulate the teams of component ``comp`` (a cycle of the team graph, or any one
    team) together: fills their features' ``done`` and ``start`` (clock times, inf if not
    reached) and ``work`` (work done per team, person-days or items, through the
    horizon). Their dependencies on earlier components arrive as release events
    (``rel_t[:ne]`` ascending, ``rel_f`` the feature released; kernels/trial.py).
    ``team_due[j]`` is the virtual progress at which effort team j's next scheduled event
    completes a feature (inf when that event is a readiness). The trial's arrays are
    initialised by the caller. ``frz`` holds the trial's freeze windows (kernels/freeze.py):
    an effort team starts no held feature inside one, and the first period start inside
    one is an event of every throughput team. Returns the number of events processed."""
    cap_cum = m.cap_cum
    cap_ptr = m.cap_ptr
    cap_rate = m.cap_rate
    cap_slope = m.cap_slope
    cap_t = m.cap_t
    feat_not_before = m.feat_not_before
    feat_team = m.feat_team
    pool = m.pool
    succ_idx = m.succ_in_idx
    succ_ptr = m.succ_in_ptr
    team_feat_idx = m.team_feat_idx
    team_feat_ptr = m.team_feat_ptr
    team_key = m.team_key
    team_kind = m.team_kind
    team_wip = m.team_wip
    tp_dist = m.tp_dist
    tp_period = m.tp_period
    horizon = m.horizon
    hold = m.feat_freeze
    c_lo = m.comp_ptr[comp]
    c_hi = m.comp_ptr[comp + 1]
    comp_team = m.comp_team
    # (the trial arrays tp_settle works on, in its order)
    tp_arrays = (
        ready,
        deps_left,
        state,
        finish_v,
        start,
        done,
        work,
        delay,
        dirty,
        tp_q,
        tp_cache,
        tp_stamp,
        frz,
    )
    t = 0.0
    events = 0
    pe = 0
    moved = 1  # features started or completed since the last event (see the docstring)
    while True:
        # Phase 2: starts, and each changed team's next event.
        for jj in range(c_lo, c_hi):
            j = comp_team[jj]
            if not dirty[j]:
                continue
            dirty[j] = False
            hi = team_feat_ptr[j + 1]
            lo = first_open(team_feat_idx, state, team_lo, j, hi)
            if team_kind[j] == THROUGHPUT:
                moved += tp_settle(m, j, t, trial, lo, tp_arrays)
                L = float(tp_period[j])
                if frz.shape[0] and abs(t - round(t / L) * L) <= EPS:  # a period start
                    moved += bump(frz, hold, team_feat_idx, lo, hi, t, ready, state)
                if team_wip[j] > 1 or m.tp_types[j, 1] > 0:  # each eligible period (§2.9)
                    team_next[j] = tpw_next_event(
                        lo, hi, team_feat_idx, float(tp_period[j]), horizon, tp_q[j], ready,
                        state, finish_v,
                    )  # fmt: skip
                    if frz.shape[0]:
                        team_next[j] = min(team_next[j], next_bump(frz, L, t))
                    continue
                team_next[j] = tp_next_completion(
                    lo,
                    hi,
                    team_feat_idx,
                    float(tp_period[j]),
                    horizon,
                    tp_dist[j, 0],
                    tp_dist[j, 1],
                    tp_dist[j, 2],
                    pool,
                    team_key[j],
                    j,
                    tp_q[j],
                    trial,
                    ready,
                    state,
                    finish_v,
                    tp_cache,
                    tp_stamp,
                )
                if frz.shape[0]:
                    team_next[j] = min(team_next[j], next_bump(frz, L, t))
                continue
            effort_sync(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t, team_k, team_v, team_c)
            # One pass in priority order: start ready features while a slot is free, and
            # note the earliest finish of those in progress and the earliest pending ready.
            wip = team_wip[j]
            tr = INF
            vmin = INF
            th = t  # inside a freeze window: no starts until its end th (freeze.py)
            if frz.shape[0] and lo < hi and hold[team_feat_idx[lo]]:
                th = thaw(frz, t)
                if th > t:
                    wip = team_k[j]
            for i in range(lo, hi):
                f = team_feat_idx[i]
                sf = state[f]
                if sf == ACTIVE:
                    if finish_v[f] < vmin:
                        vmin = finish_v[f]
                    continue
                if sf != WAITING:
                    continue
                if ready[f] <= t + EPS and team_k[j] < wip:
                    state[f] = ACTIVE
                    start[f] = t
                    finish_v[f] = team_v[j] + size[f]
                    team_k[j] += 1
                    moved += 1
                    if finish_v[f] < vmin:
                        vmin = finish_v[f]
                elif ready[f] < tr:
                    tr = ready[f]
            if tr < th:  # ready features held by the freeze start at its end
                tr = th
            wip = team_wip[j]
            tc = INF
            if team_k[j] > 0:
                if vmin <= team_v[j]:
                    tc = t
                else:
                    tc = cap_time(
                        cap_ptr,
                        cap_t,
                        cap_cum,
                        cap_rate,
                        cap_slope,
                        j,
                        team_c[j] + (vmin - team_v[j]) * team_k[j],
                    )
                    if tc < t:
                        tc = t
            if team_k[j] >= wip:
                tr = INF
            team_next[j] = min(tc, tr)
            team_due[j] = vmin if tc <= tr else INF
        # The next moment anything happens.
        t_next = INF
        for jj in range(c_lo, c_hi):
            j = comp_team[jj]
            if team_next[j] < t_next:
                t_next = team_next[j]
        if pe < ne and rel_t[pe] < t_next:
            t_next = rel_t[pe]
        if t_next > horizon:
            break
        if t_next <= t and moved == 0:
            raise RuntimeError(STALL)  # the same state at the same time: it would repeat
        t = t_next
        events += 1
        moved = 0
        # Releases from earlier components at t.
        while pe < ne and rel_t[pe] <= t:
            f = rel_f[pe]
            pe += 1
            moved += 1
            deps_left[f] -= 1
            if deps_left[f] == 0:
                ready[f] = gate(frz, hold, f, max(t, feat_not_before[f]) + delay[f])
                dirty[feat_team[f]] = True
        # Phase 1: completions and period ends at t.
        for jj in range(c_lo, c_hi):
            j = comp_team[jj]
            if team_next[j] > t + EPS:
                continue
            dirty[j] = True
            hi = team_feat_ptr[j + 1]
            lo = first_open(team_feat_idx, state, team_lo, j, hi)
            if team_kind[j] == THROUGHPUT:
                moved += tp_settle(m, j, t, trial, lo, tp_arrays)
                continue
            effort_sync(cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, t, team_k, team_v, team_c)
            tol = EPS * (1.0 + abs(team_v[j]))
            if team_next[j] <= t and team_v[j] + tol < team_due[j] < INF:
                # The scheduled completion's time has come: C(t) reached its target, and
                # the shortfall is rounding in C and its inverse (see the docstring).
                team_v[j] = team_due[j]
            for i in range(lo, hi):
                f = team_feat_idx[i]
                if state[f] == ACTIVE and finish_v[f] <= team_v[j] + tol:
                    state[f] = DONE
                    done[f] = t
                    team_k[j] -= 1
                    moved += 1
                    work[j] += size[f]
                    release(
                        succ_ptr,
                        succ_idx,
                        feat_not_before,
                        feat_team,
                        f,
                        t,
                        ready,
                        deps_left,
                        delay,
                        dirty,
                        frz,
                        hold,
                    )
    # Censored at the horizon: count the work done on features still in progress, and
    # apply throughput periods that ended by the horizon (items and starts; no completion
    # can be among them, or it would have been an event: nothing to release). tp_commit is
    # called here directly: a third call site of tp_settle cost ~4% (Numba/LLVM stopped
    # inlining it).
    for jj in range(c_lo, c_hi):
        j = comp_team[jj]
        if team_kind[j] == THROUGHPUT and m.tp_types[j, 1] > 0:  # by type (§2.10)
            tp_q[j] = tpt_commit(
                m, j, team_lo[j], horizon, tp_q[j], trial, ready, state, finish_v, start, done,
                work,
            )  # fmt: skip
        elif team_kind[j] == THROUGHPUT and team_wip[j] > 1:  # (tp_commit below: a no-op)
            tp_q[j] = tpw_commit(
                team_lo[j], team_feat_ptr[j + 1], team_feat_idx, float(tp_period[j]),
                team_wip[j], tp_dist[j, 0], tp_dist[j, 1], tp_dist[j, 2], pool, team_key[j], j,
                horizon, tp_q[j], trial, ready, state, finish_v, start, done, work, tp_cache,
                tp_stamp,
            )  # fmt: skip
        if team_kind[j] == THROUGHPUT:
            tp_q[j] = tp_commit(
                team_lo[j],
                team_feat_ptr[j + 1],
                team_feat_idx,
                float(tp_period[j]),
                tp_dist[j, 0],
                tp_dist[j, 1],
                tp_dist[j, 2],
                pool,
                team_key[j],
                j,
                horizon,
                tp_q[j],
                trial,
                ready,
                state,
                finish_v,
                start,
                done,
                work,
                tp_cache,
                tp_stamp,
            )
        if team_kind[j] == EFFORT and team_k[j] > 0:
            effort_sync(
                cap_ptr, cap_t, cap_cum, cap_rate, cap_slope, j, horizon, team_k, team_v, team_c
            )
            for i in range(team_feat_ptr[j], team_feat_ptr[j + 1]):
                f = team_feat_idx[i]
                if state[f] == ACTIVE:
                    work[j] += size[f] - (finish_v[f] - team_v[j])
    return events
