"""Correlated estimates (docs/model.md §4.10): a one-factor Gaussian copula on the size
draws of a group's features, in both engines.

Statistical tolerances come from sampling error at a fixed seed: the Kolmogorov-Smirnov
statistic of n draws against the exact CDF is below 1.95 / sqrt(n) with probability
0.999; the Spearman correlation of n pairs has Fisher-z standard error
sqrt(1.06 / (n - 3)) (Fieller, Hartley & Pearson 1957), and we allow 4 of them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from portfolio_sim.des.sampling import Sampler
from portfolio_sim.distributions import beta_cdf, pert_shape
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.fast_inputs import kernel_model
from portfolio_sim.kernels.schedule import kernel_sample_trial
from portfolio_sim.rng import draw, draw_at, stream_key, uniform
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.correlation import normal_correlation
from portfolio_sim.scenario.load import load_text
from portfolio_sim.scenario.variants import apply_variant
from scenario_text import BASE, problems

HEAD = """\
name: corr
start: 2027-01-04
horizon: 2030-12-31
teams:
  - {id: dev, members: 2}
  - {id: ops, members: 1}
  - {id: flow, throughput: {samples: [1, 2, 3]}}
features:
  - {id: a, team: dev, effort: {pert: [3, 5, 11]}}
  - {id: b, team: dev, effort: {lognormal: {p10: 2, p90: 9}}, depends_on: [a]}
  - {id: c, team: dev, effort: {uniform: [2, 9]}, growth: {uniform: [1, 1.2]}}
  - {id: d, team: ops, effort: {triangular: [1, 2, 6]}}
  - {id: e, team: ops, effort: {pert: [4, 6, 9]}, depends_on: [c]}
  - {id: i, team: flow, items: {integers: [2, 6]}}
  - {id: j, team: flow, items: {samples: [1, 3, 4, 8]}}
risks:
  - {id: late, probability: 0.4, affects: [a, d], delay: {uniform: [1, 4]}}
"""
GROUPS = """\
correlation:
  - {id: backend, features: [a, b, d], rank: 0.6}
  - {team: flow, rank: 0.3}
