"""Bounded concurrent documents with a bounded waiting line.

``max_documents`` documents are parsed at once; up to ``queue_size`` more wait (first come,
first served). Only a request finding the line full is refused (``429`` with
``Retry-After``), so a burst no deeper than the line is served, just later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from docparse.serve.problems import RequestRejected


class AdmissionGate:
    """>>> async with gate.slot():  # waits in line, or raises queue_full  # doctest: +SKIP"""

    def __init__(self, max_documents: int, queue_size: int) -> None:
        self._slots = asyncio.Semaphore(max_documents)
        self.max_documents = max_documents
        self.queue_size = queue_size
        self.waiting = 0
        self.running = 0
        #: Mean seconds a document held a slot recently (for Retry-After).
        self._mean_seconds = 2.0

    def retry_after(self) -> float:
        """A hint: how long until the line has room, from recent document times."""
        return max(1.0, round(self._mean_seconds * (self.waiting + 1) / self.max_documents))

    @contextlib.asynccontextmanager
    async def slot(self, *, timeout: float | None = None, always: bool = False) -> AsyncIterator[None]:
        """Hold one document slot. ``always`` waits even when the line is full (queued jobs,
        which were admitted already); ``timeout`` bounds the wait (``deadline_exceeded``)."""
        if not always and self.waiting >= self.queue_size and self._slots.locked():
            raise RequestRejected("queue_full", "the service is busy: every slot and the whole "
                                  "waiting line are taken; retry later", retry_after=self.retry_after())
        self.waiting += 1
        try:
            if timeout is not None and timeout <= 0:
                raise RequestRejected("deadline_exceeded", "the request deadline passed while waiting")
            await asyncio.wait_for(self._slots.acquire(), timeout)
        except asyncio.TimeoutError:
            raise RequestRejected("deadline_exceeded",
                                  "the request deadline passed while waiting for a slot") from None
        finally:
            self.waiting -= 1
        self.running += 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            yield
        finally:
            self.running -= 1
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * (loop.time() - started)
            self._slots.release()
