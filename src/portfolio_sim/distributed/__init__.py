"""Heavy commands on a Dask cluster, with results bit-identical to a local run.

Every trial draws from keyed counter-based streams (:mod:`portfolio_sim.rng`): trial ``i``
gives the same numbers wherever it runs. A run of ``trials`` is therefore split into
consecutive trial ranges, each range runs on some worker
(:func:`portfolio_sim.engines.fast.run_fast` with ``first_trial``), and the client joins
the outputs in trial order (:func:`portfolio_sim.results.precision.join_outputs`): the
same numbers as one local run, whatever the number of workers or ranges, and whichever
worker ran which range (docs/distributed.md).

* :mod:`.connect`: one client per command: an existing scheduler (``--scheduler
  ADDRESS``, a short connect timeout, a clear error when it cannot be reached) or a
  ``LocalCluster`` (``--workers N``); kernels warmed once on each worker;
* :mod:`.ranges`: the trial ranges, the pure task that runs one, and the join;
* :mod:`.months`: the monthly percentiles and means selected on the workers, where the
  ranges' month arrays stay (small mergeable summaries to the client);
* :mod:`.tasks`: independent whole-forecast tasks (the decision tools, backtest cuts).
"""

from portfolio_sim.distributed.connect import CONNECT_TIMEOUT_S, open_client
from portfolio_sim.distributed.ranges import run_ranges, split_ranges

__all__ = ["CONNECT_TIMEOUT_S", "open_client", "run_ranges", "split_ranges"]
