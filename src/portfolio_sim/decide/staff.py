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

**Evaluation.** Every candidate is forecast with the same seed and trial count. Random
streams are keyed by (seed, entity id) (§7.3) and a staffing change draws nothing, so every
candidate sees exactly the same sizes, risks and throughput draws as the current plan:
common random numbers, and differences between candidates are the hires' effect, trial
by trial. The objective of a forecast:

``p85``          the portfolio's P85 done day (§8.6 percentile rule, "not done by the
                 horizon" counts as the horizon's bin); minimised;
``npv``          mean NPV (§6.8); maximised;
``deadline:F``   the share of trials in which feature F meets its deadline (§6.5, an
                 undecided trial is not met); maximised.

Ties (frequent for ``p85``: whole working days) are broken by the mean done time (the
portfolio's, or F's for ``deadline:F``; a trial not done counts as the horizon), earlier
first, then by the order assignments are listed (teams in file order, more hires to
earlier teams first).

**Search.** The number of assignments is the number of compositions of N into T effort
teams with at most K each. Up to :data:`EXHAUSTIVE_MAX` of them, every one is evaluated
(``exhaustive``). Above, ``greedy``: hires are added one at a time, each to the team that
improves the objective most, then an exchange pass moves one hire from one team to another
while that improves the objective (each move strictly improves it, so it ends). The greedy
steps are the *marginal curve* (objective after k = 1..N hires and the gain of the k-th);
it is computed in both modes (evaluations are cached).

**Confidence interval** of the recommendation's gain over the current plan (paired, 95 %):
for ``npv`` and ``deadline:F`` the per-trial differences d_i (NPV, met 0/1) give
mean(d) +- 1.96 sd(d)/sqrt(n); for ``p85`` a paired percentile bootstrap: B =
:data:`BOOTSTRAP` resamples of the trial indices (numpy ``default_rng(BOOTSTRAP_SEED)``,
the same indices for both plans), the P85 day difference of each, and its 2.5 % / 97.5 %
quantiles (inverted CDF).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from portfolio_sim.calendar import as_date, done_days_or
from portfolio_sim.codes import MONEY_COLUMNS
from portfolio_sim.errors import InputError
from portfolio_sim.results.staff_tables import Staffing, staffing_result
from portfolio_sim.scenario.schema import Scenario, StaffingChange

#: Evaluate every assignment when there are at most this many; greedy + exchange above.
EXHAUSTIVE_MAX = 200
#: Default ramp of a new person (working days, about a month): linear, docs/model.md §2.6.
DEFAULT_RAMP_DAYS = 20.0
#: Paired bootstrap of the P85 difference: resamples and their fixed seed.
BOOTSTRAP = 1_000
BOOTSTRAP_SEED = 20_270_104
Z95 = 1.959963984540054

OBJECTIVES = ("p85", "npv", "deadline:FEATURE")


@dataclass(frozen=True)
class Objective:
    """What a candidate is judged by: ``kind`` p85 | npv | deadline (``feature``)."""

    kind: str
    feature: str | None = None

    @property
    def name(self) -> str:
        return f"deadline:{self.feature}" if self.kind == "deadline" else self.kind


def parse_objective(text: str, scn: Scenario) -> Objective:
    """``p85``, ``npv`` or ``deadline:FEATURE`` (a feature of ``scn`` with a deadline)."""
    t = str(text).strip()
    if t in ("p85", "npv"):
        if t == "npv" and not _has_money(scn):
            raise InputError(
                "objective: npv: the scenario has no money (no cost_per_member_day, "
                "cost, value or deadline_penalty), so every NPV is 0"
            )
        return Objective(t)
    kind, sep, fid = t.partition(":")
    if kind == "deadline" and sep:
        fid = fid.strip()
        ids = [f.id for f in scn.features]
        if fid not in ids:
            raise InputError(f"objective: deadline:{fid}: no feature {fid!r} in the scenario")
        if scn.feature(fid).deadline is None:
            raise InputError(f"objective: deadline:{fid}: feature {fid!r} has no deadline")
        return Objective("deadline", fid)
    raise InputError(f"objective: must be one of {', '.join(OBJECTIVES)}, got {t!r}")


def _has_money(scn: Scenario) -> bool:
    teams = any(t.cost_per_member_day > 0 for t in scn.teams)
    feats = any(
        f.value is not None or f.cost is not None or f.deadline_penalty for f in scn.features
    )
    return teams or feats


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


