"""The two engines agree on money: cost, capex, value, penalties, NPV, budget (docs/model.md §6).

The SimPy reference engine prices each trial with ``portfolio_sim.des.money`` (plain
Python/numpy, no kernel code); the fast engine with the Numba money kernel. Both draw the
one-off costs and value successes from the same keyed streams, so trial i of one engine
is trial i of the other: every money column must agree to 1e-6 relative in every trial
whose schedule agrees (a trial may differ only where a floating-point tie moved a done
day, in at most 0.1 % of trials), the float32 monthly arrays to float32 precision, and
the cost and NPV percentiles must be consistent with a 20 000-trial fast run on disjoint
trials (another seed) within the binomial confidence interval.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.output import MONEY_COLUMNS, EngineOutput
from portfolio_sim.errors import ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load, load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from test_engine_agreement import OTHER_SEED, SMALL, cdf_bounds, scenario_texts

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
#: Trials per bundled scenario (the DES runs ~100 trials/s mid-size, ~30/s large).
TRIALS = {"large-portfolio": 200}
DEFAULT_TRIALS = 300
#: Relative agreement of the money columns (of the trial's cost/value/penalty scale).
REL = 1e-6
#: Two clock times closer than this are a floating-point tie.
TIE = 1e-6
SPENT = MONEY_COLUMNS.index("spent_day")


def schedule_differs(fast: EngineOutput, des: EngineOutput) -> np.ndarray:
    """Per trial: some done or start time differs by more than a tie (bool [trials])."""
    assert fast.done is not None and des.done is not None
    assert fast.start is not None and des.start is not None
    out = np.zeros(fast.trials, dtype=bool)
    for a, b in ((fast.done, des.done), (fast.start, des.start)):
        same_inf = np.isinf(a) & np.isinf(b)
        with np.errstate(invalid="ignore"):
            close = np.abs(a - b) <= TIE
        out |= ~(same_inf | close).all(axis=1)
    return out


def money_differs(fast: EngineOutput, des: EngineOutput) -> np.ndarray:
    """Per trial: some money column differs by more than REL of the trial's scale."""
    assert fast.money is not None and des.money is not None
    f, d = fast.money, des.money
    scale = np.maximum.reduce([np.abs(f[:, c]) for c in range(SPENT)] + [np.ones(len(f))])
    amounts = np.abs(f[:, :SPENT] - d[:, :SPENT]) > REL * scale[:, None]
    return amounts.any(axis=1) | (f[:, SPENT] != d[:, SPENT])


def assert_money_agrees(m: CompiledScenario, fast: EngineOutput, des: EngineOutput) -> None:
    """Trial-by-trial agreement of every money output (see the module docstring)."""
    n = fast.trials
    bad = np.flatnonzero(money_differs(fast, des))
    moved = schedule_differs(fast, des)
    assert len(bad) <= 0.001 * n, f"{m.name}: trials {bad[:10].tolist()} differ in money"
    unexplained = bad[~moved[bad]]
    assert len(unexplained) == 0, f"{m.name}: trials {unexplained[:10].tolist()} differ"
    ok = ~(moved | money_differs(fast, des))
    assert fast.month_cost is not None and des.month_cost is not None
    assert fast.month_capex is not None and des.month_capex is not None
    assert des.month_cost.dtype == des.month_capex.dtype == np.float32
    assert des.month_cost.shape == fast.month_cost.shape == (n, len(m.month_labels))
    assert fast.money is not None
    floor = REL * np.maximum(np.abs(fast.money[ok, 0]), 1.0)[:, None]  # tiny months
    for a, b in ((fast.month_cost, des.month_cost), (fast.month_capex, des.month_capex)):
        diff = np.abs(a[ok].astype(np.float64) - b[ok].astype(np.float64))
        assert (diff <= 2.0**-22 * np.abs(a[ok]) + floor).all(), m.name
    assert fast.quarter_cost is not None and des.quarter_cost is not None
    assert des.quarter_cost.shape == fast.quarter_cost.shape
    np.testing.assert_allclose(des.quarter_cost[ok], fast.quarter_cost[ok], rtol=1e-9, atol=1e-6)
    # Fixed-point per-feature sums: each trial rounds to 1/256, so they agree within one
    # unit a trial (and exactly when no trial's amount sits on a rounding tie).
    assert fast.feat_value_sum is not None and des.feat_value_sum is not None
    assert fast.feat_cost_sum is not None and des.feat_cost_sum is not None
    if ok.all():
        assert np.abs(fast.feat_value_sum - des.feat_value_sum).max(initial=0) <= n
        assert np.abs(fast.feat_cost_sum - des.feat_cost_sum).max(initial=0) <= n


