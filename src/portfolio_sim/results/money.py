"""Money tables of a forecast: months, team cost, budget, value (docs/model.md §6, §8, §9).

Everything here follows the percentile rule of :mod:`.percentiles`. Team people cost is
a non-decreasing function of the day the team finishes, so its percentiles are computed
exactly from the team's finish-day histogram (no per-trial storage needed). Portfolio and
monthly totals come from the per-trial arrays the engine keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from portfolio_sim.calendar import done_days_or
from portfolio_sim.codes import BUDGET_RTOL
from portfolio_sim.engines.month_stream import BAND_PS, QUARTER_PS
from portfolio_sim.engines.output import MONEY_COLUMNS, MONEY_SCALE, EngineOutput
from portfolio_sim.results.percentiles import (
    VALUE_PERCENTILES,
    hist_percentiles,
    inverted_cdf_ranks,
    level_key,
    sample_percentiles,
    sortable,
)

if TYPE_CHECKING:
    import pandas as pd

    from portfolio_sim.scenario.compile import CompiledScenario

COST_PS = (10, 50, 80, 90)
#: Monthly bands of at least this many trials x months sort in two threads.
PARALLEL_BANDS_FROM = 1 << 20
#: Values per block of months transposed at a time by :func:`month_bands`.
BAND_BLOCK = 1 << 22


def _col(raw: EngineOutput, name: str) -> np.ndarray:
    assert raw.money is not None
    return raw.money[:, MONEY_COLUMNS.index(name)]


def team_cost_columns(
    compiled: CompiledScenario, raw: EngineOutput, ps: Sequence[float] = COST_PS
) -> dict[str, np.ndarray]:
    """Per team people cost: cost_mean and cost_p10/p50/p80/p90 (or the levels ``ps``;
    exact, from finish histograms), one value per team in ``compiled.team_ids`` order."""
    money = compiled.money
    cum = money.team_cost_cum
    h = compiled.horizon_days
    n_t = len(compiled.team_ids)
    cols = {name: np.empty(n_t) for name in ("cost_mean", *(f"cost_{level_key(p)}" for p in ps))}
    bins = np.arange(h + 1)
    for j in range(n_t):
        hist = raw.team_hist[j]
        # cost if the team's finish falls in bin b: paid through that day (or the horizon)
        if compiled.team_release_horizon[j]:
            cost_of_bin = np.full(h + 1, cum[j, h])
        elif not money.team_has_work[j]:
            cost_of_bin = np.zeros(h + 1)
        else:
            cost_of_bin = cum[j, np.minimum(bins + 1, h)]
        pb = hist_percentiles(hist, ps)
        cols["cost_mean"][j] = float(hist @ cost_of_bin / raw.trials)
        for k, p in enumerate(ps):
            cols[f"cost_{level_key(p)}"][j] = float(cost_of_bin[pb[k]])
    return cols


def month_bands(compiled: CompiledScenario, raw: EngineOutput) -> dict[str, np.ndarray]:
    """Per month P10/P50/P90 of cost, capex, opex (cost - capex) and cumulative cost:
    ``{"cost_p10": [M], ...}``, the numbers of :func:`months_table` without its means.

    Works month by month on rows of the per-trial arrays, so no trials x months float64
    array is built: opex and the running total are formed in float64 exactly as the
    table forms ``cost - capex`` and ``np.cumsum(cost)``; data that
    :func:`~.percentiles.sortable` does not accept takes the table's own path. An engine
    that streamed them (``raw.month_bands``, engines/month_stream.py) hands them over."""
    if raw.month_bands is not None:
        return {k: np.array(v) for k, v in raw.month_bands.items()}
    assert raw.month_cost is not None and raw.month_capex is not None
    names = ("cost", "capex", "opex", "cumulative")
    trials, n_m = raw.month_cost.shape
    if trials == 0 or not (sortable(raw.month_cost) and sortable(raw.month_capex)):
        cost = raw.month_cost.astype(np.float64)
        capex = raw.month_capex.astype(np.float64)
        arrays = (cost, capex, cost - capex, np.cumsum(cost, axis=1))
        out = {}
        for name, arr in zip(names, arrays, strict=True):
            q = sample_percentiles(arr.T, BAND_PS)
            for k, p in enumerate(BAND_PS):
                out[f"{name}_p{p}"] = q[:, k]
        return out
    ranks = inverted_cdf_ranks(trials, BAND_PS)
    bands = {name: np.empty((n_m, len(BAND_PS))) for name in names}
    # Months are transposed into rows a few at a time (at most ~4M values per block), so
    # the extra memory stays bounded whatever the number of trials.
    step = max(1, min(n_m, BAND_BLOCK // max(trials, 1)))
    month_cost, month_capex = raw.month_cost, raw.month_capex

    def cost_and_cumulative() -> None:
        running = np.empty(trials)
        for m0 in range(0, n_m, step):
            cost_rows = _rows(month_cost[:, m0 : m0 + step])
            for r, row in enumerate(cost_rows):
                m = m0 + r
                # float32 rows order like their float64 values (the conversion is exact)
                bands["cost"][m] = _select(row, ranks)
                if m == 0:
                    running[:] = row
                else:
                    running += row
                bands["cumulative"][m] = _select(running, ranks)

    def capex_and_opex() -> None:
        for m0 in range(0, n_m, step):
            cost_rows = _rows(month_cost[:, m0 : m0 + step])
            capex_rows = _rows(month_capex[:, m0 : m0 + step])
            for r in range(cost_rows.shape[0]):
                m = m0 + r
                opex = cost_rows[r].astype(np.float64)
                opex -= capex_rows[r]
                bands["opex"][m] = _select(opex, ranks, copy=False)
                # after opex: selection reorders the (scratch) capex row in place
                bands["capex"][m] = _select(capex_rows[r], ranks, copy=False)

    # numpy partitions without the GIL: two threads halve the wait on a second core
    parallel = trials * n_m >= PARALLEL_BANDS_FROM
    _in_two_threads(cost_and_cumulative, capex_and_opex, parallel=parallel)
    return {f"{name}_p{p}": bands[name][:, k] for name in names for k, p in enumerate(BAND_PS)}


def _select(row: np.ndarray, ranks: np.ndarray, copy: bool = True) -> np.ndarray:
    """The order statistics ``np.sort(row)[ranks]`` by selection (``np.partition`` at
    exactly those ranks: linear time, the same values). ``copy=False`` partitions ``row``
    in place (a scratch row)."""
    work = np.array(row) if copy else row
    work.partition(ranks)
    return work[ranks]


def _in_two_threads(first: Callable[[], None], second: Callable[[], None], parallel: bool) -> None:
    """Run ``first`` in a helper thread and ``second`` here (or both here when not
    ``parallel``); an exception in either is raised here."""
    if not parallel:
        first()
        second()
        return
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            first()
        except BaseException as err:  # re-raised in the caller's thread
            errors.append(err)

    helper = threading.Thread(target=run, name="portfolio-sim-bands", daemon=True)
    helper.start()
    try:
        second()
    finally:
        helper.join()
    if errors:
        raise errors[0]


def _rows(per_trial: np.ndarray, block: int = 4096) -> np.ndarray:
    """``per_trial.T`` as a C-contiguous array, copied in blocks of trials (numpy's
    one-go copy of a transposed array walks memory with a large stride: several times
    slower for trials x months arrays)."""
    out = np.empty(per_trial.shape[::-1], dtype=per_trial.dtype)
    for i in range(0, per_trial.shape[0], block):
        out[:, i : i + block] = per_trial[i : i + block].T
    return out


def months_table(
    compiled: CompiledScenario,
    raw: EngineOutput,
    bands: dict[str, np.ndarray] | None = None,
    means: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Per month: total cost, capex, opex and cumulative cost bands (P10/P50/P90) and
    means. ``bands`` and ``means``, when given, are :func:`month_bands` and
    :func:`month_means` of the same ``raw`` (a forecast computes them once)."""
    import pandas as pd

    if bands is None:
        bands = month_bands(compiled, raw)
    if means is None:
        means = month_means(raw)
    df = pd.DataFrame({"month": compiled.month_labels})
    for name in ("cost", "capex", "opex", "cumulative"):  # copies: the table is the caller's
        for p in BAND_PS:
            df[f"{name}_p{p}"] = np.array(bands[f"{name}_p{p}"])
        df[f"{name}_mean"] = np.array(means[name])
    return df


