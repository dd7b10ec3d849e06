"""benchmarks/record_json.py: two recordings of the same code compare identical, and a
changed number is found and named (the script is how refactors prove "same output")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "record_json.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_record_twice_is_identical_and_a_change_is_named(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run("record", str(a), "--only", "startup").returncode == 0
    assert _run("record", str(b), "--only", "startup").returncode == 0
    files = sorted(p.name for p in a.glob("*.json"))
    assert "startup--base--fast.json" in files and "startup--base--des.json" in files
    same = _run("compare", str(a), str(b))
    assert same.returncode == 0, same.stdout
    assert f"{len(files)} of {len(files)} identical" in same.stdout

    doc = json.loads((b / "startup--base--fast.json").read_text())
    doc["features"][0]["mean_workdays"] += 1e-12
    (b / "startup--base--fast.json").write_text(json.dumps(doc))
    changed = _run("compare", str(a), str(b))
    assert changed.returncode == 1
    assert "startup--base--fast.json: $.features[0].mean_workdays" in changed.stdout


def test_benchmark_scenarios_fast_only_at_a_chosen_size(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    run = _run("record", str(out), "--only", "five-features", "--fast-only", "--trials", "700")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.glob("*.json")) == ["five-features--base--fast.json"]
    assert json.loads((out / "five-features--base--fast.json").read_text())["trials"] == 700
