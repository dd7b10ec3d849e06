"""The SimPy reference model, one semantic rule at a time (docs/model.md §1-§5, §10).

SimPy style: run one trial of a tiny scenario with the event log on, and assert the
log's (event, feature, time) lines against times computed by hand. Scenarios start on
Monday 2027-01-04 with a Mon-Fri calendar, so working day d is the d-th weekday.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from portfolio_sim.calendar import done_day
from portfolio_sim.des import DesModel, TrialResult, sample_trial, simulate_trial, trace
from portfolio_sim.des.model import Capacity
from portfolio_sim.rng import SUBSTREAM, uniform
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario

HEAD = """\
name: rules
start: 2027-01-04
horizon: {horizon}
teams:
{teams}
features:
{features}
"""


def compiled(
    teams: str, features: str, extra: str = "", horizon: str = "2028-12-29"
) -> CompiledScenario:
    text = HEAD.format(horizon=horizon, teams=teams, features=features) + extra
    return compile_scenario(load_text(text, "yaml", "rules.yaml"), seed=0)


def run(m: CompiledScenario, trial: int = 0) -> TrialResult:
    return simulate_trial(m, trial, log=True)


def lines(res: TrialResult, *events: str) -> list[tuple[str, str | None, float]]:
    """The log as (event, feature, time), optionally only some events."""
    return [(e.event, e.feature, e.time) for e in res.log if not events or e.event in events]


def approx_lines(expected: list[tuple[str, str | None, float]]) -> list[object]:
    return [(e, f, pytest.approx(t, abs=1e-9)) for e, f, t in expected]


def test_wip_limit_shares_capacity_equally() -> None:
    # One person, WIP 2: both start at 0 at half speed; a's 10 pd take 20 days, then b
    # (10 of 20 pd done) gets the whole person for its last 10 pd: done at 30.
    m = compiled(
        "  - {id: web, members: 1, wip_limit: 2}",
        "  - {id: a, team: web, effort: {fixed: 10}}\n  - {id: b, team: web, effort: {fixed: 20}}",
    )
    res = run(m)
    assert lines(res, "start", "finish") == approx_lines(
        [("start", "a", 0), ("start", "b", 0), ("finish", "a", 20), ("finish", "b", 30)]
    )
    assert [done_day(t) for t in res.done] == [19, 29]
    assert str(m.calendar.done_date(res.done[1])) == "2027-02-12"
    assert res.work == [30.0]
    assert res.paid == [pytest.approx(30.0)]  # paid through day 29
    assert res.busy == [30.0] and res.idle == [0.0]


def test_wip_one_runs_features_in_sequence() -> None:
    m = compiled(
        "  - {id: web, members: 2}",
        "  - {id: a, team: web, effort: {fixed: 10}}\n  - {id: b, team: web, effort: {fixed: 20}}",
    )
    assert lines(run(m), "start", "finish") == approx_lines(
        [("start", "a", 0), ("finish", "a", 5), ("start", "b", 5), ("finish", "b", 15)]
    )


def test_dependency_across_teams_blocks_until_done() -> None:
    # b (api) waits for a (web, 2.5 pd by one person): it starts mid-day at 2.5 and its
    # 6 pd take 3 days with two people.
    m = compiled(
        "  - {id: web, members: 1}\n  - {id: api, members: 2}",
        "  - {id: a, team: web, effort: {fixed: 2.5}}\n"
        "  - {id: b, team: api, depends_on: [a], effort: {fixed: 6}}",
    )
    res = run(m)
    assert lines(res) == approx_lines(
        [
            ("ready", "a", 0),
            ("blocked", "b", 0),
            ("start", "a", 0),
            ("finish", "a", 2.5),
            ("unblocked", "b", 2.5),
            ("ready", "b", 2.5),
            ("start", "b", 2.5),
            ("finish", "b", 5.5),
        ]
    )
    assert res.busy == [2.5, 3.0]
    assert res.idle == [0.0, 2.5]  # api waited 2.5 days before its only feature


def test_waits_for_all_dependencies() -> None:
    m = compiled(
        "  - {id: web, members: 1, wip_limit: 2}\n  - {id: api, members: 1}",
        "  - {id: a, team: web, effort: {fixed: 2}}\n"
        "  - {id: b, team: web, effort: {fixed: 3}}\n"
        "  - {id: c, team: api, depends_on: [a, b], effort: {fixed: 1}}",
    )
    # a and b share one person: a done at 4, b at 4 + 1 = 5; c starts at 5.
    assert lines(run(m), "finish", "unblocked", "start") == approx_lines(
        [
            ("start", "a", 0),
            ("start", "b", 0),
            ("finish", "a", 4),
            ("finish", "b", 5),
            ("unblocked", "c", 5),
            ("start", "c", 5),
            ("finish", "c", 6),
        ]
    )


def test_not_before() -> None:
    # 2027-01-09 is a Saturday: it takes effect on Monday 2027-01-11, working day 5.
    # c depends on a (done at 8), later than its not_before (day 5): ready at 8.
    m = compiled(
        "  - {id: web, members: 1}\n  - {id: api, members: 1}",
        "  - {id: a, team: web, not_before: 2027-01-09, effort: {fixed: 3}}\n"
        "  - {id: c, team: api, not_before: 2027-01-11, depends_on: [a], effort: {fixed: 1}}",
    )
    res = run(m)
    assert lines(res, "ready", "start", "finish") == approx_lines(
        [
            ("ready", "a", 5),
            ("start", "a", 5),
            ("finish", "a", 8),
            ("ready", "c", 8),
            ("start", "c", 8),
            ("finish", "c", 9),
        ]
    )
    assert res.idle[0] == pytest.approx(5.0)


def test_risk_delay_counts_from_when_the_feature_would_be_ready() -> None:
    m = compiled(
        "  - {id: web, members: 1}\n  - {id: api, members: 1}",
        "  - {id: a, team: web, effort: {fixed: 3}}\n"
        "  - {id: b, team: api, depends_on: [a], effort: {fixed: 2}}\n"
        "  - {id: c, team: api, priority: 9, effort: {fixed: 1}, not_before: 2027-01-05}",
        extra="risks:\n"
        "  - {id: late, probability: 1, affects: [b], delay: {fixed: 4}}\n"
        "  - {id: later, probability: 1, affects: [b, c], delay: {fixed: 0.5}}\n"
        "  - {id: never, probability: 0, affects: [a], delay: {fixed: 100}}\n",
    )
    res = run(m)
    # b: a done at 3, delays 4 + 0.5 add up: ready at 7.5. c: day 1 + 0.5.
    assert lines(res, "risk_fired", "ready", "start", "finish") == approx_lines(
        [
            ("ready", "a", 0),
            ("start", "a", 0),
            ("risk_fired", "c", 1),
            ("ready", "c", 1.5),
            ("start", "c", 1.5),
            ("finish", "c", 2.5),
            ("finish", "a", 3),
            ("risk_fired", "b", 3),
            ("ready", "b", 7.5),
            ("start", "b", 7.5),
            ("finish", "b", 9.5),
        ]
    )
    assert res.fired == ["late", "later"]


def test_risk_extra_effort_and_items() -> None:
    m = compiled(
        "  - {id: web, members: 1}\n  - {id: app, throughput: {fixed: 10, per: day}}",
        "  - {id: a, team: web, effort: {fixed: 3}}\n  - {id: m, team: app, items: {fixed: 4}}",
        extra="risks:\n"
        "  - {id: scope, probability: 1, affects: [a], extra_effort: {fixed: 1.5}}\n"
        "  - {id: more, probability: 1, affects: [m], extra_items: {fixed: 2.2}}\n",
    )
    res = run(m)
    assert res.size == [4.5, 7.0]  # extra items rounded up: 4 + 3
    assert ("risk_fired", "a", 0.0) in lines(res)
    assert res.done[0] == pytest.approx(4.5)


def test_staffing_change_with_ramp_up() -> None:
    # 1 person until working day 5 (5 pd); then 3 paid, the 2 new ones ramping 0 -> 1
    # over 10 days: 10 x 1 + 2 x 10 / 2 = 20 pd by day 15; the last 5 pd at 3 a day
    # take 5/3: done at 16.6667 (working day 16).
    m = compiled(
        "  - {id: web, members: 1, changes: [{on: 2027-01-11, members: 3, ramp_days: 10}]}",
        "  - {id: a, team: web, effort: {fixed: 30}}",
    )
    res = run(m)
    assert lines(res) == approx_lines(
        [
            ("ready", "a", 0),
            ("start", "a", 0),
            ("staffing_change", None, 5),
            ("finish", "a", 15 + 5 / 3),
        ]
    )
    assert done_day(res.done[0]) == 16
    assert res.log[2].team == "web"
    # Paid capacity through day 16 (clock 17): 25 pd by clock 15, then 3 pd a day.
    assert res.paid == [pytest.approx(31.0)]


def test_staffing_reduction_leaves_at_once() -> None:
    m = compiled(
        "  - {id: web, members: 3, changes: [{on: 2027-01-06, members: 1}]}",
        "  - {id: a, team: web, effort: {fixed: 10}}",
    )
    # 3 pd/day for 2 days (6 pd), then 1 pd/day for the last 4: done at 6.
    assert run(m).done == [pytest.approx(6.0)]


def test_focus_scales_capacity() -> None:
    m = compiled(
        "  - {id: web, members: 2, focus: 0.5}\n  - {id: api, members: 5, focus: 0.8}",
        "  - {id: a, team: web, effort: {fixed: 10}}\n  - {id: b, team: api, effort: {fixed: 10}}",
    )
    assert run(m).done == [pytest.approx(10.0), pytest.approx(2.5)]


def test_priority_order_and_ties_in_file_order() -> None:
    m = compiled(
        "  - {id: web, members: 1}",
        "  - {id: x, team: web, priority: 2, effort: {fixed: 1}}\n"
        "  - {id: y, team: web, priority: 1, effort: {fixed: 2}}\n"
        "  - {id: w, team: web, effort: {fixed: 1}}\n"
        "  - {id: z, team: web, priority: 1, effort: {fixed: 3}}",
    )
    # y, z (priority 1, file order), x (2), w (no priority: last).
    assert lines(run(m), "start", "finish") == approx_lines(
        [
            ("start", "y", 0),
            ("finish", "y", 2),
            ("start", "z", 2),
            ("finish", "z", 5),
            ("start", "x", 5),
            ("finish", "x", 6),
            ("start", "w", 6),
            ("finish", "w", 7),
        ]
    )


@pytest.mark.parametrize("web_first", [True, False])
def test_completions_before_starts_at_the_same_time(web_first: bool) -> None:
    # At t=4 web finishes f1 and api finishes p, which makes hi (web, priority 1) ready.
    # All completions at t are applied before any start: web starts hi, not lo.
    web = "  - {id: web, members: 1}"
    api = "  - {id: api, members: 1}"
    m = compiled(
        "\n".join([web, api] if web_first else [api, web]),
        "  - {id: f1, team: web, priority: 1, effort: {fixed: 4}}\n"
        "  - {id: lo, team: web, priority: 3, effort: {fixed: 1}}\n"
        "  - {id: p, team: api, effort: {fixed: 4}}\n"
        "  - {id: hi, team: web, priority: 2, depends_on: [p], effort: {fixed: 1}}",
    )
    res = run(m)
    assert lines(res, "start") == approx_lines(
        [("start", "f1", 0), ("start", "p", 0), ("start", "hi", 4), ("start", "lo", 5)]
        if web_first
        else [("start", "p", 0), ("start", "f1", 0), ("start", "hi", 4), ("start", "lo", 5)]
    )


def test_throughput_periods_carry_over_and_eligibility() -> None:
    # 3 items a week (L = 5 working days). a (4 items) gets 3 in period 0 and 1 in
    # period 1, whose 2 left go to b (start = start of period 1). c becomes ready at 7
    # (mid-period 1): first eligible in period 2 [10, 15).
    m = compiled(
        "  - {id: app, throughput: {fixed: 3, per: week}}\n  - {id: web, members: 1}",
        "  - {id: a, team: app, items: {fixed: 4}}\n"
        "  - {id: b, team: app, items: {fixed: 4}}\n"
        "  - {id: e, team: web, effort: {fixed: 7}}\n"
        "  - {id: c, team: app, depends_on: [e], items: {fixed: 2}}",
    )
    res = run(m)
    assert lines(res, "start", "finish") == approx_lines(
        [
            ("start", "e", 0),
            ("start", "a", 0),  # logged at the period end, stamped with the period start
            ("start", "b", 5),
            ("finish", "e", 7),
            ("finish", "a", 10),
            ("start", "c", 10),
            ("finish", "b", 15),
            ("finish", "c", 20),
        ]
    )
    assert res.work[0] == 10.0  # items taken: 4 + 4 + 2
    assert res.paid[0] == 0.0


@pytest.mark.parametrize(("rate", "done"), [(2.5, 2.0), (2.4, 3.0), (3.5, 2.0)])
def test_throughput_draw_rounds_half_up(rate: float, done: float) -> None:
    m = compiled(
        f"  - {{id: app, throughput: {{fixed: {rate}, per: day}}}}",
        "  - {id: a, team: app, items: {fixed: 6}}",
        horizon="2027-01-15",
    )
    assert run(m).done == [done]


def test_throughput_skips_periods_without_eligible_features() -> None:
    # a becomes ready on working day 12 (mid-period 2): periods 0-2 are skipped and their
    # draws unused; items come from period 3 on, each period q from stream slot q. a
    # starts at the start of the first period that gives it items (a draw may be 0).
    m = compiled(
        "  - {id: app, throughput: {samples: [0, 1, 2, 3, 4, 5], per: week}}",
        "  - {id: a, team: app, not_before: 2027-01-20, items: {fixed: 6}}",
    )
    # Expected items by hand from the raw keyed stream (docs/model.md §7.3: period q is
    # slot q), not with the sampler under test: a bootstrap of n samples takes sample
    # floor(u n) of the slot's first uniform u; [0, 1, ..., 5] makes that index the value.
    starts = set()
    for trial in range(12):
        left, q, first = 6.0, 3, -1
        while True:
            items = min(math.floor(uniform(m.team_key[0], trial, q * SUBSTREAM) * 6), 5)
            if items > 0 and first < 0:
                first = q
            left -= items
            if left <= 0:
                break
            q += 1
        res = run(m, trial)
        assert res.start == [first * 5.0]
        assert res.done == [(q + 1) * 5.0]
        starts.add(first)
    assert 3 in starts


def test_throughput_leftover_is_lost_after_the_last_eligible_feature() -> None:
    m = compiled(
        "  - {id: app, throughput: {fixed: 10, per: week}}",
        "  - {id: a, team: app, items: {fixed: 2}}\n"
        "  - {id: b, team: app, not_before: 2027-01-05, items: {fixed: 2}}",
    )
    res = run(m)
    assert res.done == [5.0, 10.0]  # b was not ready at the start of period 0
    assert res.work == [4.0]


def test_horizon_censors_unfinished_work() -> None:
    # Horizon Friday 2027-01-29 = working day 19: clock times up to 20 are inside.
    m = compiled(
        "  - {id: web, members: 1}\n  - {id: api, members: 1}",
        "  - {id: a, team: web, effort: {fixed: 15}}\n"
        "  - {id: b, team: web, effort: {fixed: 100}}\n"
        "  - {id: c, team: api, effort: {fixed: 20}}\n"
        "  - {id: d, team: api, effort: {fixed: 5}}",
        horizon="2027-01-29",
    )
    assert m.horizon_days == 20
    res = run(m)
    assert res.done == [15.0, math.inf, 20.0, math.inf]  # c ends exactly at the horizon
    assert res.start == [0.0, 15.0, 0.0, 20.0]  # d starts at the horizon, never ends
    assert max(e.time for e in res.log) <= 20.0
    assert res.work == [20.0, 20.0]  # b's 5 pd done so far count
    assert res.paid == [20.0, 20.0]  # not done: paid to the horizon


def test_release_horizon_pays_to_the_horizon() -> None:
    m = compiled(
        "  - {id: web, members: 2, release: horizon}\n  - {id: api, members: 2}\n"
        "  - {id: idle, members: 3}",
        "  - {id: a, team: web, effort: {fixed: 3}}\n  - {id: b, team: api, effort: {fixed: 3}}",
        horizon="2027-01-29",
    )
    # a and b end at 1.5 (day 1): api is paid through day 1; a team without features for
    # day 0 only (docs/model.md §2: it is released at once).
    assert run(m).paid == [40.0, 4.0, 3.0]


def test_sampling_uses_the_keyed_slots() -> None:
    m = compiled(
        "  - {id: web, members: 1}\n  - {id: app, throughput: {fixed: 1}}",
        "  - {id: a, team: web, effort: {uniform: [10, 20]}, growth: {uniform: [1, 2]}}\n"
        "  - {id: m, team: app, items: {uniform: [3, 9]}}",
        extra="risks:\n  - {id: r, probability: 0.5, affects: [a], extra_effort: {uniform: [1, 3]}}\n",
    )

    # Expected sizes by hand: closed-form inverse CDFs (uniform [a, b] -> a + (b - a) u) of
    # the raw keyed uniforms, u(key, slot) = the slot's first uniform; feature slot 0 size,
    # 1 growth; risk slot 0 fires, 1 impact (docs/model.md §7.3). Items round up (§3.2).
    def u(key: int, trial: int, slot: int) -> float:
        return float(uniform(key, trial, slot * SUBSTREAM))

    for trial in range(20):
        d = sample_trial(m, trial)
        fa, fm, r = m.feat_key[0], m.feat_key[1], m.risk_key[0]
        size = (10 + 10 * u(fa, trial, 0)) * (1 + u(fa, trial, 1))
        fires = u(r, trial, 0) < 0.5
        if fires:
            size += 1 + 2 * u(r, trial, 1)
        items = math.ceil(3 + 6 * u(fm, trial, 0) - 1e-9)
        assert d.size == [pytest.approx(size, rel=1e-15), items]
        assert d.fired == ([0] if fires else [])


def test_capacity_function_evaluates_and_inverts() -> None:
    cap = Capacity([0.0, 5.0, 15.0], [1.0, 1.0, 3.0], [0.0, 0.2, 0.0])
    assert cap.at(5.0) == 5.0 and cap.at(15.0) == pytest.approx(25.0)
    assert cap.time_for(30.0) == pytest.approx(15 + 5 / 3)
    assert cap.rate_at(10.0) == pytest.approx(2.0)
    for t in np.linspace(0.0, 30.0, 61):
        assert cap.time_for(cap.at(float(t))) == pytest.approx(float(t), abs=1e-9)
    stalled = Capacity([0.0, 2.0], [1.0, 0.0], [0.0, 0.0])
    assert stalled.time_for(3.0) == math.inf


def test_trace_and_model_reuse_agree() -> None:
    m = compiled(
        "  - {id: web, members: 1, wip_limit: 2}",
        "  - {id: a, team: web, effort: {pert: [1, 5, 20]}}\n  - {id: b, team: web, effort: {fixed: 3}}",
    )
    model = DesModel(m)
    for trial in range(3):
        assert model.run(trial, log=True).log == trace(m, trial)
        assert model.run(trial).log == []


def test_reference_engine_never_imports_the_kernels() -> None:
    import subprocess
    import sys

    code = (
        "import sys, portfolio_sim.des, portfolio_sim.engines.des\n"
        "assert not [m for m in sys.modules if m.startswith('portfolio_sim.kernels')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
