"""``Spotting:`` building blocks against paddlex's own pre- and post-processing."""

from __future__ import annotations

import numpy as np
import pytest

from docparse.recognize.vlm.spotting import parse_spotting, upscale_for_spotting

ANSWERS = [
    # Tagged pairs, as PaddleOCR-VL-1.5 answers.
    "<|TEXT_START|>Hello<|TEXT_END|><|LOC_BEGIN|><|LOC_100|><|LOC_100|><|LOC_900|><|LOC_100|>"
    "<|LOC_900|><|LOC_200|><|LOC_100|><|LOC_200|><|LOC_END|>"
    "<|TEXT_START|> World <|TEXT_END|><|LOC_BEGIN|><|LOC_1|><|LOC_2|><|LOC_3|><|LOC_END|>",
    # Untagged: text, then 8 location tokens, twice (and a dangling partial group).
    "First line<|LOC_10|><|LOC_20|><|LOC_30|><|LOC_20|><|LOC_30|><|LOC_40|><|LOC_10|><|LOC_40|>"
    "Second<|LOC_500|><|LOC_500|><|LOC_600|><|LOC_500|><|LOC_600|><|LOC_600|><|LOC_500|>"
    "<|LOC_600|> tail<|LOC_1|>",
    "no locations at all",
    "",
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_parse_spotting_matches_paddlex(answer: str) -> None:
    uilts = pytest.importorskip("paddlex.inference.pipelines.paddleocr_vl.uilts")
    content, result = parse_spotting(answer, 640, 480)
    expected_content, expected = uilts.post_process_for_spotting(answer, 640, 480)
    assert content == expected_content
    assert [list(p) for p in result.rec_polys] == expected["rec_polys"]
    assert list(result.rec_texts) == expected["rec_texts"]


def test_first_answer_reads_one_line_and_skips_the_short_location() -> None:
    content, result = parse_spotting(ANSWERS[0], 1000, 500)
    assert content == "Hello"
    assert result.rec_polys == (((100.0, 50.0), (900.0, 50.0), (900.0, 100.0), (100.0, 100.0)),)


@pytest.mark.parametrize("shape", [(100, 200), (1499, 1000), (1500, 800), (900, 2000)])
def test_upscale_matches_paddlex(shape: tuple[int, int]) -> None:
    uilts = pytest.importorskip("paddlex.inference.pipelines.paddleocr_vl.uilts")
    image = np.random.default_rng(1).integers(0, 255, (*shape, 3), dtype=np.uint8)
    ours = upscale_for_spotting(image)
    assert np.array_equal(ours, uilts.pre_process_for_spotting(image))
    small = shape[0] < 1500 and shape[1] < 1500
    assert ours.shape[:2] == ((shape[0] * 2, shape[1] * 2) if small else shape)
