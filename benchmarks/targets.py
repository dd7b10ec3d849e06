"""Measure the fast engine against the speed and memory targets of the project.

    python benchmarks/targets.py              # every target at its stated size (~2-4 min)
    python benchmarks/targets.py --only small,mid
    python benchmarks/targets.py --smoke      # tiny sizes: checks the harness, no verdicts

Each target runs the *whole process* the way a user does (``python -m portfolio_sim
forecast ...`` in a child, warm kernel cache unless the target is the cold compile), and
prints the measured value next to the target with PASS or FAIL and the machine it ran
on. Peak memory is the child's ``ru_maxrss`` (from ``os.wait4``), wall time includes the
interpreter start. ``--repeat N`` keeps the best of N runs (the machine's other load only
ever slows a run down).

The targets (issue #15, "Fast engine, second design"):

* large: 1M trials of the bundled large portfolio (20 teams, 200 features, no team
  cycles) in at most 8 s, peak RSS at most 400 MB;
* large-cycles: the same size with team cycles (``benchmarks/scenarios/large-cycles.yaml``)
  in at most 12 s;
* small: 2M trials of a five-feature scenario at most 0.8 us per trial, whole process;
  and at least 300 times the SimPy engine's rate per trial;
* mid-html: 100k trials of the mid scenario including the HTML report in at most 1.5 s;
* cold compile at most 30 s; warm start (process start to first result) at most 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = {
    "small": HERE / "scenarios" / "five-features.yaml",
    "mid": ROOT / "scenarios" / "digital-portfolio.yaml",
    "large": ROOT / "scenarios" / "large-portfolio.yaml",
    "large-cycles": HERE / "scenarios" / "large-cycles.yaml",
}
SEED = 1


class Run:
    """One child process: wall seconds (interpreter start included) and peak RSS in MB."""

    def __init__(self, seconds: float, peak_mb: float, stdout: str) -> None:
        self.seconds, self.peak_mb, self.stdout = seconds, peak_mb, stdout


def run_process(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` from the repository root; fail loudly if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.stderr.write(err.read().decode(errors="replace"))
            raise SystemExit(f"benchmark command failed (exit {proc.returncode}): {cmd}")
        rss_kib = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
        return Run(seconds, rss_kib / 1024, out.read().decode(errors="replace"))


def best_of(repeat: int, once: Callable[[], Run]) -> Run:
    runs = [once() for _ in range(max(1, repeat))]
    return min(runs, key=lambda r: r.seconds)


def forecast_cmd(name: str, trials: int, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "portfolio_sim", "forecast", str(SCENARIOS[name])]
    return cmd + ["--trials", str(trials), "--seed", str(SEED), "--quiet", *extra]


def des_seconds_per_trial(trials: int) -> float:
    """In-process seconds per trial of the SimPy engine on the small scenario."""
    code = (
        "import json,sys,time\n"
        "from portfolio_sim import load\n"
        "from portfolio_sim.forecasting import forecast\n"
        f"scn = load({str(SCENARIOS['small'])!r})\n"
        "forecast(scn, trials=5, seed=1, engine='des')\n"
        "t0 = time.perf_counter()\n"
        f"forecast(scn, trials={trials}, seed=1, engine='des')\n"
        f"print(json.dumps((time.perf_counter() - t0) / {trials}))\n"
    )
    run = run_process([sys.executable, "-c", code])
    return float(json.loads(run.stdout.strip().splitlines()[-1]))


class Target:
    """A target line: ``verdict`` is PASS/FAIL, or SKIP/INFO with a reason."""

    def __init__(self, verdict: str, what: str, measured: str) -> None:
        self.verdict, self.what, self.measured = verdict, what, measured

    def line(self) -> str:
        return f"  {self.verdict:<4}  {self.what:<58} {self.measured}"


def check(ok: bool, smoke: bool) -> str:
    if smoke:
        return "INFO"  # smoke sizes are not the target's sizes: no verdict
    return "PASS" if ok else "FAIL"


def measure(names: list[str], repeat: int, smoke: bool, cold: bool) -> list[Target]:
    env = dict(os.environ)
    out: list[Target] = []
    scale = 1_000 if smoke else 1  # smoke: the same commands at a thousandth of the size
    if cold:
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            run = run_process(
                [sys.executable, "-m", "portfolio_sim", "warmup"],
                env={**env, "NUMBA_CACHE_DIR": cache},
            )
        out.append(
            Target(
                check(run.seconds <= 30.0, smoke),
                "cold compile <= 30 s",
                f"{run.seconds:.1f} s (fresh NUMBA_CACHE_DIR)",
            )
        )
    run_process([sys.executable, "-m", "portfolio_sim", "warmup"])  # a warm cache
    warm = best_of(repeat, lambda: run_process(forecast_cmd("mid", 1_000)))
    out.append(
        Target(
            check(warm.seconds <= 1.0, smoke),
            "warm start to first result (mid, 1,000 trials) <= 1 s",
            f"{warm.seconds:.2f} s",
        )
    )
    if "small" in names:
        n = 2_000_000 // scale
        run = best_of(repeat, lambda: run_process(forecast_cmd("small", n)))
        per_trial = run.seconds / n
        out.append(
            Target(
                check(per_trial <= 0.8e-6, smoke),
                f"small: {n:,} trials <= 0.8 us/trial, whole process",
                f"{per_trial * 1e6:.2f} us/trial ({run.seconds:.2f} s, {run.peak_mb:,.0f} MB)",
            )
        )
        des = des_seconds_per_trial(200 // min(scale, 100))
        ratio = des / per_trial
        out.append(
            Target(
                check(ratio >= 300.0, smoke),
                "small: fast engine >= 300 x SimPy engine per trial",
                f"{ratio:,.0f} x (SimPy {des * 1e3:.2f} ms/trial)",
            )
        )
    if "mid" in names:
        n = 100_000 // scale
        with tempfile.TemporaryDirectory() as tmp:
            html = str(Path(tmp) / "report.html")
            run = best_of(repeat, lambda: run_process(forecast_cmd("mid", n, "--html", html)))
        out.append(
            Target(
                check(run.seconds <= 1.5, smoke),
                f"mid: {n:,} trials + HTML report <= 1.5 s",
                f"{run.seconds:.2f} s ({run.peak_mb:,.0f} MB)",
            )
        )
    for name, limit in (("large", 8.0), ("large-cycles", 12.0)):
        if name not in names:
            continue
        if not SCENARIOS[name].exists():
            out.append(Target("SKIP", f"{name}: 1,000,000 trials", f"{SCENARIOS[name]} missing"))
            continue
        n = 1_000_000 // scale
        with tempfile.TemporaryDirectory() as tmp:
            js = str(Path(tmp) / "out.json")
            run = best_of(
                repeat,
                lambda n=n, name=name, js=js: run_process(forecast_cmd(name, n, "--json", js)),
            )
        out.append(
            Target(
                check(run.seconds <= limit, smoke),
                f"{name}: {n:,} trials + JSON <= {limit:g} s",
                f"{run.seconds:.2f} s",
            )
        )
        if name == "large":
            out.append(
                Target(
                    check(run.peak_mb <= 400.0, smoke),
                    f"{name}: peak memory <= 400 MB",
                    f"{run.peak_mb:,.0f} MB",
                )
            )
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = os.environ.get("NUMBA_NUM_THREADS", "all")
    return f"{platform.system()} {cpu}, {os.cpu_count()} cpus, numba threads {threads}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", help=f"comma-separated targets ({', '.join(SCENARIOS)})")
    p.add_argument("--repeat", type=int, default=1, help="best of N runs (default 1)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, no verdicts")
    p.add_argument("--no-cold", action="store_true", help="skip the cold compile")
    args = p.parse_args(argv)
    names = list(SCENARIOS) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        p.error(f"--only: unknown target {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    load = os.getloadavg()[0]
    cold = not (args.no_cold or args.smoke)
    targets = measure(names, args.repeat, args.smoke, cold)
    print(f"portfolio_sim speed targets on {machine()}")
    print(f"load average {load:.2f} -> {os.getloadavg()[0]:.2f}; best of {args.repeat}")
    for t in targets:
        print(t.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
