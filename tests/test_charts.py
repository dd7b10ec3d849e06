"""Report charts (report/charts.py): what each draws, read from the matplotlib figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.dates import date2num

from portfolio_sim.report import charts

NAT = pd.NaT


def _day(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


FEATURES = pd.DataFrame(
    {
        "id": ["never-done", "only-p10-p50", "full", "censored-tail"],
        "p10": [NAT, _day("2027-01-05"), _day("2027-02-01"), _day("2027-03-01")],
        "p50": [NAT, _day("2027-01-09"), _day("2027-02-15"), _day("2027-04-01")],
        "p85": [NAT, NAT, _day("2027-03-01"), NAT],
        "p95": [NAT, NAT, _day("2027-03-10"), NAT],
        "deadline": [_day("2027-03-01"), NAT, _day("2027-02-20"), NAT],
    }
)


def _num(*days: str) -> list[float]:
    return [float(date2num(np.datetime64(d))) for d in days]


def test_feature_dates_draws_one_bar_per_feature_done_in_some_trial() -> None:
    fig = charts.feature_dates_figure(FEATURES)
    ax = fig.axes[0]
    # Rows bottom-up: the table's last feature is at y = 0, its first at y = 3.
    assert [t.get_text() for t in ax.get_yticklabels()] == list(FEATURES["id"][::-1])
    (bars,) = ax.collections
    segments = sorted((float(s[0, 1]), float(s[0, 0]), float(s[1, 0])) for s in bars.get_segments())
    # never-done (y = 3) has no bar; a bar ends at P95, else P85, else P50.
    assert segments == [
        (0.0, *_num("2027-03-01", "2027-04-01")),
        (1.0, *_num("2027-02-01", "2027-03-10")),
        (2.0, *_num("2027-01-05", "2027-01-09")),
    ]
    p50, p85, deadline = ax.lines
    assert (p50.get_marker(), p85.get_marker(), deadline.get_marker()) == ("|", "|", "v")
    assert sorted(p50.get_ydata()) == [0, 1, 2] and list(p85.get_ydata()) == [1]
    # The never-done feature's deadline is not drawn: there is no bar to read it against.
    assert list(deadline.get_ydata()) == [1]
    plt.close(fig)


def test_feature_dates_without_any_done_feature_or_rows() -> None:
    fig = charts.feature_dates_figure(FEATURES.assign(p10=NAT, p50=NAT))
    assert len(fig.axes[0].collections) == 0 and len(fig.axes[0].lines) == 0
    plt.close(fig)
    assert charts.feature_dates_svg(FEATURES.iloc[:0]).startswith("<svg")
