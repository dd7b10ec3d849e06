"""What the page may change: the scenario's editable knobs as plain JSON.

Features are listed in the order the model starts them (docs/model.md §3.3: lower
priority first, ties in file order, features without a priority last), so the page's
up/down order is the model's order; an ``order`` edit (:mod:`.edits`) gives the listed
features priorities 1, 2, ... in that order, which keeps the model's order when nothing
moved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portfolio_sim.scenario import Scenario
from portfolio_sim.service import limits


def _iso(d: Any) -> str | None:
    return None if d is None else d.isoformat()


def priority_order(scenario: Scenario) -> list[str]:
    """Feature ids in the model's start order (docs/model.md §3.3)."""
    ranked = sorted(
        enumerate(scenario.features),
        key=lambda kf: (kf[1].priority is None, kf[1].priority or 0.0, kf[0]),
    )
    return [f.id for _, f in ranked]


def knobs(scenario: Scenario, path: Path) -> dict[str, Any]:
    """The JSON of ``GET /api/scenario``: the knobs and the service's limits."""
    by_id = {f.id: f for f in scenario.features}
    budget = scenario.budget
    return {
        "name": scenario.name,
        "file": path.name,
        "format": path.suffix.lower().lstrip("."),
        "start": _iso(scenario.start),
        "horizon": _iso(scenario.horizon),
        "currency": scenario.currency,
        "budget": None if budget is None else {"total": budget.total},
        "teams": [
            {
                "id": t.id,
                "kind": "throughput" if t.throughput is not None else "effort",
                "members": t.members,
                "focus": t.focus,
                "wip_limit": t.wip_limit,
                "changes": [
                    {"on": _iso(c.on), "members": c.members, "ramp_days": c.ramp_days}
                    for c in t.changes
                ],
            }
            for t in scenario.teams
        ],
        "features": [
            {
                "id": fid,
                "team": by_id[fid].team,
                "priority": by_id[fid].priority,
                "not_before": _iso(by_id[fid].not_before),
                "deadline": _iso(by_id[fid].deadline),
                "depends_on": list(by_id[fid].depends_on),
            }
            for fid in priority_order(scenario)
        ],
        "variants": list(scenario.variants),
        "limits": {
            "max_trials": limits.MAX_TRIALS,
            "default_trials": limits.DEFAULT_TRIALS,
            "max_body_bytes": limits.MAX_BODY_BYTES,
            "max_edits": limits.MAX_EDITS,
        },
    }