def with_hires(scn: Scenario, hires: dict[str, int], on: dt.date, ramp_days: float) -> Scenario:
    """A copy of ``scn`` with ``hires[team]`` more members from ``on`` (see the module
    docstring): a staffing change at ``on`` and + k on every later change."""
    out = scn.model_copy(deep=True)
    for team in out.teams:
        k = hires.get(team.id, 0)
        if k <= 0:
            continue
        before = [c for c in team.changes if c.on < on]
        same = [c for c in team.changes if c.on == on]
        if same:
            raise InputError(
                f"teams.{team.id}.changes: a staffing change is already on {on}, the hire "
                "date; give another date (--from)"
            )
        now = before[-1].members if before else team.members
        later = [c.model_copy(update={"members": c.members + k}) for c in team.changes if c.on > on]
        hire = StaffingChange(on=on, members=now + k, ramp_days=ramp_days)
        team.changes = [*before, hire, *later]
    return out


# --- evaluation -----------------------------------------------------------------------


@dataclass
class Evaluation:
    """One forecast of one assignment: the objective, its per-trial vector and summaries."""

    hires: tuple[int, ...]
    value: float  # p85: working day index (h = after the horizon); npv: mean; deadline: p
    tiebreak: float  # mean done time (earlier is better)
    trials: np.ndarray  # per-trial: done day (p85), NPV (npv), met 0/1 (deadline)
    npv_mean: float
    cost_mean: float
    p85_day: int
    detail: dict[str, Any] | None = None
    #: deadline:F only: F's P85 done day (h = after the horizon).
    feature_p85_day: int = -1


class Evaluator:
    """Forecasts assignments of a scenario with one seed and trial count, cached."""

    def __init__(
        self,
        scn: Scenario,
        objective: Objective,
        teams: list[str],
        on: dt.date,
        ramp_days: float,
        trials: int,
        seed: int,
        progress: Callable[[], None] | None = None,
    ) -> None:
        self.scn, self.objective, self.teams = scn, objective, teams
        self.on, self.ramp_days, self.trials, self.seed = on, ramp_days, trials, seed
        self.cache: dict[tuple[int, ...], Evaluation] = {}
        self.progress = progress
        #: A ``distributed.Client`` to evaluate candidates on (:meth:`prefetch`), or None.
        self.client: Any = None

    def scenario(self, hires: tuple[int, ...]) -> Scenario:
        plan = dict(zip(self.teams, hires, strict=True))
        return with_hires(self.scn, plan, self.on, self.ramp_days)

    def __call__(self, hires: tuple[int, ...], detail: bool = False) -> Evaluation:
        hit = self.cache.get(hires)
        if hit is not None and (hit.detail is not None or not detail):
            return hit
        ev = evaluate(self.scenario(hires), self.trials, self.seed, hires, self.objective, detail)
        if hit is None and self.progress is not None:
            self.progress()
        self.cache[hires] = ev
        return ev

    def prefetch(self, cands: Sequence[tuple[int, ...]]) -> None:
        """On a cluster (``self.client`` set): evaluate the candidates not yet cached, all
        at once, one Dask task each (docs/distributed.md); the same evaluations as one
        after another. Locally: nothing (they are evaluated as they are asked for)."""
        todo = [h for h in dict.fromkeys(cands) if h not in self.cache]
        if self.client is None or not todo:
            return
        from portfolio_sim.distributed.tasks import map_tasks

        jobs = [(self.scenario(h), self.trials, self.seed, h, self.objective) for h in todo]
        for hires, ev in zip(todo, map_tasks(evaluate, jobs, self.client), strict=True):
            self.cache[hires] = ev
            if self.progress is not None:
                self.progress()

    def key(self, ev: Evaluation) -> tuple[float, float]:
        """Larger is better."""
        sign = -1.0 if self.objective.kind == "p85" else 1.0
        return (sign * ev.value, -ev.tiebreak)


def evaluate(
    scn: Scenario,
    trials: int,
    seed: int,
    hires: tuple[int, ...],
    obj: Objective,
    detail: bool = False,
) -> Evaluation:
    """One assignment's evaluation: the forecast of ``scn`` (the hires applied) and its
    numbers. Pure (a Dask task when candidates are spread on a cluster)."""
    from portfolio_sim.forecasting import forecast

    # team load only for the detailed evaluations (the "what moved" text reads it)
    fc = forecast(scn, trials=trials, seed=seed, keep_trials=True, team_load=detail)
    return _evaluate(fc, hires, obj, detail)


