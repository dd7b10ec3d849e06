"""``portfolio-sim validate`` and ``schema``: exit codes, messages, no traceback, no numba."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio_sim.cli import main
from scenario_text import ACME_TOML, ACME_YAML, BASE


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portfolio_sim", *args], capture_output=True, text=True, timeout=120
    )


def test_validate_ok_summary() -> None:
    res = run_cli("validate", str(ACME_YAML))
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    out = res.stdout
    assert f"{ACME_YAML}: valid" in out
    assert "scenario: Acme digital portfolio" in out
    assert "teams:    2 (1 effort, 1 throughput)" in out
    assert "features: 3" in out
    assert "risks:    1" in out
    assert "variants: 3 (hire-two, no-wallet, add-team)" in out
    assert "period:   2027-01-04 .. 2029-12-31" in out


def test_validate_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ACME_TOML), "--variant", "add-team"]) == 0
    out = capsys.readouterr().out
    assert "variant:  add-team" in out and "teams:    3 (2 effort, 1 throughput)" in out


def test_validate_invalid_exit_2_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        BASE.replace("{fixed: 5}}", "{pert: [50, 40, 70]}}", 1)
        .replace("members: 2", "members: -2")
        .replace("depends_on: [a]", "dependson: [a]")
    )
    res = run_cli("validate", str(bad))
    assert res.returncode == 2
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    assert res.stderr.splitlines() == [
        f"{bad}:5: teams[0].members: Input should be greater than or equal to 0 (got -2)",
        f"{bad}:8: features[0].effort.pert: low (50) > mode (40)",
        f"{bad}:9: features[1].dependson: unknown field 'dependson' (did you mean 'depends_on'?)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "does-not-exist.yaml"], "does-not-exist.yaml: file not found"),
        (["validate", str(ACME_YAML), "--variant", "nope"], "unknown variant 'nope'"),
    ],
)
def test_validate_bad_input_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_syntax_error_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "x\n')
    res = run_cli("validate", str(bad))
    assert res.returncode == 2
    assert res.stderr.startswith(f"{bad}:1: invalid TOML")
    assert "Traceback" not in res.stderr


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["validate"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "validate" in capsys.readouterr().out


def test_schema_prints_json_schema() -> None:
    res = run_cli("schema")
    assert res.returncode == 0, res.stderr
    schema = json.loads(res.stdout)
    assert schema["title"] == "Scenario"
    assert {"name", "start", "teams", "features", "risks", "variants"} <= set(schema["properties"])
    assert "variant" not in schema["properties"]
    assert schema["additionalProperties"] is False


def test_validate_does_not_import_numba() -> None:
    code = (
        "import sys\n"
        "from portfolio_sim.cli import main\n"
        f"rc = main(['validate', {str(ACME_YAML)!r}, '--variant', 'hire-two'])\n"
        "assert rc == 0, rc\n"
        "assert 'numba' not in sys.modules, 'validate imported numba'\n"
        "print('light')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("light")


def test_import_portfolio_sim_is_light() -> None:
    code = (
        "import sys, portfolio_sim\n"
        "assert 'numba' not in sys.modules and 'pydantic' not in sys.modules\n"
        "portfolio_sim.load\n"
        "assert 'numba' not in sys.modules\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
