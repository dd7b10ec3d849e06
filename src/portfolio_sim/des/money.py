"""Money and value of one reference-model trial (docs/model.md §6, §10), from its schedule.

An independent, readable statement of the money semantics, used to check the fast
engine trial by trial. It shares no code with ``portfolio_sim.kernels``: it reads only
the compiled scenario and draws from the keyed streams of :mod:`portfolio_sim.rng` with
the same slots (feature slot 2 = one-off cost, slot 3 = success of its value).

Semantics, as modelled here (clock times in working days, day d covers ``[d, d + 1)``):

* **People cost.** A team costs ``paid members x cost_per_member_day`` on each working
  day it is paid: days ``0 .. end - 1``, where ``end`` is the day after the working day
  on which it finishes its last feature (capped at the horizon), the horizon when it
  keeps features unfinished or has ``release: horizon``, and 0 when it has no feature.
  Within a day the cost accrues uniformly over the clock, so the cost of clock interval
  ``[a, b)`` is ``P(b) - P(a)`` with ``P`` the piecewise-linear cumulative cost.
* **Capex.** At clock time t the team's cost is shared equally by the features in
  progress (``start <= t < done``), as its capacity is; the shares of ``capitalizable``
  features are capex. Idle time and the shares of other features are opex.
* **One-off costs.** A feature that starts before the horizon pays its ``cost`` (slot 2,
  never negative) in the month of its start day (capex if capitalizable).
* **Value.** A feature done by the horizon that succeeds (``uniform(slot 3) < p``; no
  draw when ``p >= 1``) earns, from the calendar day after its done date through the
  horizon date inclusive, ``per_month x 12 / 365`` per calendar day, ramping linearly
  from 0 over ``ramp_months x 365 / 12`` calendar days (a day earns the integral of
  the rate over it).
* **Deadline penalty** (docs/money.md, "Deadline penalties"): a deadline is **met** when
  the feature is done on or before the deadline date; **missed** when it is done after the
  deadline date, or not done by the horizon and the horizon date is on or after the
  deadline date; **undecided** when it is not done by the horizon and the deadline date
  is after the horizon date. ``deadline_penalty`` is booked in the deadline's month only
  when the deadline is missed; an undecided deadline costs nothing.
* **Discounting.** Month k (0 = the start's month) is discounted by
  ``(1 + rate) ** (-(k + 1) / 12)``; ``npv = value_pv - cost_pv - penalty_pv``.
* **Budget.** "Over budget" is strictly greater than the budget, ignoring float round-off
  (1e-9 of the budget, at least 1e-9): a cost of 130020.00000000048 meets a budget of
  130020. The budget is spent on the first working day d (1 .. H) such that the spend
  over days ``[0, d)`` (people cost plus the one-off costs of features started before d)
  is over the total budget, minus one; H when the trial's cost stays within the budget
  (or there is no total budget). Each budget quarter's cost is the float64 sum of its
  months' costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from portfolio_sim.calendar import done_day
from portfolio_sim.codes import (
    BUDGET_RTOL,
    EPS,
    NO_DIST,
    SLOT_COST,
    SLOT_FIRES,
    SLOT_IMPACT,
    SLOT_SUCCESS,
)
from portfolio_sim.rng import SUBSTREAM
from portfolio_sim.rng import draw as _rng_draw
from portfolio_sim.rng import uniform as _rng_uniform
from portfolio_sim.scenario.compile import NO_DEADLINE, CompiledScenario

#: The Numba dispatchers, called with plain ints and ``np.uint64`` keys (fast dispatch).
draw: Any = _rng_draw
uniform: Any = _rng_uniform


def running_sum(x: np.ndarray) -> float:
    """The left-to-right sum of ``x`` (month by month): the order of the fast engine, so
    that both engines' documents agree to the last bit (``np.sum`` sums pairwise)."""
    total = 0.0
    for v in x.tolist():
        total += v
    return total


