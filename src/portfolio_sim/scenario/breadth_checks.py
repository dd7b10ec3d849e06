"""Whole-scenario checks of duration tasks and shared features (docs/model.md §3.9-§3.10).

Called by :func:`portfolio_sim.scenario.checks.check`; paths point into the file as
written (``features[3].parts[1].team``), never into the engines' view.
"""

from __future__ import annotations

from portfolio_sim.errors import Problem
from portfolio_sim.scenario.expand import TASK_TEAM_MARK, part_id
from portfolio_sim.scenario.problems import format_path, suggest
from portfolio_sim.scenario.schema import Scenario


def _p(loc: tuple[str | int, ...], reason: str) -> Problem:
    return Problem(path=format_path(loc), reason=reason)


def dependency_graph(scenario: Scenario) -> tuple[dict[str, list[str]], dict[str, int]]:
    """What each node waits for, parts included (``F@team`` waits for ``F``'s
    dependencies and the parts in its ``after``; ``F`` waits for its parts), and the
    index of the feature each node belongs to (first occurrence)."""
    order: dict[str, int] = {}
    for i, f in reversed(list(enumerate(scenario.features))):
        order[f.id] = i
    graph: dict[str, list[str]] = {fid: [] for fid in order}
    for i, f in enumerate(scenario.features):
        deps = [d for d in f.depends_on if d in graph and d != f.id]
        if f.parts is None:
            graph[f.id] += deps
            continue
        for part in f.parts:
            pid = part_id(f.id, part.team)
            if pid in order:  # a clash, reported by breadth_problems
                continue
            order.setdefault(pid, i)
            graph.setdefault(pid, [])
            graph[pid] += deps + [part_id(f.id, a) for a in part.after if a != part.team]
            graph[f.id].append(pid)
    for node, deps in graph.items():
        graph[node] = [d for d in deps if d in graph]
    return graph, order


def breadth_problems(scenario: Scenario) -> list[Problem]:
    """Reserved team ids, and parts' teams, order, sizes and risks."""
    out: list[Problem] = []
    kinds = {t.id: t.kind for t in scenario.teams}
    feature_ids = {f.id for f in scenario.features}
    for i, t in enumerate(scenario.teams):
        if t.id.startswith(TASK_TEAM_MARK):
            out.append(
                _p(
                    ("teams", i, "id"),
                    f"team id {t.id!r} starts with {TASK_TEAM_MARK!r}, which is reserved for "
                    "the teams of duration tasks (docs/model.md §3.10)",
                )
            )
    for i, f in enumerate(scenario.features):
        if f.parts is None:
            continue
        teams = [p.team for p in f.parts]
        for j, part in enumerate(f.parts):
            loc = ("features", i, "parts", j)
            kind = kinds.get(part.team)
            if kind is None:
                out.append(
                    _p((*loc, "team"), f"unknown team {part.team!r}{suggest(part.team, kinds)}")
                )
            elif teams.index(part.team) < j:
                out.append(
                    _p(
                        (*loc, "team"),
                        f"feature {f.id!r} has two parts for team {part.team!r} (give one "
                        "part per team, with the sum of their estimates)",
                    )
                )
            elif kind == "throughput" and part.effort is not None:
                out.append(
                    _p(
                        (*loc, "effort"),
                        f"team {part.team!r} is a throughput team: give the part items instead",
                    )
                )
            elif kind == "effort" and part.items is not None:
                out.append(
                    _p(
                        (*loc, "items"),
                        f"team {part.team!r} is an effort team: give the part effort instead",
                    )
                )
            pid = part_id(f.id, part.team)
            if pid in feature_ids:
                out.append(
                    _p(
                        (*loc, "team"),
                        f"this part's id {pid!r} is also a feature's id: rename that feature",
                    )
                )
            for k, after in enumerate(part.after):
                if after == part.team:
                    out.append(_p((*loc, "after", k), f"part {pid!r} is after itself"))
                elif after not in teams:
                    out.append(
                        _p(
                            (*loc, "after", k),
                            f"feature {f.id!r} has no part for team {after!r}{suggest(after, teams)}",
                        )
                    )
    features = {f.id: f for f in scenario.features}
    for i, r in enumerate(scenario.risks):
        for fid in r.affects:
            hit = features.get(fid)
            if hit is None:
                continue
            if hit.parts is not None and r.impact_kind != "delay":
                out.append(
                    _p(
                        ("risks", i, r.impact_kind),
                        f"risk {r.id!r} has {r.impact_kind} but affects shared feature "
                        f"{fid!r}, whose work is in its parts (use delay)",
                    )
                )
            elif hit.duration is not None and r.impact_kind == "extra_items":
                out.append(
                    _p(
                        ("risks", i, r.impact_kind),
                        f"risk {r.id!r} has extra_items but affects duration task {fid!r} "
                        "(use delay, or extra_effort for extra working days)",
                    )
                )
    return out
