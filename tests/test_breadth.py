"""Duration tasks and shared features (docs/model.md §3.9-§3.10) on both engines.

Hand-computed times (fixed estimates), a closed form (a shared feature with two
independent uniform parts is done at their maximum: CDF x^2 on [0, 1]), trial-by-trial
agreement, and one validation test per new field. Scenarios start on Monday 2027-01-04
with a Mon-Fri calendar, so working day d is the d-th weekday.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from portfolio_sim.des import simulate_trial
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.errors import ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from test_engine_agreement import disagreements

ENGINES = ["fast", "des"]

HEAD = """\
name: breadth
start: 2027-01-04
horizon: 2028-12-29
"""


def compiled(body: str, seed: int = 0) -> CompiledScenario:
    return compile_scenario(load_text(HEAD + body, "yaml", "b.yaml"), seed=seed)


def done_times(m: CompiledScenario, engine: str, trials: int = 1) -> np.ndarray:
    """Done clock times [trials, F] of trials 0 .. trials-1 on ``engine``."""
    out = run_fast(m, trials, keep_trials=True) if engine == "fast" else run_des(m, trials)
    assert out.done is not None
    return out.done


def by_id(m: CompiledScenario, row: np.ndarray) -> dict[str, float]:
    return {fid: float(t) for fid, t in zip(m.feature_ids, row, strict=True)}


CHAIN = """\
teams:
  - {id: web, members: 1}
  - {id: app, members: 2}
features:
  - {id: a, team: web, effort: {fixed: 3.5}}
  - {id: audit, duration: {fixed: 4}, depends_on: [a], cost: {fixed: 1000}}
  - id: login
    depends_on: [audit]
    parts:
      - {team: web, effort: {fixed: 5}}
      - {team: app, effort: {fixed: 4}, after: [web]}
  - {id: z, team: web, effort: {fixed: 1}, depends_on: [login]}
"""
# a: web 0 -> 3.5. audit: 4 working days from 3.5 -> 7.5 (no team's capacity).
# login@web: 7.5 + 5 = 12.5; login@app (after web, 2 members): 12.5 + 4/2 = 14.5.
# login (the whole) at the later part, 14.5; z (web, free since 12.5): 14.5 + 1 = 15.5.
CHAIN_DONE = {
    "a": 3.5,
    "audit": 7.5,
    "login@web": 12.5,
    "login@app": 14.5,
    "login": 14.5,
    "z": 15.5,
}


@pytest.mark.parametrize("engine", ENGINES)
def test_duration_task_and_shared_feature_hand_computed(engine: str) -> None:
    m = compiled(CHAIN)
    assert by_id(m, done_times(m, engine)[0]) == pytest.approx(CHAIN_DONE, abs=1e-9)


def test_des_log_of_duration_task_and_parts() -> None:
    res = simulate_trial(compiled(CHAIN), 0, log=True)
    got = [(e.event, e.feature, e.time) for e in res.log if e.event in ("start", "finish")]
    expected = [
        ("start", "a", 0.0),
        ("finish", "a", 3.5),
        ("start", "audit", 3.5),
        ("finish", "audit", 7.5),
        ("start", "login@web", 7.5),
        ("finish", "login@web", 12.5),
        ("start", "login@app", 12.5),
        ("finish", "login@app", 14.5),
        ("start", "login", 14.5),
        ("finish", "login", 14.5),
        ("start", "z", 14.5),
        ("finish", "z", 15.5),
    ]
    assert got == [(e, f, pytest.approx(t, abs=1e-9)) for e, f, t in expected]


CYCLE = """\
teams:
  - {id: web, members: 1}
  - {id: app, members: 1}
features:
  - {id: a, team: web, effort: {fixed: 2}, priority: 1}
  - {id: legal, duration: {fixed: 3}, depends_on: [a]}
  - {id: b, team: app, effort: {fixed: 1}, depends_on: [legal]}
  - {id: c, team: web, effort: {fixed: 2}, depends_on: [b], priority: 2}
  - {id: d, team: web, effort: {fixed: 3}, priority: 3}
  - {id: late, duration: {fixed: 2}, not_before: 2027-01-18}
"""
# web -> legal's task team -> app -> web is a cycle of the team graph. a 0 -> 2; legal
# 2 -> 5; b 5 -> 6; web is free at 2 and c is not ready, so d runs 2 -> 5; c 6 -> 8.
# late: not_before Mon 2027-01-18 is working day 10; done 12.
CYCLE_DONE = {"a": 2.0, "legal": 5.0, "b": 6.0, "c": 8.0, "d": 5.0, "late": 12.0}


@pytest.mark.parametrize("engine", ENGINES)
def test_duration_task_inside_a_team_cycle_and_not_before(engine: str) -> None:
    m = compiled(CYCLE)
    assert by_id(m, done_times(m, engine)[0]) == pytest.approx(CYCLE_DONE, abs=1e-9)


JOIN = """\
teams:
  - {id: web, members: 3}
  - {id: app, members: 7}
  - {id: ops, members: 1}
