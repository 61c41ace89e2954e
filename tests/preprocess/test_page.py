from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import docparse
from docparse.preprocess.geometry import page_geometry
from docparse.preprocess.orientation import rotate
from docparse.preprocess.page import Preprocessed, preprocess_page

WORDS = ("the river water was sampled every week and the results are listed below "
         "with the dates of each visit and the station names").split()


def _page(lines: int = 24) -> np.ndarray:
    """A white page with left-aligned lines of words, as a scanner would see a letter."""
    img = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    for i in range(lines):
        words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(8)]
        draw.text((110, 140 + i * 56), " ".join(words), fill="black", font=font)
    return np.asarray(img)


def _tilted(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned ``degrees`` counter-clockwise, corners white (a skewed scan)."""
    out = Image.fromarray(image).rotate(degrees, resample=Image.Resampling.BICUBIC,
                                        fillcolor=(255, 255, 255))
    return np.asarray(out)


def _no_reader() -> object:
    raise AssertionError("the full orientation check ran on a page the cheap test should settle")


@pytest.mark.parametrize("degrees", [0.0, 2.0, -5.0, 7.5])
def test_skew_is_measured_from_the_lines(degrees: float) -> None:
    geometry = page_geometry(_tilted(_page(), degrees))
    assert geometry.axis() == "flat"
    skew = geometry.skew()
    assert skew is not None
    # Turning counter-clockwise by `degrees` makes lines rise to the right (negative skew).
    assert abs(skew + degrees) < 0.3


def test_a_page_on_its_side_has_upright_lines() -> None:
    geometry = page_geometry(rotate(_page(), 90))
    assert geometry.axis() == "upright"
    assert len(geometry.upright) >= 20


def test_blank_page_has_no_lines() -> None:
    geometry = page_geometry(np.full((1000, 800, 3), 255, dtype=np.uint8))
    assert geometry.axis() is None and geometry.skew() is None


def test_upright_page_is_settled_by_the_cheap_test() -> None:
    done = preprocess_page(_page(), _no_reader)  # type: ignore[arg-type]
    assert isinstance(done, Preprocessed)
    assert (done.angle, done.skew, done.decided_by) == (0, 0.0, "geometry")
    assert len(done.text_line_boxes) == 24
    # The boxes are the lines: one per row of text, in page pixels.
    tops = sorted(round(b[1]) for b in done.text_line_boxes)
    assert all(140 - 20 < t - 56 * i < 140 + 20 for i, t in enumerate(tops))
    assert done.record()["angle"] == 0 and done.record()["skew"] == 0.0


def test_a_skewed_page_is_straightened_and_its_boxes_follow() -> None:
    done = preprocess_page(_tilted(_page(), 5.0), _no_reader)  # type: ignore[arg-type]
    assert done.decided_by == "geometry" and done.angle == 0
    assert abs(done.skew + 5.0) < 0.3
    after = page_geometry(done.image)
    assert after.skew() is not None and abs(after.skew() or 0.0) < 0.3  # level now
    assert done.image.shape == (1754, 1240, 3)
    for x1, y1, x2, y2 in done.text_line_boxes:
        assert x2 - x1 > 8 * (y2 - y1)  # level lines: long, thin boxes


@pytest.mark.slow
def test_a_5_degree_skewed_scan_is_straightened_and_read(samples_dir: Path, tmp_path: Path) -> None:
    scan = Image.open(samples_dir / "scan.png").convert("RGB")
    rng = np.random.default_rng(5)
    tilted = np.asarray(scan.rotate(-5.0, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)))
    noisy = np.clip(tilted.astype(np.int16) + rng.normal(0, 6, tilted.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "skewed.png"
    Image.fromarray(noisy).save(path)
    doc = docparse.parse(path)
    res = doc.pages[0].doc_preprocessor_res
    assert res is not None and res["angle"] == 0
    assert abs(res["skew"] - 5.0) < 1.0  # straightened clockwise-tilted page by turning it back
    text = " ".join(b.block_content for b in doc.pages[0].blocks).lower()
    assert "quarterly water quality report" in text
    assert "monitoring stations" in text
