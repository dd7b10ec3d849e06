"""Bounded forecasting: at most ``workers`` forecasts at once, a bounded queue, and a newer
request of the same client superseding its older one that still waits.

The fast engine already spreads one forecast over every core, so the service runs one
forecast at a time by default and queues the rest (memory stays bounded: one forecast's
arrays, capped by the trials limit, plus the small waiting requests). A client (a
browser tab sends its own ``X-Client-Id``) that changes the plan again while its earlier
forecast still waits gets only the newest answered: the older request ends with
:class:`Superseded` (HTTP 409) without running. A forecast already running finishes
(the engine has no cancellation point); its answer is simply not used by the page,
which aborted the request. More than ``max_waiting`` waiting requests: :class:`Busy`
(HTTP 503).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


class Superseded(Exception):
    """A newer request of the same client arrived while this one waited."""


class Busy(Exception):
    """Too many forecasts are waiting."""


class ForecastPool:
    """Runs blocking forecast jobs in threads, ``workers`` at a time (see the module)."""

    def __init__(self, workers: int, max_waiting: int) -> None:
        self.workers = workers
        self.max_waiting = max_waiting
        self._slots: asyncio.Semaphore | None = None
        self._tickets = itertools.count(1)
        self._latest: dict[str, int] = {}
        self.waiting = 0

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created in the server's event loop, on first use
            self._slots = asyncio.Semaphore(self.workers)
        return self._slots

    async def run(self, client: str | None, job: Callable[[], T]) -> T:
        """Run ``job`` in a worker thread when a slot is free; raises :class:`Busy` or
        :class:`Superseded` instead when it must not run."""
        ticket = next(self._tickets)
        if self.waiting >= self.max_waiting:
            raise Busy
        if client is not None:
            self._latest[client] = ticket
        slots = self._semaphore()
        self.waiting += 1
        try:
            await slots.acquire()
        finally:
            self.waiting -= 1
        try:
            if client is not None and self._latest.get(client) != ticket:
                raise Superseded
            return await run_in_threadpool(job)
        finally:
            slots.release()
            if client is not None and self._latest.get(client) == ticket:
                del self._latest[client]
