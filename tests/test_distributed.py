"""Forecast and compare on a Dask cluster (issue #21, docs/distributed.md): trial ranges
run on workers and joined in order give the local run's numbers exactly (JSON equal,
provenance's creation time aside); an unreachable scheduler is a clear error (exit 2)
within seconds; Ctrl-C cancels the run's futures and writes nothing; a worker killed
mid-run has its ranges recomputed elsewhere, with the same result.

The clusters run their workers as threads of this process (``processes=False``: no
process start, the kernels are already loaded) except the killed-worker test, which
needs a worker process to kill."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from portfolio_sim.cli import main
from portfolio_sim.comparing import compare
from portfolio_sim.distributed import ranges
from portfolio_sim.distributed.ranges import split_ranges
from portfolio_sim.forecasting import forecast

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parents[1]
DIGITAL = ROOT / "scenarios" / "digital-portfolio.yaml"
STATUS = ROOT / "scenarios" / "status" / "digital-2027-06.yaml"
SEED = 5


def doc(result) -> dict:
    d = json.loads(result.to_json())
    assert "created" in d["provenance"]
    del d["provenance"]["created"]
    return d


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as c:
        yield c


@pytest.fixture(scope="module")
def local_doc() -> dict:
    return doc(forecast(DIGITAL, trials=3000, seed=SEED))


def test_ranges_cover_the_trials_in_order_without_gaps() -> None:
    for first, n, parts in [(0, 10, 3), (7, 5, 8), (100, 1, 4), (0, 1000, 7)]:
        got = split_ranges(first, n, parts)
        assert len(got) == min(parts, n)
        assert got[0][0] == first and all(m >= 1 for _, m in got)
        assert all(a + m == b for (a, m), (b, _) in zip(got, got[1:], strict=False))
        assert got[-1][0] + got[-1][1] == first + n
        assert max(m for _, m in got) - min(m for _, m in got) <= 1


def test_forecast_on_a_scheduler_equals_the_local_run(cluster, local_doc, monkeypatch) -> None:
    monkeypatch.setattr(ranges, "RANGE_TRIALS", 400)  # 8 ranges of 375 trials
    seen: list[tuple[int, int]] = []
    fc = forecast(
        DIGITAL,
        trials=3000,
        seed=SEED,
        scheduler=cluster.scheduler_address,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert doc(fc) == local_doc
    assert "run_range" in cluster.scheduler.task_prefixes
    assert len(seen) == 8 and seen[-1] == (3000, 3000)


def test_streamed_local_run_equals_joined_ranges(cluster) -> None:
    """200,000 trials x 36 months: the local run streams its monthly bands
    (engines/month_stream.py), the ranges keep and join their arrays: same JSON."""
    from portfolio_sim.engines.fast import STREAM_FROM

    trials = 200_000
    assert trials * 36 > STREAM_FROM
    local = forecast(DIGITAL, trials=trials, seed=SEED)
    assert local.raw.month_bands is not None  # really streamed
    dist = forecast(DIGITAL, trials=trials, seed=SEED, scheduler=cluster.scheduler_address)
    assert dist.raw.month_cost is None and dist.raw.month_bands is not None  # on the workers
    assert doc(dist) == doc(local)


def test_auto_trials_status_and_des_on_a_cluster_equal_local(cluster) -> None:
    addr = cluster.scheduler_address
    kw = {"trials": "auto", "seed": SEED, "max_trials": 20_000, "precision_days": 0.01}
    a, b = forecast(DIGITAL, **kw), forecast(DIGITAL, scheduler=addr, **kw)
    assert a.trials == 20_000 and doc(a) == doc(b)
    a = forecast(DIGITAL, trials=2000, seed=SEED, status=STATUS)
    b = forecast(DIGITAL, trials=2000, seed=SEED, status=STATUS, scheduler=addr)
    assert doc(a) == doc(b)
    a = forecast(DIGITAL, trials=40, seed=SEED, engine="des")
    b = forecast(DIGITAL, trials=40, seed=SEED, engine="des", scheduler=addr)
    assert doc(a) == doc(b)


def test_compare_on_a_scheduler_equals_local(cluster) -> None:
    a = compare(DIGITAL, trials=1500, seed=SEED)
    b = compare(DIGITAL, trials=1500, seed=SEED, scheduler=cluster.scheduler_address)
    da, db = json.loads(a.to_json()), json.loads(b.to_json())
    _drop_created(da)
    _drop_created(db)
    assert da == db


def test_cli_forecast_and_compare_with_scheduler_write_the_local_json(cluster, tmp_path) -> None:
    addr = cluster.scheduler_address
    for cmd in ("forecast", "compare"):
        outs = [tmp_path / f"{cmd}-local.json", tmp_path / f"{cmd}-dask.json"]
        base = [cmd, str(DIGITAL), "--trials", "1000", "--seed", "3", "--quiet"]
        assert main([*base, "--json", str(outs[0])]) == 0
        assert main([*base, "--json", str(outs[1]), "--scheduler", addr]) == 0
        docs = [json.loads(p.read_text()) for p in outs]
        for d in docs:
            _drop_created(d)
        assert docs[0] == docs[1], cmd


def _drop_created(d: object) -> None:
    if isinstance(d, dict):
        d.pop("created", None)
        for v in d.values():
            _drop_created(v)
    elif isinstance(d, list):
        for v in d:
            _drop_created(v)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_exits_2_quickly_and_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "f.json"
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.perf_counter()
    code = main(["forecast", str(DIGITAL), "--json", str(out), "--scheduler", address])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2
    assert took < 15, took  # the connect timeout is 5 s
    assert f"--scheduler {address}: cannot reach the Dask scheduler" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_ctrl_c_cancels_the_futures_and_writes_nothing(cluster, tmp_path, monkeypatch) -> None:
    import portfolio_sim.cli.forecast_cmds as cmds

    def interrupt(quiet: bool):
        def tick(done: int, total: int) -> None:
            raise KeyboardInterrupt

        return tick

    monkeypatch.setattr(cmds, "progress_printer", interrupt)
    monkeypatch.setattr(ranges, "RANGE_TRIALS", 100)  # 40 ranges: most still pending
    out = tmp_path / "f.json"
    args = ["forecast", str(DIGITAL), "--trials", "4000", "--json", str(out)]
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 130
    assert not out.exists()
    deadline = time.time() + 10
    while cluster.scheduler.tasks and time.time() < deadline:
        time.sleep(0.05)
    assert not cluster.scheduler.tasks  # cancelled and released: no work left behind


@pytest.fixture(scope="module")
def process_cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        env={"NUMBA_NUM_THREADS": "1"},
    ) as c:
        yield c


def test_killed_worker_ranges_are_recomputed_with_the_same_result(
    process_cluster, monkeypatch
) -> None:
    trials = 40_000
    local = doc(forecast(DIGITAL, trials=trials, seed=SEED))
    with distributed.Client(process_cluster) as client:
        pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed: list[int] = []

    def kill_after_first(done: int, total: int) -> None:
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    monkeypatch.setattr(ranges, "RANGE_TRIALS", 1000)  # 40 ranges
    fc = forecast(
        DIGITAL,
        trials=trials,
        seed=SEED,
        scheduler=process_cluster.scheduler_address,
        progress=kill_after_first,
    )
    assert killed and killed[0] < trials  # killed while ranges were still to run
    assert doc(fc) == local
    with distributed.Client(process_cluster) as client:
        client.wait_for_workers(1, timeout=30)
        assert victim not in client.run(os.getpid).values()


def test_keep_trials_arrays_on_a_cluster_equal_local(cluster) -> None:
    import numpy as np

    a = forecast(DIGITAL, trials=1200, seed=SEED, keep_trials=True)
    b = forecast(
        DIGITAL, trials=1200, seed=SEED, keep_trials=True, scheduler=cluster.scheduler_address
    )
    for name in ("port_t", "done", "start", "size", "money", "month_cost", "quarter_cost",
                 "load_hist", "load_sum", "load_days"):  # fmt: skip
        x, y = getattr(a.raw, name), getattr(b.raw, name)
        assert x is not None and np.array_equal(x, y, equal_nan=True), name


def test_sensitivity_candidates_on_a_cluster_equal_local(cluster) -> None:
    import pandas as pd

    from portfolio_sim.decide.sensitivity import sensitivity

    kw = {"trials": 300, "seed": SEED, "inputs": ["effort"]}
    a = sensitivity(DIGITAL, **kw)
    seen: list[tuple[int, int]] = []
    b = sensitivity(
        DIGITAL,
        scheduler=cluster.scheduler_address,
        progress=lambda d, n: seen.append((d, n)),
        **kw,
    )
    assert len(a.table) >= 3
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.criticality, b.criticality)
    assert a.base == b.base
    assert "side_numbers" in cluster.scheduler.task_prefixes
    assert seen[-1] == (len(a.table), len(a.table))


def test_select_verification_on_a_cluster_equals_local(cluster) -> None:
    import pandas as pd

    from portfolio_sim.decide.select import select

    # (digital-portfolio.yaml: select fails on main with an IndexError, see the report)
    startup = ROOT / "scenarios" / "startup.yaml"
    kw = {"trials": 300, "seed": SEED, "budgets": 5}
    a = select(startup, **kw)
    b = select(startup, scheduler=cluster.scheduler_address, **kw)
    assert a.frontier["npv_mean"].notna().sum() >= 3  # verified rows to compare
    pd.testing.assert_frame_equal(a.frontier, b.frontier)
    assert a.chosen == b.chosen
    assert "verify" in cluster.scheduler.task_prefixes  # the task of select._verify


@pytest.mark.parametrize("exhaustive_max", [200, 1], ids=["exhaustive", "greedy"])
def test_staff_candidates_on_a_cluster_equal_local(cluster, exhaustive_max: int) -> None:
    from portfolio_sim.decide.staff import staff

    kw = {"add": 2, "trials": 200, "seed": SEED, "exhaustive_max": exhaustive_max}
    a = staff(DIGITAL, **kw)
    b = staff(DIGITAL, scheduler=cluster.scheduler_address, **kw)
    da, db = a.to_dict(), b.to_dict()
    _drop_created(da)
    _drop_created(db)
    assert da == db
    assert "evaluate" in cluster.scheduler.task_prefixes


# -- monthly percentiles selected on the workers (distributed/months.py) -------------------


@pytest.fixture
def every_run_selects(monkeypatch):
    """Small runs select their months on the workers too (from 32k trials otherwise)."""
    from portfolio_sim.distributed import months

    monkeypatch.setattr(months, "wanted", lambda trials: True)
    monkeypatch.setattr(ranges, "RANGE_TRIALS", 400)
    return months


def test_months_selected_on_workers_equal_local_plain_status_and_auto(
    cluster, local_doc, every_run_selects
) -> None:
    """The client gets no month array (``month_cost`` None, bands set) and the JSON
    equals the local run's: plain, re-forecast with a status, trials="auto"."""
    addr = cluster.scheduler_address
    fc = forecast(DIGITAL, trials=3000, seed=SEED, scheduler=addr)
    assert fc.raw.month_cost is None and fc.raw.quarter_cost is None
    assert fc.raw.month_bands is not None and fc.raw.quarter_stats is not None
    assert doc(fc) == local_doc
    a = forecast(DIGITAL, trials=2000, seed=SEED, status=STATUS)
    b = forecast(DIGITAL, trials=2000, seed=SEED, status=STATUS, scheduler=addr)
    assert b.raw.month_cost is None and doc(a) == doc(b)
    kw = {"trials": "auto", "seed": SEED, "max_trials": 12_000, "precision_days": 0.01}
    a, b = forecast(DIGITAL, **kw), forecast(DIGITAL, scheduler=addr, **kw)
    assert b.raw.month_cost is None and len(b.auto.totals) > 1  # several batches, held
    assert doc(a) == doc(b)


