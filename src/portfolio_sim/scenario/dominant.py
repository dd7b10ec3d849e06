"""Estimates that alone outrun the horizon: a static check of a valid scenario.

An estimate is *dominant* when its upper bound alone is more work than the feature's team
could deliver between the feature's earliest start and the horizon, even with the team's
largest staffing at full speed and nothing else to do. Such a scenario is legal, but the
trials that draw near that bound cannot finish, and the forecast says more about the
estimate than about the portfolio. :func:`dominant_estimates` names these estimates so
that a forecast that is mostly "not done" can say why (:mod:`portfolio_sim.results.warnings`).

The bound used is the estimate's largest possible draw (``fixed``, ``uniform``,
``triangular``, ``pert``, ``samples``, ``integers``); for ``lognormal``, which has no
largest draw, its p90. A feature's ``growth`` and risks only add to the work and are
left out, so a feature named here is dominated by its own estimate.
"""

from __future__ import annotations

from portfolio_sim.calendar import WorkCalendar
from portfolio_sim.scenario.schema import Distribution, Scenario, Team


def _upper(dist: Distribution) -> tuple[float, str]:
    """The estimate's largest draw (p90 for lognormal) and how to name it."""
    params = dist.params
    if dist.kind == "lognormal":
        return float(params["p90"]), "lognormal p90"
    if dist.kind == "fixed":
        return float(params), "fixed value"
    return max(float(v) for v in params), f"{dist.kind} upper bound"


def dominant_estimates(scenario: Scenario) -> dict[str, str]:
    """Feature id -> why its estimate alone cannot be done by the horizon (file order)."""
    cal = WorkCalendar.from_scenario(scenario)
    out: dict[str, str] = {}
    for f in scenario.features:
        team = scenario.team(f.team)
        first = 0 if f.not_before is None else int(cal.index_on_or_after(f.not_before))
        days = max(cal.horizon_days - max(first, 0), 0)
        if f.typed_items is not None:  # items per type (§2.10): each type on its own
            why = _typed(f.typed_items, team, days, cal.workdays_per_week)
            if why:
                out[f.id] = why
            continue
        upper, what = _upper(f.size)
        if team.throughput is None:
            members = max([team.members, *(c.members for c in team.changes)])
            most = days * members * team.focus
            if upper > most:
                out[f.id] = (
                    f"its effort {what} ({upper:g} person-days) alone exceeds the {most:g} "
                    f"person-days team {team.id} can give by the horizon ({days} working "
                    f"days x at most {members:g} members x focus {team.focus:g})"
                )
        elif team.throughput.kind != "lognormal":
            per_period, _ = _upper(team.throughput)
            length = 1 if team.throughput.per == "day" else cal.workdays_per_week
            periods = -(-days // length)
            most = periods * per_period
            if upper > most:
                out[f.id] = (
                    f"its items {what} ({upper:g} items) alone exceeds the {most:g} items "
                    f"team {team.id} can finish by the horizon ({periods} {team.throughput.per}s "
                    f"x at most {per_period:g} items)"
                )
    return out


def _typed(items: dict[str, Distribution], team: Team, days: int, week: int) -> str:
    """Why a feature's items of one type alone cannot be done by the horizon (or "")."""
    tp = team.throughput
    if tp is None or not tp.by_type:
        return ""
    length = 1 if tp.per == "day" else week
    periods = -(-days // length)
    for name, dist in items.items():
        counts = tp.by_type.get(name)
        if counts is None:
            continue
        upper, what = _upper(dist)
        most = periods * max(counts, default=0.0)
        if upper > most:
            return (
                f"its {name} items {what} ({upper:g} items) alone exceed the {most:g} {name} "
                f"items team {team.id} can finish by the horizon ({periods} {tp.per}s x at "
                f"most {max(counts, default=0.0):g})"
            )
    return ""
