"""Benchmark forecasts on Dask: local vs a 2-worker LocalCluster, and the cost per range
task (docs/distributed.md).

    python benchmarks/bench_distributed.py                    # 1M trials, mid scenario
    python benchmarks/bench_distributed.py --trials 10000000  # the issue's 10M run
    python benchmarks/bench_distributed.py --smoke            # seconds

Rows (every run must give the local JSON; the script checks it and says so):

* ``local N threads``: ``forecast(...)`` in this process with N Numba threads;
* ``dask cold``: ``forecast(..., workers=W)``: starts its own LocalCluster (processes),
  warms it, runs, closes it: what one CLI call with ``--workers`` costs;
* ``dask warm``: the same run sent to an already started, warmed LocalCluster of W
  workers x 1 Numba thread via ``scheduler=ADDRESS`` (a long-lived cluster);
* ``per task``: a warm cluster's time for the same small run split into many ranges
  minus split into few, divided by the extra ranges: the overhead of one range task.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MID = ROOT / "scenarios" / "digital-portfolio.yaml"


def doc(fc: object) -> dict:
    d = json.loads(fc.to_json())  # type: ignore[attr-defined]
    d["provenance"].pop("created")
    return d


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


@contextlib.contextmanager
def external_cluster(workers: int) -> Iterator[str]:
    """A scheduler and ``workers`` single-thread workers (NUMBA_NUM_THREADS=1) started
    as processes with the ``dask`` command; yields the scheduler's address."""
    dask = str(Path(sys.executable).parent / "dask")
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with tempfile.TemporaryDirectory() as tmp:
        sfile = Path(tmp) / "scheduler.json"
        procs = [
            subprocess.Popen(
                [dask, "scheduler", "--scheduler-file", str(sfile), "--port", "0",
                 "--no-dashboard"], env=env, **quiet,
            )
        ]  # fmt: skip
        try:
            while not sfile.exists():
                time.sleep(0.2)
            time.sleep(0.5)
            procs.append(
                subprocess.Popen(
                    [dask, "worker", "--scheduler-file", str(sfile), "--nthreads", "1",
                     "--nworkers", str(workers), "--no-dashboard"], env=env, **quiet,
                )
            )  # fmt: skip
            addr = json.loads(sfile.read_text())["address"]
            from dask.distributed import Client

            with Client(addr) as client:
                client.wait_for_workers(workers, timeout=120)
            yield addr
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-one-thread", action="store_true", help="skip the 1-thread local run")
    ap.add_argument("--skip-cold", action="store_true", help="skip the --workers run")
    a = ap.parse_args()
    trials = 20_000 if a.smoke else a.trials
    logging.basicConfig(level=logging.WARNING)  # why a monthly selection fell back, if it does
    logging.getLogger("portfolio_sim.distributed.months").setLevel(logging.INFO)
    import numba
    from dask.distributed import Client

    from portfolio_sim.distributed import ranges
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.warming import warmup

    warmup()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; {MID.name}, {trials:,} trials")  # fmt: skip
    cores = numba.get_num_threads()
    ref, t_local = timed(lambda: forecast(MID, trials=trials, seed=1))
    print(f"local {cores} threads : {t_local:8.2f} s  {trials / t_local:12,.0f} trials/s")
    if not a.no_one_thread:
        numba.set_num_threads(1)
        _, t_one = timed(lambda: forecast(MID, trials=trials, seed=1))
        numba.set_num_threads(cores)
        print(f"local 1 thread   : {t_one:8.2f} s  {trials / t_one:12,.0f} trials/s")
    want = doc(ref)
    same = True
    if not a.skip_cold:
        cold, t_cold = timed(lambda: forecast(MID, trials=trials, seed=1, workers=a.workers))
        print(f"dask cold ({a.workers} w)   : {t_cold:8.2f} s  {trials / t_cold:12,.0f} trials/s")
        same = doc(cold) == want
    # The warm cluster runs in processes of its own (`dask scheduler`, `dask worker`), as
    # an existing cluster would: this process holds only the forecast's client.
    with external_cluster(a.workers) as addr:
        with Client(addr) as client:
            client.run(warmup)
        forecast(MID, trials=1000, seed=1, scheduler=addr)
        warm, t_warm = timed(lambda: forecast(MID, trials=trials, seed=1, scheduler=addr))
        print(f"dask warm ({a.workers} w)   : {t_warm:8.2f} s  {trials / t_warm:12,.0f} trials/s "
              f"({ranges.range_count(trials, a.workers)} ranges)")  # fmt: skip
        same = same and doc(warm) == want
        # 20,000 trials: months joined in the client (one task per range); 40,000:
        # selected on the workers (each range also runs its strip, sums and scan tasks)
        for small, what in ((20_000, "per range task  "), (40_000, "per range, months")):
            many = 400
            ranges.RANGE_TRIALS = small // many
            _, t_many = timed(lambda n=small: forecast(MID, trials=n, seed=1, scheduler=addr))
            ranges.RANGE_TRIALS = small
            _, t_few = timed(lambda n=small: forecast(MID, trials=n, seed=1, scheduler=addr))
            few = ranges.range_count(small, a.workers)
            per_task = (t_many - t_few) / (many - few) * a.workers
            print(f"{what} : {per_task * 1e3:8.1f} ms of worker time ({many} vs {few} "
                  f"ranges of {small:,} trials: {t_many:.2f} s vs {t_few:.2f} s)")  # fmt: skip
        ranges.RANGE_TRIALS = 250_000
    print("identical to the local JSON:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
