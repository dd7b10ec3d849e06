"""Drive the SimPy reference model over many trials (``forecast(..., engine="des")``).

Trial ``i`` uses stream counter ``i`` exactly as the fast engine does, so both engines
see the same draws and can be compared trial by trial. The per-trial arrays are
aggregated by :meth:`EngineOutput.from_trials` (the same fixed-point sums as the
kernels), and each trial is priced by :mod:`portfolio_sim.des.money` into the same money
arrays (per-trial ``MONEY_COLUMNS``, float32 months, float64 budget quarters, fixed-point
per-feature sums), so the results layer cannot tell the engines apart. Slow (pure
Python): meant for checks, traces and small runs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from portfolio_sim.des.load import trial_load
from portfolio_sim.des.model import DesModel
from portfolio_sim.des.money import DesMoney
from portfolio_sim.engines.load_inputs import load_inputs, tally_days
from portfolio_sim.engines.output import MONEY_COLUMNS, MONEY_SCALE, EngineOutput
from portfolio_sim.scenario.compile import CompiledScenario

#: Trials between two progress callbacks.
PROGRESS_EVERY = 100


def run_des(
    compiled: CompiledScenario,
    trials: int,
    progress: Callable[[int, int], None] | None = None,
    *,
    first_trial: int = 0,
    load: bool = False,
) -> EngineOutput:
    """Run trials ``first_trial .. first_trial + trials - 1`` of ``compiled`` on SimPy.

    Returns an :class:`EngineOutput` with the per-trial done/start/size arrays
    [trials, F] kept and the money arrays filled as the fast engine fills them.
    ``progress(done, total)`` is called every :data:`PROGRESS_EVERY` trials and at the end.
    ``events`` counts SimPy events processed (not comparable with the fast engine's
    count). ``load``: the team load per month (docs/model.md §10.13), per-trial figures
    kept in ``load_days`` [trials, T, M, 3] (the DES keeps every per-trial array).
    """
    model = DesModel(compiled)
    pricing = DesMoney(compiled)
    n_f, n_t = compiled.n_features, compiled.n_teams
    n_m = len(compiled.month_labels)
    done = np.empty((trials, n_f))
    start = np.empty((trials, n_f))
    size = np.empty((trials, n_f))
    work = np.empty((trials, n_t))
    cap = np.empty((trials, n_t))
    money = np.empty((trials, len(MONEY_COLUMNS)))
    month_cost = np.empty((trials, n_m), dtype=np.float32)
    month_capex = np.empty((trials, n_m), dtype=np.float32)
    feat_value_sum = np.zeros(n_f, dtype=np.int64)
    feat_cost_sum = np.zeros(n_f, dtype=np.int64)
    quarter_cost = np.zeros((trials, pricing.n_quarters))
    events = 0
    lm = load_inputs(compiled)
    load_days = np.zeros((trials if load else 0, n_t, n_m, 3))
    pin = np.asarray(compiled.feat_pin, dtype=np.float64)
    pinned = pin >= 0.0 if pin.shape[0] else np.zeros(n_f, dtype=bool)
    for i in range(trials):
        res = model.run(first_trial + i)
        done[i], start[i], size[i] = res.done, res.start, res.size
        if pinned.any():  # a re-forecast's done features (docs/model.md §11.2)
            done[i, pinned] = pin[pinned]
            start[i, pinned] = pin[pinned]
        work[i], cap[i] = res.work, res.paid
        if load:
            load_days[i] = trial_load(
                model, res, lm.month_t, lm.cap_month, list(done[i]), list(start[i])
            )
        events += res.events
        priced = pricing.trial(first_trial + i, done[i], start[i])
        money[i] = priced.row()
        month_cost[i] = priced.month_cost  # float32, as the fast engine stores them
        month_capex[i] = priced.month_capex
        quarter_cost[i] = priced.quarter_cost
        feat_value_sum += np.round(priced.feat_value_pv * MONEY_SCALE).astype(np.int64)
        feat_cost_sum += np.round(priced.feat_cost * MONEY_SCALE).astype(np.int64)
        if progress is not None and ((i + 1) % PROGRESS_EVERY == 0 or i + 1 == trials):
            progress(i + 1, trials)
    out = EngineOutput.from_trials(
        done, start, size, work, cap, compiled.feat_team, n_t, compiled.horizon_days
    )
    out.events = events
    out.money = money
    out.month_cost = month_cost
    out.month_capex = month_capex
    out.feat_value_sum = feat_value_sum
    out.feat_cost_sum = feat_cost_sum
    out.quarter_cost = quarter_cost
    if load:
        out.load_hist, out.load_sum = tally_days(load_days, lm)
        out.load_cap, out.load_days = lm.cap_month, load_days
    return out
