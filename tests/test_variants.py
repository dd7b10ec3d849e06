"""Variants: set / add / remove applied in order, then validated again."""

from __future__ import annotations

import pytest

from portfolio_sim.errors import ScenarioError
from portfolio_sim.scenario import apply_variant, load, validate_all_variants
from portfolio_sim.scenario.problems import format_path, parse_path
from scenario_text import ACME_YAML, BASE, problems, valid


def with_variants(*lines: str) -> str:
    return BASE + "variants:\n" + "".join(f"  {line}\n" for line in lines)


def test_acme_variants() -> None:
    base = load(ACME_YAML)
    hire = apply_variant(base, "hire-two")
    assert hire.variant == "hire-two" and hire.team("web").members == 8
    assert base.team("web").members == 6 and base.variant is None  # base untouched

    no_wallet = apply_variant(base, "no-wallet")
    assert [f.id for f in no_wallet.features] == ["payments-api", "one-click"]

    add = apply_variant(base, "add-team")
    assert [t.id for t in add.teams] == ["web", "mobile", "web2"]
    assert add.feature("one-click").team == "web2"


def test_apply_to_plain_data() -> None:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(ACME_YAML.read_text())
    assert apply_variant(data, "hire-two").team("web").members == 8


def test_set_paths() -> None:
    text = with_variants(
        "v: [{set: {budget.total: 1000, discount_rate: 0.05, teams.mobile.throughput.samples: [4, 4],",
        "           features.b.effort: {pert: [1, 2, 3]}, teams.web.changes: [{on: 2027-03-01, members: 5}]}},",
        "    {set: {teams.web.changes.0.members: 6}}]",
    )
    s = apply_variant(valid(text), "v")
    assert s.budget is not None and s.budget.total == 1000
    assert s.discount_rate == 0.05
    assert s.team("mobile").throughput is not None
    assert s.team("mobile").throughput.samples == [4, 4]
    assert s.feature("b").size.kind == "pert"
    assert s.team("web").changes[0].members == 6


def test_set_ids_with_dots() -> None:
    text = (
        BASE.replace("id: b,", "id: v1.2,")
        + "variants:\n  v: [{set: {features.v1.2.effort: {fixed: 9}}}]\n"
    )
    s = apply_variant(valid(text), "v")
    assert s.feature("v1.2").size.params == 9


def test_add_and_remove() -> None:
    text = with_variants(
        "v: [{add: {features: [{id: c, team: web, effort: {fixed: 1}, depends_on: [b]}],",
        "           risks: [{id: r2, probability: 0.5, affects: [c], delay: {fixed: 3}}]}},",
        "    {remove: {features: [a], risks: [r]}}, {set: {features.b.depends_on: []}}]",
    ).replace(
        "features:\n",
        "risks:\n  - {id: r, probability: 0.5, affects: [a], delay: {fixed: 1}}\nfeatures:\n",
    )
    base = valid(text)
    s = apply_variant(base, "v")
    assert [f.id for f in s.features] == ["b", "m", "c"]
    assert s.feature("b").depends_on == []
    assert [r.id for r in s.risks] == ["r2"]


#: BASE with a second dependent of ``a`` and a risk on ``a``; variants start on line 14.
DEPENDENTS = (
    BASE.replace(
        "features:\n",
        "risks:\n  - {id: r, probability: 0.5, affects: [a], delay: {fixed: 1}}\nfeatures:\n",
    )
    + "  - {id: c, team: web, effort: {fixed: 2}, depends_on: [b, a]}\nvariants:\n"
)


def test_remove_feature_with_dependents_is_an_error_naming_every_dependent() -> None:
    # docs/model.md §7: removing a feature no longer drops it silently from depends_on
    text = (
        DEPENDENTS + "  drop-a:\n    - set: {teams.web.members: 3}\n    - remove: {features: [a]}\n"
    )
    assert problems(text) == [
        "s.yaml:17: variants.drop-a[1]: removes a, which b and c depend on",
        "s.yaml:17: variants.drop-a[1]: removes a, which risk r affects",
    ]


