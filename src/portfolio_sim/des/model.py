"""The SimPy reference model of one trial (docs/model.md §1-§5, §10).

An independent, readable statement of the schedule semantics, used to check the fast
Numba engine trial by trial (both draw from the same keyed streams, see sampling.py).
It shares no code with ``portfolio_sim.kernels``.

This module sets a trial up (:class:`DesModel`: the scenario's static part, built once;
:class:`TrialRun`: one trial's environment, its feature processes and the result) and
holds each team's state (:class:`TeamState`). The team processes live in their own
modules: des/effort_team.py (equal sharing and the start phase) and
des/throughput_team.py (periods and dealing items); an effort team's capacity ``C(t)`` in
des/capacity.py. :class:`Capacity`, :class:`StartPhase` and :data:`LOW` are re-exported
here for their importers.

Semantics, as modelled here:

* **Clock.** ``env.now`` is the continuous clock in working days; work on working day d
  covers ``[d, d + 1)``. Events after the horizon (clock time > ``horizon_days``) are
  never processed: the trial is *censored* there and unfinished features are "not done"
  (done time ``inf``).
* **Features are processes.** Each waits for its dependencies' *done* events (logging
  ``blocked`` / ``unblocked``), then until it is *ready*: ``ready = max(last dependency
  done, not_before) + risk delay`` (without dependencies ``not_before + delay``). A delay
  risk that fired is logged (``risk_fired``) when its delay begins. At the ready time the
  feature *arrives* at its team, which wakes up.
* **Effort teams** have capacity rate ``focus x effective members(t)`` (staffing changes
  and linear ramp-ups), held as the piecewise-quadratic cumulative capacity ``C(t)``
  (:class:`Capacity`). The k features in progress share it equally: between two events
  each receives ``(C(t2) - C(t1)) / k``. The team process keeps every in-progress
  feature's remaining work and sleeps until the next completion, ``C^-1(C(now) + k x
  min remaining)``; an arrival wakes it early, and the timer is re-armed after every
  change of the in-progress set. Staffing changes need no re-arming: ``C^-1`` already
  follows the capacity's changes (they are logged as ``staffing_change``).
* **Start rule.** While a team has fewer than ``wip_limit`` features in progress it
  starts the highest-priority (priority, then file order) feature that is ready. Starts
  happen in a *start phase* that SimPy processes after every other event at the same
  clock time (priority ``LOW``), so all completions at time t, on all teams, are applied
  before any start at t.
* **Throughput teams** draw one period at a time (periods are blocks of ``L`` working
  days from day 0). At the end of period q (time ``(q + 1) L``) the period's items go, in
  priority order, to features not done whose ready time is <= ``qL``; a feature starts at
  the start of the first period in which it got items and is done at the end of the
  period in which its remaining items reach 0. Items left once every eligible feature is
  served are lost. Periods without an eligible feature are skipped (their draw unused).
  A team with ``wip_limit`` > 1 deals round-robin (§2.9); one with throughput by type
  deals the drawn history period's per-type counts (§2.10, des/throughput_deal.py).
* **Freezes** (docs/model.md §5.5, des/freeze.py): no held feature starts inside a
  window; an effort team wakes at its end; a throughput team bumps ready times.
* **Ties.** Clock times within :data:`EPS` count as equal (ready <= now + EPS; remaining
  work within ``EPS x (1 + size)`` counts as done).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import simpy

from portfolio_sim.calendar import done_day
from portfolio_sim.codes import ACTIVE, DONE, EFFORT, EPS, RISK_DELAY, WAITING
from portfolio_sim.des.capacity import Capacity
from portfolio_sim.des.effort_team import LOW, StartPhase, effort_team
from portfolio_sim.des.freeze import thaw
from portfolio_sim.des.sampling import Sampler, TrialDraws
from portfolio_sim.des.throughput_deal import type_tables
from portfolio_sim.des.throughput_team import period_of, throughput_team
from portfolio_sim.scenario.compile import CompiledScenario

INF = math.inf


class LogEntry(NamedTuple):
    """One line of a trial's event log. ``feature`` is None for team-level events."""

    time: float
    team: str
    feature: str | None
    event: str  # start | finish | blocked | unblocked | ready | risk_fired | staffing_change


@dataclass
class TrialResult:
    """Outcome of one trial. Clock times in working days; ``inf`` = not done by horizon."""

    done: list[float]
    start: list[float]
    size: list[float]
    work: list[float]  # per team: person-days (effort) or items (throughput) done
    paid: list[float]  # per team: capacity paid (person-days; 0 for throughput teams)
    busy: list[float]  # per team: clock time with work in progress (until it finished)
    idle: list[float]  # per team: clock time without work in progress (until it finished)
    events: int = 0
    fired: list[str] = field(default_factory=list)  # ids of the risks that fired
    log: list[LogEntry] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)  # ready clock time (inf: never)


