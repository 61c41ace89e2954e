"""VlmRecognizer on mock transports: routing by kind, crops, failure isolation, degenerate
answers, deadlines and counters."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from docparse.errors import ServerUnavailableError
from docparse.options import ParseOptions
from docparse.recognize import PageRecognition, RecognitionTask, TaskKind
from docparse.recognize.vlm.recognizer import VlmRecognizer
from docparse.sources import PageImage

URL = "http://vlm.test:8000"
PAGE = PageImage("doc.pdf", 0, 1, np.full((400, 400, 3), 255, dtype=np.uint8))


def completion(text: str, finish: str = "stop") -> httpx2.Response:
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
                    "finish_reason": finish,
                }
            ],
        },
    )


def image_size(body: dict[str, Any]) -> tuple[int, int]:
    url = body["messages"][0]["content"][0]["image_url"]["url"]
    data = base64.b64decode(url.split(",", 1)[1])
    size: tuple[int, int] = Image.open(io.BytesIO(data)).size
    return size


Answer = Callable[[dict[str, Any]], Awaitable[httpx2.Response] | httpx2.Response]


class Mock:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/models"):
            return httpx2.Response(
                200, json={"object": "list", "data": [{"id": "PaddleOCR-VL-0.9B"}]}
            )
        body = json.loads(request.content)
        self.bodies.append(body)
        out = self.answer(body)
        return await out if asyncio.iscoroutine(out) else out  # type: ignore[return-value]


def recognizer(mock: Mock, **options: Any) -> VlmRecognizer:
    opts = ParseOptions(server_url=(URL,), **options)
    return VlmRecognizer(
        opts,
        http_client_factory=lambda url: httpx2.AsyncClient(transport=httpx2.MockTransport(mock)),
    )


def ink(h: int, w: int, box: tuple[int, int, int, int] | None = None) -> npt.NDArray[np.uint8]:
    img = np.full((h, w, 3), 255, dtype=np.uint8)
    y0, x0, y1, x1 = box or (0, 0, h, w)
    img[y0:y1, x0:x1] = 0
    return img


def task(
    block_id: int, kind: TaskKind, crop: npt.NDArray[np.uint8], label: str = ""
) -> RecognitionTask:
    default = {"ocr": "text", "table": "table", "formula": "display_formula", "chart": "chart"}
    return RecognitionTask(
        block_id=block_id, label=label or default[kind], kind=kind, bbox=(0, 0, 1, 1), crop=crop
    )


def recognize(rec: VlmRecognizer, tasks: list[RecognitionTask], **kw: Any) -> PageRecognition:
    async def go() -> PageRecognition:
        try:
            return await rec.recognize_page(PAGE, tasks, **kw)
        finally:
            await rec.aclose()

    return asyncio.run(go())


def by_prompt(body: dict[str, Any]) -> httpx2.Response:
    prompt = body["messages"][0]["content"][1]["text"]
    return completion(
        {
            "OCR:": "Hello world",
            "Table Recognition:": "<fcel>a<fcel>b<nl><fcel>1<fcel>2<nl>",
            "Formula Recognition:": "\\[E=mc^2\\]",
            "Chart Recognition:": "x | y\n1 | 2",
        }[prompt]
    )


def test_each_kind_gets_its_prompt_and_post_processing() -> None:
    mock = Mock(by_prompt)
    tasks = [
        task(0, "ocr", ink(40, 200)),
        task(1, "table", ink(100, 200)),
        task(2, "formula", ink(60, 300, (10, 50, 50, 250))),
        task(3, "chart", ink(100, 100)),
    ]
    out = recognize(recognizer(mock, chart_recognition=True), tasks)
    contents = {i: r.content for i, r in out.results.items()}
    assert contents == {
        0: "Hello world",
        1: "<table><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></table>",
        2: " $$ E=mc^2 $$ ",
        3: "x | y\n1 | 2",
    }
    assert all(
        r.source == "vlm" and r.requests == 1 and r.error is None for r in out.results.values()
    )
    assert all(r.endpoint == URL + "/v1" for r in out.results.values())
    prompts = sorted(b["messages"][0]["content"][1]["text"] for b in mock.bodies)
    assert prompts == ["Chart Recognition:", "Formula Recognition:", "OCR:", "Table Recognition:"]
    formula = next(b for b in mock.bodies if b["messages"][0]["content"][1]["text"].startswith("F"))
    assert image_size(formula) == (200, 40)  # trimmed to the ink


def test_charts_are_not_sent_without_chart_recognition() -> None:
    mock = Mock(by_prompt)
    out = recognize(
        recognizer(mock), [task(3, "chart", ink(100, 100)), task(4, "ocr", ink(30, 90))]
    )
    assert out.results[3].source == "image" and out.results[3].requests == 0
    assert [b["messages"][0]["content"][1]["text"] for b in mock.bodies] == ["OCR:"]


def test_tiny_and_extreme_crops_are_padded() -> None:
    mock = Mock(by_prompt)
    recognize(recognizer(mock), [task(0, "ocr", ink(3, 3)), task(1, "ocr", ink(30, 9000))])
    assert sorted(image_size(b) for b in mock.bodies) == [(28, 28), (9000, 50)]


def test_a_failing_block_does_not_stop_the_page() -> None:
    def answer(body: dict[str, Any]) -> httpx2.Response:
        if image_size(body) == (66, 66):
            return httpx2.Response(400, json={"error": {"message": "image is cursed"}})
        return by_prompt(body)

    tasks = [task(i, "ocr", ink(66 if i == 2 else 40, 66 if i == 2 else 100)) for i in range(5)]
    out = recognize(recognizer(mock := Mock(answer)), tasks)
    failed = out.results[2]
    assert failed.content == "" and failed.source == "vlm"
    assert failed.error is not None and failed.error.reason == "http_400"
    assert "image is cursed" in failed.error.message and failed.error.endpoint == URL + "/v1"
    assert [out.results[i].content for i in (0, 1, 3, 4)] == ["Hello world"] * 4
    assert len(mock.bodies) == 5  # a 400 is not retried


def test_degenerate_answer_is_retried_with_a_repetition_penalty() -> None:
    def answer(body: dict[str, Any]) -> httpx2.Response:
        if "repetition_penalty" in body:
            return completion("12345 67890")
        return completion("1 2 " * 60)

    mock = Mock(answer)
    rec = recognizer(mock)
    out = recognize(rec, [task(0, "ocr", ink(40, 100))])
    result = out.results[0]
    assert (result.content, result.truncated, result.requests, result.retries) == (
        "12345 67890",
        False,
        2,
        1,
    )
    assert [b.get("repetition_penalty") for b in mock.bodies] == [None, 1.05]
    assert mock.bodies[1]["temperature"] == 0
    assert rec.stats().degenerate_retries == 1


def test_still_degenerate_after_retry_is_truncated_and_flagged() -> None:
    mock = Mock(lambda body: completion("abcdefgh" * 2, "length"))
    rec = recognizer(mock)
    out = recognize(rec, [task(0, "ocr", ink(40, 100))])
    assert out.results[0].truncated is True
    assert out.results[0].content == "abcdefgh" * 2
    assert rec.stats().truncated_blocks == 1 and len(mock.bodies) == 2


def test_dead_server_raises_server_unavailable() -> None:
    async def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    opts = ParseOptions(server_url=(URL,), retries=5)
    rec = VlmRecognizer(
        opts,
        http_client_factory=lambda u: httpx2.AsyncClient(transport=httpx2.MockTransport(refuse)),
    )
    started = time.perf_counter()
    with pytest.raises(ServerUnavailableError, match="no VLM endpoint answers"):
        recognize(rec, [task(i, "ocr", ink(40, 100)) for i in range(10)])
    assert time.perf_counter() - started < 8  # no retries x backoff per block


def test_deadline_fails_unfinished_blocks_and_keeps_answered_ones() -> None:
    async def answer(body: dict[str, Any]) -> httpx2.Response:
        # The crop's width tells the blocks apart: the wide one is slow.
        import base64
        import io

        from PIL import Image

        url = body["messages"][0]["content"][0]["image_url"]["url"]
        width = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).width
        if width > 150:
            await asyncio.sleep(5)
            return completion("late")
        return completion("quick")

    rec = recognizer(Mock(answer))
    started = time.perf_counter()
    page = recognize(rec, [task(0, "ocr", ink(40, 100)), task(1, "ocr", ink(40, 300))],
                     deadline_at=time.monotonic() + 0.5)
    assert time.perf_counter() - started < 4  # cancelled at the deadline, not after the 5 s answer
    assert page.results[0].content == "quick" and page.results[0].error is None
    late = page.results[1]
    assert late.content == "" and late.error is not None
    assert late.error.reason == "deadline_exceeded" and "doc.pdf page 1" in late.error.message


def test_stats_count_requests_and_retries() -> None:
    calls = 0

    def flaky(body: dict[str, Any]) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return (
            httpx2.Response(500, json={"error": {"message": "x"}})
            if calls == 1
            else by_prompt(body)
        )

    rec = VlmRecognizer(
        ParseOptions(server_url=(URL,)),
        http_client_factory=lambda u: httpx2.AsyncClient(
            transport=httpx2.MockTransport(Mock(flaky))
        ),
        sleep=lambda s: asyncio.sleep(0),
    )
    out = recognize(rec, [task(0, "ocr", ink(40, 100)), task(1, "ocr", ink(40, 100))])
    stats = rec.stats()
    assert (stats.requests, stats.retries, stats.failed_blocks) == (3, 1, 0)
    assert stats.endpoints[0].requests == 3 and stats.endpoints[0].url == URL + "/v1"
    assert sorted(r.retries for r in out.results.values()) == [0, 1]


def test_warm_up_learns_the_model_before_the_first_request() -> None:
    paths: list[str] = []
    mock = Mock(by_prompt)

    async def logged(request: httpx2.Request) -> httpx2.Response:
        paths.append(request.url.path)
        return await mock(request)

    rec = VlmRecognizer(
        ParseOptions(server_url=(URL, "http://vlm2.test:8000")),
        http_client_factory=lambda u: httpx2.AsyncClient(transport=httpx2.MockTransport(logged)),
    )

    async def go() -> PageRecognition:
        try:
            await rec.warm_up()
            assert sorted(paths) == ["/v1/models", "/v1/models"]  # each endpoint, once
            return await rec.recognize_page(PAGE, [task(1, "ocr", ink(40, 200))])
        finally:
            await rec.aclose()

    result = asyncio.run(go())
    assert result.results[1].content == "Hello world"
    assert paths.count("/v1/models") == 2  # the request did not ask again
    assert mock.bodies[0]["model"] == "PaddleOCR-VL-0.9B"


def test_warm_up_on_a_dead_server_decides_nothing() -> None:
    calls: list[str] = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        calls.append(request.url.path)
        raise httpx2.ConnectError("refused")

    rec = VlmRecognizer(
        ParseOptions(server_url=(URL,), retries=5),
        http_client_factory=lambda u: httpx2.AsyncClient(transport=httpx2.MockTransport(refuse)),
    )

    async def go() -> None:
        try:
            await rec.warm_up()  # no exception: the requests report the dead server
            with pytest.raises(ServerUnavailableError, match="no VLM endpoint answers"):
                await rec.recognize_page(PAGE, [task(i, "ocr", ink(40, 100)) for i in range(3)])
        finally:
            await rec.aclose()

    asyncio.run(go())
    assert calls[0] == "/v1/models" and len(calls) >= 2  # the page asked again itself


def test_prepared_tasks_carry_what_is_sent_and_it_is_sent_as_prepared() -> None:
    """prepare_tasks encodes every crop that will be sent (the page's CPU work, done before the
    page window lets more pages in); recognising then sends exactly that payload."""
    mock = Mock(by_prompt)
    rec = recognizer(mock)
    tasks = [task(0, "ocr", ink(40, 200)), task(1, "formula", ink(60, 300, (10, 50, 50, 250))),
             task(2, "chart", ink(100, 100)),  # not sent without chart recognition
             task(3, "ocr", np.zeros((0, 0, 3), dtype=np.uint8))]  # nothing to send

    async def go() -> tuple[list[RecognitionTask], PageRecognition]:
        try:
            prepared = await rec.prepare_tasks(tasks)
            assert not mock.bodies  # preparing sends nothing
            return prepared, await rec.recognize_page(PAGE, prepared)
        finally:
            await rec.aclose()

    prepared, out = asyncio.run(go())
    assert [t.payload is not None for t in prepared] == [True, True, False, False]
    assert prepared[0].payload is not None and prepared[0].payload.startswith("data:image/")
    sent = {b["messages"][0]["content"][1]["text"]: b["messages"][0]["content"][0]["image_url"]
            ["url"] for b in mock.bodies}
    assert sent == {"OCR:": prepared[0].payload, "Formula Recognition:": prepared[1].payload}
    formula = next(b for b in mock.bodies if b["messages"][0]["content"][1]["text"].startswith("F"))
    assert image_size(formula) == (200, 40)  # the same trimming as when encoded on the way
    assert out.results[0].content == "Hello world" and out.results[2].source == "image"
    assert out.results[3].error is not None and out.results[3].error.reason == "no_crop"
