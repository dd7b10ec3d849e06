"""``portfolio-sim staff``: outputs and input errors (exit 2, field and reason, no
traceback, no output file touched)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portfolio_sim.cli import main
from test_staff import TWO_TEAMS


@pytest.fixture
def two_teams(tmp_path: Path) -> Path:
    path = tmp_path / "two.yaml"
    path.write_text(TWO_TEAMS)
    return path


def test_cli_writes_text_json_and_csv(two_teams: Path, tmp_path: Path, capsys):
    out_json = tmp_path / "staff.json"
    out_csv = tmp_path / "tables"
    code = main(
        [
            "staff", str(two_teams), "--add", "1", "--ramp-days", "10", "--trials", "20",
            "--json", str(out_json), "--csv", str(out_csv), "--quiet",
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "Recommended: a +1" in text
    assert "2027-05-21 to 2027-03-17" in text  # see test_staff's exact case
    assert "+EUR 600" in text  # the hire's cost, money formatted
    doc = json.loads(out_json.read_text())
    assert doc["recommended"] == {"a": 1}
    assert doc["effect"]["after"] == "2027-03-17" and doc["effect"]["gain"] == 47
    assert doc["candidates"][0]["finish_p85"] == "2027-03-17"
    assert [r["hires"] for r in doc["curve"]] == [0, 1]
    assert {p.name for p in out_csv.iterdir()} == {
        "candidates.csv",
        "curve.csv",
        "teams.csv",
        "effect.csv",
    }
    header = (out_csv / "candidates.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["rank", "assignment", "gain", "finish_p85"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--add", "1", "--objective", "deadline:nope"], "objective: deadline:nope: no feature"),
        (["--add", "1", "--objective", "deadline:big"], "'big' has no deadline"),
        (["--add", "0"], "argument --add: must be at least 1"),
        (["--add", "1", "--max-per-team", "0"], "argument --max-per-team: must be at least 1"),
        (["--add", "1", "--objective", "median"], "argument --objective: expected p85, npv"),
        (["--add", "3", "--max-per-team", "1"], "max_per_team: 3 people cannot go"),
        (["--add", "1", "--from", "2026-01-01"], "on: the hire date 2026-01-01 must be"),
        (["--add", "1", "--ramp-days", "-1"], "argument --ramp-days: must not be negative"),
    ],
)
def test_cli_bad_input_exits_2_with_field_and_reason(
    two_teams: Path, tmp_path: Path, capsys, args, needle
):
    out = tmp_path / "keep.json"
    out.write_text("old")
    code = main(["staff", str(two_teams), *args, "--trials", "5", "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert out.read_text() == "old"


def test_progress_on_a_terminal_only(two_teams: Path) -> None:
    from test_progress import CLI, _run

    argv = [*CLI, "staff", str(two_teams), "--add", "2", "--trials", "20"]
    code, err = _run(argv, tty=True)
    assert code == 0, err
    assert "#" in err and " forecasts (" in err, err
    code, err = _run(argv, tty=False)
    assert code == 0 and " forecasts (" not in err, err
    code, err = _run([*argv, "--quiet"], tty=True)
    assert code == 0 and " forecasts (" not in err, err
