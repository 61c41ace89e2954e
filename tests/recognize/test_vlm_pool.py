"""Endpoint pool: retries, failover, passive health, concurrency, discovery (mock transports)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx2
import pytest

from docparse.errors import ConfigurationError, DeadlineExceededError, ServerUnavailableError
from docparse.recognize.vlm.client import EndpointClient
from docparse.recognize.vlm.pool import CallResult, EndpointPool
from docparse.recognize.vlm.prompts import SamplingParams, build_request
from docparse.recognize.vlm.retry import RetryPolicy

Handler = Callable[[httpx2.Request], Coroutine[None, None, httpx2.Response]]
A, B = "http://a.test/v1", "http://b.test/v1"


def ok(text: str = "fine") -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        },
    )


def models(*names: str) -> httpx2.Response:
    return httpx2.Response(200, json={"object": "list", "data": [{"id": n} for n in names]})


class Server:
    """A scripted endpoint: ``chat`` answers chat requests, ``/models`` lists ``served``."""

    def __init__(
        self, chat: Callable[[int], httpx2.Response | Exception], served: tuple[str, ...] = ("m",)
    ) -> None:
        self.chat = chat
        self.served = served
        self.chats = 0
        self.model_calls = 0
        self.bodies: list[dict[str, Any]] = []
        self.up = True

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0)
        if not self.up:
            raise httpx2.ConnectError("refused", request=request)
        if request.url.path.endswith("/models"):
            self.model_calls += 1
            return models(*self.served)
        self.chats += 1
        self.bodies.append(json.loads(request.content))
        outcome = self.chat(self.chats)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class Clock:
    """Fake time; ``sleep`` advances it unless ``frozen`` (concurrent sleeps would add up)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 1000.0
        self.frozen = frozen
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if not self.frozen:
            self.now += seconds
        await asyncio.sleep(0)


def make_pool(
    servers: dict[str, Handler],
    clock: Clock,
    *,
    model: str | None = "m",
    retries: int = 3,
    max_concurrency: int = 8,
) -> EndpointPool:
    clients = [
        EndpointClient(url, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(h)))
        for url, h in servers.items()
    ]
    return EndpointPool(
        clients,
        model=model,
        max_concurrency=max_concurrency,
        timeout=30.0,
        policy=RetryPolicy(max_retries=retries),
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 0.0,
    )


def build(model: str) -> dict[str, Any]:
    return build_request(
        model=model, image_url="data:image/jpeg;base64,AA", kind="ocr", params=SamplingParams()
    )


