"""A request's edits -> the steps of a variant (docs/model.md §7), applied and validated.

The page and scripts send a list of small edits, each naming what it changes::

    {"kind": "team", "id": "web", "field": "members", "value": 8}
    {"kind": "team", "id": "web", "field": "changes.0.on", "value": "2027-05-03"}
    {"kind": "feature", "id": "b2b-quote", "field": "in", "value": false}
    {"kind": "feature", "id": "loyalty", "field": "not_before", "value": "2027-07-01"}
    {"kind": "feature", "id": "loyalty", "field": "priority", "value": 3}
    {"kind": "order", "value": ["checkout", "loyalty", ...]}
    {"kind": "budget", "field": "total", "value": 7000000}
    {"kind": "horizon", "value": "2029-06-30"}

Only these knobs can be changed (:data:`TEAM_FIELDS`, :data:`FEATURE_FIELDS`, budget,
horizon, priority order), and every id must be one of the scenario's ids: nothing in a
request is a path, and nothing reaches the file system. Each edit becomes one variant step
(``set``; ``in: false`` becomes ``remove``; ``in: true`` changes nothing; ``order`` gives
the listed features priorities 1, 2, ... in that order, one ``set`` step), and the steps
are applied by :func:`portfolio_sim.scenario.apply_variant`, so an edited plan is checked
exactly like a variant in the file (dangling references, schema, dates) and keeps the
common random numbers of docs/model.md §7.3: the difference from the base is the change.

Problems name the edit: ``edits[2].id: no team 'paymnts' (did you mean 'payments'?)``,
``edits[0]: teams[0].members: Input should be greater than or equal to 0``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from portfolio_sim.errors import Problem, ScenarioError
from portfolio_sim.scenario import Scenario, apply_variant
from portfolio_sim.scenario.problems import format_path, suggest
from portfolio_sim.scenario.schema import VariantChange

#: Fields of a team the service may set (``changes.N.on|members|ramp_days`` too).
TEAM_FIELDS = ("members", "focus", "wip_limit")
#: Fields of a staffing change (docs/model.md §2.6) the service may set.
CHANGE_FIELDS = ("on", "members", "ramp_days")
#: Fields of a feature the service may set; ``in`` (true/false) keeps or removes it.
FEATURE_FIELDS = ("in", "priority", "not_before")
#: Fields whose value is a date (``YYYY-MM-DD`` in JSON).
DATE_FIELDS = ("on", "not_before", "horizon")
#: The name of the in-memory variant the edits are applied as.
VARIANT = "edits"

_CHANGE = re.compile(r"changes\.(\d{1,4})\.(on|members|ramp_days)")
_Text = Annotated[str, Field(max_length=200)]


class Edit(BaseModel):
    """One change to the plan (see the module docstring for the forms)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["team", "feature", "budget", "horizon", "order"]
    id: _Text | None = None
    field: Annotated[str, Field(max_length=100)] | None = None
    value: bool | int | float | _Text | list[_Text] | None = None


def _date(value: Any, where: str, problems: list[Problem], *, optional: bool) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(where, f"expected a date YYYY-MM-DD, got {value!r}"))
    return None


def _entity_ids(entities: Sequence[Any]) -> list[str]:
    return [e.id for e in entities]


