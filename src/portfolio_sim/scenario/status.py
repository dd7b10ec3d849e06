"""A status file: what actually happened up to a date (docs/model.md §11).

A re-forecast reads the plan (the scenario, unchanged) and a separate status file::

    as_of: 2027-06-01            # the forecast's clock starts on this day
    features:
      cloud-landing-zone: {done_on: 2027-03-12}
      identity-sso: {started_on: 2027-04-06, remaining: {pert: [20, 30, 60]}}
      checkout-v2: {started_on: 2027-05-03, remaining_fraction: 0.4}
      mobile-app: {started_on: 2027-02-01, items_done: 12}
    actual_cost:                 # cost to date per team (people and one-offs), money
      web: 412000
    actual_cost_by_month:        # or per team by month (then drawn as recorded)
      mobile: {2027-01: 60000, 2027-02: 65000, 2027-03: 60000, 2027-04: 65000}
    staffing:                    # optional: staffing as it really was
      web: {members: 5, changes: [{on: 2027-04-12, members: 5, ramp_days: 20}]}
    baseline: baselines/plan-2027-01.json   # optional: a saved EVM baseline

:func:`load_status` parses and validates it against the scenario; every problem is a
``FILE:LINE: field.path: reason`` line (:class:`~portfolio_sim.errors.ScenarioError`,
exit 2 in the CLI), all at once. :mod:`.status_apply` compiles it into the model.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from portfolio_sim.errors import Problem, ScenarioError
from portfolio_sim.scenario.expand import engine_view, is_task_team
from portfolio_sim.scenario.problems import suggest
from portfolio_sim.scenario.schema import Distribution, Scenario
from portfolio_sim.scenario.status_actuals import (
    UNPAID,
    ActualStaffing,
    check_by_month,
    check_staffing,
    unpaid,
)
from portfolio_sim.scenario.status_actuals import date_value as _date
from portfolio_sim.scenario.status_actuals import line_of as _line
from portfolio_sim.scenario.status_actuals import number_value as _number

_FEATURE_KEYS = ("done_on", "started_on", "remaining", "remaining_fraction", "items_done")
_TOP_KEYS = ("as_of", "features", "actual_cost", "actual_cost_by_month", "staffing", "baseline")


@dataclass(frozen=True)
class FeatureStatus:
    """One feature's state on ``as_of``: done on a date, or started with work left
    (exactly one of ``remaining``, ``remaining_fraction``, ``items_done``)."""

    done_on: dt.date | None = None
    started_on: dt.date | None = None
    remaining: Distribution | None = None
    remaining_fraction: float | None = None
    items_done: float | None = None


@dataclass(frozen=True)
class Status:
    """A validated status: ``as_of``, per-feature states, each team's actual cost to
    date (people and one-off costs paid before ``as_of``) as a total (``actual_cost``)
    or by month (``actual_by_month``: team -> {YYYY-MM: cost}), the staffing as it
    really was (``staffing``) and the path of a saved EVM baseline (``baseline``)."""

    as_of: dt.date
    features: dict[str, FeatureStatus] = field(default_factory=dict)
    actual_cost: dict[str, float] = field(default_factory=dict)
    file: str | None = None
    actual_by_month: dict[str, dict[str, float]] = field(default_factory=dict)
    staffing: dict[str, ActualStaffing] = field(default_factory=dict)
    baseline: str | None = None

    @property
    def cost_to_date(self) -> float:
        """The actual cost to date of the whole portfolio (sum over teams and months)."""
        by_month = sum(sum(m.values()) for m in self.actual_by_month.values())
        return float(sum(self.actual_cost.values()) + by_month)

    def team_cost_to_date(self, team: str) -> float:
        """One team's actual cost to date (either form; 0 when not listed)."""
        if team in self.actual_by_month:
            return float(sum(self.actual_by_month[team].values()))
        return float(self.actual_cost.get(team, 0.0))

    @property
    def phasing(self) -> str:
        """How the cost to date is phased: ``"monthly"`` (every team with a cost gave
        months), ``"total"`` (none did: spread evenly), or ``"mixed"``."""
        spread = any(v > 0 for v in self.actual_cost.values())
        if not self.actual_by_month:
            return "total"
        return "mixed" if spread else "monthly"


