"""Throughput by item type (docs/model.md §2.10): hand-computed deals on both engines, on
a lone team (kernels/lone.py) and in a cycle of the team graph (kernels/schedule.py);
trial-by-trial agreement on a random case; a one-type history that is exactly the plain
rule; validation errors; ``calibrate --by`` output that loads and forecasts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.codes import WORK_SCALE
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.errors import ScenarioError
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.load import load_text
from portfolio_sim.scenario.status import status_from_text
from scenario_text import problems

ENGINES = ["fast", "des"]


def _run(
    text: str, engine: str, trials: int = 3, seed: int = 1
) -> tuple[CompiledScenario, EngineOutput]:
    m = compile_scenario(load_text(text, "yaml", "s.yaml"), seed=seed)
    out = run_fast(m, trials, keep_trials=True) if engine == "fast" else run_des(m, trials)
    return m, out


def _by_id(m: CompiledScenario, a: np.ndarray | None) -> dict[str, float]:
    assert a is not None
    assert (a == a[0]).all()  # the same in every trial: nothing here is random
    return dict(zip(m.feature_ids, (float(x) for x in a[0]), strict=True))


# Team flow's history is one week: 4 items, 2 Story and 1 Bug (and 1 in no type, lost).
# Every week therefore deals 2 Story and 1 Bug (L = 5 working days from Mon 2027-01-04).
# Each feature takes, at its turn, one item of the first type it still needs (Story
# before Bug: the team's order) that the week still has.
# wip_limit 1 (the in-progress set: the first eligible feature that can take an item):
#   W0 (t 0-5):   a S, a S, a B                        -> a: S1 left
#   W1 (t 5-10):  a S (a done t=10), b B, c S (c done)  -> b: B1 left; 1 Story lost
#   W2 (t 10-15): b B (b done t=15)                     -> 2 Story lost
# wip_limit 2 (the first two that can take an item, dealt round-robin):
#   W0: a S, b B, then b can take nothing (no Bug left): c joins, c S (c done t=5)
#                                                       -> a: S2 B1, b: B1
#   W1: a S, b B (b done t=10), a S                     -> a: B1
#   W2: a B (a done t=15)                               -> 2 Story lost
LONE = """\
name: by type
start: 2027-01-04
horizon: 2027-06-30
teams:
  - id: flow
    wip_limit: {wip}
    throughput: {{samples: [4], per: week, by_type: {{Story: [2], Bug: [1]}}}}
features:
  - {{id: a, team: flow, items: {{Story: {{fixed: 3}}, Bug: {{fixed: 1}}}}}}
  - {{id: b, team: flow, items: {{Bug: {{fixed: 2}}}}}}
  - {{id: c, team: flow, items: {{Story: {{fixed: 1}}}}}}
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("wip", "done", "start"),
    [
        (1, {"a": 10.0, "b": 15.0, "c": 10.0}, {"a": 0.0, "b": 5.0, "c": 5.0}),
        (2, {"a": 15.0, "b": 10.0, "c": 5.0}, {"a": 0.0, "b": 0.0, "c": 0.0}),
    ],
)
def test_hand_computed_deal_by_type(
    engine: str, wip: int, done: dict[str, float], start: dict[str, float]
) -> None:
    m, out = _run(LONE.format(wip=wip), engine)
    assert _by_id(m, out.done) == done
    assert _by_id(m, out.start) == start
    assert _by_id(m, out.size) == {"a": 4.0, "b": 2.0, "c": 1.0}  # the types' sum
    assert out.team_work[0] / WORK_SCALE == 3 * 7.0  # 7 items dealt in each of 3 trials


