"""Whole-scenario checks of portfolio-level risks (docs/model.md §5.4, §5.5).

A cost shock (``{id, probability, cost: <distribution>, on: <date>}``) is paid on the
first working day on or after ``on`` (default: the start); a freeze (``{id, probability,
delay: <distribution>, on: <date>}``) begins then. ``on`` before the start or after the
horizon is an error: the shock could never be paid, the freeze never begin, as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portfolio_sim.errors import Problem

if TYPE_CHECKING:
    from portfolio_sim.scenario.schema import Scenario


def check_portfolio_risks(scenario: Scenario) -> list[Problem]:
    """A cost shock's or freeze's ``on`` outside [start, horizon], at ``risks[i].on``."""
    from portfolio_sim.scenario.problems import format_path

    out: list[Problem] = []
    for i, r in enumerate(scenario.risks):
        if r.on is None:
            continue
        what = "freeze" if r.is_freeze else "cost shock"
        if r.on < scenario.start:
            why = f"is before start ({scenario.start})"
        elif r.on > scenario.horizon_date:
            never = "begin" if r.is_freeze else "be paid"
            why = f"is after the horizon ({scenario.horizon_date}): it would never {never}"
        else:
            continue
        out.append(
            Problem(path=format_path(("risks", i, "on")), reason=f"{what} date {r.on} {why}")
        )
    return out
