"""The reference engine keeps its own readable trial sampling (des/sampling.py); these
tests pin it, draw for draw, to the kernels' (kernels/sample.py ``kernel_sample_trial``) and
the shared rounding rules in rng.py, so the two cannot drift apart."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.des.sampling import Sampler
from portfolio_sim.engines.fast_inputs import kernel_model
from portfolio_sim.kernels.schedule import kernel_sample_trial
from portfolio_sim.rng import period_items, whole_items
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.load import load, load_text

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

#: Every size and risk kind, items and effort, growth, rounding near integers.
ALL_KINDS = """\
name: all kinds
start: 2027-01-04
horizon: 2027-06-30
teams:
  - {id: dev, members: 2}
  - {id: flow, throughput: {triangular: [0, 2.5, 6], per: week}}
features:
  - {id: a, team: dev, effort: {pert: [3, 5, 11]}, growth: {uniform: [1, 1.5]}}
  - {id: b, team: flow, items: {uniform: [2, 7]}}
  - {id: c, team: flow, items: {fixed: 4.0000000001}, growth: {uniform: [0.5, 2]}}
  - {id: d, team: dev, effort: {lognormal: {p10: 2, p90: 9}}, depends_on: [a]}
risks:
  - {id: late, probability: 0.4, affects: [a, d], delay: {uniform: [1, 4]}}
  - {id: more, probability: 0.6, affects: [b, c], extra_items: {uniform: [0.2, 3]}}
  - {id: scope, probability: 0.5, affects: [d], extra_effort: {triangular: [1, 2, 5]}}
"""


def _compiled() -> list[tuple[str, CompiledScenario]]:
    out = [(p.stem, compile_scenario(load(p), seed=7)) for p in SCENARIOS]
    out.append(("all-kinds", compile_scenario(load_text(ALL_KINDS, "yaml", "s.yaml"), seed=7)))
    return out


@pytest.mark.parametrize(("name", "c"), _compiled(), ids=lambda x: x if isinstance(x, str) else "")
def test_des_trial_sampling_equals_the_kernels_draw_for_draw(
    name: str, c: CompiledScenario
) -> None:
    km = kernel_model(c)
    size, delay = np.empty(c.n_features), np.empty(c.n_features)
    sampler = Sampler(c)
    fired_any = False
    for trial in range(300):
        kernel_sample_trial(km, trial, size, delay)
        d = sampler.trial(trial)
        assert d.size == size.tolist(), (name, trial)
        assert d.delay == delay.tolist(), (name, trial)
        fired_any |= bool(d.fired)
    assert fired_any or c.n_risks == 0, name


def test_des_period_items_use_the_shared_rounding() -> None:
    c = compile_scenario(load_text(ALL_KINDS, "yaml", "s.yaml"), seed=7)
    sampler = Sampler(c)
    seen = set()
    for q in range(200):
        got = sampler.period_items(1, 5, q)
        seen.add(got)
        assert got == float(math.floor(got)) and got >= 0.0
    assert seen >= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, seen


def test_shared_rounding_rules_by_hand() -> None:
    """docs/model.md §2/§3: items round up except within EPS of an integer; a period's
    throughput rounds half up and never goes below 0."""
    assert [whole_items(x) for x in (4.0, 4.0000000001, 4.000001, 3.2, 0.0)] == [4, 4, 5, 4, 0]
    assert [period_items(x) for x in (2.5, 2.4999, 3.5, -0.4, -3.0, 0.49)] == [
        3.0,
        2.0,
        4.0,
        0.0,
        0.0,
        0.0,
    ]
