"""Fast engine against analytic distributions, with fixed seeds and sampling-error bounds.

Each scenario is small enough that the exact distribution of a done time (or start time,
or size) is known in closed form. Tolerances come from sampling error, never from
"looks close":

* **Percentiles** (the inverted-CDF rule of docs/model.md §8). With n trials the reported
  p-th percentile is the order statistic X_(k), k = ceil(p n). X_(k) <= Q(p') iff at
  least k trials fall at or below Q(p'), a Binomial(n, p') count with mean n p' and
  standard deviation sqrt(n p'(1-p')). So X_(k) lies in [Q(p - d), Q(p + d)] with
  d = z sqrt(p (1 - p) / n) except with probability about 2 Phi(-z); z = 4 gives
  ~6e-5. Done days are a non-decreasing function of the clock time (done day
  ceil(t) - 1), so the reported date's working day lies in [day(Q(p - d)), day(Q(p + d))].
* **Shares / probabilities**: a share of n independent trials with probability q has
  standard error sqrt(q (1 - q) / n); we allow 4 of them.
* **Whole distributions**: the one-sample Kolmogorov-Smirnov test on the per-trial values
  (``keep_trials=True``), requiring p > 0.001.
* **Means**: 4 standard errors, sigma / sqrt(n) with the exact sigma.

Seeds are fixed, so each test is deterministic; the bounds say a correct engine passes
with overwhelming probability for *any* seed, so a failure is a real bias.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from portfolio_sim.calendar import done_day
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.forecasting import forecast
from portfolio_sim.results.forecast import Forecast
from portfolio_sim.results.percentiles import DATE_PERCENTILES
from portfolio_sim.scenario import load_text

N = 20_000
Z = 4.0
KS_ALPHA = 1e-3
HEAD = """\
name: Stats
start: 2027-01-04
horizon: {horizon}
"""


def run(body: str, seed: int, trials: int = N, horizon: str = "2028-12-31") -> Forecast:
    scn = load_text(HEAD.format(horizon=horizon) + body, "yaml")
    return forecast(scn, trials=trials, seed=seed, keep_trials=True)


def col(fc: Forecast, fid: str) -> int:
    return fc.compiled.feature_ids.index(fid)


def per_trial(fc: Forecast, what: str, fid: str) -> np.ndarray:
    arr = getattr(fc.raw, what)
    assert arr is not None
    return np.asarray(arr[:, col(fc, fid)])


def within_se(observed: float, q: float, n: int, z: float = Z) -> None:
    se = math.sqrt(q * (1.0 - q) / n)
    assert abs(observed - q) <= z * se + 1e-12, f"share {observed} vs {q} (4 SE = {z * se})"


def reported_day(fc: Forecast, fid: str, p: int) -> int:
    """The working day of a feature's reported p-th percentile date."""
    date = fc.features.set_index("id").loc[fid, f"p{p}"]
    assert not pd.isna(date)
    return int(fc.compiled.calendar.index_on_or_before(np.datetime64(date.date(), "D")))


def check_percentiles(fc: Forecast, fid: str, day_quantile: Callable[[float], int]) -> None:
    """Each reported percentile's working day lies between the exact day quantiles at
    p -/+ Z sqrt(p (1 - p) / n) (the binomial CI of the order statistic, see above).
    ``day_quantile(q)`` is the exact inverted-CDF q-quantile of the done day."""
    n = fc.trials
    for p in DATE_PERCENTILES:
        q = p / 100.0
        d = Z * math.sqrt(q * (1.0 - q) / n)
        lo, hi = day_quantile(max(q - d, 1e-12)), day_quantile(min(q + d, 1.0 - 1e-12))
        got = reported_day(fc, fid, p)
        assert lo <= got <= hi, f"{fid} p{p}: day {got} not in [{lo}, {hi}]"


