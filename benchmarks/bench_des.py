"""DES (SimPy reference) vs fast (Numba) engine: trials per second on the same scenario.

    python benchmarks/bench_des.py [--scenario scenarios/digital-portfolio.yaml]
                                   [--des-trials 200] [--fast-trials 50000] [--seed 1]

Both engines run the same trials (the same keyed streams), so the ratio compares equal
work. The fast engine is timed warm (kernels loaded from the cache first).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "digital-portfolio.yaml"))
    p.add_argument("--des-trials", type=int, default=200)
    p.add_argument("--fast-trials", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    from portfolio_sim import load
    from portfolio_sim.forecasting import forecast

    scn = load(args.scenario)
    forecast(scn, trials=64, seed=args.seed)  # warm the kernel cache
    t0 = time.perf_counter()
    forecast(scn, trials=args.fast_trials, seed=args.seed)
    fast_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    forecast(scn, trials=args.des_trials, seed=args.seed, engine="des")
    des_s = time.perf_counter() - t0
    fast_rate = args.fast_trials / fast_s
    des_rate = args.des_trials / des_s
    print(f"scenario  {Path(args.scenario).name}")
    print(f"fast      {args.fast_trials:>9,} trials  {fast_s:8.2f} s  {fast_rate:12,.0f} trials/s")
    print(f"des       {args.des_trials:>9,} trials  {des_s:8.2f} s  {des_rate:12,.0f} trials/s")
    ratio = fast_rate / des_rate
    verdict = "PASS" if ratio >= 1000 else "FAIL"
    print(f"fast / des per trial: {ratio:,.0f}x   target >= 1000x: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
