"""Team load over time as a table: per team, month and state, the share of the team's
capacity that month (docs/model.md §10.13), its mean and P10/P50/P90 over the trials.

The engines hand over share histograms (bin b: share ``b / LOAD_RES``), fixed-point sums
of capacity-days and each team-month's capacity (engines/output.py); percentiles follow
the inverted-CDF rule of docs/model.md §8 over the binned shares, so they are exact to
the bin width (0.1 percentage point); means are exact (unbinned). Team-months without
capacity (before a team starts, no working day) have no shares and are not listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.codes import LOAD_BUSY, LOAD_RES, LOAD_STATES, WORK_SCALE
from portfolio_sim.engines.month_stream import order_ranks
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.scenario.expand import is_task_team

if TYPE_CHECKING:
    import pandas as pd

    from portfolio_sim.scenario.compile import CompiledScenario

#: Percentiles of the load bands.
LOAD_PS = (10, 50, 90)
#: A team-month is a bottleneck month when its busy share's P50 is at least this.
BOTTLENECK_BUSY_P50 = 0.95
COLUMNS = ("team", "month", "state", "capacity_days", "mean", "p10", "p50", "p90")


def hist_shares(hist: np.ndarray, trials: int, ps: tuple[int, ...] = LOAD_PS) -> np.ndarray:
    """Percentile shares [len(ps), ...] of share histograms [LOAD_RES+1, ...] holding
    ``trials`` counts each (the inverted-CDF order statistic of the binned shares)."""
    ranks = order_ranks(trials, ps)
    cum = np.cumsum(hist, axis=0)
    out = np.empty((len(ps), *hist.shape[1:]))
    for i, r in enumerate(ranks):
        out[i] = np.argmax(cum > r, axis=0) / LOAD_RES
    return out


def load_arrays(raw: EngineOutput) -> dict[str, np.ndarray] | None:
    """``{"mean", "p10", "p50", "p90"}`` shares [T, M, 3] and ``"capacity"`` [T, M];
    None when the run did not account load."""
    if raw.load_hist is None or raw.load_sum is None or raw.load_cap is None:
        return None
    cap = raw.load_cap
    has = cap > 0.0
    denom = np.where(has, cap, 1.0)[..., None] * raw.trials
    out = {"mean": np.where(has[..., None], raw.load_sum / WORK_SCALE / denom, np.nan)}
    bands = hist_shares(raw.load_hist, raw.trials)
    for i, p in enumerate(LOAD_PS):
        out[f"p{p}"] = np.where(has[..., None], bands[i], np.nan)
    out["capacity"] = cap
    return out


def load_rows(compiled: CompiledScenario, raw: EngineOutput) -> list[dict[str, Any]]:
    """One row per team, month with capacity and state (:data:`COLUMNS`)."""
    arrs = load_arrays(raw)
    if arrs is None:
        return []
    rows = []
    for j, team in enumerate(compiled.team_ids):
        if is_task_team(team):  # duration tasks, shared features' joins (§3.9-§3.10)
            continue
        for k, month in enumerate(compiled.month_labels):
            c = float(arrs["capacity"][j, k])
            if c <= 0.0:
                continue
            for s, state in enumerate(LOAD_STATES):
                rows.append(
                    {
                        "team": team,
                        "month": month,
                        "state": state,
                        "capacity_days": c,
                        **{key: float(arrs[key][j, k, s]) for key in ("mean", "p10", "p50", "p90")},
                    }
                )
    return rows


def load_table(compiled: CompiledScenario, raw: EngineOutput) -> pd.DataFrame:
    """The long table (:data:`COLUMNS`); empty when the run did not account load."""
    import pandas as pd

    return pd.DataFrame(load_rows(compiled, raw), columns=list(COLUMNS))


def load_doc(compiled: CompiledScenario, raw: EngineOutput) -> dict[str, Any] | None:
    """The JSON ``team_load`` key (docs/outputs.md): ``{"states", "bottleneck_busy_p50",
    "teams": [{"id", "months": [{"month", "capacity_days", "bottleneck", "busy": {"mean",
    "p10", "p50", "p90"}, "waiting": {...}, "empty": {...}}]}]}``; None without load."""
    arrs = load_arrays(raw)
    if arrs is None:
        return None
    teams = []
    for j, team in enumerate(compiled.team_ids):
        if is_task_team(team):  # duration tasks, shared features' joins (§3.9-§3.10)
            continue
        months = []
        for k, month in enumerate(compiled.month_labels):
            c = float(arrs["capacity"][j, k])
            if c <= 0.0:
                continue
            item: dict[str, Any] = {
                "month": month,
                "capacity_days": c,
                "bottleneck": bool(arrs["p50"][j, k, LOAD_BUSY] >= BOTTLENECK_BUSY_P50),
            }
            for s, state in enumerate(LOAD_STATES):
                item[state] = {
                    key: float(arrs[key][j, k, s]) for key in ("mean", "p10", "p50", "p90")
                }
            months.append(item)
        teams.append({"id": team, "months": months})
    return {
        "states": list(LOAD_STATES),
        "bottleneck_busy_p50": BOTTLENECK_BUSY_P50,
        "teams": teams,
    }


def state_runs(
    compiled: CompiledScenario,
    raw: EngineOutput,
    state: str = "busy",
    threshold: float = BOTTLENECK_BUSY_P50,
) -> dict[str, list[tuple[str, str]]]:
    """Per team, its runs of consecutive months whose ``state`` share has a P50 of at
    least ``threshold`` (default: bottleneck months, busy P50 >= 95 %) as (first month,
    last month) labels; teams without any are left out."""
    s_idx = LOAD_STATES.index(state)
    arrs = load_arrays(raw)
    if arrs is None:
        return {}
    out: dict[str, list[tuple[str, str]]] = {}
    labels = compiled.month_labels
    for j, team in enumerate(compiled.team_ids):
        if is_task_team(team):  # duration tasks, shared features' joins (§3.9-§3.10)
            continue
        hot = (arrs["capacity"][j] > 0.0) & (np.nan_to_num(arrs["p50"][j, :, s_idx]) >= threshold)
        runs: list[tuple[str, str]] = []
        k = 0
        while k < len(labels):
            if hot[k]:
                e = k
                while e + 1 < len(labels) and hot[e + 1]:
                    e += 1
                runs.append((labels[k], labels[e]))
                k = e + 1
            else:
                k += 1
        if runs:
            out[team] = runs
    return out
