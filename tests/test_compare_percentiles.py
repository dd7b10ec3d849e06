"""Chosen percentile levels on ``compare`` and the scenario's ``report.percentiles``
default (issue #16; docs/model.md §0.4, §7.4; docs/outputs.md).

Exact cases: with ``{fixed: x}`` efforts every trial is the same, so every level is the
same hand-computed date and amount. Calendar Mon-Fri from Monday 2027-01-04 (working day
0). Base: 10 person-days by 1 member -> t = 10, done on working day 9 = Fri 2027-01-15,
paid days 0..9 x 100 = 1000. Variant ``two`` (2 members): t = 5, done on working day 4 =
Fri 2027-01-08, 5 days x 2 x 100 = 1000; 7 calendar days earlier.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portfolio_sim import codes
from portfolio_sim.cli import main
from portfolio_sim.comparing import compare
from portfolio_sim.errors import ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import load_text
from test_browser_report import CHROMIUM, render

SCENARIO = """\
name: Fixed
start: 2027-01-04
horizon: 2027-12-31
budget: {total: 1500}
calendar: {workdays: [mon, tue, wed, thu, fri]}
teams: [{id: web, members: 1, cost_per_member_day: 100}]
features:
  - {id: a, team: web, effort: {fixed: 10}, deadline: 2027-01-20, value: {per_month: 1000}}
variants:
  two: [{set: {teams.web.members: 2}}]
