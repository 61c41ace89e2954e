"""Crop preparation: the official formula trim, padding to what vLLM accepts, JPEG data URLs."""

from __future__ import annotations

import base64
import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from docparse.recognize.vlm.crops import (
    MAX_ASPECT_RATIO,
    MIN_SIDE,
    crop_margin,
    encode_jpeg_data_url,
    pad_for_server,
    padded_size,
    prepare_crop,
    trim_formula,
)


def _page_with_ink(h: int, w: int, box: tuple[int, int, int, int]) -> npt.NDArray[np.uint8]:
    img = np.full((h, w, 3), 250, dtype=np.uint8)
    y0, x0, y1, x1 = box
    img[y0:y1, x0:x1] = (20, 30, 40)
    return img


def _decode(url: str) -> Image.Image:
    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :])))


def test_crop_margin_keeps_only_the_dark_pixels() -> None:
    img = _page_with_ink(60, 200, (10, 30, 25, 170))
    assert crop_margin(img).shape == (15, 140, 3)
    assert np.array_equal(crop_margin(img), img[10:25, 30:170])


def test_crop_margin_leaves_flat_images_alone() -> None:
    flat = np.full((10, 10, 3), 255, dtype=np.uint8)
    assert crop_margin(flat) is flat


def test_formula_trim_falls_back_when_the_trim_is_two_pixels_thin() -> None:
    thin = _page_with_ink(40, 300, (20, 10, 22, 290))  # 2 rows of ink
    assert trim_formula(thin) is thin
    thick = _page_with_ink(40, 300, (20, 10, 23, 290))
    assert trim_formula(thick).shape == (3, 280, 3)


@pytest.mark.slow
def test_crop_margin_matches_paddlex_on_varied_crops() -> None:
    uilts = pytest.importorskip("paddlex.inference.pipelines.paddleocr_vl.uilts")
    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w = int(rng.integers(5, 120)), int(rng.integers(5, 300))
        img = rng.integers(150, 256, size=(h, w, 3), dtype=np.uint8)
        for _ in range(int(rng.integers(0, 4))):
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            img[y : y + int(rng.integers(1, 9)), x : x + int(rng.integers(1, 30))] = rng.integers(
                0, 180, size=3
            )
        # paddlex works on BGR crops; ours are RGB.
        expected = uilts.crop_margin(np.ascontiguousarray(img[..., ::-1]))[..., ::-1]
        assert np.array_equal(crop_margin(img), expected)


@pytest.mark.parametrize(
    ("size", "padded"),
    [
        ((80, 1000), (80, 1000)),  # fine as is
        ((28, 28), (28, 28)),
        ((4, 900), (28, 900)),  # the #17354 crop_margin strip
        ((3, 3), (28, 28)),  # the #17378 tiny crop
        ((900, 4), (900, 28)),
        ((28, 6000), (34, 6000)),  # ratio 214 -> 6000 / 34 = 176
        ((6000, 30), (6000, 34)),
        ((1, 1), (28, 28)),
    ],
)
def test_padded_size(size: tuple[int, int], padded: tuple[int, int]) -> None:
    h, w = padded_size(*size)
    assert (h, w) == padded
    assert min(h, w) >= MIN_SIDE
    assert max(h, w) / min(h, w) <= MAX_ASPECT_RATIO


def test_padding_centres_the_crop_on_white() -> None:
    img = np.zeros((4, 100, 3), dtype=np.uint8)
    out = pad_for_server(img)
    assert out.shape == (28, 100, 3)
    assert np.array_equal(out[12:16], img)
    assert (out[:12] == 255).all() and (out[16:] == 255).all()
    ok = np.zeros((50, 50, 3), dtype=np.uint8)
    assert pad_for_server(ok) is ok


def test_jpeg_is_pil_default_quality_rgb() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, size=(40, 60, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG")  # what the official client does
    expected = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
    assert encode_jpeg_data_url(img) == expected
    decoded = _decode(expected)
    assert (decoded.mode, decoded.size) == ("RGB", (60, 40))


def test_prepare_crop_trims_formulas_only_and_pads() -> None:
    img = _page_with_ink(60, 200, (10, 30, 40, 170))
    assert _decode(prepare_crop(img, "formula")).size == (140, 30)
    assert _decode(prepare_crop(img, "ocr")).size == (200, 60)
    strip = _page_with_ink(60, 400, (20, 10, 24, 390))  # trims to 4 x 380
    assert _decode(prepare_crop(strip, "formula")).size == (380, 28)