features:
  - id: shared
    parts:
      - {team: web, effort: {fixed: 10}}
      - {team: app, effort: {fixed: 10}}
  - {id: next, team: ops, effort: {fixed: 0.25}, depends_on: [shared]}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_work_join_is_done_at_its_latest_part(engine: str) -> None:
    # web: 10/3 = 3.333..., app: 10/7; the whole at exactly max = 10/3, next at + 0.25.
    m = compiled(JOIN)
    got = by_id(m, done_times(m, engine)[0])
    assert got["shared@web"] == pytest.approx(10 / 3, abs=1e-12)
    assert got["shared@app"] == pytest.approx(10 / 7, abs=1e-12)
    assert got["shared"] == pytest.approx(10 / 3, abs=1e-12)
    assert got["next"] == pytest.approx(10 / 3 + 0.25, abs=1e-12)


UNIFORM = """\
teams:
  - {id: web, members: 1}
  - {id: app, members: 1}
features:
  - id: shared
    parts:
      - {team: web, effort: {uniform: [0, 1]}}
      - {team: app, effort: {uniform: [0, 1]}}
  - {id: wait, duration: {uniform: [0, 1]}}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_shared_feature_is_done_at_the_max_of_two_uniforms(engine: str) -> None:
    # Parts U1, U2 ~ U(0, 1) working days on independent one-member teams: the whole is
    # done at max(U1, U2), CDF x^2 on [0, 1]; the duration task at U(0, 1), CDF x.
    # KS: sup |F_n - F| <= 1.949 / sqrt(n) with probability 0.999 (alpha = 0.001).
    n = 4000 if engine == "fast" else 1500
    m = compiled(UNIFORM, seed=5)
    done = done_times(m, engine, n)
    bound = 1.949 / math.sqrt(n)
    for fid, cdf in (("shared", lambda x: x**2), ("wait", lambda x: x)):
        x = np.sort(done[:, m.feature_ids.index(fid)])
        assert x.min() >= 0.0 and x.max() <= 1.0
        k = np.arange(1, n + 1)
        ks = max(np.max(k / n - cdf(x)), np.max(cdf(x) - (k - 1) / n))
        assert ks < bound, (fid, ks, bound)
    # Not the law of one part alone (CDF x): the test can tell them apart.
    x = np.sort(done[:, m.feature_ids.index("shared")])
    assert np.max(np.abs(np.arange(1, n + 1) / n - x)) > bound


MIXED = """\
teams:
  - {id: web, members: 2, wip_limit: 2}
  - {id: app, members: 1}
  - {id: flow, throughput: {samples: [0, 1, 2, 3]}}
features:
  - {id: a, team: web, effort: {pert: [2, 5, 12]}}
  - {id: vendor, duration: {triangular: [3, 5, 15]}, depends_on: [a]}
  - id: checkout
    depends_on: [vendor]
    deadline: 2027-04-01
    value: {per_month: 1000}
    parts:
      - {team: web, effort: {uniform: [3, 9]}}
      - {team: app, effort: {pert: [2, 4, 10]}, after: [web]}
      - {team: flow, items: {integers: [2, 6]}}
  - {id: b, team: app, effort: {lognormal: {p10: 2, p90: 8}}, depends_on: [checkout]}
  - {id: audit, duration: {uniform: [1, 4]}, depends_on: [b], not_before: 2027-03-01}
  - {id: c, team: web, effort: {fixed: 4}}
risks:
  - {id: slip, probability: 0.3, affects: [vendor, checkout], delay: {uniform: [1, 5]}}