# The same team in a cycle of the team graph (flow -> ops -> flow), so the fast engine
# runs it in the general event loop. ops (1 member) does x0 on day 0 (done t=1): d (1
# Bug, after x0) is eligible from W1; x1 (after a) takes 1 day.
#   W0: a S, a S, a B                                   -> a: S1
#   W1: a S (a done t=10), b B, c S (c done t=10); d needs a Bug: none left
#   W2: b B (b done t=15); d: none left                 -> 2 Story lost
#   W3: d B (d done t=20)                               -> x1 ready t=10, done t=11
CYCLE = """\
name: by type in a cycle
start: 2027-01-04
horizon: 2027-06-30
teams:
  - id: flow
    throughput: {samples: [4], per: week, by_type: {Story: [2], Bug: [1]}}
  - {id: ops, members: 1}
features:
  - {id: a, team: flow, items: {Story: {fixed: 3}, Bug: {fixed: 1}}}
  - {id: b, team: flow, items: {Bug: {fixed: 2}}}
  - {id: c, team: flow, items: {Story: {fixed: 1}}}
  - {id: d, team: flow, items: {Bug: {fixed: 1}}, depends_on: [x0]}
  - {id: x0, team: ops, effort: {fixed: 1}}
  - {id: x1, team: ops, effort: {fixed: 1}, depends_on: [a]}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_deal_by_type_in_a_team_cycle(engine: str) -> None:
    m, out = _run(CYCLE, engine)
    assert _by_id(m, out.done) == {
        "a": 10.0,
        "b": 15.0,
        "c": 10.0,
        "d": 20.0,
        "x0": 1.0,
        "x1": 11.0,
    }
    assert _by_id(m, out.start)["d"] == 15.0  # its first item is in W3


# Items in no type are lost: 3 items a week of which 1 Story, so 2 Story take 2 weeks.
@pytest.mark.parametrize("engine", ENGINES)
def test_untyped_items_are_lost(engine: str) -> None:
    text = LONE.format(wip=1).replace("by_type: {Story: [2], Bug: [1]}", "by_type: {Story: [1]}")
    text = text.split("  - {id: a")[0] + "  - {id: s, team: flow, items: {Story: {fixed: 2}}}\n"
    m, out = _run(text, engine)
    assert _by_id(m, out.done) == {"s": 10.0}


# A random case: a history of 6 weeks with 3 types, estimates per type, dependencies, a
# team in a cycle with wip_limit 2 and a lone typed team with wip_limit 1.
RANDOM = """\
name: by type, random
start: 2027-01-04
horizon: 2027-12-31
teams:
  - id: flow
    wip_limit: 2
    throughput:
      samples: [5, 2, 7, 0, 4, 6]
      by_type: {Story: [3, 1, 2, 0, 1, 4], Bug: [1, 1, 3, 0, 2, 0], Chore: [0, 0, 1, 0, 1, 1]}
  - id: solo
    throughput: {samples: [3, 1, 4], per: week, by_type: {Story: [2, 0, 3], Bug: [1, 1, 0]}}
  - {id: ops, members: 1.5}
features:
  - {id: a, team: flow, items: {Story: {pert: [2, 4, 9]}, Bug: {uniform: [0, 3]}}}
  - {id: b, team: flow, items: {Bug: {triangular: [1, 2, 6]}, Chore: {fixed: 1}}}
  - {id: c, team: flow, items: {Story: {integers: [0, 3]}}, depends_on: [x0]}
  - {id: d, team: flow, items: {Chore: {fixed: 2}, Story: {fixed: 1}}, priority: 1}
  - {id: x0, team: ops, effort: {pert: [2, 5, 12]}, depends_on: [a]}
  - {id: x1, team: ops, effort: {fixed: 3}, depends_on: [b]}
  - {id: s1, team: solo, items: {Story: {pert: [1, 3, 8]}, Bug: {fixed: 2}}}
  - {id: s2, team: solo, items: {Bug: {uniform: [1, 4]}}, depends_on: [x1]}
"""


def test_engines_agree_trial_by_trial_by_type() -> None:
    m = compile_scenario(load_text(RANDOM, "yaml", "s.yaml"), seed=7)
    fast, des = run_fast(m, 200, keep_trials=True), run_des(m, 200)
    assert fast.done is not None and fast.start is not None and fast.size is not None
    np.testing.assert_array_equal(fast.size, des.size)
    # Throughput features start and finish on period boundaries: exactly equal. (The
    # effort team's times may differ by float rounding, 1e-14.)
    tp = [f for f in range(m.n_features) if m.feature_ids[f] not in ("x0", "x1")]
    np.testing.assert_array_equal(fast.done[:, tp], des.done[:, tp])
    np.testing.assert_array_equal(fast.start[:, tp], des.start[:, tp])
    np.testing.assert_allclose(fast.done, des.done, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.team_work[:2], des.team_work[:2])
    # Not a trivial case: the draws vary, and so do the done weeks of every feature.
    for f in range(m.n_features):
        assert len(np.unique(fast.done[:, f])) >= 3, m.feature_ids[f]
    # The per-trial state after the F features (type_compile.py) is reset every trial:
    # blocks, workers and batches change nothing.
    other = run_fast(m, 200, keep_trials=True, workers=3, batch=37)
    np.testing.assert_array_equal(fast.done, other.done)


# A one-type history that covers every item is the plain rule (§2.5 / §2.9): the draw picks
# the same history period (the same uniform), so fixed sizes give the same trials.
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("wip", [1, 2])
def test_one_type_covering_every_item_is_the_plain_rule(engine: str, wip: int) -> None:
    plain = f"""\
name: one type
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {{id: flow, wip_limit: {wip}, throughput: {{samples: [3, 0, 5, 1, 2]}}}}
features:
  - {{id: a, team: flow, items: {{fixed: 7}}}}
  - {{id: b, team: flow, items: {{fixed: 3}}}}
  - {{id: c, team: flow, items: {{fixed: 0}}}}
  - {{id: d, team: flow, items: {{fixed: 4}}}}
