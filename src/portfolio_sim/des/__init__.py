"""The SimPy discrete-event reference model (docs/model.md §1-§5): one trial at a time.

:func:`simulate_trial` runs one trial and returns its :class:`TrialResult`;
:func:`trace` returns the event log of one trial. ``portfolio_sim.engines.des`` runs many
trials into an :class:`~portfolio_sim.engines.output.EngineOutput`.
"""

from portfolio_sim.des.model import DesModel, LogEntry, TrialResult, simulate_trial, trace
from portfolio_sim.des.sampling import TrialDraws, sample_trial

__all__ = [
    "DesModel",
    "LogEntry",
    "TrialDraws",
    "TrialResult",
    "sample_trial",
    "simulate_trial",
    "trace",
]
