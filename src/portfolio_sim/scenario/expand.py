"""The engines' view of a scenario: duration tasks and shared features as plain features.

Both engines (and every output) see one kind of node, a feature on a team. The two
kinds of work that are not that are compiled into it here, before
:func:`~portfolio_sim.scenario.compile.compile_scenario` (docs/model.md §3.9-§3.10):

* **A duration task** ``F`` (``duration: D``, no team) becomes feature ``F`` with
  ``effort: D`` on a *task team* ``@F`` of its own: one member, focus 1, no cost, the
  portfolio calendar and nothing else on it. One member does one person-day per working
  day and the task is alone on its team, so it is done exactly ``D`` working days after
  it is ready (ready = dependencies done and ``not_before`` passed, as for any feature):
  no team's capacity is used, and the engines need no new rule.
* **A shared feature** ``F`` (``parts:``) becomes one feature ``F@team`` per part (that
  team, the part's estimate, ``F``'s priority, ``depends_on`` and ``not_before``, plus
  the parts named in ``after``) and the whole ``F``: a zero-work *join* on task team
  ``@F`` that depends on every part. Zero work on an idle one-member team is done the
  moment it is ready, so ``F`` is done at the latest of its parts' done times (plus a
  ``delay`` risk on ``F``, which delays its ready time as for any feature). Value,
  deadline, one-off cost and dependents stay on ``F``; ``capitalizable`` is copied to
  the parts, whose work it books as capex.

Task teams' ids start with ``@`` (reserved: the checks reject a team id of the file
that does). The view is idempotent: a scenario without ``duration`` or ``parts`` is
returned unchanged (the same object), so scenarios that use neither compile exactly as
before.
"""

from __future__ import annotations

from typing import Any

from portfolio_sim.scenario.schema import Scenario

#: First character of a task team's id (docs/model.md §3.10).
TASK_TEAM_MARK = "@"


def task_team_id(feature_id: str) -> str:
    """The id of the one-member team that runs duration task (or join) ``feature_id``."""
    return TASK_TEAM_MARK + feature_id


def part_id(feature_id: str, team_id: str) -> str:
    """The id of shared feature ``feature_id``'s part done by ``team_id``."""
    return f"{feature_id}@{team_id}"


def is_task_team(team_id: str) -> bool:
    """Whether a team of an engine view is a task team (not a team of the file)."""
    return team_id.startswith(TASK_TEAM_MARK)


def uses_breadth(scn: Scenario) -> bool:
    """Whether any feature is a duration task or a shared feature."""
    return any(f.duration is not None or f.parts is not None for f in scn.features)


def engine_view(scn: Scenario) -> Scenario:
    """``scn`` with duration tasks and shared features compiled into plain features on
    teams (module docstring); ``scn`` itself when it has neither."""
    if not uses_breadth(scn):
        return scn
    data = scn.model_dump(by_alias=True, exclude_none=True)
    features: list[dict[str, Any]] = []
    task_teams: list[dict[str, Any]] = []
    for raw, f in zip(data["features"], scn.features, strict=True):
        if f.duration is not None:
            raw["team"] = task_team_id(f.id)
            raw["effort"] = raw.pop("duration")
            task_teams.append({"id": task_team_id(f.id), "members": 1})
            features.append(raw)
        elif f.parts is not None:
            parts = raw.pop("parts")
            ids = []
            for part in parts:
                pid = part_id(f.id, part["team"])
                ids.append(pid)
                keep = ("priority", "not_before", "capitalizable")
                entry = {k: raw[k] for k in keep if raw.get(k) is not None}
                entry.update(id=pid, team=part["team"])
                entry["depends_on"] = list(raw.get("depends_on", [])) + [
                    part_id(f.id, a) for a in part.get("after", [])
                ]
                for size in ("effort", "items"):
                    if size in part:
                        entry[size] = part[size]
                features.append(entry)
            raw["team"] = task_team_id(f.id)
            raw["effort"] = {"fixed": 0}
            raw["depends_on"] = ids
            task_teams.append({"id": task_team_id(f.id), "members": 1})
            features.append(raw)
        else:
            features.append(raw)
    data["features"] = features
    data["teams"] = list(data["teams"]) + task_teams
    view = Scenario.model_validate(data)
    view.variant = scn.variant
    return view


def join_ids(view: Scenario) -> set[str]:
    """The zero-work joins of shared features in an engine view: feature ``F`` on task team
    ``@F`` depending only on its parts ``F@team``. They are bookkeeping, not work, so a
    portfolio freeze (docs/model.md §5.5) does not hold them."""
    return {
        f.id
        for f in view.features
        if f.team == task_team_id(f.id)
        and f.depends_on
        and all(d.startswith(f.id + "@") for d in f.depends_on)
    }