def edit_steps(
    scenario: Scenario, edits: Sequence[Edit]
) -> tuple[list[dict[str, Any]], list[int], list[Problem]]:
    """The variant steps of ``edits`` on ``scenario``, the edit each step came from, and
    the problems found before applying anything (unknown ids, fields, bad dates)."""
    teams = _entity_ids(scenario.teams)
    features = _entity_ids(scenario.features)
    steps: list[dict[str, Any]] = []
    origin: list[int] = []
    problems: list[Problem] = []

    def step(i: int, change: dict[str, Any]) -> None:
        steps.append(change)
        origin.append(i)

    for i, edit in enumerate(edits):
        at = format_path(("edits", i))
        value: Any = edit.value
        if edit.kind in ("team", "feature"):
            known = teams if edit.kind == "team" else features
            if edit.id is None:
                problems.append(Problem(f"{at}.id", f"a {edit.kind} edit needs an id"))
                continue
            if edit.id not in known:
                problems.append(
                    Problem(f"{at}.id", f"no {edit.kind} {edit.id!r}{suggest(edit.id, known)}")
                )
                continue
        if isinstance(value, list) and edit.kind != "order":
            problems.append(Problem(f"{at}.value", "expected a single value, not a list"))
            continue
        if edit.kind == "team":
            change = _CHANGE.fullmatch(edit.field or "")
            if edit.field not in TEAM_FIELDS and change is None:
                allowed = ", ".join((*TEAM_FIELDS, "changes.N.on|members|ramp_days"))
                problems.append(
                    Problem(
                        f"{at}.field", f"cannot edit {edit.field!r} of a team; one of {allowed}"
                    )
                )
                continue
            if change is not None and change.group(2) == "on":
                value = _date(value, f"{at}.value", problems, optional=False)
            step(i, {"set": {f"teams.{edit.id}.{edit.field}": value}})
        elif edit.kind == "feature":
            if edit.field not in FEATURE_FIELDS:
                allowed = ", ".join(FEATURE_FIELDS)
                problems.append(
                    Problem(
                        f"{at}.field", f"cannot edit {edit.field!r} of a feature; one of {allowed}"
                    )
                )
                continue
            if edit.field == "in":
                if not isinstance(value, bool):
                    problems.append(
                        Problem(f"{at}.value", f"expected true or false, got {value!r}")
                    )
                elif not value:
                    step(i, {"remove": {"features": [edit.id]}})
                continue
            if edit.field == "not_before":
                value = _date(value, f"{at}.value", problems, optional=True)
            step(i, {"set": {f"features.{edit.id}.{edit.field}": value}})
        elif edit.kind == "budget":
            if edit.field not in (None, "total"):
                problems.append(Problem(f"{at}.field", "the budget's editable field is total"))
                continue
            step(i, {"set": {"budget.total": value}})
        elif edit.kind == "horizon":
            step(i, {"set": {"horizon": _date(value, f"{at}.value", problems, optional=False)}})
        else:  # order
            if not isinstance(value, list):
                problems.append(Problem(f"{at}.value", "expected the list of feature ids"))
                continue
            bad = [x for x in value if x not in features]
            twice = sorted({x for x in value if value.count(x) > 1})
            for x in bad:
                problems.append(Problem(f"{at}.value", f"no feature {x!r}{suggest(x, features)}"))
            if twice:
                problems.append(Problem(f"{at}.value", f"listed twice: {', '.join(twice)}"))
            if not bad and not twice and value:
                step(i, {"set": {f"features.{x}.priority": k + 1 for k, x in enumerate(value)}})
    return steps, origin, problems


_STEP_PATH = re.compile(
    r"^variants\." + VARIANT + r"\[(\d+)\](?:\.set\[[^\]]*\]|\.remove\.\w+\[\d+\])?"
)


def _renamed(problem: Problem, origin: list[int]) -> Problem:
    """A variant step's problem, said about the edit it came from."""
    m = _STEP_PATH.match(problem.path)
    if m is None:
        return Problem(problem.path, problem.reason)
    path = format_path(("edits", origin[int(m.group(1))])) + problem.path[m.end() :]
    return Problem(path, problem.reason)


def apply_edits(scenario: Scenario, edits: Sequence[Edit]) -> Scenario:
    """``scenario`` with ``edits`` applied, validated like a variant of the file.

    Raises :class:`ScenarioError` listing every problem, each named by its edit. No edit
    (or only ``in: true``) returns ``scenario`` itself."""
    steps, origin, problems = edit_steps(scenario, edits)
    if problems:
        raise ScenarioError(problems)
    if not steps:
        return scenario
    trial = scenario.model_copy(
        update={"variants": {VARIANT: [VariantChange.model_validate(s) for s in steps]}}
    )
    try:
        edited = apply_variant(trial, VARIANT)
    except ScenarioError as err:
        raise ScenarioError([_renamed(p, origin) for p in err.problems]) from None
    return edited.model_copy(update={"variants": dict(scenario.variants), "variant": None})
