"""Benchmark sweeps: throughput (grid points x trials per second) of a Dask LocalCluster
against sequential local runs of the same grid (see benchmarks/README.md).

    python benchmarks/bench_sweep.py                  # mid scenario, 8 points x 20k trials
    python benchmarks/bench_sweep.py --smoke          # seconds: small scenario, 4 x 2k
    python benchmarks/bench_sweep.py --points 16 --trials 50000 --workers 4

Rows:

* ``local``: ``sweep(..., local=True)``: one point after another in this process, each
  forecast using all Numba threads;
* ``dask cold``: ``sweep(...)`` with its own LocalCluster: includes starting the worker
  processes and loading the compiled kernels in each (what one CLI call costs);
* ``dask warm``: the same grid sent to an already started, warmed-up LocalCluster via
  ``scheduler=ADDRESS`` (what a long-lived cluster costs per sweep).

Every run must give the same table; the script checks it and says so.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    "small": ROOT / "scenarios" / "startup.yaml",
    "mid": ROOT / "scenarios" / "digital-portfolio.yaml",
}
#: A grid per scenario: the first setting's values are repeated to reach --points.
SETTINGS = {
    "small": ("teams.app.members", [2, 3, 4, 5, 6, 7, 8, 9]),
    "mid": ("teams.web.members", [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
}


def _grid(name: str, points: int) -> dict[str, list[float]]:
    path, values = SETTINGS[name]
    if points <= len(values):
        return {path: list(values[:points])}
    # a second axis (budget) to reach the number of points
    per = -(-points // len(values))
    return {path: list(values), "budget.total": [1e6 * (k + 1) for k in range(per)]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="mid")
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="small scenario, 4 x 2,000")
    parser.add_argument("--save", metavar="PATH", help="append the results as JSON lines")
    args = parser.parse_args()
    if args.smoke:
        args.scenario, args.points, args.trials = "small", 4, 2_000

    import pandas as pd

    from portfolio_sim.decide.sweep import default_layout, sweep
    from portfolio_sim.warming import warmup

    warmup()
    path = SCENARIOS[args.scenario]
    settings = _grid(args.scenario, args.points)
    n_points = 1
    for values in settings.values():
        n_points *= len(values)
    work = n_points * args.trials
    rows = []

    def record(label: str, seconds: float, df: pd.DataFrame) -> None:
        rows.append(
            {
                "run": label,
                "points": n_points,
                "trials": args.trials,
                "seconds": round(seconds, 3),
                "points_x_trials_per_s": round(work / seconds),
                "backend": df.attrs["backend"],
            }
        )

    t0 = time.perf_counter()
    ref = sweep(path, settings, args.trials, args.seed, local=True, progress=False)
    record("local", time.perf_counter() - t0, ref)

    t0 = time.perf_counter()
    cold = sweep(path, settings, args.trials, args.seed, workers=args.workers, progress=False)
    record("dask cold", time.perf_counter() - t0, cold)

    from dask.distributed import LocalCluster

    w, t = default_layout(n_points, args.workers)
    with LocalCluster(
        n_workers=w,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        env={"NUMBA_NUM_THREADS": str(t)},
    ) as cluster:
        warm_grid = {k: v[:1] for k, v in settings.items()}
        for _ in range(w):  # load the kernels on every worker
            sweep(path, warm_grid, 10, 0, scheduler=cluster.scheduler_address, progress=False)
        t0 = time.perf_counter()
        warm = sweep(
            path, settings, args.trials, args.seed, scheduler=cluster.scheduler_address,
            progress=False,
        )  # fmt: skip
        record("dask warm", time.perf_counter() - t0, warm)

    identical = cold.equals(ref) and warm.equals(ref)
    print(
        f"sweep benchmark: {args.scenario} scenario, {n_points} grid points x "
        f"{args.trials:,} trials, {os.cpu_count()} cores ({platform.processor() or 'cpu'})"
    )
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"identical results across runs: {'yes' if identical else 'NO'}")
    if args.save:
        with open(args.save, "a", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({**row, "scenario": args.scenario}) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