class DesModel:
    """The static part of a compiled scenario, shaped for the simulation (built once)."""

    def __init__(self, m: CompiledScenario) -> None:
        self.m = m
        self.sampler = Sampler(m)
        self.horizon = float(m.horizon_days)
        n_t, n_f = m.n_teams, m.n_features
        self.effort = [int(m.team_kind[j]) == EFFORT for j in range(n_t)]
        self.team_feats = [
            [int(f) for f in m.team_feat_idx[m.team_feat_ptr[j] : m.team_feat_ptr[j + 1]]]
            for j in range(n_t)
        ]
        self.deps = [
            [int(d) for d in m.dep_idx[m.dep_ptr[f] : m.dep_ptr[f + 1]]] for f in range(n_f)
        ]
        self.feat_team = [int(j) for j in m.feat_team]
        self.not_before = [float(x) for x in m.feat_not_before]
        self.hold = [bool(x) for x in m.feat_freeze]
        self.capacity: list[Capacity | None] = []
        for j in range(n_t):
            lo, hi = int(m.cap_ptr[j]), int(m.cap_ptr[j + 1])
            seg = (m.cap_t[lo:hi].tolist(), m.cap_rate[lo:hi].tolist(), m.cap_slope[lo:hi].tolist())
            self.capacity.append(Capacity(*seg) if self.effort[j] else None)
        self.changes = [
            [float(t) for t in m.pay_t[m.pay_ptr[j] + 1 : m.pay_ptr[j + 1]]] for j in range(n_t)
        ]
        # Throughput by type (§2.10): typed teams' counts [type][period], features' slots.
        self.by_type, self.slots = type_tables(m)

    def run(self, trial: int, log: bool = False) -> TrialResult:
        """Simulate ``trial`` (draws from the keyed streams); ``log`` records an event log."""
        return TrialRun(self, trial, self.sampler.trial(trial), log).run()


class TeamState:
    """Mutable state of one team within a trial."""

    def __init__(self, j: int, cap: Capacity | None, wip: int, length: float) -> None:
        self.j = j
        self.cap = cap  # None for a throughput team
        self.wip = wip
        self.length = length  # working days per throughput period
        self.proc: simpy.Process | None = None
        self.sleeping = False  # waiting for a completion or a period end (interruptible)
        self.pending: int | None = None  # the period a throughput team is waiting for
        self.arrived: list[int] = []  # ready features (throughput: not yet done)
        self.active: dict[int, float] = {}  # feature -> remaining work (effort teams)
        self.t_sync = 0.0
        self.c_sync = 0.0
        self.work = 0.0
        self.busy = 0.0

    def sync(self, now: float) -> None:
        """Share the capacity since the last sync equally among the features in progress."""
        assert self.cap is not None
        c = self.cap.at(now)
        if self.active:
            share = (c - self.c_sync) / len(self.active)
            for f in self.active:
                self.active[f] -= share
            self.busy += now - self.t_sync
        self.t_sync, self.c_sync = now, c


