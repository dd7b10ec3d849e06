"""A variant that leaves a reference to a removed feature or team is refused everywhere:
``validate``, ``forecast`` on both engines, and the API (docs/scenario-format.md, variants).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portfolio_sim import forecast
from portfolio_sim.errors import ScenarioError
from portfolio_sim.scenario.checks import validate_data
from scenario_text import BASE

#: ``core`` has two dependents and a risk; the variant removes it and nothing else.
TEXT = (
    BASE.replace("id: a,", "id: core,")
    .replace("depends_on: [a]", "depends_on: [core]")
    .replace(
        "features:\n",
        "risks:\n  - {id: late, probability: 0.5, affects: [core], delay: {fixed: 1}}\nfeatures:\n",
    )
    + "  - {id: ui, team: web, effort: {fixed: 2}, depends_on: [core]}\n"
    + "variants:\n"
    + "  drop-core: [{remove: {features: [core]}}]\n"
)
EXPECTED = [
    "drop.yaml:15: variants.drop-core[0]: removes core, which b and ui depend on",
    "drop.yaml:15: variants.drop-core[0]: removes core, which risk late affects",
]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portfolio_sim", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "drop.yaml"],
        ["forecast", "drop.yaml", "--variant", "drop-core", "--json", "out.json"],
        ["forecast", "drop.yaml", "--json", "out.json"],  # the base too: every variant is checked
    ],
)
def test_cli_refuses_with_exit_2_naming_variant_feature_and_dependents(
    tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "drop.yaml").write_text(TEXT)
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.splitlines() == EXPECTED
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_forecast_refuses_on_both_engines(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "drop.yaml"
    path.write_text(TEXT)
    with pytest.raises(ScenarioError) as info:
        forecast(str(path), trials=10, variant="drop-core", engine=engine)  # type: ignore[arg-type]
    assert [str(p) for p in info.value.problems] == [f"{tmp_path}/{line}" for line in EXPECTED]
    # an in-memory scenario (its variants not checked at load) is refused as well
    from ruamel.yaml import YAML

    base, problems = validate_data(YAML(typ="safe").load(TEXT))
    assert base is not None and problems == []
    with pytest.raises(ScenarioError) as info:
        forecast(base, trials=10, variant="drop-core", engine=engine)  # type: ignore[arg-type]
    assert [str(p) for p in info.value.problems] == [
        line.removeprefix("drop.yaml:15: ") for line in EXPECTED
    ]
