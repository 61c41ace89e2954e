"""One endpoint in plain HTTP: the bytes on the wire (the same JSON as the openai SDK sends) and
the translation of failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from docparse.errors import ConfigurationError
from docparse.recognize.vlm.client import (
    CallFailure,
    Completion,
    EndpointClient,
    normalize_server_url,
)
from docparse.recognize.vlm.prompts import SamplingParams, build_request

URL = "http://vlm.test:8000/v1"


def completion_json(text: str | None, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "PaddleOCR-VL-0.9B",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
    }


def client_for(handler: Callable[[httpx2.Request], httpx2.Response], **kw: Any) -> EndpointClient:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return EndpointClient(URL, http_client=http, **kw)


def run_chat(
    handler: Callable[[httpx2.Request], httpx2.Response], **kw: Any
) -> Completion | CallFailure:
    async def go() -> Completion | CallFailure:
        client = client_for(handler, **kw)
        try:
            request = build_request(
                model="PaddleOCR-VL-0.9B",
                image_url="data:image/jpeg;base64,AA",
                kind="ocr",
                params=SamplingParams(),
            )
            return await client.chat(request, timeout=5)
        finally:
            await client.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("http://host:8000", "http://host:8000/v1"),
        ("http://host:8000/", "http://host:8000/v1"),
        ("http://host:8000/v1", "http://host:8000/v1"),
        ("http://host:8000/v1///", "http://host:8000/v1"),
        ("https://gw.example/paddle", "https://gw.example/paddle/v1"),
        ("host:8118", "http://host:8118/v1"),
        ("  http://127.0.0.1:8000/v1/ ", "http://127.0.0.1:8000/v1"),
    ],
)
def test_normalize_server_url(given: str, normal: str) -> None:
    assert normalize_server_url(given) == normal


@pytest.mark.parametrize("bad", ["ftp://host/v1", "http://", ""])
def test_normalize_rejects_non_http(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="server URL"):
        normalize_server_url(bad)


def test_the_request_on_the_wire() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=completion_json("Hello"))

    assert run_chat(handler) == Completion("Hello", "stop")
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == URL + "/chat/completions"
    assert request.headers["authorization"] == "Bearer null"
    assert request.headers["user-agent"].startswith("docparse/")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "PaddleOCR-VL-0.9B",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AA"}},
                    {"type": "text", "text": "OCR:"},
                ],
            }
        ],
        "max_completion_tokens": 4096,
        "temperature": 0,
        "skip_special_tokens": True,
        "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520},
    }


def test_the_body_is_what_the_openai_sdk_sends() -> None:
    """The official client speaks through the openai SDK; docparse sends the same JSON."""
    from openai import AsyncOpenAI

    bodies: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(200, json=completion_json("Hi"))

    params = SamplingParams(top_p=0.9, repetition_penalty=1.05)
    request = build_request(model="m", image_url="data:image/png;base64,AA", kind="table",
                            params=params)

    async def go() -> None:
        sdk = AsyncOpenAI(base_url=URL, api_key="null", max_retries=0,
                          http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)))
        await sdk.chat.completions.create(**request)
        await sdk.close()
        ours = client_for(handler)
        assert await ours.chat(request, timeout=5) == Completion("Hi", "stop")
        await ours.aclose()

    asyncio.run(go())
    sdk_body, our_body = bodies
    assert our_body == sdk_body
    assert our_body["repetition_penalty"] == 1.05 and our_body["top_p"] == 0.9
    assert "extra_body" not in our_body


def test_basic_auth_from_the_url_replaces_the_key() -> None:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers["authorization"])
        return httpx2.Response(200, json={"data": [{"id": "m"}]})

    async def go() -> list[str] | CallFailure:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        client = EndpointClient("http://ann:s%40cret@vlm.test:8000/v1", api_key="k",
                                http_client=http)
        try:
            assert client.url == "http://vlm.test:8000/v1"
            return await client.list_models(timeout=1)
        finally:
            await client.aclose()

    assert asyncio.run(go()) == ["m"]
    assert seen == ["Basic YW5uOnNAY3JldA=="]


def test_api_key_is_sent_when_configured() -> None:
    keys: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        keys.append(request.headers["authorization"])
        return httpx2.Response(200, json=completion_json("x"))

    run_chat(handler, api_key="s3cret")
    assert keys == ["Bearer s3cret"]


def test_null_content_and_length_finish() -> None:
    result = run_chat(lambda r: httpx2.Response(200, json=completion_json(None, "length")))
    assert result == Completion(None, "length")


def _raise(exc: Exception) -> Callable[[httpx2.Request], httpx2.Response]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("handler", "kind", "status", "retry_after", "fragment"),
    [
        (
            lambda r: httpx2.Response(500, json={"error": {"message": "boom", "code": 500}}),
            "status",
            500,
            None,
            "HTTP 500: boom",
        ),
        (
            lambda r: httpx2.Response(
                503, headers={"Retry-After": "2"}, json={"error": {"message": "busy"}}
            ),
            "status",
            503,
            2.0,
            "HTTP 503: busy",
        ),
        (
            lambda r: httpx2.Response(
                404,
                json={"error": {"message": "The model `X` does not exist.", "code": 404}},
            ),
            "status",
            404,
            None,
            "The model `X` does not exist.",
        ),
        (
            lambda r: httpx2.Response(400, json={"object": "error", "message": "bad image"}),
            "status",
            400,
            None,
            "HTTP 400: bad image",
        ),
        (_raise(httpx2.ConnectError("refused")), "connect", None, None, "cannot connect"),
        (_raise(httpx2.ReadTimeout("slow")), "timeout", None, None, "timed out"),
        (
            _raise(httpx2.RemoteProtocolError("peer closed")),
            "connection",
            None,
            None,
            "RemoteProtocolError: peer closed",
        ),
        (
            lambda r: httpx2.Response(
                200, content=b'{"id": "x", "choi', headers={"content-type": "application/json"}
            ),
            "malformed",
            None,
            None,
            "unusable chat completion",
        ),
        (
            lambda r: httpx2.Response(200, json={"id": "x", "choices": []}),
            "malformed",
            None,
            None,
            "no choices",
        ),
        (
            lambda r: httpx2.Response(200, text="<html>proxy</html>"),
            "malformed",
            None,
            None,
            "not JSON: text/plain",
        ),
        (
            lambda r: httpx2.Response(502, text="Bad gateway from the proxy"),
            "status",
            502,
            None,
            "HTTP 502: Bad gateway from the proxy",
        ),
        (
            _raise(httpx2.ConnectTimeout("slow connect")),
            "timeout",
            None,
            None,
            "timed out",
        ),
    ],
)
def test_failures_become_data(
    handler: Callable[[httpx2.Request], httpx2.Response],
    kind: str,
    status: int | None,
    retry_after: float | None,
    fragment: str,
) -> None:
    failure = run_chat(handler)
    assert isinstance(failure, CallFailure)
    assert (failure.kind, failure.status_code, failure.retry_after) == (kind, status, retry_after)
    assert fragment in failure.message
    assert failure.message.startswith(URL)


def test_list_models() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert str(request.url) == URL + "/models"
        return httpx2.Response(
            200,
            json={"object": "list", "data": [{"id": "a", "object": "model"}, {"id": "b"}]},
        )

    async def go() -> list[str] | CallFailure:
        client = client_for(handler)
        try:
            return await client.list_models(timeout=1)
        finally:
            await client.aclose()

    assert asyncio.run(go()) == ["a", "b"]


def test_list_models_refuses_an_answer_without_ids() -> None:
    async def go() -> list[str] | CallFailure:
        client = client_for(lambda r: httpx2.Response(200, json={"data": [{"name": "a"}]}))
        try:
            return await client.list_models(timeout=1)
        finally:
            await client.aclose()

    failure = asyncio.run(go())
    assert isinstance(failure, CallFailure) and failure.kind == "malformed"
    assert "model list" in failure.message
