"""Relative sizing (docs/model.md §3.8): T-shirt sizes and story points resolved into
ordinary distributions. A sized feature must forecast exactly like its estimate written
out (same seed, same draws), on both engines; points scale the per-point distribution."""

from __future__ import annotations

import numpy as np
import pytest

from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.variants import apply_variant
from scenario_text import BASE, problems

ENGINES = ["fast", "des"]

SCENARIO = """\
name: sizes
start: 2027-01-04
horizon: 2028-12-29
sizes:
  S: {{fixed: 4}}
  M: {{pert: [5, 10, 20]}}
  L: {{lognormal: {{p10: 15, p90: 45}}}}
points: {{per_point: {per_point}}}
teams:
  - {{id: web, members: 1, wip_limit: 2}}
  - {{id: app, throughput: {{samples: [1, 2, 4]}}}}
features:
  - {{id: a, team: web, {a}}}
  - {{id: b, team: web, {b}, growth: {{uniform: [1, 1.3]}}}}
  - {{id: c, team: app, {c}}}
variants:
  bigger-m:
    - set: {{sizes.M: {{pert: [10, 20, 40]}}}}
"""


def scenario(a: str, b: str, c: str, per_point: str = "{uniform: [0.5, 2]}"):
    text = SCENARIO.format(a=a, b=b, c=c, per_point=per_point)
    return load_text(text, "yaml", "sizes.yaml")


def done(scn, engine: str, trials: int = 400) -> np.ndarray:
    fc = forecast(scn, trials=trials, seed=11, engine=engine, keep_trials=True)  # type: ignore[arg-type]
    assert fc.raw.done is not None
    return fc.raw.done


@pytest.mark.parametrize("engine", ENGINES)
def test_size_names_forecast_exactly_like_their_estimates(engine: str) -> None:
    # Same seed, same streams: a feature with `size: M` has the very same draws, so the
    # same done time in every trial, as one with M's estimate written out (and likewise
    # for L and for points = per_point scaled), not merely the same distribution.
    sized = scenario("size: M", "size: L", "points: 3", "{integers: [1, 3]}")
    written = scenario(
        "effort: {pert: [5, 10, 20]}",
        "effort: {lognormal: {p10: 15, p90: 45}}",
        "items: {samples: [3, 6, 9]}",
        "{integers: [1, 3]}",
    )
    a, b = done(sized, engine), done(written, engine)
    np.testing.assert_array_equal(a, b)
    assert np.unique(a[:, 0]).size > 50  # the draws are random, not a degenerate case


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_sizes_and_points(engine: str) -> None:
    # S = 4 person-days and 3 points x 2 = 6 person-days, one person, WIP 2 sharing
    # equally: a ends at t = 8 (4 at 0.5 a day), b then has 2 left at 1 a day: t = 10.
    scn = scenario("size: S", "points: 3", "items: {fixed: 2}", "{fixed: 2}")
    scn.features[1].growth = None
    t = done(scn, engine, trials=3)
    np.testing.assert_allclose(t[:, 0], 8.0, atol=1e-9)
    np.testing.assert_allclose(t[:, 1], 10.0, atol=1e-9)


def test_points_scale_one_draw_not_a_sum() -> None:
    # points: 4 with per_point uniform [0.5, 2] is 4 x U: uniform on [2, 8], mean 5,
    # sd 6/sqrt(12) = 1.732 (a sum of 4 draws would have sd 0.866). 4,000 draws: the
    # sample sd is within 5 % of 1.732 with overwhelming probability (its standard
    # error is about 0.9 % here).
    scn = scenario("points: 4", "size: S", "items: {fixed: 1}")
    fc = forecast(scn, trials=4000, seed=5, keep_trials=True)
    assert fc.raw.size is not None
    size = fc.raw.size[:, 0]
    assert size.min() >= 2.0 and size.max() <= 8.0
    assert size.std() == pytest.approx(6 / np.sqrt(12), rel=0.05)
    assert size.mean() == pytest.approx(5.0, abs=0.1)  # standard error 0.027


def test_variant_changing_the_table_re_resolves() -> None:
    scn = scenario("size: M", "size: S", "items: {fixed: 1}")
    assert scn.features[0].size.params == [5.0, 10.0, 20.0]
    bigger = apply_variant(scn, "bigger-m")
    assert bigger.features[0].size.params == [10.0, 20.0, 40.0]
    assert bigger.features[0].size_name == "M"


def sized(feature: str, tables: str) -> str:
    return BASE.replace("{id: a, team: web, effort: {fixed: 5}}", feature) + tables


def test_unknown_size_lists_the_known_ones() -> None:
    text = sized("{id: a, team: web, size: XL}", "sizes: {S: {fixed: 2}, M: {fixed: 5}}\n")
    assert problems(text) == ["s.yaml:8: features[0].size: unknown size 'XL' (sizes defined: S, M)"]
    no_table = sized("{id: a, team: web, size: M}", "")
    (line,) = problems(no_table)
    assert line.startswith("s.yaml:8: features[0].size: unknown size 'M' (sizes defined: none")


def test_size_and_estimate_together_is_an_error() -> None:
    text = sized("{id: a, team: web, size: M, effort: {fixed: 5}}", "sizes: {M: {fixed: 5}}\n")
    (line,) = problems(text)
    assert line.startswith("s.yaml:8: features[0]: a feature needs exactly one size")
    assert "(got effort and size)" in line
    both = sized("{id: a, team: web, size: M, points: 3}", "sizes: {M: {fixed: 5}}\n")
    assert "(got size and points)" in problems(both)[0]


def test_points_validation() -> None:
    no_table = sized("{id: a, team: web, points: 3}", "")
    (line,) = problems(no_table)
    assert line.startswith("s.yaml:8: features[0].points: points need a top-level points table")
    zero = sized("{id: a, team: web, points: 0}", "points: {per_point: {fixed: 1}}\n")
    (line,) = problems(zero)
    assert line.startswith("s.yaml:8: features[0].points: Input should be greater than 0")
    bad = sized("{id: a, team: web, points: 2}", "points: {per_point: {pert: [2, 1, 8]}}\n")
    assert problems(bad) == ["s.yaml:11: points.per_point.pert: low (2) > mode (1)"]
    wide = sized("{id: a, team: web, points: 2}", "points: {per_point: {integers: [0, 100000]}}\n")
    (line,) = problems(wide)
    assert line.startswith("s.yaml:8: features[0].points: per_point integers")
    too_big = sized("{id: a, team: web, points: 1e10}", "points: {per_point: {fixed: 1e6}}\n")
    (line,) = problems(too_big)
    assert line.startswith("s.yaml:8: features[0].points: ") and "too large" in line


def test_sizes_table_validation() -> None:
    bad = sized("{id: a, team: web, size: M}", "sizes: {M: {pert: [5, 3, 9]}}\n")
    assert problems(bad) == ["s.yaml:11: sizes.M.pert: low (5) > mode (3)"]
    mixed = BASE.replace("{id: a, team: web, effort: {fixed: 5}}", "{id: a, team: web, size: M}")
    mixed = mixed.replace(
        "{id: m, team: mobile, items: {fixed: 4}}", "{id: m, team: mobile, size: M}"
    )
    (line,) = problems(mixed + "sizes: {M: {fixed: 3}}\n")
    assert line.startswith("s.yaml:11: sizes: the sizes table is used by feature 'a'")