"""
N = 20_000


def _compile(text: str, seed: int = 11) -> CompiledScenario:
    return compile_scenario(load_text(text, "yaml", "s.yaml"), seed=seed)


def _sizes(m: CompiledScenario, n: int = N) -> np.ndarray:
    """Every feature's size in trials 0..n-1 (fast engine's sampler), [n, F]."""
    km = kernel_model(m)
    out = np.empty((n, m.n_features))
    delay = np.empty(m.n_features)
    for t in range(n):
        kernel_sample_trial(km, t, out[t], delay)
    return out


def test_draw_at_is_draw_at_the_stream_uniform_bit_for_bit() -> None:
    """The copula's inverse CDF (rng.draw_at) is the engines' rng.draw of every kind."""
    m = _compile(HEAD)
    key = np.uint64(stream_key(5, "feature", "x"))
    refs = [tuple(int(v) for v in r) for r in m.feat_size]
    for code, off, n in refs:
        for t in range(2000):
            u = uniform(key, t, 0)
            assert draw_at(code, m.pool, off, n, u) == draw(code, m.pool, off, n, key, t, 0)


def test_marginals_stay_exact() -> None:
    """A correlated PERT, lognormal and uniform keep their exact distributions (KS)."""
    m = _compile(HEAD + GROUPS)
    size = _sizes(m)
    bound = 1.95 / math.sqrt(N)
    alpha, beta = pert_shape(3, 5, 11)
    mu = (math.log(2) + math.log(9)) / 2
    sigma = (math.log(9) - math.log(2)) / (2 * 1.2815515655446004)
    cdfs = {
        0: lambda x: beta_cdf((np.asarray(x) - 3) / 8, alpha, beta),
        1: lambda x: stats.norm.cdf((np.log(x) - mu) / sigma),
        3: lambda x: stats.triang.cdf(x, (2 - 1) / 5, loc=1, scale=5),
    }
    for f, cdf in cdfs.items():
        d = stats.kstest(size[:, f], cdf).statistic
        assert d < bound, (m.feature_ids[f], d, bound)
    # an integers marginal: each value 2..6 with chance 1/5 (binomial, 4 sd)
    counts = np.bincount(size[:, 5].astype(int), minlength=7)[2:7] / N
    assert np.all(np.abs(counts - 0.2) < 4 * math.sqrt(0.16 / N)), counts


@pytest.mark.parametrize(("pair", "rank"), [((0, 1), 0.6), ((0, 3), 0.6), ((1, 3), 0.6)])
def test_achieved_rank_correlation_matches_target(pair: tuple[int, int], rank: float) -> None:
    size = _sizes(_compile(HEAD + GROUPS))
    rho = stats.spearmanr(size[:, pair[0]], size[:, pair[1]]).statistic
    se = math.sqrt(1.06 / (N - 3))
    assert abs(math.atanh(rho) - math.atanh(rank)) < 4 * se, (rho, rank)


def test_unrelated_features_are_uncorrelated_and_group_normal_scores_match() -> None:
    """Across groups nothing is shared: Spearman(a, c) ~ 0; within the second group the
    normal scores of the uniforms (not the discrete sizes, which tie) have Pearson
    correlation r = 2 sin(pi 0.3 / 6)."""
    size = _sizes(_compile(HEAD + GROUPS))
    rho = stats.spearmanr(size[:, 0], size[:, 2]).statistic
    assert abs(math.atanh(rho)) < 4 * math.sqrt(1.06 / (N - 3)), rho
    assert math.isclose(normal_correlation(0.3), 2 * math.sin(math.pi * 0.05))
    assert math.isclose((6 / math.pi) * math.asin(normal_correlation(0.6) / 2), 0.6, rel_tol=1e-12)


def test_features_outside_groups_and_rank_zero_draw_exactly_as_without() -> None:
    plain = _sizes(_compile(HEAD), 3000)
    grouped = _sizes(_compile(HEAD + GROUPS), 3000)
    for f in (2, 4):  # c and e are in no group
        assert np.array_equal(plain[:, f], grouped[:, f])
    assert not np.array_equal(plain[:, 0], grouped[:, 0])
    zero = _compile(HEAD + "correlation:\n  - {features: [a, b, d], rank: 0}\n")
    assert np.array_equal(_sizes(zero, 3000), plain)


def test_rank_one_is_comonotone_by_hand() -> None:
    """rank 1: r = 2 sin(pi/6) = 1, loadings (1, 0): every member reads the group's
    uniform, so uniform [10, 20] and uniform [0, 10] are always exactly 10 apart."""
    text = HEAD.replace("{uniform: [2, 9]}, growth: {uniform: [1, 1.2]}", "{uniform: [10, 20]}")
    text = text.replace("{pert: [4, 6, 9]}", "{uniform: [0, 10]}")
    m = _compile(text + "correlation:\n  - {features: [c, e], rank: 1}\n")
    assert tuple(m.group_load[0]) == (1.0, 0.0)
    size = _sizes(m, 500)
    assert np.allclose(size[:, 2] - size[:, 4], 10.0, atol=1e-9)
    assert np.ptp(size[:, 4]) > 9.0  # and they do vary


def test_common_random_numbers_across_variants() -> None:
    """A variant changing a feature outside the group, or a member's own estimate, leaves
    the other members' draws identical, and the changed member keeps its rank."""
    text = (
        HEAD
        + GROUPS
        + """\
variants:
  other: [{set: {features.c.effort: {fixed: 3}}}]
  member: [{set: {features.a.effort: {uniform: [1, 2]}}}]
"""
    )
    scn = load_text(text, "yaml", "s.yaml")
    base = _sizes(compile_scenario(scn, seed=4), 3000)
    other = _sizes(compile_scenario(apply_variant(scn, "other"), seed=4), 3000)
    member = _sizes(compile_scenario(apply_variant(scn, "member"), seed=4), 3000)
    for f in (0, 1, 3, 5, 6):
        assert np.array_equal(base[:, f], other[:, f])
    for f in (1, 3, 5, 6):
        assert np.array_equal(base[:, f], member[:, f])
    assert np.array_equal(np.argsort(base[:, 0]), np.argsort(member[:, 0]))


def test_des_sampler_equals_kernel_draw_for_draw() -> None:
    m = _compile(HEAD + GROUPS)
    km = kernel_model(m)
    sampler = Sampler(m)
    size, delay = np.empty(m.n_features), np.empty(m.n_features)
    for t in range(300):
        kernel_sample_trial(km, t, size, delay)
        d = sampler.trial(t)
        assert d.size == size.tolist(), t
        assert d.delay == delay.tolist(), t


def test_engines_agree_trial_by_trial() -> None:
    m = _compile(HEAD + GROUPS)
    fast, des = run_fast(m, 200, keep_trials=True), run_des(m, 200)
    assert fast.done is not None and des.done is not None
    np.testing.assert_allclose(fast.done, des.done, atol=1e-6)


def test_correlation_widens_the_spread_of_a_sum() -> None:
    """Two features done one after the other: with rank 0.9 the P85 - P50 gap of the
    total is wider than independent (Var(a + b) grows with the covariance)."""
    text = HEAD.replace("members: 1", "members: 1, wip_limit: 1")
    seq = text + "correlation:\n  - {features: [d, e], rank: 0.9}\n"
    sizes_ind = _sizes(_compile(text), 5000)
    sizes_cor = _sizes(_compile(seq), 5000)
    tot_i = sizes_ind[:, 3] + sizes_ind[:, 4]
    tot_c = sizes_cor[:, 3] + sizes_cor[:, 4]
    gap_i = np.quantile(tot_i, 0.85) - np.quantile(tot_i, 0.5)
    gap_c = np.quantile(tot_c, 0.85) - np.quantile(tot_c, 0.5)
    assert gap_c > 1.2 * gap_i, (gap_i, gap_c)


