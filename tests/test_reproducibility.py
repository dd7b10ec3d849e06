"""Reproducibility (docs/model.md §8) and common random numbers (docs/model.md §7).

The same scenario, trials and seed give identical numbers whatever the number of
workers, threads, processes or batches; and every random quantity is keyed by
(seed, trial, entity id), so removing or adding an unrelated entity leaves every other
entity's draws, and the schedule of teams it does not touch, unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portfolio_sim.engines.fast import run_fast
from portfolio_sim.engines.output import EngineOutput
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import Scenario, load_text
from portfolio_sim.scenario.compile import CompiledScenario, compile_scenario
from portfolio_sim.scenario.expand import engine_view
from portfolio_sim.scenario.load import load

ROOT = Path(__file__).parent.parent
DIGITAL = ROOT / "scenarios" / "digital-portfolio.yaml"
TRIALS = 5000
SEED = 7


@cache
def digital() -> Scenario:
    return load(DIGITAL)


@cache
def compiled(seed: int = SEED) -> CompiledScenario:
    return compile_scenario(digital(), seed)


def assert_same_output(a: EngineOutput, b: EngineOutput) -> None:
    """Every field equal, arrays bit for bit."""
    for f in dataclasses.fields(EngineOutput):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None and y is not None, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                np.testing.assert_array_equal(x[k], y[k], err_msg=f"{f.name}[{k}]")
        else:
            assert x == y, f.name


@cache
def reference() -> EngineOutput:
    return run_fast(compiled(), TRIALS, keep_trials=True, workers=1)


def test_reference_is_not_trivial() -> None:
    # Guard: the comparisons below are meaningful only if trials differ from each other.
    ref = reference()
    assert ref.done is not None
    assert len(np.unique(ref.port_t)) > TRIALS // 10
    assert (ref.feat_hist.sum(axis=1) == TRIALS).all()
    assert ref.events > 0


@pytest.mark.parametrize("workers", [2, 7])
def test_workers_do_not_change_results(workers: int) -> None:
    out = run_fast(compiled(), TRIALS, keep_trials=True, workers=workers)
    assert_same_output(reference(), out)


@pytest.mark.parametrize(("batch", "workers"), [(1000, 1), (777, 3)])
def test_batches_do_not_change_results(batch: int, workers: int) -> None:
    out = run_fast(compiled(), TRIALS, keep_trials=True, batch=batch, workers=workers)
    assert_same_output(reference(), out)


def test_progress_batches_do_not_change_results() -> None:
    seen: list[tuple[int, int]] = []
    out = run_fast(
        compiled(),
        TRIALS,
        keep_trials=True,
        batch=1234,
        progress=lambda d, n: seen.append((d, n)),
    )
    assert seen == [(1234, TRIALS), (2468, TRIALS), (3702, TRIALS), (4936, TRIALS), (5000, TRIALS)]
    assert_same_output(reference(), out)


def test_keep_trials_does_not_change_aggregates() -> None:
    out = run_fast(compiled(), TRIALS, keep_trials=False, workers=3)
    assert out.done is None and out.start is None and out.size is None
    ref = reference()
    for name in ("feat_hist", "feat_tsum", "team_hist", "team_work", "team_cap", "port_t"):
        np.testing.assert_array_equal(getattr(ref, name), getattr(out, name), err_msg=name)
    assert ref.events == out.events


def test_prefix_of_trials_is_stable() -> None:
    # Trial i uses stream counter i: the first 1000 trials of a 5000-trial run are the
    # trials of a 1000-trial run.
    short = run_fast(compiled(), 1000, keep_trials=True, workers=2)
    ref = reference()
    for name in ("done", "start", "size", "port_t"):
        full = getattr(ref, name)
        assert full is not None
        np.testing.assert_array_equal(full[:1000], getattr(short, name), name)


def test_seed_changes_results() -> None:
    other = run_fast(compiled(SEED + 1), 500, keep_trials=True)
    ref_size = reference().size
    assert other.size is not None and ref_size is not None
    assert not np.array_equal(other.size, ref_size[:500])


_SUBPROCESS = """
import json, sys
from portfolio_sim.forecasting import forecast
fc = forecast(sys.argv[1], trials=int(sys.argv[2]), seed=int(sys.argv[3]))
import numba
print(json.dumps({"threads": numba.get_num_threads(), "doc": fc.to_dict()}))
"""


def _forecast_in_subprocess(threads: int) -> dict[str, Any]:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    proc = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS, str(DIGITAL), "1000", str(SEED)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["threads"] == threads
    doc: dict[str, Any] = out["doc"]
    assert "created" in doc["provenance"]
    del doc["provenance"]["created"]
    return doc


def test_thread_count_does_not_change_json() -> None:
    one = _forecast_in_subprocess(1)
    two = _forecast_in_subprocess(2)
    assert one == two
    # And the same as in this process (whatever its thread count).
    here = forecast(DIGITAL, trials=1000, seed=SEED).to_dict()
    del here["provenance"]["created"]
    assert here == one
    # Every feature row: parts of shared features are rows too (docs/model.md §3.9).
    assert len(one["features"]) == len(engine_view(digital()).features)
    assert one["features"][0]["finish"]["p50"] is not None


def test_same_call_twice_is_identical_json() -> None:
    a = forecast(DIGITAL, trials=300, seed=3).to_dict()
    b = forecast(DIGITAL, trials=300, seed=3).to_dict()
    a["provenance"].pop("created")
    b["provenance"].pop("created")
    assert a == b


# -- common random numbers ---------------------------------------------------------------

SMALL = """\
name: CRN
start: 2027-01-04
horizon: 2029-12-31
teams:
  - {id: web, members: 2, wip_limit: 2}
  - {id: pay, members: 1}
  - {id: mob, throughput: {samples: [0, 1, 2, 3], per: week}}