def _evaluate(fc: Any, hires: tuple[int, ...], obj: Objective, detail: bool) -> Evaluation:
    c, raw = fc.compiled, fc.raw
    h = int(c.horizon_days)
    port_day = done_days_or(raw.port_t, h).astype(np.int64)
    p85 = int(np.percentile(port_day, 85, method="inverted_cdf"))
    port_time = np.where(np.isfinite(raw.port_t), raw.port_t, float(h))
    npv = raw.money[:, MONEY_COLUMNS.index("npv")]
    cost = raw.money[:, MONEY_COLUMNS.index("cost")]
    if obj.kind == "p85":
        value, vec, tie = float(p85), port_day.astype(np.float64), float(port_time.mean())
    elif obj.kind == "npv":
        value, vec, tie = float(npv.mean()), npv.astype(np.float64), float(port_time.mean())
    else:
        f = c.feature_ids.index(obj.feature)
        done = raw.done[:, f]
        ok = np.isfinite(done) & (done <= h)
        day = done_days_or(done, h, ok)
        vec = (ok & (day <= c.feat_deadline_day[f])).astype(np.float64)
        value, tie = float(vec.mean()), float(np.where(ok, done, float(h)).mean())
    ev = Evaluation(hires, value, tie, vec, float(npv.mean()), float(cost.mean()), p85)
    if obj.kind == "deadline":
        ev.feature_p85_day = int(np.percentile(day, 85, method="inverted_cdf"))
    if detail:
        ev.detail = _detail(fc)
    return ev


#: A month counts as "waiting" in the explanation when the waiting share's P50 is this.
WAITING_P50 = 0.5


def _detail(fc: Any) -> dict[str, Any]:
    """Per team: P85 done day, share of trials it finishes last, share on the critical
    chain (:func:`portfolio_sim.decide.sensitivity.critical_chains`), and its runs of
    bottleneck months (busy P50 >= 95 %) and of waiting months (waiting P50 >= 50 %)
    from the team-load bands (docs/model.md §10.13)."""
    from portfolio_sim.decide.sensitivity import critical_chains

    c, raw = fc.compiled, fc.raw
    h = int(c.horizon_days)
    n_t = c.n_teams
    # A team's done time is its last feature's: inf when one is not done, -inf when the
    # team has no features (it never sets the finish).
    team_t = np.full((raw.done.shape[0], n_t), -np.inf)
    for f, j in enumerate(c.feat_team):
        team_t[:, j] = np.maximum(team_t[:, j], raw.done[:, f])
    has = np.zeros(n_t, dtype=bool)
    has[np.asarray(c.feat_team, dtype=np.int64)] = True
    team_ok = np.isfinite(team_t) & (team_t <= h)
    team_day = done_days_or(team_t, h, team_ok).astype(np.int64)
    last = np.argmax(team_t, axis=1)
    on = critical_chains(raw.done, raw.start, c.dep_ptr, c.dep_idx, c.feat_team, c.feat_not_before)
    on_team = np.zeros((on.shape[0], n_t), dtype=bool)
    for f, j in enumerate(c.feat_team):
        on_team[:, j] |= on[:, f]
    p85 = np.percentile(team_day, 85, axis=0, method="inverted_cdf").astype(np.int64)
    from portfolio_sim.results.load import state_runs

    return {
        "busy_runs": state_runs(c, raw, "busy"),
        "waiting_runs": state_runs(c, raw, "waiting", WAITING_P50),
        "team_p85_day": p85,
        "has_features": has,
        "last_share": np.bincount(last, minlength=n_t) / max(len(last), 1),
        "critical_share": on_team.mean(axis=0),
        "date_of": c.calendar.date_of,
        "horizon_days": h,
    }


# --- confidence interval ----------------------------------------------------------------


def paired_interval(kind: str, base: np.ndarray, new: np.ndarray) -> tuple[float, float]:
    """95 % interval of the gain (new over base, positive = better; see the module
    docstring). ``p85``: working days earlier, paired bootstrap; else mean difference."""
    n = len(base)
    if kind == "p85":
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        k = int(np.ceil(0.85 * n)) - 1  # inverted CDF: the ceil(0.85 n)-th smallest
        gains = np.empty(BOOTSTRAP)
        step = max(1, 2_000_000 // max(n, 1))
        for lo in range(0, BOOTSTRAP, step):
            hi = min(lo + step, BOOTSTRAP)
            idx = rng.integers(0, n, size=(hi - lo, n))
            b = np.partition(base[idx], k, axis=1)[:, k]
            a = np.partition(new[idx], k, axis=1)[:, k]
            gains[lo:hi] = b - a
        lo_q, hi_q = np.percentile(gains, [2.5, 97.5], method="inverted_cdf")
        return float(lo_q), float(hi_q)
    d = new - base
    mean = float(d.mean())
    if n < 2:
        return mean, mean
    half = Z95 * float(d.std(ddof=1)) / np.sqrt(n)
    return mean - half, mean + half


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
    "Objective",
    "Staffing",
    "assignments",
    "count_assignments",
    "paired_interval",
    "parse_objective",
    "staff",
    "with_hires",
]
