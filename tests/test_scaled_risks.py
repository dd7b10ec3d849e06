"""Risks that scale with the feature: ``extra_fraction`` (docs/model.md §5.3), on both
engines, with fixed impacts and probability 1 so every number is hand-computed."""

from __future__ import annotations

import numpy as np
import pytest

from portfolio_sim.des.sampling import Sampler
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.fast_inputs import kernel_model
from portfolio_sim.kernels.schedule import kernel_sample_trial
from portfolio_sim.scenario.compile import compile_scenario
from portfolio_sim.scenario.load import load_text
from scenario_text import BASE, problems

HAND = """\
name: scaled
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: dev, members: 1}
  - {id: app, throughput: {fixed: 1, per: day}}
features:
  - {id: a, team: dev, effort: {fixed: 10}}
  - {id: b, team: dev, effort: {fixed: 4}, depends_on: [a]}
  - {id: c, team: app, items: {fixed: 5}, growth: {fixed: 1.1}}
risks:
  - {id: r3, probability: 1, affects: [a], extra_effort: {fixed: 1}}
  - {id: r1, probability: 1, affects: [a, b], extra_fraction: {fixed: 0.5}}
  - {id: r2, probability: 1, affects: [a], extra_fraction: {fixed: 0.25}}
  - {id: r4, probability: 1, affects: [c], extra_fraction: {fixed: 0.3}}
  - {id: r5, probability: 1, affects: [c], extra_items: {fixed: 0.5}}
"""


def test_sizes_by_hand_on_both_samplers() -> None:
    """a: 10 + 0.5 x 10 + 0.25 x 10 + 1 = 18.5 (the additive r3, listed first, does not
    count in the base); b: 4 + 2 = 6; c: 5 x 1.1 = 5.5 -> 6 items, + ceil(0.3 x 6 = 1.8)
    = 2, + ceil(0.5) = 1: 9."""
    m = compile_scenario(load_text(HAND, "yaml", "s.yaml"), seed=1)
    size, delay = np.empty(3), np.empty(3)
    kernel_sample_trial(kernel_model(m), 0, size, delay)
    assert size.tolist() == [18.5, 6.0, 9.0]
    assert delay.tolist() == [0.0, 0.0, 0.0]
    d = Sampler(m).trial(0)
    assert d.size == [18.5, 6.0, 9.0]
    assert d.fired == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_done_times_by_hand(engine: str) -> None:
    """One member: a ends at t = 18.5, b at 18.5 + 6 = 24.5; c (9 items at 1 a day)
    at t = 9."""
    m = compile_scenario(load_text(HAND, "yaml", "s.yaml"), seed=1)
    out = run_fast(m, 3, keep_trials=True) if engine == "fast" else run_des(m, 3)
    assert out.done is not None
    np.testing.assert_allclose(out.done, [[18.5, 24.5, 9.0]] * 3, atol=1e-9)


def test_fraction_scales_with_the_drawn_size_and_engines_agree() -> None:
    """With a random estimate, the extra is exactly x times the size as drawn: the
    size with the risk is (1 + x) times the size without, trial by trial (fixed x), and
    the DES sampler equals the kernel draw for draw with a random fraction too."""
    text = HAND.replace("effort: {fixed: 10}", "effort: {pert: [5, 10, 30]}")
    plain = "\n".join(line for line in text.splitlines() if "r1" not in line and "r2" not in line)
    plain = plain.replace("extra_effort: {fixed: 1}", "extra_effort: {fixed: 0}")
    only = text.replace("extra_effort: {fixed: 1}", "extra_effort: {fixed: 0}")
    m0 = compile_scenario(load_text(plain + "\n", "yaml", "s.yaml"), seed=3)
    m1 = compile_scenario(load_text(only, "yaml", "s.yaml"), seed=3)
    k0, k1 = kernel_model(m0), kernel_model(m1)
    s0, s1, d = np.empty(3), np.empty(3), np.empty(3)
    for t in range(200):
        kernel_sample_trial(k0, t, s0, d)
        kernel_sample_trial(k1, t, s1, d)
        assert s1[0] == pytest.approx(1.75 * s0[0], rel=1e-12)
    random = compile_scenario(
        load_text(text.replace("{fixed: 0.5}", "{uniform: [0.1, 0.9]}"), "yaml", "s.yaml"),
        seed=3,
    )
    km, sampler = kernel_model(random), Sampler(random)
    for t in range(200):
        kernel_sample_trial(km, t, s1, d)
        assert sampler.trial(t).size == s1.tolist()
    fast, des = run_fast(random, 100, keep_trials=True), run_des(random, 100)
    assert fast.done is not None and des.done is not None
    np.testing.assert_allclose(fast.done, des.done, atol=1e-6)


