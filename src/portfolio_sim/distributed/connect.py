"""One Dask client per command: an existing scheduler or a ``LocalCluster``.

``open_client(scheduler, workers)`` is a context manager that yields ``(client,
backend)``; ``backend`` says where the work runs (``"dask tcp://host:8786"`` or
``"dask LocalCluster (2 workers x 1 Numba threads)"``), as :func:`portfolio_sim.decide
.sweep.sweep` reports it.

* ``scheduler="tcp://host:8786"``: an existing cluster. The connection is tried for at
  most :data:`CONNECT_TIMEOUT_S` seconds, before any work: a scheduler that cannot be
  reached is an :class:`~portfolio_sim.errors.InputError` (exit 2 in the CLI), not a
  hang. Its workers need only ``pip install 'portfolio-sim[distributed]'``: the scenario
  travels with the tasks (no shared file system).
* ``scheduler`` a ``distributed.Client``: used as it is and left open (the caller owns it;
  how :func:`portfolio_sim.comparing.compare` runs all its scenarios on one connection).
* ``scheduler=None``: a ``LocalCluster`` of ``workers`` processes (default: one per core)
  with one Dask thread each and ``NUMBA_NUM_THREADS`` chosen so that workers x Numba
  threads <= cores (:func:`local_layout`, the layout of sweeps); closed on exit.

The kernels are warmed on every worker before a run's ranges go out
(:func:`portfolio_sim.distributed.ranges.warm_workers`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from portfolio_sim.errors import InputError

#: Seconds to reach an existing scheduler before giving up (clear error, exit 2).
CONNECT_TIMEOUT_S = 5.0


def _require_dask() -> None:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise InputError(
            "--scheduler/--workers need Dask: pip install 'portfolio-sim[distributed]'"
        ) from None


@contextlib.contextmanager
def open_client(
    scheduler: Any = None,
    workers: int | None = None,
    *,
    threads: int | None = None,
    processes: bool = True,
    timeout: float = CONNECT_TIMEOUT_S,
) -> Iterator[tuple[Any, str]]:
    """``(client, backend)`` for ``scheduler`` (an address, a ``Client``, or None for a
    LocalCluster of ``workers``); see the module docstring. ``threads`` overrides the
    Numba threads per LocalCluster worker; ``processes=False`` runs the LocalCluster's
    workers as threads of this process (tests)."""
    _require_dask()
    from dask.distributed import Client, LocalCluster

    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise InputError(f"workers must be a whole number from 1, got {workers!r}")
    if isinstance(scheduler, Client):
        if workers is not None:
            raise InputError("workers: only for a LocalCluster, not with a scheduler")
        yield scheduler, f"dask {getattr(scheduler.scheduler, 'address', 'client')}"
        return
    cluster = None
    if scheduler is not None:
        if workers is not None:
            raise InputError("--workers: only for a LocalCluster, not with --scheduler")
        address = str(scheduler)
        try:
            client = Client(address, timeout=timeout)
        except (OSError, ValueError, TimeoutError) as err:
            raise InputError(
                f"--scheduler {address}: cannot reach the Dask scheduler within "
                f"{timeout:g} s ({type(err).__name__}: {err}); nothing was run"
            ) from None
        backend = f"dask {address}"
    else:
        w, t = local_layout(workers)
        t = int(threads) if threads else t
        kwargs: dict[str, Any] = {
            "n_workers": w,
            "threads_per_worker": 1,
            "processes": processes,
            "dashboard_address": None,
            "silence_logs": logging.ERROR,
        }
        if processes:
            kwargs["env"] = {"NUMBA_NUM_THREADS": str(t)}
        cluster = LocalCluster(**kwargs)
        client = Client(cluster)
        backend = f"dask LocalCluster ({w} workers x {t} Numba threads)"
    try:
        yield client, backend
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def local_layout(workers: int | None = None) -> tuple[int, int]:
    """(workers, Numba threads per worker) of a LocalCluster: ``workers`` (default one
    per core) with workers x threads <= cores, as sweeps lay out theirs."""
    import os

    cores = max(os.cpu_count() or 1, 1)
    w = max(int(workers) if workers else cores, 1)
    return w, max(1, cores // w)