def test_bins_too_full_to_send_narrow_round_after_round(
    cluster, local_doc, every_run_selects, monkeypatch
) -> None:
    """No bin's values are sent (FETCH_WINDOW 0): every rank is found by narrowing its
    window to its bin's [min, max] until the bin holds one distinct value (the path of
    atoms of equal values): still the local numbers, still no arrays in the client."""
    monkeypatch.setattr(every_run_selects, "FETCH_WINDOW", 0)
    calls: list[int] = []
    scan = every_run_selects._merged_counts
    monkeypatch.setattr(
        every_run_selects,
        "_merged_counts",
        lambda client, held, ser, *a: calls.append(len(ser)) or scan(client, held, ser, *a),
    )
    fc = forecast(DIGITAL, trials=3000, seed=SEED, scheduler=cluster.scheduler_address)
    assert fc.raw.month_cost is None
    assert len(calls) >= 2 and calls[1] < calls[0]  # later rounds: only the undecided
    assert doc(fc) == local_doc


def test_months_fall_back_to_joined_arrays_when_not_exact(
    cluster, local_doc, every_run_selects, monkeypatch
) -> None:
    """When the selection cannot answer (here: no round allowed), the client joins the
    ranges' arrays as before: the same JSON."""
    monkeypatch.setattr(every_run_selects, "MAX_ROUNDS", 0)
    fc = forecast(DIGITAL, trials=3000, seed=SEED, scheduler=cluster.scheduler_address)
    assert fc.raw.month_cost is not None and fc.raw.month_bands is None
    assert doc(fc) == local_doc


