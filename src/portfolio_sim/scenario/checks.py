"""Whole-scenario checks that run after the schema accepted every value on its own.

The schema (:mod:`.schema`) checks shapes, types, ranges and distribution parameters.
This module checks what needs the whole scenario, and reports every problem at once,
each naming the offending ids and the field path:

* duplicate ids among teams, features or risks;
* unknown ids in ``team``, ``depends_on`` and ``affects`` (with the closest id suggested),
  a feature depending on itself, an id listed twice in one list;
* dependency cycles, named in order: ``dependency cycle: a -> b -> c -> a`` reads
  "a depends on b, b depends on c, c depends on a"; each cycle (strongly connected group)
  is reported once, at the ``depends_on`` of its first feature in file order;
* a size kind that does not match the team kind (``effort`` on a throughput team,
  ``items`` on an effort team), and likewise risk impacts (``extra_effort`` on a feature
  of a throughput team, ``extra_items`` on a feature of an effort team);
* a throughput whose every possible draw rounds to 0 items (all-zero history);
* an effort team with features but no members now or after any staffing change;
* dates that are clearly wrong: a staffing change before ``start``, a ``deadline`` before
  ``start`` or before the feature's own ``not_before``, a ``not_before`` after the
  horizon (the feature could never start). A deadline after the horizon is allowed.

If the schema already failed, these checks do not run: the loader reports schema
problems first (see :func:`validate_data`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from portfolio_sim.errors import Problem
from portfolio_sim.scenario.correlation import check_correlation
from portfolio_sim.scenario.portfolio_risks import check_portfolio_risks
from portfolio_sim.scenario.problems import dedupe, format_path, schema_problems, suggest
from portfolio_sim.scenario.schema import Distribution, Scenario
from portfolio_sim.scenario.type_checks import type_problems


def _p(loc: tuple[str | int, ...], reason: str) -> Problem:
    return Problem(path=format_path(loc), reason=reason)


def _duplicates(scenario: Scenario) -> list[Problem]:
    out: list[Problem] = []
    for kind, entities in (
        ("team", scenario.teams),
        ("feature", scenario.features),
        ("risk", scenario.risks),
    ):
        first: dict[str, int] = {}
        for i, eid in enumerate(e.id for e in entities):
            if eid in first:
                where = format_path((kind + "s", first[eid]))
                out.append(_p((kind + "s", i, "id"), f"duplicate {kind} id {eid!r} (also {where})"))
            else:
                first[eid] = i
    return out


def _ref_list(
    loc: tuple[str | int, ...], refs: list[str], known: Mapping[str, Any], owner: str | None
) -> list[Problem]:
    """Problems in a list of feature ids (``depends_on`` or ``affects``)."""
    out: list[Problem] = []
    seen: set[str] = set()
    for j, ref in enumerate(refs):
        if ref == owner:
            out.append(_p((*loc, j), f"feature {ref!r} depends on itself"))
        elif ref not in known:
            out.append(_p((*loc, j), f"unknown feature {ref!r}{suggest(ref, known)}"))
        elif ref in seen:
            out.append(_p((*loc, j), f"feature {ref!r} is listed twice"))
        seen.add(ref)
    return out


def _references(scenario: Scenario) -> list[Problem]:
    return _references_of(
        [t.id for t in scenario.teams],
        [(i, f.id, f.team, f.depends_on) for i, f in enumerate(scenario.features)],
        [(i, r.affects) for i, r in enumerate(scenario.risks)],
    )


def _references_of(
    team_ids: list[str] | None,
    features: list[tuple[int, str, str | None, list[str]]],
    risks: list[tuple[int, list[str]]],
    feature_ids: list[str] | None = None,
) -> list[Problem]:
    """Unknown teams and features referenced by features (``team``, ``depends_on``) and
    risks (``affects``). ``None`` for a list of known ids skips the references to it."""
    teams = dict.fromkeys(team_ids) if team_ids is not None else None
    if feature_ids is None:
        feature_ids = [fid for _, fid, _, _ in features]
    known = dict.fromkeys(feature_ids)
    out: list[Problem] = []
    for i, fid, team, depends_on in features:
        if teams is not None and team is not None and team not in teams:
            out.append(_p(("features", i, "team"), f"unknown team {team!r}{suggest(team, teams)}"))
        out += _ref_list(("features", i, "depends_on"), depends_on, known, fid)
    for i, affects in risks:
        out += _ref_list(("risks", i, "affects"), affects, known, None)
    return out


def _raw_references(data: Mapping[str, Any]) -> list[Problem]:
    """:func:`_references` on data that failed schema validation, so that a wrong team or
    dependency id is reported in the same round as the schema errors. Entries too
    malformed to read are skipped; references to teams (features) are checked only if
    every team (feature) has a string id, so a broken entry never causes an 'unknown'."""

    def ids(entries: Any) -> list[str] | None:
        if not isinstance(entries, list):
            return None
        got = [e.get("id") if isinstance(e, Mapping) else None for e in entries]
        return got if all(isinstance(x, str) for x in got) else None  # type: ignore[return-value]

    def str_list(value: Any) -> list[str]:
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return value
        return []

    raw_features = data.get("features")
    raw_risks = data.get("risks")
    feature_ids = ids(raw_features)
    features = [
        (i, f["id"], f.get("team"), str_list(f.get("depends_on")))
        for i, f in enumerate(raw_features if isinstance(raw_features, list) else [])
        if isinstance(f, Mapping)
        and isinstance(f.get("id"), str)
        and (
            isinstance(f.get("team"), str)
            # a duration task or a shared feature has no team (docs/model.md §3.9-§3.10)
            or ("team" not in f and ("duration" in f or "parts" in f))
        )
    ]
    risks = [
        (i, str_list(r.get("affects")))
        for i, r in enumerate(raw_risks if isinstance(raw_risks, list) else [])
        if isinstance(r, Mapping)
    ]
    if feature_ids is None:  # dependencies cannot be judged: only team references
        features = [(i, fid, team, []) for i, fid, team, _ in features]
        risks = []
    return _references_of(ids(data.get("teams")), features, risks, feature_ids or [])


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components come with their nodes in any order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, edge = work.pop()
            if edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = graph[node]
            if edge < len(succ):
                work.append((node, edge + 1))
                nxt = succ[edge]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                comps.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return comps


def _shortest_cycle(graph: dict[str, list[str]], start: str, members: set[str]) -> list[str]:
    """Shortest path start -> ... -> start inside one strongly connected group."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier: list[str] = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if nxt not in parent:
                    parent[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return [start, start]  # unreachable for a real component


def _cycles(scenario: Scenario) -> list[Problem]:
    from portfolio_sim.scenario.breadth_checks import dependency_graph

    # Parts of shared features are nodes too (docs/model.md §3.9): F@team.
    graph, order = dependency_graph(scenario)
    out: list[Problem] = []
    comps = [c for c in _strongly_connected(graph) if len(c) > 1]
    for comp in sorted(comps, key=lambda c: min(order[n] for n in c)):
        start = min(comp, key=order.__getitem__)
        cycle = _shortest_cycle(graph, start, set(comp))
        out.append(
            _p(("features", order[start], "depends_on"), "dependency cycle: " + " -> ".join(cycle))
        )
    return out


def _max_draw(dist: Distribution) -> float | None:
    """Largest value a distribution can produce (None if unbounded)."""
    params = dist.params
    if dist.kind == "lognormal":
        return None
    if dist.kind == "fixed":
        return float(params)
    return max(float(v) for v in params)


def _teams(scenario: Scenario) -> list[Problem]:
    out: list[Problem] = []
    used = {f.team for f in scenario.features}
    for i, t in enumerate(scenario.teams):
        for j, change in enumerate(t.changes):
            if change.on < scenario.start:
                out.append(
                    _p(
                        ("teams", i, "changes", j, "on"),
                        f"staffing change of team {t.id!r} on {change.on} is before the start ({scenario.start})",
                    )
                )
        if t.throughput is not None:
            top = _max_draw(t.throughput)
            if top is not None and top < 0.5:
                kind = t.throughput.kind
                what = (
                    "all throughput samples are 0"
                    if kind == "samples"
                    else "every throughput draw rounds to 0"
                )
                out.append(
                    _p(
                        ("teams", i, "throughput", kind),
                        f"team {t.id!r}: {what}, so its features can never finish",
                    )
                )
        elif t.id in used and max([t.members, *(c.members for c in t.changes)]) == 0:
            out.append(
                _p(
                    ("teams", i, "members"),
                    f"team {t.id!r} has no members: its features can never finish",
                )
            )
    return out


def _sizes_and_impacts(scenario: Scenario) -> list[Problem]:
    out: list[Problem] = []
    kinds = {t.id: t.kind for t in scenario.teams}
    for i, f in enumerate(scenario.features):
        kind = kinds.get(f.team or "")
        if kind == "throughput" and f.effort is not None:
            out.append(
                _p(
                    ("features", i, "effort"),
                    f"feature {f.id!r} has effort (person-days) but team {f.team!r} is a throughput team: give items instead",
                )
            )
        elif kind == "effort" and f.items is not None:
            out.append(
                _p(
                    ("features", i, "items"),
                    f"feature {f.id!r} has items but team {f.team!r} is an effort team: give effort (person-days) instead",
                )
            )
    features = {f.id: f for f in scenario.features}
    wrong = {
        "extra_effort": ("throughput", "extra_items"),
        "extra_items": ("effort", "extra_effort"),
    }
    for i, r in enumerate(scenario.risks):
        if r.impact_kind not in wrong:
            continue
        bad_kind, instead = wrong[r.impact_kind]
        for fid in r.affects:
            hit = features.get(fid)
            if hit is not None and kinds.get(hit.team or "") == bad_kind:
                out.append(
                    _p(
                        ("risks", i, r.impact_kind),
                        f"risk {r.id!r} has {r.impact_kind} but affects feature {fid!r} of "
                        f"{bad_kind} team {hit.team!r} (use {instead})",
                    )
                )
    return out


def _dates(scenario: Scenario) -> list[Problem]:
    out: list[Problem] = []
    start, horizon = scenario.start, scenario.horizon_date
    for i, f in enumerate(scenario.features):
        if f.deadline is not None and f.deadline < start:
            out.append(
                _p(
                    ("features", i, "deadline"),
                    f"deadline ({f.deadline}) is before the start ({start})",
                )
            )
        elif f.deadline is not None and f.not_before is not None and f.deadline < f.not_before:
            out.append(
                _p(
                    ("features", i, "deadline"),
                    f"deadline ({f.deadline}) is before not_before ({f.not_before}): it can never be met",
                )
            )
        if f.not_before is not None and f.not_before > horizon:
            out.append(
                _p(
                    ("features", i, "not_before"),
                    f"not_before ({f.not_before}) is after the horizon ({horizon}): the feature could never start",
                )
            )
    return out


def _relative_sizes(scenario: Scenario) -> list[Problem]:
    """``size`` names and ``points`` resolve (docs/model.md §3.8), and each table is used
    by teams of one kind only (a table has one unit: person-days or items)."""
    from portfolio_sim.scenario.sizing import resolve

    out: list[Problem] = []
    kinds = {t.id: t.kind for t in scenario.teams}
    users: dict[str, dict[str, str]] = {"sizes": {}, "points": {}}
    for i, f in enumerate(scenario.features):
        if f.size_name is not None:
            table, field = "sizes", "size"
            if f.size_name not in scenario.sizes:
                known = ", ".join(scenario.sizes) or "none: add a top-level sizes table"
                out.append(
                    _p(
                        ("features", i, "size"),
                        f"unknown size {f.size_name!r} (sizes defined: {known})",
                    )
                )
                continue
        elif f.points is not None:
            table, field = "points", "points"
            if scenario.points is None:
                out.append(
                    _p(
                        ("features", i, "points"),
                        "points need a top-level points table, e.g. points: {per_point: "
                        "{lognormal: {p10: 1, p90: 4}}}",
                    )
                )
                continue
            try:
                resolve(f, scenario.sizes, scenario.points)
            except ValidationError as err:  # the scaled distribution is out of bounds
                reason = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
                out.append(_p(("features", i, field), f"{f.points:g} x per_point: {reason}"))
                continue
            except ValueError as err:
                out.append(_p(("features", i, field), str(err)))
                continue
        else:
            continue
        kind = kinds.get(f.team or "")
        if kind is not None:
            users[table].setdefault(kind, f"{f.id!r} of team {f.team!r}")
    for table, by_kind in users.items():
        if len(by_kind) > 1:
            out.append(
                _p(
                    (table,),
                    f"the {table} table is used by feature {by_kind['effort']} (an effort "
                    f"team: person-days) and by feature {by_kind['throughput']} (a throughput "
                    "team: items); a table has one unit, so give one of them its estimate",
                )
            )
    return out


def breadth_problems(scenario: Scenario) -> list[Problem]:
    """Checks of duration tasks and shared features (docs/model.md §3.9-§3.10)."""
    from portfolio_sim.scenario.breadth_checks import breadth_problems as problems

    return problems(scenario)


def check(scenario: Scenario) -> list[Problem]:
    """Every whole-scenario problem of a schema-valid scenario (empty list if none)."""
    problems = (
        _duplicates(scenario)
        + _references(scenario)
        + _cycles(scenario)
        + _teams(scenario)
        + _sizes_and_impacts(scenario)
        + _relative_sizes(scenario)
        + _dates(scenario)
        + check_correlation(scenario)
        + check_portfolio_risks(scenario)
        + breadth_problems(scenario)
        + type_problems(scenario)
    )
    return dedupe(problems)


def validate_data(data: Any) -> tuple[Scenario | None, list[Problem]]:
    """Schema-validate plain data, then run :func:`check`.

    Returns ``(scenario, [])`` when valid, else ``(None, problems)``. Paths in
    the problems are relative to the scenario (``features[0].team``); no file, no line.
    ``variant`` is rejected: which variant a scenario is comes from the caller.
    """
    if not isinstance(data, Mapping):
        shown = "empty" if data is None else f"a {type(data).__name__}"
        return None, [
            Problem(
                path="",
                reason=f"a scenario must be a mapping of fields (name, start, teams, features, ...), got {shown}",
            )
        ]
    problems: list[Problem] = []
    if "variant" in data:
        problems.append(
            Problem(
                path="variant",
                reason="unknown field 'variant' (choose a variant with --variant NAME or load(path, variant=NAME))",
            )
        )
        data = {k: v for k, v in data.items() if k != "variant"}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        return None, problems + schema_problems(err, Scenario) + _raw_references(data)
    problems += check(scenario)
    return (None if problems else scenario), problems
