"""The result of :func:`portfolio_sim.decide.staff.staff`: where N new people should go.

:func:`staffing_result` turns the decision layer's evaluations (duck-typed: ``hires``,
``value``, ``npv_mean``, ``cost_mean``, ``p85_day``, ``trials`` and, for the current plan
and the recommendation, ``detail``) into a :class:`Staffing` with three tables:

* ``candidates``: the best assignments of all N people, best first (rank 1 is the
  recommendation), with their objective and its gain over the current plan;
* ``curve``: the marginal curve, hires 0..N added greedily (each to the team that helps
  most), the objective after k hires, its gain over the plan and the k-th hire's gain;
* ``teams``: per team, hires, P85 done date before/after, the share of trials in which it
  finishes last and the share in which it is on the chain that sets the finish.

Machine keys are listed in docs/outputs.md; gains are positive when the objective gets
better (``p85``: working days earlier; ``npv``: money; ``deadline:F``: probability).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim import formatting as fmt
from portfolio_sim.calendar import WorkCalendar

if TYPE_CHECKING:
    import pandas as pd

GAIN_UNIT = {"p85": "working days", "npv": "money", "deadline": "probability"}
METHOD = {
    "p85": "paired percentile bootstrap of the P85 difference (1,000 resamples, fixed seed)",
    "npv": "mean of per-trial paired differences +- 1.96 standard errors",
    "deadline": "mean of per-trial paired differences (met 0/1) +- 1.96 standard errors",
}


@dataclass
class Staffing:
    """Where ``add`` new people should go (see the module docstring for the tables)."""

    recommended: dict[str, int]
    effect: dict[str, Any]
    candidates: pd.DataFrame
    curve: pd.DataFrame
    teams: pd.DataFrame
    explanation: list[str]
    objective: str
    add: int
    max_per_team: int
    ramp_days: float
    on: str
    trials: int
    seed: int
    search: dict[str, Any]
    scenario: str = ""
    variant: str | None = None
    currency: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    # --- machine outputs ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole result as JSON-ready data (dates ISO, missing null)."""
        return {
            "scenario": self.scenario,
            "variant": self.variant,
            "trials": self.trials,
            "seed": self.seed,
            "add": self.add,
            "objective": self.objective,
            "max_per_team": self.max_per_team,
            "ramp_days": self.ramp_days,
            "on": self.on,
            "search": dict(self.search),
            "recommended": dict(self.recommended),
            "effect": {k: _plain(v) for k, v in self.effect.items()},
            "candidates": _records(self.candidates),
            "curve": _records(self.curve),
            "teams": _records(self.teams),
            "explanation": list(self.explanation),
            "currency": self.currency,
            "provenance": dict(self.meta),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_csv(self, folder: str, protect: Sequence[str] = ()) -> list[str]:
        """``candidates.csv``, ``curve.csv``, ``teams.csv`` and ``effect.csv`` in
        ``folder`` (created if missing), each written atomically; returns the paths."""
        import pandas as pd

        from portfolio_sim.results.io import csv_text, write_text_atomic

        os.makedirs(folder, exist_ok=True)
        effect = pd.DataFrame([{k: _plain(v) for k, v in self.effect.items()}])
        tables = {
            "candidates": self.candidates,
            "curve": self.curve,
            "teams": self.teams,
            "effect": effect,
        }
        paths = []
        for name, df in tables.items():
            path = os.path.join(folder, f"{name}.csv")
            write_text_atomic(path, csv_text(df), protect)
            paths.append(path)
        return paths

    # --- terminal ------------------------------------------------------------------------

    def to_text(self) -> str:
        """The recommendation, its effect, what moved, runners-up and the curve."""
        kind = self.objective.split(":")[0]
        cur = self.currency
        plan = _plan_text(self.recommended)
        lines = [
            f"Where {self.add} new {'person' if self.add == 1 else 'people'} should go "
            f"(objective {self.objective}; joining {self.on}, ramp {_num(self.ramp_days)} "
            f"working days; {self.trials:,} trials, seed {self.seed}; "
            f"{self.search['mode']} search over {self.search['assignments']:,} "
            f"assignments, {self.search['evaluated']:,} forecasts):",
            "",
            f"Recommended: {plan}",
        ]
        lines += [f"  {line}" for line in self.explanation]
        lines += ["", "Best assignments:"]
        lines.append(_table(self.candidates, kind, cur, first="rank"))
        lines += ["", "Marginal value of each hire (greedy, one at a time):"]
        lines.append(_table(self.curve, kind, cur, first="hires"))
        lines += ["", "Teams, current plan -> recommendation:"]
        lines.append(_teams_text(self.teams))
        return "\n".join(lines)


# --- building ---------------------------------------------------------------------------


def staffing_result(
    *,
    scenario: Any,
    objective: str,
    objective_kind: str,
    teams: list[str],
    add: int,
    max_per_team: int,
    ramp_days: float,
    on: Any,
    trials: int,
    seed: int,
    mode: str,
    assignments_total: int,
    exhaustive_max: int,
    base: Any,
    recommended: Any,
    ranked: Sequence[Any],
    curve: Sequence[Any],
    evaluated: int,
    interval: tuple[float, float],
    meta: dict[str, Any],
) -> Staffing:
    """A :class:`Staffing` from the decision layer's evaluations (module docstring)."""

    cal = WorkCalendar.from_scenario(scenario)
    h = int(cal.horizon_days)
    kind = objective_kind

    def date(day: int) -> Any:
        return cal.date_of(int(day)) if day < h else np.datetime64("NaT", "D")

    def gain(ev: Any) -> float:
        return float(base.value - ev.value) if kind == "p85" else float(ev.value - base.value)

    def row(ev: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "assignment": _plan_text(dict(zip(teams, ev.hires, strict=True))),
            "gain": gain(ev),
            "finish_p85": date(ev.p85_day),
            "finish_p85_gain_days": int(base.p85_day - ev.p85_day),
            "npv_mean": ev.npv_mean,
            "npv_gain": ev.npv_mean - base.npv_mean,
            "cost_mean": ev.cost_mean,
            "cost_delta": ev.cost_mean - base.cost_mean,
        }
        if kind == "deadline":
            out["deadline_probability"] = ev.value
        for t, k in zip(teams, ev.hires, strict=True):
            out[f"hires_{t}"] = int(k)
        return out

    cand_rows = [{"rank": i + 1, **row(ev)} for i, ev in enumerate(ranked)]
    curve_rows = []
    for k, ev in enumerate(curve):
        r = {"hires": k, **row(ev)}
        prev = curve[k - 1] if k else None
        r["team_added"] = (
            teams[int(np.argmax(np.subtract(ev.hires, prev.hires)))] if prev is not None else ""
        )
        r["marginal_gain"] = gain(ev) - gain(prev) if prev is not None else 0.0
        curve_rows.append(r)
    before, after = base.detail, recommended.detail
    rec_plan = dict(zip(teams, recommended.hires, strict=True))
    team_rows = []
    nat = np.datetime64("NaT", "D")
    for j, t in enumerate(scenario.teams):
        has = bool(before["has_features"][j])
        team_rows.append(
            {
                "team": t.id,
                "kind": t.kind,
                "hires": int(rec_plan.get(t.id, 0)),
                "has_features": has,
                "finish_p85_before": date(before["team_p85_day"][j]) if has else nat,
                "finish_p85_after": date(after["team_p85_day"][j]) if has else nat,
                "last_share_before": float(before["last_share"][j]),
                "last_share_after": float(after["last_share"][j]),
                "critical_share_before": float(before["critical_share"][j]),
                "critical_share_after": float(after["critical_share"][j]),
            }
        )
    effect = {
        "objective": objective,
        "before": _objective_value(kind, base, date),
        "after": _objective_value(kind, recommended, date),
        "gain": gain(recommended),
        "ci_low": float(interval[0]),
        "ci_high": float(interval[1]),
        "unit": GAIN_UNIT[kind],
        "method": METHOD[kind],
        "cost_delta": recommended.cost_mean - base.cost_mean,
        "npv_gain": recommended.npv_mean - base.npv_mean,
    }
    currency = str(scenario.currency)
    teams_df = _frame(team_rows)
    explanation = explain(kind, objective, effect, teams_df, rec_plan, add, currency)
    return Staffing(
        recommended={t: int(k) for t, k in rec_plan.items() if k},
        effect=effect,
        candidates=_frame(cand_rows),
        curve=_frame(curve_rows),
        teams=teams_df,
        explanation=explanation,
        objective=objective,
        add=add,
        max_per_team=max_per_team,
        ramp_days=ramp_days,
        on=on.isoformat(),
        trials=trials,
        seed=seed,
        search={
            "mode": mode,
            "assignments": int(assignments_total),
            "evaluated": int(evaluated),
            "exhaustive_max": int(exhaustive_max),
            "candidate_teams": list(teams),
        },
        scenario=str(scenario.name),
        variant=scenario.variant,
        currency=currency,
        meta=meta,
    )


def _objective_value(kind: str, ev: Any, date: Any) -> Any:
    if kind == "p85":
        d = date(ev.p85_day)
        return None if np.isnat(d) else str(d)
    return float(ev.value)


def explain(
    kind: str,
    objective: str,
    effect: dict[str, Any],
    teams: pd.DataFrame,
    plan: dict[str, int],
    add: int,
    currency: str,
) -> list[str]:
    """ "What moved", in words: the objective's change with its interval, the team that
    sets the finish, each hired team's chain share and P85, and a team that finishes last
    but is freed by hires upstream."""
    lo, hi, g = effect["ci_low"], effect["ci_high"], effect["gain"]
    before = effect["before"] if effect["before"] is not None else "after the horizon"
    after = effect["after"] if effect["after"] is not None else "after the horizon"
    if kind == "p85":
        lines = [
            f"Portfolio P85 done moves from {before} to {after}: {_days(g)} "
            f"(95 % CI {_days(lo, signed=True)} to {_days(hi, signed=True)} working days "
            "earlier, paired bootstrap)."
        ]
    elif kind == "npv":
        lines = [
            f"Mean NPV moves from {fmt.money(before, currency)} to "
            f"{fmt.money(after, currency)}: {fmt.signed_money(g, currency)} (95 % CI "
            f"{fmt.signed_money(lo, currency)} to {fmt.signed_money(hi, currency)}, paired)."
        ]
    else:
        feature = objective.partition(":")[2]
        lines = [
            f"Chance that {feature} meets its deadline moves from {fmt.pct(before)} to "
            f"{fmt.pct(after)}: {_signed_pct(g)} (95 % CI {_signed_pct(lo)} to "
            f"{_signed_pct(hi)}, paired)."
        ]
    lines.append(
        f"The hires change mean cost by {fmt.signed_money(effect['cost_delta'], currency)} "
        f"and mean NPV by {fmt.signed_money(effect['npv_gain'], currency)}."
    )
    if g <= 0:
        lines.append(
            f"No assignment of {add} found improves {objective}: the best one is shown, "
            "but it does not pay to hire for this objective."
        )
    rows = {r.team: r for r in teams.itertuples(index=False) if r.has_features}
    last = max(rows.values(), key=lambda r: r.last_share_before)
    lines.append(
        f"{last.team} finishes last in {fmt.pct(last.last_share_before)} of trials in the "
        f"current plan (its P85 {fmt.iso_date(last.finish_p85_before, 'after horizon')})."
    )
    for team, k in plan.items():
        if not k:
            continue
        r = rows[team]
        lines.append(
            f"{team} (+{k}): on the chain that sets the finish in "
            f"{fmt.pct(r.critical_share_before)} of trials; its P85 moves from "
            f"{fmt.iso_date(r.finish_p85_before, 'after horizon')} to "
            f"{fmt.iso_date(r.finish_p85_after, 'after horizon')}."
        )
    moved_last = not plan.get(last.team) and _earlier(last.finish_p85_after, last.finish_p85_before)
    if moved_last:
        upstream = ", ".join(t for t, k in plan.items() if k)
        lines.append(
            f"{last.team} gets no one but waits on {upstream}: its P85 moves from "
            f"{fmt.iso_date(last.finish_p85_before)} to {fmt.iso_date(last.finish_p85_after)} "
            "without a hire of its own."
        )
    new_last = max(rows.values(), key=lambda r: r.last_share_after)
    if new_last.team != last.team:
        lines.append(
            f"After the hires {new_last.team} finishes last most often "
            f"({fmt.pct(new_last.last_share_after)} of trials)."
        )
    return lines


# --- helpers ----------------------------------------------------------------------------


def _earlier(a: Any, b: Any) -> bool:
    try:
        return bool(np.datetime64(a, "D") < np.datetime64(b, "D"))
    except (TypeError, ValueError):
        return False


def _plan_text(plan: dict[str, int]) -> str:
    parts = [f"{t} +{k}" for t, k in plan.items() if k]
    return ", ".join(parts) or "(no one)"


def _num(x: float) -> str:
    return f"{x:g}"


def _days(x: float, signed: bool = False) -> str:
    v = int(round(x))
    if signed:
        return f"{v:+d}"
    if v == 0:
        return "no change"
    return f"{abs(v)} working day{'s' if abs(v) != 1 else ''} {'earlier' if v > 0 else 'later'}"


def _signed_pct(x: float) -> str:
    return ("-" if x < 0 else "+") + fmt.pct(abs(x))


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows)
    for col in df.columns:
        if col.startswith("finish_p85") and not col.endswith("_days"):
            df[col] = pd.to_datetime(df[col])
    return df


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or (isinstance(v, float) and not np.isfinite(v)):
                row[k] = None
            elif hasattr(v, "year") or isinstance(v, np.datetime64):
                row[k] = None if _isnat(v) else fmt.iso_date(v)
            else:
                row[k] = _plain(v)
        out.append(row)
    return out


