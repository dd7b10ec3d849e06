"""``calibrate``: messy exports, header recognition, periods, and a known throughput process."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.history import calibrate
from portfolio_sim.scenario import load_text

DATA = Path(__file__).parent / "data"
JIRA = DATA / "jira_export.csv"

#: Lines of tests/data/jira_export.csv that must be reported, verified by reading the file:
#:  6 blank Resolved (in progress)        11 Resolved "N/A"
#: 22 blank Team                          28 Start date "31/Feb/24" (no such day)
#: 33 resolved before it started          38 PAY-110 again (first on line 13)
#: 59 Created "??" and Start "2024-13-01" 64 Resolved in 1901 (implausible)
#: Not reported: line 15-16 (a quoted summary spanning two lines, valid), 42 (blank start
#: date: counts for throughput, not for cycle time), 46 (ISO dates with an offset),
#: 50 (an Epic, valid), 54 (a blank line: not a row).
JIRA_SKIPPED = [6, 11, 22, 28, 33, 38, 59, 64]


def write_history(path: Path, counts: dict[str, np.ndarray], start: dt.date, seed: int = 0) -> None:
    """A CSV export of a known process: team T finished ``counts[T][k]`` items in week k
    (weeks from Monday ``start``); each item's done date is a random day of its week,
    weekends included (they count in the same Monday-Sunday week)."""
    rng = np.random.default_rng(seed)
    n = 0
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Key", "Team", "Created", "Started", "Done"])
        for team, cs in counts.items():
            for k, c in enumerate(cs):
                for _ in range(int(c)):
                    done = start + dt.timedelta(days=7 * k + int(rng.integers(0, 7)))
                    started = done - dt.timedelta(days=int(rng.integers(0, 10)))
                    n += 1
                    w.writerow([f"K-{n}", team, started, started, f"{done}T16:30:00"])


def test_messy_export_reports_skipped_lines() -> None:
    cal = calibrate(JIRA)
    assert [s.line for s in cal.skipped] == JIRA_SKIPPED
    reasons = {s.line: s.reason for s in cal.skipped}
    assert "blank" in reasons[6] and "'N/A'" in reasons[11] and "no team" in reasons[22]
    assert "31/Feb/24" in reasons[28] and "before started" in reasons[33]
    assert "duplicate key 'PAY-110' (first on line 13)" in reasons[38]
    assert "'??'" in reasons[59] and "2024-13-01" in reasons[59]
    text = cal.skipped_text()
    assert f"{JIRA}:6: skipped:" in text and len(text.splitlines()) == len(JIRA_SKIPPED)
    assert cal.columns == {
        "team": "Team",
        "done": "Resolved",
        "started": "Start date",
        "created": "Created",
        "key": "Issue key",
        "type": "Issue Type",
    }


def test_messy_export_counts() -> None:
    cal = calibrate(JIRA)
    # 52 generated rows + PAY-155/159/160/161 are valid; 3 of them (done 25-28 March)
    # fall in the incomplete last week.
    assert cal.period_start(0) == dt.date(2024, 1, 8)
    assert cal.period_end(cal.n_periods - 1) == dt.date(2024, 3, 22)
    assert sum(int(c.sum()) for c in cal.counts.values()) == 56 - 3
    assert cal.notes == ["3 items done after the last complete week excluded"]
    assert cal.samples("Payments") == [1, 1, 3, 2, 1, 4, 1, 2, 0, 1, 2]
    # Platform's first item is in week 2: its samples start there.
    assert cal.first["Platform"] == 1 and len(cal.samples("Platform")) == 10
    # PAY-159 has no start date: counted for throughput, not for cycle time.
    summary = cal.summary().set_index("team")
    assert summary.loc["Platform", "cycle_n"] == summary.loc["Platform", "items"] - 1
    # types filter: the Epic (line 50) and everything but Stories go away, not "skipped".
    stories = calibrate(JIRA, types=["story"])
    assert [s.line for s in stories.skipped] == [6, 28, 33, 38, 64]
    assert any("rows of other types excluded" in n for n in stories.notes)


def test_snippet_is_a_valid_scenario_part() -> None:
    cal = calibrate(JIRA)
    snippet = cal.to_yaml()
    assert "per: week" in snippet
    features = "".join(
        f"  - {{id: f{i}, team: {t}, items: {{fixed: 5}}}}\n" for i, t in enumerate(cal.teams)
    )
    scn = load_text("name: x\nstart: 2024-04-01\n" + snippet + "features:\n" + features, "yaml")
    assert [t.id for t in scn.teams] == cal.teams
    assert scn.teams[0].throughput is not None
    assert scn.teams[0].throughput.samples == cal.samples(cal.teams[0])


def test_azure_devops_headers_semicolons_and_explicit_columns(tmp_path: Path) -> None:
    path = tmp_path / "ado.csv"
    path.write_text(
        "\ufeffID;Work Item Type;Area Path;Activated Date;Closed Date\n"
        "1;Bug;Shop\\Web;2024-01-02;2024-01-03\n"
        "2;Bug;Shop\\Web;2024-01-02;2024-01-17\n"
        "3;Bug;Shop\\Web;;2024-01-19 08:00\n",
        encoding="utf-8",
    )
    cal = calibrate(path)
    assert cal.columns["done"] == "Closed Date" and cal.columns["team"] == "Area Path"
    assert cal.samples("Shop\\Web") == [1, 0, 2]  # zero week kept
    assert cal.cycle_times["Shop\\Web"].tolist() == [2, 16]
    one = calibrate(path, team="web", done_column="activated date", per="day")
    assert one.teams == ["web"] and one.skipped[0].line == 4


def test_missing_columns_name_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Key,Owner,When\nA,b,2024-01-01\n")
    with pytest.raises(InputError, match=r"no team or done column.*'Key', 'Owner', 'When'"):
        calibrate(path)
    with pytest.raises(InputError, match="no column 'Finished'"):
        calibrate(path, done_column="Finished")
    with pytest.raises(InputError, match="file not found"):
        calibrate(tmp_path / "nope.csv")


def test_since_day_periods_and_weekend_items(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    rows = ["team,done", "a,2024-01-05", "a,2024-01-06", "a,2024-01-08", "a,2024-01-10"]
    path.write_text("\n".join(rows) + "\n")
    # Friday 5th, Saturday 6th (counts on Friday), Monday 8th, Wednesday 10th.
    days = calibrate(path, per="day")
    assert days.samples("a") == [2, 1, 0, 1]
    weeks = calibrate(path, since="2024-01-01", until="2024-01-12")
    assert weeks.samples("a") == [2, 2]
    assert calibrate(path, since="2024-01-08", until="2024-01-14").samples("a") == [2]
    later = calibrate(path, since="2024-01-08", until="2024-01-12")
    assert later.notes == ["2 items done before 2024-01-08 excluded"]
    with pytest.raises(InputError, match="no complete week"):
        calibrate(path, since="2024-01-08")  # Wednesday 10th ends an incomplete week


def test_synthetic_history_reproduces_the_process(tmp_path: Path) -> None:
    """Weekly items ~ 0 with probability 0.2, else Poisson(4). Calibration must give back
    the generated weeks exactly, so their empirical CDF is within the DKW bound of the
    true CDF: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2); alpha = 1e-3 gives
    eps = sqrt(ln(2000) / (2 n)) (0.097 for n = 400)."""
    rng = np.random.default_rng(11)
    weeks = 400
    counts = {
        "alpha": rng.poisson(4, weeks) * (rng.random(weeks) < 0.8),
        "beta": rng.poisson(4, weeks) * (rng.random(weeks) < 0.8),
    }
    for c in counts.values():
        c[0] = max(c[0], 1)  # the first week of data opens each team's periods
    path = tmp_path / "synthetic.csv"
    write_history(path, counts, dt.date(2019, 1, 7))
    cal = calibrate(path, until=dt.date(2019, 1, 7) + dt.timedelta(weeks=weeks, days=-1))
    assert cal.skipped == []
    eps = math.sqrt(math.log(2 / 1e-3) / (2 * weeks))
    pois = np.array([math.exp(-4) * 4**k / math.factorial(k) for k in range(40)])
    true_cdf = 0.2 + 0.8 * np.cumsum(pois)
    for team, c in counts.items():
        assert cal.samples(team) == c.tolist()
        got = np.array(cal.samples(team))
        ecdf = np.array([(got <= k).mean() for k in range(40)])
        assert np.max(np.abs(ecdf - true_cdf)) < eps


def test_cli_calibrate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", str(JIRA)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# calibrated from jira_export.csv")
    assert f"{JIRA}:64: skipped" in captured.err and "8 rows skipped" in captured.err
    out = tmp_path / "teams.yaml"
    assert main(["calibrate", str(JIRA), "--out", str(out)]) == 0
    assert out.read_text() == calibrate(JIRA).to_yaml()
    assert main(["calibrate", str(JIRA), "--out", str(JIRA)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert main(["calibrate", str(JIRA), "--since", "soon"]) == 2
    assert main(["calibrate", str(tmp_path / "missing.csv")]) == 2


D = dt.date


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        # ISO, with or without time and offset: the wall-clock date
        ("2024-03-04", False, D(2024, 3, 4)),
        ("2024-03-04T23:30:00-05:00", False, D(2024, 3, 4)),
        ("2024-02-30", False, None),
        # exports: Jira, Azure DevOps, spreadsheets
        ("12/Mar/24 3:45 PM", False, D(2024, 3, 12)),
        ("04/Mar/2024 16:45", True, D(2024, 3, 4)),
        ("3/4/2024", False, D(2024, 3, 4)),
        ("3/4/2024", True, D(2024, 4, 3)),
        ("13/3/2024", False, D(2024, 3, 13)),  # not a month: read day first
        ("04.03.2024 10:00:00", True, D(2024, 3, 4)),
        ("March 4, 2024 11:30 PM", False, D(2024, 3, 4)),
        ("Mon, 04 Mar 2024 10:00:00", False, D(2024, 3, 4)),
        ("20240304", False, D(2024, 3, 4)),
        ("Mar 2024", False, D(2024, 3, 1)),  # missing day: the first
        ("04 Mar 2024 10:00 UTC", False, D(2024, 3, 4)),
        ("04 Mar 2024 10:00 +0100", False, D(2024, 3, 4)),
        # quarters: their first day
        ("2024Q1", False, D(2024, 1, 1)),
        ("2024-q3", False, D(2024, 7, 1)),
        ("4Q2005", False, D(2005, 10, 1)),
        ("2024Q5", False, None),
        # not dates
        ("04 Mar 2024 10:00 XYZT", False, None),  # unknown time-zone name
        ("999.99", False, None),  # a small number
        ("31/31/2024", False, None),
        ("no date 1", False, None),
        ("1/1/1901", False, None),  # implausible year
        ("", False, None),
        ("3/4/24", False, D(2024, 3, 4)),
        ("3/4/4", False, None),  # under 6 characters: not a date
    ],
)
def test_parse_date_formats(text: str, dayfirst: bool, expected: dt.date | None) -> None:
    from portfolio_sim.history.calibrate import parse_date

    assert parse_date(text, dayfirst) == expected


def test_parse_date_time_only_is_today() -> None:
    from portfolio_sim.history.calibrate import parse_date

    before = dt.date.today()
    got = parse_date("12:30:45")
    assert got in (before, dt.date.today())
