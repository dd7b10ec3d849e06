""" "How many items by date": exact binomial check, agreement with the engine, the CLI."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.history import how_many
from portfolio_sim.history.howmany import ITEM_COLUMNS, at_least, simulate_items
from portfolio_sim.scenario import load_text
from portfolio_sim.scenario.compile import compile_scenario

COIN = """\
name: coin
start: 2027-01-04
horizon: 2028-12-31
teams:
  - {id: t, throughput: {samples: [0, 2], per: week}}
  - {id: web, members: 2}
features:
  - {id: m, team: t, items: {fixed: 4}}
  - {id: w, team: web, effort: {fixed: 4}}
variants:
  faster: [{set: {teams.t.throughput: {samples: [2, 2], per: week}}}]
"""
TRIALS = 200_000


def _friday(week: int) -> dt.date:
    """The last working day of week ``week`` (1-based) from Monday 2027-01-04."""
    return dt.date(2027, 1, 4) + dt.timedelta(weeks=week - 1, days=4)


def _binom_cdf(n: int) -> np.ndarray:
    return np.cumsum([math.comb(n, k) / 2**n for k in range(n + 1)])


def test_coin_team_matches_the_binomial() -> None:
    """Items by the end of week n are 2 * Binomial(n, 1/2). The exact quantiles are
    compared where the binomial CDF is at least 0.01 away from the level (the Monte Carlo
    CDF has SE <= 0.0012 at 200,000 trials, so 0.01 is > 8 SE); the whole distribution is
    checked with the DKW bound at alpha = 1e-6: eps = sqrt(ln(2e6) / (2 * 200000))."""
    scn = load_text(COIN, "yaml")
    weeks = [1, 4, 9, 16, 25]
    table = how_many(scn, [_friday(n) for n in weeks], trials=TRIALS, seed=7)
    assert list(table.columns) == ["team", "date", "periods", *ITEM_COLUMNS]
    assert table["team"].tolist() == ["t"] * len(weeks)  # throughput teams only
    assert table["periods"].tolist() == weeks
    checked = 0
    for n, row in zip(weeks, table.itertuples(), strict=True):
        cdf = _binom_cdf(n)
        for level, col in [(0.5, "items_p50"), (0.85, "items_at_most_85")]:
            if np.min(np.abs(cdf - level)) > 0.01:
                assert getattr(row, col) == 2 * int(np.argmax(cdf >= level - 1e-12))
                checked += 1
        for level, col in [(0.85, "items_at_least_85"), (0.95, "items_at_least_95")]:
            sf = 1 - np.concatenate([[0.0], cdf[:-1]])  # P(X >= k)
            if np.min(np.abs(sf - level)) > 0.01:
                assert getattr(row, col) == 2 * int(np.max(np.nonzero(sf >= level)[0]))
                checked += 1
        assert row.mean == pytest.approx(n, abs=5 * math.sqrt(n / TRIALS))
    assert checked >= 12
    comp = compile_scenario(scn, 7)
    code, off, n_par = (int(x) for x in comp.tp_dist[0])
    totals = simulate_items(code, off, n_par, comp.pool, int(comp.team_key[0]), [16], TRIALS)
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * TRIALS))
    ecdf = np.array([(totals[:, 0] <= 2 * k).mean() for k in range(17)])
    assert np.max(np.abs(ecdf - _binom_cdf(16))) < eps


def test_by_date_counts_complete_periods_only() -> None:
    table = how_many(
        load_text(COIN, "yaml"),
        ["2026-12-31", "2027-01-07", "2027-01-08", "2027-01-10", "2027-01-11"],
        trials=100,
        seed=1,
        variant="faster",
    )
    # Before the start: nothing. Thursday: week 1 not complete. Friday and the weekend
    # after: 1 week. Monday: still 1 (week 2 ends on Friday the 15th).
    assert table["periods"].tolist() == [0, 0, 1, 1, 1]
    assert table["items_at_least_95"].tolist() == [0, 0, 2, 2, 2]


def test_agrees_with_the_engine() -> None:
    """Same streams as the engine: a lone feature of N items is done by date D in a trial
    exactly when the team's items by D reach N, so the feature's P85 (P95) done date is
    the first period end where ``items_at_least_85`` (``_95``) reaches N."""
    from portfolio_sim.forecasting import forecast

    scn = load_text(
        "name: e\nstart: 2027-01-04\nhorizon: 2028-12-31\n"
        "teams: [{id: t, throughput: {samples: [0, 1, 2, 3, 7]}}]\n"
        "features: [{id: m, team: t, items: {fixed: 30}}]\n",
        "yaml",
    )
    fc = forecast(scn, trials=5000, seed=5)
    table = how_many(scn, [_friday(n) for n in range(1, 41)], trials=5000, seed=5)
    feature = fc.features.set_index("id").loc["m"]
    for p in (85, 95):
        first = table.loc[table[f"items_at_least_{p}"] >= 30, "date"].min()
        assert pd.Timestamp(feature[f"p{p}"]).date() == first


def test_reproducible_and_at_least_direction() -> None:
    scn = load_text(COIN, "yaml")
    a = how_many(scn, "2027-06-30", trials=3000, seed=3)
    b = how_many(scn, ["2027-06-30"], trials=3000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    row = a.iloc[0]
    assert row.items_at_least_95 <= row.items_at_least_85 <= row.items_p50
    assert row.items_p50 <= row.items_at_most_85 <= row.items_at_most_95
    # at_least: the largest n reached by at least p % of values.
    assert at_least(np.array([0, 1, 2, 3]), 75) == 1  # 3 of 4 values are >= 1
    assert at_least(np.array([0, 1, 2, 3]), 76) == 0


def test_errors() -> None:
    scn = load_text(COIN, "yaml")
    with pytest.raises(InputError, match="not throughput teams: web"):
        how_many(scn, "2027-06-30", teams=["web"])
    with pytest.raises(InputError, match="unknown team"):
        how_many(scn, "2027-06-30", teams=["nope"])
    with pytest.raises(InputError, match="expected a date"):
        how_many(scn, "June")
    with pytest.raises(InputError, match="trials"):
        how_many(scn, "2027-06-30", trials=0)


def test_cli_how_many(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "coin.yaml"
    path.write_text(COIN)
    out = tmp_path / "hm.csv"
    args = ["how-many", str(path), "--by", "2027-03-31", "--by", "2027-06-30", "--trials", "2000"]
    assert main([*args, "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "at least (85%)" in text and "2027-06-30" in text
    saved = pd.read_csv(out)
    assert saved["periods"].tolist() == [12, 25]
    assert main(["how-many", str(path)]) == 2
    assert main(["how-many", str(path), "--by", "2027-03-31", "--variant", "nope"]) == 2
    assert main(["how-many", str(path), "--by", "2027-03-31", "--csv", str(path)]) == 2
