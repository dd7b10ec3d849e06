"""The what-if service's JSON API (docs/service.md) through the ASGI test client and a
live uvicorn on a free loopback port.

Numbers are checked against :func:`portfolio_sim.forecast` of the equivalent variant
written in the file, with the same seed and trials: the service must give exactly those
(common random numbers, docs/model.md §7.3), not something close.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs fastapi (pip install -e '.[test]')")
pytest.importorskip("uvicorn", reason="the service needs uvicorn (pip install -e '.[test]')")

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from portfolio_sim.forecasting import forecast  # noqa: E402
from portfolio_sim.scenario import load  # noqa: E402
from portfolio_sim.service import limits  # noqa: E402
from portfolio_sim.service.app import create_app  # noqa: E402
from portfolio_sim.service.pool import ForecastPool, Superseded  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
DIGITAL = ROOT / "scenarios" / "digital-portfolio.yaml"
TRIALS, SEED = 2000, 7
PATHS = ["../../etc/passwd", "/etc/passwd", "..\\..\\windows\\win.ini", "file:///etc/passwd"]


@pytest.fixture(scope="module")
def scenario_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("svc") / "digital.yaml"
    shutil.copy(DIGITAL, path)
    return path


@pytest.fixture(scope="module")
def client(scenario_copy: Path) -> Iterator[TestClient]:
    app = create_app(scenario_copy, trials=TRIALS, seed=SEED)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def checked(r: httpx.Response) -> httpx.Response:
    """Every answer is JSON (or the page) and never shows a stack trace."""
    assert "Traceback" not in r.text
    assert 'File "' not in r.text
    return r


def post(client: TestClient, url: str, body: Any) -> httpx.Response:
    return checked(client.post(url, json=body))


def team(tid: str, field: str, value: Any) -> dict[str, Any]:
    return {"kind": "team", "id": tid, "field": field, "value": value}


def test_knobs_list_teams_features_budget_horizon(client: TestClient) -> None:
    doc = checked(client.get("/api/scenario")).json()
    scn = load(DIGITAL)
    assert [t["id"] for t in doc["teams"]] == [t.id for t in scn.teams]
    web = next(t for t in doc["teams"] if t["id"] == "web")
    assert (web["members"], web["focus"], web["wip_limit"]) == (6, 0.8, 2)
    assert web["changes"] == [{"on": "2027-04-01", "members": 8, "ramp_days": 40}]
    assert sorted(f["id"] for f in doc["features"]) == sorted(f.id for f in scn.features)
    prios = [f["priority"] for f in doc["features"]]
    known = [p for p in prios if p is not None]
    assert known == sorted(known)  # the model's start order
    assert doc["budget"] == {"total": 6500000}
    assert doc["horizon"] == "2029-12-31"
    assert doc["limits"]["max_trials"] == limits.MAX_TRIALS


def test_no_edits_delta_is_zero_and_answers_equal_the_file_forecast(client: TestClient) -> None:
    doc = post(client, "/api/forecast", {"edits": []}).json()
    d = doc["delta"]
    assert d["portfolio"] == {"p50_days": 0, "p85_days": 0}
    assert d["cost"] == {"p50": 0, "p80": 0}
    assert d["budget_overrun_probability"] == 0 and d["npv_mean"] == 0
    assert set(d["deadlines"].values()) == {0}
    assert d["removed"] == []
    ref = forecast(DIGITAL, TRIALS, SEED).to_dict()
    assert doc["edited"]["portfolio"]["p85"] == ref["portfolio"]["finish"]["p85"]
    assert doc["edited"]["cost"]["p80"] == ref["portfolio"]["cost"]["p80"]


def _with_variant(src: Path, dst: Path, name: str, step: str) -> Path:
    """``src`` with one more variant (the file's variants block is its last)."""
    text = src.read_text(encoding="utf-8")
    dst.write_text(text + f"\n  {name}:\n    - {step}\n", encoding="utf-8")
    return dst


def test_two_more_members_equals_the_equivalent_variant(client: TestClient, tmp_path: Path) -> None:
    doc = post(client, "/api/forecast", {"edits": [team("data", "members", 7)]}).json()
    path = _with_variant(DIGITAL, tmp_path / "v.yaml", "plus-two", "set: {teams.data.members: 7}")
    ref = forecast(path, TRIALS, SEED, variant="plus-two").to_dict()
    base = forecast(path, TRIALS, SEED).to_dict()
    got = doc["edited"]
    assert got["portfolio"]["p85"] == ref["portfolio"]["finish"]["p85"]
    assert got["portfolio"]["p50"] == ref["portfolio"]["finish"]["p50"]
    assert got["cost"] == {k: ref["portfolio"]["cost"][k] for k in ("p50", "p80")}
    assert got["npv_mean"] == ref["portfolio"]["npv"]["mean"]
    assert got["budget_overrun_probability"] == ref["portfolio"]["budget_overrun_probability"]
    assert [f["finish"] for f in got["features"]] == [f["finish"] for f in ref["features"]]
    # the delta is the change against the base, same draws
    assert doc["delta"]["cost"]["p50"] == pytest.approx(
        ref["portfolio"]["cost"]["p50"] - base["portfolio"]["cost"]["p50"]
    )
    assert doc["delta"]["cost"]["p50"] != 0  # the edit changes the answer: not a zero delta


def test_removing_a_feature_drops_it_and_says_so(client: TestClient) -> None:
    edits = [
        {"kind": "feature", "id": "b2b-quote-tool", "field": "in", "value": False},
    ]
    doc = post(client, "/api/forecast", {"edits": edits}).json()
    assert "b2b-quote-tool" not in [f["id"] for f in doc["edited"]["features"]]
    assert doc["delta"]["removed"] == ["b2b-quote-tool"]


def test_removing_a_feature_others_depend_on_is_422_naming_them(client: TestClient) -> None:
    edits = [{"kind": "feature", "id": "identity-sso", "field": "in", "value": False}]
    r = post(client, "/api/forecast", {"edits": edits})
    assert r.status_code == 422
    (p,) = r.json()["problems"]
    assert p["path"] == "edits[0]"
    assert "removes identity-sso, which" in p["reason"] and "depend on" in p["reason"]


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        (
            team("paymnts", "members", 5),
            "edits[0].id",
            "no team 'paymnts' (did you mean 'payments'?)",
        ),
        (
            {"kind": "feature", "id": "nope", "field": "priority", "value": 1},
            "edits[0].id",
            "no feature 'nope'",
        ),
        ({"kind": "order", "value": ["nope"]}, "edits[0].value", "no feature 'nope'"),
        (team("web", "cost_per_member_day", 1), "edits[0].field", "cannot edit"),
        (team("web", "members", -1), "edits[0]: teams[0].members", "greater than or equal to 0"),
        (team("web", "members", True), "edits[0]: teams[0].members", "boolean"),
        (team("web", "changes.0.on", "soon"), "edits[0].value", "expected a date"),
        (team("web", "changes.5.members", 3), "edits[0]", "invalid path"),
        ({"kind": "horizon", "value": "2026-01-01"}, "edits[0]: horizon", "after start"),
    ],
)
def test_invalid_edits_are_422_with_the_cli_problem_lines(
    client: TestClient, edit: dict[str, Any], path: str, words: str
) -> None:
    r = post(client, "/api/forecast", {"edits": [edit]})
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert any(p["path"].startswith(path) and words in p["reason"] for p in problems), problems
    assert all(p["message"] == f"{p['path']}: {p['reason']}" for p in problems)
    v = post(client, "/api/validate", {"edits": [edit]}).json()
    assert v["ok"] is False and v["problems"] == problems


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"edits": {"kind": "team"}}',
        b'{"edits": [{"kind": "planet", "id": "web"}]}',
        b'{"edits": [], "extra": 1}',
        b'{"edits": [], "trials": "many"}',
        b'{"edits": [], "trials": 2.5}',
        b'{"edits": [], "seed": -1}',
        b'{"edits": [{"kind": "team", "id": "web", "field": "members", "value": {"a": 1}}]}',
    ],
)
def test_bad_bodies_are_422_problem_lists(client: TestClient, body: bytes) -> None:
    r = checked(
        client.post("/api/forecast", content=body, headers={"content-type": "application/json"})
    )
    assert r.status_code == 422, r.text
    assert r.json()["problems"] and all(p["reason"] for p in r.json()["problems"])


