"""The decision tools compute without pandas; their tables are built in the results layer.

* ``portfolio_sim.decide`` computes with numpy and plain Python: importing it, running a
  sweep point (the Dask task), the priority rows, the selection estimates and the
  criticality index never import pandas.
* The pandas-free numbers it reads (:mod:`portfolio_sim.results.decide_numbers`) are the
  numbers of the forecast's own tables.
* Dates not reached by the horizon stay NaT / None in every table, and the tables keep
  their columns when empty or unverified.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from portfolio_sim.decide.priorities import compare_priorities
from portfolio_sim.decide.select import select
from portfolio_sim.decide.sensitivity import sensitivity
from portfolio_sim.decide.sweep import HEADLINE_COLUMNS, headline, sweep
from portfolio_sim.forecasting import forecast
from portfolio_sim.results.decide_numbers import feature_columns, portfolio_numbers, team_columns
from portfolio_sim.results.decide_tables import TORNADO_COLUMNS, VERIFIED_COLUMNS
from portfolio_sim.scenario import load_text
from scenario_text import ACME_YAML

#: Nothing can be done by this horizon: every done date is "not done".
TOO_SHORT = """\
name: Too short
start: 2027-01-04
horizon: 2027-01-20
budget: {total: 50000}
teams:
  - {id: web, members: 1, cost_per_member_day: 100}
features:
  - {id: a, team: web, priority: 1, effort: {uniform: [30, 50]}, value: {per_month: 1000}}
  - {id: b, team: web, priority: 2, depends_on: [a], effort: {fixed: 10},
     value: {per_month: 5000}}
"""


def test_decide_computes_without_pandas() -> None:
    code = (
        "import json, sys\n"
        "import portfolio_sim.decide.inputs, portfolio_sim.decide.optimise\n"
        "from portfolio_sim.decide.priorities import priority_rows\n"
        "from portfolio_sim.decide.select import estimate_columns\n"
        "from portfolio_sim.decide.sensitivity import criticality_index\n"
        "from portfolio_sim.decide.sweep import run_point\n"
        "from portfolio_sim.forecasting import forecast\n"
        "from portfolio_sim.scenario import load\n"
        f"path = {str(ACME_YAML)!r}\n"
        "text = open(path, encoding='utf-8').read()\n"
        "point = run_point(text, 'yaml', path, None, {'teams.web.members': 7}, 300, 4)\n"
        "rows = priority_rows(path, trials=200, seed=1)\n"
        "fc = forecast(path, trials=200, seed=1, keep_trials=True)\n"
        "cols, fixed = estimate_columns(load(path), fc)\n"
        "index = criticality_index(fc)\n"
        "assert len(rows) == 2 and len(cols['id']) == len(index) == 3, (rows, cols, index)\n"
        "assert 'pandas' not in sys.modules, 'the decide layer imported pandas'\n"
        "print(json.dumps(point))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    point = json.loads(res.stdout.strip().splitlines()[-1])
    ref = sweep(
        ACME_YAML, {"teams.web.members": [7]}, trials=300, seed=4, local=True, progress=False
    )
    assert list(point) == list(HEADLINE_COLUMNS)
    for k, v in point.items():
        assert v == ref[k].iloc[0], k


def test_numbers_are_the_forecast_tables() -> None:
    fc = forecast(ACME_YAML, trials=500, seed=2)
    frame = fc.portfolio
    numbers = portfolio_numbers(fc)
    assert list(numbers) == list(frame.index)
    for metric, row in numbers.items():
        for col in frame.columns:
            want = frame.loc[metric, col]
            if col not in row:
                assert pd.isna(want), (metric, col)
            elif isinstance(row[col], np.datetime64):
                assert (pd.isna(want) and np.isnat(row[col])) or pd.Timestamp(row[col]) == want
            else:
                assert row[col] == want or (np.isnan(row[col]) and pd.isna(want)), (metric, col)
    for cols, table in ((feature_columns(fc), fc.features), (team_columns(fc), fc.teams)):
        assert list(cols) == list(table.columns)
        for name, values in cols.items():
            dated = isinstance(values, np.ndarray) and values.dtype.kind == "M"
            got = pd.Series(pd.to_datetime(values) if dated else values)
            pd.testing.assert_series_equal(
                got, table[name], check_names=False, check_dtype=False, check_exact=True
            )
    p = frame.loc["finish"]
    head = headline(fc)
    assert head["finish_p50"] == str(p["p50"].date()) and head["finish_p85"] == str(p["p85"].date())
    assert head["npv_mean"] == frame.loc["npv", "mean"]
    assert head["cost_p80"] == frame.loc["cost", "p80"]


@pytest.fixture(scope="module")
def too_short():
    return load_text(TOO_SHORT, "yaml", "short.yaml")


def test_not_done_by_the_horizon_stays_missing(too_short) -> None:
    table = compare_priorities(too_short, trials=100, seed=1)
    assert table["finish_p85"].dtype.kind == "M" and table["finish_p85"].isna().all()
    assert (table["finish_p85_day"] == forecast(too_short, trials=10).compiled.horizon_days).all()
    head = headline(forecast(too_short, trials=100, seed=1))
    assert head["finish_p50"] is None and head["finish_p85"] is None
    assert head["not_done_share"] == 1.0
    result = sensitivity(too_short, trials=100, seed=1)
    assert list(result.table.columns) == list(TORNADO_COLUMNS)
    assert len(result.table) and result.table["finish_p85_low"].isna().all()
    assert result.table["finish_p85_high"].dtype.kind == "M"
    assert result.base["finish_p85"] is None
    assert list(result.criticality.columns) == ["id", "team", "criticality"]


def test_empty_tornado_and_unverified_frontier_keep_their_columns(too_short) -> None:
    result = sensitivity(too_short, trials=50, seed=1, inputs=["no-such-input"])
    assert len(result.table) == 0 and list(result.table.columns) == list(TORNADO_COLUMNS)
    assert "(none)" in result.to_text()
    sel = select(too_short, trials=100, seed=1, budgets=3, verify=False)
    assert list(sel.frontier.columns)[-len(VERIFIED_COLUMNS) :] == list(VERIFIED_COLUMNS)
    assert sel.frontier[list(VERIFIED_COLUMNS)].isna().all().all()
    assert sel.chosen == list(sel.frontier.loc[sel.frontier["budget"] == 50000, "funded"].iloc[0])
    assert list(sel.items.columns) == [
        "id",
        "team",
        "depends_on",
        "expected_size",
        "cost",
        "value_pv",
        "npv_contribution",
        "sd",
    ]