@cache
def bundled(name: str) -> tuple[CompiledScenario, EngineOutput, EngineOutput]:
    m = compile_scenario(load(Path(__file__).parent.parent / "scenarios" / f"{name}.yaml"), 7)
    n = TRIALS.get(name, DEFAULT_TRIALS)
    return m, run_fast(m, n, keep_trials=True), run_des(m, n)


@pytest.mark.parametrize("name", [p.stem for p in SCENARIOS])
def test_bundled_scenarios_money_agrees_trial_by_trial(name: str) -> None:
    m, fast, des = bundled(name)
    assert_money_agrees(m, fast, des)
    assert des.money is not None
    # The bundled scenarios exercise every part: cost, capex, value, NPV.
    for col in ("cost", "capex", "value_pv"):
        assert des.money[:, MONEY_COLUMNS.index(col)].max() > 0.0, (name, col)


def _sample_percentile(x: np.ndarray, p: float) -> float:
    """Inverted-CDF percentile (docs/model.md §8): smallest v with at least p of x <= v."""
    s = np.sort(x)
    return float(s[max(math.ceil(p * len(s) - 1e-9), 1) - 1])


@pytest.mark.parametrize("name", [p.stem for p in SCENARIOS])
def test_cost_and_npv_percentiles_within_binomial_confidence(name: str) -> None:
    # Two-sample check on disjoint trials: the DES's p-th percentile v of n trials (seed 7)
    # against 20 000 fast-engine trials with another seed (other streams, no shared
    # draws). Under "same distribution F": at least k = ceil(p n) of n trials <= v, and
    # fewer than k < v, must not be implausible under Binomial(n, F(v)), Binomial(n,
    # F(v-)), each tail taken at the most favourable F within the fast run's
    # Clopper-Pearson bound at alpha. A false alarm per comparison needs the bound to
    # miss or the tail to fall below alpha: at most 2 alpha = 2e-6, with 32 comparisons a
    # scenario.
    binom = pytest.importorskip("scipy.stats").binom
    m, _, des = bundled(name)
    other = compile_scenario(
        load(Path(__file__).parent.parent / "scenarios" / f"{name}.yaml"), OTHER_SEED
    )
    big = run_fast(other, 20_000)
    assert big.money is not None and des.money is not None
    n = des.trials
    alpha = 1e-6
    for col in ("cost", "cost_pv", "value_pv", "npv"):
        c = MONEY_COLUMNS.index(col)
        truth = np.sort(big.money[:, c])
        for p in (0.10, 0.50, 0.80, 0.90):
            k = math.ceil(p * n - 1e-9)
            v = _sample_percentile(des.money[:, c], p)
            _, at = cdf_bounds(np.searchsorted(truth, v, side="right"), len(truth), alpha)
            before, _ = cdf_bounds(np.searchsorted(truth, v, side="left"), len(truth), alpha)
            assert binom.sf(k - 1, n, at) >= alpha, (name, col, p, v, at)
            assert binom.cdf(k - 1, n, before) >= alpha, (name, col, p, v, before)


# -- whole forecast documents ----------------------------------------------------------

MONEY_SMALL = SMALL.replace(
    "teams:\n",
    "discount_rate: 0.08\nbudget: {total: 150000, quarters: {2027-Q1: 140000}}\nteams:\n",
).replace("wip_limit: 2,", "wip_limit: 2, cost_per_member_day: 600,")
MONEY_SMALL = MONEY_SMALL.replace(
    "per: week}}",
    "per: week}, members: 2, cost_per_member_day: 500}",
).replace(
    "growth: {uniform: [1, 1.3]}}",
    "growth: {uniform: [1, 1.3]}, capitalizable: true,\n"
    "     cost: {triangular: [1000, 2000, 6000]}, deadline: 2027-02-05,\n"
    "     deadline_penalty: 5000, value: {per_month: 20000, ramp_months: 2,"
    " success_probability: 0.6}}",
)