def continuous_day_quantile(dist: stats.rv_continuous) -> Callable[[float], int]:
    # Done day = ceil(t) - 1 is non-decreasing in t: the q-quantile of the day is the day
    # of the q-quantile of t.
    return lambda q: int(done_day(float(dist.ppf(q))))


def ks(values: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray] | str) -> None:
    res = stats.kstest(values, cdf)
    assert res.pvalue > KS_ALPHA, f"KS statistic {res.statistic}, p = {res.pvalue}"


# -- throughput -----------------------------------------------------------------------


def test_throughput_bootstrap_is_negative_binomial() -> None:
    # Samples [0, 2] per 5-day week: each week gives 2 items with probability 1/2.
    # 10 items need 5 "good" weeks: W = 5 + F, F ~ NegBin(5, 1/2) failures before the
    # 5th success. Done at the end of week W: t = 5 W, done day 5 W - 1.
    fc = run(
        """\
teams: [{id: mob, throughput: {samples: [0, 2], per: week}}]
features: [{id: a, team: mob, items: {fixed: 10}}]
""",
        seed=101,
    )
    nb = stats.nbinom(5, 0.5)
    t = per_trial(fc, "done", "a")
    weeks = t / 5.0
    np.testing.assert_array_equal(weeks, np.round(weeks))  # period ends only
    failures = (weeks - 5).astype(np.int64)
    assert failures.min() >= 0
    for k in range(0, 12):
        within_se(float(np.mean(failures == k)), float(nb.pmf(k)), N)
    # Chi-square over the pooled tail as a whole-distribution check.
    ks_bins = np.minimum(failures, 12)
    observed = np.bincount(ks_bins, minlength=13)
    expected = np.append(nb.pmf(np.arange(12)), nb.sf(11)) * N
    assert stats.chisquare(observed, expected).pvalue > KS_ALPHA
    # Percentiles: day = 5 (5 + F) - 1, a non-decreasing function of F.
    check_percentiles(fc, "a", lambda q: int(5 * (5 + nb.ppf(q)) - 1))
    # mean_workdays: E[t] = 5 (5 + 5) = 50, sd(t) = 5 sqrt(10).
    mean = fc.features.set_index("id").loc["a", "mean_workdays"]
    assert abs(mean - 50.0) <= Z * 5 * math.sqrt(10.0) / math.sqrt(N)
    assert mean == pytest.approx(t.mean(), abs=1e-6)


def test_throughput_distribution_rounds_half_up_per_day() -> None:
    # uniform [0, 2] items a day, rounded to the nearest integer: 0 with probability
    # 1/4, 1 with 1/2, 2 with 1/4. One item is done at the end of the first day giving
    # at least one: done day K ~ Geometric(3/4) - 1 (K = 0, 1, ...).
    fc = run(
        """\
teams: [{id: mob, throughput: {uniform: [0, 2], per: day}}]
features: [{id: a, team: mob, items: {fixed: 1}}]
""",
        seed=102,
    )
    days = per_trial(fc, "done", "a") - 1.0
    for k in range(6):
        within_se(float(np.mean(days == k)), 0.75 * 0.25**k, N)
    geom = stats.geom(0.75)  # support 1, 2, ...: days + 1
    check_percentiles(fc, "a", lambda q: int(geom.ppf(q)) - 1)


# -- dependencies ---------------------------------------------------------------------


def test_join_starts_at_max_of_two_uniforms() -> None:
    # a, b ~ U[10, 20] on separate one-member teams; c depends on both: it starts at
    # max(a, b), whose CDF is ((x - 10) / 10)^2 = Beta(2, 1) on [10, 20]. c is 1 pd.
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}, {id: tc, members: 1}]
features:
  - {id: a, team: ta, effort: {uniform: [10, 20]}}
  - {id: b, team: tb, effort: {uniform: [10, 20]}}
  - {id: c, team: tc, effort: {fixed: 1}, depends_on: [a, b]}
