"""Where each request goes: bounded concurrency, endpoint balancing, passive health, retries.

One :class:`EndpointPool` serves every page and document of a recognizer, so
``max_concurrency`` bounds the requests in flight across all of them.

Balancing is least-outstanding-requests. Health is passive: an endpoint that refuses a
connection, or fails three times in a row at the transport level (dropped connection,
timeout, 502/503/504), is ejected for a backoff period (1 s doubling to 30 s). Once that has
passed, a ``GET /models`` probe must succeed before it takes traffic again. When every
endpoint is ejected, all are probed at once and, if none answers,
:class:`~docparse.errors.ServerUnavailableError` is raised right away instead of spending
retries × timeout on every block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from docparse.errors import DeadlineExceededError, ServerUnavailableError
from docparse.recognize.vlm.client import CallFailure, Completion, EndpointClient
from docparse.recognize.vlm.discovery import choose_model, is_model_missing, model_missing_error
from docparse.recognize.vlm.retry import RetryPolicy

#: Consecutive transport-level failures that eject an endpoint.
EJECT_AFTER: Final[int] = 3
EJECT_BASE_SECONDS: Final[float] = 1.0
EJECT_MAX_SECONDS: Final[float] = 30.0
#: ``/models`` answers instantly on a live server; waiting longer only delays the verdict.
PROBE_TIMEOUT: Final[float] = 5.0
#: Statuses a proxy or an overloaded server gives when the model server is not there.
_UNAVAILABLE_STATUS: Final[frozenset[int]] = frozenset({502, 503, 504})

RequestBuilder = Callable[[str], dict[str, Any]]


@dataclass
class _Endpoint:
    client: EndpointClient
    model: str | None = None
    model_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Finished model-list requests, so blocks queued behind one can reuse its failure.
    discoveries: int = 0
    discovery_failure: CallFailure | None = None
    outstanding: int = 0
    consecutive_failures: int = 0
    #: Clock time until which the endpoint is out of rotation; None while healthy.
    ejected_until: float | None = None
    ejections: int = 0
    #: Ejections since the last success; sets the backoff.
    strikes: int = 0
    requests: int = 0
    failures: int = 0
    last_failure: str = ""
    last_pick: int = 0
    probe: asyncio.Task[bool] | None = None
    probe_failed_at: float | None = None

    @property
    def url(self) -> str:
        return self.client.url


@dataclass(frozen=True)
class EndpointStats:
    url: str
    requests: int
    failures: int
    ejections: int
    healthy: bool


@dataclass(frozen=True)
class CallResult:
    """The outcome of one block's request after retries: a completion or the last failure."""

    completion: Completion | None
    failure: CallFailure | None
    #: Chat requests sent, and tries made (a try may fail before sending, e.g. at discovery).
    requests: int
    attempts: int
    endpoint: str | None