"""
    typed = plain.replace("[3, 0, 5, 1, 2]}", "[3, 0, 5, 1, 2], by_type: {T: [3, 0, 5, 1, 2]}}")
    for n in (7, 3, 0, 4):
        typed = typed.replace(f"items: {{fixed: {n}}}", f"items: {{T: {{fixed: {n}}}}}")
    _, a = _run(plain, engine, trials=60)
    _, b = _run(typed, engine, trials=60)
    assert a.done is not None and len(np.unique(a.done[:, 0])) > 3
    np.testing.assert_array_equal(a.done, b.done)
    np.testing.assert_array_equal(a.start, b.start)


BASE = """\
name: s
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: web, members: 1}
  - id: flow
    throughput: {samples: [3, 1, 4], by_type: {Story: [2, 0, 3], Bug: [1, 1, 0]}}
  - {id: plain, throughput: {samples: [2]}}
features:
  - {id: a, team: flow, items: {Story: {fixed: 2}, Bug: {pert: [0, 1, 3]}}}
"""


def test_base_is_valid() -> None:
    load_text(BASE, "yaml", "s.yaml")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "Bug: [1, 1, 0]",
            "Bug: [1, 1]",
            "s.yaml:7: teams[1].throughput.by_type.Bug: type 'Bug' has 2 periods but samples "
            "has 3: the lists must be aligned (period k the same in every list)",
        ),
        (
            "Bug: [1, 1, 0]",
            "Bug: [1, 2, 0]",
            "s.yaml:7: teams[1].throughput.samples[1]: team 'flow': period 1's types count 2 "
            "items, above its sample 1 (a period's counts sum to at most its sample)",
        ),
        (
            "Bug: [1, 1, 0]",
            "Bug: [1, 0.5, 0]",
            "s.yaml:7: teams[1].throughput.by_type.Bug[1]: a count of items must be a whole "
            "number >= 0, got 0.5",
        ),
        (
            "Bug: [1, 1, 0]",
            "bug: [1, 1, 0]",
            "s.yaml:10: features[0].items.Bug: team 'flow' has no samples for type 'Bug' "
            "(did you mean 'bug'?) (its types: Story, bug)",
        ),
        (
            "{samples: [3, 1, 4], by_type",
            "{pert: [1, 2, 4], by_type",
            "s.yaml:7: teams[1].throughput.by_type: team 'flow': by_type needs samples (the "
            "per-type counts are aligned with the history's periods), not pert",
        ),
        (
            "Bug: {pert: [0, 1, 3]}",
            "Bgu: {pert: [0, 1, 3]}",
            "s.yaml:10: features[0].items.Bgu: team 'flow' has no samples for type 'Bgu' "
            "(did you mean 'Bug'?) (its types: Story, Bug)",
        ),
        (
            "team: flow, items",
            "team: plain, items",
            "s.yaml:10: features[0].items: feature 'a' gives items per type but team 'plain' "
            "has no throughput by type (by_type under its throughput)",
        ),
        (
            "items: {Story: {fixed: 2}, Bug: {pert: [0, 1, 3]}}",
            "items: {fixed: 3}",
            "s.yaml:10: features[0].items: team 'flow' counts throughput by type: give "
            "feature 'a' items per type, e.g. items: {Story: {fixed: 3}}",
        ),
        (
            "Bug: {pert: [0, 1, 3]}}",
            "Bug: {pert: [0, 1, 3]}}, growth: {fixed: 1.2}",
            "s.yaml:10: features[0].growth: growth is not defined for items per type (put it "
            "in each type's estimate)",
        ),
        (
            "Story: [2, 0, 3], Bug: [1, 1, 0]",
            "Story: [2, 0, 3], Bug: [0, 0, 0]",
            "s.yaml:10: features[0].items.Bug: team 'flow' finished no 'Bug' item in any "
            "period of its history: these items could never be done",
        ),
        (
            "Bug: [1, 1, 0]}}",
            "Bug: [1, 1, 0], fixed: [0, 0, 0]}}",
            "s.yaml:7: teams[1].throughput.by_type.fixed: type 'fixed' is a distribution key: "
            "items per type could not be told from one estimate; rename it",
        ),
        (
            "Story: {fixed: 2}",
            "Story: {fixd: 2}",
            "s.yaml:10: features[0].items.Story: unknown distribution 'fixd'; expected one of "
            "fixed, uniform, triangular, pert, lognormal, samples, integers",
        ),
    ],
)
def test_validation_errors(old: str, new: str, expected: str) -> None:
    assert old in BASE
    assert expected in problems(BASE.replace(old, new))


def test_a_type_named_twice_and_a_risk_of_extra_items() -> None:
    text = BASE.replace("Bug: [1, 1, 0]", "Bug: [1, 1, 0], story: [0, 0, 0]") + (
        "risks:\n  - {id: r, probability: 0.5, extra_items: {fixed: 1}, affects: [a]}\n"
    )
    got = problems(text)
    assert (
        "s.yaml:7: teams[1].throughput.by_type.story: type 'story' is named twice (also 'Story')"
        in got
    )
    assert any(
        p.startswith("s.yaml:12: risks[0].affects[0]: feature 'a' gives items per type")
        for p in got
    )


def test_cli_validate_exits_2_with_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("Bug: [1, 1, 0]", "Bug: [1, 1]"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:7: teams[1].throughput.by_type.Bug: type 'Bug' has 2 periods" in err
    assert "Traceback" not in err


CSV = Path(__file__).parent / "data" / "history_by_type.csv"


def test_calibrate_by_output_loads_and_forecasts(tmp_path: Path) -> None:
    snippet = tmp_path / "teams.yaml"
    assert main(["calibrate", str(CSV), "--by", "Issue Type", "--out", str(snippet)]) == 0
    text = snippet.read_text()
    # tests/test_calibrate_by_type.py hand-computes these counts from the export.
    assert 'by_type: {"Story": [2, 1, 0], "Bug": [1, 0, 2]}' in text
    assert "# note: 1 rows with a blank 'Issue Type' are in no type" in text
    scenario = (
        "name: calibrated\nstart: 2027-02-01\nhorizon: 2027-12-31\n"
        + text
        + "features:\n"
        + "  - {id: f, team: web, items: {Story: {fixed: 3}, Bug: {uniform: [1, 4]}}}\n"
        + "  - {id: g, team: api, items: {Story: {fixed: 1}}}\n"
    )
    m = compile_scenario(load_text(scenario, "yaml", "s.yaml"), seed=3)
    fast, des = run_fast(m, 100, keep_trials=True), run_des(m, 100)
    assert fast.done is not None
    assert (fast.done <= m.horizon_days).all()  # every trial finishes
    np.testing.assert_array_equal(fast.done, des.done)


def test_status_of_a_started_typed_feature_is_an_error_done_on_is_fine() -> None:
    scn = load_text(LONE.format(wip=1), "yaml", "s.yaml")
    cost = "actual_cost: {flow: 0}\n"
    text = "as_of: 2027-01-18\nfeatures:\n  a: {started_on: 2027-01-05, remaining: {fixed: 2}}\n"
    text += cost
    with pytest.raises(ScenarioError) as info:
        status_from_text(text, scn, "st.yaml")
    assert [str(p) for p in info.value.problems] == [
        "st.yaml:3: features.a: a feature with items per type can only be given done_on so "
        "far (the work left per type is not read, docs/model.md §2.10)"
    ]
    done = status_from_text(
        "as_of: 2027-01-18\nfeatures:\n  a: {done_on: 2027-01-08}\n" + cost, scn
    )
    assert done.features["a"].done_on is not None


# Freezes (docs/model.md §5.5) on typed teams: a held feature that has received no items
# at a period start inside a window waits for the window's end, in the lone typed team
# (solo) and in the typed team of the team cycle (flow <-> ops).
FROZEN = (
    RANDOM
    + """\