""",
        seed=103,
    )
    start = per_trial(fc, "start", "c")
    ks(start, lambda x: np.clip((x - 10.0) / 10.0, 0.0, 1.0) ** 2)
    np.testing.assert_allclose(
        start, np.maximum(per_trial(fc, "done", "a"), per_trial(fc, "done", "b"))
    )
    # Each parent alone is U[10, 20]: their done times are independent (|r| < 4/sqrt(n)).
    ks(per_trial(fc, "done", "a"), stats.uniform(10, 10).cdf)
    r = np.corrcoef(per_trial(fc, "done", "a"), per_trial(fc, "done", "b"))[0, 1]
    assert abs(r) < Z / math.sqrt(N)
    check_percentiles(fc, "c", continuous_day_quantile(stats.beta(2, 1, loc=11, scale=10)))


# -- estimate distributions -----------------------------------------------------------


def test_pert_done_time_is_scaled_beta() -> None:
    # PERT [20, 35, 70], lambda 4: alpha = 1 + 4 * 15/50 = 2.2, beta = 1 + 4 * 35/50 = 3.8
    # on [20, 70]. One member, so the done time t equals the sampled effort.
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {pert: [20, 35, 70]}}]
""",
        seed=104,
    )
    dist = stats.beta(2.2, 3.8, loc=20, scale=50)
    t = per_trial(fc, "done", "a")
    np.testing.assert_array_equal(t, per_trial(fc, "size", "a"))
    ks(t, dist.cdf)
    check_percentiles(fc, "a", continuous_day_quantile(dist))
    mean = fc.features.set_index("id").loc["a", "mean_workdays"]
    assert abs(mean - dist.mean()) <= Z * dist.std() / math.sqrt(N)


def test_triangular_and_growth() -> None:
    # a: triangular [5, 10, 30]; b: fixed 10 x growth U[1, 1.5] = U[10, 15].
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {triangular: [5, 10, 30]}}
  - {id: b, team: tb, effort: {fixed: 10}, growth: {uniform: [1.0, 1.5]}}
""",
        seed=105,
    )
    tri = stats.triang(c=5 / 25, loc=5, scale=25)
    ks(per_trial(fc, "done", "a"), tri.cdf)
    check_percentiles(fc, "a", continuous_day_quantile(tri))
    ks(per_trial(fc, "done", "b"), stats.uniform(10, 5).cdf)


def test_items_with_growth_round_up() -> None:
    # 10 items x U[1, 1.5] = U[10, 15], rounded up: 11..15 each with probability 1/5
    # (exactly 10 has probability 0). One item a day: done at t = size.
    fc = run(
        """\
teams: [{id: mob, throughput: {samples: [1], per: day}}]
features: [{id: a, team: mob, items: {fixed: 10}, growth: {uniform: [1.0, 1.5]}}]
""",
        seed=106,
    )
    size = per_trial(fc, "size", "a")
    assert set(np.unique(size).tolist()) == {11.0, 12.0, 13.0, 14.0, 15.0}
    for k in range(11, 16):
        within_se(float(np.mean(size == k)), 0.2, N)
    np.testing.assert_array_equal(per_trial(fc, "done", "a"), size)


def test_lognormal_p10_p90() -> None:
    # lognormal {p10: 30, p90: 90}: the 10 % and 90 % quantiles of the effort are 30 and
    # 90; one member, so t = effort. Empirical P10/P90 must lie within the order-statistic
    # CI, i.e. between the exact quantiles at p -/+ 4 sqrt(p (1 - p) / n).
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {lognormal: {p10: 30, p90: 90}}}]
""",
        seed=107,
    )
    mu = (math.log(30) + math.log(90)) / 2
    sigma = (math.log(90) - math.log(30)) / (2 * stats.norm.ppf(0.9))
    dist = stats.lognorm(s=sigma, scale=math.exp(mu))
    assert dist.ppf(0.1) == pytest.approx(30)
    assert dist.ppf(0.9) == pytest.approx(90)
    t = per_trial(fc, "done", "a")
    ks(t, dist.cdf)
    for p in (0.1, 0.9):
        d = Z * math.sqrt(p * (1 - p) / N)
        emp = float(np.percentile(t, 100 * p, method="inverted_cdf"))
        assert dist.ppf(p - d) <= emp <= dist.ppf(p + d), (p, emp)
    within_se(float(np.mean(t <= 30.0)), 0.1, N)
    within_se(float(np.mean(t <= 90.0)), 0.9, N)
    check_percentiles(fc, "a", continuous_day_quantile(dist))