def test_validation() -> None:
    two = (
        BASE
        + "risks:\n  - {id: r, probability: 1, affects: [a], delay: {fixed: 1}, extra_fraction: {fixed: 0.1}}\n"
    )
    assert problems(two) == [
        "s.yaml:12: risks[0]: a risk needs exactly one of extra_effort, extra_items, delay, "
        "extra_fraction, cost"
    ]
    neg = (
        BASE
        + "risks:\n  - {id: r, probability: 1, affects: [a], extra_fraction: {uniform: [-0.1, 0.2]}}\n"
    )
    got = problems(neg)
    assert len(got) == 1 and got[0].startswith("s.yaml:12: risks[0].extra_fraction"), got
    unknown = (
        BASE + "risks:\n  - {id: r, probability: 1, affects: [zz], extra_fraction: {fixed: 0.1}}\n"
    )
    assert problems(unknown) == ["s.yaml:12: risks[0].affects[0]: unknown feature 'zz'"]


# -- portfolio cost shocks (docs/model.md §5.4) --------------------------------------------

SHOCK = """\
name: shock
start: 2027-01-04
horizon: 2027-06-30
budget: {total: 5500, quarters: {"2027-Q1": 10000}}
teams:
  - {id: dev, members: 1, cost_per_member_day: 100}
features:
  - {id: a, team: dev, effort: {fixed: 10}}
risks:
  - {id: fx, probability: 1, cost: {fixed: 5000}, on: 2027-02-01}
  - {id: never, probability: 0, cost: {fixed: 7000}}
"""


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_cost_shock_by_hand(engine: str) -> None:
    """People cost 10 days x 100 = 1,000 in January; the shock 5,000 on Mon 2027-02-01
    (working day 20), in February; total 6,000 (no discounting). Budget 5,500: spend
    over days [0, d) is 1,000 up to d = 20 and 6,000 from d = 21, so the budget is spent
    on day 20. The probability-0 shock never fires. Q1 cost 6,000."""
    m = compile_scenario(load_text(SHOCK, "yaml", "s.yaml"), seed=1)
    assert m.shock_day.tolist() == [20, 0]
    out = run_fast(m, 4, keep_trials=True) if engine == "fast" else run_des(m, 4)
    assert out.money is not None and out.month_cost is not None
    assert out.quarter_cost is not None
    cols = ["cost", "cost_pv", "npv", "capex", "spent_day"]
    idx = [0, 1, 5, 6, 7]
    for i in range(4):
        got = dict(zip(cols, out.money[i, idx].tolist(), strict=True))
        assert got == {
            "cost": 6000.0,
            "cost_pv": 6000.0,
            "npv": -6000.0,
            "capex": 0.0,
            "spent_day": 20.0,
        }
        assert out.month_cost[i, :2].tolist() == [1000.0, 5000.0]
        assert out.quarter_cost[i].tolist() == [6000.0]


def test_cost_shock_probability_and_engines_agree() -> None:
    """A shock with probability 0.3 and a random cost: the share of trials that pay it
    is within 4 binomial sd of 0.3, and both engines price every trial alike."""
    text = SHOCK.replace(
        "probability: 1, cost: {fixed: 5000}", "probability: 0.3, cost: {uniform: [1000, 3000]}"
    )
    m = compile_scenario(load_text(text, "yaml", "s.yaml"), seed=2)
    n = 2000
    fast = run_fast(m, n, keep_trials=True)
    assert fast.money is not None
    paid = fast.money[:, 0] - 1000.0
    fired = paid > 0
    assert abs(fired.mean() - 0.3) < 4 * (0.21 / n) ** 0.5
    assert paid[fired].min() >= 1000.0 and paid[fired].max() <= 3000.0
    des = run_des(m, 300)
    assert des.money is not None
    np.testing.assert_allclose(des.money, fast.money[:300], rtol=1e-12)


def test_cost_shock_validation() -> None:
    head = BASE + "risks:\n"
    assert problems(head + "  - {id: r, probability: 1, affects: [a], cost: {fixed: 1}}\n") == [
        "s.yaml:12: risks[0]: a cost shock (cost) is portfolio-level and affects no feature: "
        "remove affects (use a feature's cost for a one-off cost of a feature)"
    ]
    assert problems(head + "  - {id: r, probability: 1, extra_effort: {fixed: 1}}\n") == [
        "s.yaml:12: risks[0]: affects needs at least one feature id (only a cost shock or a "
        "freeze, delay with on, has none)"
    ]
    assert problems(
        head
        + "  - {id: r, probability: 1, affects: [a], extra_effort: {fixed: 1}, on: 2027-02-01}\n"
    ) == [
        "s.yaml:12: risks[0]: on (the day a cost shock is paid or a freeze begins) goes with "
        "cost, or with delay without affects"
    ]
    # (a delay without affects is a freeze: tests/test_freeze.py)
    assert problems(head + "  - {id: r, probability: 1, cost: {fixed: 1}, on: 2026-02-01}\n") == [
        "s.yaml:12: risks[0].on: cost shock date 2026-02-01 is before start (2027-01-04)"
    ]
    assert problems(head + "  - {id: r, probability: 1, cost: {fixed: 1}, on: 2029-02-01}\n") == [
        "s.yaml:12: risks[0].on: cost shock date 2029-02-01 is after the horizon (2028-12-31): "
        "it would never be paid"
    ]
    assert problems(head + "  - {id: r, probability: 1, cost: {fixed: -1}}\n")[0].startswith(
        "s.yaml:12: risks[0].cost"
    )
