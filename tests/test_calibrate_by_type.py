"""``calibrate --by COLUMN``: per-type throughput samples (docs/model.md §2.10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.history.by_type import calibrate_by

CSV = Path(__file__).parent / "data" / "history_by_type.csv"

# Weeks (Mon-Fri) from Mon 2027-01-04; the last done date, Tue 01-26, makes the week of
# 01-18 the last complete one (the api item of 01-26 is excluded).
#   week 0 (01-04..08): web Story, Bug, story            -> web 3 = Story 2 + Bug 1
#   week 1 (01-11..15): web Story; api Story              -> web 1 = Story 1; api 1 = Story 1
#   week 2 (01-18..22): web Bug, Bug, (blank type)        -> web 3 = Bug 2 (+1 in no type)
# api's periods start at its first item (week 1): api [1, 0].


def test_samples_split_by_type_hand_computed() -> None:
    cal, split = calibrate_by(CSV, "Issue Type")
    assert cal.samples("web") == [3, 1, 3]
    assert cal.samples("api") == [1, 0]
    assert split.types == ["Story", "Bug"]  # first spelling seen; "story" is the same type
    assert split.counts == {
        "web": {"Story": [2, 1, 0], "Bug": [1, 0, 2]},
        "api": {"Story": [1, 0], "Bug": [0, 0]},
    }
    assert split.notes == ["1 rows with a blank 'Issue Type' are in no type"]


def test_unknown_by_column_and_types_combination_are_errors() -> None:
    with pytest.raises(InputError, match="no column 'Label'"):
        calibrate_by(CSV, "Label")
    with pytest.raises(InputError, match="cannot be combined"):
        calibrate_by(CSV, "Issue Type", types=["story"])


def test_cli_calibrate_by(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", str(CSV), "--by", "issue type"]) == 0
    out = capsys.readouterr().out
    # The per-type counts are the team's by_type, which the engines read (§2.10).
    assert (
        'throughput: {samples: [3, 1, 3], per: week, by_type: {"Story": [2, 1, 0], '
        '"Bug": [1, 0, 2]}}' in out
    )
    assert "# note: 1 rows with a blank 'issue type' are in no type" in out
    assert main(["calibrate", str(CSV), "--by", "Label"]) == 2
    assert "no column 'Label'" in capsys.readouterr().err
