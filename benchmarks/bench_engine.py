"""Benchmark the fast engine on the bundled scenarios (see benchmarks/README.md).

    python benchmarks/bench_engine.py                 # default (~1-3 min on 2 cores)
    python benchmarks/bench_engine.py --quick         # 20k / 20k / 10k trials
    python benchmarks/bench_engine.py --full          # the target configuration (1M trials)
    python benchmarks/bench_engine.py --smoke         # seconds: small scenario, no cold compile
    python benchmarks/bench_engine.py --save runs.jsonl --compare runs.jsonl

Every measurement runs in its own child process (this file with ``_child``), so peak
memory is that child's ``ru_maxrss`` and timings never share a warm interpreter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = {
    "small": ROOT / "scenarios" / "startup.yaml",
    "mid": ROOT / "scenarios" / "digital-portfolio.yaml",
    "large": ROOT / "scenarios" / "large-portfolio.yaml",
}
PRESETS = {
    "smoke": {"small": 2_000},
    "quick": {"small": 20_000, "mid": 20_000, "large": 10_000},
    "default": {"small": 200_000, "mid": 100_000, "large": 30_000},
    "full": {"small": 1_000_000, "mid": 1_000_000, "large": 1_000_000},
}
# The speed targets of the project live in benchmarks/targets.py (whole process); this
# script measures the engine in-process against its baselines.
TARGET_RNG_RATIO = 0.5
CLI_TRIALS = 100_000
SEED = 1


# -- child processes ------------------------------------------------------------------
def _peak_mb() -> float:
    """This process's peak resident memory (ru_maxrss: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def child_engine(path: str, trials: int, repeat: int = 1) -> dict:
    """Time ``forecast(scenario, trials)`` with a warm kernel cache (best of ``repeat``)."""
    import numba

    from portfolio_sim import load
    from portfolio_sim.forecasting import forecast

    scn = load(path)
    forecast(scn, trials=64, seed=SEED)  # load the kernels from the cache
    seconds = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = forecast(scn, trials=trials, seed=SEED)
        seconds = min(seconds, time.perf_counter() - t0)
    return {
        "seconds": seconds,
        "engine_s": result.elapsed_s,
        "events": int(result.raw.events),
        "threads": numba.get_num_threads(),
        "peak_mb": _peak_mb(),
    }


def child_baselines(path: str, trials: int, repeat: int = 1) -> dict:
    """Time the RNG-bound loop and the plain numpy model for ``trials`` trials (best of
    ``repeat``)."""
    import numba

    sys.path.insert(0, str(HERE))
    from baselines import period_draws, rng_plan, time_numpy_baseline, time_rng_loop
    from portfolio_sim import load
    from portfolio_sim.forecasting import forecast
    from portfolio_sim.scenario.compile import compile_scenario

    scn = load(path)
    compiled = compile_scenario(scn, SEED)
    sample = forecast(scn, trials=min(trials, 2_000), seed=SEED, keep_trials=True)
    args, per_trial = rng_plan(compiled, period_draws(compiled, sample.raw.done))
    threads = numba.get_num_threads()
    return {
        "draws_per_trial": per_trial,
        "rng_s": min(time_rng_loop(args, trials, threads) for _ in range(repeat)),
        "numpy_s": min(time_numpy_baseline(scn, compiled, trials) for _ in range(repeat)),
    }


def child_first_result(path: str, trials: int) -> dict:
    """Import the package and produce a first forecast (warm-start time is measured by
    the parent, from process start)."""
    from portfolio_sim import load
    from portfolio_sim.forecasting import forecast

    forecast(load(path), trials=trials, seed=SEED)
    return {"peak_mb": _peak_mb()}


def child_warmup() -> dict:
    from portfolio_sim.warming import warmup

    return {"warmup_s": warmup(), "peak_mb": _peak_mb()}


CHILDREN = {
    "engine": child_engine,
    "baselines": child_baselines,
    "first": child_first_result,
    "warmup": child_warmup,
}


def run_child(name: str, *args: object, env: dict | None = None) -> tuple[dict, float]:
    """Run a child measurement; returns its JSON answer and the wall time from the parent
    (interpreter start included)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "_child", name, *map(str, args)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child {name} {args} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def run_cli(trials: int, env: dict | None) -> float:
    """Wall seconds of ``python -m portfolio_sim forecast <mid> --trials N --json TMP``."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "portfolio_sim", "forecast", str(SCENARIOS["mid"])]
        cmd += ["--trials", str(trials), "--seed", str(SEED), "--quiet"]
        cmd += ["--json", str(Path(tmp) / "out.json")]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"CLI forecast failed (exit {proc.returncode})")
    return wall


