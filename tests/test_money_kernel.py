"""The Numba money kernel against the reference pricing on made-up schedules (docs/model.md §6).

The engine agreement tests only see schedules the simulation produces. Here
``kernels.money.trial_money`` and ``des.money.DesMoney.trial`` price the same synthetic
start/done times directly, chosen to stress the capex sweep: many exact ties (whole and
half days, starts equal to other features' dones, zero-length work), features never
started or not done by the horizon, times past a team's paid end. The value tables the
kernel precomputes are checked against the reference value of every done day.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.des.money import DesMoney as RefMoney
from portfolio_sim.engines.fast_inputs import kernel_money
from portfolio_sim.kernels.money import KernelMoney, trial_money
from portfolio_sim.scenario import load
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario

SCENARIOS = Path(__file__).parent.parent / "scenarios"
NAMES = ["digital-portfolio", "startup"]
#: Relative agreement (of the trial's money scale): both sides are exact up to round-off.
REL = 1e-9


@cache
def models(name: str) -> tuple[CompiledScenario, KernelMoney, RefMoney]:
    m = compile_scenario(load(SCENARIOS / f"{name}.yaml"), 0)
    return m, kernel_money(m), RefMoney(m)


def synthetic_schedule(
    rng: np.random.Generator, n_f: int, h: int, mode: int
) -> tuple[np.ndarray, np.ndarray]:
    """Start and done clock times (inf: never) with start <= done and many ties."""
    if mode == 0:  # a coarse grid of whole days from 0: starts and dones coincide often
        start = rng.integers(0, 10, n_f) * 5.0
        done = start + rng.integers(0, 6, n_f) * 5.0
    elif mode == 1:  # half days, short work (some of it zero-length)
        start = rng.integers(0, 40, n_f) / 2.0
        done = start + rng.integers(0, 8, n_f) / 2.0
    elif mode == 2:  # one feature's done is another one's start
        cuts = np.sort(rng.integers(0, 60, n_f + 1)).astype(np.float64)
        order = rng.permutation(n_f)
        start, done = cuts[:-1][order], cuts[1:][order]
    elif mode == 3:  # around the horizon: some started, few done by it
        start = h - rng.integers(0, 12, n_f) + rng.integers(0, 2, n_f) / 2.0
        done = start + rng.integers(0, 8, n_f)
    else:  # fractional times
        start = rng.uniform(0.0, h, n_f)
        done = start + rng.exponential(40.0, n_f)
    never = rng.random(n_f) < 0.1
    start[never] = np.inf
    done[never] = np.inf
    done[rng.random(n_f) < 0.1] = np.inf
    return done, start


def price_fast(mm: KernelMoney, m: CompiledScenario, trial: int, done, start) -> dict:
    n_f, n_t, n_m = m.n_features, m.n_teams, len(m.month_labels)
    team_t = np.zeros(n_t)  # as kernels/run.py: each team's latest done time
    for f in range(n_f):
        j = int(m.feat_team[f])
        team_t[j] = max(team_t[j], done[f])
    month_cost, month_capex = np.empty(n_m), np.empty(n_m)
    feat_value, feat_cost = np.empty(n_f), np.empty(n_f)
    out = np.empty(8)
    trial_money(
        mm,
        trial,
        done,
        start,
        team_t,
        month_cost,
        month_capex,
        feat_value,
        feat_cost,
        np.empty(n_t, dtype=np.int64),
        np.empty(2 * n_f + 1),
        out,
    )
    return {
        "out": out,
        "month_cost": month_cost,
        "month_capex": month_capex,
        "feat_value": feat_value,
        "feat_cost": feat_cost,
    }


@pytest.mark.parametrize("name", NAMES)
def test_kernel_prices_synthetic_schedules_like_the_reference(name: str) -> None:
    m, mm, ref = models(name)
    rng = np.random.default_rng(20270104)
    for trial in range(60):
        done, start = synthetic_schedule(rng, m.n_features, m.horizon_days, trial % 5)
        fast = price_fast(mm, m, trial, done, start)
        want = ref.trial(trial, done, start)
        expect = [
            want.cost,
            want.cost_pv,
            want.value,
            want.value_pv,
            want.penalty_pv,
            want.npv,
            want.capex,
        ]
        scale = max(1.0, *(abs(x) for x in expect))
        np.testing.assert_allclose(fast["out"][:7], expect, rtol=0, atol=REL * scale)
        assert fast["out"][7] == want.spent_day, trial
        for key, arr in (
            ("month_cost", want.month_cost),
            ("month_capex", want.month_capex),
            ("feat_value", want.feat_value_pv),
            ("feat_cost", want.feat_cost),
        ):
            np.testing.assert_allclose(fast[key], arr, rtol=0, atol=REL * scale, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_value_tables_equal_the_reference_value_of_each_done_day(name: str) -> None:
    m, mm, ref = models(name)
    assert mm.value_tab.shape == mm.value_pv_tab.shape == (len(mm.value_feats), m.horizon_days)
    assert list(mm.value_feats) == [f for f in range(m.n_features) if m.feat_value[f, 0] > 0]
    for i, f in enumerate(mm.value_feats):
        for dd in range(0, m.horizon_days, 7):
            v, v_pv = ref._value(int(f), dd)
            assert mm.value_tab[i, dd] == pytest.approx(v, rel=1e-12, abs=1e-9)
            assert mm.value_pv_tab[i, dd] == pytest.approx(v_pv, rel=1e-12, abs=1e-9)
