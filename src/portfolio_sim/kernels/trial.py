"""The schedule of one trial, component by component of the team graph (issue #15).

A team's schedule depends only on when its own features are released, so the strongly
connected components of the team graph (kernels/components.py) are simulated one after
another in topological order (docs/model.md §10.11): a lone effort team by
:func:`~portfolio_sim.kernels.lone.lone_effort`, a lone throughput team by
:func:`~portfolio_sim.kernels.lone.lone_throughput`, a cycle of teams by
:func:`~portfolio_sim.kernels.schedule.cycle_loop`. A feature's dependencies in earlier
components are done by then: they become one *release event* at the latest of their
done times (none if one of them is not done by the horizon).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from portfolio_sim.codes import WAITING
from portfolio_sim.kernels.components import LONE_EFFORT, LONE_THROUGHPUT
from portfolio_sim.kernels.freeze import freeze_windows, gate
from portfolio_sim.kernels.lone import lone_effort, lone_throughput
from portfolio_sim.kernels.schedule import cycle_loop
from portfolio_sim.rng import NO_REFCOUNT

INF = np.inf


@njit(cache=True, inline="always", **NO_REFCOUNT)
def _release_events(m, comp, done, rel_t, rel_f):
    """The release events of component ``comp`` into ``rel_t``/``rel_f``, by time (ties
    in team and priority order); returns their number."""
    horizon = m.horizon
    ne = 0
    for jj in range(m.comp_ptr[comp], m.comp_ptr[comp + 1]):
        j = m.comp_team[jj]
        for i in range(m.team_feat_ptr[j], m.team_feat_ptr[j + 1]):
            f = m.team_feat_idx[i]
            lo = m.ext_ptr[f]
            hi = m.ext_ptr[f + 1]
            if lo == hi:
                continue
            x = -INF
            for p in range(lo, hi):
                d = done[m.ext_idx[p]]
                if d > x:
                    x = d
            if x > horizon:
                continue  # a dependency is not done by the horizon: never released
            k = ne  # insertion sort by time (ties keep their order)
            while k > 0 and rel_t[k - 1] > x:
                rel_t[k] = rel_t[k - 1]
                rel_f[k] = rel_f[k - 1]
                k -= 1
            rel_t[k] = x
            rel_f[k] = f
            ne += 1
    return ne


@njit(cache=True, **NO_REFCOUNT)
def kernel_simulate_trial(
    m,
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
    frz,
):
    """Simulate one trial; fills ``done`` and ``start`` (clock times, inf if not reached)
    and ``work`` (work done per team, person-days or items, through the horizon).
    ``rel_t``/``rel_f`` [F] hold a component's release events; ``frz`` [2Z] receives the
    trial's freeze windows (kernels/freeze.py). Returns the number of events processed
    (throughput periods applied, for lone throughput teams)."""
    n_f = m.feat_team.shape[0]
    n_t = m.team_kind.shape[0]
    if frz.shape[0]:
        freeze_windows(m, trial, frz)
    hold = m.feat_freeze
    for f in range(n_f):
        state[f] = WAITING
        done[f] = INF
        start[f] = INF
        finish_v[f] = size[f]  # remaining items for throughput features
        deps_left[f] = m.deps_init[f]
        ready[f] = (
            gate(frz, hold, f, m.feat_not_before[f] + delay[f])
            if m.dep_ptr[f + 1] == m.dep_ptr[f]
            else INF
        )
    for k in range(n_f, n_f + m.ft_feat.shape[0]):  # items per type left (§2.10)
        finish_v[k] = size[k]
    for j in range(n_t):
        team_k[j] = 0
        team_v[j] = 0.0
        team_c[j] = 0.0
        team_next[j] = INF
        team_due[j] = INF
        dirty[j] = True
        work[j] = 0.0
        tp_q[j] = 0
        team_lo[j] = m.team_feat_ptr[j]
    events = 0
    for comp in range(m.comp_kind.shape[0]):
        ne = _release_events(m, comp, done, rel_t, rel_f)
        kind = m.comp_kind[comp]
        if kind == LONE_EFFORT:
            j = m.comp_team[m.comp_ptr[comp]]
            events += lone_effort(
                m, j, size, delay, done, start, work, ready, deps_left, state, finish_v,
                rel_t, rel_f, ne, frz,
            )  # fmt: skip
        elif kind == LONE_THROUGHPUT:
            j = m.comp_team[m.comp_ptr[comp]]
            # (no memo of period draws: the single pass draws each period once)
            events += lone_throughput(
                m, j, trial, delay, done, start, work, ready, deps_left, state, finish_v,
                rel_t, rel_f, ne, tp_cache[:, :0], tp_stamp[:, :0], frz,
            )  # fmt: skip
        else:
            events += cycle_loop(
                m, comp, trial, size, delay, done, start, work, ready, deps_left, state,
                finish_v, team_k, team_v, team_c, team_next, team_due, dirty, tp_q,
                tp_cache, tp_stamp, team_lo, rel_t, rel_f, ne, frz,
            )  # fmt: skip
    return events