def test_remove_feature_with_one_dependent_and_two_risks() -> None:
    text = (
        BASE.replace(
            "features:\n",
            "risks:\n  - {id: r, probability: 0.5, affects: [a], delay: {fixed: 1}}\n"
            "  - {id: q, probability: 0.5, affects: [b, a], delay: {fixed: 1}}\nfeatures:\n",
        )
        + "variants:\n  drop-a: [{remove: {features: [a]}}]\n"
    )
    assert problems(text) == [
        "s.yaml:15: variants.drop-a[0]: removes a, which b depends on",
        "s.yaml:15: variants.drop-a[0]: removes a, which risks r and q affect",
    ]


@pytest.mark.parametrize(
    "steps",
    [
        "[{remove: {features: [a, b, c], risks: [r]}}]",  # dependents removed in the same step
        "[{remove: {features: [a]}}, {remove: {features: [b, c], risks: [r]}}]",  # later
        "[{remove: {risks: [r], features: [c, b]}}, {remove: {features: [a]}}]",  # earlier
        # rewired instead of removed
        "[{remove: {features: [a]}}, {set: {features.b.depends_on: [], features.c.depends_on: [b],"
        " risks.r.affects: [c]}}]",
    ],
)
def test_remove_feature_with_its_dependents_removed_or_rewired_is_valid(steps: str) -> None:
    s = apply_variant(valid(DEPENDENTS + f"  v: {steps}\n"), "v")
    assert "a" not in [f.id for f in s.features]
    assert all("a" not in f.depends_on for f in s.features)
    assert all("a" not in r.affects for r in s.risks)


def test_dependency_added_after_the_removal_is_the_add_steps_fault() -> None:
    text = DEPENDENTS + (
        "  v:\n    - remove: {features: [a, b, c], risks: [r]}\n"
        "    - add: {features: [{id: d, team: web, effort: {fixed: 1}, depends_on: [a]}]}\n"
    )
    assert problems(text) == [
        "s.yaml:17: variants.v[1]: features[1].depends_on[0]: unknown feature 'a'"
    ]


def test_remove_team_then_reassign_in_same_variant() -> None:
    text = with_variants(
        "v: [{remove: {teams: [web]}}, {add: {teams: [{id: web2, members: 3}]}},",
        "    {set: {features.a.team: web2, features.b.team: web2}}]",
    )
    s = apply_variant(valid(text), "v")
    assert [t.id for t in s.teams] == ["mobile", "web2"]


def test_remove_team_that_still_has_features_is_an_error() -> None:
    text = with_variants("v: [{remove: {teams: [web]}}]")
    assert problems(text) == [
        "s.yaml:12: variants.v[0]: removes team web, which features a and b belong to"
    ]
    text = with_variants(
        "v: [{remove: {teams: [web]}}, {add: {teams: [{id: web2, members: 3}]}},",
        "    {set: {features.a.team: web2}}]",
    )
    assert problems(text) == [
        "s.yaml:12: variants.v[0]: removes team web, which feature b belongs to"
    ]


def test_add_with_dangling_references_is_an_error_at_the_add_step() -> None:
    text = with_variants(
        "v:",
        "  - set: {teams.web.members: 3}",
        "  - add:",
        "      features: [{id: c, team: web3, effort: {fixed: 1}, depends_on: [zz]}]",
        "      risks: [{id: r2, probability: 0.5, affects: [c, qq], delay: {fixed: 3}}]",
    )
    assert problems(text) == [
        "s.yaml:14: variants.v[1]: features[3].team: unknown team 'web3' (did you mean 'web'?)",
        "s.yaml:14: variants.v[1]: features[3].depends_on[0]: unknown feature 'zz'",
        "s.yaml:14: variants.v[1]: risks[0].affects[1]: unknown feature 'qq'",
    ]


def test_set_with_dangling_references_is_an_error_at_the_set_step() -> None:
    text = DEPENDENTS + (
        "  v:\n    - set: {teams.web.members: 3}\n"
        "    - set: {features.b.depends_on: [aa], features.m.team: mobil, risks.r.affects: [zz]}\n"
    )
    assert problems(text) == [
        "s.yaml:17: variants.v[1]: features[1].depends_on[0]: unknown feature 'aa' (did you mean 'a'?)",
        "s.yaml:17: variants.v[1]: features[2].team: unknown team 'mobil' (did you mean 'mobile'?)",
        "s.yaml:17: variants.v[1]: risks[0].affects[0]: unknown feature 'zz'",
    ]