def test_worker_killed_while_holding_month_arrays_recomputes_them(process_cluster) -> None:
    """All ranges done, their month arrays held on the workers: one worker is killed
    before the selection. Dask recomputes the lost ranges (pure tasks, keyed streams)
    when the selection's tasks need them: the local JSON."""
    trials = 40_000
    local = doc(forecast(DIGITAL, trials=trials, seed=SEED))
    with distributed.Client(process_cluster) as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
    victim = sorted(pids.values())[-1]
    killed: list[int] = []

    def kill_at_the_end(done: int, total: int) -> None:
        if done == total and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    fc = forecast(
        DIGITAL,
        trials=trials,
        seed=SEED,
        scheduler=process_cluster.scheduler_address,
        progress=kill_at_the_end,
    )
    assert killed == [trials]
    assert fc.raw.month_cost is None and fc.raw.month_bands is not None
    assert doc(fc) == local


# -- backtest ----------------------------------------------------------------------------


def test_backtest_on_a_cluster_equals_local(cluster, tmp_path, capsys) -> None:
    """Cut forecasts as tasks (16 histories each): the same tables, text, CSV and HTML."""
    import datetime as dt
    import functools

    import numpy as np

    from portfolio_sim.distributed.tasks import map_tasks
    from portfolio_sim.history import backtest, calibrate
    from test_history_calibrate import write_history

    rng = np.random.default_rng(7)
    counts = {f"team{j}": rng.poisson(3 + j, 90) for j in range(3)}
    path = tmp_path / "history.csv"
    write_history(path, counts, dt.date(2020, 1, 6), seed=1)
    cal = calibrate(path)
    kw = {"every": "1w", "horizon": "4w", "min_history": "8w", "trials": 700, "seed": 3}
    a = backtest(cal, **kw)
    on = functools.partial(map_tasks, scheduler=cluster.scheduler_address)
    b = backtest(cal, map_tasks=on, **kw)
    assert len(a.table) > 3 * 16  # several tasks
    for name in ("table", "summary", "reliability"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.text() == b.text()
    outs = {}
    for tag, extra in (("local", []), ("dask", ["--scheduler", cluster.scheduler_address])):
        html, table = tmp_path / f"{tag}.html", tmp_path / f"{tag}.csv"
        args = ["backtest", str(path), "--every", "1w", "--horizon", "4w", "--trials", "700"]
        args += ["--html", str(html), "--csv", str(table), "--quiet", *extra]
        assert main(args) == 0
        outs[tag] = (html.read_text(), table.read_text(), capsys.readouterr().out)
    assert outs["local"] == outs["dask"]
