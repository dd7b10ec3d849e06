"""Backtests: calibration on a known process, cut-date mechanics, the HTML report, the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from portfolio_sim.cli import main
from portfolio_sim.errors import InputError
from portfolio_sim.history import backtest, calibrate
from portfolio_sim.history.backtest import parse_span
from test_history_calibrate import JIRA, write_history

START = dt.date(2015, 1, 5)  # a Monday


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 teams x 520 weeks; weekly items 0 with probability 0.15, else Poisson(4)."""
    rng = np.random.default_rng(101)
    weeks = 520
    counts = {f"team{j}": rng.poisson(4, weeks) * (rng.random(weeks) < 0.85) for j in range(20)}
    for c in counts.values():
        c[0] = max(c[0], 1)
    path = tmp_path_factory.mktemp("bt") / "history.csv"
    write_history(path, counts, START, seed=1)
    return path


def test_coverage_on_a_known_process(synthetic: Path) -> None:
    """Cuts every 12 weeks with a 12-week horizon: outcome windows do not overlap, so the
    680 outcomes (20 teams x 34 cuts) are independent and the P85 coverage has binomial
    SE sqrt(0.85 * 0.15 / 680) = 0.0137; we allow 3 SE. The plain bootstrap is a little
    optimistic (it ignores the uncertainty of the rate it learnt from n weeks: its spread
    over H weeks is too narrow by about sqrt(1 + H / n)), which at n >= 104 weeks costs at
    most about 0.013 of coverage (normal approximation), so at least 104 weeks of history
    are required. Measured with these seeds: 0.865 (at least) and 0.869 (at or below P85)."""
    cal = calibrate(synthetic, until=START + dt.timedelta(weeks=520, days=-1))
    result = backtest(cal, every="12w", horizon="12w", min_history="104w", trials=2000, seed=1)
    total = result.summary.set_index("team").loc["(all)"]
    assert total["cuts"] == 680
    se = np.sqrt(0.85 * 0.15 / 680)
    assert total["se_85"] == pytest.approx(se)
    assert abs(total["share_ge_at_least_85"] - 0.85) <= 3 * se
    assert abs(total["share_le_p85"] - 0.85) <= 3 * se
    # P50 of a count: P(X <= median) is 0.5 plus up to the median's probability (~0.05).
    assert 0.5 - 3 * 0.019 <= total["share_le_p50"] <= 0.55 + 3 * 0.019
    rel = result.reliability
    assert rel["level"].tolist() == pytest.approx([k / 20 for k in range(1, 20)])
    assert np.all(np.abs(rel["observed"] - rel["level"]) <= 3 * rel["se"] + 0.05)
    assert np.all(np.diff(rel["observed"]) >= 0)


def test_cuts_use_only_the_past(tmp_path: Path) -> None:
    """A team that finishes 1 item a week for 20 weeks, then 5 a week: forecasts made
    before week 20 cannot know; the actual of each cut is the next horizon's items."""
    counts = {"a": np.array([1] * 20 + [5] * 12)}
    path = tmp_path / "step.csv"
    write_history(path, counts, START)
    cal = calibrate(path, until=START + dt.timedelta(weeks=32, days=-1))
    res = backtest(cal, every="4w", horizon="4w", min_history="4w", trials=500)
    table = res.table
    assert table["cut"].tolist() == [START + dt.timedelta(weeks=w) for w in range(4, 29, 4)]
    assert table["history_periods"].tolist() == list(range(4, 29, 4))
    assert table["actual"].tolist() == [4, 4, 4, 4, 20, 20, 20]
    assert table["items_p50"].tolist()[:4] == [4, 4, 4, 4]  # all-ones history: exactly 4
    windowed = backtest(cal, every="4w", horizon="4w", window="4w", min_history="4w", trials=50)
    assert windowed.table["history_periods"].tolist() == [4] * 7
    assert windowed.table["items_p50"].tolist() == [4, 4, 4, 4, 4, 20, 20]


def test_spans_and_errors() -> None:
    assert parse_span("12w", "week", 5, "h") == 12
    assert parse_span("14d", "week", 5, "h") == 2
    assert parse_span("2w", "day", 5, "h") == 10
    assert parse_span(3, "day", 5, "h") == 3
    with pytest.raises(InputError, match="whole weeks"):
        parse_span("10d", "week", 5, "h")
    with pytest.raises(InputError, match="span like"):
        parse_span("soon", "week", 5, "h")
    with pytest.raises(InputError, match="no cut date fits"):
        backtest(JIRA, horizon="12w")
    with pytest.raises(InputError, match="no history for team"):
        backtest(JIRA, teams=["nobody"])


def test_cli_backtest_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "bt.html"
    table = tmp_path / "bt.csv"
    args = ["backtest", str(JIRA), "--every", "1w", "--horizon", "2w", "--min-history", "4w"]
    assert main([*args, "--trials", "1000", "--html", str(html), "--csv", str(table)]) == 0
    captured = capsys.readouterr()
    assert "share_ge_at_least_85" in captured.out and "(all)" in captured.out
    assert f"{JIRA}:6: skipped" in captured.err
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "Reliability" in page
    assert not any(tag in page for tag in ("<script", "src=", "<link", "@import"))  # offline
    assert table.read_text().startswith("team,cut,history_periods,actual")
    assert main([*args, "--html", str(JIRA)]) == 2
    assert main([*args, "--every", "3x"]) == 2
