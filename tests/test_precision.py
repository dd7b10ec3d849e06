"""Confidence intervals of percentiles and trials chosen by precision (docs/model.md
§8.10, §8.11): rank rule against hand computation and the exact binomial, coverage on
known distributions, the half-width rule for "not done", the auto rule (stops when the
rule holds, equals a fixed run of the same size, warns at the cap) and the CLI."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from portfolio_sim.cli import main
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.forecasting import forecast
from portfolio_sim.results import precision
from portfolio_sim.results.precision import ci_ranks
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import compile_scenario
from portfolio_sim.scenario.load import load

STARTUP = Path(__file__).resolve().parents[1] / "scenarios" / "startup.yaml"

#: Fixed estimates only: every trial is the same, so every interval has width 0.
FIXED = """\
name: Fixed
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: web, members: 2, cost_per_member_day: 500}
features:
  - {id: a, team: web, effort: {fixed: 5}}
  - {id: b, team: web, effort: {fixed: 7}, depends_on: [a]}
"""


# -- ranks --------------------------------------------------------------------------------


def _hand_ranks(n: int, p: Fraction) -> tuple[int, int]:
    """The rank rule with exact rational binomial probabilities (math.comb)."""
    cdf, acc = [], Fraction(0)
    for k in range(n + 1):
        acc += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        cdf.append(acc)
    tail = Fraction(1, 40)
    low = max((k + 1 for k in range(n + 1) if cdf[k] <= tail), default=0)
    up = min((k + 1 for k in range(n + 1) if cdf[k] >= 1 - tail), default=n + 1)
    return low, up


def test_ranks_of_ten_trials_at_the_median_by_hand() -> None:
    # Bin(10, 1/2): F(1) = 11/1024 <= 0.025 < F(2) = 56/1024, so l = 2;
    # F(7) = 968/1024 < 0.975 <= F(8) = 1013/1024, so u = 9; coverage 1002/1024.
    assert ci_ranks(10, 0.5) == (2, 9)


@pytest.mark.parametrize(
    ("n", "p"), [(5, "1/2"), (20, "9/10"), (37, "17/20"), (60, "19/20"), (100, "1/10")]
)
def test_exact_ranks_match_rational_arithmetic(n: int, p: str) -> None:
    assert ci_ranks(n, float(Fraction(p))) == _hand_ranks(n, Fraction(p))


def test_too_few_trials_leave_an_end_unbounded() -> None:
    # 5 trials: P(B <= 0) = 1/32 > 0.025 at the median, so no rank is low (or high) enough
    assert ci_ranks(5, 0.5) == (0, 6)
    # 20 trials at P95: P(B <= 19) = 1 - 0.95^20 = 0.64 < 0.975: no upper rank
    assert ci_ranks(20, 0.95)[1] == 21


@pytest.mark.parametrize("n", [1_000, 10_000, 100_000])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.85, 0.95])
def test_exact_ranks_match_scipy(n: int, p: float) -> None:
    dist = stats.binom(n, p)
    low, up = ci_ranks(n, p)
    # the documented rule, read off scipy's CDF
    assert dist.cdf(low - 1) <= 0.025 < dist.cdf(low)
    assert dist.cdf(up - 2) < 0.975 <= dist.cdf(up - 1)


@pytest.mark.parametrize("n", [100_001, 1_000_000, 20_000_000])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.85, 0.95])
def test_normal_approximation_is_within_one_rank_of_exact(n: int, p: float) -> None:
    dist = stats.binom(n, p)
    exact_low = int(dist.ppf(0.025))  # smallest k with F(k) >= 0.025
    exact_low = exact_low if dist.cdf(exact_low) > 0.025 else exact_low + 1  # = l
    exact_up = int(dist.ppf(0.975)) + 1
    low, up = ci_ranks(n, p)
    assert abs(low - exact_low) <= 1 and abs(up - exact_up) <= 1


# -- coverage -----------------------------------------------------------------------------


def _coverage(n: int, p: float) -> float:
    """The exact coverage F(u-1) - F(l-1) of the interval for a continuous outcome."""
    low, up = ci_ranks(n, p)
    dist = stats.binom(n, p)
    return float(dist.cdf(up - 1) - dist.cdf(low - 1))


@pytest.mark.parametrize(
    ("name", "draw", "quantile"),
    [
        ("uniform", lambda rng, size: rng.random(size), lambda p: p),
        ("exponential", lambda rng, size: rng.exponential(1.0, size), lambda p: -math.log1p(-p)),
    ],
)
@pytest.mark.parametrize(("n", "p"), [(200, 0.5), (400, 0.95), (1_000, 0.85)])
def test_interval_covers_the_true_quantile_about_95_percent(name, draw, quantile, n, p) -> None:
    seeds = 2_000
    rng = np.random.default_rng(20261205)
    q = quantile(p)
    hits = 0
    for _ in range(seeds):
        low, high = precision.sample_ci(draw(rng, n), [100 * p])
        hits += int(low[0] <= q <= high[0])
    c = _coverage(n, p)
    assert c >= 0.95
    # hits ~ binomial(seeds, c): 4 standard errors (a false alarm about once in 16,000)
    tol = 4 * math.sqrt(c * (1 - c) / seeds)
    assert abs(hits / seeds - c) <= tol, (hits / seeds, c, tol)


def test_interval_on_whole_days_is_at_least_95_percent() -> None:
    """Done dates are whole working days (ties): the histogram interval is conservative."""
    rng = np.random.default_rng(7)
    seeds, n, p = 2_000, 300, 0.85
    q = stats.geom(0.05).ppf(p) - 1  # true P85 of a geometric number of days (from 0)
    hits = 0
    for _ in range(seeds):
        days = rng.geometric(0.05, n) - 1
        hist = np.bincount(np.minimum(days, 400), minlength=401)[None, :]
        low, high = precision.hist_ci_bins(hist, [85])
        hits += int(low[0, 0] <= q <= high[0, 0])
    tol = 4 * math.sqrt(0.95 * 0.05 / seeds)
    assert hits / seeds >= 0.95 - tol


# -- half-width rule ----------------------------------------------------------------------


def test_half_width_rule_for_not_done() -> None:
    last = 100  # the "not done" bin
    est = np.array([10, 10, 10, last, last, 50])
    low = np.array([8, 10, 9, last, 97, 50])
    high = np.array([11, 13, last, last, last, 50])
    got = precision.date_half_width(est, low, high, last)
    # wider side; upper not done; all not done -> 0; estimate not done, low dated -> inf
    assert got.tolist() == [2.0, 3.0, math.inf, 0.0, math.inf, 0.0]


def test_relative_half_width() -> None:
    got = precision.relative_half_width(
        np.array([100.0, 0.0, 0.0, 50.0]),
        np.array([98.0, 0.0, -1.0, -np.inf]),
        np.array([103.0, 0.0, 0.0, 51.0]),
    )
    assert got.tolist() == [0.03, 0.0, math.inf, math.inf]


# -- the auto rule ------------------------------------------------------------------------


def test_auto_stops_after_the_first_batch_when_every_interval_is_zero() -> None:
    fc = forecast(load_text(FIXED, "yaml"), trials="auto", seed=3)
    assert fc.auto is not None
    assert fc.auto.totals == [precision.FIRST_BATCH] and fc.trials == precision.FIRST_BATCH
    assert fc.auto.reached and fc.widest.days == 0.0 and fc.widest.cost_rel == 0.0
    doc = fc.to_dict()
    assert doc["trials"] == precision.FIRST_BATCH
    assert doc["precision"]["auto"]["reached"] is True
    assert doc["features"][1]["finish_ci"]["p95"]["half_wd"] == 0.0
    assert not fc.warnings


#: One feature whose effort is one of two samples, each half the time: its P50 sits on
#: the jump between the two done dates (exactly half the probability below the gap).
COIN = """\
name: Coin
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: web, members: 1}
features:
  - {id: a, team: web, effort: {samples: [5, 25]}}
