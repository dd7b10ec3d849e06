"""Where the next people should go: ``staff(scenario, add=N)`` (docs/model.md §8.9).

**Candidates.** A candidate is an *assignment*: how many of the N new people join each
effort team (docs/model.md §2.1), at most ``max_per_team`` per team. Throughput teams are
not candidates: their capacity comes from their throughput history, and ``members`` only
drives their cost (§2.3), so the model has no rule by which a person added there delivers
more. A hire is expressed as a staffing change the model already has (§2.6): from
``on`` (default: ``start``) the team's paid members are k more than the plan says, and
every later change of the plan keeps the k extra people (its ``members`` + k). The new
cohort ramps linearly over ``ramp_days`` working days (§2.6) and is paid in full from its
first day, as long as its team is paid (§6.1, §2.7: with ``release: done`` the hires stop
being paid with the rest of their team). So their cost counts in cost and NPV like any
staffing change's. A plan change on the very date ``on`` (same calendar date) would have
to carry two cohorts in one change; that is refused with a message (choose another date).

**Search.** The number of assignments is the number of compositions of N into T effort
teams with at most K each. Up to :data:`EXHAUSTIVE_MAX` of them, every one is evaluated
(``exhaustive``). Above, ``greedy``: hires are added one at a time, each to the team that
improves the objective most, then an exchange pass moves one hire from one team to another
while that improves the objective (each move strictly improves it, so it ends). The greedy
steps are the *marginal curve* (objective after k = 1..N hires and the gain of the k-th);
it is computed in both modes (evaluations are cached).

Candidates are evaluated by :mod:`portfolio_sim.decide.staff_eval`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from portfolio_sim.calendar import as_date
from portfolio_sim.decide.staff_eval import (
    BOOTSTRAP,
    Evaluation,
    Evaluator,
    Objective,
    paired_interval,
    parse_objective,
    with_hires,
)
from portfolio_sim.errors import InputError
from portfolio_sim.results.staff_tables import Staffing, staffing_result
from portfolio_sim.scenario.schema import Scenario

#: Evaluate every assignment when there are at most this many; greedy + exchange above.
EXHAUSTIVE_MAX = 200
#: Default ramp of a new person (working days, about a month): linear, docs/model.md §2.6.
DEFAULT_RAMP_DAYS = 20.0


# --- assignments ----------------------------------------------------------------------


def count_assignments(n: int, teams: int, cap: int) -> int:
    """Compositions of ``n`` into ``teams`` parts, each 0..``cap`` (dynamic programme)."""
    ways = [1] + [0] * n
    for _ in range(teams):
        nxt = [0] * (n + 1)
        for total in range(n + 1):
            nxt[total] = sum(ways[total - k] for k in range(min(cap, total) + 1))
        ways = nxt
    return ways[n]


def assignments(n: int, teams: int, cap: int) -> Iterator[tuple[int, ...]]:
    """Every composition of ``n`` into ``teams`` parts of 0..``cap``, more hires to
    earlier teams first (the tie-break order)."""
    if teams == 0:
        if n == 0:
            yield ()
        return
    for k in range(min(cap, n), -1, -1):
        if n - k <= cap * (teams - 1):
            for rest in assignments(n - k, teams - 1, cap):
                yield (k, *rest)


# --- search ---------------------------------------------------------------------------


def _best(ev: Evaluator, cands: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    ev.prefetch(cands)
    best, best_key = cands[0], ev.key(ev(cands[0]))
    for cand in cands[1:]:
        key = ev.key(ev(cand))
        if key > best_key:
            best, best_key = cand, key
    return best


def greedy_curve(ev: Evaluator, n: int, cap: int) -> list[tuple[int, ...]]:
    """Assignments after 0, 1, ..., n greedy hires (each to the team that helps most)."""
    t = len(ev.teams)
    path = [tuple([0] * t)]
    for _ in range(n):
        cur = path[-1]
        steps = [tuple(v + (i == j) for i, v in enumerate(cur)) for j in range(t) if cur[j] < cap]
        path.append(_best(ev, steps))
    return path


def exchange(ev: Evaluator, start: tuple[int, ...], cap: int) -> tuple[int, ...]:
    """Move one hire between two teams while that strictly improves the objective."""
    cur = start
    while True:
        t = len(cur)
        moves = [
            tuple(v - (i == a) + (i == b) for i, v in enumerate(cur))
            for a in range(t)
            for b in range(t)
            if a != b and cur[a] > 0 and cur[b] < cap
        ]
        if not moves:
            return cur
        best = _best(ev, moves)
        if ev.key(ev(best)) <= ev.key(ev(cur)):
            return cur
        cur = best


def staff(
    scenario: Scenario | str | os.PathLike[str],
    add: int = 1,
    objective: str = "p85",
    trials: int = 2_000,
    seed: int = 0,
    variant: str | None = None,
    *,
    max_per_team: int | None = None,
    ramp_days: float = DEFAULT_RAMP_DAYS,
    on: dt.date | str | None = None,
    runners_up: int = 5,
    exhaustive_max: int = EXHAUSTIVE_MAX,
    progress: Callable[[int, int], None] | None = None,
    scheduler: Any = None,
    workers: int | None = None,
) -> Staffing:
    """Where ``add`` new people should go to best serve ``objective`` (``p85``, ``npv``
    or ``deadline:FEATURE``); see the module docstring for candidates, search and
    interval. ``max_per_team`` caps the hires per team (default: no cap but ``add``);
    ``on`` is the hire date (default the scenario's start); ``progress(done, total)``
    counts forecasts (the total is an estimate in greedy mode). ``scheduler``/``workers``
    (docs/distributed.md): the candidates of each search step are forecast as tasks on a
    Dask cluster; the same result as locally."""
    from portfolio_sim.forecasting import resolve_scenario

    if isinstance(add, bool) or not isinstance(add, int) or add < 1:
        raise InputError(f"add: must be a whole number of people >= 1, got {add!r}")
    cap = add if max_per_team is None else max_per_team
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise InputError(f"max_per_team: must be a whole number >= 1, got {max_per_team!r}")
    if not np.isfinite(ramp_days) or ramp_days < 0:
        raise InputError(f"ramp_days: must be a number of working days >= 0, got {ramp_days!r}")
    scn, digest = resolve_scenario(scenario, variant)
    obj = parse_objective(objective, scn)
    hire_on = scn.start if on is None else as_date(on, "on")
    if not scn.start <= hire_on <= scn.horizon_date:
        raise InputError(
            f"on: the hire date {hire_on} must be from start ({scn.start}) through the "
            f"horizon ({scn.horizon_date})"
        )
    from portfolio_sim.scenario.expand import is_task_team

    # Task teams run duration tasks (docs/model.md §3.10): hiring there means nothing.
    teams = [t.id for t in scn.teams if t.throughput is None and not is_task_team(t.id)]
    if not teams:
        raise InputError(
            "teams: no effort team to add people to (throughput teams' "
            "capacity comes from their history, docs/model.md §2.3)"
        )
    cap = min(cap, add)
    if cap * len(teams) < add:
        raise InputError(
            f"max_per_team: {add} people cannot go to {len(teams)} effort team(s) with at "
            f"most {cap} each"
        )
    total = count_assignments(add, len(teams), cap)
    exhaustive = total <= exhaustive_max
    estimate = 1 + (total if exhaustive else 0) + add * len(teams) + len(teams) ** 2
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], max(estimate, done[0]))

    ev = Evaluator(scn, obj, teams, hire_on, float(ramp_days), trials, seed, tick)
    zero = tuple([0] * len(teams))
    cluster: contextlib.AbstractContextManager[Any] = contextlib.nullcontext((None, "local"))
    if scheduler is not None or workers is not None:  # one connection for the search
        from portfolio_sim.distributed.connect import open_client

        cluster = open_client(scheduler, workers)
    with cluster as (ev.client, _backend):
        base = ev(zero, detail=True)
        curve = greedy_curve(ev, add, cap)
        if exhaustive:
            pool = list(assignments(add, len(teams), cap))
            best = _best(ev, pool)
        else:
            best = exchange(ev, curve[-1], cap)
            pool = [a for a in ev.cache if sum(a) == add]
    ev.client = None  # closed: the rest is evaluated here
    rec = ev(best, detail=True)
    ranked = sorted((a for a in pool if sum(a) == add), key=lambda a: ev.key(ev(a)), reverse=True)
    interval = paired_interval(obj.kind, base.trials, rec.trials)
    if progress is not None:
        progress(done[0], done[0])
    from portfolio_sim.forecasting import provenance

    return staffing_result(
        scenario=scn,
        objective=obj.name,
        objective_kind=obj.kind,
        teams=teams,
        add=add,
        max_per_team=cap,
        ramp_days=float(ramp_days),
        on=hire_on,
        trials=trials,
        seed=seed,
        mode="exhaustive" if exhaustive else "greedy",
        assignments_total=total,
        exhaustive_max=exhaustive_max,
        base=base,
        recommended=rec,
        ranked=[ev(a) for a in ranked[: max(runners_up, 1)]],
        curve=[ev(a) for a in curve],
        evaluated=len(ev.cache),
        interval=interval,
        meta=provenance(seed, trials, "fast", digest),
    )


__all__ = [
    "BOOTSTRAP",
    "DEFAULT_RAMP_DAYS",
    "EXHAUSTIVE_MAX",
    "Evaluation",
    "Evaluator",
    "Objective",
    "Staffing",
    "assignments",
    "count_assignments",
    "paired_interval",
    "parse_objective",
    "staff",
    "with_hires",
]