def month_means(raw: EngineOutput) -> dict[str, np.ndarray]:
    """Per month means over trials of cost, capex, opex (cost - capex) and cumulative
    cost, in float64, equal bit for bit to ``arr.mean(axis=0)`` of the float64 trials x
    months arrays, without building them: numpy sums axis 0 of a C-contiguous array row
    after row, and so does this, a block of trials at a time (memory: one block). Means
    an engine streamed (``raw.month_means``, added in the same order) are handed over."""
    if raw.month_means is not None:
        return {k: np.array(v) for k, v in raw.month_means.items()}
    assert raw.month_cost is not None and raw.month_capex is not None
    cost, capex = raw.month_cost, raw.month_capex
    trials, n_m = cost.shape
    names = ("cost", "capex", "opex", "cumulative")
    sums = {name: np.zeros(n_m) for name in names}
    block = max(1, min(trials, BAND_BLOCK // max(n_m, 1)))
    # Row 0 of each buffer holds the running sum, rows 1.. this block's values: reducing
    # the buffer adds them in numpy's own order. The values are written straight into the
    # buffers (float32 -> float64 on the copy), one pass each.
    buf = {name: np.empty((block + 1, n_m)) for name in names}
    for i in range(0, trials, block):
        n = min(block, trials - i)
        c, x = buf["cost"][1 : n + 1], buf["capex"][1 : n + 1]
        c[...] = cost[i : i + n]
        x[...] = capex[i : i + n]
        np.subtract(c, x, out=buf["opex"][1 : n + 1])
        np.cumsum(c, axis=1, out=buf["cumulative"][1 : n + 1])
        for name in names:
            buf[name][0] = sums[name]
            sums[name] = np.add.reduce(buf[name][: n + 1], axis=0)
    return {name: total / trials if trials else total * np.nan for name, total in sums.items()}


def team_months_rows(compiled: CompiledScenario, raw: EngineOutput) -> list[dict[str, Any]]:
    """The rows of :func:`team_months_table` (dicts: team, month, cost_p10/p50/p90)."""
    money = compiled.money
    cum = money.team_cost_cum
    mfd = money.month_first_day
    h = compiled.horizon_days
    rows = []
    for j, team_id in enumerate(compiled.team_ids):
        if team_id.startswith("@"):  # a task team (docs/model.md §3.10): no cost, no team
            continue
        if compiled.team_release_horizon[j]:
            ends = np.full(h + 1, h)
        elif not money.team_has_work[j]:
            ends = np.zeros(h + 1, dtype=np.int64)
        else:
            ends = np.minimum(np.arange(h + 1) + 1, h)
        pb = hist_percentiles(raw.team_hist[j], BAND_PS)
        for k, label in enumerate(compiled.month_labels):
            lo, hi = mfd[k], mfd[k + 1]
            vals = [float(cum[j, min(max(ends[b], lo), hi)] - cum[j, lo]) for b in pb]
            rows.append(
                {
                    "team": team_id,
                    "month": label,
                    **{f"cost_p{p}": v for p, v in zip(BAND_PS, vals, strict=True)},
                }
            )
    return rows


def team_months_table(compiled: CompiledScenario, raw: EngineOutput) -> pd.DataFrame:
    """Per team per month people cost P10/P50/P90 (long format: team, month, ...).

    A team's cost in a month is non-decreasing in its finish day, so the exact bands come
    from its finish histogram."""
    import pandas as pd

    return pd.DataFrame(team_months_rows(compiled, raw))


def over_budget(cost: np.ndarray, budget: float) -> np.ndarray:
    """Strictly greater than the budget, ignoring float round-off (1e-9 relative): a cost
    of 130020.00000000048 against a budget of 130020 is on budget."""
    return np.asarray(cost) > budget + BUDGET_RTOL * max(1.0, abs(budget))


def budget_summary(compiled: CompiledScenario, raw: EngineOutput) -> dict[str, Any]:
    """Budget overrun probabilities (total and per quarter), spent-date percentiles and
    contingency (P80/P90 cost minus P50) next to the budget."""
    cost = _col(raw, "cost")
    out: dict[str, Any] = {"total": compiled.budget_total}
    qs = sample_percentiles(cost, (50, 80, 90))
    out["contingency"] = {
        "p80_minus_p50": float(qs[1] - qs[0]),
        "p90_minus_p50": float(qs[2] - qs[0]),
    }
    if compiled.budget_total is not None:
        out["overrun_probability"] = float(np.mean(over_budget(cost, compiled.budget_total)))
        h = compiled.horizon_days
        spent = _col(raw, "spent_day").astype(np.int64)
        hist = np.bincount(np.minimum(spent, h), minlength=h + 1)
        pb = hist_percentiles(hist, (10, 50, 85, 95))
        out["spent_date"] = {
            f"p{p}": (None if b >= h else str(compiled.calendar.date_of(int(b))))
            for p, b in zip((10, 50, 85, 95), pb, strict=True)
        }
        out["never_spent_share"] = float(hist[h] / raw.trials)
    else:
        out["overrun_probability"] = None
    quarters = []
    for qi, (quarter, amount) in enumerate(sorted(compiled.budget_quarters.items())):
        if raw.quarter_stats is not None:  # streamed: P50, P80, P90, trials over budget
            p50, p80, p90, over = raw.quarter_stats[qi]
            quarters.append(
                {
                    "quarter": quarter,
                    "budget": float(amount),
                    "overrun_probability": float(over / raw.trials),
                    "cost": {"p50": float(p50), "p80": float(p80), "p90": float(p90)},
                }
            )
            continue
        if raw.quarter_cost is not None:
            qcost = raw.quarter_cost[:, qi]
        else:  # an engine without exact quarter sums: from the monthly arrays
            assert raw.month_cost is not None
            months = [k for k, q in enumerate(compiled.money.quarter_of_month) if q == qi]
            qcost = raw.month_cost[:, months].astype(np.float64).sum(axis=1)
        p = sample_percentiles(qcost, QUARTER_PS)
        quarters.append(
            {
                "quarter": quarter,
                "budget": float(amount),
                "overrun_probability": float(np.mean(over_budget(qcost, amount))),
                "cost": {"p50": float(p[0]), "p80": float(p[1]), "p90": float(p[2])},
            }
        )
    out["quarters"] = quarters
    return out


def feature_value_columns(compiled: CompiledScenario, raw: EngineOutput) -> dict[str, np.ndarray]:
    """Per feature: expected discounted value, one-off cost mean, cost of delay."""
    assert raw.feat_value_sum is not None and raw.feat_cost_sum is not None
    per_month = compiled.feat_value[:, 0]
    return {
        "value_pv_mean": raw.feat_value_sum / MONEY_SCALE / raw.trials,
        "oneoff_cost_mean": raw.feat_cost_sum / MONEY_SCALE / raw.trials,
        "cost_of_delay_per_month": np.where(compiled.feature_has_value, per_month, np.nan),
        "cost_of_delay_per_week": np.where(compiled.feature_has_value, per_month * 12 / 52, np.nan),
    }


def portfolio_money(
    raw: EngineOutput, levels: Sequence[float] | None = None
) -> dict[str, dict[str, float]]:
    """Mean and percentiles of cost, NPV, value and capex per trial: cost at
    P10/P50/P80/P90 and the others at P10/P50/P90, or all at the user's ``levels``."""
    out: dict[str, dict[str, float]] = {}
    cost_ps = COST_PS if levels is None else tuple(levels)
    value_ps = VALUE_PERCENTILES if levels is None else tuple(levels)
    for name, ps in (
        ("cost", cost_ps),
        ("npv", value_ps),
        ("value_pv", value_ps),
        ("cost_pv", value_ps),
        ("capex", value_ps),
    ):
        x = _col(raw, name)
        q = sample_percentiles(x, ps)
        out[name] = {
            "mean": float(x.mean()),
            **{level_key(p): float(v) for p, v in zip(ps, q, strict=True)},
        }
    cost_pv = _col(raw, "cost_pv")
    npv = _col(raw, "npv")
    out["roi"] = {"mean": float(npv.sum() / cost_pv.sum()) if cost_pv.sum() > 0 else float("nan")}
    out["npv"]["positive_probability"] = float(np.mean(npv > 0))
    return out


def joint_confidence(
    compiled: CompiledScenario, raw: EngineOutput, budgets: list[float], dates: list[Any]
) -> pd.DataFrame:
    """P(cost <= budget and portfolio done by date) on a grid (NASA-style JCL).

    Rows are budgets, columns dates (ISO strings). A trial not done by the horizon is
    never "done by" a date."""
    import pandas as pd

    cost = _col(raw, "cost")
    t = raw.port_t
    done_day = done_days_or(t, np.inf)
    cal = compiled.calendar
    table = {}
    for d in dates:
        limit = cal.index_on_or_before(d)
        ok_date = done_day <= limit
        table[str(np.datetime64(d, "D"))] = [float(np.mean(ok_date & (cost <= b))) for b in budgets]
    return pd.DataFrame(table, index=pd.Index([float(b) for b in budgets], name="budget"))