"""


def test_engines_agree_trial_by_trial_with_tasks_and_parts() -> None:
    m = compiled(MIXED, seed=3)
    fast, des = run_fast(m, 300, keep_trials=True), run_des(m, 300)
    assert len(disagreements(m, fast, des)) == 0
    assert fast.done is not None and np.isfinite(fast.done).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_forecast_lists_the_whole_and_its_parts(engine: str) -> None:
    fc = forecast(load_text(HEAD + CHAIN, "yaml", "b.yaml"), trials=3, seed=1, engine=engine)
    df = fc.features.set_index("id")
    assert {"login", "login@web", "login@app", "audit"} <= set(df.index)
    # login done on clock 14.5: working day 14 (0-based) is Fri 2027-01-22.
    assert str(df.loc["login", "p50"].date()) == "2027-01-22"


BAD = [
    (
        "  - {id: x, parts: [{team: wbe, effort: {fixed: 1}}]}\n",
        "b.yaml:9: features[0].parts[0].team: unknown team 'wbe'",
    ),
    (
        "  - {id: x, parts: [{team: web}]}\n",
        "b.yaml:9: features[0].parts[0]: a part needs exactly one size",
    ),
    (
        "  - {id: x, team: web, parts: [{team: web, effort: {fixed: 1}}]}\n",
        "b.yaml:9: features[0]: a feature with parts takes no team",
    ),
    (
        "  - {id: x, team: web, duration: {fixed: 3}}\n",
        "b.yaml:9: features[0]: a feature with duration takes no team (a duration task uses no team",
    ),
    (
        "  - {id: x, duration: {fixed: 3}, parts: [{team: web, effort: {fixed: 1}}]}\n",
        "b.yaml:9: features[0]: a feature has either duration or parts, not both",
    ),
    (
        "  - {id: x, duration: {fixed: -3}}\n",
        "b.yaml:9: features[0].duration.fixed:",
    ),
    (
        "  - {id: x}\n",
        "b.yaml:9: features[0].team: required field missing",
    ),
    (
        "  - {id: x, parts: [{team: web, effort: {fixed: 1}, after: [app]}]}\n",
        "b.yaml:9: features[0].parts[0].after[0]: feature 'x' has no part for team 'app'",
    ),
    (
        "  - {id: x, parts: [{team: web, effort: {fixed: 1}}, {team: web, effort: {fixed: 2}}]}\n",
        "b.yaml:9: features[0].parts[1].team: feature 'x' has two parts for team 'web'",
    ),
    (
        "  - {id: x, parts: [{team: flow, effort: {fixed: 1}}]}\n",
        "b.yaml:9: features[0].parts[0].effort: team 'flow' is a throughput team",
    ),
    (
        "  - id: x\n    parts:\n"
        "      - {team: web, effort: {fixed: 1}, after: [app]}\n"
        "      - {team: app, effort: {fixed: 1}, after: [web]}\n",
        "b.yaml:9: features[0].depends_on: dependency cycle: x@app -> x@web -> x@app",
    ),
    (
        "  - {id: t, duration: {fixed: 1}, depends_on: [y]}\n"
        "  - {id: y, team: web, effort: {fixed: 1}, depends_on: [t]}\n",
        "b.yaml:9: features[0].depends_on: dependency cycle: t -> y -> t",
    ),
    (
        "  - {id: t, duration: {fixed: 1}, depends_on: [q]}\n",
        "b.yaml:9: features[0].depends_on[0]: unknown feature 'q'",
    ),
]


@pytest.mark.parametrize(("features", "expected"), BAD)
def test_validation_of_tasks_and_parts(features: str, expected: str) -> None:
    teams = (
        "teams:\n  - {id: web, members: 1}\n  - {id: app, members: 1}\n"
        "  - {id: flow, throughput: {samples: [1, 2]}}\nfeatures:\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_text(HEAD + teams + features, "yaml", "b.yaml")
    assert expected in str(err.value), str(err.value)


def test_reserved_team_id_and_risks_on_parts() -> None:
    text = HEAD + (
        "teams:\n  - {id: '@web', members: 1}\n  - {id: app, members: 1}\nfeatures:\n"
        "  - {id: x, parts: [{team: app, effort: {fixed: 1}}]}\n"
        "risks:\n  - {id: r, probability: 0.5, affects: [x], extra_effort: {fixed: 2}}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_text(text, "yaml", "b.yaml")
    msg = str(err.value)
    assert "b.yaml:5: teams[0].id: team id '@web' starts with '@', which is reserved" in msg
    assert "b.yaml:10: risks[0].extra_effort: risk 'r' has extra_effort but affects shared" in msg


def test_parts_carry_the_whole_s_priority_dependencies_and_capex() -> None:
    from portfolio_sim.scenario.expand import engine_view

    text = HEAD + (
        "teams:\n  - {id: web, members: 1}\n  - {id: app, members: 1}\nfeatures:\n"
        "  - {id: a, team: web, effort: {fixed: 1}}\n"
        "  - id: x\n    priority: 2\n    depends_on: [a]\n    not_before: 2027-02-01\n"
        "    capitalizable: true\n    cost: {fixed: 10}\n    parts:\n"
        "      - {team: web, effort: {fixed: 1}}\n"
        "      - {team: app, effort: {fixed: 1}, after: [web]}\n"
    )
    scn = load_text(text, "yaml", "b.yaml")
    view = engine_view(scn)
    assert [f.id for f in view.features] == ["a", "x@web", "x@app", "x"]
    web, app, whole = (view.feature(i) for i in ("x@web", "x@app", "x"))
    assert web.depends_on == ["a"] and app.depends_on == ["a", "x@web"]
    assert whole.depends_on == ["x@web", "x@app"] and whole.team == "@x"
    assert web.capitalizable and app.capitalizable and web.priority == 2
    assert str(app.not_before) == "2027-02-01"
    assert web.cost is None and whole.cost is not None
    assert engine_view(view) is view  # idempotent


def test_dependencies_of_tasks_are_checked_with_schema_errors() -> None:
    # A schema error elsewhere (members: -1) must not hide the task's unknown dependency.
    text = HEAD + (
        "teams:\n  - {id: web, members: -1}\nfeatures:\n"
        "  - {id: t, duration: {fixed: 1}, depends_on: [nope]}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_text(text, "yaml", "b.yaml")
    msg = str(err.value)
    assert "b.yaml:5: teams[0].members:" in msg
    assert "b.yaml:7: features[0].depends_on[0]: unknown feature 'nope'" in msg