"""
ACME = Path(__file__).parent / "data" / "acme.yaml"
BASE_DONE, TWO_DONE = "2027-01-15", "2027-01-08"


def _write(tmp: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


# -- the API ------------------------------------------------------------------------------
def test_compare_tables_at_chosen_levels_exact() -> None:
    cmp = compare(load_text(SCENARIO, "yaml"), trials=20, seed=3, percentiles=(50, 80, 90))
    port = cmp.portfolio.set_index("scenario")
    keys = ["p50", "p80", "p90"]
    for k in keys:
        assert str(port.at["base", f"finish_{k}"].date()) == BASE_DONE
        assert str(port.at["two", f"finish_{k}"].date()) == TWO_DONE
        assert port.at["two", f"finish_{k}_delta_days"] == -7
        assert port.at["base", f"cost_{k}"] == port.at["two", f"cost_{k}"] == 1000.0
        assert f"npv_{k}" in port.columns
    assert not [c for c in port.columns if "p85" in c or "p10" in c]
    feats = cmp.features
    assert [c for c in feats.columns if re.fullmatch(r"p\d+", c)] == keys
    assert (feats[feats["scenario"] == "two"]["p80_delta_days"] == -7).all()
    assert list(cmp.paired.columns[7:10]) == ["npv_delta_p50", "npv_delta_p80", "npv_delta_p90"]
    cut = cmp.cut_line("2027-01-12")  # the variant is done by then, the base is not
    assert [c for c in cut.columns if c.startswith("at_")] == ["at_p50", "at_p80", "at_p90"]
    assert cut.set_index("scenario")[["at_p50", "at_p80", "at_p90"]].to_dict("index") == {
        "base": dict.fromkeys(["at_p50", "at_p80", "at_p90"], False),
        "two": dict.fromkeys(["at_p50", "at_p80", "at_p90"], True),
    }


def test_compare_default_levels_unchanged() -> None:
    cmp = compare(load_text(SCENARIO, "yaml"), trials=20, seed=3)
    assert list(cmp.portfolio.columns[1:9]) == [
        "finish_p50",
        "finish_p85",
        "not_done_share",
        "cost_p50",
        "cost_p80",
        "npv_mean",
        "npv_p10",
        "budget_overrun_probability",
    ]
    assert [c for c in cmp.cut_line().columns if c.startswith("at_")] == ["at_p50", "at_p85"]
    assert [c for c in cmp.paired.columns if c.startswith("npv_delta_p")] == [
        "npv_delta_p10",
        "npv_delta_p50",
        "npv_delta_p90",
    ]


def test_cut_line_and_paired_at_decimal_levels_match_their_definitions() -> None:
    """On a stochastic portfolio: ``at_pL`` is "the feature's PL date is on or before the
    target" and "at least L % of trials done by then"; the paired NPV delta at L is the
    inverted-CDF percentile of the per-trial differences (numpy's own rule)."""
    levels = (30, 80, 97.5)
    cmp = compare(ACME, trials=300, seed=5, percentiles=levels)
    feats = cmp.features
    dates = sorted({d for k in ("p30", "p80", "p97_5") for d in feats[k].dropna()})
    target = dates[len(dates) // 2]
    cut = cmp.cut_line(target)
    t = pd.Timestamp(target)
    for _, row in cut.iterrows():
        for p in levels:
            k = "p" + str(p).replace(".", "_")
            assert bool(row[f"at_{k}"]) == (not pd.isna(row[k]) and row[k] <= t)
            assert bool(row[f"at_{k}"]) == (row["probability"] * 100 >= p - 1e-9)
    assert cut[["at_p30", "at_p97_5"]].to_numpy().any()  # the target splits some rows
    base_npv = cmp.base.raw.money[:, codes.MONEY_NPV]
    for name in cmp.variants:
        d = cmp.forecasts[name].raw.money[:, codes.MONEY_NPV] - base_npv
        want = np.percentile(d, levels, method="inverted_cdf")
        row = cmp.paired.set_index("variant").loc[name]
        got = [row["npv_delta_p30"], row["npv_delta_p80"], row["npv_delta_p97_5"]]
        assert got == pytest.approx(want, rel=0, abs=0)


# -- the CLI: every output ------------------------------------------------------------------
def test_cli_compare_percentiles_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scn = _write(tmp_path, SCENARIO)
    out, html, folder = tmp_path / "c.json", tmp_path / "c.html", tmp_path / "csv"
    args = ["compare", str(scn), "--trials", "30", "--percentiles", "50,80,90"]
    args += ["--cut-line", "2027-01-12", "--json", str(out), "--html", str(html)]
    assert main([*args, "--csv", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "Finish P80" in text and "Finish P90" in text and "NPV delta P90" in text
    assert "Makes it at P80" in text and "Makes it at P90" in text
    assert "P85" not in text and "P10" not in text
    doc = json.loads(out.read_text())
    comparison = json.dumps(doc["comparison"])
    assert "p85" not in comparison and '"finish_p80": "2027-01-15"' in comparison
    assert doc["comparison"]["portfolio"][1]["finish_p90"] == TWO_DONE
    assert list(doc["variants"]["two"]["portfolio"]["finish"]) == ["p50", "p80", "p90"]
    headers = {}
    for name in ("portfolio", "features", "paired", "cut_line", "teams"):
        with (folder / f"{name}.csv").open() as f:
            headers[name] = next(csv.reader(f))
    assert "finish_p80" in headers["portfolio"] and "cost_p90" in headers["portfolio"]
    assert {"p80", "p90_delta_days"} <= set(headers["features"])
    assert "at_p90" in headers["cut_line"] and "npv_delta_p80" in headers["paired"]
    assert not [h for hs in headers.values() for h in hs if "p85" in h]
    page = html.read_text()
    visible = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    for heading in ("Done P80", "Done P90", "Cost P90", "NPV P80", "At P90", "Δ NPV P90"):
        assert f">{heading}<" in visible, heading
    assert "P85" not in page  # neither in the tables nor in the charts' text
    assert "P50 (|), P80 (x), P90 (+)" in page  # the dates chart's title names the marks


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_compare_report_with_chosen_levels_in_browser(tmp_path: Path) -> None:
    """The report at 1280 px with three decimal-free and one decimal level: no table cut
    off, no wrapped date, every money cell in the money format, no console error."""
    cmp = compare(ACME, trials=300, seed=2, percentiles=(50, 80, 90, 97.5))
    path = tmp_path / "compare.html"
    cmp.to_html(str(path))
    page = render(path, tmp_path)
    assert page.errors == [] and page.failed == []
    layout = page.layout
    assert layout["clipped"] == [] and not layout["pageScrolls"]
    assert layout["dateCells"] > 0 and layout["wrapped"] == []
    assert layout["moneyCells"] > 0 and layout["badMoney"] == []
    port = cmp.portfolio.set_index("scenario")
    for name in cmp.scenarios:
        assert str(port.at[name, "finish_p97_5"].date()) in page.text
    assert "Done P97.5" in page.text and "P85" not in page.text
    assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000


# -- report.percentiles in the scenario file ------------------------------------------------
WITH_REPORT = SCENARIO + "report: {percentiles: [50, 80, 90]}\n"


def test_file_default_and_overrides_api() -> None:
    scn = load_text(WITH_REPORT, "yaml")
    assert list(forecast(scn, trials=10).to_dict()["portfolio"]["finish"]) == ["p50", "p80", "p90"]
    got = forecast(scn, trials=10, percentiles=(60, 70)).to_dict()["portfolio"]["finish"]
    assert got == {"p60": BASE_DONE, "p70": BASE_DONE}
    builtin = forecast(scn, trials=10, percentiles="default").to_dict()["portfolio"]["finish"]
    assert list(builtin) == ["p10", "p50", "p85", "p95"]
    cmp = compare(scn, trials=10)
    assert cmp.percentiles == (50, 80, 90) and "finish_p90" in cmp.portfolio.columns
    cmp = compare(scn, trials=10, percentiles=(70,))
    assert [c for c in cmp.portfolio.columns if c.startswith("finish_p")] == [
        "finish_p70",
        "finish_p70_delta_days",
    ]


def test_file_default_and_cli_override(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text(
        'name = "Fixed"\nstart = 2027-01-04\nhorizon = 2027-12-31\n'
        '[[teams]]\nid = "web"\nmembers = 1\ncost_per_member_day = 100\n'
        '[[features]]\nid = "a"\nteam = "web"\neffort = {fixed = 10}\n'
        "[report]\npercentiles = [50, 80, 90]\n"
    )
    yaml = _write(tmp_path, WITH_REPORT)
    out = tmp_path / "o.json"
    for scn in (toml, yaml):
        assert main(["forecast", str(scn), "--trials", "10", "--quiet", "--json", str(out)]) == 0
        assert json.loads(out.read_text())["portfolio"]["finish"] == dict.fromkeys(
            ["p50", "p80", "p90"], BASE_DONE
        )
    args = ["--trials", "10", "--quiet", "--json", str(out)]
    assert main(["compare", str(yaml), *args]) == 0
    assert "finish_p80" in json.loads(out.read_text())["comparison"]["portfolio"][0]
    assert main(["compare", str(yaml), *args, "--percentiles", "60"]) == 0
    row = json.loads(out.read_text())["comparison"]["portfolio"][0]
    assert "finish_p60" in row and "finish_p80" not in row
    assert main(["forecast", str(yaml), *args, "--percentiles", "60"]) == 0
    assert list(json.loads(out.read_text())["portfolio"]["finish"]) == ["p60"]


@pytest.mark.parametrize(
    "argv",
    [
        ["priorities"],
        ["sweep", "--set", "teams.web.members=1,2"],
        ["select", "--budget", "5000", "--no-verify"],
        ["sensitivity"],
    ],
    ids=lambda a: a[0],
)
def test_decision_tools_keep_their_levels_with_a_file_default(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They read finish P85, cost P80 and NPV P10 of their forecasts: a file whose
    report.percentiles leaves those out must not break them (docs/model.md §0.4)."""
    scn = _write(
        tmp_path, WITH_REPORT.replace("effort: {fixed: 10}", "effort: {pert: [5, 10, 20]}")
    )
    assert main([argv[0], str(scn), *argv[1:], "--trials", "50"]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("report", "where", "reason"),
    [
        ("  percentiles: [50, 80, 80]\n", "report.percentiles", "level 80 is listed twice"),
        ("  percentiles: [50, 90, 80]\n", "report.percentiles", "increasing order (80 after 90)"),
        ("  percentiles:\n    - 50\n    - 100\n", "report.percentiles[1]", "less than 100"),
        ("  percentiles:\n    - 0\n    - 50\n", "report.percentiles[0]", "greater than 0"),
        ("  percentiles: []\n", "report.percentiles", "at least 1"),
        ("  percentiles: [50, x]\n", "report.percentiles[1]", "number"),
        ("  percentiles: [true]\n", "report.percentiles", "boolean"),
        ("  percentile: [50]\n", "report.percentile", "unknown field"),
    ],
)
def test_bad_report_block_file_line_exit_2(
    report: str, where: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SCENARIO + "report:\n" + report
    scn = _write(tmp_path, text)
    out = tmp_path / "out.json"
    out.write_text("keep")
    for command in ("forecast", "compare", "validate"):
        extra = [] if command == "validate" else ["--json", str(out)]
        assert main([command, str(scn), *extra]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = [ln for ln in err.splitlines() if f": {where}:" in ln]
        assert lines, err
        # the line of the offending entry: the list item for [i], else the key's line
        key_line = text.splitlines().index(report.splitlines()[0]) + 1
        if where.endswith("]"):
            item = int(where[-2])
            want = key_line + 1 + item if report.count("\n") > 1 else key_line
        else:
            want = key_line
        assert lines[0].startswith(f"{scn}:{want}: {where}: "), (lines[0], want)
        assert reason in lines[0]
        assert out.read_text() == "keep"


def test_variant_cannot_set_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = WITH_REPORT + "  # a variant that changes the report levels\n"
    text = text.replace(
        "  two: [{set: {teams.web.members: 2}}]",
        "  two: [{set: {teams.web.members: 2}}]\n  finance: [{set: {report.percentiles: [80]}}]",
    )
    scn = _write(tmp_path, text)
    assert main(["validate", str(scn)]) == 2
    err = capsys.readouterr().err
    line = text.splitlines().index("  finance: [{set: {report.percentiles: [80]}}]") + 1
    assert f'{scn}:{line}: variants.finance[0].set["report.percentiles"]: a variant cannot' in err
    with pytest.raises(ScenarioError):
        load_text(text, "yaml")
