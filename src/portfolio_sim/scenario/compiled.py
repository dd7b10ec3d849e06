"""The compiled scenario: a validated scenario as plain arrays, the engines' only input.

Kernels never see dicts or pydantic objects: ids become integer codes (positions in
``team_ids``, ``feature_ids``, ``risk_ids``), dependencies become CSR index pairs
(``*_ptr`` of length n + 1, ``*_idx``: the entries of row i are
``idx[ptr[i]:ptr[i + 1]]``), distributions become ``(code, offset, length)`` references
into one parameter pool (``pool``, portfolio_sim/distributions.py), dates become
working-day clock times, and each effort team's capacity over time becomes a
piecewise-quadratic *cumulative capacity* function ``C(t)`` (``cap_*``, built by
scenario/compile_teams.py). :class:`MoneyInputs` holds everything about money but the
per-trial draws (scenario/compile_money.py). :class:`CompiledScenario` is built by
:func:`~portfolio_sim.scenario.compile.compile_scenario`; nothing changes it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from portfolio_sim.calendar import WorkCalendar
from portfolio_sim.scenario.type_compile import TypeArrays

#: ``feat_deadline_day`` of a feature without a deadline.
NO_DEADLINE = np.iinfo(np.int64).max


class MoneyInputs(NamedTuple):
    """The calendar and cost arrays that price a trial (docs/model.md §6): everything
    about money but the per-trial draws. Built by
    :func:`~portfolio_sim.scenario.compile.compile_scenario`; both engines'
    money code and results/money.py read it."""

    horizon_days: int
    team_cost_cum: np.ndarray  # float64 [T, H+1] cost of paid members over days 0 .. d-1
    team_has_work: np.ndarray  # bool [T] the team has at least one feature
    day_month: np.ndarray  # int64 [H] month of each working day
    month_first_day: np.ndarray  # int64 [M+1] first working day of each month; [M] = H
    cal_off: np.ndarray  # int64 [H] calendar days from start to each working day
    month_start_off: np.ndarray  # int64 [M+1] calendar offset of each month's first day
    horizon_off: int  # calendar offset of the horizon date
    disc: np.ndarray  # float64 [M] discount factor of each month
    budget_total: float  # < 0: no total budget
    quarter_of_month: np.ndarray  # int64 [M] index of the budget quarter of each month, -1
    feat_penalty_month: np.ndarray  # int64 [F] month of each feature's deadline


@dataclass
class CompiledScenario:
    """A scenario as arrays. ``n_*`` are counts; ``*_ptr``/``*_idx`` are CSR pairs."""

    name: str
    variant: str | None
    calendar: WorkCalendar
    horizon_days: int
    team_ids: list[str]
    feature_ids: list[str]
    risk_ids: list[str]
    # teams
    team_kind: np.ndarray  # int64 [T]
    team_wip: np.ndarray  # int64 [T]
    team_focus: np.ndarray  # float64 [T]
    team_cost_rate: np.ndarray  # float64 [T] money per paid member per working day
    team_release_horizon: np.ndarray  # bool [T]
    cap_ptr: np.ndarray  # int64 [T+1] segments of C(t) per team
    cap_t: np.ndarray  # float64 segment start times
    cap_cum: np.ndarray  # float64 C at segment start
    cap_rate: np.ndarray  # float64 capacity rate at segment start (focus included)
    cap_slope: np.ndarray  # float64 d rate / dt within the segment
    pay_ptr: np.ndarray  # int64 [T+1] piecewise-constant paid members per team
    pay_t: np.ndarray  # int64 working day from which the count holds
    pay_members: np.ndarray  # float64
    tp_dist: np.ndarray  # int64 [T, 3] (code, off, n) of items per period; -1 for effort teams
    tp_period: np.ndarray  # int64 [T] working days per throughput period
    team_key: np.ndarray  # uint64 [T] stream keys
    team_feat_ptr: np.ndarray  # int64 [T+1] features of each team in priority order
    team_feat_idx: np.ndarray  # int64
    # features
    feat_team: np.ndarray  # int64 [F]
    feat_items: np.ndarray  # bool [F] size in items (rounded up) rather than person-days
    feat_size: np.ndarray  # int64 [F, 3]
    feat_growth: np.ndarray  # int64 [F, 3] (code -1: none)
    feat_cost: np.ndarray  # int64 [F, 3] one-off cost (code -1: none)
    feat_key: np.ndarray  # uint64 [F]
    feat_not_before: np.ndarray  # float64 [F] earliest clock time to start
    feat_deadline_day: np.ndarray  # int64 [F] last working day meeting the deadline
    #: bool [F] the feature has a deadline whose date is on or before the horizon date, so
    #: that "not done by the horizon" is a known miss (docs/money.md, deadline rule).
    feat_deadline_by_horizon: np.ndarray
    feat_capex: np.ndarray  # bool [F]
    feat_value: np.ndarray  # float64 [F, 3] per_month, ramp_months, success_probability
    feat_penalty: np.ndarray  # float64 [F]
    dep_ptr: np.ndarray  # int64 [F+1] what each feature depends on
    dep_idx: np.ndarray
    succ_ptr: np.ndarray  # int64 [F+1] what depends on each feature
    succ_idx: np.ndarray
    topo: np.ndarray  # int64 [F] a topological order (stable in file order)
    # risks
    risk_prob: np.ndarray  # float64 [R]
    risk_kind: np.ndarray  # int64 [R]
    risk_dist: np.ndarray  # int64 [R, 3]
    risk_key: np.ndarray  # uint64 [R]
    risk_ptr: np.ndarray  # int64 [R+1] affected features
    risk_idx: np.ndarray
    pool: np.ndarray  # float64 distribution parameters
    #: Money arrays: cost per day, months, discounting.
    money: MoneyInputs
    seed: int = 0
    #: Month labels "YYYY-MM" from the start's month through the horizon's month.
    month_labels: list[str] = field(default_factory=list)
    currency: str = "EUR"
    budget_total: float | None = None
    budget_quarters: dict[str, float] = field(default_factory=dict)
    feature_has_value: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: float64 [F] or empty: a re-forecast's done features, pinned at the clock time
    #: (>= 0) both engines report as done and start; -1 for the others (§11.2).
    feat_pin: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Correlated estimates (docs/model.md §4.10, scenario/correlation.py): each feature's
    #: group (-1: none), each group's stream key and copula loadings (sqrt r, sqrt(1 - r)).
    feat_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    group_key: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    group_load: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    #: Portfolio cost shocks (docs/model.md §5.4): their risk indices and pay days.
    shock_risk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    shock_day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Throughput by item type (docs/model.md §2.10, scenario/type_compile.py).
    types: TypeArrays | None = None
    #: Portfolio freezes (docs/model.md §5.5): their risk indices and first days (clock
    #: time of the first working day on or after ``on``), and which features they hold
    #: (every feature but the zero-work joins of shared features).
    freeze_risk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    freeze_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    feat_freeze: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    @property
    def n_teams(self) -> int:
        return len(self.team_ids)

    @property
    def n_features(self) -> int:
        return len(self.feature_ids)

    @property
    def n_risks(self) -> int:
        return len(self.risk_ids)
