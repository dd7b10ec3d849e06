"""The calendar, budget and team parts of the scenario schema (docs/model.md §1, §2,
§6.9): holidays, working weekdays, budgets, team calendars and staffing changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from portfolio_sim.scenario.schema_base import (
    MAX_AMOUNT,
    MAX_MEMBERS,
    MAX_WIP,
    StrictModel,
    Throughput,
    Weekday,
)

#: The default working week.
_MON_TO_FRI: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class HolidayRange(StrictModel):
    from_: dt.date = Field(alias="from")
    to: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> HolidayRange:
        if self.to < self.from_:
            raise ValueError(f"range ends ({self.to}) before it starts ({self.from_})")
        return self


def _holiday_tag(value: Any) -> str:
    return "range" if isinstance(value, dict | HolidayRange) else "date"


#: A holiday is a single date or an inclusive ``{from: date, to: date}`` range.
Holiday = Annotated[
    Annotated[dt.date, Tag("date")] | Annotated[HolidayRange, Tag("range")],
    Discriminator(_holiday_tag),
]


class Calendar(StrictModel):
    workdays: list[Weekday] = Field(default_factory=lambda: list(_MON_TO_FRI))
    holidays: list[Holiday] = Field(default_factory=list)

    @field_validator("workdays")
    @classmethod
    def _some_workdays(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one working weekday is needed")
        if len(set(value)) != len(value):
            raise ValueError("a weekday is listed twice")
        return value


class Budget(StrictModel):
    total: float | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    #: Per-quarter amounts keyed "YYYY-Qn" (extension of docs/model.md §6.9).
    quarters: dict[str, float] = Field(default_factory=dict)

    @field_validator("quarters")
    @classmethod
    def _quarter_keys(cls, value: dict[str, float]) -> dict[str, float]:
        import re

        for key, amount in value.items():
            if not re.fullmatch(r"\d{4}-?Q[1-4]", key):
                raise ValueError(f"quarter {key!r} must look like 2027-Q1")
            if amount < 0:
                raise ValueError(f"quarter {key} amount is negative")
            if amount > MAX_AMOUNT:
                raise ValueError(f"quarter {key} amount is too large (at most {MAX_AMOUNT:g})")
        return value


class Availability(StrictModel):
    """A share of a team's capacity over an inclusive date range (docs/model.md §2.8)."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    share: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Availability:
        if self.to < self.from_:
            raise ValueError(f"range ends ({self.to}) before it starts ({self.from_})")
        return self


class StaffingChange(StrictModel):
    on: dt.date
    members: float = Field(ge=0, le=MAX_MEMBERS)
    ramp_days: float = Field(default=0, ge=0, le=MAX_AMOUNT)


class Team(StrictModel):
    id: str = Field(min_length=1)
    members: float = Field(default=0, ge=0, le=MAX_MEMBERS)
    focus: float = Field(default=1.0, gt=0, le=1)
    cost_per_member_day: float = Field(default=0, ge=0, le=MAX_AMOUNT)
    wip_limit: int = Field(default=1, ge=1, le=MAX_WIP)
    changes: list[StaffingChange] = Field(default_factory=list)
    throughput: Throughput | None = None
    release: Literal["done", "horizon"] = "done"
    #: Team calendar (docs/model.md §2.8): days off for this team only, and ranges at a
    #: share of its capacity. Effort teams only.
    holidays: list[Holiday] = Field(default_factory=list)
    availability: list[Availability] = Field(default_factory=list)

    @field_validator("holidays", "availability")
    @classmethod
    def _effort_only(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        if value and info.data.get("throughput") is not None:
            raise ValueError(
                f"{info.field_name} apply to effort teams only: a throughput team's history "
                "already reflects its absences (scale its throughput in a variant instead)"
            )
        return value

    @field_validator("availability")
    @classmethod
    def _no_overlap(cls, value: list[Availability]) -> list[Availability]:
        ranges = sorted(value, key=lambda a: a.from_)
        for a, b in zip(ranges, ranges[1:], strict=False):
            if b.from_ <= a.to:
                raise ValueError(
                    f"ranges {a.from_}..{a.to} and {b.from_}..{b.to} overlap (a day has one share)"
                )
        return value

    @property
    def kind(self) -> Literal["effort", "throughput"]:
        return "throughput" if self.throughput is not None else "effort"

    @field_validator("changes")
    @classmethod
    def _changes_in_order(cls, value: list[StaffingChange]) -> list[StaffingChange]:
        for a, b in zip(value, value[1:], strict=False):
            if b.on <= a.on:
                raise ValueError(f"changes must be in date order ({b.on} after {a.on})")
        return value
