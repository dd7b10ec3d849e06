"""Record every bundled scenario's forecast JSON, and compare two recordings bit for bit.

A behaviour-preserving change (a refactor, a faster kernel that must give the same numbers)
is checked by recording before and after and comparing::

    python benchmarks/record_json.py record /tmp/before     # on the old commit
    python benchmarks/record_json.py record /tmp/after      # on the new commit
    python benchmarks/record_json.py compare /tmp/before /tmp/after

Every scenario in ``scenarios/`` is recorded as written and with each of its variants, on
both engines (the SimPy engine with fewer trials: it is the slow reference). The JSON is
the one ``portfolio-sim forecast --json`` writes, less the provenance's ``created``
timestamp, which is the only field that may differ between two runs. ``compare`` exits
1 and names the first differing key of every differing file; 0 when all are identical.

``--only STEMS`` records only those scenarios (also ``benchmarks/scenarios/``, e.g.
``five-features``), ``--trials N`` sets the fast engine's trials (large counts take the
streamed-month path of the engine) and ``--fast-only`` skips the SimPy engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import portfolio_sim as ps

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
#: benchmark scenarios (recorded only when named with ``--only``)
EXTRA = sorted((ROOT / "benchmarks" / "scenarios").glob("*.yaml"))
TRIALS = {"fast": 4000, "des": 150}
SEED = 20261204


def _runs(names: list[str] | None, fast_only: bool) -> list[tuple[Path, str | None, str]]:
    runs = []
    for path in SCENARIOS + EXTRA:
        if (names and path.stem not in names) or (not names and path in EXTRA):
            continue
        variants: list[str | None] = [None, *ps.load(path).variants]
        for variant in variants:
            for engine in ("fast", "des"):
                if engine == "des" and (fast_only or path.stem.startswith("large")):
                    continue  # minutes per variant on the reference engine; fast covers it
                runs.append((path, variant, engine))
    return runs


def _document(path: Path, variant: str | None, engine: str) -> dict[str, Any]:
    fc = ps.forecast(path, trials=TRIALS[engine], seed=SEED, variant=variant, engine=engine)
    doc = json.loads(fc.to_json())
    doc.get("provenance", {}).pop("created", None)
    return doc


def record(folder: Path, names: list[str] | None, fast_only: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path, variant, engine in _runs(names, fast_only):
        name = f"{path.stem}--{variant or 'base'}--{engine}.json"
        (folder / name).write_text(json.dumps(_document(path, variant, engine), indent=1))
        print(f"recorded {name}", flush=True)


def _first_difference(a: Any, b: Any, where: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key}: only in {'after' if key not in a else 'before'}"
            found = _first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{where}: {a!r} != {b!r}"


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.glob("*.json")} | {p.name for p in after.glob("*.json")})
    bad = 0
    for name in names:
        if not (before / name).exists() or not (after / name).exists():
            print(f"{name}: missing in {'before' if not (before / name).exists() else 'after'}")
            bad += 1
            continue
        diff = _first_difference(
            json.loads((before / name).read_text()), json.loads((after / name).read_text())
        )
        if diff:
            print(f"{name}: {diff}")
            bad += 1
    print(f"{len(names) - bad} of {len(names)} identical")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("folder", type=Path)
    rec.add_argument("--only", help="comma-separated scenario file stems")
    rec.add_argument("--trials", type=int, help=f"fast engine trials (default {TRIALS['fast']})")
    rec.add_argument("--fast-only", action="store_true", help="skip the SimPy engine")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        if args.trials:
            TRIALS["fast"] = args.trials
        record(args.folder, args.only.split(",") if args.only else None, args.fast_only)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