def test_integers_and_samples_hit_every_value() -> None:
    fc = run(
        """\
teams: [{id: ta, members: 1}, {id: tb, members: 1}]
features:
  - {id: a, team: ta, effort: {integers: [3, 7]}}
  - {id: b, team: tb, effort: {samples: [2, 5, 11, 5]}}
""",
        seed=108,
    )
    a = per_trial(fc, "size", "a")
    assert set(np.unique(a).tolist()) == {3.0, 4.0, 5.0, 6.0, 7.0}
    for k in range(3, 8):
        within_se(float(np.mean(a == k)), 0.2, N)
    b = per_trial(fc, "size", "b")
    assert set(np.unique(b).tolist()) == {2.0, 5.0, 11.0}
    within_se(float(np.mean(b == 2)), 0.25, N)
    within_se(float(np.mean(b == 5)), 0.5, N)  # listed twice: twice as likely
    within_se(float(np.mean(b == 11)), 0.25, N)
    # Draws of two features are independent: a chi-square test of the 5 x 3 table.
    table = np.array([[np.sum((a == i) & (b == j)) for j in (2, 5, 11)] for i in range(3, 8)])
    assert stats.chi2_contingency(table).pvalue > KS_ALPHA


# -- risks, horizon, deadlines --------------------------------------------------------


def test_risk_extra_effort_is_a_mixture() -> None:
    # 20 pd, a risk with probability 0.3 adds 10 pd: t = 30 in ~30 % of trials, else 20.
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 20}}]
risks: [{id: r, probability: 0.3, affects: [a], extra_effort: {fixed: 10}}]
""",
        seed=109,
    )
    t = per_trial(fc, "done", "a")
    assert set(np.unique(t).tolist()) == {20.0, 30.0}
    share = float(np.mean(t == 30.0))
    within_se(share, 0.3, N)
    mean = fc.features.set_index("id").loc["a", "mean_workdays"]
    assert mean == pytest.approx(20.0 + 10.0 * share, abs=1e-9)
    # P50 is day 19 (t = 20); P85 and P95 are day 29 (t = 30): the 70 % / 30 % mix.
    assert reported_day(fc, "a", 50) == 19
    assert reported_day(fc, "a", 85) == 29
    assert reported_day(fc, "a", 95) == 29


def test_risk_delay_uniform_shifts_start() -> None:
    # Probability 0.5, delay U[0, 10]: start is 0 w.p. 1/2, else U[0, 10].
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {fixed: 5}}]
risks: [{id: r, probability: 0.5, affects: [a], delay: {uniform: [0, 10]}}]
""",
        seed=110,
    )
    s = per_trial(fc, "start", "a")
    within_se(float(np.mean(s == 0.0)), 0.5, N)
    ks(s[s > 0], stats.uniform(0, 10).cdf)
    np.testing.assert_allclose(per_trial(fc, "done", "a"), s + 5.0)


