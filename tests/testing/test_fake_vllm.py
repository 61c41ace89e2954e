"""The fake vLLM server, driven over real HTTP on 127.0.0.1 in its own process."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont

from docparse.errors import ConfigurationError
from docparse.recognize.vlm.postprocess import is_degenerate, postprocess_answer
from docparse.testing import AnswerRule, FakeVLLM, FakeVLLMConfig, start_fake_vllm
from docparse.testing.fake_vllm_answers import OcrLine, format_builtin, group_rows
from docparse.testing.fake_vllm_config import config_from_dict
from docparse.testing.fake_vllm_protocol import smart_resize

MODEL = "PaddleOCR-VL-0.9B"


def jpeg(width: int, height: int, color: str = "white", text: str | None = None) -> bytes:
    image = Image.new("RGB", (width, height), color)
    if text:
        font = ImageFont.load_default(size=28)
        ImageDraw.Draw(image).text((10, 10), text, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def body(prompt: str = "OCR:", image: bytes | None = None, **changes: Any) -> dict[str, Any]:
    """A request exactly as the official client sends it (reference §1.3)."""
    request: dict[str, Any] = {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": data_url(image or jpeg(120, 40))}},
                    {"type": "text", "text": prompt},
                ],
            }
        ],
        "max_completion_tokens": 4096,
        "temperature": 0,
        "skip_special_tokens": True,
        "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520},
    }
    request.update(changes)
    return request


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm() as handle:
        yield handle


@pytest.fixture
def fake(server: FakeVLLM) -> Iterator[FakeVLLM]:
    """The shared server, back at the default config with empty records."""
    if not server.alive:
        server.restart()
    defaults = dataclasses.asdict(FakeVLLMConfig())
    server.configure(**defaults)
    server.reset()
    yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


def chat(http: httpx.Client, fake: FakeVLLM, payload: Any) -> httpx.Response:
    return http.post(f"{fake.url}/chat/completions", json=payload)


# ── endpoints and answers ─────────────────────────────────────────────────────────────────


def test_models_health_and_version(fake: FakeVLLM, http: httpx.Client) -> None:
    models = http.get(f"{fake.url}/models").json()
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == [MODEL]
    assert models["data"][0]["max_model_len"] == 16384
    health = http.get(f"{fake.base_url}/health")
    assert health.status_code == 200 and health.content == b""
    assert http.get(f"{fake.base_url}/nope").json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("OCR:", "Hello from fake vLLM"),
        ("Table Recognition:", "<fcel>Name<fcel>Qty<nl><fcel>apple<fcel>3<nl>"),
        ("Formula Recognition:", "\\[E=mc^2\\]"),
        ("Chart Recognition:", "Year | Sales\n2023 | 10\n2024 | 12"),
    ],
)
def test_default_answer_per_prompt(
    fake: FakeVLLM, http: httpx.Client, prompt: str, expected: str
) -> None:
    image = jpeg(300, 90)
    response = chat(http, fake, body(prompt, image))
    assert response.status_code == 200
    completion = response.json()
    assert completion["id"].startswith("chatcmpl-")
    assert completion["object"] == "chat.completion"
    assert completion["model"] == MODEL
    choice = completion["choices"][0]
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == expected
    assert choice["finish_reason"] == "stop"
    # 300x90 → smart_resize with the official bounds → 476x168... tokens: (h/28)*(w/28) + text
    h_bar, w_bar = smart_resize(90, 300, 112896, 1003520)
    assert completion["usage"]["prompt_tokens"] == (h_bar // 28) * (w_bar // 28) + 12
    assert completion["usage"]["total_tokens"] == (
        completion["usage"]["prompt_tokens"] + completion["usage"]["completion_tokens"]
    )

    [record] = fake.requests()
    assert record["valid"] and record["outcome"] == "answer" and record["status"] == 200
    assert record["prompt"] == prompt
    assert record["image"] == {
        "sha256": hashlib.sha256(image).hexdigest(),
        "width": 300,
        "height": 90,
        "format": "JPEG",
        "bytes": len(image),
    }
    part = record["body"]["messages"][0]["content"][0]
    assert part["image_url"]["url"] == "sha256:" + hashlib.sha256(image).hexdigest()
    assert record["body"]["mm_processor_kwargs"] == {"min_pixels": 112896, "max_pixels": 1003520}


def test_rules_sizes_fingerprints_and_templates(fake: FakeVLLM, http: httpx.Client) -> None:
    red = jpeg(64, 64, "red")
    fake.configure(
        rules=[
            {"size": "120x40", "prompt": "OCR:", "answer": "crop {width}x{height} #{seq}"},
            {"sha256": hashlib.sha256(red).hexdigest()[:12], "answer": "the red one"},
            AnswerRule(prompt="Formula Recognition:", answer="\\[x^{2}\\]"),
        ],
        by_size={"50x30": "fifty by thirty"},
        answers={"OCR:": "plain default"},
    )

    def answer(prompt: str, image: bytes) -> str:
        return str(chat(http, fake, body(prompt, image)).json()["choices"][0]["message"]["content"])

    assert answer("OCR:", jpeg(120, 40)) == "crop 120x40 #1"
    assert answer("Table Recognition:", jpeg(120, 40)) != "crop 120x40 #2"  # prompt must match
    assert answer("OCR:", red) == "the red one"
    assert answer("Formula Recognition:", jpeg(80, 80)) == "\\[x^{2}\\]"
    assert answer("OCR:", jpeg(50, 30)) == "fifty by thirty"
    assert answer("OCR:", jpeg(51, 30)) == "plain default"


def test_rule_can_force_a_fault_for_one_crop(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(rules=[{"size": "77x33", "fault": "error", "status": 503}])
    assert chat(http, fake, body(image=jpeg(77, 33))).status_code == 503
    assert chat(http, fake, body(image=jpeg(78, 33))).status_code == 200


def test_long_answer_is_cut_at_the_token_limit(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(answers={"OCR:": "word " * 100})
    choice = chat(http, fake, body(max_completion_tokens=10)).json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == ("word " * 100)[:30]


# ── validation ────────────────────────────────────────────────────────────────────────────


def _swap_parts(b: dict[str, Any]) -> None:
    b["messages"][0]["content"].reverse()


def _two_messages(b: dict[str, Any]) -> None:
    b["messages"].append(b["messages"][0])


def _prompt(text: str) -> Any:
    def change(b: dict[str, Any]) -> None:
        b["messages"][0]["content"][1]["text"] = text

    return change


def _url(url: str) -> Any:
    def change(b: dict[str, Any]) -> None:
        b["messages"][0]["content"][0]["image_url"]["url"] = url

    return change


def _drop(name: str) -> Any:
    return lambda b: b.pop(name)


def _set(name: str, value: Any) -> Any:
    return lambda b: b.__setitem__(name, value)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (_swap_parts, 400, "first content part must be the image_url"),
        (_two_messages, 400, "exactly one message, got 2"),
        (_prompt("Spotting:"), 400, "prompt 'Spotting:' is not one of"),
        (_url(data_url(_png(), "image/png")), 400, "data:image/jpeg;base64,"),
        (_url(data_url(_png())), 400, "the data URL says JPEG but holds PNG"),
        (_url("data:image/jpeg;base64,!!!not base64"), 400, "Failed to decode the base64"),
        (_url(data_url(b"\xff\xd8\xff garbage")), 400, "Failed to load image"),
        (
            _url(data_url(jpeg(1000, 4))),
            400,
            "absolute aspect ratio must be smaller than 200, got 250.0",
        ),
        (_url(data_url(jpeg(40, 3))), 500, "too small"),
        (_drop("temperature"), 400, "'temperature' is missing"),
        (_drop("skip_special_tokens"), 400, "'skip_special_tokens' is missing"),
        (_drop("mm_processor_kwargs"), 400, "mm_processor_kwargs"),
        (_set("mm_processor_kwargs", {"min_pixels": 10}), 400, "max_pixels must be a positive"),
        (_set("max_completion_tokens", "4096"), 400, "max_tokens must be at least 1, got 4096"),
        (_set("max_completion_tokens", 16300), 400, "'max_completion_tokens' is too large: 16300"),
        (_set("temperature", -1), 400, "temperature must be non-negative"),
        (_set("stream", True), 400, "stream=true"),
    ],
)
def test_invalid_requests_are_refused_like_vllm(
    fake: FakeVLLM, http: httpx.Client, change: Any, status: int, message: str
) -> None:
    payload = body()
    change(payload)
    response = chat(http, fake, payload)
    assert response.status_code == status
    error = response.json()["error"]
    assert message in error["message"]
    assert error["code"] == status
    assert error["type"] == ("InternalServerError" if status == 500 else "BadRequestError")
    [record] = fake.invalid_requests()
    assert record["outcome"] == "invalid" and record["status"] == status
    assert message in record["error"]
    assert fake.stats().invalid == 1


def test_unknown_model_gets_vllms_exact_404(fake: FakeVLLM, http: httpx.Client) -> None:
    response = chat(http, fake, body(model="PaddlePaddle/PaddleOCR-VL"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "The model `PaddlePaddle/PaddleOCR-VL` does not exist.",
            "type": "NotFoundError",
            "param": "model",
            "code": 404,
        }
    }


def test_invalid_json_and_valid_edge_cases(fake: FakeVLLM, http: httpx.Client) -> None:
    response = http.post(
        f"{fake.url}/chat/completions",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert (
        response.status_code == 400 and "JSON decode error" in response.json()["error"]["message"]
    )
    # A 900x5 strip is scaled to 28 px high first (ratio 180): vLLM accepts it.
    assert chat(http, fake, body(image=jpeg(900, 5))).status_code == 200
    assert chat(http, fake, body(image=jpeg(40, 4))).status_code == 200


def test_strict_mode_fails_the_test_on_invalid_requests(http: httpx.Client) -> None:
    with pytest.raises(AssertionError, match=r"1 invalid request\(s\):\n  #1: 400"):
        with start_fake_vllm(FakeVLLMConfig(strict=True)) as strict:
            assert chat(http, strict, body(temperature="hot")).status_code == 400
    with start_fake_vllm(FakeVLLMConfig(strict=True)) as strict:
        assert chat(http, strict, body()).status_code == 200
        strict.assert_no_invalid_requests()


# ── capacity ──────────────────────────────────────────────────────────────────────────────


async def _concurrent(url: str, n: int, timeout: float = 10) -> list[httpx.Response]:
    async with httpx.AsyncClient(trust_env=False, timeout=timeout) as client:
        payload = body()
        return await asyncio.gather(
            *(client.post(f"{url}/chat/completions", json=payload) for _ in range(n))
        )


def test_slots_queue_requests_like_a_saturated_gpu(fake: FakeVLLM) -> None:
    fake.configure(slots=2, latency=0.2)
    started = time.monotonic()
    responses = asyncio.run(_concurrent(fake.url, 8))
    elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert elapsed >= 0.78  # 8 / 2 slots × 0.2 s = 0.8 s
    assert elapsed < 8.0  # only catches a server that ignores its slots' concurrency
    stats = fake.stats()
    assert stats.max_in_flight == 2
    assert stats.max_open >= 6  # the others were queued, not refused
    assert stats.served == 8 and stats.in_flight == 0 and stats.outcomes == {"answer": 8}


def test_unlimited_slots_serve_in_parallel(fake: FakeVLLM) -> None:
    fake.configure(latency=0.3)
    started = time.monotonic()
    responses = asyncio.run(_concurrent(fake.url, 8))
    assert all(r.status_code == 200 for r in responses)
    assert time.monotonic() - started < 1.2  # two slots' worth; unlimited ≈ 0.3 s
    assert fake.stats().max_in_flight == 8


# ── faults ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("status", "error_type"), [(500, "InternalServerError"), (503, "ServiceUnavailableError")]
)
def test_error_rate_json_errors(
    fake: FakeVLLM, http: httpx.Client, status: int, error_type: str
) -> None:
    fake.configure(error_rate=1.0, error_statuses=[status])
    response = chat(http, fake, body())
    assert response.status_code == status
    assert response.json()["error"]["type"] == error_type
    assert fake.requests()[0]["outcome"] == "error"


def test_error_rate_502_is_a_proxy_html_page(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(error_rate=1.0, error_statuses=[502])
    response = chat(http, fake, body())
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert b"502 Bad Gateway" in response.content


def test_retry_after(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(retry_after_rate=1.0, retry_after=2)
    response = chat(http, fake, body())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"


def test_timeout_and_hang_outlast_the_client(fake: FakeVLLM) -> None:
    for fault in ("timeout", "hang"):
        fake.configure(**{f"{fault}_rate": 1.0, "timeout_sleep": 30.0})
        with httpx.Client(trust_env=False, timeout=0.3) as client:
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                chat(client, fake, body())
            assert time.monotonic() - started < 8  # the client timeout (0.3 s) ended it, not the 30 s sleep
        fake.configure(**{f"{fault}_rate": 0.0})
    assert [r["outcome"] for r in fake.requests()] == ["timeout", "hang"]


def test_timeout_answers_late_when_the_client_waits(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(timeout_rate=1.0, timeout_sleep=0.4)
    started = time.monotonic()
    response = chat(http, fake, body())
    assert response.status_code == 200 and time.monotonic() - started >= 0.4
    assert response.json()["choices"][0]["message"]["content"] == "late answer"


def test_drop_closes_without_a_response(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        chat(http, fake, body())


def test_malformed_body(fake: FakeVLLM, http: httpx.Client) -> None:
    fake.configure(malformed_rate=1.0)
    response = chat(http, fake, body())
    assert response.status_code == 200
    assert response.content.startswith(b'{"id": "chatcmpl-')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


@pytest.mark.parametrize("prompt", ["OCR:", "Table Recognition:", "Formula Recognition:"])
def test_loop_answer_is_degenerate_and_gets_truncated(
    fake: FakeVLLM, http: httpx.Client, prompt: str
) -> None:
    fake.configure(loop_rate=1.0)
    choice = chat(http, fake, body(prompt)).json()["choices"][0]
    content = choice["message"]["content"]
    assert choice["finish_reason"] == "length"
    assert len(content) == 4096 * 3
    assert is_degenerate(content, choice["finish_reason"])
    label, kind = {
        "OCR:": ("text", "ocr"),
        "Table Recognition:": ("table", "table"),
        "Formula Recognition:": ("display_formula", "formula"),
    }[prompt]
    cleaned, truncated = postprocess_answer(label, kind, content)
    # Upstream's detectors keep only what precedes the repeats: a short remnant.
    assert truncated and 0 < len(cleaned) < 200
    if kind == "table":
        assert cleaned.startswith("<table><tr><td>A</td><td>B</td>")


def test_seeded_faults_repeat_exactly(fake: FakeVLLM, http: httpx.Client) -> None:
    rates = {"error_rate": 0.3, "malformed_rate": 0.2, "loop_rate": 0.2, "seed": 7}

    def run() -> list[str]:
        fake.reset()
        fake.configure(**rates)
        for _ in range(30):
            chat(http, fake, body(max_completion_tokens=20))
        return [r["outcome"] for r in fake.requests()]

    first, second = run(), run()
    assert first == second
    assert {"error", "malformed", "loop", "answer"} <= set(first)


def test_kill_refuses_connections_and_restart_keeps_port_and_records(
    fake: FakeVLLM, http: httpx.Client
) -> None:
    fake.configure(answers={"OCR:": "before"})
    assert chat(http, fake, body()).status_code == 200
    port = fake.port
    fake.kill()
    assert not fake.alive
    with pytest.raises(httpx.ConnectError):
        chat(http, fake, body())
    fake.restart()
    assert fake.port == port
    response = chat(http, fake, body())
    assert response.json()["choices"][0]["message"]["content"] == "before"  # config survived
    assert [r["seq"] for r in fake.requests()] == [1, 1]  # records survive, counters restart


def test_configure_rejects_bad_values(fake: FakeVLLM) -> None:
    with pytest.raises(ConfigurationError, match="unknown field"):
        fake.configure(latncy=1)
    with pytest.raises(ConfigurationError, match="add up to more than 1"):
        fake.configure(error_rate=0.6, drop_rate=0.6)
    with pytest.raises(ConfigurationError, match="unknown fault"):
        fake.configure(rules=[{"fault": "explode"}])
    with pytest.raises(ConfigurationError, match="is not 'WxH'"):
        fake.configure(by_size={"12-40": "x"})
    assert fake.config.error_rate == 0.0


def test_command_line_refuses_bad_config() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "docparse.testing.fake_vllm", "--config", '{"slots": -1}'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "slots and latency must not be negative" in result.stderr


def test_config_round_trips_through_json() -> None:
    config = FakeVLLMConfig(
        rules=(AnswerRule(size="10x10", answer="a"),), by_size={"1x2": "b"}, slots=3
    )
    assert config_from_dict(json.loads(config.to_json())) == config


# ── official SDK ──────────────────────────────────────────────────────────────────────────


def test_official_openai_sdk_can_call_it(fake: FakeVLLM) -> None:
    openai = pytest.importorskip("openai")

    async def run() -> tuple[list[str], Any]:
        client = openai.AsyncOpenAI(base_url=fake.url, api_key="null", max_retries=0)
        try:
            models = [m.id async for m in client.models.list()]
            completion = await client.chat.completions.create(
                model=MODEL,
                messages=body()["messages"],
                max_completion_tokens=4096,
                temperature=0,
                extra_body={
                    "skip_special_tokens": True,
                    "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520},
                },
                timeout=30,
            )
            with pytest.raises(openai.NotFoundError, match="does not exist"):
                await client.chat.completions.create(
                    model="other", messages=body()["messages"], max_completion_tokens=10,
                    temperature=0,
                )  # fmt: skip
            return models, completion
        finally:
            await client.close()

    models, completion = asyncio.run(run())
    assert models == [MODEL]
    assert completion.choices[0].message.content == "Hello from fake vLLM"
    assert completion.choices[0].finish_reason == "stop"
    [good, bad] = fake.requests()
    assert good["valid"] and good["body"]["skip_special_tokens"] is True
    assert bad["status"] == 404


# ── built-in OCR answers ──────────────────────────────────────────────────────────────────


def test_builtin_formats_from_lines() -> None:
    lines = [
        OcrLine(10, 10, 60, 30, "Name"),
        OcrLine(200, 12, 240, 30, "Qty"),
        OcrLine(10, 50, 70, 70, "apple"),
        OcrLine(205, 50, 220, 70, "3"),
        OcrLine(10, 90, 60, 110, "pear"),
    ]
    assert [[ln.text for ln in row] for row in group_rows(lines)] == [
        ["Name", "Qty"],
        ["apple", "3"],
        ["pear"],
    ]
    assert format_builtin("OCR:", lines) == "Name Qty\napple 3\npear"
    table = format_builtin("Table Recognition:", lines)
    assert table == "<fcel>Name<fcel>Qty<nl><fcel>apple<fcel>3<nl><fcel>pear<ecel><nl>"
    assert format_builtin("Chart Recognition:", lines) == "Name | Qty\napple | 3\npear | "
    assert format_builtin("Formula Recognition:", lines[:2]) == "\\[Name Qty\\]"


@pytest.mark.slow
def test_builtin_ocr_mode_reads_the_crop() -> None:
    # RapidOCR on CPU: seconds per crop on a busy 2-core machine, hence the long timeout.
    http = httpx.Client(trust_env=False, timeout=120)
    with http, start_fake_vllm(FakeVLLMConfig(ocr_mode="builtin")) as server:
        image = jpeg(420, 60, text="Invoice 2024")
        text = chat(http, server, body("OCR:", image)).json()["choices"][0]["message"]["content"]
        assert "Invoice" in text and "2024" in text

        table = Image.new("RGB", (400, 120), "white")
        draw = ImageDraw.Draw(table)
        font = ImageFont.load_default(size=28)
        for (x, y), word in zip(
            [(10, 10), (250, 10), (10, 70), (250, 70)], ["Item", "Price", "Tea", "42"], strict=True
        ):
            draw.text((x, y), word, fill="black", font=font)
        buffer = io.BytesIO()
        table.save(buffer, format="JPEG")
        otsl = chat(http, server, body("Table Recognition:", buffer.getvalue())).json()
        html, _ = postprocess_answer("table", "table", otsl["choices"][0]["message"]["content"])
        assert html == (
            "<table><tr><td>Item</td><td>Price</td></tr><tr><td>Tea</td><td>42</td></tr></table>"
        )
