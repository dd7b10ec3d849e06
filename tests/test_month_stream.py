"""Streamed monthly/quarterly money statistics (engines/month_stream.py) equal, bit for
bit, what the results layer computes from the kept per-trial arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import portfolio_sim as ps
from portfolio_sim.engines import fast, month_stream
from portfolio_sim.engines.month_stream import BAND_PS, QUARTER_PS, MonthStream
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.scenario.compile import compile_scenario

ROOT = Path(__file__).resolve().parent.parent


def _doc(compiled, trials: int, stream: bool) -> tuple[str, object]:
    raw = fast.run_fast(compiled, trials, stream=stream)
    fc = Forecast(compiled=compiled, raw=raw, trials=trials, seed=7, engine="fast")
    return json.dumps(fc.to_dict()), raw


@pytest.mark.parametrize("scenario", ["digital-portfolio", "startup"])
def test_streamed_forecast_equals_kept_arrays(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "STREAM_BATCH", 1500)  # pilot, then several narrowings
    compiled = compile_scenario(ps.load(ROOT / "scenarios" / f"{scenario}.yaml"), 7)
    kept, raw_kept = _doc(compiled, 12_000, stream=False)
    streamed, raw = _doc(compiled, 12_000, stream=True)
    assert raw_kept.month_cost is not None and raw_kept.month_bands is None
    assert raw.month_cost is None and raw.quarter_cost is None  # nothing per trial x month
    assert raw.month_bands is not None
    assert streamed == kept


def test_missed_window_reruns_keeping_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows too narrow to hold their rank: finish() says so and the engine runs the
    trials again keeping the arrays; the numbers are still the kept-array ones."""
    monkeypatch.setattr(fast, "STREAM_BATCH", 1000)
    monkeypatch.setattr(month_stream, "Z", 0.0)
    monkeypatch.setattr(month_stream, "MIN_HALF", 0)
    compiled = compile_scenario(ps.load(ROOT / "scenarios" / "digital-portfolio.yaml"), 7)
    kept, _ = _doc(compiled, 9_000, stream=False)
    streamed, raw = _doc(compiled, 9_000, stream=True)
    assert raw.month_cost is not None  # the rerun kept them
    assert streamed == kept


@pytest.mark.parametrize("batch", [1, 97, 5000])
def test_stream_order_statistics_with_atoms_and_ties(
    batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synthetic months: constant, mostly zero, few distinct values, continuous; quarter
    costs near the budget. Bands, means and quarter numbers equal numpy's."""
    monkeypatch.setattr(month_stream, "MIN_HALF", 2)
    rng = np.random.default_rng(3)
    n, n_m = 20_000, 6
    cost = np.empty((n, n_m), dtype=np.float32)
    cost[:, 0] = 1000.0
    cost[:, 1] = np.where(rng.random(n) < 0.85, 0.0, 250.0)
    cost[:, 2] = rng.integers(0, 4, n) * 100.0
    cost[:, 3:] = np.round(rng.gamma(2.0, 500.0, (n, 3)), 2)
    capex = (cost * np.float32(0.25)).astype(np.float32)
    capex[:, 4] = 0.0
    qcost = np.stack(
        [cost[:, :3].astype(np.float64).sum(1), cost[:, 3:].astype(np.float64).sum(1)], 1
    )
    budgets = [1100.0, float(np.median(qcost[:, 1]))]
    first = max(batch, 2000)
    st = MonthStream.from_pilot(n, cost[:first], capex[:first], qcost[:first], budgets)
    for i in range(0, n, batch):
        st.feed(cost[i : i + batch], capex[i : i + batch], qcost[i : i + batch])
    out = st.finish()
    assert out is not None
    bands, means, quarters = out
    c64, x64 = cost.astype(np.float64), capex.astype(np.float64)
    arrays = {"cost": c64, "capex": x64, "opex": c64 - x64, "cumulative": np.cumsum(c64, 1)}
    for name, arr in arrays.items():
        want = np.percentile(arr, BAND_PS, axis=0, method="inverted_cdf")
        for k, p in enumerate(BAND_PS):
            np.testing.assert_array_equal(bands[f"{name}_p{p}"], want[k])
        np.testing.assert_array_equal(means[name], arr.mean(axis=0))
    want_q = np.percentile(qcost, QUARTER_PS, axis=0, method="inverted_cdf").T
    np.testing.assert_array_equal(quarters[:, :3], want_q)
    for q, b in enumerate(budgets):
        assert quarters[q, 3] == np.sum(qcost[:, q] > b + 1e-9 * max(1.0, abs(b)))


def test_stream_refuses_nan() -> None:
    cost = np.ones((100, 2), dtype=np.float32)
    cost[5, 1] = np.nan
    capex = np.zeros_like(cost)
    q = np.zeros((100, 0))
    st = MonthStream.from_pilot(100, cost, capex, q, [])
    st.feed(cost, capex, q)
    assert st.finish() is None


@pytest.mark.parametrize(
    ("scenario", "z"), [("digital-portfolio", None), ("startup", None), ("digital-portfolio", 0.0)]
)
def test_forecast_streams_kept_arrays_to_the_same_months(
    scenario: str, z: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forecast that kept its month arrays computes the month bands and means with one
    streaming pass over them (month_stream.stream_arrays): the same numbers as the
    results layer's sorts of the arrays. With windows too narrow to hold their rank
    (z = 0) the pass says so and the sorts answer."""
    monkeypatch.setattr(month_stream, "MIN_TRIALS", 1000)
    monkeypatch.setattr(month_stream, "STREAM_BATCH", 1500)  # pilot, then narrowings
    monkeypatch.setattr(month_stream, "PILOT", 1000)
    if z is not None:
        monkeypatch.setattr(month_stream, "Z", z)
        monkeypatch.setattr(month_stream, "MIN_HALF", 0)
    from portfolio_sim.results import money

    compiled = compile_scenario(ps.load(ROOT / "scenarios" / f"{scenario}.yaml"), 7)
    raw = fast.run_fast(compiled, 9_000, stream=False)
    fc = Forecast(compiled=compiled, raw=raw, trials=9_000, seed=7, engine="fast")
    assert (fc._month_streamed is None) == (z is not None)  # streamed unless it missed
    want = money.months_table(
        compiled, raw, money.month_bands(compiled, raw), money.month_means(raw)
    )
    got = fc.months
    assert list(got.columns) == list(want.columns)
    for col in want.columns[1:]:
        assert np.array_equal(got[col].to_numpy(), want[col].to_numpy()), col
