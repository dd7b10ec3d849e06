"""The worker plugin that warms the kernels (imported only where Dask is installed)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from portfolio_sim.distributed.connect import warm_once


class WarmKernels(WorkerPlugin):
    """Warm the kernels when a worker starts, or when the plugin is registered on running
    workers; registering it again is harmless (:func:`warm_once` runs once per
    process)."""

    name = "portfolio-sim-warm-kernels"

    def setup(self, worker: Any) -> None:
        warm_once()
