"""How a staffing candidate is judged (docs/model.md §8.9): its objective, its
forecast with common random numbers, and the paired interval of its gain.

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

**Confidence interval** of the recommendation's gain over the current plan (paired, 95 %):
for ``npv`` and ``deadline:F`` the per-trial differences d_i (NPV, met 0/1) give
mean(d) +- 1.96 sd(d)/sqrt(n); for ``p85`` a paired percentile bootstrap: B =
:data:`BOOTSTRAP` resamples of the trial indices (numpy ``default_rng(BOOTSTRAP_SEED)``,
the same indices for both plans), the P85 day difference of each, and its 2.5 % / 97.5 %
quantiles (inverted CDF).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.codes import MONEY_COLUMNS
from portfolio_sim.errors import InputError
from portfolio_sim.scenario.schema import Scenario, StaffingChange

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
