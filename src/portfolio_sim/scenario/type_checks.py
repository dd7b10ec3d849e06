"""Whole-scenario checks of throughput by item type (docs/model.md §2.10).

A throughput team may state ``by_type``: for each item type, the items of that type done
per period, *aligned* with its ``samples`` (period k is the same period in every list).
A feature of such a team states ``items`` per type. Reported here, each at its field:

* ``by_type`` on a team whose throughput is not ``samples`` (nothing to align with), an
  empty ``by_type``, a type named twice (case-insensitively), blank, or named like a
  distribution key (``fixed``: a feature's items per type could not be told from one
  estimate);
* a list whose length differs from ``samples``, a count that is not a whole number >= 0,
  a period whose types' counts sum above its sample;
* a feature of a typed team without items per type (one estimate, ``size``, ``points``),
  or a shared-feature part on such a team; items per type on a team without ``by_type``;
* a type the team has no samples for (unknown, with the closest name suggested), or whose
  history is all zeros while the feature may need items of it (they could never be done);
* what the engines do not define for items per type: ``growth``, membership of a
  correlation group, ``extra_items`` / ``extra_fraction`` risks.
"""

from __future__ import annotations

from portfolio_sim.distributions import KINDS
from portfolio_sim.errors import Problem
from portfolio_sim.scenario.problems import format_path, suggest
from portfolio_sim.scenario.schema import Distribution, Scenario


def _p(loc: tuple[str | int, ...], reason: str) -> Problem:
    return Problem(path=format_path(loc), reason=reason)


def _may_exceed_zero(dist: Distribution) -> bool:
    """Whether a draw of ``dist`` can be above 0 (so some items are needed)."""
    if dist.kind == "fixed":
        return float(dist.params) > 0.0
    if dist.kind == "lognormal":
        return True
    return max(float(v) for v in dist.params) > 0.0


def _team_types(scenario: Scenario) -> tuple[dict[str, dict[str, list[float]]], list[Problem]]:
    """Each typed team's valid ``by_type`` (team id -> type -> counts), and the problems of
    the teams' ``by_type`` fields."""
    out: list[Problem] = []
    typed: dict[str, dict[str, list[float]]] = {}
    for i, team in enumerate(scenario.teams):
        tp = team.throughput
        if tp is None or tp.by_type is None:
            continue
        loc: tuple[str | int, ...] = ("teams", i, "throughput", "by_type")
        if tp.samples is None:
            out.append(
                _p(
                    loc,
                    f"team {team.id!r}: by_type needs samples (the per-type counts are aligned "
                    f"with the history's periods), not {tp.kind}",
                )
            )
            continue
        if not tp.by_type:
            out.append(_p(loc, f"team {team.id!r}: by_type names no type"))
            continue
        bad = False
        seen: dict[str, str] = {}
        n = len(tp.samples)
        for name, counts in tp.by_type.items():
            where = (*loc, name)
            if not name.strip():
                out.append(_p(where, "a type needs a name"))
                bad = True
                continue
            if name in KINDS:
                out.append(
                    _p(
                        where,
                        f"type {name!r} is a distribution key: items per type could not "
                        "be told from one estimate; rename it",
                    )  # fmt: skip
                )
                bad = True
                continue
            if name.lower() in seen:
                out.append(_p(where, f"type {name!r} is named twice (also {seen[name.lower()]!r})"))
                bad = True
            seen.setdefault(name.lower(), name)
            if len(counts) != n:
                out.append(
                    _p(
                        where,
                        f"type {name!r} has {len(counts)} periods but samples has {n}: the "
                        "lists must be aligned (period k the same in every list)",
                    )
                )
                bad = True
                continue
            for k, c in enumerate(counts):
                if c < 0 or c != int(c):
                    out.append(
                        _p((*where, k), f"a count of items must be a whole number >= 0, got {c:g}")
                    )
                    bad = True
        if bad:
            continue
        for k, sample in enumerate(tp.samples):
            total = sum(counts[k] for counts in tp.by_type.values())
            if total > sample:
                out.append(
                    _p(
                        (*loc[:3], "samples", k),
                        f"team {team.id!r}: period {k}'s types count {total:g} items, above "
                        f"its sample {sample:g} (a period's counts sum to at most its sample)",
                    )
                )
                bad = True
        if not bad:
            typed[team.id] = tp.by_type
    return typed, out


def type_problems(scenario: Scenario) -> list[Problem]:
    """Every problem of throughput by type in a schema-valid scenario."""
    typed, out = _team_types(scenario)
    declared = {
        t.id
        for t in scenario.teams
        if t.throughput is not None and t.throughput.by_type is not None
    }
    throughput = {t.id for t in scenario.teams if t.throughput is not None}
    typed_feats: set[str] = set()
    for i, f in enumerate(scenario.features):
        for k, part in enumerate(f.parts or []):
            if part.team in declared:
                out.append(
                    _p(
                        ("features", i, "parts", k, "team"),
                        f"team {part.team!r} counts throughput by type: a shared feature's part "
                        "cannot state items per type yet; make it a feature of its own",
                    )
                )
        team = f.team or ""
        items = f.typed_items
        if items is None:
            if team in declared:
                what = "items" if f.items is not None else "size" if f.size_name else "points"
                if f.effort is None and f.duration is None and f.parts is None:
                    out.append(
                        _p(
                            ("features", i, what),
                            f"team {team!r} counts throughput by type: give feature {f.id!r} "
                            f"items per type, e.g. items: {{{next(iter(_types(scenario, team)))}: "
                            "{fixed: 3}}",
                        )
                    )
            continue
        typed_feats.add(f.id)
        if team not in throughput:
            continue  # an effort team: reported by checks._sizes_and_impacts
        if team not in declared:
            out.append(
                _p(
                    ("features", i, "items"),
                    f"feature {f.id!r} gives items per type but team {team!r} has no "
                    "throughput by type (by_type under its throughput)",
                )
            )
            continue
        by = typed.get(team)
        if by is None:
            continue  # the team's by_type has problems of its own
        for name, dist in items.items():
            if name not in by:
                out.append(
                    _p(
                        ("features", i, "items", name),
                        f"team {team!r} has no samples for type {name!r}{suggest(name, by)} "
                        f"(its types: {', '.join(by)})",
                    )
                )
            elif not any(by[name]) and _may_exceed_zero(dist):
                out.append(
                    _p(
                        ("features", i, "items", name),
                        f"team {team!r} finished no {name!r} item in any period of its "
                        "history: these items could never be done",
                    )
                )
        if f.growth is not None:
            out.append(
                _p(
                    ("features", i, "growth"),
                    "growth is not defined for items per type (put it in each type's estimate)",
                )
            )
    for g, group in enumerate(scenario.correlation):
        hit = [fid for fid in group.members(scenario) if fid in typed_feats]
        if hit:
            out.append(
                _p(
                    ("correlation", g),
                    f"feature {hit[0]!r} gives items per type: correlated estimates are not "
                    "defined for it yet",
                )
            )
    for r, risk in enumerate(scenario.risks):
        if risk.impact_kind not in ("extra_items", "extra_fraction"):
            continue
        for a, fid in enumerate(risk.affects):
            if fid in typed_feats:
                out.append(
                    _p(
                        ("risks", r, "affects", a),
                        f"feature {fid!r} gives items per type: an {risk.impact_kind} risk "
                        "would not say which type its extra items are (use a delay, or a "
                        "variant)",
                    )
                )
    return out


def _types(scenario: Scenario, team: str) -> list[str]:
    tp = scenario.team(team).throughput
    return list(tp.by_type or {"Story": []}) if tp is not None else ["Story"]
