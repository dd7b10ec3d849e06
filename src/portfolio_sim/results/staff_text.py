"""Terminal text of a :class:`~portfolio_sim.results.staff_tables.Staffing`: the
"what moved" sentences (:func:`explain`) and the candidates, curve and teams tables, in
the human number format of :mod:`portfolio_sim.formatting` (money, percentages, ISO
dates); machine exports keep the DataFrames' keys (docs/outputs.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim import formatting as fmt

if TYPE_CHECKING:
    import pandas as pd


def explain(
    kind: str,
    objective: str,
    effect: dict[str, Any],
    teams: pd.DataFrame,
    plan: dict[str, int],
    add: int,
    currency: str,
    curve_gains: list[float] | None = None,
    load: dict[str, dict[str, list[tuple[str, str]]]] | None = None,
) -> list[str]:
    """ "What moved", in words: the objective's change with its interval, the team that
    sets the finish, each hired team's chain share and P85, a team that finishes last
    but is freed by hires upstream, and where the marginal curve (``curve_gains``: the
    gain after 0..N greedy hires) stops improving. ``load`` (the current plan's team-load
    runs, ``{"busy_runs": {team: [(first, last)]}, "waiting_runs": ...}``) adds when each
    hired team is busy (busy P50 >= 95 %) and when the last team waits."""
    busy = (load or {}).get("busy_runs", {})
    waiting = (load or {}).get("waiting_runs", {})
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
            f"{feature}'s P85 done moves from "
            f"{effect['feature_p85_before'] or 'after the horizon'} to "
            f"{effect['feature_p85_after'] or 'after the horizon'} "
            f"(deadline {effect['deadline']})."
        )
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
        if busy.get(team):
            lines.append(f"{team} is busy 95-100 % (P50) {_runs(busy[team])} in the current plan.")
    moved_last = not plan.get(last.team) and _earlier(last.finish_p85_after, last.finish_p85_before)
    if moved_last:
        upstream = ", ".join(t for t, k in plan.items() if k)
        lines.append(
            f"{last.team} gets no one but waits on {upstream}: its P85 moves from "
            f"{fmt.iso_date(last.finish_p85_before)} to {fmt.iso_date(last.finish_p85_after)} "
            "without a hire of its own."
        )
    if waiting.get(last.team) and not plan.get(last.team):
        lines.append(
            f"{last.team} sits idle waiting (unfinished features, none workable: waiting "
            f"P50 >= 50 %) {_runs(waiting[last.team])} in the current plan."
        )
    new_last = max(rows.values(), key=lambda r: r.last_share_after)
    if new_last.team != last.team:
        lines.append(
            f"After the hires {new_last.team} finishes last most often "
            f"({fmt.pct(new_last.last_share_after)} of trials)."
        )
    if curve_gains and len(curve_gains) > 1:
        best = max(curve_gains)
        k = curve_gains.index(best)
        if 0 < k < add:
            later = "lower it" if curve_gains[-1] < best else "add nothing to it"
            lines.append(
                f"Marginal curve: hire {k} is the last one that improves {objective}; "
                f"hires {k + 1} to {add}, placed one at a time, {later}."
            )
    return lines


def _runs(runs: list[tuple[str, str]]) -> str:
    """``[("2027-03", "2027-10")]`` -> ``"from 2027-03 to 2027-10"`` (several: joined)."""
    parts = [f"in {a}" if a == b else f"from {a} to {b}" for a, b in runs]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _earlier(a: Any, b: Any) -> bool:
    try:
        return bool(np.datetime64(a, "D") < np.datetime64(b, "D"))
    except (TypeError, ValueError):
        return False


def plan_text(plan: dict[str, int]) -> str:
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


def table_text(df: pd.DataFrame, kind: str, currency: str, first: str) -> str:
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


def teams_text(df: pd.DataFrame) -> str:
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


__all__ = ["explain", "plan_text", "table_text", "teams_text"]
