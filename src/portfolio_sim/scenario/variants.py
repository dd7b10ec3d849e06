"""Variants: named lists of changes applied in order to the base scenario (docs/model.md §7).

A change is one of:

``set: {path: value, ...}``
    Replace one field. The path's first part is a top-level key. Under ``teams``,
    ``features`` and ``risks`` the next part is an entity **id** (ids may contain dots;
    the longest id that matches wins), e.g. ``teams.web.members``,
    ``features.one-click.team``, ``teams.web.throughput.samples``. Elsewhere parts are
    plain keys (``budget.total``, ``discount_rate``) or list indexes
    (``teams.web.changes.0.members``). Missing mappings on the way are created, so
    ``budget.total`` works on a scenario without a budget.
``add: {teams|features|risks: [entity, ...]}``
    Append entities (validated like entities in the file).
``remove: {teams|features|risks: [id, ...]}``
    Delete entities by id. **Removing a feature also drops it from other features'
    ``depends_on`` and from risks' ``affects``, and removes a risk left with nothing to
    affect** — the variant "without feature X" means exactly that. Removing a *team* does
    not touch its features: reassign or remove them (in the same variant); if any still
    name the team, validation reports an unknown team.

After all steps the result is validated again (schema + :mod:`.checks`). Each problem's
path is prefixed with the step that introduced it: ``variants.NAME[i]: features[2].team``
(the step after which the problem appears and stays until the end). A step that cannot be
applied (an unknown id) is reported at its own path, e.g.
``variants.NAME[i].set["features.paymnts.team"]``, and skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from portfolio_sim.errors import Problem, ScenarioError
from portfolio_sim.scenario.checks import validate_data
from portfolio_sim.scenario.problems import format_path, suggest
from portfolio_sim.scenario.schema import Scenario, VariantChange

ENTITY_KINDS = ("teams", "features", "risks")


def _ids(entities: Any) -> list[str]:
    if not isinstance(entities, list):
        return []
    return [e["id"] for e in entities if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _split_entity(entities: list[Any], rest: str) -> tuple[int, str | None] | None:
    """Find the entity that ``rest`` (``ID`` or ``ID.field...``) addresses.

    Ids may contain dots: the longest id followed by a field wins, else an exact id.
    Returns (index in ``entities``, remaining path or None for the whole entity).
    """
    ids = [
        (i, e["id"])
        for i, e in enumerate(entities)
        if isinstance(e, dict) and isinstance(e.get("id"), str)
    ]
    inner = [(len(eid), i, eid) for i, eid in ids if rest.startswith(eid + ".")]
    if inner:
        _, i, eid = max(inner)
        return i, rest[len(eid) + 1 :]
    exact = [i for i, eid in ids if eid == rest]
    return (exact[0], None) if exact else None


def _set(data: dict[str, Any], path: str, value: Any) -> str | None:
    """Set ``path`` to ``value`` in ``data``; return why it cannot be done, or None."""
    node: Any = data
    kind, _, rest = path.partition(".")
    if kind in ENTITY_KINDS and rest:
        entities = data.get(kind)
        entities = entities if isinstance(entities, list) else []
        found = _split_entity(entities, rest)
        if found is None:
            wanted = rest.split(".")[0]
            if not wanted:
                return f"invalid path {path!r}: empty part"
            return f"no {kind[:-1]} {wanted!r}{suggest(wanted, _ids(entities))}"
        index, field_path = found
        if field_path is None:  # replace the whole entity
            entities[index] = copy.deepcopy(value)
            return None
        node, path_left = entities[index], field_path
    else:
        path_left = path
    parts = path_left.split(".")
    if any(p == "" for p in parts):
        return f"invalid path {path!r}: empty part"
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[part] = copy.deepcopy(value)
                return None
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"invalid path {path!r}: {part!r} is not an index of a list of {len(node)}"
            if last:
                node[int(part)] = copy.deepcopy(value)
                return None
            node = node[int(part)]
        else:
            return f"invalid path {path!r}: {parts[i - 1]!r} is a value, not a mapping"
    return None  # pragma: no cover - the loop always returns


def _remove(data: dict[str, Any], kind: str, ids: list[str]) -> list[tuple[int, str]]:
    """Remove entities; returns (index in ``ids``, reason) for ids that do not exist."""
    entities = data.get(kind)
    if not isinstance(entities, list):
        entities = []
    present = _ids(entities)
    errors = [
        (j, f"no {kind[:-1]} {x!r}{suggest(x, present)}")
        for j, x in enumerate(ids)
        if x not in present
    ]
    gone = set(ids)
    data[kind] = [e for e in entities if not (isinstance(e, dict) and e.get("id") in gone)]
    if kind == "features":
        for f in data["features"]:
            if isinstance(f, dict) and isinstance(f.get("depends_on"), list):
                f["depends_on"] = [d for d in f["depends_on"] if d not in gone]
        risks = data.get("risks")
        if isinstance(risks, list):
            kept = []
            for r in risks:
                if isinstance(r, dict) and isinstance(r.get("affects"), list):
                    r["affects"] = [a for a in r["affects"] if a not in gone]
                    if not r["affects"]:
                        continue
                kept.append(r)
            data["risks"] = kept
    return errors


def _apply_step(
    data: dict[str, Any], step: VariantChange, loc: tuple[str | int, ...]
) -> list[Problem]:
    problems: list[Problem] = []
    if step.set is not None:
        for path, value in step.set.items():
            reason = _set(data, path, value)
            if reason:
                problems.append(Problem(format_path((*loc, "set", path)), reason))
    elif step.add is not None:
        for kind, entities in step.add.items():
            existing = data.get(kind)
            data[kind] = (existing if isinstance(existing, list) else []) + copy.deepcopy(entities)
    elif step.remove is not None:
        for kind, ids in step.remove.items():
            for j, reason in _remove(data, kind, ids):
                problems.append(Problem(format_path((*loc, "remove", kind, j)), reason))
    return problems


def _base(scenario: Scenario | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    base, problems = validate_data(scenario)
    if base is None:
        raise ScenarioError(problems)
    return base


def apply_variant(scenario: Scenario | Mapping[str, Any], name: str) -> Scenario:
    """The scenario with variant ``name``'s changes applied in order, validated again.

    ``scenario`` is a validated :class:`Scenario` or plain data (validated first). The
    result has ``.variant == name`` and keeps the base's ``variants``. Raises
    :class:`ScenarioError` for an unknown variant name or a variant that breaks the model.
    """
    base = _base(scenario)
    if name not in base.variants:
        available = ", ".join(base.variants) or "none"
        raise ScenarioError(
            Problem(
                path="variants",
                reason=f"unknown variant {name!r}{suggest(name, base.variants)}; available: {available}",
            )
        )
    data = base.model_dump(by_alias=True, exclude_none=True)
    loc: tuple[str | int, ...] = ("variants", name)
    step_problems: list[Problem] = []
    after_step: list[set[Problem]] = []
    steps = base.variants[name]
    for i, step in enumerate(steps):
        step_problems += _apply_step(data, step, (*loc, i))
        if i < len(steps) - 1:  # after the last step: the final validation below
            after_step.append(set(validate_data(copy.deepcopy(data))[1]))
    result, final = validate_data(data)
    after_step.append(set(final))
    problems = list(step_problems)
    for p in final:
        k = len(after_step) - 1
        while k > 0 and p in after_step[k - 1]:
            k -= 1
        where = format_path((*loc, max(k, 0)))
        problems.append(Problem(f"{where}: {p.path}" if p.path else where, p.reason))
    if problems or result is None:
        raise ScenarioError(problems)
    result.variant = name
    return result


def validate_all_variants(scenario: Scenario) -> list[Problem]:
    """Problems of every variant of ``scenario`` (empty if all apply cleanly)."""
    problems: list[Problem] = []
    for name in scenario.variants:
        try:
            apply_variant(scenario, name)
        except ScenarioError as err:
            problems += err.problems
    return problems