risks:
  - {id: reorg, probability: 0.5, delay: {uniform: [3, 25]}, on: 2027-01-13}
  - {id: audit, probability: 0.4, delay: {pert: [5, 10, 30]}, on: 2027-03-01}
"""
)


def test_engines_agree_trial_by_trial_by_type_with_freezes() -> None:
    m = compile_scenario(load_text(FROZEN, "yaml", "s.yaml"), seed=7)
    plain = compile_scenario(load_text(RANDOM, "yaml", "s.yaml"), seed=7)
    fast, des = run_fast(m, 200, keep_trials=True), run_des(m, 200)
    before = run_fast(plain, 200, keep_trials=True)
    assert fast.done is not None and fast.start is not None and before.done is not None
    tp = [f for f in range(m.n_features) if m.feature_ids[f] not in ("x0", "x1")]
    np.testing.assert_array_equal(fast.size, des.size)
    np.testing.assert_array_equal(fast.done[:, tp], des.done[:, tp])
    np.testing.assert_array_equal(fast.start[:, tp], des.start[:, tp])
    np.testing.assert_allclose(fast.done, des.done, rtol=0, atol=1e-9)
    # The freezes move typed features of both typed teams in some trials (not always
    # later: a held feature's items go to the next feature in line meanwhile, §2.9).
    for fid in ("c", "d", "s2"):
        f = m.feature_ids.index(fid)
        assert (fast.start[:, f] != before.start[:, f]).any(), fid
