"""Decisions at scale: sensitivity (tornado) and criticality, budgeted selection with an
efficient frontier, priority-order comparison, and grid sweeps on Dask distributed.

The public functions are exported from the top-level package (``portfolio_sim.sweep``,
``portfolio_sim.sensitivity``, ``portfolio_sim.select``); the modules here are
:mod:`.inputs` (uncertain inputs, holding one at P10/P90), :mod:`.sensitivity`,
:mod:`.optimise` (the pure budgeted-selection optimiser), :mod:`.select`,
:mod:`.priorities`, :mod:`.sweep` and :mod:`.staff` (where new people should go,
``portfolio_sim.staff``). Nothing is re-exported here, so that a module and
its main function (``decide.sweep`` and ``sweep``) never shadow each other. Importing
this package never imports numba or dask.
"""

__all__: list[str] = []
