"""Loading scenario files: YAML 1.2 / TOML, line numbers, all problems at once."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from pathlib import Path

import pytest

import portfolio_sim
from portfolio_sim.errors import ScenarioError
from portfolio_sim.scenario import Scenario, load, load_text
from portfolio_sim.scenario.schema import HolidayRange
from scenario_text import ACME_TOML, ACME_YAML, BASE, problems, valid


def test_acme_yaml_loads() -> None:
    s = load(ACME_YAML)
    assert s.name == "Acme digital portfolio"
    assert s.variant is None
    assert [t.kind for t in s.teams] == ["effort", "throughput"]
    assert [f.id for f in s.features] == ["payments-api", "one-click", "app-wallet"]
    assert s.features[1].size.kind == "lognormal"
    assert s.features[2].size.params == [40, 60]
    assert s.risks[0].impact_kind == "delay"
    assert s.calendar.holidays[0] == dt.date(2027, 4, 2)
    assert isinstance(s.calendar.holidays[1], HolidayRange)
    assert s.teams[0].changes[0].on == dt.date(2027, 4, 1)
    assert s.horizon_date == dt.date(2029, 12, 31)
    assert list(s.variants) == ["hire-two", "no-wallet", "add-team"]


def test_toml_equals_yaml() -> None:
    assert load(ACME_TOML) == load(ACME_YAML)


def test_top_level_load_is_lazy_export() -> None:
    assert portfolio_sim.load(str(ACME_YAML)) == load(ACME_YAML)
    assert portfolio_sim.ScenarioError is ScenarioError


def test_load_with_variant() -> None:
    s = load(ACME_YAML, variant="hire-two")
    assert s.variant == "hire-two"
    assert s.team("web").members == 8


def test_yaml_12_words_stay_strings() -> None:
    text = BASE.replace("id: web,", "id: NO,").replace("team: web,", "team: NO,")
    text = text.replace("id: a,", "id: on,").replace("depends_on: [a]", "depends_on: [on]")
    text = text.replace("id: m,", "id: yes,")
    s = valid(text)
    assert s.teams[0].id == "NO"
    assert [f.id for f in s.features] == ["on", "b", "yes"]
    assert s.features[1].depends_on == ["on"]


def test_pert_low_above_mode_names_file_line_and_path(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(ACME_YAML.read_text().replace("pert: [20, 35, 70]", "pert: [50, 40, 70]"))
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:16: features[0].effort.pert: low (50) > mode (40)"
    ]
    (p,) = info.value.problems
    assert (p.file, p.line, p.path) == (str(path), 16, "features[0].effort.pert")


def test_every_problem_reported_at_once() -> None:
    text = """\
name: Three errors
start: 2027-01-04
teams:
  - {id: web, members: -1}
features:
  - {id: a, team: web, effort: {pert: [5, 3, 9]}}
  - {id: b, team: web, effort: {fixed: 1}, dependson: [a]}