def _same(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two JSON-like documents differ (NaN equals NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d for k in sorted(set(a) | set(b)) for d in _same(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _same(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


@pytest.mark.parametrize("text", [SMALL, MONEY_SMALL], ids=["no-money", "money"])
def test_forecast_documents_are_the_same_whichever_engine(text: str) -> None:
    scn = load_text(text, "yaml", "seeded.yaml")
    docs = [forecast(scn, trials=100, seed=3, engine=e).to_dict() for e in ("fast", "des")]
    for d in docs:
        d.pop("provenance")
        d.pop("engine")
    assert _same(docs[0], docs[1]) == []
    if text is MONEY_SMALL:  # the money sections are there and not trivial
        port = docs[1]["portfolio"]
        assert port["cost"]["p50"] > 0 and port["npv"]["p90"] != port["npv"]["p10"]
        assert 0.0 < port["budget_overrun_probability"] < 1.0


def test_hand_priced_trial() -> None:
    # One member at 500/day, 10 person-days from Monday 2027-01-04: done Friday 01-15
    # (working day 9), paid days 0-9 = 5000, all capex (the feature is in progress the
    # whole time), plus a fixed one-off 700 (capex). Value 3650/month from 01-16 through
    # the horizon 2027-01-31: 16 days x 3650 x 12 / 365 = 1920. No discounting.
    text = """\
name: hand
start: 2027-01-04
horizon: 2027-01-31
teams: [{id: t, members: 1, cost_per_member_day: 500}]
features:
  - {id: a, team: t, effort: {fixed: 10}, capitalizable: true, cost: {fixed: 700},
     value: {per_month: 3650}}
"""
    m = compile_scenario(load_text(text, "yaml", "hand.yaml"), 0)
    des = run_des(m, 2)
    assert des.money is not None and des.month_cost is not None
    row = dict(zip(MONEY_COLUMNS, des.money[0], strict=True))
    assert row["cost"] == pytest.approx(5700.0)
    assert row["capex"] == pytest.approx(5700.0)
    assert row["value"] == pytest.approx(1920.0)
    assert row["npv"] == pytest.approx(1920.0 - 5700.0)
    assert row["spent_day"] == m.horizon_days
    assert des.month_cost[0].tolist() == [5700.0]
    assert des.feat_cost_sum is not None and des.feat_cost_sum.tolist() == [2 * 700 * 256]


# -- random scenarios with money -------------------------------------------------------


@st.composite
def money_scenario_texts(draw: Any) -> str:
    """A random schedule (test_engine_agreement.scenario_texts) with money added."""
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(draw(scenario_texts()))
    doc["discount_rate"] = draw(st.sampled_from([0.0, 0.1]))
    if draw(st.booleans()):
        total = draw(st.sampled_from([0, 5000, 20000, 100000]))
        doc["budget"] = {"total": total, "quarters": {"2027-Q1": 10000}}
    for team in doc["teams"]:
        team["cost_per_member_day"] = draw(st.sampled_from([0, 300, 650.1]))
        team.setdefault("members", 2)
    start = dt.date.fromisoformat(str(doc["start"]))
    horizon_days = (dt.date.fromisoformat(str(doc["horizon"])) - start).days
    for feat in doc["features"]:
        if draw(st.booleans()):
            feat["capitalizable"] = True
        if draw(st.integers(0, 2)) == 0:
            feat["cost"] = draw(st.sampled_from([{"fixed": 500}, {"uniform": [100, 900]}]))
        if draw(st.integers(0, 2)) == 0:
            feat["value"] = {
                "per_month": draw(st.sampled_from([1000, 5000])),
                "ramp_months": draw(st.sampled_from([0, 0.5, 3])),
                "success_probability": draw(st.sampled_from([1, 0.5])),
            }
        if draw(st.integers(0, 2)) == 0:
            offset = draw(st.integers(1, horizon_days + 30))
            feat["deadline"] = (start + dt.timedelta(days=offset)).isoformat()
            feat["deadline_penalty"] = draw(st.sampled_from([0, 2500]))
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=money_scenario_texts(), seed=st.integers(0, 2**31))
def test_random_scenarios_money_agrees_trial_by_trial(text: str, seed: int) -> None:
    try:
        scn = load_text(text, "yaml", "generated.yaml")
    except ScenarioError:
        assume(False)
        raise
    m = compile_scenario(scn, seed)
    n = 30
    fast, des = run_fast(m, n, keep_trials=True), run_des(m, n)
    moved = schedule_differs(fast, des)
    assert not moved.any(), f"schedule differs in trials {np.flatnonzero(moved)}:\n{text}"
    bad = np.flatnonzero(money_differs(fast, des))
    assert len(bad) == 0, f"money differs in trials {bad.tolist()}:\n{text}"
    assert_money_agrees(m, fast, des)
