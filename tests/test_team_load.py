"""Team load over time (issue #20; docs/model.md §10.13): busy, waiting and empty
capacity-days per team and month, on both engines.

Scenarios start on Monday 2027-01-04 with a Mon-Fri calendar: January 2027 has working
days 0-19 (clock [0, 20)), February days 20-39 (clock [20, 40)); the horizon
2027-02-26 is the end of day 39.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim import forecast
from portfolio_sim.codes import LOAD_RES, WORK_SCALE
from portfolio_sim.engines.des import run_des
from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.load_inputs import load_bins, load_model
from portfolio_sim.engines.month_stream import order_ranks
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.schema import Scenario

ENGINES = ["fast", "des"]
SCN = Path(__file__).parent.parent / "scenarios"

HIDDEN = """\
name: hidden-bottleneck
start: 2027-01-04
horizon: 2027-02-26
teams:
  - {id: up, members: 1}
  - {id: down, members: 2}
  - {id: app, throughput: {fixed: 3, per: week}}
  - {id: solo, members: 1}
features:
  - {id: a, team: up, effort: {fixed: 30}}
  - {id: b, team: down, depends_on: [a], effort: {fixed: 10}}
  - {id: c, team: app, depends_on: [a], items: {fixed: 6}}
  - {id: d, team: solo, not_before: 2027-01-18, effort: {fixed: 5}}
