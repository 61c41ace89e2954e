"""The built-in layout's rules on scans read by a recogniser of crops: the only evidence is
where page pre-processing found text lines (image processing, no OCR).

Each test draws a page image, finds its lines with the real pre-processing pass
(:func:`docparse.preprocess.geometry.page_geometry`), gives the refinement step the boxes the
small model might return, and checks what the lines make of them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from docparse.layout import LayoutEvidence, Region
from docparse.layout.builtin_refine import refine_builtin
from docparse.preprocess.geometry import page_geometry

W, H = 1240, 1754
WORDS = ("the river water was sampled every week and the results are listed below "
         "with the dates of each visit and the station names").split()


def _prose(draw: ImageDraw.ImageDraw, x: int, y: int, lines: int, words: int = 8) -> None:
    font = ImageFont.load_default(size=28)
    for i in range(lines):
        text = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(words))
        draw.text((x, y + i * 44), text, fill="black", font=font)


def _grid(draw: ImageDraw.ImageDraw, x: int, y: int, rows: int, *, ruled: bool = False) -> None:
    """Three columns of short cells, 260 px apart; with ``ruled``, every cell is boxed."""
    font = ImageFont.load_default(size=28)
    cells = (("Station", "Week", "Nitrate"), ("North", "12", "4.1"), ("South", "13", "3.7"),
             ("East", "14", "5.2"), ("West", "15", "2.9"), ("Mill", "16", "3.3"))
    for r in range(rows):
        for c, text in enumerate(cells[r % len(cells)]):
            draw.text((x + 20 + 260 * c, y + 12 + 56 * r), text, fill="black", font=font)
    if ruled:
        for r in range(rows + 1):
            draw.line((x, y + 56 * r, x + 780, y + 56 * r), fill="black", width=2)
        for c in range(4):
            draw.line((x + 260 * c, y, x + 260 * c, y + 56 * rows), fill="black", width=2)


def _evidence(image: Image.Image) -> LayoutEvidence:
    geometry = page_geometry(np.asarray(image))
    return LayoutEvidence(width=W, height=H, text_layer=None, page_has_text=False,
                          line_boxes=tuple(line.box() for line in geometry.flat))


def _page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (W, H), "white")
    return image, ImageDraw.Draw(image)


def test_text_no_region_holds_becomes_a_tentative_text_region_in_reading_order() -> None:
    image, draw = _page()
    _prose(draw, 110, 200, 5)  # boxed by the model
    _prose(draw, 110, 520, 4)  # missed by the model
    _prose(draw, 110, 900, 5)  # boxed
    first = Region("text", (100, 190, 1140, 420), 0.9, 22)
    last = Region("text", (100, 890, 1140, 1120), 0.9, 22)
    out = refine_builtin([first, last], _evidence(image))
    assert [r.label for r in out] == ["text", "text", "text"]
    assert out[0] == first and out[2] == last  # the found one sits between them
    found = out[1]
    assert found.tentative and not first.tentative
    # It holds every letter of the four missed lines (the pass finds their x-height band,
    # the box is padded to the letters) and nothing of the boxed paragraphs around it.
    ink = np.asarray(image.convert("L"))[440:880] < 128
    ys, xs = np.flatnonzero(ink.any(axis=1)) + 440, np.flatnonzero(ink.any(axis=0))
    x1, y1, x2, y2 = found.bbox
    assert x1 <= xs.min() and y1 <= ys.min() and x2 >= xs.max() and y2 >= ys.max()
    assert y1 > 420 and y2 < 890


def test_text_in_the_margins_and_inside_regions_is_left_alone() -> None:
    image, draw = _page()
    _prose(draw, 110, 300, 6)
    draw.text((110, 30), "Running head of the report", fill="black",
              font=ImageFont.load_default(size=24))  # top 5 %: furniture
    draw.line((110, 700, 1100, 700), fill="black", width=2)  # a thin rule, not text
    body = Region("text", (100, 290, 1140, 580), 0.9, 22)
    assert refine_builtin([body], _evidence(image)) == [body]


def test_without_line_evidence_nothing_is_added() -> None:
    image, draw = _page()
    _prose(draw, 110, 520, 4)
    bare = LayoutEvidence(width=W, height=H, text_layer=None, page_has_text=False)
    assert refine_builtin([], bare) == []
    # OCR lines, when the recogniser read the page, are the better evidence: its own rule.
    with_ocr = LayoutEvidence(width=W, height=H, text_layer=None, page_has_text=False,
                              ocr_lines=(), line_boxes=_evidence(image).line_boxes)
    assert refine_builtin([], with_ocr) == []


def test_prose_in_a_table_box_is_text() -> None:
    image, draw = _page()
    _prose(draw, 110, 300, 6)
    box = (100, 290, 1140, 580)
    (region,) = refine_builtin([Region("table", box, 0.99, 6)], _evidence(image))
    assert region.label == "text" and region.bbox == box


@pytest.mark.parametrize("ruled", [False, True])
def test_a_real_table_stays_a_table(ruled: bool) -> None:
    image, draw = _page()
    _grid(draw, 110, 300, 6, ruled=ruled)
    box = (100, 290, 900, 650)
    (region,) = refine_builtin([Region("table", box, 0.9, 6)], _evidence(image))
    assert region.label == "table"


def test_a_short_table_box_with_one_prose_line_keeps_its_label() -> None:
    # Two lines say too little: a caption-like row above a picture-like grid.
    image, draw = _page()
    _prose(draw, 110, 300, 2)
    (region,) = refine_builtin([Region("table", (100, 290, 1140, 400), 0.9, 6)],
                               _evidence(image))
    assert region.label == "table"


def test_a_big_picture_is_read_unless_its_lines_are_all_in_text_regions_inside_it() -> None:
    image, draw = _page()
    _prose(draw, 110, 300, 3)
    _prose(draw, 110, 700, 3)
    picture = Region("image", (60, 250, 1180, 1150), 0.7, 3)  # 46 % of the page
    first = Region("text", (100, 290, 900, 440), 0.9, 22)
    # One paragraph in no text region: the picture is read too (a tentative twin).
    out = refine_builtin([picture, first], _evidence(image))
    twins = [r for r in out if r.label == "text" and r.bbox == picture.bbox]
    assert len(twins) == 1 and twins[0].tentative
    # Both paragraphs boxed by the model: the picture's text was read already.
    second = Region("text", (100, 690, 900, 840), 0.9, 22)
    out = refine_builtin([picture, first, second], _evidence(image))
    assert out == [picture, first, second]