_SHIFTABLE = ("fixed", "uniform", "triangular", "pert", "samples", "integers")


def shifted(dist: Distribution, n: float) -> Distribution:
    """X - n for X ~ ``dist``, when every value of X is >= n (else ValueError)."""
    kind, params = dist.kind, dist.params
    if kind not in _SHIFTABLE:
        raise ValueError(f"a {kind} estimate cannot be shifted by the items done: give remaining")
    values = [float(params)] if kind == "fixed" else [float(v) for v in params]
    if min(values) < n:
        raise ValueError(
            f"the planned estimate allows fewer than the {n:g} items done: give remaining"
        )
    new = values[0] - n if kind == "fixed" else [v - n for v in values]
    return Distribution.model_validate({kind: new})


def lowest(dist: Distribution) -> float:
    """The smallest value ``dist`` can draw (a lognormal's is above 0: returned as its p10)."""
    params = dist.params
    if dist.kind == "fixed":
        return float(params)
    if dist.kind == "lognormal":
        return float(params["p10"])
    return float(min(params))


def empty_status(as_of: dt.date) -> Status:
    """A status with no entries (a re-forecast at ``as_of = start`` is the plain one)."""
    return Status(as_of=as_of)


def load_status(path: str | os.PathLike[str], scenario: Scenario) -> Status:
    """Read and validate a YAML status file against ``scenario``. Raises ScenarioError
    with one located problem per mistake."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(
            Problem("", f"cannot read status file: {err.strerror}", str(p))
        ) from None
    return status_from_text(text, scenario, str(p))


def status_from_text(text: str, scenario: Scenario, filename: str = "<status>") -> Status:
    """Like :func:`load_status` for text in memory."""
    try:
        data = YAML(typ="rt", pure=True).load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise ScenarioError(Problem("", f"not valid YAML: {err}", filename, line)) from None
    return _Checker(scenario, filename).check(data)


class _Checker:
    """Collects every problem of one status file."""

    def __init__(self, scenario: Scenario, filename: str) -> None:
        # the plan as the engines see it: duration tasks and shared features' parts on
        # their hidden teams (docs/model.md §3.9-§3.10), so every feature has a team
        self.scn = engine_view(scenario)
        self.file = filename
        self.problems: list[Problem] = []

    def bad(self, path: str, reason: str, line: int | None) -> None:
        self.problems.append(Problem(path, reason, self.file, line))

    def check(self, data: Any) -> Status:
        if not isinstance(data, dict):
            raise ScenarioError(Problem("", "a status file is a mapping with as_of", self.file, 1))
        for key in data:
            if key not in _TOP_KEYS:
                self.bad(str(key), f"unknown field{suggest(key, _TOP_KEYS)}", _line(data, key))
        as_of = _date(data.get("as_of"))
        start = self.scn.start
        if as_of is None:
            self.bad("as_of", "a date (YYYY-MM-DD) is required", _line(data, "as_of") or 1)
            raise ScenarioError(self.problems)
        if as_of < start:
            self.bad("as_of", f"{as_of} is before the plan's start {start}", _line(data, "as_of"))
        horizon = self.scn.horizon
        if horizon is not None and as_of > horizon:
            self.bad("as_of", f"{as_of} is after the horizon {horizon}", _line(data, "as_of"))
        feats = self._features(data.get("features") or {}, data, as_of)
        totals = data.get("actual_cost") or {}
        by_month = data.get("actual_cost_by_month") or {}
        cost = self._costs(totals, data, as_of, by_month)
        months = check_by_month(self, by_month, data, as_of, totals, feats)
        staffing = check_staffing(self, data.get("staffing") or {}, data, as_of)
        self._order(feats, data.get("features") or {})
        baseline = self._baseline(data)
        if self.problems:
            raise ScenarioError(self.problems)
        return Status(as_of=as_of, features=feats, actual_cost=cost, file=self.file,
                      actual_by_month=months, staffing=staffing, baseline=baseline)  # fmt: skip

    def _baseline(self, data: Any) -> str | None:
        """``baseline``: a saved baseline's path, relative to the status file's folder."""
        if "baseline" not in data:
            return None
        value = data["baseline"]
        if not isinstance(value, str) or not value.strip():
            self.bad("baseline", "the path of a saved baseline (forecast --save-baseline)",
                     _line(data, "baseline"))  # fmt: skip
            return None
        path = Path(value)
        if not path.is_absolute() and not self.file.startswith("<"):
            path = Path(self.file).parent / path
        return str(path)

    def _features(self, node: Any, top: Any, as_of: dt.date) -> dict[str, FeatureStatus]:
        if not isinstance(node, dict):
            self.bad("features", "a mapping of feature id to its state", _line(top, "features"))
            return {}
        by_id = {f.id: f for f in self.scn.features}
        kinds = {t.id: t.throughput is not None for t in self.scn.teams}
        out: dict[str, FeatureStatus] = {}
        for fid, entry in node.items():
            path, line = f"features.{fid}", _line(node, fid)
            feat = by_id.get(str(fid))
            if feat is None:
                self.bad(path, f"unknown feature{suggest(fid, by_id)}", line)
                continue
            if not isinstance(entry, dict):
                self.bad(path, "a mapping with done_on, or started_on and the work left", line)
                continue
            st = self._feature(path, entry, line, as_of, kinds[str(feat.team)])
            if st is not None and st.done_on is None and feat.typed_items is not None:
                self.bad(path, "a feature with items per type can only be given done_on so "
                         "far (the work left per type is not read, docs/model.md §2.10)", line)  # fmt: skip
                continue
            if st is not None and not kinds[str(feat.team)] and st.done_on is None:
                least = (
                    lowest(st.remaining)
                    if st.remaining is not None
                    else (st.remaining_fraction or 0.0) * lowest(feat.size)
                )
                if least <= 0.0:
                    key = "remaining" if st.remaining is not None else "remaining_fraction"
                    self.bad(f"{path}.{key}", "a started feature has work left in every draw "
                             "(a feature with none is done: give done_on; §11.1)", _line(entry, key))  # fmt: skip
                    continue
            if st is not None and st.items_done is not None:
                try:
                    if feat.growth is not None:
                        raise ValueError("items_done on a feature with growth: give remaining")
                    shifted(feat.size, st.items_done)
                except ValueError as err:
                    self.bad(f"{path}.items_done", str(err), _line(entry, "items_done"))
                    continue
            if st is not None:
                out[str(fid)] = st
        return out

    def _feature(
        self, path: str, e: Any, line: int | None, as_of: dt.date, items: bool
    ) -> FeatureStatus | None:
        ok = True
        for key in e:
            if key not in _FEATURE_KEYS:
                self.bad(
                    f"{path}.{key}", f"unknown field{suggest(key, _FEATURE_KEYS)}", _line(e, key)
                )
                ok = False
        dates: dict[str, dt.date] = {}
        for key in ("done_on", "started_on"):
            if key in e:
                d = _date(e[key])
                kl = _line(e, key)
                if d is None:
                    self.bad(f"{path}.{key}", "a date (YYYY-MM-DD)", kl)
                    ok = False
                elif d < self.scn.start:
                    self.bad(
                        f"{path}.{key}", f"{d} is before the plan's start {self.scn.start}", kl
                    )
                    ok = False
                elif key == "done_on" and d >= as_of:
                    self.bad(f"{path}.{key}", f"{d} is not before as_of {as_of} (the forecast "
                             "starts on as_of: work done that day belongs to the next status)", kl)  # fmt: skip
                    ok = False
                elif d > as_of:
                    self.bad(f"{path}.{key}", f"{d} is after as_of {as_of}", kl)
                    ok = False
                else:
                    dates[key] = d
        left = [k for k in ("remaining", "remaining_fraction", "items_done") if k in e]
        if "done_on" in e:
            for k in left:
                self.bad(f"{path}.{k}", "remaining work on a done feature", _line(e, k))
                ok = False
            return FeatureStatus(done_on=dates["done_on"]) if ok else None
        if "started_on" not in e:
            self.bad(path, "give done_on, or started_on with the work left", line)
            return None
        if len(left) != 1:
            self.bad(path, "a started feature needs exactly one of remaining, "
                     "remaining_fraction, items_done" + (f" (got {', '.join(left)})" if left else ""), line)  # fmt: skip
            return None
        k = left[0]
        kl = _line(e, k)
        if k == "remaining":
            try:
                dist = Distribution.model_validate(e[k])
            except ValidationError as err:
                reason = "; ".join(x["msg"] for x in err.errors())
                self.bad(f"{path}.remaining", reason, kl)
                return None
            return FeatureStatus(started_on=dates.get("started_on"), remaining=dist) if ok else None
        x = _number(e[k])
        if k == "remaining_fraction":
            if x is None or not 0.0 <= x <= 1.0:
                self.bad(f"{path}.{k}", f"a number from 0 to 1, got {e[k]!r}", kl)
                return None
            return (
                FeatureStatus(started_on=dates.get("started_on"), remaining_fraction=x)
                if ok
                else None
            )
        if not items:
            self.bad(f"{path}.{k}", "items_done is for features of throughput teams", kl)
            return None
        if x is None or x < 0 or x != int(x):
            self.bad(f"{path}.{k}", f"a whole number of items >= 0, got {e[k]!r}", kl)
            return None
        return FeatureStatus(started_on=dates.get("started_on"), items_done=x) if ok else None

    def _costs(self, node: Any, top: Any, as_of: dt.date, by_month: Any) -> dict[str, float]:
        line = _line(top, "actual_cost")
        if not isinstance(node, dict):
            self.bad("actual_cost", "a mapping of team id to its cost to date", line)
            return {}
        # the hidden teams of duration tasks and shared features' joins cost nothing
        teams = [t.id for t in self.scn.teams if not is_task_team(t.id)]
        out: dict[str, float] = {}
        for tid, value in node.items():
            path, tl = f"actual_cost.{tid}", _line(node, tid)
            if tid not in teams:
                self.bad(path, f"unknown team{suggest(tid, teams)}", tl)
                continue
            x = _number(value)
            if x is None or x < 0:
                self.bad(path, f"a cost >= 0, got {value!r}", tl)
                continue
            if x > 0 and as_of <= self.scn.start:
                self.bad(path, f"actual cost before the start: as_of {as_of} is the plan's "
                         f"start {self.scn.start}, nothing can have been spent", tl)  # fmt: skip
                continue
            if x > 0 and unpaid(self.scn, str(tid)):
                self.bad(path, UNPAID, tl)
                continue
            out[str(tid)] = x
        if as_of > self.scn.start:
            months = by_month if isinstance(by_month, dict) else {}
            missing = [t for t in teams if t not in node and t not in months]
            if missing:
                self.bad("actual_cost", "the cost to date of every team is needed (0 for a "
                         "team that spent nothing), as a total here or by month in "
                         f"actual_cost_by_month; missing: {', '.join(missing)}", line or 1)  # fmt: skip
        return out

    def _order(self, feats: dict[str, FeatureStatus], node: Any) -> None:
        """A done feature's dependencies are done, and not after it."""
        for f in self.scn.features:
            st = feats.get(f.id)
            if st is None or st.done_on is None:
                continue
            for d in f.depends_on:
                ds = feats.get(d)
                line = _line(node, f.id)
                if ds is None or ds.done_on is None:
                    self.bad(
                        f"features.{f.id}.done_on", f"done, but its dependency {d} is not", line
                    )
                elif ds.done_on > st.done_on:
                    self.bad(f"features.{f.id}.done_on", f"done on {st.done_on}, before its "
                             f"dependency {d} (done on {ds.done_on})", line)  # fmt: skip
