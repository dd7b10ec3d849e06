"""Decisions at scale: sensitivity (tornado) and criticality, budgeted selection with an
efficient frontier, priority-order comparison, and grid sweeps on Dask distributed.

Modules: :mod:`.inputs` (uncertain inputs, holding one at P10/P90), :mod:`.sensitivity`,
:mod:`.optimise` (pure budgeted-selection optimiser), :mod:`.select`, :mod:`.priorities`,
:mod:`.sweep`. Importing this package never imports numba or dask.
"""

from portfolio_sim.decide.optimise import Choice, optimise
from portfolio_sim.decide.priorities import compare_priorities
from portfolio_sim.decide.select import Selection, select
from portfolio_sim.decide.sensitivity import Sensitivity, criticality, sensitivity
from portfolio_sim.decide.sweep import grid, sweep

__all__ = [
    "Choice",
    "Selection",
    "Sensitivity",
    "compare_priorities",
    "criticality",
    "grid",
    "optimise",
    "select",
    "sensitivity",
    "sweep",
]
