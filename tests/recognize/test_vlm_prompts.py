"""Request bodies: the official field set, prompts per kind, optional sampling fields."""

from __future__ import annotations

import json

import pytest

from docparse.options import ParseOptions
from docparse.recognize import TaskKind
from docparse.recognize.vlm.prompts import SamplingParams, build_request, prompt_for


@pytest.mark.parametrize(
    ("kind", "prompt"),
    [
        ("ocr", "OCR:"),
        ("table", "Table Recognition:"),
        ("formula", "Formula Recognition:"),
        ("chart", "Chart Recognition:"),
    ],
)
def test_prompt_per_kind(kind: TaskKind, prompt: str) -> None:
    assert prompt_for(kind) == prompt
    request = build_request(model="m", image_url="data:x", kind=kind, params=SamplingParams())
    assert request["messages"][0]["content"][1] == {"type": "text", "text": prompt}


def test_default_request_matches_the_captured_official_one() -> None:
    request = build_request(
        model="PaddleOCR-VL-0.9B",
        image_url="data:image/jpeg;base64,AAAA",
        kind="ocr",
        params=SamplingParams.from_options(ParseOptions()),
    )
    # What the SDK puts on the wire: extra_body merged into the top level.
    wire = {k: v for k, v in request.items() if k != "extra_body"} | request["extra_body"]
    assert json.dumps(wire) == json.dumps(
        {
            "model": "PaddleOCR-VL-0.9B",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
                        {"type": "text", "text": "OCR:"},
                    ],
                }
            ],
            "max_completion_tokens": 4096,
            "temperature": 0,
            "skip_special_tokens": True,
            "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520},
        }
    )


def test_options_override_every_sampling_field() -> None:
    options = ParseOptions(
        temperature=0.2,
        top_p=0.9,
        repetition_penalty=1.1,
        max_completion_tokens=1024,
        min_pixels=3136,
        max_pixels=200_704,
    )
    request = build_request(
        model="x", image_url="u", kind="table", params=SamplingParams.from_options(options)
    )
    assert request["temperature"] == 0.2
    assert request["top_p"] == 0.9
    assert request["max_completion_tokens"] == 1024
    assert request["extra_body"] == {
        "skip_special_tokens": True,
        "mm_processor_kwargs": {"min_pixels": 3136, "max_pixels": 200_704},
        "repetition_penalty": 1.1,
    }


def test_unset_top_p_and_penalty_are_not_sent() -> None:
    request = build_request(model="x", image_url="u", kind="ocr", params=SamplingParams())
    assert "top_p" not in request
    assert "repetition_penalty" not in request["extra_body"]


@pytest.mark.parametrize(("configured", "retry"), [(None, 1.05), (1.0, 1.05), (1.2, 1.2)])
def test_anti_repetition_raises_the_penalty_and_keeps_temperature(
    configured: float | None, retry: float
) -> None:
    params = SamplingParams(repetition_penalty=configured, temperature=0.0)
    again = params.anti_repetition()
    assert again.repetition_penalty == retry
    assert again.temperature == 0.0