def test_not_done_share_and_deadline_probability() -> None:
    # Effort U[10, 30] by one member. Horizon Fri 01-29 = 20 working days: not done iff
    # t > 20, probability 1/2. Deadline Fri 01-22 = day 14: met iff ceil(t) - 1 <= 14,
    # i.e. t <= 15, probability 1/4.
    fc = run(
        """\
teams: [{id: web, members: 1}]
features: [{id: a, team: web, effort: {uniform: [10, 30]}, deadline: 2027-01-22}]
""",
        seed=111,
        horizon="2027-01-29",
    )
    r = fc.features.set_index("id").loc["a"]
    within_se(float(r["not_done_share"]), 0.5, N)
    within_se(float(r["deadline_probability"]), 0.25, N)
    t = per_trial(fc, "done", "a")
    assert r["not_done_share"] == np.mean(np.isinf(t))
    assert r["deadline_probability"] == np.mean(t <= 15.0)
    # P85 and P95 are past the horizon: reported as missing.
    assert pd.isna(r["p85"]) and pd.isna(r["p95"])
    # P10 is in [day(Q(0.1 - d)), day(Q(0.1 + d))] with Q(q) = 10 + 20 q.
    d = Z * math.sqrt(0.09 / N)
    assert (
        done_day(10 + 20 * (0.1 - d)) <= reported_day(fc, "a", 10) <= done_day(10 + 20 * (0.1 + d))
    )


# -- aggregates agree with the per-trial arrays --------------------------------------------


def test_aggregates_match_per_trial_arrays() -> None:
    # The kernels accumulate histograms and fixed-point sums without keeping trials; on a
    # real portfolio every reported number must equal what the per-trial done times give.
    path = Path(__file__).parent.parent / "scenarios" / "digital-portfolio.yaml"
    fc = forecast(path, trials=2000, seed=5, keep_trials=True)
    c, raw = fc.compiled, fc.raw
    assert raw.done is not None and raw.start is not None and raw.size is not None
    h = c.horizon_days
    rebuilt = EngineOutput.from_trials(
        raw.done,
        raw.start,
        raw.size,
        np.zeros((fc.trials, c.n_teams)),
        np.zeros((fc.trials, c.n_teams)),
        c.feat_team,
        c.n_teams,
        h,
    )
    np.testing.assert_array_equal(raw.feat_hist, rebuilt.feat_hist)
    np.testing.assert_array_equal(raw.feat_tsum, rebuilt.feat_tsum)
    np.testing.assert_array_equal(raw.team_hist, rebuilt.team_hist)
    np.testing.assert_array_equal(raw.port_t, rebuilt.port_t)

    feats = fc.features.set_index("id")
    for i, fid in enumerate(c.feature_ids):
        t = raw.done[:, i]
        ok = t <= h
        day = np.where(ok, done_day(np.where(ok, t, 0.0)), h)
        for p in DATE_PERCENTILES:
            b = int(np.percentile(day, p, method="inverted_cdf"))
            want = pd.NaT if b >= h else pd.Timestamp(c.calendar.date_of(b))
            got = feats.loc[fid, f"p{p}"]
            assert (pd.isna(got) and pd.isna(want)) or got == want, (fid, p, got, want)
        assert feats.loc[fid, "not_done_share"] == np.mean(~ok)
        if ok.any():
            assert feats.loc[fid, "mean_workdays"] == pytest.approx(t[ok].mean(), abs=1e-6)
        dl = c.feat_deadline_day[i]
        if dl < np.iinfo(np.int64).max:
            assert feats.loc[fid, "deadline_probability"] == np.mean(ok & (day <= dl))
    # Sizes are positive and starts never follow done times.
    assert (raw.size >= 0).all()
    started = np.isfinite(raw.done)
    assert (raw.start[started] <= raw.done[started]).all()
    # Dependencies: a feature starts no earlier than each of its dependencies is done.
    for f in range(c.n_features):
        for k in range(c.dep_ptr[f], c.dep_ptr[f + 1]):
            d = c.dep_idx[k]
            s = np.isfinite(raw.start[:, f])
            assert (raw.start[s, f] >= raw.done[s, d] - 1e-9).all(), (
                c.feature_ids[f],
                c.feature_ids[d],
            )
