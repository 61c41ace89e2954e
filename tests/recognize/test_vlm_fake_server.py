"""VlmRecognizer against the validating fake vLLM server on 127.0.0.1 (separate processes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from docparse.errors import ConfigurationError, ServerUnavailableError
from docparse.options import ParseOptions
from docparse.recognize import PageRecognition, RecognitionTask, TaskKind
from docparse.recognize.vlm.recognizer import VlmRecognizer
from docparse.sources import PageImage
from docparse.testing.fake_vllm import FakeVLLM, start_fake_vllm
from docparse.testing.fake_vllm_config import FakeVLLMConfig, config_to_dict

PAGE = PageImage("scan.png", None, None, np.full((600, 600, 3), 255, dtype=np.uint8))


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig()) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeVLLM) -> Iterator[FakeVLLM]:
    server.configure(**config_to_dict(FakeVLLMConfig()))
    server.reset()
    yield server
    # Every request docparse sent must pass the server's validation (vLLM's checks plus
    # the official client's contract).
    server.assert_no_invalid_requests()


def ink(h: int, w: int, box: tuple[int, int, int, int] | None = None) -> npt.NDArray[np.uint8]:
    img = np.full((h, w, 3), 255, dtype=np.uint8)
    y0, x0, y1, x1 = box or (0, 0, h, w)
    img[y0:y1, x0:x1] = 0
    return img


def task(
    i: int, kind: TaskKind = "ocr", crop: npt.NDArray[np.uint8] | None = None
) -> RecognitionTask:
    label = {"ocr": "text", "table": "table", "formula": "display_formula", "chart": "chart"}[kind]
    return RecognitionTask(
        block_id=i,
        label=label,
        kind=kind,
        bbox=(0, 0, 1, 1),
        crop=ink(40, 100 + i) if crop is None else crop,
    )


def recognizer(urls: Sequence[str], **options: Any) -> VlmRecognizer:
    hooks = {k: options.pop(k) for k in ("sleep",) if k in options}
    return VlmRecognizer(ParseOptions(server_url=tuple(urls), **options), **hooks)


def run(rec: VlmRecognizer, tasks: Sequence[RecognitionTask], **kw: Any) -> PageRecognition:
    async def go() -> PageRecognition:
        try:
            return await rec.recognize_page(PAGE, tasks, **kw)
        finally:
            await rec.aclose()

    return asyncio.run(go())


def test_request_body_is_the_official_one(fake: FakeVLLM) -> None:
    out = run(recognizer([fake.base_url]), [task(0, crop=ink(80, 1000))])
    assert out.results[0].content == "Hello from fake vLLM"
    (record,) = fake.requests()
    assert record["valid"] and record["outcome"] == "answer"
    sha = record["image"]["sha256"]
    assert (record["image"]["format"], record["image"]["width"], record["image"]["height"]) == (
        "JPEG",
        1000,
        80,
    )
    assert record["body"] == {
        "model": "PaddleOCR-VL-0.9B",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": f"sha256:{sha}"}},
                    {"type": "text", "text": "OCR:"},
                ],
            }
        ],
        "max_completion_tokens": 4096,
        "temperature": 0,
        "skip_special_tokens": True,
        "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520},
    }


def test_prompts_per_kind_and_chart_only_when_enabled(fake: FakeVLLM) -> None:
    tasks = [task(0, "ocr"), task(1, "table"), task(2, "formula"), task(3, "chart")]
    out = run(recognizer([fake.url]), tasks)
    assert sorted(r["prompt"] for r in fake.requests()) == [
        "Formula Recognition:",
        "OCR:",
        "Table Recognition:",
    ]
    assert out.results[3].source == "image"
    assert out.results[1].content == (
        "<table><tr><td>Name</td><td>Qty</td></tr><tr><td>apple</td><td>3</td></tr></table>"
    )
    assert out.results[2].content == " $$ E=mc^2 $$ "
    fake.reset()
    out = run(recognizer([fake.url], chart_recognition=True), [task(3, "chart")])
    assert [r["prompt"] for r in fake.requests()] == ["Chart Recognition:"]
    assert out.results[3].content == "Year | Sales\n2023 | 10\n2024 | 12"


def test_formula_crop_is_trimmed(fake: FakeVLLM) -> None:
    run(recognizer([fake.url]), [task(0, "formula", ink(120, 500, (30, 40, 90, 460)))])
    (record,) = fake.requests()
    assert (record["image"]["width"], record["image"]["height"]) == (420, 60)


def test_tiny_and_extreme_crops_are_padded_and_accepted(fake: FakeVLLM) -> None:
    crops = [ink(3, 3), ink(1, 1), ink(4, 900), ink(900, 4), ink(30, 9000), ink(9000, 30)]
    out = run(recognizer([fake.url]), [task(i, crop=c) for i, c in enumerate(crops)])
    assert all(
        r.error is None and r.content == "Hello from fake vLLM" for r in out.results.values()
    )
    records = fake.requests()
    assert all(r["valid"] and r["status"] == 200 for r in records)
    sizes = sorted((r["image"]["width"], r["image"]["height"]) for r in records)
    assert sizes == [(28, 28), (28, 28), (28, 900), (50, 9000), (900, 28), (9000, 50)]


def test_the_validating_server_rejects_what_padding_prevents(fake: FakeVLLM) -> None:
    # The same tiny crop without padding: proves the previous test can fail.
    from docparse.recognize.vlm.crops import encode_jpeg_data_url
    from docparse.recognize.vlm.prompts import SamplingParams, build_request

    async def raw() -> Any:
        from openai import AsyncOpenAI, InternalServerError

        client = AsyncOpenAI(base_url=fake.url, api_key="null", max_retries=0)
        try:
            request = build_request(
                model="PaddleOCR-VL-0.9B",
                image_url=encode_jpeg_data_url(ink(3, 3)),
                kind="ocr",
                params=SamplingParams(),
            )
            with pytest.raises(InternalServerError):
                await client.chat.completions.create(**request)
        finally:
            await client.close()

    asyncio.run(raw())
    assert [r["valid"] for r in fake.requests()] == [False]
    fake.reset()


def test_model_discovery(fake: FakeVLLM) -> None:
    fake.configure(models=["llama-3-8b", "PaddlePaddle/PaddleOCR-VL"])
    run(recognizer([fake.url]), [task(0)])
    assert [r["model"] for r in fake.requests()] == ["PaddlePaddle/PaddleOCR-VL"]
    fake.configure(models=["llama-3-8b", "qwen2-vl"])
    with pytest.raises(ConfigurationError, match=r"llama-3-8b, qwen2-vl.*--model"):
        run(recognizer([fake.url]), [task(0)])
    fake.configure(models=["my-ocr"])
    fake.reset()
    run(recognizer([fake.url]), [task(0)])
    assert [r["model"] for r in fake.requests()] == ["my-ocr"]


def test_wrong_model_name_is_a_clear_error(fake: FakeVLLM) -> None:
    fake.configure(models=["PaddlePaddle/PaddleOCR-VL"])
    with pytest.raises(ConfigurationError) as info:
        run(recognizer([fake.url], model="PaddleOCR-VL-0.9B"), [task(0), task(1)])
    message = str(info.value)
    assert fake.url in message and "'PaddleOCR-VL-0.9B'" in message
    assert "it serves: PaddlePaddle/PaddleOCR-VL" in message
    assert {r["status"] for r in fake.requests()} == {404}  # rejected, as real vLLM would
    fake.reset()


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"error_rate": 0.4}, "error"),
        ({"retry_after_rate": 0.4, "retry_after": 0.05}, "retry_after"),
        ({"drop_rate": 0.4}, "drop"),
        ({"malformed_rate": 0.4}, "malformed"),
        ({"timeout_rate": 0.3, "timeout_sleep": 30.0}, "timeout"),
    ],
)
def test_transient_faults_are_retried_until_every_block_succeeds(
    fake: FakeVLLM, changes: dict[str, Any], outcome: str
) -> None:
    fake.configure(seed=3, **changes)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await asyncio.sleep(min(seconds, 0.05))

    rec = recognizer([fake.url], retries=8, timeout=0.5, sleep=sleep)
    out = run(rec, [task(i) for i in range(16)])
    assert all(r.content == "Hello from fake vLLM" for r in out.results.values())
    faults = sum(1 for r in fake.requests() if r["outcome"] == outcome)
    assert faults >= 2
    assert rec.stats().retries == faults == sum(r.retries for r in out.results.values())
    assert rec.stats().requests == len(fake.requests())
    if outcome == "retry_after":
        assert 0.05 in sleeps


def test_client_errors_are_not_retried(fake: FakeVLLM) -> None:
    fake.configure(rules=[{"size": "103x40", "fault": "error", "status": 400}])
    out = run(recognizer([fake.url]), [task(i) for i in range(5)])
    failed = out.results[3]
    assert failed.error is not None and failed.error.reason == "http_400"
    assert "fake vLLM injected error 400" in failed.error.message
    assert failed.requests == 1
    assert [r.content for i, r in sorted(out.results.items()) if i != 3] == [
        "Hello from fake vLLM"
    ] * 4
    assert len(fake.requests()) == 5


def test_persistent_5xx_fails_only_that_block_after_the_retries(fake: FakeVLLM) -> None:
    fake.configure(rules=[{"size": "101x40", "fault": "error", "status": 500}])
    rec = recognizer([fake.url], retries=2, sleep=lambda s: asyncio.sleep(0))
    out = run(rec, [task(i) for i in range(3)])
    failed = out.results[1]
    assert failed.error is not None and failed.error.reason == "http_500"
    assert (failed.requests, failed.retries) == (3, 2)
    assert out.results[0].error is None and out.results[2].error is None


def test_looping_answers_are_retried_once_then_flagged(fake: FakeVLLM) -> None:
    fake.configure(loop_rate=1.0)
    rec = recognizer([fake.url])
    out = run(rec, [task(0)])
    result = out.results[0]
    assert result.truncated is True and result.requests == 2
    assert len(result.content) < 100  # the official truncation keeps one unit of the loop
    bodies = [r["body"] for r in fake.requests()]
    assert [b.get("repetition_penalty") for b in bodies] == [None, 1.05]
    assert rec.stats().degenerate_retries == 1 and rec.stats().truncated_blocks == 1


def test_concurrency_never_exceeds_max_concurrency(fake: FakeVLLM) -> None:
    fake.configure(latency=0.05)
    rec = recognizer([fake.url], max_concurrency=5)
    out = run(rec, [task(i) for i in range(30)])
    assert len(out.results) == 30
    assert fake.stats().max_open == 5
    assert rec.stats().max_in_flight == 5


@pytest.mark.slow
def test_slot_limited_server_is_kept_saturated(fake: FakeVLLM) -> None:
    fake.configure(slots=4, latency=0.2)
    rec = recognizer([fake.url], max_concurrency=16)
    started = time.perf_counter()
    out = run(rec, [task(i) for i in range(40)])
    elapsed = time.perf_counter() - started
    assert all(r.error is None for r in out.results.values())
    stats = fake.stats()
    assert stats.max_in_flight == 4  # the server's slots were all busy
    # 40 requests / 4 slots * 0.2 s = 2.0 s at best: the slots, not the client, set the pace.
    # (Throughput figures belong to benchmarks/; the upper bound only catches a serialised client.)
    assert 2.0 <= elapsed < 8.0, elapsed


@pytest.mark.slow
def test_one_endpoint_killed_mid_run_every_block_completes() -> None:
    config = FakeVLLMConfig(latency=0.1)
    with start_fake_vllm(config) as a, start_fake_vllm(config) as b:

        async def scenario() -> tuple[PageRecognition, VlmRecognizer]:
            rec = recognizer([a.url, b.url], max_concurrency=8)
            try:
                page = asyncio.ensure_future(rec.recognize_page(PAGE, [task(i) for i in range(60)]))
                await asyncio.sleep(0.35)
                await asyncio.to_thread(a.kill)
                return await page, rec
            finally:
                await rec.aclose()

        out, rec = asyncio.run(scenario())
        assert len(out.results) == 60
        assert all(r.content == "Hello from fake vLLM" for r in out.results.values())
        stats = {s.url: s for s in rec.stats().endpoints}
        assert not stats[a.url].healthy and stats[b.url].healthy
        assert stats[a.url].ejections >= 1
        assert {r.endpoint for r in out.results.values()} == {a.url, b.url}


def test_every_endpoint_down_raises_quickly() -> None:
    dead = [start_fake_vllm(), start_fake_vllm()]
    for server in dead:
        server.kill()
    try:
        rec = recognizer([s.url for s in dead], retries=5)
        started = time.perf_counter()
        with pytest.raises(ServerUnavailableError) as info:
            run(rec, [task(i) for i in range(20)])
        # Far below retries x backoff per block: the pool gives up on a dead fleet at once.
        assert time.perf_counter() - started < 8.0
        assert all(s.url in str(info.value) for s in dead)
    finally:
        for server in dead:
            server.close()
