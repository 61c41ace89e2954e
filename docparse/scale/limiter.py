"""A cluster-wide cap on recognition requests in flight.

Each worker's recognizer would cap only its own requests; the servers' capacity is one
number for the whole cluster. :class:`RequestLimiter` runs as one Ray actor holding that many
permits, and every worker's HTTP transport takes one per chat request. Permits are recorded
per holder, so the scheduler can hand back those of a worker that died mid-request.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any


class RequestLimiter:
    """Counting semaphore with named holders (the body of a Ray async actor). A released
    permit goes straight to the longest waiter, so nobody can overtake the queue."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._free = self.capacity
        self._waiters: list[tuple[asyncio.Future[None], str]] = []
        self._held: Counter[str] = Counter()
        self.max_in_use = 0

    async def acquire(self, holder: str) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            self._grant(holder)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (fut, holder)
        self._waiters.append(entry)
        try:
            await fut
        except BaseException:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif fut.done() and not fut.cancelled():
                await self.release(holder)  # granted as we gave up: pass it on
            raise

    def _grant(self, holder: str) -> None:
        self._held[holder] += 1
        self.max_in_use = max(self.max_in_use, self.capacity - self._free)

    def _hand_back(self) -> None:
        while self._waiters:
            fut, holder = self._waiters.pop(0)
            if not fut.done():
                self._grant(holder)
                fut.set_result(None)
                return
        self._free += 1

    async def release(self, holder: str) -> None:
        if self._held[holder] <= 0:
            return
        self._held[holder] -= 1
        self._hand_back()

    async def release_all(self, holder: str) -> int:
        """Give back every permit of a dead worker; returns how many it held."""
        n = self._held.pop(holder, 0)
        for _ in range(n):
            self._hand_back()
        return n

    async def snapshot(self) -> dict[str, int]:
        return {"capacity": self.capacity, "in_use": self.capacity - self._free,
                "max_in_use": self.max_in_use, "waiting": len(self._waiters)}


def capped_client_factory(limiter: Any, holder: str) -> Any:
    """An ``http_client_factory`` for :class:`VlmRecognizer` whose clients take a permit from
    the cluster-wide ``limiter`` (a Ray actor handle) for each chat request."""
    import httpx2

    class _CappedTransport(httpx2.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx2.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            if not request.url.path.endswith("/chat/completions"):
                return await self.inner.handle_async_request(request)  # probes go free
            await limiter.acquire.remote(holder)
            try:
                response = await self.inner.handle_async_request(request)
                # The request is in flight until its answer is read, so read it here.
                body = await response.aread()
                await response.aclose()
                return httpx2.Response(response.status_code, headers=response.headers,
                                       content=body, request=request,
                                       extensions={"http_version": response.extensions.get(
                                           "http_version", b"HTTP/1.1")})
            finally:
                await limiter.release.remote(holder)

        async def aclose(self) -> None:
            await self.inner.aclose()

    def factory(url: str) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=_CappedTransport())

    return factory
