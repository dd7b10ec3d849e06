"""Every bundled scenario validates (with every variant) and forecasts sensibly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario.load import load

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_there_are_bundled_scenarios() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"startup.yaml", "digital-portfolio.yaml", "large-portfolio.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_validates_with_every_variant(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = load(path)
    assert main(["validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out
    for name in scenario.variants:
        assert load(path, variant=name).variant == name
        assert main(["validate", str(path), "--variant", name]) == 0


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_smoke_forecast_base_and_variants(path: Path) -> None:
    scenario = load(path)
    for variant in [None, *scenario.variants]:
        fc = forecast(scenario, trials=300, seed=1, variant=variant)
        port = fc.portfolio
        # Realistic examples finish (mostly) within their horizon and cost something.
        assert port.loc["finish", "not_done_share"] < 0.5
        assert port.loc["cost", "p50"] > 0
        assert np.isfinite(port.loc["npv", "mean"])
        assert fc.features["p50"].notna().mean() > 0.9
        assert len(fc.months) > 0


def test_large_scenario_generator_reproduces_the_committed_file(tmp_path: Path) -> None:
    out = tmp_path / "large.yaml"
    subprocess.run(
        [sys.executable, str(ROOT / "scenarios" / "generate_large.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (ROOT / "scenarios" / "large-portfolio.yaml").read_text()