@dataclass
class TrialMoney:
    """Money of one trial. Amounts in the scenario's currency; ``*_pv`` discounted."""

    cost: float
    cost_pv: float
    value: float
    value_pv: float
    penalty_pv: float
    npv: float
    capex: float
    spent_day: int  # the working day the total budget is spent (H: never)
    month_cost: np.ndarray  # float64 [M] all costs (people and one-off) by month
    month_capex: np.ndarray  # float64 [M] the capex part of month_cost
    quarter_cost: np.ndarray  # float64 [Q] cost of each budget quarter (sorted labels)
    feat_value_pv: np.ndarray  # float64 [F] discounted value of each feature
    feat_cost: np.ndarray  # float64 [F] one-off cost of each feature

    def row(self) -> list[float]:
        """The trial's row of ``EngineOutput.money`` (``MONEY_COLUMNS`` order)."""
        return [
            self.cost,
            self.cost_pv,
            self.value,
            self.value_pv,
            self.penalty_pv,
            self.npv,
            self.capex,
            float(self.spent_day),
        ]


class DesMoney:
    """The reference (SimPy) engine's money side of a compiled scenario, built once;
    :meth:`trial` prices a trial. (The fast engine's is ``kernels.money.KernelMoney``.)"""

    def __init__(self, m: CompiledScenario) -> None:
        money = m.money
        self.h = h = int(m.horizon_days)
        n_t, n_f = m.n_teams, m.n_features
        # Cost of each paid working day, recomputed from the paid-members steps.
        self.day_cost = np.zeros((n_t, h))
        for j in range(n_t):
            for i in range(int(m.pay_ptr[j]), int(m.pay_ptr[j + 1])):
                self.day_cost[j, min(int(m.pay_t[i]), h) :] = m.pay_members[i]
            self.day_cost[j] *= float(m.team_cost_rate[j])
        #: cum_cost[j, d] = cost of team j over working days 0 .. d - 1.
        self.cum_cost = np.zeros((n_t, h + 1))
        self.cum_cost[:, 1:] = np.cumsum(self.day_cost, axis=1)
        if m.feat_pin.shape[0]:  # a re-forecast: the cost to date is the actual (§11.2),
            # not a paid-members step, so the compiled cumulative cost is taken as given
            self.cum_cost = np.array(money.team_cost_cum, dtype=np.float64)
            self.day_cost = np.diff(self.cum_cost, axis=1)
        self.day_grid = np.arange(h + 1, dtype=np.float64)
        self.team_feats = [
            np.asarray(m.team_feat_idx[m.team_feat_ptr[j] : m.team_feat_ptr[j + 1]], dtype=np.int64)
            for j in range(n_t)
        ]
        self.release_horizon = [bool(x) for x in m.team_release_horizon]
        self.capex = np.asarray(m.feat_capex, dtype=bool)
        # Calendar: month of each working day, month boundaries in working days and in
        # calendar days since the start, discount factor per month.
        self.day_month = np.asarray(money.day_month, dtype=np.int64)
        self.month_first_day = np.asarray(money.month_first_day, dtype=np.int64)
        self.cal_off = np.asarray(money.cal_off, dtype=np.int64)
        self.month_start_off = np.asarray(money.month_start_off, dtype=np.float64)
        self.horizon_off = int(money.horizon_off)
        self.disc = np.asarray(money.disc, dtype=np.float64)
        self.n_months = len(self.disc)
        budget = float(money.budget_total)
        self.budget = budget if budget >= 0.0 else None
        #: Amounts above this are over the total budget (round-off ignored).
        self.budget_line = budget + BUDGET_RTOL * max(1.0, abs(budget))
        self.quarter_of_month = [int(q) for q in money.quarter_of_month]
        self.n_quarters = max(self.quarter_of_month, default=-1) + 1
        # Features: one-off cost distributions, stream keys, value, penalty.
        self.pool = np.ascontiguousarray(m.pool, dtype=np.float64)
        self.feat_key = list(m.feat_key.astype(np.uint64))
        self.cost_ref = [
            (int(r[0]), int(r[1]), int(r[2])) if int(r[0]) != NO_DIST else None for r in m.feat_cost
        ]
        self.per_month = [float(v) for v in m.feat_value[:, 0]]
        self.ramp_months = [float(v) for v in m.feat_value[:, 1]]
        self.success_p = [float(v) for v in m.feat_value[:, 2]]
        self.penalty = [float(p) for p in m.feat_penalty]
        self.deadline_day = [int(d) for d in m.feat_deadline_day]
        self.deadline_by_horizon = [bool(x) for x in m.feat_deadline_by_horizon]
        self.has_deadline = [int(d) != NO_DEADLINE for d in m.feat_deadline_day]
        self.penalty_month = [int(k) for k in money.feat_penalty_month]
        self.n_f = n_f
        # Portfolio cost shocks (docs/model.md §5.4): (stream key, probability, cost
        # distribution, working day paid) in file order; a day >= h is never paid.
        self.shocks = [
            (
                np.uint64(m.risk_key[r]),
                float(m.risk_prob[r]),
                (int(m.risk_dist[r, 0]), int(m.risk_dist[r, 1]), int(m.risk_dist[r, 2])),
                int(day),
            )
            for r, day in zip(m.shock_risk, m.shock_day, strict=True)
        ]

    def _shock_costs(self, trial: int) -> list[tuple[int, float]]:
        """(day, cost) of each cost shock that fires in ``trial`` and is paid: it fires
        when its risk slot 0 is below the probability; the cost is risk slot 1."""
        out: list[tuple[int, float]] = []
        for key, p, ref, day in self.shocks:
            if day >= self.h or not float(uniform(key, trial, SLOT_FIRES)) < p:
                continue
            c = max(float(draw(ref[0], self.pool, ref[1], ref[2], key, trial, SLOT_IMPACT)), 0.0)
            if c > 0.0:
                out.append((day, c))
        return out

    # -- pieces --------------------------------------------------------------------
    def _paid_until(self, j: int, done: np.ndarray) -> int:
        """The working day team j stops being paid (it is paid days 0 .. end - 1)."""
        feats = self.team_feats[j]
        if self.release_horizon[j]:
            return self.h
        if len(feats) == 0:
            return 0
        last = max(float(done[feats].max()), 0.0)
        if last > self.h:  # something unfinished at the horizon: paid through it
            return self.h
        return min(done_day(last) + 1, self.h)

    def _cost_to(self, j: int, x: np.ndarray) -> np.ndarray:
        """Cost of team j over clock interval [0, x) (uniform within each working day)."""
        return np.interp(x, self.day_grid, self.cum_cost[j])

    def _team_capex(
        self, j: int, end: int, done: np.ndarray, start: np.ndarray, out: np.ndarray
    ) -> None:
        """Add team j's capex by month to ``out``: its cost over [0, end), shared equally
        by the features in progress, the capitalizable shares summed."""
        feats = self.team_feats[j]
        if end <= 0 or len(feats) == 0 or not self.capex[feats].any():
            return
        s, d = start[feats], done[feats]
        # The in-progress set changes only at starts and dones; month boundaries split
        # the intervals so that each lies within one month.
        cuts = np.concatenate([s, d, self.month_first_day.astype(np.float64)])
        cuts = np.unique(np.clip(cuts[np.isfinite(cuts)], 0.0, float(end)))
        a, b = cuts[:-1], cuts[1:]
        if len(a) == 0:
            return
        # In progress at a: start <= a < done. Since start <= done, this count is
        # #(start <= a) - #(done <= a).
        cap = self.capex[feats]

        def in_progress(sel: np.ndarray) -> np.ndarray:
            ss, dd = np.sort(s[sel]), np.sort(d[sel])
            return np.searchsorted(ss, a, side="right") - np.searchsorted(dd, a, side="right")

        k_all = in_progress(np.ones(len(feats), dtype=bool))
        k_cap = in_progress(cap)
        busy = k_cap > 0
        if not busy.any():
            return
        a, b, frac = a[busy], b[busy], k_cap[busy] / k_all[busy]
        amount = frac * (self._cost_to(j, b) - self._cost_to(j, a))
        month = self.day_month[np.minimum(np.floor(a).astype(np.int64), self.h - 1)]
        np.add.at(out, month, amount)

    def _value(self, f: int, dd: int) -> tuple[float, float]:
        """(value, discounted value) of feature f done on working day ``dd``."""
        full = self.per_month[f] * 12.0 / 365.0
        ramp = self.ramp_months[f] * 365.0 / 12.0
        first = float(self.cal_off[dd] + 1)  # calendar day after the done date
        last = float(self.horizon_off + 1)  # exclusive: the horizon date earns

        lo = np.clip(self.month_start_off[:-1], first, last) - first
        hi = np.clip(self.month_start_off[1:], first, last) - first
        if ramp <= 0.0:
            per_month = full * (hi - lo)
        else:  # the ramp integrated: value over the first x calendar days from ``first``
            x = np.stack([lo, hi])
            earned = full * np.where(x < ramp, x * x / (2.0 * ramp), ramp / 2.0 + (x - ramp))
            per_month = earned[1] - earned[0]
        return running_sum(per_month), running_sum(per_month * self.disc)

    def _spent_day(
        self,
        ends: list[int],
        start: np.ndarray,
        feat_cost: np.ndarray,
        shocks: list[tuple[int, float]] | None = None,
    ) -> int:
        """The first working day d with spend over [0, d) above the budget, minus one."""
        h = self.h
        days = np.arange(1, h + 1)
        spend = np.zeros(h)
        for j, end in enumerate(ends):
            spend += self.cum_cost[j, np.minimum(days, end)]
        for f in np.flatnonzero(feat_cost > 0.0):
            first = math.floor(start[f] + EPS)  # paid in [0, d) for every d > first
            spend[days > first] += feat_cost[f]
        for day, c in shocks or []:  # paid in [0, d) for every d > day
            spend[days > day] += c
        over = np.flatnonzero(spend > self.budget_line)
        d = int(days[over[0]]) if len(over) else h
        return d - 1

    # -- one trial -----------------------------------------------------------------
    def trial(self, trial: int, done: Any, start: Any) -> TrialMoney:
        """Price ``trial`` given its per-feature done and start clock times (inf: not)."""
        trial = int(trial)
        h, n_m = self.h, self.n_months
        done = np.asarray(done, dtype=np.float64)
        start = np.asarray(start, dtype=np.float64)
        month_cost = np.zeros(n_m)
        month_capex = np.zeros(n_m)
        ends: list[int] = []
        for j in range(len(self.team_feats)):
            end = self._paid_until(j, done)
            ends.append(end)
            for k in range(n_m):
                lo = int(self.month_first_day[k])
                hi = min(int(self.month_first_day[k + 1]), end)
                if hi > lo:
                    month_cost[k] += self.cum_cost[j, hi] - self.cum_cost[j, lo]
            self._team_capex(j, end, done, start, month_capex)

        feat_cost = np.zeros(self.n_f)
        feat_value = np.zeros(self.n_f)
        value = value_pv = penalty_pv = 0.0
        for f in range(self.n_f):
            key = self.feat_key[f]
            ref = self.cost_ref[f]
            if ref is not None and start[f] < h:
                c = max(float(draw(ref[0], self.pool, ref[1], ref[2], key, trial, SLOT_COST)), 0.0)
                feat_cost[f] = c
                k = int(self.day_month[min(math.floor(start[f] + EPS), h - 1)])
                month_cost[k] += c
                if self.capex[f]:
                    month_capex[k] += c
            finished = bool(done[f] <= h)
            if self.per_month[f] > 0.0 and finished:
                p = self.success_p[f]
                if p >= 1.0 or float(uniform(key, trial, SLOT_SUCCESS * SUBSTREAM)) < p:
                    v, v_pv = self._value(f, done_day(float(done[f])))
                    value += v
                    value_pv += v_pv
                    feat_value[f] = v_pv
            # Missed: done after the deadline date, or not done by a horizon on/after it
            # (not done with the deadline after the horizon: undecided, no penalty).
            if finished:
                missed = done_day(float(done[f])) > self.deadline_day[f]
            else:
                missed = self.deadline_by_horizon[f]
            if self.penalty[f] > 0.0 and self.has_deadline[f] and missed:
                penalty_pv += self.penalty[f] * float(self.disc[self.penalty_month[f]])

        shocks = self._shock_costs(trial)
        for day, c in shocks:
            month_cost[int(self.day_month[day])] += c
        cost = running_sum(month_cost)
        cost_pv = running_sum(month_cost * self.disc)
        spent = h
        if self.budget is not None and cost > self.budget_line:
            spent = self._spent_day(ends, start, feat_cost, shocks)
        quarter_cost = np.zeros(self.n_quarters)
        for k, q in enumerate(self.quarter_of_month):  # month by month, in order
            if q >= 0:
                quarter_cost[q] += month_cost[k]
        return TrialMoney(
            cost=cost,
            cost_pv=cost_pv,
            value=value,
            value_pv=value_pv,
            penalty_pv=penalty_pv,
            npv=value_pv - cost_pv - penalty_pv,
            capex=running_sum(month_capex),
            spent_day=spent,
            month_cost=month_cost,
            month_capex=month_capex,
            quarter_cost=quarter_cost,
            feat_value_pv=feat_value,
            feat_cost=feat_cost,
        )


__all__ = ["DesMoney", "TrialMoney"]
