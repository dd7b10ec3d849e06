"""engines.fast.while_kernels_run: work handed to the next multi-threaded kernel run is
done once, in the calling thread, while the workers simulate; it changes no number, and
a run that takes none leaves it for discard_pending (the forecast CLI imports the
modules its outputs need this way)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from portfolio_sim.engines import fast
from portfolio_sim.scenario import load
from portfolio_sim.scenario.compile import compile_scenario

SCN = Path(__file__).parent.parent / "scenarios" / "startup.yaml"


def test_work_runs_once_in_the_calling_thread_and_changes_no_number() -> None:
    m = compile_scenario(load(SCN), seed=3)
    plain = fast.run_fast(m, 3000, workers=2, load=True)
    seen: list[str] = []
    fast.while_kernels_run(lambda: seen.append(threading.current_thread().name))
    fast.while_kernels_run(lambda: seen.append("second"))
    with_work = fast.run_fast(m, 3000, workers=2, load=True)
    assert seen == [threading.current_thread().name, "second"]
    fast.run_fast(m, 100, workers=2)
    assert len(seen) == 2  # once only
    for name in ("feat_hist", "team_hist", "money", "port_t", "load_hist", "load_sum"):
        assert np.array_equal(getattr(plain, name), getattr(with_work, name)), name


def test_one_worker_leaves_the_work_pending_until_discarded() -> None:
    m = compile_scenario(load(SCN), seed=3)
    seen: list[int] = []
    fast.while_kernels_run(lambda: seen.append(1))
    fast.run_fast(m, 200, workers=1)
    assert seen == []
    fast.discard_pending()
    fast.run_fast(m, 200, workers=2)
    assert seen == []