def test_a_body_that_is_not_json_typed_is_refused(client: TestClient) -> None:
    """A form or text/plain post (what another web site can send without asking) is not
    read as JSON."""
    r = checked(
        client.post(
            "/api/forecast", content=b'{"edits": []}', headers={"content-type": "text/plain"}
        )
    )
    assert r.status_code == 422


def test_trials_over_the_service_limit_is_a_clear_422(client: TestClient) -> None:
    r = post(client, "/api/forecast", {"edits": [], "trials": limits.MAX_TRIALS + 1})
    assert r.status_code == 422
    (p,) = r.json()["problems"]
    assert p["path"] == "trials" and "50,000" in p["reason"] and "service limit" in p["reason"]
    assert post(client, "/api/forecast", {"trials": 0}).status_code == 422


def test_oversize_bodies_are_413(client: TestClient) -> None:
    big = json.dumps({"edits": [team("web", "members", 7)] * 2000}).encode()
    assert len(big) > limits.MAX_BODY_BYTES
    r = checked(
        client.post("/api/forecast", content=big, headers={"content-type": "application/json"})
    )
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    r = checked(
        client.post("/api/forecast", content=chunks(), headers={"content-type": "application/json"})
    )
    assert r.status_code == 413
    # just under the limit is read (and answered on its merits)
    fits = {"edits": [team("web", "members", 7)] * 10}
    assert post(client, "/api/forecast", fits).status_code == 200


