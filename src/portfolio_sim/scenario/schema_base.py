"""The building blocks of the scenario schema (docs/model.md §0, §4): the strict base
model every scenario model derives from, the bounds on amounts, and the distribution
fields (estimates, throughput, ``items`` per type). The models of the whole file are in
:mod:`.schema`."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from portfolio_sim.distributions import KINDS, check_params

#: Largest magnitude of any quantity or amount (days, items, multipliers, money in any
#: currency's unit): a quadrillion, which no real portfolio reaches, and far below where
#: float64 sums and products stop meaning anything (``1e300`` days overflow to inf).
MAX_AMOUNT = 1e15
#: Most members a team (or a staffing change) may have: a "team" above this is a typo.
MAX_MEMBERS = 100_000
#: Largest WIP limit: a file holds at most 200,000 values, so far fewer features, and a
#: larger limit could only overflow the engines' integers.
MAX_WIP = 1_000_000

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _mentions(tp: Any, wanted: tuple[Any, ...]) -> bool:
    """Whether a type is, or has anywhere inside it, one of ``wanted``."""
    if any(tp is w for w in wanted):
        return True
    return any(_mentions(arg, wanted) for arg in get_args(tp))


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, list | tuple):
        return any(isinstance(v, bool) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, bool) for v in value.values())
    return False


class StrictModel(BaseModel):
    """The base of every scenario model: unknown keys, NaN/inf and booleans as numbers
    are errors."""

    # NaN and infinities are never meaningful in a scenario: reject them at the door.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Booleans are not numbers: ``members: true`` is an error, not 1."""
        if info.field_name is None or not _has_bool(value):
            return value
        annotation = cls.model_fields[info.field_name].annotation
        if _mentions(annotation, (float, int)) and not _mentions(annotation, (bool, Any)):
            shown = json.dumps(value, default=str)
            raise ValueError(f"expected a number, got a boolean ({shown[:40]})")
        return value


class Distribution(StrictModel):
    """An estimate: a mapping with exactly one key (docs/model.md §4)."""

    fixed: float | None = None
    uniform: list[float] | None = None
    triangular: list[float] | None = None
    pert: list[float] | None = None
    lognormal: dict[str, float] | None = None
    samples: list[float] | None = None
    integers: list[float] | None = None

    @field_validator("fixed", "uniform", "triangular", "pert", "lognormal", "samples", "integers")
    @classmethod
    def _params_valid(cls, value: Any, info: Any) -> Any:
        if value is None:
            return value
        reason = check_params(info.field_name, value, nonnegative=cls._nonnegative())
        if reason:
            raise ValueError(reason)
        numbers = (
            list(value.values())
            if isinstance(value, dict)
            else value
            if isinstance(value, list)
            else [value]
        )
        big = [float(v) for v in numbers if abs(float(v)) > MAX_AMOUNT]
        if big:
            raise ValueError(
                f"value {big[0]:g} is too large (at most {MAX_AMOUNT:g}; no estimate is that big)"
            )
        return value

    @classmethod
    def _nonnegative(cls) -> bool:
        return True

    @classmethod
    def _extra_keys(cls) -> frozenset[str]:
        return frozenset()

    @model_validator(mode="before")
    @classmethod
    def _known_kind(cls, data: Any) -> Any:
        """Name an unknown distribution key plainly (``normal`` is not a field typo)."""
        if isinstance(data, dict):
            unknown = [k for k in data if k not in KINDS and k not in cls._extra_keys()]
            if unknown:
                raise ValueError(
                    f"unknown distribution {unknown[0]!r}; expected one of {', '.join(KINDS)}"
                )
        elif not isinstance(data, Distribution):
            raise ValueError(
                f"expected a distribution mapping with one key, e.g. {{fixed: 10}} or "
                f"{{pert: [5, 8, 15]}} (got {data!r:.40})"
            )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Distribution:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a distribution needs exactly one of "
                + ", ".join(KINDS)
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        """The distribution's key, e.g. ``"pert"``."""
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def params(self) -> Any:
        """The distribution's parameters as written."""
        return getattr(self, self.kind)


class Throughput(Distribution):
    """Items completed per period: ``samples`` (history) or any other distribution."""

    per: Literal["week", "day"] = "week"
    #: Throughput by item type (docs/model.md §2.10): type -> items of that type done per
    #: period, aligned with ``samples`` (checked in scenario/type_checks.py).
    by_type: dict[str, list[float]] | None = None

    @classmethod
    def _extra_keys(cls) -> frozenset[str]:
        return frozenset({"per", "by_type"})


def _items_tag(value: Any) -> str:
    """``items`` per type (a mapping of type names, docs/model.md §2.10) or one estimate."""
    if isinstance(value, dict) and value and not any(k in KINDS for k in value):
        return "typed"
    return "dist"


#: A feature's ``items``: one estimate, or one estimate per item type of its team.
Items = Annotated[
    Annotated[Distribution, Tag("dist")] | Annotated[dict[str, Distribution], Tag("typed")],
    Discriminator(_items_tag),
]
