"""A failing command touches no output file (issue #13).

For every command that writes files, the outputs are first created with sentinel content;
a failing invocation (a bad argument, a bad scenario or history, or a failure found only
after the computation) must exit 2 with a clear message and no traceback, and leave every
sentinel byte for byte as it was. Bad numbers (negative, NaN, infinite) are refused with
exit 2 before any work.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portfolio_sim.cli import main

DATA = Path(__file__).parent / "data"
ACME = str(DATA / "acme.yaml")
JIRA = str(DATA / "jira_export.csv")
SENTINEL = "sentinel: must survive a failing run\n"

#: an effort-only scenario: forecasts fine, but has no throughput team for "how many"
NO_THROUGHPUT = """\
name: effort only
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: web, members: 3, cost_per_member_day: 500}
features:
  - {id: a, team: web, priority: 1, effort: {pert: [10, 20, 40]}}
variants:
  bigger: [{set: {teams.web.members: 4}}]
"""

BROKEN = "name: broken\nstart: 2027-01-04\nteams: [{id: web}]\nfeatures: nope\n"


def _outputs(tmp: Path, options: list[str]) -> tuple[list[str], dict[Path, str]]:
    """Command-line output options pointing at sentinel files (a folder for --csv of
    forecast/compare holds a sentinel features.csv)."""
    argv: list[str] = []
    files: dict[Path, str] = {}
    for opt in options:
        if opt == "--csv-dir":
            folder = tmp / "tables"
            folder.mkdir()
            target = folder / "features.csv"
            argv += ["--csv", str(folder)]
        else:
            suffix = {"--gantt": ".svg", "--svg": ".svg", "--html": ".html", "--xlsx": ".xlsx"}
            target = tmp / f"out{opt.replace('-', '_')}{suffix.get(opt, '.txt')}"
            argv += [opt, str(target)]
        target.write_text(SENTINEL)
        files[target] = SENTINEL
    return argv, files


def _scenario(tmp: Path, text: str, name: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


# (id, command and arguments before the outputs, output options); "{nothroughput}" and
# "{broken}" are replaced by scenario files written in the test's folder.
CASES = [
    ("forecast-bad-how-many-date", ["forecast", ACME, "--how-many-by", "2027-13-40"], ["--json", "--html", "--xlsx", "--csv-dir"]),
    ("forecast-how-many-fails-after-run", ["forecast", "{nothroughput}", "--how-many-by", "2027-06-30"], ["--json", "--html", "--xlsx", "--csv-dir"]),
    ("forecast-bad-scenario", ["forecast", "{broken}"], ["--json", "--html", "--csv-dir"]),
    ("forecast-negative-trials", ["forecast", ACME, "--trials", "-5"], ["--json"]),
    ("forecast-same-output-twice", ["forecast", ACME, "--html", "{tmp}/out__json.txt"], ["--json"]),
    ("forecast-output-is-input", ["forecast", "{nothroughput}", "--json", "{nothroughput}"], ["--html"]),
    ("compare-bad-cut-line", ["compare", ACME, "--cut-line", "soon"], ["--json", "--html", "--xlsx", "--csv-dir"]),
    ("compare-bad-scenario", ["compare", "{broken}"], ["--json", "--html", "--csv-dir"]),
    ("trace-bad-near", ["trace", ACME, "--near", "p500"], ["--csv", "--json", "--gantt"]),
    ("trace-bad-scenario", ["trace", "{broken}", "--trial", "0"], ["--csv", "--json", "--gantt"]),
    ("sensitivity-bad-scenario", ["sensitivity", "{broken}"], ["--svg", "--csv", "--criticality-csv"]),
    ("sensitivity-negative-trials", ["sensitivity", ACME, "--trials", "-1"], ["--svg", "--csv"]),
    ("select-negative-budget", ["select", ACME, "--budget", "-5"], ["--csv"]),
    ("select-nan-budget", ["select", ACME, "--budget", "nan"], ["--csv"]),
    ("select-infinite-budget", ["select", ACME, "--budget", "inf"], ["--csv"]),
    ("select-negative-budgets", ["select", ACME, "--budgets", "100,-5"], ["--csv"]),
    ("select-one-point", ["select", ACME, "--budgets", "1"], ["--csv"]),
    ("sweep-unknown-field", ["sweep", "{nothroughput}", "--set", "teams.nosuch.members=1,2", "--local"], ["--csv", "--json"]),
    ("sweep-bad-scenario", ["sweep", "{broken}", "--set", "teams.web.members=1,2", "--local"], ["--csv", "--json"]),
    ("staff-unknown-deadline-feature", ["staff", ACME, "--add", "2", "--objective", "deadline:nope"], ["--json", "--csv-dir"]),
    ("staff-zero-people", ["staff", ACME, "--add", "0"], ["--json", "--csv-dir"]),
    ("staff-bad-scenario", ["staff", "{broken}", "--add", "1"], ["--json", "--csv-dir"]),
    ("calibrate-bad-since", ["calibrate", JIRA, "--since", "yesterday"], ["--out"]),
    ("calibrate-missing-history", ["calibrate", "{tmp}/no-such.csv"], ["--out"]),
    ("backtest-bad-every", ["backtest", JIRA, "--every", "fortnight"], ["--html", "--csv"]),
    ("backtest-no-cut-fits", ["backtest", JIRA, "--horizon", "40w", "--trials", "200"], ["--html", "--csv"]),
    ("how-many-bad-date", ["how-many", ACME, "--by", "2027-02-30"], ["--csv"]),
    ("how-many-no-throughput-team", ["how-many", "{nothroughput}", "--by", "2027-06-30"], ["--csv"]),
    ("how-many-bad-scenario", ["how-many", "{broken}", "--by", "2027-06-30"], ["--csv"]),
    ("trend-no-snapshot-folder", ["trend", "{tmp}/no-such-dir"], ["--json", "--html", "--csv-dir"]),
    ("trend-bad-snapshot", ["trend", "{tmp}"], ["--json", "--html"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "options"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_failing_command_keeps_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], options: list[str]
) -> None:
    subs = {
        "{nothroughput}": _scenario(tmp_path, NO_THROUGHPUT, "effort.yaml"),
        "{broken}": _scenario(tmp_path, BROKEN, "broken.yaml"),
    }
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    argv = [subs.get(a, a) for a in argv]
    out_argv, sentinels = _outputs(tmp_path, options)
    inputs = {Path(p): Path(p).read_bytes() for p in subs.values()}
    small = (
        []
        if "--trials" in argv or argv[0] in ("trace", "calibrate", "trend")
        else ["--trials", "300"]
    )
    code = main([*argv, *out_argv, *small])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip(), "a failing command says why on stderr"
    assert "Traceback" not in err
    for path, text in sentinels.items():
        assert path.read_text() == text, f"{path.name} was touched by a failing run"
    for path, data in inputs.items():
        assert path.read_bytes() == data, f"input {path.name} was changed"
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert not leftovers, leftovers


def test_command_list_covers_every_command_with_output_options() -> None:
    """Every command whose --help offers a file or folder output is exercised above."""
    from portfolio_sim.cli import _all_commands, build_parser

    covered = {c[1][0] for c in CASES}
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    writing = set()
    for command in _all_commands():
        help_text = sub.choices[command.name].format_help()  # type: ignore[union-attr]
        if any(f"--{o} " in help_text for o in ("json", "html", "csv", "out", "svg", "gantt")):
            writing.add(command.name)
    assert writing, "no command writes files?"
    assert writing <= covered, sorted(writing - covered)


@pytest.mark.parametrize(
    "argv",
    [
        ["priorities", ACME, "--wsjf", "payments-api=nan"],
        ["priorities", ACME, "--wsjf", "payments-api=-2"],
        ["forecast", ACME, "--seed", "-1"],
        ["how-many", ACME, "--by", "2027-06-30", "--trials", "1e3"],
    ],
    ids=["wsjf-nan", "wsjf-negative", "negative-seed", "trials-not-whole"],
)
def test_bad_numbers_are_refused_before_any_work(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


def test_no_traceback_from_the_console_script_on_a_bad_budget(tmp_path: Path) -> None:
    out = tmp_path / "frontier.csv"
    out.write_text(SENTINEL)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "portfolio_sim",
            "select",
            ACME,
            "--budget",
            "-5",
            "--csv",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "--budget: must not be negative" in done.stderr
    assert "Traceback" not in done.stderr
    assert out.read_text() == SENTINEL


def test_forecast_without_any_cost_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No pandas 'Empty DataFrame / Columns: ...' in the terminal for a cost-free scenario."""
    text = NO_THROUGHPUT.replace(", cost_per_member_day: 500", "")
    assert main(["forecast", _scenario(tmp_path, text, "free.yaml"), "--trials", "300"]) == 0
    out = capsys.readouterr().out
    assert "Empty DataFrame" not in out and "Columns:" not in out
    assert "Monthly cost (EUR): none (the P90 cost of every month is 0)" in out