"""
    assert problems(text) == [
        "s.yaml:4: teams[0].members: Input should be greater than or equal to 0 (got -1)",
        "s.yaml:6: features[0].effort.pert: low (5) > mode (3)",
        "s.yaml:7: features[1].dependson: unknown field 'dependson' (did you mean 'depends_on'?)",
    ]


def test_missing_field_points_at_its_entity() -> None:
    text = BASE.replace("- {id: b, team: web,", "- {id: b,")
    assert problems(text) == ["s.yaml:9: features[1].team: required field missing"]


def test_missing_top_level_field_has_no_line() -> None:
    assert problems(BASE.replace("name: Small\n", "")) == ["s.yaml: name: required field missing"]


def test_block_style_lines() -> None:
    text = (
        BASE + "risks:\n  - id: r\n    probability: 1.5\n    affects: [a]\n    delay: {fixed: 2}\n"
    )
    assert problems(text) == [
        "s.yaml:13: risks[0].probability: Input should be less than or equal to 1 (got 1.5)"
    ]


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_rejected(bad: str) -> None:
    (line,) = problems(BASE.replace("members: 2", f"members: {bad}"))
    assert line.startswith("s.yaml:5: teams[0].members: Input should be a finite number")


def test_nan_in_distribution_rejected() -> None:
    (line,) = problems(BASE.replace("effort: {fixed: 5}}", "effort: {pert: [1, .nan, 3]}}", 1))
    assert line.startswith("s.yaml:8: features[0].effort.pert[1]: Input should be a finite number")


def test_distribution_not_a_mapping() -> None:
    (line,) = problems(BASE.replace("effort: {fixed: 5}}", "effort: 5}", 1))
    assert line.startswith("s.yaml:8: features[0].effort: expected a distribution mapping")


def test_distribution_with_two_keys() -> None:
    (line,) = problems(BASE.replace("{fixed: 5}}", "{fixed: 5, uniform: [1, 2]}}", 1))
    assert line == (
        "s.yaml:8: features[0].effort: a distribution needs exactly one of fixed, uniform, "
        "triangular, pert, lognormal, samples, integers (got fixed, uniform)"
    )


def test_lognormal_p10_above_p90() -> None:
    (line,) = problems(BASE.replace("{fixed: 5}}", "{lognormal: {p10: 9, p90: 3}}}", 1))
    assert line == "s.yaml:8: features[0].effort.lognormal: p10 (9) >= p90 (3)"


def test_horizon_before_start_names_horizon() -> None:
    (line,) = problems(BASE.replace("horizon: 2028-12-31", "horizon: 2026-01-01"))
    assert line == "s.yaml:3: horizon: horizon (2026-01-01) must be after start (2027-01-04)"


def test_holiday_problems_have_clean_paths() -> None:
    text = BASE + "calendar:\n  holidays: [2027-05-01, {from: 2027-06-10, to: 2027-06-01}, xmas]\n"
    assert problems(text) == [
        "s.yaml:12: calendar.holidays[1]: range ends (2027-06-01) before it starts (2027-06-10)",
        "s.yaml:12: calendar.holidays[2]: Input should be a valid date or datetime, "
        "input is too short (got 'xmas')",
    ]


def test_unknown_weekday() -> None:
    (line,) = problems(BASE + "calendar: {workdays: [mon, tues]}\n")
    assert line.startswith("s.yaml:11: calendar.workdays[1]: Input should be 'mon'")


def test_variant_field_in_file_rejected() -> None:
    (line,) = problems(BASE + "variant: hire-two\n")
    assert line.startswith("s.yaml:11: variant: unknown field 'variant'")


def test_yaml_syntax_error_has_line() -> None:
    (line,) = problems(BASE + "risks: [\n  {id: r\n")
    assert line.startswith("s.yaml:") and "invalid YAML" in line
    (line,) = problems("name: x\nname: y\n")
    assert line.startswith("s.yaml:2: invalid YAML") and "duplicate key" in line


def test_impossible_date_is_a_yaml_problem() -> None:
    (line,) = problems(BASE.replace("2027-01-04", "2027-02-30"))
    assert "invalid YAML" in line


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "got empty"),
        ("- a\n- b\n", "got a list"),
        ("just text", "got a str"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, reason: str) -> None:
    (line,) = problems(text)
    assert line.startswith("s.yaml: a scenario must be a mapping") and line.endswith(reason)


def test_alias_bomb_fails_cleanly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
    (line,) = problems("\n".join(lines) + "\n")
    assert "too large" in line


def test_toml_problem_best_effort_line() -> None:
    text = ACME_TOML.read_text().replace("pert = [20, 35, 70]", "pert = [50, 40, 70]")
    assert problems(text, "toml", "acme.toml") == [
        "acme.toml:33: features[0].effort.pert: low (50) > mode (40)"
    ]


def test_toml_syntax_error_has_line() -> None:
    (line,) = problems('name = "x"\nstart = \n', "toml", "s.toml")
    assert line.startswith("s.toml:2: invalid TOML")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load(tmp_path / "missing.yaml")
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ScenarioError, match="directory"):
        load(tmp_path / "dir.yaml")
    (tmp_path / "s.json").write_text("{}")
    with pytest.raises(ScenarioError, match="unsupported file type '.json'"):
        load(tmp_path / "s.json")
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load(tmp_path / "latin.yaml")


def test_extension_is_case_insensitive_and_yml_works(tmp_path: Path) -> None:
    path = tmp_path / "S.YML"
    path.write_text(BASE)
    assert isinstance(load(path), Scenario)


def test_unknown_format() -> None:
    with pytest.raises(ScenarioError, match="unknown format 'json'"):
        load_text("{}", "json")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "members: 2",
            "members: true",
            "s.yaml:5: teams[0].members: expected a number, got a boolean (true)",
        ),
        (
            "effort: {fixed: 5}}",
            "effort: {uniform: [false, 5]}}",
            "s.yaml:8: features[0].effort.uniform: expected a number, got a boolean ([false, 5])",
        ),
    ],
)
def test_booleans_are_not_numbers(old: str, new: str, expected: str) -> None:
    assert problems(BASE.replace(old, new, 1)) == [expected]


def test_boolean_fields_still_take_booleans() -> None:
    s = valid(BASE.replace("effort: {fixed: 5}}", "effort: {fixed: 5}, capitalizable: true}", 1))
    assert s.features[0].capitalizable is True


def test_yaml_11_directive_rejected() -> None:
    assert problems("%YAML 1.1\n---\n" + BASE) == [
        "s.yaml:1: scenario files are YAML 1.2: remove the %YAML 1.1 directive"
    ]
    assert valid("%YAML 1.2\n---\n" + BASE).name == "Small"


def test_toml_variant_problem_line() -> None:
    text = ACME_TOML.read_text().replace('"teams.web.members" = 8', '"teams.web.members" = -8')
    assert problems(text, "toml", "acme.toml") == [
        "acme.toml:59: variants.hire-two[0]: teams[0].members: "
        "Input should be greater than or equal to 0 (got -8)"
    ]


@pytest.mark.parametrize(
    "path",
    sorted(Path(__file__).parents[1].glob("scenarios/*.yaml")) + [ACME_YAML],
    ids=lambda p: p.name,
)
def test_c_parser_reads_the_same_data_as_the_round_trip_loader(path: Path) -> None:
    """The fast path (ruamel's safe loader on its C parser) gives the same plain data,
    types included, as the round-trip loader that also keeps line numbers."""
    loader = importlib.import_module("portfolio_sim.scenario.load")  # the module

    text = path.read_text()
    fast = loader._load_compiled(text)
    assert fast is not loader._NOT_LOADED  # ruamel.yaml.clib is a dependency
    slow = loader._yaml_loader().load(text)

    def plain(x: object) -> object:
        return loader._plain(x, loader._Budget(str(path)))

    def same(a: object, b: object) -> bool:
        if type(a) is not type(b):
            return False
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return bool(a == b) or isinstance(a, float | dt.date) and a != a and b != b

    assert same(plain(fast), plain(slow))


def test_without_the_c_parser_the_round_trip_loader_reads_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loader = importlib.import_module("portfolio_sim.scenario.load")  # the module

    monkeypatch.setitem(sys.modules, "_ruamel_yaml", None)  # import now fails
    text = ACME_YAML.read_text()
    assert loader._load_compiled(text) is loader._NOT_LOADED
    assert load_text(text, "yaml").name == load(ACME_YAML).name


REUSED_ANCHOR = """\
name: reused anchor
start: 2027-01-04
horizon: 2027-06-30
teams:
  - {id: web, members: 2, cost_per_member_day: &rate 500}
  - {id: api, members: 1, cost_per_member_day: &rate 700}
  - {id: ops, members: 1, cost_per_member_day: *rate}
features:
  - {id: f1, team: web, effort: {fixed: 5}}
"""


@pytest.mark.parametrize("with_error", [False, True])
def test_reused_anchor_is_valid_yaml_12_and_loads_quietly(
    with_error: bool, recwarn: pytest.WarningsRecorder
) -> None:
    """YAML 1.2: an alias refers to the latest node with its anchor. ruamel.yaml warns
    on reuse; a scenario author must not see that warning (also not while a line number
    is looked up for a problem)."""
    text = REUSED_ANCHOR.replace("{fixed: 5}", "{fixed: -5}") if with_error else REUSED_ANCHOR
    if with_error:
        with pytest.raises(ScenarioError) as err:
            load_text(text, "yaml", "anchors.yaml")
        assert err.value.problems[0].line == 9
    else:
        scn = load_text(text, "yaml", "anchors.yaml")
        assert [t.cost_per_member_day for t in scn.teams] == [500, 700, 700]
    assert [str(w.message) for w in recwarn.list] == []
