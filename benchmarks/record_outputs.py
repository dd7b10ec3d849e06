"""Record every per-trial output of the fast engine, and compare two recordings bit for bit.

    python benchmarks/record_outputs.py record out.npz [--trials 20000] [--seed 7]
    python benchmarks/record_outputs.py compare a.npz b.npz

A recording holds, for every bundled scenario (scenarios/*.yaml) and each of its
variants, every array of :class:`portfolio_sim.engines.output.EngineOutput` from
``run_fast(..., keep_trials=True)``: per-trial done/start/size times of every feature,
the portfolio finish time, the money arrays, and the tallies (day histograms of features
and teams, fixed-point sums of times, work, capacity, value and cost). ``events`` (the
kernel's event count) is recorded but not compared: it measures the kernel's work, not
an answer, and a change of schedule algorithm may legitimately change it.

Used to check that a change of the schedule kernel changes no number (issue #15 item 1):
record before the change, record after, compare. Exit 1 if anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NOT_COMPARED = {"events"}


def _cases() -> list[tuple[str, Path, str | None]]:
    from portfolio_sim.scenario import load

    cases: list[tuple[str, Path, str | None]] = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        base = load(path)
        cases.append((path.stem, path, None))
        for name in sorted(base.variants):
            cases.append((f"{path.stem}@{name}", path, name))
    return cases


def record(out: str, trials: int, seed: int) -> None:
    """Run every case and write its outputs to ``out`` (.npz; keys ``case/field``)."""
    from portfolio_sim.engines.fast import run_fast
    from portfolio_sim.scenario import load
    from portfolio_sim.scenario.compile import compile_scenario

    arrays: dict[str, np.ndarray] = {}
    for case, path, variant in _cases():
        m = compile_scenario(load(path, variant=variant), seed)
        res = run_fast(m, trials, keep_trials=True)
        for name, value in vars(res).items():
            if isinstance(value, dict):  # EngineOutput.extra: named arrays
                for sub, arr in value.items():
                    arrays[f"{case}/extra.{sub}"] = np.asarray(arr)
            elif value is not None:
                arrays[f"{case}/{name}"] = np.asarray(value)
        print(f"{case}: {m.n_features} features, {m.n_teams} teams, {res.events} events")
    tmp = Path(out + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(out)


def compare(a: str, b: str) -> int:
    """Compare two recordings bit for bit; print each difference; return the exit code."""
    ra, rb = np.load(a), np.load(b)
    keys_a, keys_b = set(ra.files), set(rb.files)
    bad = 0
    for key in sorted(keys_a ^ keys_b):
        print(f"only in {'first' if key in keys_a else 'second'}: {key}")
        bad += 1
    for key in sorted(keys_a & keys_b):
        if key.rsplit("/", 1)[1] in NOT_COMPARED:
            continue
        x, y = ra[key], rb[key]
        same = x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()
        if not same:
            bad += 1
            n = int(np.sum(x != y)) if x.shape == y.shape else -1
            print(f"DIFFERS: {key} shape {x.shape} vs {y.shape}, {n} elements differ")
    n = len(keys_a & keys_b)
    print(f"{n} arrays compared, {bad} differ" if bad else f"{n} arrays: identical bit for bit")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out")
    r.add_argument("--trials", type=int, default=20_000)
    r.add_argument("--seed", type=int, default=7)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = p.parse_args(argv)
    if args.cmd == "record":
        record(args.out, args.trials, args.seed)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
