"""Smoke test of benchmarks/bench_engine.py: a tiny configuration runs, prints the table
and the target checks, saves JSON lines and compares with a previous run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_engine.py"


def test_bench_engine_smoke(tmp_path: Path) -> None:
    previous = tmp_path / "previous.jsonl"
    old = {"run": "20000101T000000", "kind": "scenario", "name": "small"}
    old.update(trials_per_s=1000.0, events_per_s=10000.0, peak_mb=100.0, rng_ratio=0.5)
    previous.write_text(json.dumps(old) + "\n")
    saved = tmp_path / "runs.jsonl"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--save", str(saved)]
        + ["--compare", str(previous)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    header = next(line for line in out.splitlines() if line.strip().startswith("scenario"))
    for column in ("trials", "seconds", "trials/s", "events/s", "peak MB", "rng ratio"):
        assert column in header
    assert "numpy ratio" in header
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("small"))
    assert row[1] == "2,000" and len(row) == 8
    for name in ("warm_start", "cli_first_result"):
        assert name in out
    assert "targets:" in out
    assert "RNG-bound rate" in out and "benchmarks/targets.py" in out
    assert any(line.strip().startswith(("PASS", "FAIL")) for line in out.splitlines())
    assert "compared with run 20000101T000000" in out
    assert "trials_per_s" in out
    records = [json.loads(line) for line in saved.read_text().splitlines()]
    small = next(r for r in records if r["kind"] == "scenario")
    assert small["name"] == "small" and small["trials"] == 2_000
    assert small["trials_per_s"] > 0 and small["peak_mb"] > 0 and small["rng_ratio"] > 0
    assert {r["name"] for r in records if r["kind"] == "startup"} == {
        "warm_start",
        "cli_first_result",
    }


def test_targets_smoke() -> None:
    """benchmarks/targets.py runs every target's command at a thousandth of its size and
    prints one line per target, without verdicts (smoke sizes are not the targets')."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "targets.py"), "--smoke"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("portfolio_sim speed targets on ")
    assert "cpus" in lines[0]
    body = "\n".join(lines[2:])
    for what in ("warm start", "small: 2,000 trials", "300 x SimPy", "mid: 100 trials + HTML"):
        assert what in body
    assert "large: 1,000 trials + JSON <= 8 s" in body
    assert "large: peak memory <= 400 MB" in body
    verdicts = [line.split()[0] for line in lines[2:]]
    assert verdicts and set(verdicts) <= {"INFO", "SKIP"}