class TrialRun:
    """One trial: a SimPy environment with a process per feature and per team."""

    def __init__(self, model: DesModel, trial: int, draws: TrialDraws, log: bool) -> None:
        self.model, self.m, self.trial = model, model.m, trial
        self.size, self.delay = draws.size, draws.delay
        self.fired = draws.fired
        self.typed_left = list(draws.typed)  # items per type left, per slot (§2.10)
        self.windows = draws.windows
        self.env = simpy.Environment()
        n_f = self.m.n_features
        self.state = [WAITING] * n_f
        self.ready = [INF] * n_f
        self.done = [INF] * n_f
        self.start = [INF] * n_f
        self.done_ev = [self.env.event() for _ in range(n_f)]
        self.teams = [
            TeamState(j, model.capacity[j], int(self.m.team_wip[j]), float(self.m.tp_period[j]))
            for j in range(self.m.n_teams)
        ]
        self.log: list[LogEntry] | None = [] if log else None

    # -- bookkeeping ---------------------------------------------------------------
    def _log(self, t: float, f: int | None, event: str, team: int | None = None) -> None:
        if self.log is None:
            return
        j = self.model.feat_team[f] if f is not None else team
        assert j is not None
        feat = self.m.feature_ids[f] if f is not None else None
        self.log.append(LogEntry(t, self.m.team_ids[j], feat, event))

    def start_feature(self, f: int, t: float) -> None:
        """Feature f starts at clock time t (called by the team processes)."""
        self.state[f] = ACTIVE
        self.start[f] = t
        self._log(t, f, "start")

    def finish_feature(self, f: int, t: float) -> None:
        """Feature f is done at clock time t: its successors' wait may end."""
        self.state[f] = DONE
        self.done[f] = t
        self._log(t, f, "finish")
        self.done_ev[f].succeed()

    # -- processes -----------------------------------------------------------------
    def _feature(self, f: int) -> Any:
        """Wait for dependencies, not_before and risk delays; then arrive at the team."""
        env = self.env
        deps = self.model.deps[f]
        base = self.model.not_before[f]
        if deps:
            self._log(env.now, f, "blocked")
            yield simpy.AllOf(env, [self.done_ev[d] for d in deps])
            self._log(env.now, f, "unblocked")
            base = max(max(self.done[d] for d in deps), base)
        self.ready[f] = base + self.delay[f]
        if self.model.hold[f]:
            self.ready[f] = thaw(self.windows, self.ready[f])
        if self.delay[f] > 0.0:
            if base > env.now:
                yield env.timeout(base - env.now)
            self._log(env.now, f, "risk_fired")
        if self.ready[f] > env.now:
            yield env.timeout(self.ready[f] - env.now)
        self._log(env.now, f, "ready")
        self._arrive(f)

    def _arrive(self, f: int) -> None:
        """Feature f is ready: wake its team if that can change what the team does next."""
        team = self.teams[self.model.feat_team[f]]
        team.arrived.append(f)
        if not team.sleeping:
            return  # it will look at the arrivals before it sleeps again
        if team.cap is not None:
            if len(team.active) >= team.wip:
                return  # no free slot: the next completion will look
        elif (
            team.pending is not None
            and period_of(team, self.env.now, self.ready[f]) >= team.pending
        ):
            return  # it is already waiting for an earlier period
        team.sleeping = False
        assert team.proc is not None
        team.proc.interrupt()

    def sleep(self, team: TeamState, delay: float) -> Any:
        """Sleep ``delay`` (inf: until woken); an arrival may interrupt the sleep."""
        team.sleeping = True
        with contextlib.suppress(simpy.Interrupt):
            yield self.env.timeout(delay) if delay < INF else self.env.event()
        team.sleeping = False

    def _staffing(self, j: int) -> Any:
        """Log staffing changes (capacity itself follows C(t), nothing to re-arm)."""
        for t in self.model.changes[j]:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self._log(self.env.now, None, "staffing_change", team=j)

    # -- driver --------------------------------------------------------------------
    def run(self) -> TrialResult:
        env, m, model = self.env, self.m, self.model
        horizon = model.horizon
        if self.log is not None:
            for r in self.fired:
                if m.risk_kind[r] != RISK_DELAY:
                    for f in m.risk_idx[m.risk_ptr[r] : m.risk_ptr[r + 1]]:
                        self._log(0.0, int(f), "risk_fired")
            for j in range(m.n_teams):
                if model.changes[j]:
                    env.process(self._staffing(j))
        for team in self.teams:
            if model.effort[team.j]:
                team.proc = env.process(effort_team(self, team))
            else:
                team.proc = env.process(throughput_team(self, team))
        for f in range(m.n_features):
            env.process(self._feature(f))
        events = 0
        while env.peek() <= horizon:
            env.step()
            events += 1
        return self._result(events)

    def _result(self, events: int) -> TrialResult:
        m, model, horizon = self.m, self.model, self.model.horizon
        n_t = m.n_teams
        work, paid, busy, idle = [0.0] * n_t, [0.0] * n_t, [0.0] * n_t, [0.0] * n_t
        finish = [0.0] * n_t
        for f in range(m.n_features):
            j = model.feat_team[f]
            finish[j] = max(finish[j], self.done[f])
        for team in self.teams:
            j = team.j
            end = min(finish[j], horizon)
            if model.effort[j]:
                cap = team.cap
                assert cap is not None
                if team.active:  # censored: count the work done so far
                    team.sync(horizon)
                    team.work += sum(self.size[f] - rem for f, rem in team.active.items())
                to = horizon
                if finish[j] <= horizon and not m.team_release_horizon[j]:
                    to = min(float(done_day(finish[j]) + 1), horizon)
                paid[j] = cap.at(to)
            work[j] = team.work
            busy[j] = min(team.busy, end)
            idle[j] = max(end - busy[j], 0.0)
        log = sorted(self.log, key=lambda e: e.time) if self.log is not None else []
        return TrialResult(
            done=self.done,
            start=self.start,
            size=list(self.size),
            work=work,
            paid=paid,
            busy=busy,
            idle=idle,
            events=events,
            fired=[m.risk_ids[r] for r in self.fired],
            log=log,
            ready=list(self.ready),
        )


def simulate_trial(m: CompiledScenario, trial: int, log: bool = False) -> TrialResult:
    """One trial of ``m`` (see the module docstring); ``log`` records an event log."""
    return DesModel(m).run(trial, log=log)


def trace(m: CompiledScenario, trial: int) -> list[LogEntry]:
    """The event log of one trial, in time order (ties in the order they happened)."""
    return simulate_trial(m, trial, log=True).log


__all__ = [
    "EPS",
    "LOW",
    "Capacity",
    "DesModel",
    "LogEntry",
    "StartPhase",
    "TeamState",
    "TrialResult",
    "TrialRun",
    "simulate_trial",
    "trace",
]