# -- the parent ------------------------------------------------------------------------
def child_env(threads: int | None, cache_dir: str | None) -> dict:
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return env


def bench_scenario(name: str, trials: int, env: dict, repeat: int = 1) -> dict:
    path = SCENARIOS[name]
    eng, _ = run_child("engine", path, trials, repeat, env=env)
    base, _ = run_child("baselines", path, trials, repeat, env=env)
    rate = trials / eng["seconds"]
    return {
        "kind": "scenario",
        "name": name,
        "scenario": path.name,
        "trials": trials,
        "seconds": eng["seconds"],
        "engine_s": eng["engine_s"],
        "trials_per_s": rate,
        "events_per_s": eng["events"] / eng["seconds"],
        "events_per_trial": eng["events"] / trials,
        "peak_mb": eng["peak_mb"],
        "threads": eng["threads"],
        "draws_per_trial": base["draws_per_trial"],
        "rng_trials_per_s": trials / base["rng_s"],
        "numpy_trials_per_s": trials / base["numpy_s"],
        "rng_ratio": rate * base["rng_s"] / trials,
        "numpy_ratio": rate * base["numpy_s"] / trials,
    }


def bench_startup(cold: bool, cli_trials: int, env: dict) -> list[dict]:
    """Cold compile (fresh cache dir), warm start to first result and CLI start to first
    result, all with the same cache; without ``cold`` the existing cache is used (warmed
    by the scenario runs before)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        if cold:
            env = {**env, "NUMBA_CACHE_DIR": cache}
            _, wall = run_child("warmup", env=env)
            rows.append({"kind": "startup", "name": "cold_compile", "seconds": wall})
        res, wall = run_child("first", SCENARIOS["mid"], 1_000, env=env)
        rows.append(
            {
                "kind": "startup",
                "name": "warm_start",
                "seconds": wall,
                "trials": 1_000,
                "peak_mb": res["peak_mb"],
            }
        )
        wall = run_cli(cli_trials, env)
        rows.append({"kind": "startup", "name": "cli_first_result", "seconds": wall})
        rows[-1]["trials"] = cli_trials
    return rows


def target_checks(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(PASS|FAIL, target, measured) for the design check this script owns: the engine
    runs at least ``TARGET_RNG_RATIO`` times the rate of its own random draws. The
    project's speed and memory targets (whole process) are in ``benchmarks/targets.py``."""
    out: list[tuple[str, str, str]] = []
    for r in rows:
        if r["kind"] != "scenario":
            continue
        ok = r["rng_ratio"] >= TARGET_RNG_RATIO
        out.append(
            (
                "PASS" if ok else "FAIL",
                f"{r['name']}: >= {TARGET_RNG_RATIO:g} x RNG-bound rate",
                f"{r['rng_ratio']:.2f} x ({r['rng_trials_per_s']:,.0f} trials/s RNG-bound)",
            )
        )
    return out


def print_report(rows: list[dict], meta: dict) -> None:
    print(
        f"portfolio_sim engine benchmark  {meta['time']}  git {meta['git']}  "
        f"cpus {meta['cpus']}  numba threads {meta['threads']}  "
        f"load avg {meta['load_before']:.2f} -> {meta['load_after']:.2f}"
    )
    head = ["scenario", "trials", "seconds", "trials/s", "events/s", "peak MB"]
    head += ["rng ratio", "numpy ratio"]
    print("  ".join(f"{h:>12}" for h in head))
    for r in rows:
        if r["kind"] != "scenario":
            continue
        cells = [r["name"], f"{r['trials']:,}", f"{r['seconds']:.2f}", f"{r['trials_per_s']:,.0f}"]
        cells += [f"{r['events_per_s']:,.0f}", f"{r['peak_mb']:,.0f}"]
        cells += [f"{r['rng_ratio']:.2f}", f"{r['numpy_ratio']:.2f}"]
        print("  ".join(f"{c:>12}" for c in cells))
    print("baselines (trials/s):")
    for r in rows:
        if r["kind"] == "scenario":
            print(
                f"  {r['name']:<8} RNG-bound {r['rng_trials_per_s']:>12,.0f}  "
                f"numpy {r['numpy_trials_per_s']:>12,.0f}  "
                f"draws/trial {r['draws_per_trial']:,.1f}  events/trial {r['events_per_trial']:,.1f}"
            )
    print("startup (seconds, process start to result):")
    for r in rows:
        if r["kind"] == "startup":
            extra = f"  ({r['trials']:,} trials)" if "trials" in r else ""
            print(f"  {r['name']:<18} {r['seconds']:8.2f}{extra}")
    print("targets (speed and memory targets: python benchmarks/targets.py):")
    for verdict, target, measured in target_checks(rows):
        print(f"  {verdict:<4}  {target:<62} {measured}")


