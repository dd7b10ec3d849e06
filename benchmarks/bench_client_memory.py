"""Client memory of a forecast on Dask: peak of the client process's traced allocations
(tracemalloc: numpy's arrays included) during ``forecast(..., scheduler=...)`` on a warm
2-worker cluster (scheduler and workers in processes of their own), at two trial counts,
with the monthly percentiles selected on the workers (the default, distributed/months.py)
and with the month arrays joined in the client (the former path, forced).
docs/distributed.md, "Memory".

    python benchmarks/bench_client_memory.py                       # 2M and 4M trials
    python benchmarks/bench_client_memory.py --trials 20000 40000  # seconds
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MID = ROOT / "scenarios" / "digital-portfolio.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, nargs="+", default=[2_000_000, 4_000_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", nargs="+", default=["workers", "client"])
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)  # why a selection fell back, if it does
    logging.getLogger("portfolio_sim.distributed.months").setLevel(logging.INFO)
    from dask.distributed import Client

    from portfolio_sim.distributed import months
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.warming import warmup

    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {MID.name}")
    wanted = months.wanted
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_distributed import external_cluster  # scheduler and workers: own processes

    with external_cluster(a.workers) as addr, Client(addr) as client:
        client.run(warmup)
        forecast(MID, trials=40_000, seed=1, scheduler=addr)  # kernels of the selection
        docs = {}
        for trials in a.trials:
            for mode in a.modes:
                months.wanted = wanted if mode == "workers" else (lambda n: False)
                tracemalloc.start()
                t0 = time.perf_counter()
                fc = forecast(MID, trials=trials, seed=1, scheduler=addr)
                dt = time.perf_counter() - t0
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                raw = fc.raw
                kept = sum(
                    x.nbytes
                    for x in (
                        raw.port_t,
                        raw.money,
                        raw.month_cost,
                        raw.month_capex,
                        raw.quarter_cost,
                    )  # fmt: skip
                    if x is not None
                )
                d = json.loads(fc.to_json())
                d["provenance"].pop("created")
                docs[(trials, mode)] = d
                print(f"{trials:>10,} trials, months selected on the {mode:7s}: peak "
                      f"{peak / 2**20:8.1f} MiB ({peak / trials:6.1f} B/trial), per-trial "
                      f"arrays kept {kept / trials:5.0f} B/trial, {dt:6.1f} s")  # fmt: skip
                del fc, raw, d
        months.wanted = wanted
        if len(a.modes) > 1:
            same = all(docs[(t, "workers")] == docs[(t, "client")] for t in a.trials)
            print("same JSON both ways:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
