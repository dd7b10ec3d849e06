"""The scenario schema (docs/model.md §0–§7) as pydantic v2 models.

These models check the *shape* of a scenario and every value on its own (types, ranges,
distribution parameters). Checks that need the whole scenario (unknown ids, dependency
cycles, a size kind that does not match the team kind) live in :mod:`.checks`.

Field names follow docs/model.md; extensions are documented in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from portfolio_sim.errors import InputError
from portfolio_sim.scenario.correlation import CorrelationGroup
from portfolio_sim.scenario.schema_base import MAX_AMOUNT as MAX_AMOUNT
from portfolio_sim.scenario.schema_base import MAX_MEMBERS as MAX_MEMBERS
from portfolio_sim.scenario.schema_base import MAX_WIP as MAX_WIP
from portfolio_sim.scenario.schema_base import Distribution as Distribution
from portfolio_sim.scenario.schema_base import Items as Items
from portfolio_sim.scenario.schema_base import StrictModel
from portfolio_sim.scenario.schema_base import Throughput as Throughput
from portfolio_sim.scenario.schema_teams import Availability as Availability
from portfolio_sim.scenario.schema_teams import Budget as Budget
from portfolio_sim.scenario.schema_teams import Calendar as Calendar
from portfolio_sim.scenario.schema_teams import Holiday as Holiday
from portfolio_sim.scenario.schema_teams import HolidayRange as HolidayRange
from portfolio_sim.scenario.schema_teams import StaffingChange as StaffingChange
from portfolio_sim.scenario.schema_teams import Team as Team


class Value(StrictModel):
    per_month: float = Field(ge=0, le=MAX_AMOUNT)
    ramp_months: float = Field(default=0, ge=0, le=MAX_AMOUNT)
    success_probability: float = Field(default=1.0, ge=0, le=1)


class Part(StrictModel):
    """One team's share of a shared feature (docs/model.md §3.9): its own team and
    estimate; ``after`` lists teams of the same feature whose parts must be done first."""

    team: str
    effort: Distribution | None = None
    items: Distribution | None = None
    after: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_size(self) -> Part:
        given = [k for k in ("effort", "items") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a part needs exactly one size: effort (person-days) or items"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        return self

    @property
    def size(self) -> Distribution:
        size = self.effort if self.effort is not None else self.items
        assert size is not None
        return size


class Feature(StrictModel):
    id: str = Field(min_length=1)
    #: The team that does the work; absent for a duration task (``duration``) and for a
    #: shared feature (``parts``), docs/model.md §3.9-§3.10. Required otherwise: a
    #: missing team is pydantic's "required field missing" at ``features[i].team``.
    team: str | None
    #: Lower first; features without a priority come after all that have one, in file order.
    priority: float | None = None
    depends_on: list[str] = Field(default_factory=list)
    not_before: dt.date | None = None
    deadline: dt.date | None = None
    effort: Distribution | None = None
    #: Items: one estimate, or one per item type of a team with throughput by type
    #: (docs/model.md §2.10).
    items: Items | None = None
    #: Relative size (docs/model.md §3.8): a name of the scenario's ``sizes`` table, or a
    #: story-point count scaled by ``points.per_point``. Resolved by the scenario.
    size_name: str | None = Field(default=None, alias="size", min_length=1)
    points: float | None = Field(default=None, gt=0, le=MAX_AMOUNT)
    growth: Distribution | None = None
    cost: Distribution | None = None
    value: Value | None = None
    deadline_penalty: float = Field(default=0, ge=0, le=MAX_AMOUNT)
    capitalizable: bool = False
    #: Regulatory or contractual work: ``select`` always funds it and its dependency
    #: closure (docs/model.md §6.10). Forecasts ignore it.
    mandatory: bool = False
    #: Work that needs no team capacity (docs/model.md §3.10): working days from ready to
    #: done (a vendor delivery, a legal review, an audit).
    duration: Distribution | None = None
    #: A feature shared by several teams (docs/model.md §3.9): one part per team.
    parts: list[Part] | None = Field(default=None, min_length=1)

    _resolved: Distribution | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _teamless_default(cls, data: Any) -> Any:
        """A duration task or a shared feature has no team: default it to None."""
        teamless = isinstance(data, dict) and (
            data.get("duration") is not None or data.get("parts") is not None
        )
        if teamless and "team" not in data:
            return {**data, "team": None}
        return data

    @model_validator(mode="after")
    def _one_size(self) -> Feature:
        if self.duration is not None or self.parts is not None:
            return self._teamless()
        if self.team is None:
            raise ValueError(
                "a feature needs a team (or duration: working days for work that needs no "
                "team, or parts: one per team for a shared feature)"
            )
        given = [
            k
            for k, v in (
                ("effort", self.effort),
                ("items", self.items),
                ("size", self.size_name),
                ("points", self.points),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a feature needs exactly one size: effort (person-days), items, size (a "
                "name of the sizes table) or points"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        return self

    def _teamless(self) -> Feature:
        """A duration task or a shared feature: no team and no size of its own."""
        what = "duration" if self.duration is not None else "parts"
        if self.duration is not None and self.parts is not None:
            raise ValueError("a feature has either duration or parts, not both")
        clash = [
            k
            for k, v in (
                ("team", self.team),
                ("effort", self.effort),
                ("items", self.items),
                ("size", self.size_name),
                ("points", self.points),
                ("growth", self.growth),
            )
            if v is not None
        ]
        if clash:
            why = (
                "the work is in its parts"
                if what == "parts"
                else "a duration task uses no team's capacity"
            )
            raise ValueError(f"a feature with {what} takes no {' or '.join(clash)} ({why})")
        return self

    @property
    def size(self) -> Distribution:
        """The feature's estimate: ``effort`` or ``items`` as written, the ``duration``
        of a duration task, or the distribution its ``size`` / ``points`` stands for
        (docs/model.md §3.8)."""
        if isinstance(self.items, dict):
            raise InputError(
                f"feature {self.id!r} gives items per type: this use of its size does not "
                "support throughput by type yet (docs/model.md §2.10)"
            )
        size = self.effort if self.effort is not None else self.items
        if size is None:
            size = self.duration
        if size is None:
            size = self._resolved
        if size is None:
            what = f"size {self.size_name!r}" if self.size_name else f"points {self.points:g}"
            raise ValueError(f"feature {self.id!r}: {what} is not in the scenario's table")
        return size

    @property
    def typed_items(self) -> dict[str, Distribution] | None:
        """The items per type (docs/model.md §2.10), or None for any other size."""
        return self.items if isinstance(self.items, dict) else None


ImpactKind = Literal["extra_effort", "extra_items", "delay", "extra_fraction", "cost"]
_IMPACTS: tuple[ImpactKind, ...] = get_args(ImpactKind)


class Risk(StrictModel):
    id: str = Field(min_length=1)
    probability: float = Field(ge=0, le=1)
    #: Features hit when it fires; none for a portfolio cost shock (``cost``, §5.4).
    affects: list[str] = Field(default_factory=list)
    extra_effort: Distribution | None = None
    extra_items: Distribution | None = None
    delay: Distribution | None = None
    #: Extra size as a fraction of each affected feature's drawn size (docs/model.md §5.3).
    extra_fraction: Distribution | None = None
    #: A portfolio-level one-off cost paid on ``on`` (default: start) when it fires (§5.4).
    cost: Distribution | None = None
    #: The day a cost shock is paid (§5.4) or a portfolio freeze begins (§5.5).
    on: dt.date | None = None

    @model_validator(mode="after")
    def _one_impact(self) -> Risk:
        given = [k for k in _IMPACTS if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "a risk needs exactly one of extra_effort, extra_items, delay, extra_fraction, cost"
            )
        if self.cost is not None and self.affects:
            raise ValueError(
                "a cost shock (cost) is portfolio-level and affects no feature: remove "
                "affects (use a feature's cost for a one-off cost of a feature)"
            )
        if self.delay is not None and not self.affects:
            if self.on is None:
                raise ValueError(
                    "a delay without affects is a portfolio freeze (docs/model.md §5.5) and "
                    "needs on: DATE, the day it begins (or give affects)"
                )
            return self
        if self.cost is None and not self.affects:
            raise ValueError(
                "affects needs at least one feature id (only a cost shock or a freeze, "
                "delay with on, has none)"
            )
        if self.on is not None and self.cost is None:
            if self.delay is not None:
                raise ValueError(
                    "on goes with a portfolio freeze, which affects no feature: remove "
                    "affects (a delay on features starts when they are ready, §5.2)"
                )
            raise ValueError(
                "on (the day a cost shock is paid or a freeze begins) goes with "
                "cost, or with delay without affects"
            )
        return self

    @property
    def is_freeze(self) -> bool:
        """A portfolio freeze (docs/model.md §5.5): a ``delay`` on no feature, from ``on``."""
        return self.delay is not None and not self.affects

    @property
    def impact_kind(self) -> ImpactKind:
        for k in _IMPACTS:
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated risk has an impact")

    @property
    def impact(self) -> Distribution:
        dist = getattr(self, self.impact_kind)
        assert dist is not None
        return dist


class Points(StrictModel):
    """Story points (docs/model.md §3.8): ``points: n`` stands for n x ``per_point``."""

    per_point: Distribution


EntityKind = Literal["teams", "features", "risks"]


class VariantChange(StrictModel):
    """One step of a variant: ``set`` fields by path, ``add`` or ``remove`` entities."""

    set: dict[str, Any] | None = None
    add: dict[EntityKind, list[dict[str, Any]]] | None = None
    remove: dict[EntityKind, list[str]] | None = None

    @model_validator(mode="after")
    def _one_action(self) -> VariantChange:
        given = [k for k in ("set", "add", "remove") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a variant change needs exactly one of set, add, remove")
        return self


class Report(StrictModel):
    """How outputs report the forecast (docs/model.md §0.4); changes no number."""

    #: Percentile levels of dates, cost and value in every output when the user gives
    #: none (``--percentiles``, ``percentiles=``): numbers strictly between 0 and 100,
    #: increasing, each once. None: each output's built-in levels.
    percentiles: list[Annotated[float, Field(gt=0, lt=100)]] | None = Field(
        default=None, min_length=1
    )

    @field_validator("percentiles")
    @classmethod
    def _increasing(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        for a, b in zip(value, value[1:], strict=False):
            if b == a:
                raise ValueError(f"level {b:g} is listed twice")
            if b < a:
                raise ValueError(
                    f"levels must be in increasing order ({b:g} after {a:g}), e.g. [50, 80, 90]"
                )
        return value


class Scenario(StrictModel):
    """A validated portfolio scenario."""

    name: str = Field(min_length=1)
    start: dt.date
    horizon: dt.date | None = None
    currency: str = "EUR"
    discount_rate: float = Field(default=0.0, ge=0, le=1)
    calendar: Calendar = Field(default_factory=Calendar)
    budget: Budget | None = None
    teams: list[Team] = Field(min_length=1)
    features: list[Feature] = Field(min_length=1)
    #: Relative sizing tables (docs/model.md §3.8), in the unit of the features' teams.
    sizes: dict[str, Distribution] = Field(default_factory=dict)
    points: Points | None = None
    risks: list[Risk] = Field(default_factory=list)
    #: Correlated estimates (docs/model.md §4.10): groups whose size draws share a factor.
    correlation: list[CorrelationGroup] = Field(default_factory=list)
    variants: dict[str, list[VariantChange]] = Field(default_factory=dict)
    report: Report | None = None
    #: Which variant this is (None for the base); set by variants.apply_variant, never read
    #: from files (the loader rejects it) and absent from the JSON Schema.
    variant: SkipJsonSchema[str | None] = Field(default=None, exclude=True)

    @property
    def horizon_date(self) -> dt.date:
        """The horizon, defaulting to start + 5 years (docs/model.md §1)."""
        if self.horizon is not None:
            return self.horizon
        try:
            return self.start.replace(year=self.start.year + 5)
        except ValueError:  # 29 February
            return self.start.replace(year=self.start.year + 5, day=28)

    @model_validator(mode="after")
    def _resolve_sizes(self) -> Scenario:
        """Resolve ``size`` and ``points`` into distributions (docs/model.md §3.8); an
        unknown name or a missing table is left unresolved and reported by
        :mod:`.checks` with the feature's path."""
        from portfolio_sim.scenario.sizing import resolve

        for f in self.features:
            try:
                f._resolved = resolve(f, self.sizes, self.points)
            except (KeyError, ValueError):
                f._resolved = None
        return self

    @field_validator("horizon")
    @classmethod
    def _horizon_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if value is not None and isinstance(start, dt.date) and value <= start:
            raise ValueError(f"horizon ({value}) must be after start ({start})")
        return value

    def team(self, team_id: str | None) -> Team:
        """The team ``team_id``; ``None`` (a duration task or a shared feature, which
        have no team until :func:`~portfolio_sim.scenario.expand.engine_view`) raises."""
        if team_id is None:
            raise KeyError("a duration task or a shared feature has no team of its own")
        return next(t for t in self.teams if t.id == team_id)

    def feature(self, feature_id: str) -> Feature:
        return next(f for f in self.features if f.id == feature_id)
