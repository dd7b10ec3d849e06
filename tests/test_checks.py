"""Whole-scenario checks: each rule names the ids, the field path and the line."""

from __future__ import annotations

import datetime as dt

import pytest

from portfolio_sim.scenario.checks import check, validate_data
from portfolio_sim.scenario.schema import Scenario
from scenario_text import BASE, problems, valid


def test_base_is_valid() -> None:
    s = valid(BASE)
    assert check(s) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "features:\n",
            "  - {id: web, members: 1}\nfeatures:\n",
            "s.yaml:7: teams[2].id: duplicate team id 'web' (also teams[0])",
        ),
        (
            "items: {fixed: 4}}\n",
            "items: {fixed: 4}}\n  - {id: a, team: web, effort: {fixed: 1}}\n",
            "s.yaml:11: features[3].id: duplicate feature id 'a' (also features[0])",
        ),
        (
            "team: web, effort: {fixed: 5}, depends_on",
            "team: wbe, effort: {fixed: 5}, depends_on",
            "s.yaml:9: features[1].team: unknown team 'wbe' (did you mean 'web'?)",
        ),
        (
            "depends_on: [a]",
            "depends_on: [aa]",
            "s.yaml:9: features[1].depends_on[0]: unknown feature 'aa' (did you mean 'a'?)",
        ),
        (
            "depends_on: [a]",
            "depends_on: [a, b]",
            "s.yaml:9: features[1].depends_on[1]: feature 'b' depends on itself",
        ),
        (
            "depends_on: [a]",
            "depends_on: [a, a]",
            "s.yaml:9: features[1].depends_on[1]: feature 'a' is listed twice",
        ),
        (
            "- {id: m, team: mobile, items: {fixed: 4}}",
            "- {id: m, team: mobile, effort: {fixed: 4}}",
            "s.yaml:10: features[2].effort: feature 'm' has effort (person-days) but team "
            "'mobile' is a throughput team: give items instead",
        ),
        (
            "- {id: a, team: web, effort: {fixed: 5}}",
            "- {id: a, team: web, items: {fixed: 5}}",
            "s.yaml:8: features[0].items: feature 'a' has items but team 'web' is an effort "
            "team: give effort (person-days) instead",
        ),
        (
            "samples: [1, 2, 3]",
            "samples: [0, 0, 0]",
            "s.yaml:6: teams[1].throughput.samples: team 'mobile': all throughput samples are "
            "0, so its features can never finish",
        ),
        (
            "samples: [1, 2, 3]",
            "uniform: [0, 0.4]",
            "s.yaml:6: teams[1].throughput.uniform: team 'mobile': every throughput draw rounds "
            "to 0, so its features can never finish",
        ),
        (
            "{id: web, members: 2}",
            "{id: web, members: 0}",
            "s.yaml:5: teams[0].members: team 'web' has no members: its features can never finish",
        ),
        (
            "{id: web, members: 2}",
            "{id: web, members: 2, changes: [{on: 2026-12-01, members: 3}]}",
            "s.yaml:5: teams[0].changes[0].on: staffing change of team 'web' on 2026-12-01 is "
            "before the start (2027-01-04)",
        ),
        (
            "- {id: a, team: web, effort: {fixed: 5}}",
            "- {id: a, team: web, effort: {fixed: 5}, deadline: 2026-06-30}",
            "s.yaml:8: features[0].deadline: deadline (2026-06-30) is before the start (2027-01-04)",
        ),
        (
            "- {id: a, team: web, effort: {fixed: 5}}",
            "- {id: a, team: web, effort: {fixed: 5}, deadline: 2027-03-01, not_before: 2027-04-01}",
            "s.yaml:8: features[0].deadline: deadline (2027-03-01) is before not_before "
            "(2027-04-01): it can never be met",
        ),
        (
            "- {id: a, team: web, effort: {fixed: 5}}",
            "- {id: a, team: web, effort: {fixed: 5}, not_before: 2029-01-01}",
            "s.yaml:8: features[0].not_before: not_before (2029-01-01) is after the horizon "
            "(2028-12-31): the feature could never start",
        ),
    ],
)
def test_rule(old: str, new: str, expected: str) -> None:
    assert old in BASE
    assert problems(BASE.replace(old, new, 1)) == [expected]


def test_team_without_members_but_hiring_later_is_fine() -> None:
    valid(
        BASE.replace("{id: web, members: 2}", "{id: web, changes: [{on: 2027-03-01, members: 2}]}")
    )


def test_team_without_members_and_without_features_is_fine() -> None:
    text = BASE.replace("teams:\n", "teams:\n  - {id: idle}\n")
    valid(text)


def test_deadline_after_horizon_and_not_before_before_start_are_fine() -> None:
    text = BASE.replace(
        "- {id: a, team: web, effort: {fixed: 5}}",
        "- {id: a, team: web, effort: {fixed: 5}, deadline: 2031-01-01, not_before: 2026-01-01}",
    )
    valid(text)


