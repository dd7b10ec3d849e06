"""Finance-grade terminal and CSV output (issue #16): the one number format of
:mod:`portfolio_sim.formatting` in the terminal, machine CSV without exponent notation,
an explained empty selection, and every CLI command on the bundled scenarios."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.cli import main
from portfolio_sim.decide.select import select
from portfolio_sim.results.io import csv_text, plain_float
from portfolio_sim.scenario import load_text

ROOT = Path(__file__).resolve().parents[1]
STARTUP = ROOT / "scenarios" / "startup.yaml"
DIGITAL = ROOT / "scenarios" / "digital-portfolio.yaml"

#: A number in scientific notation, or pandas' repr of a frame / series.
EXPONENT = re.compile(r"\d[eE][+-]\d")
REPR = re.compile(r"\[\d+ rows x \d+ columns\]|dtype: |Name: \w+, ")


def test_plain_float_reads_back_exactly_and_has_no_exponent() -> None:
    rng = np.random.default_rng(4)
    values = np.concatenate([10.0 ** rng.uniform(-12, 17, 500), -(10.0 ** rng.uniform(-9, 15, 50))])
    for v in values.tolist() + [1e-7, 1.5e16, 0.0, 5.0]:
        text = plain_float(v)
        assert "e" not in text.lower() and float(text) == v, (v, text)
    assert plain_float(1e-7) == "0.0000001" and plain_float(1.5e16) == "15000000000000000.0"
    assert plain_float(float("nan")) == ""


def test_csv_text_dates_iso_and_numbers_plain() -> None:
    df = pd.DataFrame(
        {
            "id": ["a", "b"],
            "p50": pd.to_datetime(["2027-03-25", None]),
            "cost_p50": [12345678901234567.0, 0.25],
            "share": [1e-9, 0.5],
            "funded": [["x", "y"], []],
        }
    )
    text = csv_text(df)
    assert text.splitlines() == [
        "id,p50,cost_p50,share,funded",
        "a,2027-03-25,12345678901234568.0,0.000000001,x y",
        "b,,0.25,0.5,",
    ]


SELECT = """\
name: Empty selection
start: 2027-01-04
horizon: 2027-12-31
currency: EUR
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
features:
  - {id: a, team: web, effort: {fixed: 10}, value: {per_month: 5000}}
  - {id: b, team: web, effort: {fixed: 20}}
"""


def test_select_explains_an_empty_recommendation() -> None:
    scn = load_text(SELECT, "yaml", "s.yaml")
    # a: 10 working days x 1 member x EUR 100 = EUR 1,000, the cheapest feature
    sel = select(scn, budget=500, trials=50, seed=1, budgets=[500], verify=False)
    assert sel.chosen == []
    text = sel.to_text()
    assert "fund: \n" not in text + "\n" and not text.rstrip().endswith("fund:")
    assert (
        "At the budget EUR 500 fund nothing: the cheapest feature (a, EUR 1,000) costs more "
        "than the EUR 500 left after the fixed cost EUR 0"
    ) in text


def test_select_explains_when_nothing_pays_back() -> None:
    scn = load_text(SELECT.replace(", value: {per_month: 5000}", ""), "yaml", "s.yaml")
    sel = select(scn, budget=10_000, trials=50, seed=1, budgets=[10_000], verify=False)
    assert sel.chosen == []
    assert "fund nothing: no set of features within the budget" in sel.to_text()


def _commands(tmp: Path) -> list[tuple[str, list[str]]]:
    trials = ["--trials", "200", "--seed", "1"]
    return [
        ("forecast", ["forecast", str(STARTUP), *trials, "--csv", str(tmp / "f")]),
        ("forecast-digital", ["forecast", str(DIGITAL), *trials, "--csv", str(tmp / "d")]),
        (
            "compare",
            ["compare", str(STARTUP), *trials, "--cut-line", "2027-09-01", "--csv", str(tmp / "c")],
        ),
        ("sensitivity", ["sensitivity", str(STARTUP), *trials, "--csv", str(tmp / "s.csv")]),
        ("select", ["select", str(STARTUP), *trials, "--no-verify", "--csv", str(tmp / "x.csv")]),
        ("priorities", ["priorities", str(STARTUP), *trials]),
        (
            "how-many",
            ["how-many", str(DIGITAL), "--by", "2027-06-30", *trials, "--csv", str(tmp / "h.csv")],
        ),
    ]


@pytest.mark.parametrize("index", range(7))
def test_cli_terminal_and_csv_have_no_exponents_or_reprs(
    index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, args = _commands(tmp_path)[index]
    assert main(args) == 0, name
    out = capsys.readouterr().out
    assert out.strip(), name
    assert not EXPONENT.search(out), (name, EXPONENT.search(out))
    assert not REPR.search(out), name
    csvs = sorted(tmp_path.rglob("*.csv"))
    if name != "priorities":
        assert csvs, name
    for path in csvs:
        text = path.read_text()
        assert not EXPONENT.search(text), (path, EXPONENT.search(text))
        # dates are ISO dates without a time part, in every column (provenance's
        # "created" is a timestamp, not a date of the forecast)
        assert path.name == "provenance.csv" or not re.search(r"\d{4}-\d\d-\d\d[ T]\d\d:", text), (
            path
        )