features:
  - {id: x, team: web, priority: 1, effort: {pert: [10, 20, 40]}, growth: {uniform: [1, 1.2]}}
  - {id: y, team: web, priority: 2, effort: {uniform: [5, 25]}, depends_on: [p1]}
  - {id: p1, team: pay, effort: {lognormal: {p10: 5, p90: 20}}}
  - {id: p2, team: pay, effort: {triangular: [5, 10, 30]}}
  - {id: m1, team: mob, items: {integers: [3, 9]}}
  - {id: m2, team: mob, items: {uniform: [2, 6]}, depends_on: [x]}
risks:
  - {id: rx, probability: 0.4, affects: [x], extra_effort: {uniform: [2, 8]}}
"""


def _run(scn: Scenario, seed: int = 5, trials: int = 4000) -> tuple[list[str], EngineOutput]:
    fc = forecast(scn, trials=trials, seed=seed, keep_trials=True)
    return fc.compiled.feature_ids, fc.raw


def _by_id(ids: list[str], raw: EngineOutput, what: str) -> dict[str, np.ndarray]:
    arr = getattr(raw, what)
    assert arr is not None
    return {fid: arr[:, i] for i, fid in enumerate(ids)}


def test_removing_feature_of_another_team_keeps_draws() -> None:
    base_ids, base = _run(load_text(SMALL, "yaml"))
    # p2: on team pay (not x's team web), nothing depends on it.
    text = SMALL.replace("  - {id: p2, team: pay, effort: {triangular: [5, 10, 30]}}\n", "")
    assert text != SMALL
    ids, out = _run(load_text(text, "yaml"))
    assert "p2" not in ids
    b_size, o_size = _by_id(base_ids, base, "size"), _by_id(ids, out, "size")
    for fid in ids:
        np.testing.assert_array_equal(b_size[fid], o_size[fid], err_msg=fid)
    # x's team never waits on pay: x's whole schedule is unchanged.
    b_done, o_done = _by_id(base_ids, base, "done"), _by_id(ids, out, "done")
    np.testing.assert_array_equal(b_done["x"], o_done["x"])
    np.testing.assert_array_equal(b_done["m1"], o_done["m1"])
    # p1 runs before p2 (no priorities, file order), so it is unchanged too; the removal
    # shows in the pay team's finish.
    np.testing.assert_array_equal(b_done["p1"], o_done["p1"])
    assert not np.array_equal(base.team_hist[1], out.team_hist[1])


def test_adding_risk_on_another_feature_keeps_draws() -> None:
    base_ids, base = _run(load_text(SMALL, "yaml"))
    text = SMALL + (
        "  - {id: late-m1, probability: 0.5, affects: [m1], extra_items: {integers: [1, 4]}}\n"
        "  - {id: slow-p2, probability: 0.5, affects: [p2], delay: {uniform: [1, 10]}}\n"
    )
    ids, out = _run(load_text(text, "yaml"))
    assert ids == base_ids
    b_size, o_size = _by_id(ids, base, "size"), _by_id(ids, out, "size")
    for fid in ("x", "y", "p1", "p2", "m2"):
        np.testing.assert_array_equal(b_size[fid], o_size[fid], err_msg=fid)
    assert not np.array_equal(b_size["m1"], o_size["m1"])  # the new risk did something
    assert (o_size["m1"] >= b_size["m1"]).all()
    # x and the web team never see the new risks.
    b_done, o_done = _by_id(ids, base, "done"), _by_id(ids, out, "done")
    np.testing.assert_array_equal(b_done["x"], o_done["x"])
    np.testing.assert_array_equal(b_done["p1"], o_done["p1"])
    np.testing.assert_array_equal(b_done["y"], o_done["y"])


def test_variant_removal_on_bundled_scenario_keeps_draws() -> None:
    # descope-bnpl-b2b removes bnpl-integration (payments), b2b-quote-tool (web) and the
    # risk on bnpl. Every remaining feature keeps its sizes trial by trial.
    base = forecast(digital(), trials=2000, seed=SEED, keep_trials=True)
    var = forecast(digital(), trials=2000, seed=SEED, variant="descope-bnpl-b2b", keep_trials=True)
    assert base.raw.size is not None and var.raw.size is not None
    b = dict(zip(base.compiled.feature_ids, base.raw.size.T, strict=True))
    v = dict(zip(var.compiled.feature_ids, var.raw.size.T, strict=True))
    assert set(b) - set(v) == {"bnpl-integration", "b2b-quote-tool"}
    for fid, sizes in v.items():
        np.testing.assert_array_equal(b[fid], sizes, err_msg=fid)
    # Teams untouched by the change (data, crm) have identical done times.
    assert base.raw.done is not None and var.raw.done is not None
    bd = dict(zip(base.compiled.feature_ids, base.raw.done.T, strict=True))
    vd = dict(zip(var.compiled.feature_ids, var.raw.done.T, strict=True))
    for fid in ("product-data-lake", "feature-store", "crm-migration", "loyalty-engine"):
        np.testing.assert_array_equal(bd[fid], vd[fid], err_msg=fid)