#: Metrics compared run to run, and whether higher is better.
COMPARED = {
    "trials_per_s": True,
    "events_per_s": True,
    "peak_mb": False,
    "rng_ratio": True,
    "numpy_ratio": True,
    "seconds": False,
}


def compare(rows: list[dict], path: Path) -> None:
    """Print current / previous for each metric against the last run saved in ``path``."""
    try:
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read {path}: {exc}") from None
    if not lines:
        raise SystemExit(f"{path} holds no runs")
    last = lines[-1]["run"]
    prev = {(r["kind"], r["name"]): r for r in lines if r["run"] == last}
    print(f"compared with run {last} in {path} (ratio = now / then):")
    for r in rows:
        old = prev.get((r["kind"], r["name"]))
        if old is None:
            continue
        for key, higher_better in COMPARED.items():
            if r["kind"] == "scenario" and key == "seconds":
                continue  # trial counts may differ; rates are comparable
            if key not in r or not old.get(key):
                continue
            ratio = r[key] / old[key]
            better = ratio > 1.0 if higher_better else ratio < 1.0
            tag = "same" if abs(ratio - 1.0) < 0.05 else ("better" if better else "worse")
            print(
                f"  {r['name']:<18} {key:<14} {old[key]:>14,.2f} -> {r[key]:>14,.2f}  "
                f"x{ratio:.3f}  {tag}"
            )


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def parse_trials(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in SCENARIOS or not value.replace("_", "").isdigit():
            raise SystemExit(f"--trials expects NAME=N with NAME in {', '.join(SCENARIOS)}")
        out[name] = int(value.replace("_", ""))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        name, *args = argv[1:]
        conv = [int(a) if a.isdigit() else a for a in args]
        print(json.dumps(CHILDREN[name](*conv)))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    preset = p.add_mutually_exclusive_group()
    for name in ("smoke", "quick", "full"):
        preset.add_argument(f"--{name}", action="store_true", help=f"preset {PRESETS[name]}")
    trials_help = "trials for one scenario (small, mid, large); repeatable"
    p.add_argument("--trials", action="append", default=[], metavar="NAME=N", help=trials_help)
    p.add_argument("--only", help="comma-separated scenarios to run (default: the preset's)")
    p.add_argument("--threads", type=int, help="NUMBA_NUM_THREADS for the children")
    p.add_argument("--repeat", type=int, default=1, help="best of N timed runs (default 1)")
    p.add_argument("--no-cold", action="store_true", help="skip the cold-compile measurement")
    p.add_argument("--cli-trials", type=int, help=f"default {CLI_TRIALS:,}")
    p.add_argument("--save", type=Path, metavar="PATH", help="append results as JSON lines")
    p.add_argument("--compare", type=Path, metavar="PATH", help="ratio against the last run")
    args = p.parse_args(argv)
    preset_name = next((n for n in ("smoke", "quick", "full") if getattr(args, n)), "default")
    trials = dict(PRESETS[preset_name])
    trials.update(parse_trials(args.trials))
    if args.only:
        names = [n.strip() for n in args.only.split(",")]
        trials = {n: trials.get(n, PRESETS["default"][n]) for n in names if n in SCENARIOS}
    smoke = preset_name == "smoke"
    cli_trials = args.cli_trials or (1_000 if smoke else CLI_TRIALS)
    env = child_env(args.threads, None)
    load_before = os.getloadavg()[0]
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    rows = [bench_scenario(n, trials[n], env, args.repeat) for n in SCENARIOS if n in trials]
    if not rows:
        run_child("warmup", env=env)  # a warm cache for the startup measurements
    rows += bench_startup(not (args.no_cold or smoke), cli_trials, env)
    threads = next((r["threads"] for r in rows if "threads" in r), args.threads or 0)
    meta = {
        "run": run_id,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_commit(),
        "preset": preset_name,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    print_report(rows, meta)
    if args.compare:
        compare(rows, args.compare)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        with args.save.open("a") as fh:
            for r in rows:
                fh.write(json.dumps({**meta, **r}) + "\n")
        print(f"saved {len(rows)} results to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