"""

# Hand-computed capacity-days [team][month] = (busy, waiting, empty):
# up: a busy [0, 30) -> Jan 20 busy; Feb 10 busy, 10 empty.
# down (2 members): b ready at 30, 10 pd at 2/day -> busy [30, 35): Jan 40 waiting;
#   Feb waiting 20 (days 20-30), busy 10, empty 10.
# app: c ready at 30 = start of period 6; 3 items per period -> done at 40:
#   Jan 20 waiting; Feb 10 waiting, 10 busy.
# solo: d not before day 10, 5 pd -> waiting [0, 10), busy [10, 15), empty after.
EXPECTED = {
    "up": [(20, 0, 0), (10, 0, 10)],
    "down": [(0, 40, 0), (10, 20, 10)],
    "app": [(0, 20, 0), (10, 10, 0)],
    "solo": [(5, 10, 5), (0, 0, 20)],
}


def scenario(uncertain: bool = False) -> Scenario:
    text = HIDDEN
    if uncertain:
        text = text.replace("effort: {fixed: 30}", "effort: {triangular: [24, 30, 34]}")
    return load_text(text, "yaml", "load.yaml")


def compiled(uncertain: bool = False) -> CompiledScenario:
    return compile_scenario(scenario(uncertain), seed=0)


def days_of(engine: str, m: CompiledScenario, trials: int, seed_first: int = 0) -> np.ndarray:
    if engine == "fast":
        out = run_fast(m, trials, keep_trials=True, load=True, first_trial=seed_first)
    else:
        out = run_des(m, trials, load=True, first_trial=seed_first)
    assert out.load_days is not None
    return out.load_days


@pytest.mark.parametrize("engine", ENGINES)
def test_deterministic_days_equal_hand_computed(engine: str) -> None:
    m = compiled()
    days = days_of(engine, m, 3)
    for j, team in enumerate(m.team_ids):
        for k in range(2):
            for trial in range(3):
                assert days[trial, j, k] == pytest.approx(EXPECTED[team][k], abs=1e-9), (team, k)


@pytest.mark.parametrize("engine", ENGINES)
def test_hidden_bottleneck_shows_as_waiting_band(engine: str) -> None:
    # `down` finishes after `up` but its January is all waiting on `up`; `up` is the bottleneck.
    fc = forecast(scenario(uncertain=True), trials=200, seed=1, engine=engine)
    teams = fc.teams.set_index("id")
    assert teams.loc["down", "p50"] > teams.loc["up", "p50"]
    load = fc.team_load.set_index(["team", "month", "state"])
    jan_wait = load.loc[("down", "2027-01", "waiting")]
    assert (jan_wait["p10"], jan_wait["p50"], jan_wait["p90"], jan_wait["mean"]) == (
        1.0,
        1.0,
        1.0,
        pytest.approx(1.0),
    )
    assert load.loc[("up", "2027-01", "busy"), "p50"] == 1.0
    doc = fc.to_dict()["team_load"]
    up = next(t for t in doc["teams"] if t["id"] == "up")
    assert up["months"][0]["bottleneck"] is True
    down = next(t for t in doc["teams"] if t["id"] == "down")
    assert down["months"][0]["bottleneck"] is False
    assert down["months"][0]["waiting"]["p50"] == 1.0


@pytest.mark.parametrize("engine", ENGINES)
def test_states_add_up_to_capacity(engine: str) -> None:
    from portfolio_sim.scenario import load

    m = compile_scenario(load(SCN / "digital-portfolio.yaml"), seed=3)
    days = days_of(engine, m, 40)
    cap = load_model(m).cap_month
    has = cap > 0
    assert has.any()
    assert np.abs(days.sum(axis=-1) - cap)[:, has].max() <= 1e-9 * max(1.0, cap.max())
    assert (days >= -1e-9).all()
    fc = forecast(SCN / "digital-portfolio.yaml", trials=40, seed=3, engine=engine)
    sums = fc.team_load.groupby(["team", "month"])["mean"].sum()
    assert np.allclose(sums.to_numpy(), 1.0, atol=1e-9)


@pytest.mark.parametrize("path", ["startup.yaml", "digital-portfolio.yaml"])
def test_engines_agree_trial_by_trial(path: str) -> None:
    from portfolio_sim.scenario import load

    m = compile_scenario(load(SCN / path), seed=5)
    fast = run_fast(m, 60, keep_trials=True, load=True)
    des = run_des(m, 60, load=True)
    assert fast.load_days is not None and des.load_days is not None
    assert np.abs(fast.load_days - des.load_days).max() <= 1e-7
    assert np.array_equal(fast.load_hist, des.load_hist)
    assert np.array_equal(fast.load_sum, des.load_sum)


def test_bands_equal_percentiles_of_kept_trials() -> None:
    # The histograms (summed over worker threads and batches) give exactly numpy's
    # inverted-CDF percentiles of the per-trial binned shares.
    from portfolio_sim.scenario import load

    m = compile_scenario(load(SCN / "digital-portfolio.yaml"), seed=7)
    n = 3000
    out = run_fast(m, n, keep_trials=True, load=True, workers=3, batch=700)
    lm = load_model(m)
    shares = load_bins(out.load_days, lm.scale) / LOAD_RES
    fc_rows = forecast(SCN / "digital-portfolio.yaml", trials=n, seed=7, keep_trials=True).team_load
    ranks = order_ranks(n, (10, 50, 90))
    srt = np.sort(shares, axis=0)
    for row in fc_rows.sample(200, random_state=0).itertuples(index=False):
        j = m.team_ids.index(row.team)
        k = m.month_labels.index(row.month)
        s = ("busy", "waiting", "empty").index(row.state)
        got = (row.p10, row.p50, row.p90)
        want = tuple(float(srt[r, j, k, s]) for r in ranks)
        assert got == want
        # means are fixed-point sums: each trial rounded to 1 / WORK_SCALE capacity-days
        exact = out.load_days[:, j, k, s].mean() / lm.cap_month[j, k]
        assert row.mean == pytest.approx(exact, abs=0.5 / WORK_SCALE / lm.cap_month[j, k])


def test_same_numbers_whatever_threads_and_batches() -> None:
    m = compiled(uncertain=True)
    a = run_fast(m, 500, load=True, workers=1)
    b = run_fast(m, 500, load=True, workers=3, batch=123)
    assert np.array_equal(a.load_hist, b.load_hist)
    assert np.array_equal(a.load_sum, b.load_sum)


@pytest.mark.parametrize(
    "path",
    [
        "startup.yaml",
        "digital-portfolio.yaml",
        "large-portfolio.yaml",
        "../benchmarks/scenarios/large-cycles.yaml",
        "../benchmarks/scenarios/five-features.yaml",
    ],
)
def test_tallies_without_kept_trials_equal_the_reference(path: str) -> None:
    # The kernel counts runs of months wholly in one state in a difference array and
    # classifies only the months a piece boundary falls in (kernels/load.py); the
    # reference engine classifies every team-month of its per-trial capacity-days in
    # numpy (engines/load_inputs.py tally_days). Same histograms and sums, bit for bit,
    # whether or not the fast engine also keeps the per-trial days.
    from portfolio_sim.scenario import load

    m = compile_scenario(load(SCN / path), seed=11)
    big = path.startswith("large") or "cycles" in path
    trials = 150 if big else 2000
    kept = run_fast(m, trials, keep_trials=True, load=True, workers=2, batch=trials // 3)
    lean = run_fast(m, trials, load=True, workers=3)
    assert kept.load_days is not None and lean.load_days is None
    assert np.array_equal(kept.load_hist, lean.load_hist)
    assert np.array_equal(kept.load_sum, lean.load_sum)
    if not big:  # the reference engine takes seconds per hundred trials of these
        des = run_des(m, 60, load=True)
        lean60 = run_fast(m, 60, load=True, workers=2)
        assert np.array_equal(des.load_hist, lean60.load_hist)
        assert np.array_equal(des.load_sum, lean60.load_sum)
    # most team-months are pure (share 0 or 1), some are mixed
    assert lean.load_hist is not None
    assert lean.load_hist[1:LOAD_RES].sum() > 0


def test_load_is_opt_in_for_the_kernel() -> None:
    m = compiled()
    assert run_fast(m, 10).load_hist is None
    assert forecast(scenario(), trials=10, team_load=False).team_load.empty


def test_outputs_carry_team_load(tmp_path) -> None:
    fc = forecast(scenario(), trials=20)
    doc = json.loads(fc.to_json())
    assert doc["team_load"]["states"] == ["busy", "waiting", "empty"]
    month = doc["team_load"]["teams"][1]["months"][1]
    assert set(month) == {"month", "capacity_days", "bottleneck", "busy", "waiting", "empty"}
    assert month["busy"]["p50"] == 0.25 and month["waiting"]["p50"] == 0.5
    paths = fc.to_csv(str(tmp_path / "csv"))
    csv = next(p for p in paths if p.endswith("team_load.csv"))
    head = Path(csv).read_text().splitlines()[0].split(",")
    assert head == ["team", "month", "state", "capacity_days", "mean", "p10", "p50", "p90"]
    html = fc.to_html()
    assert "Team load over time" in html and "Team load: busy share per month" in html
    assert "Bottleneck months" in html
    # every JSON key and CSV column is documented in docs/outputs.md
    text = (Path(__file__).parent.parent / "docs" / "outputs.md").read_text()
    for key in ["team_load", "bottleneck_busy_p50", "capacity_days", "team_load.csv", *head]:
        assert f"`{key}`" in text or f'"{key}"' in text, key


def test_staff_explanation_names_busy_and_waiting_months() -> None:
    # tests/test_staff.py's hidden bottleneck: up (1 person) works u for 60 working days
    # from Mon 2027-01-04: January (20 days) and February (20) all busy, March 20 of 23
    # days (87 %, not a bottleneck month); down waits all of January and February and
    # 20 of 23 March days (waiting P50 >= 50 %).
    from portfolio_sim.decide.staff import staff

    text = HIDDEN_STAFF
    result = staff(load_text(text, "yaml", "staff.yaml"), add=1, trials=20, ramp_days=10)
    assert result.recommended == {"up": 1}
    lines = result.explanation
    assert "up is busy 95-100 % (P50) from 2027-01 to 2027-02 in the current plan." in lines
    assert any(
        line.startswith("down sits idle waiting") and "from 2027-01 to 2027-03" in line
        for line in lines
    )


HIDDEN_STAFF = """\
name: hidden
start: 2027-01-04
horizon: 2027-12-31
teams:
  - {id: up, members: 1, cost_per_member_day: 100}
  - {id: down, members: 1, cost_per_member_day: 100}
features:
  - {id: u, team: up, effort: {fixed: 60}}
  - {id: d, team: down, depends_on: [u], effort: {fixed: 2}}
"""


@pytest.mark.parametrize("name", ["digital-2027-03", "digital-2027-10"])
def test_engines_agree_on_a_re_forecast(name: str) -> None:
    # a mid-flight re-forecast (docs/model.md §11.2): both engines count the pinned done
    # times of done features; effort teams have no capacity before as_of
    from portfolio_sim.scenario import load
    from portfolio_sim.scenario.status import load_status
    from portfolio_sim.scenario.status_apply import compile_with_status

    scn = load(SCN / "digital-portfolio.yaml")
    c = compile_with_status(scn, load_status(SCN / "status" / f"{name}.yaml", scn), 11)
    fast = run_fast(c, 40, keep_trials=True, load=True)
    des = run_des(c, 40, load=True)
    assert fast.load_days is not None and des.load_days is not None
    assert np.abs(fast.load_days - des.load_days).max() <= 1e-7
    assert np.array_equal(fast.load_hist, des.load_hist)
    cap = load_model(c).cap_month
    has = cap > 0
    assert np.abs(fast.load_days.sum(axis=-1) - cap)[:, has].max() <= 1e-9 * cap.max()
