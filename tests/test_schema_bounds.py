"""Sane bounds where a bound is certain (issue #13): absurd numbers are FILE:LINE errors,
unusual but legal ones load."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_sim.cli import main
from scenario_text import BASE, problems, valid

#: BASE with money on team web and a value on feature a (lines 5 and 8).
MONEY = BASE.replace("members: 2}", "members: 2, cost_per_member_day: 500}").replace(
    "effort: {fixed: 5}}", "effort: {fixed: 5}, value: {per_month: 1000}}", 1
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "members: 2,",
            "members: 100000000000,",
            "s.yaml:5: teams[0].members: Input should be less than or equal to 100000 (got 100000000000)",
        ),
        (
            "members: 2,",
            "members: 2, changes: [{on: 2027-02-01, members: 200000}],",
            "s.yaml:5: teams[0].changes[0].members: Input should be less than or equal to 100000 (got 200000)",
        ),
        (
            "members: 2,",
            "members: 2, wip_limit: 100000000000000000000,",
            "s.yaml:5: teams[0].wip_limit: Input should be less than or equal to 1000000 (got 100000000000000000000)",
        ),
        (
            "cost_per_member_day: 500",
            "cost_per_member_day: 1e300",
            "s.yaml:5: teams[0].cost_per_member_day: Input should be less than or equal to 1000000000000000 (got 1e+300)",
        ),
        (
            "{fixed: 5}, value",
            "{pert: [10, 20, 1e300]}, value",
            "s.yaml:8: features[0].effort.pert: value 1e+300 is too large (at most 1e+15; no estimate is that big)",
        ),
        (
            "{fixed: 5}, value",
            "{lognormal: {p10: 1, p90: 1e20}}, value",
            "s.yaml:8: features[0].effort.lognormal: value 1e+20 is too large (at most 1e+15; no estimate is that big)",
        ),
        (
            "{fixed: 5}, value",
            "{fixed: 1e16}, value",
            "s.yaml:8: features[0].effort.fixed: value 1e+16 is too large (at most 1e+15; no estimate is that big)",
        ),
        (
            "samples: [1, 2, 3]",
            "samples: [1, 2e300]",
            "s.yaml:6: teams[1].throughput.samples: value 2e+300 is too large (at most 1e+15; no estimate is that big)",
        ),
        (
            "per_month: 1000",
            "per_month: 1e300",
            "s.yaml:8: features[0].value.per_month: Input should be less than or equal to 1000000000000000 (got 1e+300)",
        ),
        (
            "name: Small",
            "name: Small\nbudget: {quarters: {2027-Q1: 1e300}}",
            "s.yaml:2: budget.quarters: quarter 2027-Q1 amount is too large (at most 1e+15)",
        ),
    ],
)
def test_absurd_numbers_are_errors(old: str, new: str, expected: str) -> None:
    assert old in MONEY
    assert problems(MONEY.replace(old, new, 1)) == [expected]


def test_unusual_but_legal_numbers_load() -> None:
    text = (
        MONEY.replace(
            "members: 2,",
            "members: 100000, wip_limit: 1000, changes: [{on: 2027-02-01, members: 0.5}],",
        )
        .replace("{fixed: 5}, value", "{pert: [10, 20, 1000000000000000]}, value")
        .replace("per_month: 1000", "per_month: 1e15")
        .replace("name: Small", "name: Small\nbudget: {total: 0, quarters: {2027-Q1: 0}}")
    )
    s = valid(text)
    assert s.team("web").members == 100_000 and s.feature("a").size.params[2] == 1e15


def test_cli_validate_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MONEY.replace("members: 2,", "members: 100000000000,"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{bad}:5: teams[0].members: Input should be less than or equal to 100000 (got 100000000000)"
    ]