def run(pool: EndpointPool, coro: Callable[[], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        try:
            return await coro()
        finally:
            await pool.aclose()

    return asyncio.run(go())


def call_once(pool: EndpointPool, **kw: Any) -> CallResult:
    result: CallResult = run(pool, lambda: pool.call(build, **kw))
    return result


def status(code: int, message: str = "x", **headers: str) -> httpx2.Response:
    return httpx2.Response(code, headers=headers, json={"error": {"message": message}})


def test_retries_5xx_with_backoff_then_succeeds() -> None:
    server = Server(lambda n: status(500) if n < 3 else ok("third time"))
    clock = Clock()
    result = call_once(
        make_pool({A: server}, clock),
    )
    assert result.completion is not None and result.completion.text == "third time"
    assert (result.requests, result.attempts, result.endpoint) == (3, 3, A)
    assert clock.sleeps == [0.5, 1.0]


def test_honours_retry_after_on_503() -> None:
    server = Server(lambda n: status(503, "busy", **{"Retry-After": "1.5"}) if n == 1 else ok())
    clock = Clock()
    result = call_once(make_pool({A: server}, clock))
    assert result.completion is not None and result.requests == 2
    assert clock.sleeps == [1.5]


@pytest.mark.parametrize("code", [400, 401, 422])
def test_does_not_retry_other_4xx(code: int) -> None:
    server = Server(lambda n: status(code, "bad image"))
    clock = Clock()
    result = call_once(make_pool({A: server}, clock))
    assert result.completion is None and result.failure is not None
    assert (result.failure.status_code, result.requests, server.chats) == (code, 1, 1)
    assert clock.sleeps == []


def test_gives_up_after_the_retry_budget() -> None:
    server = Server(lambda n: httpx2.ReadTimeout("slow"))
    clock = Clock()
    result = call_once(make_pool({A: server}, clock, retries=2))
    assert result.failure is not None and result.failure.kind == "timeout"
    assert server.chats == 3


def test_dropped_connections_are_retried() -> None:
    server = Server(lambda n: httpx2.RemoteProtocolError("closed") if n == 1 else ok("after drop"))
    result = call_once(make_pool({A: server}, Clock()))
    assert result.completion is not None and result.completion.text == "after drop"


def test_failed_request_moves_to_the_other_endpoint_without_waiting() -> None:
    a = Server(lambda n: status(502, "gateway"))
    b = Server(lambda n: ok("from b"))
    clock = Clock()
    pool = make_pool({A: a, B: b}, clock)
    result = call_once(pool)
    assert result.completion is not None and result.completion.text == "from b"
    assert result.endpoint == B and (a.chats, b.chats) == (1, 1)
    assert clock.sleeps == []


def test_refused_endpoint_is_ejected_and_readmitted_after_a_probe() -> None:
    a, b = Server(lambda n: ok("a")), Server(lambda n: ok("b"))
    a.up = False
    clock = Clock()
    pool = make_pool({A: a, B: b}, clock)

    async def scenario() -> list[str | None]:
        endpoints = [(await pool.call(build)).endpoint for _ in range(4)]
        assert [s.healthy for s in pool.endpoint_stats()] == [False, True]
        a.up = True
        clock.now += 1.5  # past the first 1 s backoff
        endpoints.append((await pool.call(build)).endpoint)  # starts a probe, served by b
        await asyncio.sleep(0.05)  # let the probe finish
        assert [s.healthy for s in pool.endpoint_stats()] == [True, True]
        endpoints += [(await pool.call(build)).endpoint for _ in range(2)]
        return endpoints

    endpoints = run(pool, scenario)
    assert endpoints == [B, B, B, B, B, A, B]
    assert pool.endpoint_stats()[0].ejections == 1


def test_three_consecutive_drops_eject() -> None:
    a = Server(lambda n: httpx2.RemoteProtocolError("closed"))
    b = Server(lambda n: ok())
    pool = make_pool({A: a, B: b}, Clock())

    async def scenario() -> None:
        for _ in range(3):
            await pool.call(build)

    run(pool, scenario)
    # Every block failed over to b; the third drop on a ejected it.
    assert a.chats == 3 and b.chats == 3
    assert [s.healthy for s in pool.endpoint_stats()] == [False, True]


def test_every_endpoint_down_raises_server_unavailable_at_once() -> None:
    a, b = Server(lambda n: ok()), Server(lambda n: ok())
    a.up = b.up = False
    clock = Clock()
    pool = make_pool({A: a, B: b}, clock, retries=5)
    with pytest.raises(ServerUnavailableError) as info:
        call_once(pool)
    assert A in str(info.value) and B in str(info.value) and "cannot connect" in str(info.value)
    assert clock.sleeps == []  # no backoff spent on a dead fleet


def test_single_endpoint_that_drops_is_probed_back_not_declared_dead() -> None:
    server = Server(lambda n: httpx2.RemoteProtocolError("closed") if n <= 3 else ok("back"))
    pool = make_pool({A: server}, Clock(), retries=5)
    result = call_once(pool)
    assert result.completion is not None and result.completion.text == "back"
    assert server.model_calls == 1  # the probe that re-admitted it


def test_concurrency_never_exceeds_the_limit() -> None:
    active = 0
    peak = 0

    async def slow(request: httpx2.Request) -> httpx2.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return ok()

    pool = make_pool({A: slow}, Clock(), max_concurrency=3)

    async def many() -> list[CallResult]:
        return list(await asyncio.gather(*(pool.call(build) for _ in range(20))))

    results = run(pool, many)
    assert all(r.completion is not None for r in results)
    assert peak == 3 and pool.max_in_flight == 3 and pool.requests == 20


def test_model_is_discovered_once_per_endpoint() -> None:
    a = Server(lambda n: ok(), served=("llama", "PaddlePaddle/PaddleOCR-VL"))
    b = Server(lambda n: ok(), served=("PaddleOCR-VL-0.9B",))
    pool = make_pool({A: a, B: b}, Clock(), model=None)

    async def many() -> None:
        await asyncio.gather(*(pool.call(build) for _ in range(10)))

    run(pool, many)
    assert (a.model_calls, b.model_calls) == (1, 1)
    assert {body["model"] for body in a.bodies} == {"PaddlePaddle/PaddleOCR-VL"}
    assert {body["model"] for body in b.bodies} == {"PaddleOCR-VL-0.9B"}


def test_ambiguous_served_models_are_a_configuration_error() -> None:
    server = Server(lambda n: ok(), served=("llama", "qwen"))
    with pytest.raises(ConfigurationError, match="llama, qwen"):
        call_once(make_pool({A: server}, Clock(), model=None))
    assert server.chats == 0


def test_wrong_model_name_names_what_the_server_serves() -> None:
    server = Server(
        lambda n: status(404, "The model `PaddleOCR-VL-0.9B` does not exist."),
        served=("PaddlePaddle/PaddleOCR-VL",),
    )
    with pytest.raises(ConfigurationError) as info:
        call_once(make_pool({A: server}, Clock(), model="PaddleOCR-VL-0.9B"))
    assert "it serves: PaddlePaddle/PaddleOCR-VL" in str(info.value)
    assert server.chats == 1


def test_deadline_passed_before_sending() -> None:
    server = Server(lambda n: ok())
    clock = Clock()
    with pytest.raises(DeadlineExceededError):
        call_once(make_pool({A: server}, clock), deadline_at=clock.now - 1)
    assert server.chats == 0


def test_no_retry_sleep_beyond_the_deadline() -> None:
    server = Server(lambda n: status(503, "busy", **{"Retry-After": "10"}))
    clock = Clock()
    with pytest.raises(DeadlineExceededError, match="no time left"):
        call_once(make_pool({A: server}, clock), deadline_at=clock.now + 5)
    assert clock.sleeps == []


def test_a_hanging_server_is_not_asked_once_per_block() -> None:
    model_calls = 0

    async def hang(request: httpx2.Request) -> httpx2.Response:
        nonlocal model_calls
        if request.url.path.endswith("/models"):
            model_calls += 1
        await asyncio.sleep(0.05)
        raise httpx2.ReadTimeout("no answer", request=request)

    pool = make_pool({A: hang}, Clock(frozen=True), model=None, retries=5)

    async def many() -> None:
        await asyncio.gather(*(pool.call(build) for _ in range(10)))

    with pytest.raises(ServerUnavailableError, match="model list timed out"):
        run(pool, many)
    # The discovery, at most one retry of it made before the ejection, and one probe:
    # without sharing, each of the 10 blocks would wait for its own.
    assert model_calls <= 3
