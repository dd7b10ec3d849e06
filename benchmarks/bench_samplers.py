"""Micro-benchmark of the shared samplers (``rng.draw``): nanoseconds per draw.

Each distribution is drawn ``--draws`` times in a jitted loop over trials (one slot, one
stream key), as the kernels call ``draw``; the loop sums the draws so that nothing is
optimised away. The bare counter-based uniform is timed the same way, as the floor.
One thread; the best of ``--repeat`` runs.

``--compare SRC`` times another checkout's ``src/`` (e.g. main's, unpacked with
``git archive main src | tar -x -C /tmp/old``) against this one, alternating child
processes for ``--rounds`` rounds and keeping each side's best, so that a busy shared
machine slows both sides alike. ``--forecast N`` adds a warm ``forecast`` of N trials of
scenarios/large-portfolio.yaml (whole call and the engine's own ``elapsed_s``)::

    python benchmarks/bench_samplers.py
    python benchmarks/bench_samplers.py --compare /tmp/old/src --forecast 200000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

CASES: list[tuple[str, str, Any]] = [
    ("uniform (rng)", "", None),
    ("fixed", "fixed", 5),
    ("uniform", "uniform", [3, 8]),
    ("integers", "integers", [1, 6]),
    ("samples", "samples", [3, 5, 2, 7, 4]),
    ("triangular", "triangular", [2, 4, 9]),
    ("pert 20/35/70", "pert", [20, 35, 70]),
    ("pert 0/50/100", "pert", [0, 50, 100]),
    ("pert 10/10/20", "pert", [10, 10, 20]),
    ("lognormal 30/90", "lognormal", {"p10": 30, "p90": 90}),
]
SRC = Path(__file__).resolve().parents[1] / "src"
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "large-portfolio.yaml"


def measure(draws: int, repeat: int) -> dict[str, float]:
    """ns/draw of every case with the ``portfolio_sim`` on the import path."""
    from portfolio_sim.distributions import encode
    from portfolio_sim.rng import draw, stream_key, uniform

    @njit(cache=False)
    def loop_draw(code, pool, n_par, key, n):  # type: ignore[no-untyped-def]
        s = 0.0
        for i in range(n):
            s += draw(code, pool, 0, n_par, key, i, 0)
        return s

    @njit(cache=False)
    def loop_uniform(key, n):  # type: ignore[no-untyped-def]
        s = 0.0
        for i in range(n):
            s += uniform(key, i, 0)
        return s

    key = np.uint64(stream_key(1, "feature", "bench"))
    out: dict[str, float] = {}
    for name, kind, params in CASES:
        if kind:
            code, pool = encode(kind, params)
            pool = np.ascontiguousarray(pool, dtype=np.float64)
            args: tuple[Any, ...] = (code, pool, len(pool), key)
            fn: Any = loop_draw
        else:
            args, fn = (key,), loop_uniform
        fn(*args, 10)
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            fn(*args, draws)
            best = min(best, time.perf_counter() - t)
        out[name] = best / draws * 1e9
    return out


def measure_forecast(trials: int, repeat: int) -> dict[str, float]:
    """Seconds of ``forecast(large scenario, trials)``, warm cache: whole call and engine."""
    from portfolio_sim import load
    from portfolio_sim.forecasting import forecast

    scn = load(SCENARIO)
    forecast(scn, trials=64, seed=1)  # load (or compile) the kernels
    best = {"forecast large (s)": float("inf"), "engine large (s)": float("inf")}
    for _ in range(repeat):
        t = time.perf_counter()
        res = forecast(scn, trials=trials, seed=1)
        best["forecast large (s)"] = min(best["forecast large (s)"], time.perf_counter() - t)
        best["engine large (s)"] = min(best["engine large (s)"], float(res.elapsed_s))
    return best


def _child(src: str, draws: int, repeat: int, trials: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=src)
    cmd = [sys.executable, __file__, "--json", "--draws", str(draws), "--repeat", str(repeat)]
    cmd += ["--forecast", str(trials)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(res.stdout.splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description="ns per draw of each sampler")
    ap.add_argument("--draws", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--compare", metavar="SRC", help="another checkout's src/ to compare")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--forecast", type=int, default=0, metavar="N", help="also time N trials of the large"
    )
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.json:
        out = measure(a.draws, a.repeat)
        if a.forecast:
            out.update(measure_forecast(a.forecast, a.repeat))
        print(json.dumps(out))
        return
    print(f"machine: {platform.machine()} {platform.node()}, {os.cpu_count()} cpus")
    print("draws: one thread; forecast: numba's default threads")
    if not a.compare:
        for name, ns in measure(a.draws, a.repeat).items():
            print(f"{name:<18} {ns:8.2f} ns/draw")
        if a.forecast:
            for name, sec in measure_forecast(a.forecast, a.repeat).items():
                print(f"{name:<18} {sec:8.3f}")
        return
    old: dict[str, float] = {}
    new: dict[str, float] = {}
    for _ in range(a.rounds):
        for side, src in ((old, a.compare), (new, str(SRC))):
            for k, v in _child(src, a.draws, a.repeat, a.forecast).items():
                side[k] = min(side.get(k, float("inf")), v)
    print(f"{'ns/draw or s':<18} {'old':>8} {'new':>8} {'speed-up':>8}")
    for name in new:
        print(f"{name:<18} {old[name]:8.3f} {new[name]:8.3f} {old[name] / new[name]:7.2f}x")


if __name__ == "__main__":
    main()