"""


def test_jump_rule_by_hand() -> None:
    hist = np.array(
        [
            [0, 50, 0, 0, 50, 0],  # the ends' bins 1 and 4, nothing between: a jump
            [0, 50, 1, 0, 49, 0],  # one trial between: not a jump
            [0, 50, 50, 0, 0, 0],  # adjacent bins: not a jump (width at most 1)
            [0, 50, 0, 0, 0, 50],  # upper end not done: never a jump
        ]
    )
    low = np.array([[1], [1], [1], [1]])
    high = np.array([[4], [4], [2], [5]])
    assert precision.at_jump(hist, low, high, 5)[:, 0].tolist() == [True, False, False, False]


def test_auto_accepts_a_percentile_at_a_jump_and_says_so() -> None:
    fc = forecast(load_text(COIN, "yaml"), trials="auto", seed=1)
    assert fc.auto is not None and fc.auto.reached and fc.auto.totals == [10_000]
    row = fc.features.iloc[0]
    assert row["p50_ci_wd"] >= 10  # reported honestly: one of two dates 20 wd apart
    assert set(fc.widest.jumps) == {"a P50", "portfolio P50"}
    assert fc.to_dict()["precision"]["jumps"] == fc.widest.jumps
    assert "at a jump between two dates" in fc.to_text()


def test_auto_stops_at_the_first_total_that_meets_the_rule() -> None:
    target = 0.002  # cost P80 of the startup scenario is about ±0.21 % at 10,000 trials
    fc = forecast(STARTUP, trials="auto", seed=0, cost_rel_precision=target)
    assert fc.auto is not None and fc.auto.reached
    totals = fc.auto.totals
    assert len(totals) >= 2 and totals == [10_000 * 2**k for k in range(len(totals))]
    assert fc.widest.days <= 1 and fc.widest.cost_rel <= target
    before = forecast(STARTUP, trials=totals[-2], seed=0)
    assert before.widest.days > 1 or before.widest.cost_rel > target


def test_auto_equals_a_fixed_run_of_the_reported_size() -> None:
    auto = forecast(STARTUP, trials="auto", seed=5, cost_rel_precision=0.002)
    assert auto.auto is not None and len(auto.auto.totals) >= 2  # batches were joined
    fixed = forecast(STARTUP, trials=auto.trials, seed=5)
    a, f = auto.to_dict(), fixed.to_dict()
    for d in (a, f):
        d["provenance"].pop("created")
    assert a["precision"].pop("auto") is not None and f["precision"].pop("auto") is None
    assert a == f


def test_auto_equals_a_fixed_run_when_month_statistics_stream(monkeypatch) -> None:
    """Runs above engines.fast.STREAM_FROM stream their month statistics; auto's batches
    keep their month arrays so they can be joined, and the answer is still the fixed
    run's (which streams)."""
    import portfolio_sim.engines.fast as fast_engine

    monkeypatch.setattr(fast_engine, "STREAM_FROM", 0)
    auto = forecast(STARTUP, trials="auto", seed=5, cost_rel_precision=0.002)
    assert auto.auto is not None and len(auto.auto.totals) >= 2
    fixed = forecast(STARTUP, trials=auto.trials, seed=5)
    assert fixed.raw.month_bands is not None  # the fixed run did stream
    a, f = auto.to_dict(), fixed.to_dict()
    for d in (a, f):
        d["provenance"].pop("created")
    assert a["precision"].pop("auto") is not None and f["precision"].pop("auto") is None
    assert a == f


