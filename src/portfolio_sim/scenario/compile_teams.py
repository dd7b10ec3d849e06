"""Each team's capacity, pay and throughput as arrays (docs/model.md §2).

Staffing changes (§2.6): from ``on`` the paid members become N. Members added form a
*cohort* whose productivity ramps linearly from 0 to 1 over ``ramp_days`` working days;
members removed leave at once, newest cohort first (those still ramping leave before the
fully productive ones). An effort team's capacity rate is ``focus x`` its productive
members, so it is piecewise linear in time and its integral, the cumulative capacity
``C(t)`` (person-days from clock time 0 to t), piecewise quadratic:
:func:`capacity_segments` gives its segments, and a team calendar (§2.8) scales them
(scenario/team_calendar.py). Pay follows the paid members, without ramp: a
piecewise-constant count per working day. A throughput team has its items per period
(a distribution in the pool) and its period length (a week's working days or 1).

:func:`compile_teams` builds all of that for every team, into :class:`TeamArrays`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from portfolio_sim.calendar import WorkCalendar, team_day_shares
from portfolio_sim.codes import NO_DIST
from portfolio_sim.scenario.schema import Distribution, Scenario
from portfolio_sim.scenario.team_calendar import scale_segments


class TeamArrays(NamedTuple):
    """The teams' fields of :class:`~portfolio_sim.scenario.compiled.CompiledScenario`
    (same names and meaning), and ``pay_lists``: each team's ``(working day, paid
    members)`` steps, for the money arrays."""

    cap_ptr: np.ndarray
    cap_t: np.ndarray
    cap_cum: np.ndarray
    cap_rate: np.ndarray
    cap_slope: np.ndarray
    pay_ptr: np.ndarray
    pay_t: np.ndarray
    pay_members: np.ndarray
    pay_lists: list[list[tuple[int, float]]]
    tp_dist: np.ndarray
    tp_period: np.ndarray


def capacity_segments(
    members: float,
    changes: list[tuple[float, float, float]],
    focus: float,
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Piecewise-quadratic cumulative capacity of one effort team.

    ``changes`` are ``(clock time, new paid members, ramp working days)`` in time order.
    Returns segment starts, C at each start, rate at each start and slope within.
    """
    cohorts: list[list[float]] = [[members, 0.0, 0.0]]  # count, start, ramp
    events: list[tuple[float, float, float]] = sorted(changes, key=lambda c: c[0])
    history: list[tuple[float, list[list[float]]]] = [(0.0, [c[:] for c in cohorts])]
    paid = members
    for when, new, ramp in events:
        if new > paid:
            cohorts.append([new - paid, when, ramp])
        else:
            drop = paid - new
            while drop > 1e-12 and cohorts:
                take = min(drop, cohorts[-1][0])
                cohorts[-1][0] -= take
                drop -= take
                if cohorts[-1][0] <= 1e-12:
                    cohorts.pop()
        paid = new
        history.append((when, [c[:] for c in cohorts]))
    points = {0.0}
    for when, cs in history:
        points.add(when)
        for _count, start, ramp in cs:
            if ramp > 0:
                points.add(start + ramp)
    times = sorted(points)

    def cohorts_at(t: float) -> list[list[float]]:
        current = history[0][1]
        for when, cs in history:
            if when <= t:
                current = cs
        return current

    starts: list[float] = []
    cums: list[float] = []
    rates: list[float] = []
    slopes: list[float] = []
    cum = 0.0
    for i, t in enumerate(times):
        rate = 0.0
        slope = 0.0
        for count, start, ramp in cohorts_at(t):
            if ramp <= 0 or t >= start + ramp:
                rate += count
            elif t >= start:
                rate += count * (t - start) / ramp
                slope += count / ramp
        starts.append(t)
        cums.append(cum)
        rates.append(focus * rate)
        slopes.append(focus * slope)
        if i + 1 < len(times):
            d = times[i + 1] - t
            cum += focus * (rate * d + 0.5 * slope * d * d)
    return starts, cums, rates, slopes


def compile_teams(
    scn: Scenario,
    cal: WorkCalendar,
    add: Callable[[Distribution | None], tuple[int, int, int]],
) -> TeamArrays:
    """The arrays of :class:`TeamArrays` for ``scn`` (an engine view); throughput
    distributions go into the parameter pool through ``add``, in team order."""
    n_t = len(scn.teams)
    cap_lists: list[list[tuple[float, float, float, float]]] = []
    pay_lists: list[list[tuple[int, float]]] = []
    tp_dist = np.full((n_t, 3), NO_DIST, dtype=np.int64)
    tp_period = np.ones(n_t, dtype=np.int64)
    for j, team in enumerate(scn.teams):
        changes = [
            (float(cal.index_on_or_after(c.on)), c.members, c.ramp_days) for c in team.changes
        ]
        starts, cums, rates, slopes = capacity_segments(team.members, changes, team.focus)
        if team.holidays or team.availability:  # docs/model.md §2.8
            ranges = [(a.from_, a.to, a.share) for a in team.availability]
            shares = team_day_shares(cal, team.holidays, ranges)
            starts, cums, rates, slopes = scale_segments(starts, rates, slopes, shares)
        cap_lists.append(list(zip(starts, cums, rates, slopes, strict=True)))
        pay = [(0, team.members)]
        for when, new, _ramp in changes:
            if pay[-1][0] == int(when):
                pay[-1] = (int(when), new)
            else:
                pay.append((int(when), new))
        pay_lists.append(pay)
        if team.throughput is not None:
            tp_dist[j] = add(team.throughput)
            tp_period[j] = cal.workdays_per_week if team.throughput.per == "week" else 1

    cap_ptr = np.zeros(n_t + 1, dtype=np.int64)
    cap_ptr[1:] = np.cumsum([len(c) for c in cap_lists])
    cap = np.array([s for c in cap_lists for s in c], dtype=np.float64).reshape(-1, 4)
    pay_ptr = np.zeros(n_t + 1, dtype=np.int64)
    pay_ptr[1:] = np.cumsum([len(p) for p in pay_lists])
    return TeamArrays(
        cap_ptr=cap_ptr,
        cap_t=np.ascontiguousarray(cap[:, 0]),
        cap_cum=np.ascontiguousarray(cap[:, 1]),
        cap_rate=np.ascontiguousarray(cap[:, 2]),
        cap_slope=np.ascontiguousarray(cap[:, 3]),
        pay_ptr=pay_ptr,
        pay_t=np.array([p[0] for ps in pay_lists for p in ps], dtype=np.int64),
        pay_members=np.array([p[1] for ps in pay_lists for p in ps], dtype=np.float64),
        pay_lists=pay_lists,
        tp_dist=tp_dist,
        tp_period=tp_period,
    )
