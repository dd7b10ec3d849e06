"""Sweeps: the grid, local runs, and Dask (LocalCluster) runs giving identical numbers,
through the scheduler-address path, and with a worker killed in the middle."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pandas as pd
import pytest

from portfolio_sim.cli import main
from portfolio_sim.decide.sweep import HEADLINE_COLUMNS, grid, headline, sweep, with_changes
from portfolio_sim.errors import ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load

SCENARIO = """\
name: Sweep
start: 2027-01-04
horizon: 2029-12-31
budget: {total: 60000}
teams:
  - {id: web, members: 2, cost_per_member_day: 300, wip_limit: 2}
  - {id: app, throughput: {samples: [1, 2, 3, 0, 2]}, members: 1, cost_per_member_day: 250}
features:
  - {id: a, team: web, effort: {pert: [10, 20, 45]}}
  - {id: b, team: web, depends_on: [a], effort: {uniform: [15, 30]},
     value: {per_month: 8000, success_probability: 0.8}}
  - {id: c, team: app, items: {integers: [6, 12]}, depends_on: [a]}
risks:
  - {id: r, probability: 0.3, affects: [b], extra_effort: {triangular: [2, 5, 12]}}
"""
SETTINGS = {"teams.web.members": [1, 2, 3], "budget.total": [50000, 80000]}
TRIALS, SEED = 3000, 11


@pytest.fixture(scope="module")
def path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("sweep") / "s.yaml"
    p.write_text(SCENARIO)
    return p


@pytest.fixture(scope="module")
def local(path) -> pd.DataFrame:
    return sweep(path, SETTINGS, trials=TRIALS, seed=SEED, local=True, progress=False)


def test_grid_is_the_product_first_key_slowest():
    points = grid({"x": [1, 2], "y": ["a", "b", "c"]})
    assert points[:3] == [{"x": 1, "y": "a"}, {"x": 1, "y": "b"}, {"x": 1, "y": "c"}]
    assert len(points) == 6
    assert grid({}) == [{}]
    with pytest.raises(Exception, match="non-empty list"):
        grid({"x": []})


def test_local_sweep_equals_forecasting_each_variant(path, local):
    assert list(local.columns) == [*SETTINGS, *HEADLINE_COLUMNS]
    assert local.attrs["backend"] == "local"
    scn = load(path)
    for row in local.to_dict("records"):
        changes = {k: row[k] for k in SETTINGS}
        expected = headline(forecast(with_changes(scn, changes), trials=TRIALS, seed=SEED))
        got = {k: row[k] for k in HEADLINE_COLUMNS}
        assert _same(got, expected)
    # more people: never later (same draws, more capacity)
    days = local.groupby("teams.web.members")["finish_p85_day"].first().to_numpy()
    assert days[0] >= days[1] >= days[2]
    assert local.loc[local["budget.total"] == 80000, "overrun_probability"].max() <= 1


def _same(a: dict, b: dict) -> bool:
    for k in b:
        x, y = a[k], b[k]
        if isinstance(y, float) and y != y:
            assert x != x, k
        else:
            assert x == y, k
    return True


def test_invalid_grid_point_fails_before_any_work(path):
    with pytest.raises(ScenarioError):
        sweep(path, {"teams.nope.members": [1]}, trials=10, local=True, progress=False)
    with pytest.raises(ScenarioError):
        sweep(path, {"teams.web.members": [2, -1]}, trials=10, local=True, progress=False)


def test_without_dask_runs_locally_and_says_so(path, local, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    notes: list[str] = []
    df = sweep(path, SETTINGS, trials=TRIALS, seed=SEED, progress=False, log=notes.append)
    assert df.attrs["backend"] == "local"
    assert notes and "dask is not installed" in notes[0]
    pd.testing.assert_frame_equal(df, local)


def test_cli_sweep(path, capsys, tmp_path):
    out_csv = tmp_path / "sweep.csv"
    code = main(
        ["sweep", str(path), "--set", "teams.web.members=1,2", "--set", "budget.total=5e4",
         "--trials", "200", "--local", "--quiet", "--csv", str(out_csv)]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "2 grid points" in out and "(local)" in out
    assert out_csv.read_text().startswith("teams.web.members,budget.total,finish_p50")
    assert main(["sweep", str(path), "--set", "nonsense"]) == 2


# -- Dask (skipped cleanly when it is not installed) ------------------------------------
@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster(distributed):
    import logging

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        env={"NUMBA_NUM_THREADS": "1"},
    ) as c:
        yield c


def test_default_local_cluster_gives_local_numbers(path, local, distributed):
    # processes=False keeps this one fast (no process start); one worker: numba runs
    # one kernel at a time in this process.
    df = sweep(path, SETTINGS, trials=TRIALS, seed=SEED, workers=1, processes=False,
               progress=False)  # fmt: skip
    assert df.attrs["backend"].startswith("dask LocalCluster (1 workers")
    pd.testing.assert_frame_equal(df, local)


def test_scheduler_address_is_used(path, local, cluster):
    seen: list[tuple[int, int]] = []
    df = sweep(path, SETTINGS, trials=TRIALS, seed=SEED, scheduler=cluster.scheduler_address,
               progress=lambda d, n: seen.append((d, n)))  # fmt: skip
    assert df.attrs["backend"] == f"dask {cluster.scheduler_address}"
    assert "run_point" in cluster.scheduler.task_prefixes
    assert seen[-1] == (6, 6)
    pd.testing.assert_frame_equal(df, local)


def test_killed_worker_still_gives_the_complete_identical_result(path, local, cluster, distributed):
    with distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed: list[int] = []

    def kill_after_first(done: int, total: int) -> None:
        if done == 1 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    df = sweep(path, SETTINGS, trials=TRIALS, seed=SEED, scheduler=cluster.scheduler_address,
               progress=kill_after_first)  # fmt: skip
    assert killed == [victim]
    pd.testing.assert_frame_equal(df, local)
    with distributed.Client(cluster) as client:
        client.wait_for_workers(1, timeout=30)
        assert victim not in client.run(os.getpid).values()
