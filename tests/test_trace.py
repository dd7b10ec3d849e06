"""``trace_trial`` and ``portfolio-sim trace``: the event log, Gantt and utilisation of one
trial (SimPy style: tiny scenarios, event times computed by hand).

Scenarios start on Monday 2027-01-04 with a Mon-Fri calendar, so working day d is the
d-th weekday; work ending at clock time t is done on working day ceil(t) - 1.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError, ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.results.trace_tables import EVENT_COLUMNS, UTILISATION_COLUMNS, Trace
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.schema import Scenario
from portfolio_sim.tracing import pick_near, trace_trial

ACME = Path(__file__).parent / "data" / "acme.yaml"

HEAD = """\
name: trace
start: 2027-01-04
horizon: 2027-12-31
teams:
{teams}
features:
{features}
"""


def scenario(teams: str, features: str, extra: str = "") -> Scenario:
    return load_text(HEAD.format(teams=teams, features=features) + extra, "yaml", "t.yaml")


def lines(t: Trace, *events: str) -> list[tuple[Any, ...]]:
    """(event, feature, clock time, working day, ISO date) of the log, some events."""
    ev = t.events
    return [
        (r.event, r.feature, pytest.approx(r.workday, abs=1e-9), r.day, r.date.date().isoformat())
        for r in ev.itertuples(index=False)
        if not events or r.event in events
    ]


def test_wip_one_sequence_with_days_and_dates() -> None:
    # One person, WIP 1: a (5 pd) 0 -> 5, then b (10 pd) 5 -> 15. A finish at t = 5 is
    # done on day 4 (Friday 8 Jan); b starts on day 5 (Monday 11 Jan).
    t = trace_trial(
        scenario(
            "  - {id: web, members: 1}",
            "  - {id: a, team: web, effort: {fixed: 5}}\n"
            "  - {id: b, team: web, effort: {fixed: 10}}",
        ),
        seed=0,
        trial=0,
    )
    assert list(t.events.columns) == list(EVENT_COLUMNS)
    assert lines(t, "start", "finish") == [
        ("start", "a", 0.0, 0, "2027-01-04"),
        ("finish", "a", 5.0, 4, "2027-01-08"),
        ("start", "b", 5.0, 5, "2027-01-11"),
        ("finish", "b", 15.0, 14, "2027-01-22"),
    ]
    assert t.finish == 15.0 and str(t.finish_date) == "2027-01-22"
    starts = t.events[t.events["event"] == "start"]["detail"].tolist()
    assert starts == ["5 person-days", "10 person-days"]
    f = t.features.set_index("feature")
    assert f.loc["b", "start"] == 5.0 and f.loc["b", "done"] == 15.0
    assert str(f.loc["b", "done_date"].date()) == "2027-01-22"
    # Busy all 15 paid days (paid through day 14).
    u = t.utilisation
    assert list(u.columns) == list(UTILISATION_COLUMNS)
    assert u["month"].tolist() == ["2027-01"]
    assert u.loc[0, "paid_days"] == 15.0 and u.loc[0, "busy"] == pytest.approx(1.0)


def test_dependency_across_teams_blocks_and_utilisation() -> None:
    # b (api, 2 people) waits for a (web, 2.5 pd by one person): blocked at 0,
    # unblocked at 2.5, its 6 pd take 3 days: done at 5.5 (day 5).
    t = trace_trial(
        scenario(
            "  - {id: web, members: 1}\n  - {id: api, members: 2}",
            "  - {id: a, team: web, effort: {fixed: 2.5}}\n"
            "  - {id: b, team: api, depends_on: [a], effort: {fixed: 6}}",
        ),
        seed=0,
        trial=0,
    )
    assert [(e, f, w) for e, f, w, _, _ in lines(t)] == [
        ("ready", "a", 0.0),
        ("blocked", "b", 0.0),
        ("start", "a", 0.0),
        ("finish", "a", 2.5),
        ("unblocked", "b", 2.5),
        ("ready", "b", 2.5),
        ("start", "b", 2.5),
        ("finish", "b", 5.5),
    ]
    ev = t.events.set_index(["event", "feature"])
    assert ev.loc[("blocked", "b"), "detail"] == "waiting for a"
    assert ev.loc[("unblocked", "b"), "team"] == "api"
    assert ev.loc[("finish", "a"), "day"] == 2 and ev.loc[("unblocked", "b"), "day"] == 2
    # api is paid through day 5 (6 days): waiting 0-2.5, busy 2.5-5.5, empty 5.5-6.
    # web is paid through day 2 (3 days): busy 0-2.5, empty 2.5-3.
    u = t.utilisation.set_index("team")
    assert u.loc["api", "paid_days"] == 6.0 and u.loc["api", "paid_capacity"] == 12.0
    assert u.loc["api", ["busy", "idle_blocked", "idle_empty"]].tolist() == pytest.approx(
        [3 / 6, 2.5 / 6, 0.5 / 6]
    )
    assert u.loc["web", ["busy", "idle_blocked", "idle_empty"]].tolist() == pytest.approx(
        [2.5 / 3, 0.0, 0.5 / 3]
    )


def test_risk_and_staffing_change_events() -> None:
    # A delay risk (3 days, always fires) holds a until t = 3, so b (4 + 2 pd of extra
    # effort) starts first at 0. The change on Monday 11 Jan (day 5) brings a second
    # member: b has 5 pd done by then, its last 1 pd takes half a day (done at 5.5);
    # a (WIP 1) starts at 5.5 and its 10 pd at 2 a day end at 10.5.
    t = trace_trial(
        scenario(
            "  - {id: web, members: 1, changes: [{on: 2027-01-11, members: 2}]}",
            "  - {id: a, team: web, effort: {fixed: 10}}\n"
            "  - {id: b, team: web, effort: {fixed: 4}}",
            "risks:\n"
            "  - {id: late, probability: 1, affects: [a], delay: {fixed: 3}}\n"
            "  - {id: scope, probability: 1, affects: [b], extra_effort: {fixed: 2}}\n",
        ),
        seed=0,
        trial=0,
    )
    ev = t.events
    risk = ev[ev["event"] == "risk_fired"].set_index("feature")["detail"]
    assert risk.to_dict() == {"b": "scope: +2 person-days", "a": "late: delay 3 working days"}
    staff = ev[ev["event"] == "staffing_change"]
    assert staff["workday"].tolist() == [5.0] and staff["detail"].tolist() == ["members 2"]
    assert staff["feature"].isna().all() and staff["team"].tolist() == ["web"]
    f = t.features.set_index("feature")
    assert f.loc["b", "size"] == 6.0
    assert (f.loc["b", "start"], f.loc["b", "done"]) == (0.0, pytest.approx(5.5))
    assert (f.loc["a", "ready"], f.loc["a", "start"]) == (3.0, pytest.approx(5.5))
    assert f.loc["a", "done"] == pytest.approx(10.5)


def test_deadline_detail_and_not_done_by_horizon() -> None:
    t = trace_trial(
        scenario(
            "  - {id: web, members: 1}",
            "  - {id: a, team: web, effort: {fixed: 5}, deadline: 2027-01-07}\n"
            "  - {id: b, team: web, effort: {fixed: 1000}}",
        ),
        seed=0,
        trial=0,
    )
    fin = t.events[t.events["event"] == "finish"]
    assert fin["detail"].tolist() == ["deadline 2027-01-07 missed"]
    assert math.isinf(t.finish) and t.finish_date is None
    f = t.features.set_index("feature")
    assert not f.loc["a", "deadline_met"] and pd.isna(f.loc["b", "done_date"])
    doc = json.loads(t.to_json())
    assert doc["finish"] == {"workday": None, "date": None}
    assert "not done by horizon" in t.summary()
    assert "b" in t.gantt_svg()  # drawn hatched to the horizon


@pytest.fixture(scope="module")
def acme_near() -> Trace:
    return trace_trial(ACME, seed=5, near="p85", trials_for_near=800)


def test_csv_and_json_round_trip(acme_near: Trace, tmp_path: Path) -> None:
    t = acme_near
    path = tmp_path / "events.csv"
    t.to_csv(path, protect=[ACME])
    # The CSV promises exact floats: the workday text is parsed with Python's float()
    # (correctly rounded on every platform; pandas' default parser was off by an ulp on
    # some versions and its round_trip option is deprecated in pandas 3).
    back = pd.read_csv(path, parse_dates=["date"], keep_default_na=False, dtype={"workday": str})
    assert list(back.columns) == list(EVENT_COLUMNS)
    ev = t.events.fillna({"feature": ""})
    assert [float(w) for w in back["workday"]] == ev["workday"].tolist()  # exact floats
    for col in ("day", "team", "feature", "event", "detail"):
        assert back[col].tolist() == ev[col].tolist()
    assert (back["date"] == ev["date"]).all()

    jpath = tmp_path / "trace.json"
    t.to_json(jpath)
    doc = json.loads(jpath.read_text())
    assert doc["trial"] == t.trial and doc["seed"] == 5 and doc["near"] == "p85"
    events = pd.DataFrame(doc["events"])
    assert events["workday"].tolist() == t.events["workday"].tolist()
    assert events["date"].tolist() == [d.date().isoformat() for d in t.events["date"]]
    assert (
        events["feature"].tolist()
        == t.events["feature"].where(t.events["feature"].notna(), None).tolist()
    )
    assert [f["feature"] for f in doc["features"]] == ["payments-api", "one-click", "app-wallet"]
    assert {u["team"] for u in doc["utilisation"]} == {"web", "mobile"}
    with pytest.raises(InputError, match="refusing to overwrite"):
        t.to_csv(ACME, protect=[ACME])


def test_near_p85_is_the_fast_engines_trial(acme_near: Trace) -> None:
    t = acme_near
    fast = forecast(ACME, trials=800, seed=5)
    port_t = fast.raw.port_t
    # Same keyed streams: trial k of the DES is trial k of the fast engine.
    assert t.finish == pytest.approx(port_t[t.trial], abs=1e-9)
    assert t.fast_finish == port_t[t.trial]
    # Its finish is the P85 (a trial value under the inverted-CDF rule): same date as
    # the forecast's P85, and no other trial is closer.
    p85 = fast.portfolio.loc["finish", "p85"].date()
    assert t.target_date == p85 == t.finish_date
    assert abs(port_t[t.trial] - t.target) == np.min(np.abs(port_t - t.target))
    assert np.all(np.abs(port_t[: t.trial] - t.target) > 0)  # ties: the lowest index
    # busy over the paid period is the team's utilisation (work / capacity paid)
    totals = t.utilisation_totals.set_index("team")
    web = fast.teams.set_index("id")
    assert 0.0 < totals.loc["web", "busy"] <= 1.0
    assert not math.isnan(web.loc["web", "utilization"])


def test_busy_share_equals_work_over_paid_capacity() -> None:
    from portfolio_sim.des import DesModel
    from portfolio_sim.scenario.compile import compile_scenario
    from portfolio_sim.scenario.load import load

    t = trace_trial(ACME, seed=3, trial=7)
    res = DesModel(compile_scenario(load(ACME), 3)).run(7)
    totals = t.utilisation_totals.set_index("team")
    assert totals.loc["web", "busy"] == pytest.approx(res.work[0] / res.paid[0], abs=1e-9)
    assert totals.loc["web", "paid_capacity"] == pytest.approx(res.paid[0])
    shares = totals[["busy", "idle_blocked", "idle_empty"]].sum(axis=1)
    assert shares.tolist() == pytest.approx([1.0, 1.0])


def test_pick_near_rule() -> None:
    port = np.array([5.0, 3.0, 5.0, np.inf])
    assert pick_near(port, 50) == (0, 5.0)  # P50 = 5: the first of the ties
    assert pick_near(port, 25) == (1, 3.0)
    k, target = pick_near(port, 85)  # P85 is "not done by horizon"
    assert k == 3 and math.isinf(target)
    assert pick_near(np.array([1.0, 2.0, 10.0]), 50) == (1, 2.0)


def test_gantt_lanes_svg_and_png(acme_near: Trace, tmp_path: Path) -> None:
    svg = acme_near.gantt_svg()
    assert svg.startswith("<svg")
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert texts.count("web") == 1 and texts.count("mobile") == 1
    assert any("portfolio finish" in x for x in texts)
    acme_near.save_gantt(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    acme_near.save_gantt(tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_text().startswith("<svg")
    with pytest.raises(InputError, match=".svg or .png"):
        acme_near.save_gantt(tmp_path / "g.pdf")


def test_variant_and_bad_input() -> None:
    t = trace_trial(ACME, seed=1, trial=2, variant="add-team")
    assert t.variant == "add-team" and t.teams == ["web", "mobile", "web2"]
    assert set(t.utilisation["team"]) <= {"web", "mobile", "web2"}
    with pytest.raises(ScenarioError, match="unknown variant"):
        trace_trial(ACME, trial=0, variant="nope")
    with pytest.raises(InputError, match="exactly one"):
        trace_trial(ACME, trial=0, near="p85")
    with pytest.raises(InputError, match="exactly one"):
        trace_trial(ACME)
    with pytest.raises(InputError, match="percentile"):
        trace_trial(ACME, near="85")
    with pytest.raises(InputError, match="trial"):
        trace_trial(ACME, trial=-1)
    with pytest.raises(InputError, match="seed"):
        trace_trial(ACME, seed=-1, trial=0)


def test_cli_trace_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv, js, svg = tmp_path / "e.csv", tmp_path / "t.json", tmp_path / "g.svg"
    argv = ["trace", str(ACME), "--seed", "5", "--trial", "3"]
    code = main([*argv, "--csv", str(csv), "--json", str(js), "--gantt", str(svg)])
    out = capsys.readouterr().out
    assert code == 0
    assert "trial 3, seed 5" in out and "portfolio finish" in out
    assert csv.read_text().startswith(",".join(EVENT_COLUMNS))
    assert json.loads(js.read_text())["trial"] == 3
    assert svg.read_text().startswith("<svg")
    code = main(["trace", str(ACME), "--near", "p50", "--near-trials", "200", "--quiet"])
    assert code == 0 and capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trial", "0", "--variant", "nope"], "unknown variant"),
        ([], "one of the arguments --trial --near is required"),
        (["--trial", "0", "--near", "p85"], "not allowed with"),
        (["--near", "p101"], "percentile"),
        (["--trial", "-1"], "negative"),
        (["--trial", "0", "--gantt", "g.pdf"], ".svg or .png"),
        (["--trial", "0", "--csv", str(ACME)], "refusing to overwrite"),
    ],
)
def test_cli_trace_bad_input(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", str(ACME), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_des_trace_function_survives_importing_the_trace_builder() -> None:
    """``portfolio_sim.des.trace`` is the event-log function; importing the module that
    builds traces (once named ``des/trace.py``) must not shadow it with a submodule."""
    import portfolio_sim.des as des
    import portfolio_sim.tracing  # noqa: F401  (imports portfolio_sim.des.event_trace)
    from portfolio_sim.des.model import trace

    assert des.trace is trace
