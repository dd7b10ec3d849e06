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
        "extra_fraction"
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