def test_path_like_strings_in_every_field_reach_no_file(
    client: TestClient, scenario_copy: Path
) -> None:
    before = scenario_copy.read_bytes()
    files_before = sorted(scenario_copy.parent.iterdir())
    for s in PATHS:
        bodies = [
            {"edits": [team(s, "members", 5)]},
            {"edits": [team("web", s, 5)]},
            {"edits": [team("web", "members", s)]},
            {"edits": [team("web", "changes.0.on", s)]},
            {"edits": [{"kind": "feature", "id": s, "field": "in", "value": False}]},
            {"edits": [{"kind": "feature", "id": "loyalty-programme", "field": s, "value": 1}]},
            {
                "edits": [
                    {
                        "kind": "feature",
                        "id": "checkout-redesign",
                        "field": "not_before",
                        "value": s,
                    }
                ]
            },
            {"edits": [{"kind": "order", "value": [s]}]},
            {"edits": [{"kind": "budget", "field": s, "value": 1}]},
            {"edits": [{"kind": "budget", "field": "total", "value": s}]},
            {"edits": [{"kind": "horizon", "value": s}]},
            {"edits": [{"kind": s}]},
        ]
        for body in bodies:
            for url in ("/api/forecast", "/api/validate"):
                r = post(client, url, body)
                assert r.status_code in (200, 422), (url, body, r.text)
                if url == "/api/validate":
                    assert r.status_code == 422 or r.json()["ok"] is False
                else:
                    assert r.status_code == 422
            r = post(client, "/api/save-variant", {"name": "x", **body})
            assert r.status_code == 422, r.text
        r = post(client, "/api/save-variant", {"name": s, "edits": []})
        assert r.status_code == 422 and r.json()["problems"][0]["path"] == "name"
        r = checked(client.get("/" + s))
        assert r.status_code == 404
        r = checked(client.post("/api/forecast", json={"edits": []}, headers={"X-Client-Id": s}))
        assert r.status_code == 200
    assert scenario_copy.read_bytes() == before
    assert sorted(scenario_copy.parent.iterdir()) == files_before