def test_risk_impact_must_match_team_kind() -> None:
    text = BASE + (
        "risks:\n"
        "  - {id: r1, probability: 0.5, affects: [m], extra_effort: {fixed: 2}}\n"
        "  - {id: r2, probability: 0.5, affects: [a], extra_items: {fixed: 2}}\n"
        "  - {id: r3, probability: 0.5, affects: [a, m], delay: {fixed: 2}}\n"
        "  - {id: r1, probability: 0.5, affects: [paymnts], delay: {fixed: 2}}\n"
    )
    assert problems(text) == [
        "s.yaml:15: risks[3].id: duplicate risk id 'r1' (also risks[0])",
        "s.yaml:15: risks[3].affects[0]: unknown feature 'paymnts'",
        "s.yaml:12: risks[0].extra_effort: risk 'r1' has extra_effort but affects feature 'm' "
        "of throughput team 'mobile' (use extra_items)",
        "s.yaml:13: risks[1].extra_items: risk 'r2' has extra_items but affects feature 'a' "
        "of effort team 'web' (use extra_effort)",
    ]


def test_cycle_named_in_order() -> None:
    text = BASE.replace(
        "- {id: a, team: web, effort: {fixed: 5}}",
        "- {id: a, team: web, effort: {fixed: 5}, depends_on: [c]}\n"
        "  - {id: c, team: web, effort: {fixed: 5}, depends_on: [b]}",
    )
    assert problems(text) == [
        "s.yaml:8: features[0].depends_on: dependency cycle: a -> c -> b -> a"
    ]


def test_two_cycles_reported_once_each() -> None:
    text = BASE + (
        "  - {id: x, team: web, effort: {fixed: 1}, depends_on: [y]}\n"
        "  - {id: y, team: web, effort: {fixed: 1}, depends_on: [x, z]}\n"
        "  - {id: z, team: web, effort: {fixed: 1}, depends_on: [y]}\n"
        "  - {id: p, team: mobile, items: {fixed: 1}, depends_on: [q]}\n"
        "  - {id: q, team: mobile, items: {fixed: 1}, depends_on: [p]}\n"
    )
    assert problems(text) == [
        "s.yaml:11: features[3].depends_on: dependency cycle: x -> y -> x",
        "s.yaml:14: features[6].depends_on: dependency cycle: p -> q -> p",
    ]


def test_long_chain_is_not_a_cycle_and_does_not_recurse() -> None:
    n = 3000
    feats = [{"id": "f0", "team": "web", "effort": {"fixed": 1}}]
    feats += [
        {"id": f"f{i}", "team": "web", "effort": {"fixed": 1}, "depends_on": [f"f{i - 1}"]}
        for i in range(1, n)
    ]
    data = {
        "name": "chain",
        "start": dt.date(2027, 1, 4),
        "teams": [{"id": "web", "members": 1}],
        "features": feats,
    }
    scenario, found = validate_data(data)
    assert found == [] and isinstance(scenario, Scenario)
    feats[0]["depends_on"] = [f"f{n - 1}"]
    scenario, found = validate_data(data)
    assert scenario is None
    (p,) = found
    assert p.path == "features[0].depends_on"
    assert p.reason.startswith("dependency cycle: f0 -> f2999 -> f2998")
    assert p.reason.endswith("f1 -> f0")


def test_all_problems_together() -> None:
    text = BASE.replace(
        "team: web, effort: {fixed: 5}, depends_on: [a]",
        "team: wbe, effort: {fixed: 5}, depends_on: [zz]",
    )
    text = text.replace("samples: [1, 2, 3]", "samples: [0]")
    assert len(problems(text)) == 3


def test_validate_data_rejects_non_mapping() -> None:
    scenario, found = validate_data([1, 2])
    assert scenario is None
    assert found[0].reason.endswith("got a list")


def test_reference_errors_come_in_the_same_round_as_schema_errors() -> None:
    """A schema error elsewhere does not hide an unknown team or dependency."""
    text = BASE.replace(
        "{id: a, team: web, effort: {fixed: 5}}", "{id: a, team: wbe, effort: {pert: [3, 2, 1]}}"
    ).replace("depends_on: [a]", "depends_on: [aa]")
    assert problems(text) == [
        "s.yaml:8: features[0].effort.pert: low (3) > mode (2)",
        "s.yaml:8: features[0].team: unknown team 'wbe' (did you mean 'web'?)",
        "s.yaml:9: features[1].depends_on[0]: unknown feature 'aa' (did you mean 'a'?)",
    ]


def test_broken_ids_are_not_reported_as_unknown_references() -> None:
    """When an entry's id cannot be read, references to that kind are not judged (the
    schema error is the one to fix); references to the other kind still are."""
    text = BASE.replace("{id: a, team: web,", "{id: [a], team: wbe,")
    got = problems(text)
    assert any(p.startswith("s.yaml:8: features[0].id:") for p in got), got
    assert not any("unknown feature" in p for p in got), got
    assert "s.yaml:8: features[0].team: unknown team 'wbe' (did you mean 'web'?)" not in got
    text = BASE.replace("{id: web, members: 2}", "{id: web, members: -2}").replace(
        "{id: b, team: web,", "{id: b, team: wbe,"
    )
    got = problems(text)
    assert any(p.startswith("s.yaml:5: teams[0].members:") for p in got), got
    assert "s.yaml:9: features[1].team: unknown team 'wbe' (did you mean 'web'?)" in got
