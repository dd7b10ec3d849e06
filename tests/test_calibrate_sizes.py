"""Fitting a relative-sizing table from a history (docs/model.md §3.8): cycle times in
working days per size, lognormal from the empirical P10/P90, fixed when they are equal,
too-small sizes and unusable rows named; the snippet loads into a scenario."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.history.sizes import fit_sizes
from portfolio_sim.scenario import load_text

MONDAY = np.datetime64("2024-03-04")


def row(key: str, size: str, points: str, cycle: int, start_offset: int = 0) -> str:
    """A done item whose cycle time is ``cycle`` working days, start and done counted."""
    start = np.busday_offset(MONDAY, start_offset)
    done = np.busday_offset(start, cycle - 1)
    return f"{key},Web,{size},{points},{start},{done}"


def history(tmp_path: Path) -> Path:
    lines = ["Key,Team,Size,Points,Started,Done"]
    # S: cycle times 1..10 working days -> P10 = 1, P90 = 9 (inverted CDF, §8.6)
    lines += [row(f"S-{c}", "S", "2", c, start_offset=c) for c in range(1, 11)]
    # M: five items of 12 working days -> fixed 12 (weekends not counted)
    lines += [row(f"M-{k}", "M", "2", 12, start_offset=k) for k in range(5)]
    # L: only three items -> left out, named in the notes
    lines += [row(f"L-{k}", "L", "8", 20) for k in range(3)]
    lines.append("X-1,Web,M,3,,2024-03-08")  # no start date: skipped, line 20
    lines.append("X-2,Web,,3,2024-03-04,2024-03-08")  # no size: skipped, line 21
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fit_sizes_by_hand(tmp_path: Path) -> None:
    fit = fit_sizes(history(tmp_path), "size")
    assert fit.table == {"M": {"fixed": 12.0}, "S": {"lognormal": {"p10": 1.0, "p90": 9.0}}}
    assert list(fit.table) == ["S", "M"]  # ordered by median: 5.5 < 12
    assert fit.counts == {"S": 10, "M": 5}
    assert fit.notes == ["size 'L' left out: 3 items, at least 5 needed"]
    assert [(s.line, s.reason) for s in fit.skipped] == [
        (20, "no start date (no cycle time)"),
        (21, "no size"),
    ]


def test_fit_points_per_point(tmp_path: Path) -> None:
    # per point = cycle / points: S rows 1/2 .. 10/2, M rows 12/2, L rows 20/8 = 2.5,
    # X-1 skipped (no start), X-2 (3 points, Mon-Fri = 5 days) -> 19 values
    fit = fit_sizes(history(tmp_path), "Points", points=True)
    values = sorted([c / 2 for c in range(1, 11)] + [6.0] * 5 + [2.5] * 3 + [5 / 3])
    k10, k90 = int(np.ceil(0.1 * len(values))) - 1, int(np.ceil(0.9 * len(values))) - 1
    assert fit.table == {"per_point": {"lognormal": {"p10": values[k10], "p90": values[k90]}}}
    assert fit.counts == {"per_point": 19}
    assert values[k10] == 1.0 and values[k90] == 6.0  # the hand-computed P10 and P90


def test_snippet_loads_into_a_scenario(tmp_path: Path) -> None:
    fit = fit_sizes(history(tmp_path), "Size")
    text = (
        "name: fitted\nstart: 2027-01-04\nteams: [{id: web, members: 1}]\n"
        "features: [{id: a, team: web, size: S}, {id: b, team: web, size: M}]\n"
    ) + fit.to_yaml()
    scn = load_text(text, "yaml", "f.yaml")
    assert scn.features[0].size.kind == "lognormal"
    assert scn.features[0].size.params == {"p10": 1.0, "p90": 9.0}
    assert scn.features[1].size.params == 12.0


def test_missing_column_and_no_usable_size(tmp_path: Path) -> None:
    path = history(tmp_path)
    with pytest.raises(InputError, match=r"no 'tshirt' column; columns found: 'Key'"):
        fit_sizes(path, "tshirt")
    few = tmp_path / "few.csv"
    few.write_text("Key,Size,Started,Done\nA,S,2024-03-04,2024-03-05\n")
    with pytest.raises(InputError, match="no size with at least 5 items"):
        fit_sizes(few, "Size")


def test_cli_calibrate_with_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = history(tmp_path)
    code = main(
        ["calibrate", str(path), "--until", str(dt.date(2024, 4, 30)), "--size-column", "Size"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert (
        'sizes:\n  "S": {lognormal: {p10: 1, p90: 9}}   # 10 items\n  "M": {fixed: 12}'
        in captured.out
    )
    assert "history.csv:20: Size: skipped: no start date" in captured.err
    assert main(["calibrate", str(path), "--points-column", "Nope"]) == 2
    assert "no 'Nope' column" in capsys.readouterr().err