def test_an_unexpected_failure_is_a_500_without_a_trace(
    scenario_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portfolio_sim.service.app as service_app

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom at /secret/path.py line 3")

    app = create_app(scenario_copy, trials=TRIALS, seed=SEED)
    monkeypatch.setattr(service_app, "forecast", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = checked(c.post("/api/forecast", json={"edits": []}))
    assert r.status_code == 500
    assert "boom" not in r.text and "internal error" in r.json()["detail"]


def test_only_loopback_host_names_are_answered_when_bound_to_loopback(scenario_copy: Path) -> None:
    app = create_app(scenario_copy, trials=TRIALS, seed=SEED, allowed_hosts=["127.0.0.1"])
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/scenario").status_code == 200
        assert c.get("/api/scenario", headers={"host": "evil.example"}).status_code == 400


# -- saving a variant ---------------------------------------------------------------------
def test_save_variant_keeps_the_file_validates_and_forecasts_as_the_service_said(
    tmp_path: Path,
) -> None:
    path = tmp_path / "digital.yaml"
    shutil.copy(DIGITAL, path)
    original = path.read_text(encoding="utf-8")
    edits = [
        team("data", "members", 7),
        team("web", "changes.0.on", "2027-05-03"),
        {"kind": "feature", "id": "b2b-quote-tool", "field": "in", "value": False},
    ]
    with TestClient(create_app(path, trials=TRIALS, seed=SEED)) as c:
        answer = post(c, "/api/forecast", {"edits": edits}).json()["edited"]
        r = post(c, "/api/save-variant", {"name": "what-if", "edits": edits})
        assert r.status_code == 200, r.text
        assert "what-if" in r.json()["variants"]
        saved = path.read_text(encoding="utf-8")
        # every byte of the file as it was is still there; the variant is appended to
        # the variants block (the file's last)
        assert saved.startswith(original)
        assert "# Two more data engineers from day one" in saved
        assert saved[len(original) :] == (
            "  what-if:\n"
            "    - set: {teams.data.members: 7}\n"
            "    - set: {teams.web.changes.0.on: 2027-05-03}\n"
            "    - remove: {features: [b2b-quote-tool]}\n"
        )
        load(path)  # what `portfolio-sim validate` checks: raises on any problem
        ref = forecast(path, TRIALS, SEED, variant="what-if").to_dict()
        assert answer["portfolio"]["p85"] == ref["portfolio"]["finish"]["p85"]
        assert answer["cost"]["p80"] == ref["portfolio"]["cost"]["p80"]
        # the name is taken: refused, file untouched, unless asked to overwrite
        r = post(c, "/api/save-variant", {"name": "what-if", "edits": edits[:1]})
        assert r.status_code == 409 and "already exists" in r.json()["detail"]
        assert path.read_text(encoding="utf-8") == saved
        r = post(c, "/api/save-variant", {"name": "what-if", "edits": edits[:1], "overwrite": True})
        assert r.status_code == 200
        again = path.read_text(encoding="utf-8")
        assert "# Two more data engineers from day one" in again
        assert load(path, variant="what-if").teams[3].members == 7
        # a broken plan is not saved
        r = post(c, "/api/save-variant", {"name": "broken", "edits": [team("web", "members", -2)]})
        assert r.status_code == 422
        assert path.read_text(encoding="utf-8") == again
    assert [p.name for p in tmp_path.iterdir()] == ["digital.yaml"]  # no temp file left


def test_save_variant_in_the_middle_of_a_file_keeps_the_rest(tmp_path: Path) -> None:
    """The variants block is not the file's last: the new variant goes at its end, the
    text after it (a comment and the report block) is kept as it was."""
    path = tmp_path / "s.yaml"
    text = (
        DIGITAL.read_text(encoding="utf-8")
        + "\n# closing words\nreport:\n  percentiles: [50, 85]\n"
    )
    path.write_text(text, encoding="utf-8")
    with TestClient(create_app(path, trials=TRIALS, seed=SEED)) as c:
        r = post(c, "/api/save-variant", {"name": "w", "edits": [team("data", "members", 6)]})
        assert r.status_code == 200, r.text
    saved = path.read_text(encoding="utf-8")
    assert saved.replace("  w:\n    - set: {teams.data.members: 6}\n", "", 1) == text
    assert saved.index("  w:\n") < saved.index("# closing words")
    assert load(path, variant="w").teams[3].members == 6


def test_save_variant_needs_a_yaml_scenario(tmp_path: Path) -> None:
    toml = ROOT / "tests" / "data" / "acme.toml"
    path = tmp_path / toml.name
    shutil.copy(toml, path)
    before = path.read_bytes()
    with TestClient(create_app(path, trials=TRIALS, seed=SEED)) as c:
        r = post(c, "/api/save-variant", {"name": "x", "edits": []})
    assert r.status_code == 409 and "needs a YAML scenario" in r.json()["detail"]
    assert path.read_bytes() == before


# -- concurrency ----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(scenario_copy: Path) -> Iterator[str]:
    """The service on a free loopback port, in a thread of this process."""
    port = _free_port()
    app = create_app(scenario_copy, trials=TRIALS, seed=SEED, allowed_hosts=["127.0.0.1"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_twenty_concurrent_requests_are_all_answered_correctly(
    live: str, client: TestClient
) -> None:
    plans = [[team("data", "members", m)] for m in (5, 6, 7, 8)]
    expected = [post(client, "/api/forecast", {"edits": p}).json()["edited"] for p in plans]
    jobs = [k % len(plans) for k in range(20)]

    def ask(k: int) -> tuple[int, httpx.Response]:
        with httpx.Client(base_url=live, timeout=120) as h:
            return k, h.post("/api/forecast", json={"edits": plans[k]})

    with ThreadPoolExecutor(max_workers=20) as ex:
        answers = list(ex.map(ask, jobs))
    assert len(answers) == 20
    for k, r in answers:
        checked(r)
        assert r.status_code == 200, r.text
        assert r.json()["edited"] == expected[k]


def test_a_newer_request_of_a_client_supersedes_its_waiting_one() -> None:
    """One worker busy; the client's first request waits, its second arrives: the first
    ends Superseded without running, the second runs; another client is not affected."""
    ran: list[str] = []

    async def scenario() -> list[object]:
        pool = ForecastPool(workers=1, max_waiting=8)
        gate = threading.Event()

        def job(name: str) -> Any:
            def run() -> str:
                if name == "blocker":
                    gate.wait(10)
                ran.append(name)
                return name

            return run

        blocker = asyncio.create_task(pool.run("other", job("blocker")))
        await asyncio.sleep(0.05)
        first = asyncio.create_task(pool.run("tab", job("first")))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(pool.run("tab", job("second")))
        third = asyncio.create_task(pool.run("other-tab", job("third")))
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(blocker, first, second, third, return_exceptions=True)

    blocker, first, second, third = asyncio.run(scenario())
    assert blocker == "blocker" and second == "second" and third == "third"
    assert isinstance(first, Superseded)
    assert "first" not in ran
