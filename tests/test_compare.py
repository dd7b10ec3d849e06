"""Comparison of variants: deltas, common random numbers, paired differences, cut line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import portfolio_sim
from portfolio_sim.cli import main
from portfolio_sim.comparing import compare
from portfolio_sim.errors import InputError, ScenarioError
from portfolio_sim.forecasting import forecast

ACME = Path(__file__).parent / "data" / "acme.yaml"
TRIALS = 1500
SEED = 11
VARIANTS = ["hire-two", "no-wallet", "add-team"]


@pytest.fixture(scope="module")
def cmp() -> portfolio_sim.Comparison:
    return compare(ACME, trials=TRIALS, seed=SEED)


@pytest.fixture(scope="module")
def separate() -> dict[str, portfolio_sim.Forecast]:
    """The same forecasts, computed one by one outside :func:`compare`."""
    out = {"base": forecast(ACME, trials=TRIALS, seed=SEED)}
    for name in VARIANTS:
        out[name] = forecast(ACME, trials=TRIALS, seed=SEED, variant=name)
    return out


def test_public_api_and_scenarios(cmp: portfolio_sim.Comparison) -> None:
    # the package binds ``compare`` and ``forecast`` to the functions, whichever comes first
    # (this module imported portfolio_sim.comparing before: no module shadows a function)
    assert portfolio_sim.compare is compare and portfolio_sim.forecast is forecast
    code = (
        "import portfolio_sim as ps; ps.compare; assert callable(ps.forecast); "
        "assert callable(ps.compare); assert 'compare' in ps.__all__"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert cmp.scenarios == ["base", *VARIANTS]
    assert cmp.variants == VARIANTS
    assert cmp.base.variant is None
    assert [cmp.forecasts[v].variant for v in VARIANTS] == VARIANTS
    assert "Comparison(" in repr(cmp)


def _days(a: object, b: object) -> float:
    return float((pd.Timestamp(a) - pd.Timestamp(b)).days)


def test_portfolio_deltas_equal_difference_of_separate_forecasts(
    cmp: portfolio_sim.Comparison, separate: dict[str, portfolio_sim.Forecast]
) -> None:
    port = cmp.portfolio.set_index("scenario")
    b = separate["base"]
    for name, fc in separate.items():
        row = port.loc[name]
        fin, bfin = fc.portfolio.loc["finish"], b.portfolio.loc["finish"]
        assert row["finish_p50"] == fin["p50"]
        assert row["finish_p85"] == fin["p85"]
        assert row["finish_p50_delta_days"] == _days(fin["p50"], bfin["p50"])
        assert row["finish_p85_delta_days"] == _days(fin["p85"], bfin["p85"])
        for col, metric, stat in (
            ("cost_p50", "cost", "p50"),
            ("cost_p80", "cost", "p80"),
            ("npv_mean", "npv", "mean"),
            ("npv_p10", "npv", "p10"),
        ):
            mine = float(fc.portfolio.loc[metric][stat])
            theirs = float(b.portfolio.loc[metric][stat])
            assert row[col] == mine
            assert row[f"{col}_delta"] == mine - theirs
        overrun = fc.budget["overrun_probability"]
        assert row["budget_overrun_probability"] == overrun
        assert row["budget_overrun_probability_delta"] == overrun - b.budget["overrun_probability"]
    assert (port.loc["base", [c for c in port.columns if "delta" in c]] == 0).all()


def test_feature_deltas_equal_difference_of_separate_forecasts(
    cmp: portfolio_sim.Comparison, separate: dict[str, portfolio_sim.Forecast]
) -> None:
    feats = cmp.features
    base = separate["base"].features.set_index("id")
    for name, fc in separate.items():
        mine = feats[feats["scenario"] == name].set_index("id")
        theirs = fc.features.set_index("id")
        assert list(mine.index) == [i for i in base.index if i in theirs.index] + [
            i for i in theirs.index if i not in base.index
        ]
        for fid, r in theirs.iterrows():
            row = mine.loc[fid]
            assert row["p50"] == r["p50"] and row["p85"] == r["p85"]
            if fid in base.index:
                assert row["p50_delta_days"] == _days(r["p50"], base.at[fid, "p50"])
                assert row["p85_delta_days"] == _days(r["p85"], base.at[fid, "p85"])
                dp = r["deadline_probability"] - base.at[fid, "deadline_probability"]
                got = row["deadline_probability_delta"]
                assert (math.isnan(dp) and math.isnan(got)) or got == dp
    # a removed feature has no row in that variant
    assert not ((feats["scenario"] == "no-wallet") & (feats["id"] == "app-wallet")).any()


def test_crn_unchanged_features_identical(cmp: portfolio_sim.Comparison) -> None:
    """Removing app-wallet (mobile) leaves web's features' draws, hence numbers, unchanged;
    moving one-click to a new team leaves payments-api (which runs first) unchanged."""
    base = cmp.base
    idx = {fid: i for i, fid in enumerate(base.compiled.feature_ids)}
    for variant, unchanged in (
        ("no-wallet", ["payments-api", "one-click"]),
        ("add-team", ["payments-api", "app-wallet"]),
    ):
        fc = cmp.forecasts[variant]
        vidx = {fid: i for i, fid in enumerate(fc.compiled.feature_ids)}
        for fid in unchanged:
            assert np.array_equal(base.raw.feat_hist[idx[fid]], fc.raw.feat_hist[vidx[fid]])
            assert base.raw.feat_tsum[idx[fid]] == fc.raw.feat_tsum[vidx[fid]]
        rows = cmp.features[cmp.features["id"].isin(unchanged)]
        rows = rows[rows["scenario"] == variant]
        assert (rows[["p50_delta_days", "p85_delta_days"]] == 0).all().all()
    # a real change does show up
    hire = cmp.features[(cmp.features["scenario"] == "hire-two")]
    assert (hire.set_index("id").loc["payments-api", "p85_delta_days"]) < 0


def test_paired_differences(
    cmp: portfolio_sim.Comparison, separate: dict[str, portfolio_sim.Forecast]
) -> None:
    paired = cmp.paired.set_index("variant")
    port = cmp.portfolio.set_index("scenario")
    b = separate["base"]
    b_day = np.ceil(b.raw.port_t - 1e-9) - 1
    for name in VARIANTS:
        p = paired.loc[name]
        fc = separate[name]
        v_day = np.ceil(fc.raw.port_t - 1e-9) - 1
        assert p["earlier_probability"] == np.mean(v_day < b_day)
        assert p["later_probability"] == np.mean(v_day > b_day)
        total = p["earlier_probability"] + p["same_day_probability"] + p["later_probability"]
        assert total == pytest.approx(1.0)
        assert fc.raw.money is not None and b.raw.money is not None
        d = fc.raw.money[:, 5] - b.raw.money[:, 5]
        assert p["worth_more_probability"] == np.mean(d > 0)
        # mean of paired differences = difference of means
        assert p["npv_delta_mean"] == pytest.approx(port.at[name, "npv_mean_delta"], rel=1e-9)
        assert p["npv_delta_p10"] <= p["npv_delta_p50"] <= p["npv_delta_p90"]
        assert p["cheaper_probability"] == np.mean(fc.raw.money[:, 0] < b.raw.money[:, 0])
    # dropping a whole feature finishes earlier and costs less in every trial
    assert paired.at["no-wallet", "earlier_probability"] == 1.0
    assert paired.at["no-wallet", "cheaper_probability"] == 1.0


def test_cut_line_agrees_with_deadline_probabilities(cmp: portfolio_sim.Comparison) -> None:
    for name, fc in cmp.forecasts.items():
        feats = fc.features.set_index("id")
        for fid, r in feats[feats["deadline"].notna()].iterrows():
            cut = cmp.cut_line(r["deadline"])
            row = cut[(cut["scenario"] == name) & (cut["id"] == fid)].iloc[0]
            assert row["probability"] == pytest.approx(r["deadline_probability"], abs=1e-12)


@pytest.mark.parametrize("scenario", ["base", "hire-two", "no-wallet", "add-team"])
def test_cut_line_agrees_with_percentiles(cmp: portfolio_sim.Comparison, scenario: str) -> None:
    fc = cmp.forecasts[scenario]
    cal = fc.compiled.calendar
    feats = fc.features.set_index("id")
    dates = sorted({d for col in ("p10", "p50", "p85", "p95") for d in feats[col].dropna()})
    # each percentile date, and the working day before it
    targets = dates + [cal.date_of(max(cal.index_on_or_before(d) - 1, 0)) for d in dates]
    for target in targets:
        cut = cmp.cut_line(target)
        cut = cut[cut["scenario"] == scenario].set_index("id")
        t = pd.Timestamp(target)
        for fid, r in feats.iterrows():
            row = cut.loc[fid]
            assert bool(row["at_p50"]) == (not pd.isna(r["p50"]) and r["p50"] <= t)
            assert bool(row["at_p85"]) == (not pd.isna(r["p85"]) and r["p85"] <= t)
            assert bool(row["at_p50"]) == (row["probability"] >= 0.5)
            assert bool(row["at_p85"]) == (row["probability"] >= 0.85)


def test_cut_line_edges(cmp: portfolio_sim.Comparison) -> None:
    before = cmp.cut_line("2026-01-01")
    assert (before["probability"] == 0).all() and not before["at_p50"].any()
    after = cmp.cut_line("2040-01-01")  # past the horizon: "not done" never counts
    assert after["at_p85"].all()
    # the default target is the latest deadline
    assert cmp.target_date == pd.Timestamp("2027-06-30").date()
    assert set(cmp.tables()) >= {"portfolio", "paired", "features", "cut_line", "teams", "months"}


def test_compare_selected_variants_and_scenario_object() -> None:
    scn = portfolio_sim.load(ACME)
    c = compare(scn, variants=["no-wallet"], trials=200, seed=1, cut_line="2027-03-01")
    assert c.scenarios == ["base", "no-wallet"]
    assert c.target_date == pd.Timestamp("2027-03-01").date()
    assert c.meta["scenario_sha256"] is None
    assert list(c.paired["variant"]) == ["no-wallet"]


def test_compare_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError):
        compare(ACME, variants=["nope"], trials=10)
    with pytest.raises(InputError):
        compare(ACME, variants=["no-wallet", "no-wallet"], trials=10)
    with pytest.raises(InputError):
        compare(ACME, variants=["no-wallet"], trials=10, cut_line="not a date")
    plain = tmp_path / "plain.yaml"
    text = ACME.read_text()
    plain.write_text(text[: text.index("variants:")])
    with pytest.raises(InputError, match="no variants"):
        compare(plain, trials=10)


def test_json_document(cmp: portfolio_sim.Comparison) -> None:
    doc = json.loads(cmp.to_json())
    for key in ("scenario", "variant", "trials", "seed", "features", "teams", "months"):
        assert key in doc  # docs/model.md §9 of the base
    assert doc["variant"] is None
    assert set(doc["variants"]) == set(VARIANTS)
    assert doc["variants"]["hire-two"]["variant"] == "hire-two"
    comp = doc["comparison"]
    assert comp["variants"] == VARIANTS
    assert [r["scenario"] for r in comp["portfolio"]] == ["base", *VARIANTS]
    assert comp["cut_line"]["date"] == "2027-06-30"
    assert {r["variant"] for r in comp["paired"]} == set(VARIANTS)
    port = cmp.portfolio.set_index("scenario")
    hire = next(r for r in comp["portfolio"] if r["scenario"] == "hire-two")
    assert hire["finish_p85"] == str(port.at["hire-two", "finish_p85"].date())
    assert hire["npv_mean_delta"] == port.at["hire-two", "npv_mean_delta"]


def test_notebook_and_text(cmp: portfolio_sim.Comparison) -> None:
    html = cmp._repr_html_()
    assert "<table" in html and "hire-two" in html and "earlier_probability" in html
    assert "<table" in cmp.base._repr_html_()
    text = cmp.to_text()
    assert "Finish P50" in text and "Paired with the base" in text
    assert "finish_p50" not in text  # human labels in the terminal, keys in the exports


def test_cli_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = ["compare", str(ACME), "--variants", "hire-two,no-wallet", "--trials", "300"]
    args += ["--seed", "5", "--json", str(out / "c.json"), "--html", str(out / "c.html")]
    args += ["--csv", str(out / "csv"), "--xlsx", str(out / "c.xlsx"), "--cut-line", "2027-03-01"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "hire-two" in printed and "no-wallet" in printed and "add-team" not in printed
    assert "Cut line at 2027-03-01:" in printed  # asked for: in the terminal, not only files
    doc = json.loads((out / "c.json").read_text())
    assert doc["comparison"]["cut_line"]["date"] == "2027-03-01"
    assert doc["provenance"]["seed"] == 5 and doc["provenance"]["trials"] == 300
    assert (out / "c.html").read_text().startswith("<!DOCTYPE html>")
    assert (out / "csv" / "paired.csv").exists() and (out / "c.xlsx").stat().st_size > 0


def test_cli_compare_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(ACME), "--variants", "nope", "--trials", "10"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err
    assert main(["compare", str(ACME), "--trials", "10", "--json", str(ACME)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    missing = tmp_path / "no" / "x.xlsx"
    assert main(["compare", str(ACME), "--trials", "10", "--xlsx", str(missing)]) == 2