def _isnat(v: Any) -> bool:
    try:
        return bool(np.isnat(np.datetime64(v, "D")))
    except (TypeError, ValueError):
        return False


def _table(df: pd.DataFrame, kind: str, currency: str, first: str) -> str:
    """A terminal table of candidates or the curve, formatted by column."""
    import pandas as pd

    cols = [first, "assignment"]
    if first == "hires":
        cols.append("team_added")
    if kind == "p85":
        cols += ["finish_p85", "finish_p85_gain_days"]
    elif kind == "deadline":
        cols += ["deadline_probability", "gain"]
    else:
        cols += ["npv_mean", "npv_gain"]
    if first == "hires":
        cols.append("marginal_gain")
    cols += ["cost_delta"] + (["npv_gain"] if kind != "npv" else [])
    heads = {
        "rank": "Rank",
        "hires": "Hires",
        "assignment": "Assignment",
        "team_added": "Last hire to",
        "finish_p85": "Portfolio P85",
        "finish_p85_gain_days": "Days earlier",
        "deadline_probability": "P(deadline met)",
        "gain": "Gain",
        "npv_mean": "Mean NPV",
        "npv_gain": "NPV gain",
        "marginal_gain": "This hire's gain",
        "cost_delta": "Extra cost",
    }

    def cell(col: str, v: Any) -> str:
        if col in ("finish_p85",):
            return fmt.iso_date(v, "after horizon")
        if col in ("npv_mean",):
            return fmt.money(v, currency)
        if col in ("npv_gain", "cost_delta") or (
            col in ("gain", "marginal_gain") and kind == "npv"
        ):
            return fmt.signed_money(v, currency)
        if col == "deadline_probability":
            return fmt.pct(v)
        if col in ("gain", "marginal_gain") and kind == "deadline":
            return _signed_pct(v)
        if col in ("finish_p85_gain_days", "marginal_gain"):
            return f"{int(round(v)):+d}"
        return str(v)

    shown = pd.DataFrame({heads[c]: [cell(c, v) for v in df[c].tolist()] for c in cols})
    return str(shown.to_string(index=False))


def _team_date(v: Any, has: bool) -> str:
    return fmt.iso_date(v, "after horizon") if has else "(no features)"


def _teams_text(df: pd.DataFrame) -> str:
    import pandas as pd

    has = df["has_features"].tolist()
    before, after = df["finish_p85_before"].tolist(), df["finish_p85_after"].tolist()

    shown = pd.DataFrame(
        {
            "Team": df["team"],
            "Hires": [f"+{k}" if k else "" for k in df["hires"]],
            "P85 before": [_team_date(v, ok) for v, ok in zip(before, has, strict=True)],
            "P85 after": [_team_date(v, ok) for v, ok in zip(after, has, strict=True)],
            "Finishes last": [
                f"{fmt.pct(a)} -> {fmt.pct(b)}"
                for a, b in zip(df["last_share_before"], df["last_share_after"], strict=True)
            ],
            "On critical chain": [
                f"{fmt.pct(a)} -> {fmt.pct(b)}"
                for a, b in zip(
                    df["critical_share_before"], df["critical_share_after"], strict=True
                )
            ],
        }
    )
    return str(shown.to_string(index=False))


__all__ = ["Staffing", "explain", "staffing_result"]
