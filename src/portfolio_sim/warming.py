"""Compile every Numba kernel once, so the first real forecast starts warm.

Kernels are compiled with ``cache=True``: the machine code lands in ``__pycache__`` next
to the package (or ``NUMBA_CACHE_DIR``) and later processes load it in well under a
second. ``portfolio-sim warmup`` runs this after installing; a forecast that finds no
cache compiles on first use instead (about 20-40 s once).
"""

from __future__ import annotations

import time

from portfolio_sim.scenario.schema import Scenario

#: A tiny scenario that touches every code path of the kernels.
WARMUP_SCENARIO: dict[str, object] = {
    "name": "warmup",
    "start": "2027-01-04",
    "horizon": "2027-12-31",
    "teams": [
        {
            "id": "effort",
            "members": 2,
            "wip_limit": 2,
            "focus": 0.9,
            "cost_per_member_day": 500,
            "changes": [{"on": "2027-02-01", "members": 3, "ramp_days": 5}],
        },
        {"id": "flow", "throughput": {"samples": [1, 2, 3], "per": "week"}},
    ],
    "features": [
        {"id": "a", "team": "effort", "effort": {"pert": [5, 8, 15]}},
        {
            "id": "b",
            "team": "effort",
            "effort": {"lognormal": {"p10": 3, "p90": 9}},
            "depends_on": ["a"],
            "growth": {"uniform": [1.0, 1.2]},
        },
        {"id": "c", "team": "effort", "effort": {"triangular": [2, 3, 6]}},
        {"id": "d", "team": "flow", "items": {"integers": [3, 6]}, "depends_on": ["c"]},
        {"id": "e", "team": "flow", "items": {"samples": [2, 4]}},
        {"id": "f", "team": "effort", "effort": {"fixed": 2}, "not_before": "2027-03-01"},
    ],
    "risks": [
        {"id": "r1", "probability": 0.5, "affects": ["a"], "extra_effort": {"fixed": 2}},
        {"id": "r2", "probability": 0.5, "affects": ["d"], "extra_items": {"fixed": 1}},
        {"id": "r3", "probability": 0.5, "affects": ["b"], "delay": {"fixed": 1}},
    ],
}


def warmup() -> float:
    """Compile (or load from cache) every kernel; returns the seconds it took."""
    from portfolio_sim.forecasting import forecast

    t0 = time.perf_counter()
    scenario = Scenario.model_validate(WARMUP_SCENARIO)
    forecast(scenario, trials=64, seed=0)
    forecast(scenario, trials=64, seed=0, keep_trials=True)
    from portfolio_sim.history import how_many

    how_many(scenario, ["2027-06-30"], trials=64, seed=0)
    return time.perf_counter() - t0
