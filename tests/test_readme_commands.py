"""Every command line and the Python example of README.md run as written (issue #13).

The README's ``sh`` blocks are run line by line from the repository root: a leading
``python -m pip install ... &&`` is dropped (the test runs in the installed environment),
trial counts are made small (``--trials 2000`` where the command takes it) and every
output path is moved into a temporary folder. ``text`` blocks are synopses and sample
output, not commands. The one line that is not a ``portfolio-sim`` command (the
developer checks, which run pytest itself) is named below, not skipped silently.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
OUTPUT_OPTIONS = {
    "--json",
    "--html",
    "--csv",
    "--xlsx",
    "--out",
    "--gantt",
    "--svg",
    "--save-snapshot",
    "--save-baseline",
}
TAKES_TRIALS = {"forecast", "compare", "sensitivity", "select", "priorities", "sweep",
                "backtest", "how-many"}  # fmt: skip
SMALL_TRIALS = "2000"
#: the developer checks (ruff, mypy and pytest itself): run by CI, not from here
DEV_CHECKS = "ruff check . && ruff format --check . && mypy src && pytest -q"


def _blocks(lang: str) -> list[str]:
    return [body for kind, body in BLOCK.findall(README) if kind == lang]


def _command_lines() -> list[str]:
    lines = []
    for body in _blocks("sh"):
        for line in body.splitlines():
            line = line.strip()
            if line.startswith("python -m pip install"):
                line = line.partition("&&")[2].strip()
            if line and line != DEV_CHECKS:
                lines.append(line)
    return lines


COMMANDS = _command_lines()


def test_readme_blocks_are_all_accounted_for() -> None:
    kinds = {kind for kind, _ in BLOCK.findall(README)}
    assert kinds <= {"sh", "text", "python", "yaml"}, kinds
    assert len(COMMANDS) >= 10, COMMANDS
    assert all(c.startswith("portfolio-sim ") for c in COMMANDS), COMMANDS
    assert sum(DEV_CHECKS in body for body in _blocks("sh")) == 1
    assert "../shared" not in README and "MODEL.md" not in README
    used = {c.split()[1] for c in COMMANDS}
    for name in ("forecast", "compare", "trace", "calibrate", "backtest", "how-many"):
        assert name in used, f"README shows no runnable {name} example"


def _adapted(line: str, out: Path) -> list[str]:
    words = shlex.split(line)
    assert words[0] == "portfolio-sim"
    args = words[1:]
    for i, word in enumerate(args):
        if args[i - 1] in OUTPUT_OPTIONS and i > 0:
            args[i] = str(out / Path(word).name)
        elif args[i - 1] == "--trials" and i > 0:
            args[i] = SMALL_TRIALS
    if args[0] in TAKES_TRIALS and "--trials" not in args:
        args += ["--trials", SMALL_TRIALS]
    return [sys.executable, "-m", "portfolio_sim", *args]


@pytest.mark.parametrize("line", COMMANDS, ids=[" ".join(c.split()[1:3]) for c in COMMANDS])
def test_readme_command_runs(line: str, tmp_path: Path) -> None:
    done = subprocess.run(
        _adapted(line, tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{line}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    outputs = [w for w in shlex.split(line)[1:] if not w.startswith("-")]
    written = list(tmp_path.iterdir())
    if any(opt in line.split() for opt in OUTPUT_OPTIONS):
        assert written, f"{line}: wrote nothing ({outputs})"


def test_readme_python_example_runs(tmp_path: Path) -> None:
    (code,) = _blocks("python")
    code = code.replace("100_000", SMALL_TRIALS)
    code = code.replace('"scenarios/', f'"{ROOT / "scenarios"}/')
    assert f"trials={SMALL_TRIALS}" in code
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("forecast.json", "report.html", "tables"):
        assert (tmp_path / name).exists(), name
