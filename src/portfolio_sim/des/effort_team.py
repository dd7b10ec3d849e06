"""The effort-team process of the reference model (docs/model.md §2.1-§2.2, §2.6, §5.5).

An effort team's k features in progress share its capacity equally: between two events
each receives ``(C(t2) - C(t1)) / k`` (:meth:`~portfolio_sim.des.model.TeamState.sync`,
``C`` from des/capacity.py). The process loops:

1. in the *start phase* (:class:`StartPhase`: after every ordinary event at the current
   clock time, so all completions at t, on all teams, come before any start at t) it
   starts, in priority order, ready features while fewer than ``wip_limit`` are in
   progress; inside a freeze window (des/freeze.py) no held feature starts, and the
   team wakes at the window's end if one is waiting;
2. it sleeps until the next completion, ``C^-1(C(now) + k x min remaining)``, or until an
   arrival that could start a feature wakes it (des/model.py);
3. it shares out the capacity since the last sync and finishes every feature whose
   remaining work is within ``EPS x (1 + size)`` of 0. When the scheduled completion's
   time has come, a remaining shortfall is rounding in ``C`` and its inverse and is
   absorbed (as the fast kernel does), so the team never wakes at the same time forever.

Staffing changes need no event here: ``C^-1`` follows the capacity's changes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import simpy
from simpy.events import Event

from portfolio_sim.codes import EPS, WAITING
from portfolio_sim.des.freeze import thaw

if TYPE_CHECKING:
    from portfolio_sim.des.model import TeamState, TrialRun

INF = math.inf
#: SimPy event priority of the start phase (URGENT = 0 and NORMAL = 1 come first). SimPy
#: declares no such priority, and StartPhase sets SimPy's private ``_ok``/``_value``: both
#: are pinned by tests/test_library_internals.py.
LOW: Any = 2


class StartPhase(Event):
    """An event processed after every ordinary event at the current clock time."""

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, LOW)


def effort_team(run: TrialRun, team: TeamState) -> Any:
    """Start ready features in the start phase; sleep until the next completion."""
    env = run.env
    cap = team.cap
    assert cap is not None
    feats = run.model.team_feats[team.j]
    while True:
        yield StartPhase(env)
        now = env.now
        team.sync(now)
        th = thaw(run.windows, now)  # > now inside a freeze window
        held = False
        for f in feats:
            if len(team.active) >= team.wip:
                break
            if run.state[f] == WAITING and run.ready[f] <= now + EPS:
                if th > now and run.model.hold[f]:
                    held = True  # not started by the freeze's start: wait for its end
                    continue
                run.start_feature(f, now)
                team.active[f] = run.size[f]
        tc = INF
        if team.active:
            k = len(team.active)
            rmin = min(team.active.values())
            tc = now if rmin <= 0.0 else max(cap.time_for(team.c_sync + rmin * k), now)
        wake = min(tc, th) if held and len(team.active) < team.wip else tc
        yield from run.sleep(team, wake - now)
        now = env.now
        team.sync(now)
        if now >= tc and team.active:
            # The scheduled completion's time has come: C(now) reached its target, so
            # what the first feature still lacks is rounding in C and its inverse.
            # Absorb it (as the fast kernel does), or the team would wake at this same
            # time forever (a big team idle for years makes C large and that rounding
            # bigger than the completion tolerance).
            first = min(team.active, key=team.active.__getitem__)
            short = team.active[first]
            if short > EPS * (1.0 + run.size[first]):
                for g in team.active:
                    team.active[g] -= short
        for f in feats:
            rem = team.active.get(f)
            if rem is not None and rem <= EPS * (1.0 + run.size[f]):
                del team.active[f]
                team.work += run.size[f]
                run.finish_feature(f, now)
