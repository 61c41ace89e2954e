"""Choosing the served model name, and the error for a name the server does not have."""

from __future__ import annotations

import pytest

from docparse.errors import ConfigurationError
from docparse.recognize.vlm.discovery import choose_model, is_model_missing, model_missing_error

EP = "http://127.0.0.1:1/v1"


@pytest.mark.parametrize(
    ("served", "chosen"),
    [
        (["PaddleOCR-VL-0.9B"], "PaddleOCR-VL-0.9B"),
        (["anything-else"], "anything-else"),  # a lone model is used whatever its name
        (["llama-3", "PaddlePaddle/PaddleOCR-VL"], "PaddlePaddle/PaddleOCR-VL"),
        (["paddleocr-vl-local", "qwen"], "paddleocr-vl-local"),
    ],
)
def test_choose_model(served: list[str], chosen: str) -> None:
    assert choose_model(served, EP) == chosen


@pytest.mark.parametrize(
    ("served", "fragment"),
    [
        ([], "lists no models"),
        (["llama-3", "qwen2-vl"], "serves no PaddleOCR-VL model among several (llama-3, qwen2-vl)"),
        (["PaddleOCR-VL-0.9B", "PaddleOCR-VL-1.5"], "several PaddleOCR-VL models"),
    ],
)
def test_choose_model_errors_name_the_endpoint_and_models(served: list[str], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        choose_model(served, EP)
    assert EP in str(info.value)
    assert fragment in str(info.value)


def test_model_missing_detection_and_message() -> None:
    assert is_model_missing(404, "The model `PaddleOCR-VL-0.9B` does not exist.")
    assert not is_model_missing(404, "Not Found")
    assert not is_model_missing(400, "The model `x` does not exist.")
    err = model_missing_error(EP, "PaddleOCR-VL-0.9B", ["PaddlePaddle/PaddleOCR-VL"])
    assert str(err) == (
        f"{EP}: the server has no model 'PaddleOCR-VL-0.9B'; it serves: PaddlePaddle/PaddleOCR-VL. "
        "Pass --model 'PaddlePaddle/PaddleOCR-VL' or omit --model to detect it"
    )
    assert "listing its models failed" in str(model_missing_error(EP, "m", None))
