"""The fast paths behind the CLI's start-up time give the same numbers as the plain ones.

* :func:`sample_percentiles` sorts rows instead of calling ``np.percentile`` on a moved
  axis: the same values, shapes and dtypes, and numpy's own answer for NaN, infinities
  and signed zeros.
* :func:`money.month_bands` (the JSON's monthly bands) equals the months table, which
  equals ``np.percentile`` on the float64 arrays.
* Writing the JSON builds no DataFrame: ``forecast --quiet --json`` never imports pandas,
  and the JSON document is the one the tables give.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.forecasting import forecast
from portfolio_sim.results import money
from portfolio_sim.results.percentiles import sample_percentiles
from scenario_text import ACME_YAML


def _numpy(values: np.ndarray, ps: tuple[float, ...]) -> np.ndarray:
    return np.percentile(values, list(ps), axis=-1, method="inverted_cdf").T


PS = [(10, 50, 90), (50,), (0, 100), (2.5, 97.5, 85, 95, 33.3), (0.001, 99.999), (10, 10)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 99, 100, 101, 1_000, 4_097])
@pytest.mark.parametrize("rows", [None, 1, 3])
def test_sample_percentiles_equal_numpy(n: int, rows: int | None) -> None:
    rng = np.random.default_rng(n)
    shape = (n,) if rows is None else (rows, n)
    samples = [
        rng.normal(size=shape),
        rng.integers(0, 4, size=shape).astype(np.float64),  # many ties
        np.round(rng.exponential(size=shape), 1),
    ]
    for values in samples:
        for ps in PS:
            got, want = sample_percentiles(values, ps), _numpy(values, ps)
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "special", [np.nan, np.inf, -np.inf, -0.0], ids=["nan", "inf", "-inf", "-0"]
)
def test_sample_percentiles_special_values_follow_numpy(special: float) -> None:
    values = np.random.default_rng(1).normal(size=(2, 50))
    values[0, 7] = special
    values[1, :10] = 0.0
    for ps in PS:
        got, want = sample_percentiles(values, ps), _numpy(values, ps)
        np.testing.assert_array_equal(got, want)
        assert (np.signbit(got) == np.signbit(want)).all()


def test_sample_percentiles_other_dtypes_follow_numpy() -> None:
    ints = np.random.default_rng(2).integers(-5, 5, size=(3, 40))
    for values in (ints, ints.astype(np.float32)):
        got, want = sample_percentiles(values, (10, 50, 90)), _numpy(values, (10, 50, 90))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def _raw_with_months(cost: np.ndarray, capex: np.ndarray) -> EngineOutput:
    zeros = np.zeros((1, 2), dtype=np.int64)
    return EngineOutput(
        trials=len(cost),
        feat_hist=zeros,
        feat_tsum=zeros[0],
        team_hist=zeros,
        team_work=zeros[0],
        team_cap=zeros[0],
        port_t=np.zeros(len(cost)),
        month_cost=cost,
        month_capex=capex,
    )


class _Months:
    month_labels = [f"2027-{m:02d}" for m in range(1, 8)]


@pytest.mark.parametrize("block", [1, 3 * 20_000, 1 << 22], ids=["month-by-month", "3", "all"])
@pytest.mark.parametrize("threads", [False, True], ids=["one-thread", "two-threads"])
@pytest.mark.parametrize("trials", [1, 5, 1_000, 20_000])
@pytest.mark.parametrize("special", [None, np.nan, -0.0])
def test_month_bands_equal_numpy_on_float64(
    trials: int,
    special: float | None,
    threads: bool,
    block: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(money, "PARALLEL_BANDS_FROM", 0 if threads else 1 << 62)
    monkeypatch.setattr(money, "BAND_BLOCK", block)  # months transposed per block
    rng = np.random.default_rng(trials)
    n_m = len(_Months.month_labels)
    cost = np.round(rng.gamma(2.0, 1000.0, size=(trials, n_m)), 2).astype(np.float32)
    cost[:, -2:] = 0.0  # months after the plan: all zero
    capex = (cost * rng.uniform(0, 1, size=cost.shape).astype(np.float32)).astype(np.float32)
    if special is not None:
        capex[0, 1] = special
    raw = _raw_with_months(cost, capex)
    bands = money.month_bands(_Months(), raw)
    table = money.months_table(_Months(), raw)
    c64, x64 = cost.astype(np.float64), capex.astype(np.float64)
    arrays = {"cost": c64, "capex": x64, "opex": c64 - x64, "cumulative": np.cumsum(c64, axis=1)}
    for name, arr in arrays.items():
        want = _numpy(arr.T, (10, 50, 90))
        for k, p in enumerate((10, 50, 90)):
            np.testing.assert_array_equal(bands[f"{name}_p{p}"], want[:, k])
            np.testing.assert_array_equal(table[f"{name}_p{p}"].to_numpy(), want[:, k])
        np.testing.assert_array_equal(table[f"{name}_mean"].to_numpy(), arr.mean(axis=0))


def test_json_document_matches_the_tables() -> None:
    fc = forecast(ACME_YAML, trials=2_000, seed=5)
    doc = fc.to_dict()
    feats, teams, months = fc.features, fc.teams, fc.months
    for item, (_, row) in zip(doc["features"], feats.iterrows(), strict=True):
        assert item["id"] == row["id"] and item["team"] == row["team"]
        for p in ("p10", "p50", "p85", "p95"):
            want = None if row[p] is None or row[p] != row[p] else str(row[p].date())
            assert item["finish"][p] == want
        assert item["not_done_share"] == row["not_done_share"]
    for item, (_, row) in zip(doc["teams"], teams.iterrows(), strict=True):
        assert item["cost"]["p50"] == row["cost_p50"] and item["cost"]["mean"] == row["cost_mean"]
    for item, (_, row) in zip(doc["months"], months.iterrows(), strict=True):
        assert item["month"] == row["month"]
        for name in ("cost", "capex", "opex", "cumulative"):
            assert item[name] == {f"p{p}": row[f"{name}_p{p}"] for p in (10, 50, 90)}
    port = fc.portfolio.loc["finish"]
    assert doc["portfolio"]["finish"]["p50"] == str(port["p50"].date())


def test_forecast_json_does_not_import_pandas(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code = (
        "import sys\n"
        "from portfolio_sim.cli import main\n"
        f"rc = main(['forecast', {str(ACME_YAML)!r}, '--trials', '500', '--quiet',"
        f" '--json', {str(out)!r}])\n"
        "assert rc == 0, rc\n"
        "assert 'pandas' not in sys.modules, 'forecast --json imported pandas'\n"
        "assert 'scipy.linalg' not in sys.modules, 'loading the kernels imported scipy.linalg'\n"
        "print('light')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("light")
    doc = json.loads(out.read_text())
    ref = forecast(ACME_YAML, trials=500, seed=0).to_dict()
    doc["provenance"].pop("created")
    ref["provenance"].pop("created")
    assert doc == ref


def test_numba_blas_probe_still_finds_scipy() -> None:
    # The placeholder used while Numba checks for a BLAS leaves the real module loadable.
    pytest.importorskip("scipy")
    code = (
        "import sys\n"
        "from portfolio_sim.jit_cache import _import_arraymath_without_scipy_linalg as f\n"
        "f()\n"
        "import numba.np.arraymath as am\n"
        "assert am._HAVE_BLAS\n"
        "assert 'scipy.linalg.cython_blas' not in sys.modules\n"
        "import scipy.linalg.cython_blas as cb\n"
        "assert hasattr(cb, '__pyx_capi__'), cb\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_cli_sets_up_only_the_command_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from portfolio_sim.cli import _all_commands, _command_name, build_parser, main

    assert _command_name(["--version"]) is None
    assert _command_name(["forecast", "x.yaml", "--trials", "5"]) == "forecast"
    names = {c.name for c in _all_commands()}
    parser = build_parser(only="validate")
    for name in names - {"validate"}:  # still there, without options (validate has them)
        assert parser.parse_args([name]).command == name
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in names)
    assert main(["forecast", "--help"]) == 0
    assert "--trials" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2


# -- YAML without comment gathering ------------------------------------------------------
_TRICKY_YAML = [
    "a: 1 # c\nb: [1, 2, # x\n  3]\nc: {x: 1, y: 2}\n",
    "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
    "- NO\n- on\n- 0o17\n- 1_000\n- 010\n- 1e3\n- .inf\n- 2027-01-04\n- 2027-01-04 10:00:00\n- ~\n",
    "a: 'quoted # not a comment'\nb: \"dq\\tx\"\nc: plain text # comment\n",
    "# only a comment\n",
    "a:\n  - b\n  -   c\n  # comment between\n\n  - d\n",
    "? complex\n: value\n",
    "a: multi\n  line\n  plain\n\n  scalar\n",
    "x: &a [1]\ny: *a\n",
    "\ufeffa: 1\r\nb: 2\r\n",
    "%YAML 1.2\n---\na: NO\n...\n",
]


def _tree_and_lines(text: str, comments: bool) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    load_module = importlib.import_module("portfolio_sim.scenario.load")

    tree = load_module._yaml_loader(comments=comments).load(text)
    lines: list[Any] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, CommentedMap):
            for k in node:
                # key and value line and column; None for keys merged in with <<
                lines.append((path + (k,), node.lc.data.get(k)))
                walk(node[k], path + (k,))
        elif isinstance(node, CommentedSeq):
            for i, v in enumerate(node):
                lines.append((path + (i,), node.lc.data.get(i)))
                walk(v, path + (i,))

    walk(tree, ())
    return load_module._plain(tree, load_module._Budget("x")), lines


@pytest.mark.parametrize(
    "text",
    [p.read_text() for p in sorted(Path(__file__).parents[1].glob("scenarios/*.yaml"))]
    + [ACME_YAML.read_text(), *_TRICKY_YAML],
)
def test_yaml_without_comments_reads_the_same_values_and_lines(text: str) -> None:
    load_module = importlib.import_module("portfolio_sim.scenario.load")

    assert load_module._PLAIN_TEXT_OK(text)
    assert _tree_and_lines(text, comments=False) == _tree_and_lines(text, comments=True)


@pytest.mark.parametrize(
    ("text", "fast"),
    [("a: !!str 1\n", False), ("a: |\n  x\n", False), ("a: >\n  x\n", False), ("a: 1\n", True)],
)
def test_tags_and_block_scalars_take_the_full_loader(text: str, fast: bool) -> None:
    load_module = importlib.import_module("portfolio_sim.scenario.load")

    assert bool(load_module._PLAIN_TEXT_OK(text)) is fast


def test_yaml_syntax_error_reported_by_the_full_loader(tmp_path: Path) -> None:
    # The comment-free scanner words this error differently; the message is the full one.
    from portfolio_sim.errors import ScenarioError
    from portfolio_sim.scenario.load import load

    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nteams: [a\nfeatures: 1\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    (problem,) = err.value.problems
    assert str(problem).startswith(f"{path}:")
    assert problem.line is not None
    assert "invalid YAML" in problem.reason


def test_default_workers_follow_numba_without_starting_its_pool() -> None:
    code = (
        "import numba\n"
        "from numba.np.ufunc import parallel\n"
        "from portfolio_sim.engines.fast import _numba_threads\n"
        "n = _numba_threads()\n"
        "assert not parallel._is_initialized\n"
        "assert n == numba.get_num_threads(), n\n"
        "numba.set_num_threads(1)\n"
        "assert _numba_threads() == 1\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
