"""Progress and the first-run compile note: on a terminal only, never piped or --quiet.

Forecast and compare run the des engine, whose bar moves every 100 trials (the fast
engine reports per batch of 65,536 trials).

The CLI runs as a subprocess with its stderr on a pseudo-terminal (``os.openpty``) or
on a pipe; ``PORTFOLIO_SIM_PROGRESS_AFTER=0`` shows the bar from the first step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "tests" / "data" / "acme.yaml")
HISTORY = str(ROOT / "tests" / "data" / "jira_export.csv")
NOTE = "compiling the simulation kernels (first run only, about 30 s)..."


def _run(argv: list[str], tty: bool, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``argv`` (python arguments); returns (exit code, stderr text)."""
    full_env = {**os.environ, "PORTFOLIO_SIM_PROGRESS_AFTER": "0", **(env or {})}
    if not tty:
        done = subprocess.run(
            [sys.executable, *argv], capture_output=True, text=True, env=full_env, timeout=300
        )
        return done.returncode, done.stderr
    master, slave = os.openpty()
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last writer closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    proc = subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.PIPE, stderr=slave, env=full_env
    )
    os.close(slave)
    proc.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


CLI = ["-m", "portfolio_sim"]
COMMANDS = {
    "forecast": ["forecast", SCENARIO, "--trials", "300", "--engine", "des"],
    "compare": ["compare", SCENARIO, "--trials", "200", "--engine", "des"],
    "sensitivity": ["sensitivity", SCENARIO, "--trials", "50", "--top", "3"],
    "select": ["select", SCENARIO, "--trials", "50", "--budgets", "3", "--no-verify"],
    "sweep": [
        "sweep",
        SCENARIO,
        "--trials",
        "50",
        "--local",
        "--set",
        "start=2027-01-04,2027-01-11",
    ],
    "backtest": [
        "backtest",
        HISTORY,
        "--trials",
        "50",
        "--horizon",
        "1w",
        "--min-history",
        "2w",
        "--every",
        "1w",
    ],
}
UNITS = {
    "forecast": "trials",
    "compare": "trials",
    "sensitivity": "inputs",
    "select": "budgets",
    "sweep": "grid points",
    "backtest": "cut forecasts",
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_progress_on_a_terminal_only(command: str) -> None:
    argv = CLI + COMMANDS[command]
    code, err = _run(argv, tty=True)
    assert code == 0, err
    assert "[" in err and "#" in err and f" {UNITS[command]} (" in err, err
    code, err = _run(argv, tty=False)
    assert code == 0, err
    assert f" {UNITS[command]} (" not in err and "#" not in err, err
    code, err = _run([*argv, "--quiet"], tty=True)
    assert code == 0, err
    assert f" {UNITS[command]} (" not in err and "#" not in err, err


_NOTE_ONLY = [
    "-c",
    "from portfolio_sim.cli.progress import compile_notice; compile_notice(False)",
]


def test_compile_note_when_no_cache_on_a_terminal(tmp_path: Path) -> None:
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}  # an empty cache: the next run compiles
    assert _run(_NOTE_ONLY, tty=True, env=env)[1].strip() == NOTE
    assert _run(_NOTE_ONLY, tty=False, env=env)[1] == ""
    quiet = ["-c", _NOTE_ONLY[1].replace("False", "True")]
    assert _run(quiet, tty=True, env=env)[1] == ""


def test_no_compile_note_once_compiled() -> None:
    from portfolio_sim.forecasting import forecast

    forecast(SCENARIO, trials=10, seed=0)  # compiles (or loads) the cached kernels
    code, err = _run(_NOTE_ONLY, tty=True)
    assert code == 0 and err == ""