def test_variant_creating_a_cycle_is_an_error() -> None:
    text = with_variants(
        "loop: [{set: {teams.web.members: 3}}, {set: {features.a.depends_on: [b]}}]"
    )
    assert problems(text) == [
        "s.yaml:12: variants.loop[1]: features[0].depends_on: dependency cycle: a -> b -> a"
    ]


def test_schema_problem_after_set() -> None:
    text = with_variants(
        "v:", "  - {set: {teams.web.members: 3}}", "  - {set: {teams.web.members: -3}}"
    )
    assert problems(text) == [
        "s.yaml:14: variants.v[1]: teams[0].members: Input should be greater than or equal to 0 (got -3)"
    ]


def test_bad_set_paths_name_the_step() -> None:
    text = with_variants(
        "v: [{set: {features.paymnts.team: web, teams.web.members.x: 1, teams.web.changes.4: 1,",
        "           features..team: x}}]",
    )
    assert problems(text) == [
        "s.yaml:12: variants.v[0].set[\"features.paymnts.team\"]: no feature 'paymnts'",
        's.yaml:12: variants.v[0].set["teams.web.members.x"]: invalid path '
        "'teams.web.members.x': 'members' is a value, not a mapping",
        's.yaml:12: variants.v[0].set["teams.web.changes.4"]: invalid path '
        "'teams.web.changes.4': '4' is not an index of a list of 0",
        "s.yaml:13: variants.v[0].set[\"features..team\"]: invalid path 'features..team': empty part",
    ]


def test_remove_unknown_id_suggests() -> None:
    text = with_variants("v:", "  - remove: {features: [bb]}")
    assert problems(text) == [
        "s.yaml:13: variants.v[0].remove.features[0]: no feature 'bb' (did you mean 'b'?)"
    ]


def test_malformed_change() -> None:
    text = with_variants("v: [{sett: {a: 1}}, {set: {a: 1}, add: {teams: []}}, {add: {tems: []}}]")
    assert problems(text) == [
        "s.yaml:12: variants.v[0].sett: unknown field 'sett' (did you mean 'set'?)",
        "s.yaml:12: variants.v[1]: a variant change needs exactly one of set, add, remove",
        "s.yaml:12: variants.v[2].add.tems: Input should be 'teams', 'features' or 'risks' (got 'tems')",
    ]


def test_unknown_variant_lists_available() -> None:
    base = load(ACME_YAML)
    with pytest.raises(ScenarioError) as info:
        apply_variant(base, "hire-too")
    assert str(info.value) == (
        "variants: unknown variant 'hire-too' (did you mean 'hire-two'?); "
        "available: hire-two, no-wallet, add-team"
    )
    with pytest.raises(ScenarioError, match="unknown variant 'x'"):
        load(ACME_YAML, variant="x")


def test_validate_all_variants() -> None:
    assert validate_all_variants(load(ACME_YAML)) == []
    text = with_variants(
        "ok: [{set: {teams.web.members: 3}}]", "bad: [{set: {features.a.team: nope}}]"
    )
    assert problems(text) == ["s.yaml:13: variants.bad[0]: features[0].team: unknown team 'nope'"]


def test_a_variant_may_set_a_field_that_makes_kinds_mismatch() -> None:
    text = with_variants("v: [{set: {features.a.team: mobile}}]")
    (line,) = problems(text)
    assert line.startswith("s.yaml:12: variants.v[0]: features[0].effort: feature 'a' has effort")


def test_variant_field_cannot_be_set() -> None:
    text = with_variants("v: [{set: {variant: other}}]")
    (line,) = problems(text)
    assert line.startswith("s.yaml:12: variants.v[0]: variant: unknown field 'variant'")


@pytest.mark.parametrize(
    "loc",
    [
        ("features", 3, "effort", "pert"),
        ("variants", "hire-two", 0, "set", "teams.web.members"),
        ("variants", 'we"ird: name', 1),
        ("x", "[key]", 0, "a b", "ü"),
    ],
)
def test_paths_round_trip(loc: tuple[str | int, ...]) -> None:
    assert parse_path(format_path(loc)) == list(loc)
    assert parse_path(format_path(loc) + ": features[1].team") == list(loc)
