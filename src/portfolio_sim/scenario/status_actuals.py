"""The parts of a status file beyond features and totals (docs/model.md §11.1):

* ``actual_cost_by_month``: per team, the cost actually paid in each calendar month
  before ``as_of`` (an alternative to the team's total in ``actual_cost``, which the
  model spreads evenly; §11.2);
* ``staffing``: per team, the members it really has on ``as_of`` and, optionally, the
  dated changes that really happened before (their ramps still run after ``as_of``);
* ``baseline``: the path of a saved EVM baseline (``forecast --save-baseline``, §11.4).

Each check appends located problems to the status checker (:mod:`.status`); the apply
side is :mod:`.status_apply`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from portfolio_sim.calendar import WorkCalendar
from portfolio_sim.scenario.problems import suggest
from portfolio_sim.scenario.schema import MAX_MEMBERS, StaffingChange

if TYPE_CHECKING:
    from portfolio_sim.scenario.schema import Scenario
    from portfolio_sim.scenario.status import FeatureStatus

#: The optional key of a team's monthly table holding its stated total to date.
TO_DATE = "to_date"
_STAFF_KEYS = ("members", "changes", "planned_changes")
#: Money is compared to the cent: a stated total may differ from the months' sum by
#: this much (and by float rounding of large sums).
CENT = 0.005


@dataclass(frozen=True)
class ActualStaffing:
    """A team's staffing as it really was: ``members`` on ``as_of``, the ``changes``
    that happened before it (date order; the last one's members are ``members``), and
    whether the plan's changes dated after ``as_of`` still apply (``"keep"``) or not."""

    members: float
    changes: tuple[StaffingChange, ...] = ()
    planned_changes: Literal["keep", "drop"] = "keep"


def line_of(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def date_value(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def number_value(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def month_first(key: str) -> dt.date | None:
    """The first day of a ``YYYY-MM`` month key (None when malformed)."""
    try:
        y, m = str(key).split("-")
        if len(y) != 4 or len(m) != 2:
            return None
        return dt.date(int(y), int(m), 1)
    except ValueError:
        return None


def next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def month_days(cal: WorkCalendar, key: str, limit: int) -> tuple[int, int]:
    """Working days [lo, hi) of month ``key`` from day 0, cut at ``limit`` (exclusive)."""
    first = month_first(key)
    assert first is not None
    lo = int(cal.index_on_or_after(first))
    hi = int(cal.index_on_or_after(next_month(first)))
    return lo, min(hi, limit)


#: Why a featureless team released when done cannot carry a cost to date.
UNPAID = (
    "the team has no features and is released when done, so the model pays it nothing "
    "(not even its actuals): give 0, or make it a standing team (release: horizon)"
)


def unpaid(scn: Scenario, tid: str) -> bool:
    """A team the model never pays: no features, released when done."""
    team = next(t for t in scn.teams if t.id == tid)
    return team.release != "horizon" and not any(f.team == tid for f in scn.features)


def _empty(days: tuple[int, int]) -> bool:
    return days[1] <= days[0]


def paid_limit(
    scn: Scenario, cal: WorkCalendar, tid: str, feats: dict[str, FeatureStatus], a: int
) -> int:
    """The last paid working day + 1 before ``as_of`` (A): A, or for a team released when
    done whose features are all done before ``as_of``, the day after its last done day
    (the model pays it no further; §11.2)."""
    team = next(t for t in scn.teams if t.id == tid)
    mine = [f.id for f in scn.features if f.team == tid]
    if team.release == "horizon" or not mine:
        return a
    done = [feats[f].done_on for f in mine if f in feats and feats[f].done_on is not None]
    if len(done) < len(mine):
        return a
    last = max(d for d in done if d is not None)
    return min(a, int(cal.index_on_or_before(last)) + 1)


def check_by_month(
    chk: Any, node: Any, top: Any, as_of: dt.date, totals: Any, feats: dict[str, FeatureStatus]
) -> dict[str, dict[str, float]]:
    """``actual_cost_by_month``: team -> {YYYY-MM: amount, optionally to_date: total}."""
    from portfolio_sim.scenario.expand import is_task_team

    _line, _number = line_of, number_value

    if not isinstance(node, dict):
        chk.bad("actual_cost_by_month", "a mapping of team id to {YYYY-MM: cost}",
                _line(top, "actual_cost_by_month"))  # fmt: skip
        return {}
    scn = chk.scn
    cal = WorkCalendar.from_scenario(scn)
    a = int(cal.index_on_or_after(as_of))
    teams = [t.id for t in scn.teams if not is_task_team(t.id)]
    out: dict[str, dict[str, float]] = {}
    for tid, table in node.items():
        path, tl = f"actual_cost_by_month.{tid}", _line(node, tid)
        if tid not in teams:
            chk.bad(path, f"unknown team{suggest(tid, teams)}", tl)
            continue
        if isinstance(totals, dict) and tid in totals:
            chk.bad(path, "both forms for one team: give its cost to date either as a total "
                    f"(actual_cost.{tid}) or by month here (a total to check the months "
                    f"against goes here as {TO_DATE})", tl)  # fmt: skip
            continue
        if not isinstance(table, dict):
            chk.bad(path, "a mapping of month (YYYY-MM) to the cost paid in it", tl)
            continue
        if (
            unpaid(scn, str(tid))
            and isinstance(table, dict)
            and any((_number(v) or 0) > 0 for k, v in table.items() if k != TO_DATE)
        ):
            chk.bad(path, UNPAID, tl)
            continue
        limit = paid_limit(scn, cal, str(tid), feats, a)
        months: dict[str, float] = {}
        stated: float | None = None
        ok = True
        for key, value in table.items():
            kp, kl = f"{path}.{key}", _line(table, key)
            x = _number(value)
            if x is None or x < 0:
                chk.bad(kp, f"a cost >= 0, got {value!r}", kl)
                ok = False
                continue
            if key == TO_DATE:
                stated = x
                continue
            first = month_first(str(key))
            if first is None:
                chk.bad(kp, f"a month YYYY-MM (or {TO_DATE}){suggest(key, [TO_DATE])}", kl)
                ok = False
            elif first >= as_of:
                chk.bad(kp, f"the month {key} is not before as_of {as_of} (from as_of on the "
                        "cost is forecast)", kl)  # fmt: skip
                ok = False
            elif next_month(first) <= scn.start:
                chk.bad(kp, f"the month {key} is before the plan's start {scn.start}", kl)
                ok = False
            elif x > 0 and _empty(month_days(cal, str(key), limit)):
                last = cal.date_of(limit - 1) if limit > 0 else None
                why = ("before as_of" if limit == a else "on which the team was paid (released "
                       f"when its last feature was done, on {last})")  # fmt: skip
                chk.bad(kp, f"no working day of {key} from the start {why}: the cost "
                        "cannot be placed", kl)  # fmt: skip
                ok = False
            else:
                months[str(key)] = x
        if stated is not None and ok:
            total = sum(months.values())
            if abs(total - stated) > CENT + 1e-12 * abs(stated):
                chk.bad(f"{path}.{TO_DATE}", f"the months add up to {total:,.2f}, not the "
                        f"stated total to date {stated:,.2f}", _line(table, TO_DATE))  # fmt: skip
                ok = False
        if ok:
            out[str(tid)] = months
    return out


def check_staffing(chk: Any, node: Any, top: Any, as_of: dt.date) -> dict[str, ActualStaffing]:
    """``staffing``: team -> {members, changes (before as_of), planned_changes}."""
    from portfolio_sim.scenario.expand import is_task_team

    _date, _line, _number = date_value, line_of, number_value

    if not isinstance(node, dict):
        chk.bad("staffing", "a mapping of team id to its actual staffing",
                _line(top, "staffing"))  # fmt: skip
        return {}
    teams = [t.id for t in chk.scn.teams if not is_task_team(t.id)]
    out: dict[str, ActualStaffing] = {}
    for tid, e in node.items():
        path, tl = f"staffing.{tid}", _line(node, tid)
        if tid not in teams:
            chk.bad(path, f"unknown team{suggest(tid, teams)}", tl)
            continue
        if not isinstance(e, dict) or "members" not in e:
            chk.bad(path, "a mapping with members (on as_of), optionally changes and "
                    "planned_changes", tl)  # fmt: skip
            continue
        ok = True
        for key in e:
            if key not in _STAFF_KEYS:
                chk.bad(f"{path}.{key}", f"unknown field{suggest(key, _STAFF_KEYS)}",
                        _line(e, key))  # fmt: skip
                ok = False
        members = _number(e["members"])
        if members is None or not 0 <= members <= MAX_MEMBERS:
            chk.bad(f"{path}.members", f"a number of members 0-{MAX_MEMBERS:,}, got "
                    f"{e['members']!r}", _line(e, "members"))  # fmt: skip
            continue
        keep = e.get("planned_changes", "keep")
        if keep not in ("keep", "drop"):
            chk.bad(f"{path}.planned_changes", f"keep or drop, got {keep!r}",
                    _line(e, "planned_changes"))  # fmt: skip
            ok = False
        changes: list[StaffingChange] = []
        raw = e.get("changes") or []
        if not isinstance(raw, list):
            chk.bad(f"{path}.changes", "a list of {on, members, ramp_days}", _line(e, "changes"))
            continue
        for i, c in enumerate(raw):
            cp = f"{path}.changes.{i}"
            cl = getattr(getattr(raw, "lc", None), "data", {}).get(i, [None])[0]
            cl = None if cl is None else cl + 1
            on = _date(c.get("on")) if isinstance(c, dict) else None
            try:
                ch = StaffingChange.model_validate(dict(c) if isinstance(c, dict) else c)
            except ValidationError as err:
                chk.bad(cp, "; ".join(x["msg"] for x in err.errors()), cl)
                ok = False
                continue
            if on is None or on < chk.scn.start or on >= as_of:
                chk.bad(f"{cp}.on", f"{ch.on}: an actual change is dated from the plan's start "
                        f"{chk.scn.start} and before as_of {as_of}", cl)  # fmt: skip
                ok = False
            elif changes and ch.on <= changes[-1].on:
                chk.bad(f"{cp}.on", f"changes must be in date order ({ch.on} after "
                        f"{changes[-1].on})", cl)  # fmt: skip
                ok = False
            changes.append(ch)
        if ok and changes and changes[-1].members != members:
            chk.bad(f"{path}.members", f"{members:g} on as_of, but the last actual change "
                    f"({changes[-1].on}) leaves {changes[-1].members:g}", _line(e, "members"))  # fmt: skip
            ok = False
        if ok:
            out[str(tid)] = ActualStaffing(members, tuple(changes), keep)
    return out


def staffed_team(team: Any, st: ActualStaffing, as_of: dt.date) -> Any:
    """The plan's team with its staffing as it really was (docs/model.md §11.2): the
    actual changes before ``as_of`` (starting from the plan's ``members`` unless one is
    dated ``start``; without actual changes the team had ``members`` from the start),
    then the plan's changes dated after ``as_of`` unless ``planned_changes: drop``."""
    later = [c for c in team.changes if c.on > as_of] if st.planned_changes == "keep" else []
    base = team.members if st.changes else st.members
    return team.model_copy(update={"members": base, "changes": [*st.changes, *later]})
