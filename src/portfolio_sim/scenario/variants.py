"""Variants: named lists of changes applied in order to the base scenario (docs/model.md §7).

A change is one of:

``set: {path: value, ...}``
    Replace one field. The path's first part is a top-level key. Under ``teams``,
    ``features`` and ``risks`` the next part is an entity **id** (ids may contain dots;
    the longest id that matches wins), e.g. ``teams.web.members``,
    ``features.one-click.team``, ``teams.web.throughput.samples``. Elsewhere parts are
    plain keys (``budget.total``, ``discount_rate``) or list indexes
    (``teams.web.changes.0.members``). Missing mappings on the way are created, so
    ``budget.total`` works on a scenario without a budget. The ``report`` block
    (docs/model.md §0.4) is not the model: a variant cannot set it, so the base and every
    variant are reported at the same percentile levels (``compare`` shows them side by
    side).
``add: {teams|features|risks: [entity, ...]}``
    Append entities (validated like entities in the file).
``remove: {teams|features|risks: [id, ...]}``
    Delete entities by id. Removing leaves no reference behind silently: a removed
    feature that other features still name in ``depends_on``, or that risks still name in
    ``affects``, and a removed team that features still belong to, are errors **at the
    remove step**, naming every dependent: ``variants.drop-core[0]: removes core-api,
    which checkout-ui depends on``, ``... removes core-api, which risk vendor-late
    affects``, ``... removes team web, which features a and b belong to``. What counts is
    the scenario after the *whole* variant: removing (or rewiring with ``set``) the
    dependents in the same variant, before or after, is fine. (The old rule dropped the
    id from ``depends_on`` and ``affects`` silently, which forecast a different portfolio
    from the one the user described: a feature that waited for another no longer did.)

After all steps the result is validated again (schema + :mod:`.checks`). Each problem's
path is prefixed with the step that introduced it: ``variants.NAME[i]: features[2].team``
(the step after which the problem appears and stays until the end), so a dangling
reference made by an ``add`` or ``set`` (an unknown team, ``depends_on`` or ``affects``)
is reported at that step: ``variants.NAME[i]: features[2].team: unknown team 'web3'``. A
step that cannot be applied (an unknown id) is reported at its own path, e.g.
``variants.NAME[i].set["features.paymnts.team"]``, and skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
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


#: Why a variant may not ``set`` the ``report`` block (docs/model.md §7).
_REPORT_FIXED = (
    "a variant cannot change the report options: the base and every variant are reported "
    "at the same percentile levels (set report.percentiles at the top of the file, or use "
    "--percentiles)"
)


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
    return errors


#: A reference to an entity: (kind of the referrer, its id, field), e.g.
#: ("features", "checkout-ui", "depends_on"), ("risks", "vendor-late", "affects"),
#: ("features", "checkout-ui", "team").
_Ref = tuple[str, str, str]


def _referrers(data: dict[str, Any], kind: str, target: str) -> list[_Ref]:
    """Who names ``target`` (a feature or team id) in ``data``, in file order."""
    out: list[_Ref] = []
    if kind not in ("features", "teams"):
        return out
    for rkind, field in (
        (("features", "depends_on"), ("risks", "affects"))
        if kind == "features"
        else (("features", "team"),)
    ):
        for e in _entities(data, rkind):
            if _names(e, field, target):
                out.append((rkind, e["id"], field))
    return out


def _entities(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The well-formed entities (mappings with a string id) of ``kind`` in ``data``."""
    got = data.get(kind)
    if not isinstance(got, list):
        return []
    return [e for e in got if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _names(entity: dict[str, Any], field: str, target: str) -> bool:
    value = entity.get(field)
    return value == target if field == "team" else isinstance(value, list) and target in value


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class _Removal:
    """A feature or team removed at a step, with who referred to it just before."""

    step: int
    kind: str
    id: str
    referrers: list[_Ref]


def _dangling_removals(
    data: dict[str, Any], removals: list[_Removal], loc: tuple[str | int, ...]
) -> tuple[list[Problem], set[str]]:
    """Problems for removed ids still referred to after the whole variant.

    A reference counts against the remove step when the referrer named the id just
    before that step and still does at the end, while the id is gone. Returns the
    problems and the field paths (``features[3].depends_on[0]``) of those references,
    whose generic 'unknown feature' problems they replace.
    """
    problems: list[Problem] = []
    covered: set[str] = set()
    for rem in removals:
        if rem.id in _ids(data.get(rem.kind)):
            continue  # added again later in the variant
        still: dict[str, list[str]] = {}
        for rkind, rid, field in rem.referrers:
            got = data.get(rkind)
            entities = got if isinstance(got, list) else []
            for i, e in enumerate(entities):
                if not (isinstance(e, dict) and e.get("id") == rid and _names(e, field, rem.id)):
                    continue
                if rid not in still.get(field, []):
                    still.setdefault(field, []).append(rid)
                if field == "team":
                    covered.add(format_path((rkind, i, field)))
                else:
                    covered |= {
                        format_path((rkind, i, field, j))
                        for j, ref in enumerate(e[field])
                        if ref == rem.id
                    }
        where = format_path((*loc, rem.step))
        if "depends_on" in still:
            verb = "depends" if len(still["depends_on"]) == 1 else "depend"
            problems.append(
                Problem(where, f"removes {rem.id}, which {_and(still['depends_on'])} {verb} on")
            )
        if "affects" in still:
            risks = still["affects"]
            what = f"risk {risks[0]} affects" if len(risks) == 1 else f"risks {_and(risks)} affect"
            problems.append(Problem(where, f"removes {rem.id}, which {what}"))
        if "team" in still:
            feats = still["team"]
            what = "feature {} belongs" if len(feats) == 1 else "features {} belong"
            problems.append(
                Problem(where, f"removes team {rem.id}, which {what.format(_and(feats))} to")
            )
    return problems, covered


def _apply_step(
    data: dict[str, Any],
    step: VariantChange,
    loc: tuple[str | int, ...],
    removals: list[_Removal] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    if step.set is not None:
        for path, value in step.set.items():
            reason = _REPORT_FIXED if path.split(".")[0] == "report" else _set(data, path, value)
            if reason:
                problems.append(Problem(format_path((*loc, "set", path)), reason))
    elif step.add is not None:
        for kind, entities in step.add.items():
            existing = data.get(kind)
            data[kind] = (existing if isinstance(existing, list) else []) + copy.deepcopy(entities)
    elif step.remove is not None:
        for kind, ids in step.remove.items():
            if removals is not None:
                removals += [
                    _Removal(int(loc[-1]), kind, x, _referrers(data, kind, x))
                    for x in dict.fromkeys(ids)
                    if x in _ids(data.get(kind))
                ]
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
    removals: list[_Removal] = []
    steps = base.variants[name]
    for i, step in enumerate(steps):
        step_problems += _apply_step(data, step, (*loc, i), removals)
        if i < len(steps) - 1:  # after the last step: the final validation below
            after_step.append(set(validate_data(copy.deepcopy(data))[1]))
    dangling, covered = _dangling_removals(data, removals, loc)
    result, final = validate_data(data)
    after_step.append(set(final))
    problems = step_problems + dangling
    for p in final:
        if p.path in covered:  # said better by the remove step's problem
            continue
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