class EndpointPool:
    """Sends chat requests to the healthiest, least busy endpoint, retrying per ``policy``.

    Example::

        pool = EndpointPool([EndpointClient(url)], model=None, max_concurrency=8,
                            timeout=120, policy=RetryPolicy(max_retries=3))
        result = await pool.call(lambda model: build_request(model=model, ...))
    """

    def __init__(
        self,
        clients: Sequence[EndpointClient],
        *,
        model: str | None,
        max_concurrency: int,
        timeout: float,
        policy: RetryPolicy,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float],
    ) -> None:
        self._endpoints = [_Endpoint(client=c) for c in clients]
        self._model = model
        self._slots = asyncio.Semaphore(max_concurrency)
        self._timeout = timeout
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._picks = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.retries = 0

    async def warm_up(self) -> None:
        """Build every endpoint's client off the event loop and learn the served model names,
        all endpoints at once. A failure is only remembered the way a request's would be: the
        first request asks again (one probe), so nothing is decided here."""

        async def one(endpoint: _Endpoint) -> None:
            await asyncio.to_thread(endpoint.client.prepare)
            await self._model_for(endpoint)

        await asyncio.gather(*(one(e) for e in self._endpoints))

    def endpoint_stats(self) -> tuple[EndpointStats, ...]:
        """Per-endpoint counters, in configuration order."""
        return tuple(
            EndpointStats(e.url, e.requests, e.failures, e.ejections, e.ejected_until is None)
            for e in self._endpoints
        )

    async def call(self, build: RequestBuilder, *, deadline_at: float | None = None) -> CallResult:
        """Send ``build(model)`` until it succeeds or the retry policy gives up.

        Raises :class:`ServerUnavailableError` when no endpoint answers,
        :class:`~docparse.errors.ConfigurationError` when the model name is wrong, and
        :class:`DeadlineExceededError` when ``deadline_at`` (on the pool's clock) passes.
        """
        tried: set[str] = set()
        requests = 0
        attempt = 0
        while True:
            timeout = self._time_left(deadline_at)
            async with self._slots:
                endpoint = await self._acquire(tried)
                outcome, sent = await self._attempt(endpoint, build, timeout)
            requests += sent
            if isinstance(outcome, Completion):
                self._record_success(endpoint)
                return CallResult(outcome, None, requests, attempt + 1, endpoint.url)
            self._record_failure(endpoint, outcome)
            if outcome.status_code is not None and is_model_missing(
                outcome.status_code, outcome.message
            ):
                raise await self._model_missing(endpoint)
            if not self._policy.should_retry(outcome.kind, outcome.status_code, attempt):
                return CallResult(None, outcome, requests, attempt + 1, endpoint.url)
            tried.add(endpoint.url)
            healthy = [e for e in self._endpoints if e.ejected_until is None]
            # Another endpoint that has not failed this block can take it at once; waiting
            # only helps the server that just failed. With none healthy, the next try
            # probes them all and either finds one back or gives up: no wait either.
            if not healthy or any(e.url not in tried for e in healthy):
                delay = 0.0
            else:
                delay = self._policy.delay(attempt, outcome.retry_after, self._rng())
            if deadline_at is not None and self._clock() + delay >= deadline_at:
                raise DeadlineExceededError(f"{outcome.message}; no time left to retry")
            self.retries += 1
            attempt += 1
            if delay > 0:
                await self._sleep(delay)

    async def aclose(self) -> None:
        """Stop probes and close every endpoint's connections."""
        probes = [e.probe for e in self._endpoints if e.probe is not None and not e.probe.done()]
        for probe in probes:
            probe.cancel()
        if probes:
            await asyncio.wait(probes)
        for endpoint in self._endpoints:
            await endpoint.client.aclose()

    def _time_left(self, deadline_at: float | None) -> float:
        if deadline_at is None:
            return self._timeout
        left = deadline_at - self._clock()
        if left <= 0:
            raise DeadlineExceededError("the deadline passed before the request was sent")
        return min(self._timeout, left)

    async def _attempt(
        self, endpoint: _Endpoint, build: RequestBuilder, timeout: float
    ) -> tuple[Completion | CallFailure, int]:
        model = await self._model_for(endpoint)
        if isinstance(model, CallFailure):
            return model, 0
        request = build(model)
        endpoint.outstanding += 1
        endpoint.requests += 1
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await endpoint.client.chat(request, timeout=timeout), 1
        finally:
            endpoint.outstanding -= 1
            self.in_flight -= 1

    async def _model_for(self, endpoint: _Endpoint) -> str | CallFailure:
        if self._model is not None:
            return self._model
        asked = endpoint.discoveries
        async with endpoint.model_lock:
            if endpoint.model is not None:
                return endpoint.model
            if endpoint.discoveries != asked and endpoint.discovery_failure is not None:
                # It failed while this block waited; asking again in turn would make a
                # hanging server cost one probe timeout per waiting block.
                return endpoint.discovery_failure
            served = await endpoint.client.list_models(timeout=self._probe_timeout())
            endpoint.discoveries += 1
            if isinstance(served, CallFailure):
                endpoint.discovery_failure = served
                return served
            # Per endpoint: servers started differently may serve different names.
            endpoint.model = choose_model(served, endpoint.url)
            return endpoint.model

    async def _model_missing(self, endpoint: _Endpoint) -> Exception:
        requested = self._model or endpoint.model or "?"
        served = await endpoint.client.list_models(timeout=self._probe_timeout())
        names = None if isinstance(served, CallFailure) else served
        return model_missing_error(endpoint.url, requested, names)

    async def _acquire(self, tried: Collection[str]) -> _Endpoint:
        endpoint = self._pick(tried)
        if endpoint is not None:
            return endpoint
        # Everything is ejected: ask each server now rather than wait out the backoff, so a
        # fleet that is really gone is reported at once and one that came back is used.
        # A probe that failed a moment ago is the answer for every block that arrives
        # now; probing again per block would multiply the wait on a hanging server.
        now = self._clock()
        probes = [
            self._start_probe(e)
            for e in self._endpoints
            if e.probe_failed_at is None or now - e.probe_failed_at >= EJECT_BASE_SECONDS
        ]
        if probes:
            # asyncio.wait, not gather: other blocks may share these probes, and cancelling
            # this block must not cancel them.
            await asyncio.wait(probes)
        endpoint = self._pick(tried)
        if endpoint is not None:
            return endpoint
        reasons = "; ".join(f"{e.url} ({e.last_failure})" for e in self._endpoints)
        raise ServerUnavailableError(f"no VLM endpoint answers: {reasons}")

    def _pick(self, tried: Collection[str]) -> _Endpoint | None:
        now = self._clock()
        healthy: list[_Endpoint] = []
        for endpoint in self._endpoints:
            if endpoint.ejected_until is None:
                healthy.append(endpoint)
            elif endpoint.ejected_until <= now:
                self._start_probe(endpoint)
        if not healthy:
            return None
        fresh = [e for e in healthy if e.url not in tried]
        candidates = fresh or healthy
        # Least outstanding; ties go to the endpoint picked longest ago (round robin).
        chosen = min(candidates, key=lambda e: (e.outstanding, e.last_pick))
        self._picks += 1
        chosen.last_pick = self._picks
        return chosen

    def _start_probe(self, endpoint: _Endpoint) -> asyncio.Task[bool]:
        if endpoint.probe is None or endpoint.probe.done():
            endpoint.probe = asyncio.ensure_future(self._probe(endpoint))
        return endpoint.probe

    async def _probe(self, endpoint: _Endpoint) -> bool:
        outcome = await endpoint.client.list_models(timeout=self._probe_timeout())
        if isinstance(outcome, CallFailure):
            endpoint.last_failure = outcome.message
            endpoint.probe_failed_at = self._clock()
            self._eject(endpoint, again=True)
            return False
        endpoint.probe_failed_at = None
        endpoint.ejected_until = None
        endpoint.consecutive_failures = 0
        return True

    def _probe_timeout(self) -> float:
        return min(self._timeout, PROBE_TIMEOUT)

    def _record_success(self, endpoint: _Endpoint) -> None:
        # An answer proves the server is alive, even if other requests got it ejected.
        endpoint.consecutive_failures = 0
        endpoint.strikes = 0
        endpoint.ejected_until = None

    def _record_failure(self, endpoint: _Endpoint, failure: CallFailure) -> None:
        endpoint.failures += 1
        endpoint.last_failure = failure.message
        if failure.kind == "connect":
            # Nothing listens there: more attempts would only fail the same way.
            self._eject(endpoint)
        elif failure.kind in ("connection", "timeout") or (
            failure.status_code in _UNAVAILABLE_STATUS
        ):
            endpoint.consecutive_failures += 1
            if endpoint.consecutive_failures >= EJECT_AFTER:
                self._eject(endpoint)
        else:
            # The server answered (a 4xx, a 500 on one crop, a bad body): it is alive.
            endpoint.consecutive_failures = 0

    def _eject(self, endpoint: _Endpoint, *, again: bool = False) -> None:
        """Take ``endpoint`` out of rotation; ``again`` extends an ejection after a failed probe.

        Requests that were in flight when it went down fail together; they must not
        lengthen the backoff one by one.
        """
        if endpoint.ejected_until is not None and not again:
            return
        endpoint.ejections += 1
        endpoint.strikes += 1
        backoff = EJECT_BASE_SECONDS * 2.0 ** min(endpoint.strikes - 1, 16)
        endpoint.ejected_until = self._clock() + min(backoff, EJECT_MAX_SECONDS)
        endpoint.consecutive_failures = 0
