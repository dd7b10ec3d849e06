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
from portfolio_sim.results.staff_text import explain, plan_text, table_text, teams_text

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
        plan = plan_text(self.recommended)
        lines = [
            f"Where {self.add} new {'person' if self.add == 1 else 'people'} should go "
            f"(objective {self.objective}; joining {self.on}, ramp {self.ramp_days:g} "
            f"working days; {self.trials:,} trials, seed {self.seed}; "
            f"{self.search['mode']} search over {self.search['assignments']:,} "
            f"assignments, {self.search['evaluated']:,} forecasts):",
            "",
            f"Recommended: {plan}",
        ]
        lines += [f"  {line}" for line in self.explanation]
        lines += ["", "Best assignments:"]
        lines.append(table_text(self.candidates, kind, cur, first="rank"))
        lines += ["", "Marginal value of each hire (greedy, one at a time):"]
        lines.append(table_text(self.curve, kind, cur, first="hires"))
        lines += ["", "Teams, current plan -> recommendation:"]
        lines.append(teams_text(self.teams))
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
            "assignment": plan_text(dict(zip(teams, ev.hires, strict=True))),
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
    if kind == "deadline":
        feature = scenario.feature(objective.partition(":")[2])
        effect["deadline"] = feature.deadline.isoformat()
        effect["feature_p85_before"] = _iso(date(base.feature_p85_day))
        effect["feature_p85_after"] = _iso(date(recommended.feature_p85_day))
    currency = str(scenario.currency)
    teams_df = _frame(team_rows)
    gains = [float(r["gain"]) for r in curve_rows]
    load = {k: before.get(k, {}) for k in ("busy_runs", "waiting_runs")}
    explanation = explain(
        kind, objective, effect, teams_df, rec_plan, add, currency, gains, load=load
    )
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


def _iso(d: Any) -> str | None:
    return None if np.isnat(d) else str(d)


def _objective_value(kind: str, ev: Any, date: Any) -> Any:
    return _iso(date(ev.p85_day)) if kind == "p85" else float(ev.value)


# --- helpers ----------------------------------------------------------------------------


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


__all__ = ["Staffing", "staffing_result"]