# -- validation (FILE:LINE: path: reason) --------------------------------------------------


def _groups(lines: str) -> list[str]:
    return problems(BASE + "correlation:\n" + lines)


def test_unknown_feature_and_team() -> None:
    got = _groups("  - {features: [a, x], rank: 0.5}\n  - {team: wbe, rank: 0.5}\n")
    assert got == [
        "s.yaml:12: correlation[0].features[1]: unknown feature 'x'",
        "s.yaml:13: correlation[1].team: unknown team 'wbe' (did you mean 'web'?)",
    ]


def test_rank_out_of_range_negative_and_boolean() -> None:
    assert _groups("  - {team: web, rank: 1.5}\n") == [
        "s.yaml:12: correlation[0].rank: Input should be less than or equal to 1 (got 1.5)"
    ]
    neg = _groups("  - {team: web, rank: -0.2}\n")
    assert len(neg) == 1 and neg[0].startswith(
        "s.yaml:12: correlation[0].rank: rank -0.2 is negative"
    )
    assert _groups("  - {team: web, rank: true}\n") == [
        "s.yaml:12: correlation[0].rank: rank must be a number in [0, 1], not a boolean"
    ]


def test_a_feature_in_two_groups_or_listed_twice() -> None:
    got = _groups(
        "  - {features: [a, b], rank: 0.5}\n  - {team: web, rank: 0.2}\n"
        "  - {features: [m, m], rank: 0.1}\n"
    )
    assert got == [
        "s.yaml:13: correlation[1].team: feature 'a' is already in correlation group "
        "'features:a,b' (correlation[0]): a feature is in at most one group",
        "s.yaml:13: correlation[1].team: feature 'b' is already in correlation group "
        "'features:a,b' (correlation[0]): a feature is in at most one group",
        "s.yaml:14: correlation[2].features[1]: feature 'm' is listed twice",
    ]


def test_selector_and_names() -> None:
    assert _groups("  - {id: g, features: [a, b], team: web, rank: 0.5}\n") == [
        "s.yaml:12: correlation[0]: a correlation group needs exactly one of features "
        "(a list of ids) or team"
    ]
    assert _groups("  - {features: [a], rank: 0.5}\n") == [
        "s.yaml:12: correlation[0].features: needs at least 2 items, got 1"
    ]
    assert _groups(
        "  - {id: g, features: [a, b], rank: 0.5}\n  - {id: g, team: mobile, rank: 0.2}\n"
    ) == ["s.yaml:13: correlation[1].id: duplicate correlation group 'g' (also correlation[0])"]


def test_variant_removing_a_member_is_an_error() -> None:
    text = BASE.replace("depends_on: [a]", "") + (
        "correlation:\n  - {features: [a, b], rank: 0.5}\n"
        "variants:\n  drop: [{remove: {features: [b]}}]\n"
    )
    assert problems(text) == [
        "s.yaml:14: variants.drop[0]: correlation[0].features[1]: unknown feature 'b'"
    ]


def test_bundled_correlated_variant_widens_the_p85_p50_gap() -> None:
    """docs/model.md §4.10's example: the portfolio finish's P85 - P50 gap grows from
    25 to 40 working days at 20,000 trials; at 4,000 trials each percentile's 95 %
    interval is a few working days wide, so a gap more than 8 days wider is robust,
    and every member's marginal is unchanged (KS, as above)."""
    from pathlib import Path

    from portfolio_sim.scenario.load import load

    path = Path(__file__).resolve().parents[1] / "scenarios" / "digital-portfolio.yaml"
    gaps = []
    sizes = []
    for variant in (None, "correlated-estimates"):
        m = compile_scenario(load(path, variant=variant), seed=2)
        out = run_fast(m, 4000, keep_trials=True)
        assert out.done is not None and out.size is not None
        finish = out.done.max(axis=1)
        assert np.isfinite(finish).all()
        p50, p85 = np.quantile(finish, [0.5, 0.85])
        gaps.append(p85 - p50)
        sizes.append(out.size)
    assert gaps[1] > gaps[0] + 8.0, gaps
    # two-sample KS: D > 2.72 sqrt(2 / n) has chance 2 exp(-2 * 2.72^2) < 1e-6 per feature
    bound = 2.72 * math.sqrt(2 / 4000)
    worst = max(
        stats.ks_2samp(sizes[0][:, f], sizes[1][:, f]).statistic for f in range(sizes[0].shape[1])
    )
    assert worst < bound, worst