def test_streamed_outputs_are_never_joined() -> None:
    compiled = compile_scenario(load(STARTUP), 11)
    streamed = run_fast(compiled, 2_000, stream=True, batch=500)
    assert streamed.month_bands is not None
    with pytest.raises(ValueError, match="cannot be joined"):
        precision.join_outputs(streamed, streamed)


def test_continued_runs_equal_one_run() -> None:
    compiled = compile_scenario(load(STARTUP), 11)
    one = run_fast(compiled, 3_000, keep_trials=True)
    two = precision.join_outputs(
        run_fast(compiled, 1_000, keep_trials=True),
        run_fast(compiled, 2_000, keep_trials=True, first_trial=1_000),
    )
    for name, value in vars(one).items():
        other = getattr(two, name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert value == other, name


def test_cap_reached_warns_in_every_output(tmp_path: Path) -> None:
    fc = forecast(STARTUP, trials="auto", seed=0, precision_days=0.5, max_trials=20_000)
    assert fc.auto is not None and not fc.auto.reached and fc.auto.totals == [10_000, 20_000]
    assert any(w.startswith("precision not reached") for w in fc.warnings)
    assert any(w.startswith("precision not reached") for w in fc.to_dict()["warnings"])
    assert "PRECISION NOT REACHED" in fc.to_text()
    assert "precision not reached" in fc.to_html()


def test_fixed_count_refuses_auto_targets() -> None:
    from portfolio_sim.errors import InputError

    with pytest.raises(InputError, match="precision_days"):
        forecast(STARTUP, trials=100, precision_days=1.0)
    with pytest.raises(InputError, match="precision_days must be a positive"):
        forecast(STARTUP, trials="auto", precision_days=0.0)
    with pytest.raises(InputError, match="trials must be"):
        forecast(STARTUP, trials="many")  # type: ignore[arg-type]


# -- outputs ------------------------------------------------------------------------------


def test_intervals_follow_the_chosen_levels_and_contain_the_percentile() -> None:
    fc = forecast(STARTUP, trials=4_000, seed=2, percentiles=(40, 90))
    feats = fc.features
    for key in ("p40", "p90"):
        assert (feats[f"{key}_ci_low"] <= feats[key]).all()
        assert (feats[key] <= feats[f"{key}_ci_high"]).all()
    assert "p85_ci_wd" not in feats.columns
    cost = fc.portfolio.loc["cost"]
    assert cost["p40_ci_low"] <= cost["p40"] <= cost["p40_ci_high"]
    doc = fc.to_dict()
    assert set(doc["portfolio"]["finish_ci"]) == {"p40", "p90"}
    assert set(doc["portfolio"]["cost_ci"]) == {"p40", "p90"}


def test_terminal_footnote_or_column() -> None:
    wide = forecast(STARTUP, trials=500, seed=1)  # few trials: some dates ±2 wd or more
    assert wide.widest.days > 1
    assert "± wd" in wide.to_text() and "± wd" in wide.to_html()
    exact = forecast(load_text(FIXED, "yaml"), trials=200, seed=1)
    text = exact.to_text()
    assert "± wd" not in text and "within ±0 working day at 95 %" in text


def test_cli_auto_reports_the_trials(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.json"
    code = main(
        ["forecast", str(STARTUP), "--trials", "auto", "--precision", "1d", "--json", str(out)]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["precision"]["auto"]["batches"][-1] == doc["trials"]
    assert "Trials chosen by precision" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (["--trials", "auto", "--precision", "0d"], "--precision", "more than 0"),
        (["--trials", "auto", "--precision", "soon"], "--precision", "working days"),
        (["--trials", "auto", "--precision", "nan"], "--precision", "working days"),
        (["--trials", "lots"], "--trials", "whole number"),
        (["--trials", "0"], "--trials", "at least 1"),
        (["--trials", "auto", "--cost-precision", "150%"], "--cost-precision", "less than"),
        (["--trials", "auto", "--max-trials", "0"], "--max-trials", "from 1"),
        (["--precision", "1d"], "--precision", "only with --trials auto"),
    ],
)
def test_cli_rejects_bad_precision_options(
    args: list[str], field: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["forecast", str(STARTUP), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert field in err and reason in err and "Traceback" not in err
