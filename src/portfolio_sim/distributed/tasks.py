"""Independent tasks (candidates of the decision tools) spread across a Dask cluster.

:func:`map_tasks` runs ``fn(*args)`` for every argument tuple, one Dask task each, and
returns the results in the order of the arguments: the same list as the loop
``[fn(*a) for a in arg_list]`` when ``fn`` is pure (its result depends on its arguments
only, as every forecast does: docs/distributed.md). Tasks are retried after a lost
worker; on any error or Ctrl-C the remaining ones are cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from portfolio_sim.distributed.connect import open_client
from portfolio_sim.distributed.ranges import RETRIES


def map_tasks(
    fn: Callable[..., Any],
    arg_list: Sequence[tuple[Any, ...]],
    scheduler: Any = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``[fn(*args) for args in arg_list]``, each call a task on the cluster of
    ``scheduler``/``workers`` (:func:`~portfolio_sim.distributed.connect.open_client`).
    ``progress(done, total)`` counts finished tasks."""
    from dask.distributed import as_completed

    with open_client(scheduler, workers) as (client, _backend):
        futures = [client.submit(fn, *args, retries=RETRIES, pure=False) for args in arg_list]
        try:
            for done, _ in enumerate(as_completed(futures), start=1):
                if progress is not None:
                    progress(done, len(futures))
            return list(client.gather(futures))
        except BaseException:
            client.cancel(futures)
            raise
