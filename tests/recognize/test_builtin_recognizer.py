"""The built-in recognizer on real rendered pages with the shipped PP-OCRv6 models."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pymupdf
import pytest

from docparse.errors import ModelError, ModelNotFoundError
from docparse.recognize import PageRecognition, RecognitionResult, RecognitionTask
from docparse.recognize.builtin import (
    BuiltinRecognizer,
    find_extra_blocks,
)
from docparse.recognize.builtin_engine import (
    DET_MODEL,
    REC_MODEL,
    RapidOcrEngine,
    shipped_model_dir,
)
from docparse.recognize.line_order import OcrLine
from docparse.sources import PageImage
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

# pymupdf's constructors are untyped; one Any-typed handle keeps mypy --strict quiet.
MU: Any = pymupdf
SCALE = 2  # 144 dpi: page pixels are twice the PDF points

TITLE = "Harvest Report"
PARA_1 = (
    "The river flows quietly through the green valley while farmers gather the autumn "
    "harvest before the first snow arrives in the northern hills."
)
PARA_2 = (
    "Every morning the baker opens his small shop and sells fresh bread to the children "
    "walking to school along the old stone bridge."
)
TABLE = [
    ["City", "Country", "Population", "Area"],
    ["Lisbon", "Portugal", "545000", "100"],
    ["Oslo", "Norway", "709000", "454"],
]
OUTSIDE = "This sentence lies outside every layout box and must survive."
HEADER = "Quarterly Newsletter Header"
SIDE = "Vertical side caption text"
FIGURE_TEXT = "Axis label inside a picture"
LEFT_COL = ["Alpha column starts here", "and goes on below", "ending left side"]
RIGHT_COL = ["Omega column begins", "then continues on", "finishing right side"]

# Boxes in PDF points (x0, y0, x1, y1).
TITLE_BOX = (60, 60, 300, 85)
PARA_BOX = (60, 100, 535, 215)
TABLE_BOX = (60, 250, 535, 340)
OUTSIDE_AT = (60, 400)
COLUMNS_BOX = (60, 450, 535, 520)
FIGURE_BOX = (330, 560, 535, 620)
EMPTY_BOX = (60, 640, 300, 700)


def _px(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (int(x0 * SCALE), int(y0 * SCALE), int(x1 * SCALE), int(y1 * SCALE))


def _render(doc: Any) -> npt.NDArray[np.uint8]:
    pix = doc[0].get_pixmap(matrix=MU.Matrix(SCALE, SCALE), alpha=False)
    samples: bytes = pix.samples
    flat: npt.NDArray[np.uint8] = np.frombuffer(samples, dtype=np.uint8)
    image: npt.NDArray[np.uint8] = flat.reshape(int(pix.h), int(pix.w), 3).copy()
    return image


def make_page() -> PageImage:
    """An A4 page with a title, two paragraphs, a ruled 3x4 table, two text columns, text
    outside every box, a header line, rotated side text and text inside a picture box."""
    doc = MU.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((60, 25), HEADER, fontsize=10)
    page.insert_text((60, 80), TITLE, fontsize=16)
    rc = page.insert_textbox(
        MU.Rect(*PARA_BOX), f"{PARA_1}\n\n{PARA_2}", fontsize=11, lineheight=1.3
    )
    assert rc >= 0, "paragraph text did not fit its box"
    x0, y0, x1, y1 = TABLE_BOX
    col_w, row_h = (x1 - x0) / 4, (y1 - y0) / 3
    for r in range(4):
        page.draw_line((x0, y0 + r * row_h), (x1, y0 + r * row_h))
    for c in range(5):
        page.draw_line((x0 + c * col_w, y0), (x0 + c * col_w, y1))
    for r, row in enumerate(TABLE):
        for c, text in enumerate(row):
            page.insert_text((x0 + c * col_w + 8, y0 + r * row_h + 19), text, fontsize=11)
    page.insert_text(OUTSIDE_AT, OUTSIDE, fontsize=11)
    for i, (left, right) in enumerate(zip(LEFT_COL, RIGHT_COL, strict=True)):
        y = COLUMNS_BOX[1] + 15 + i * 18
        page.insert_text((60, y), left, fontsize=11)
        page.insert_text((330, y), right, fontsize=11)
    page.draw_rect(MU.Rect(*FIGURE_BOX), color=(0.2, 0.4, 0.8))
    page.insert_text((340, 595), FIGURE_TEXT, fontsize=10)
    page.insert_text((30, 760), SIDE, fontsize=10, rotate=90)
    image = _render(doc)
    return PageImage(
        input_path="synthetic.pdf",
        page_index=0,
        page_count=1,
        image=image,
        scale=float(SCALE),
    )


#: Every layout box of the synthetic page that is not a task (the figure).
LAYOUT = (_px(FIGURE_BOX),)


def tasks() -> list[RecognitionTask]:
    return [
        RecognitionTask(0, "paragraph_title", "ocr", _px(TITLE_BOX)),
        RecognitionTask(1, "text", "ocr", _px(PARA_BOX)),
        RecognitionTask(2, "table", "table", _px(TABLE_BOX)),
        RecognitionTask(3, "text", "ocr", _px(COLUMNS_BOX)),
        RecognitionTask(4, "text", "ocr", _px(EMPTY_BOX)),
    ]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def share_found(expected: str, got: str) -> float:
    """Share of the expected words present in ``got`` (tolerates tiny OCR noise)."""
    want = words(expected)
    have = set(words(got))
    return sum(w in have for w in want) / len(want)


def table_rows(html: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


@pytest.fixture(scope="module")
def page() -> PageImage:
    return make_page()


@pytest.fixture(scope="module")
def whole_page(engine: RapidOcrEngine, page: PageImage) -> PageRecognition:
    recognizer = BuiltinRecognizer(engine, region_mode_max_coverage=0.0)
    return asyncio.run(recognizer.recognize_page(page, tasks(), layout_boxes=LAYOUT))


def test_paragraphs_are_read_and_joined(whole_page: PageRecognition) -> None:
    title = whole_page.results[0]
    assert (title.content, title.source, title.error) == (TITLE, "builtin-ocr", None)
    text = whole_page.results[1].content
    paragraphs = text.split("\n")
    assert len(paragraphs) == 2, text
    assert share_found(PARA_1, paragraphs[0]) >= 0.9
    assert share_found(PARA_2, paragraphs[1]) >= 0.9
    # Wrapped lines are joined in order: the paragraph starts and ends with its own words.
    assert words(paragraphs[0])[:3] == ["the", "river", "flows"]
    assert words(paragraphs[1])[-2:] == ["stone", "bridge"]


def test_ruled_table_cells_land_in_their_rows_and_columns(whole_page: PageRecognition) -> None:
    result = whole_page.results[2]
    assert result.source == "builtin-ocr:table"
    assert result.content.startswith("<table><tr><td>")
    assert table_rows(result.content) == TABLE


def test_columns_inside_one_box_are_read_left_then_right(whole_page: PageRecognition) -> None:
    text = whole_page.results[3].content
    got = words(text)
    assert got == words(" ".join(LEFT_COL + RIGHT_COL)), text


def test_empty_box_is_ok_and_empty(whole_page: PageRecognition) -> None:
    result = whole_page.results[4]
    assert (result.content, result.source, result.error) == ("", "builtin-ocr", None)


def test_text_outside_boxes_becomes_extra_block(whole_page: PageRecognition) -> None:
    assert len(whole_page.extra_blocks) == 1, whole_page.extra_blocks
    extra = whole_page.extra_blocks[0]
    assert extra.label == "text" and extra.source == "builtin-ocr"
    assert share_found(OUTSIDE, extra.content) >= 0.9
    x0, y0, _x1, y1 = extra.bbox
    assert abs(x0 - OUTSIDE_AT[0] * SCALE) < 12 and y0 < OUTSIDE_AT[1] * SCALE < y1 + 8
    # Header margin, rotated side text and the picture's own text are not content.
    extra_words = set(words(" ".join(e.content for e in whole_page.extra_blocks)))
    for skipped in (HEADER, SIDE, FIGURE_TEXT):
        assert not set(words(skipped)) & extra_words - set(words(OUTSIDE))


def test_region_mode_reads_the_same_boxes_without_extras(
    engine: RapidOcrEngine, page: PageImage, whole_page: PageRecognition
) -> None:
    recognizer = BuiltinRecognizer(engine, region_mode_max_coverage=1.0)
    regions = asyncio.run(recognizer.recognize_page(page, tasks(), layout_boxes=LAYOUT))
    assert regions.extra_blocks == []
    for block_id in range(5):
        assert regions.results[block_id].content == whole_page.results[block_id].content


def test_small_tasks_take_region_mode_and_formula_source(
    engine: RapidOcrEngine, page: PageImage
) -> None:
    calls: list[tuple[int, int]] = []

    def counting(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        calls.append(image.shape[:2])
        return engine(image)

    recognizer = BuiltinRecognizer(counting)
    only = [RecognitionTask(7, "display_formula", "formula", _px(TITLE_BOX))]
    result = asyncio.run(recognizer.recognize_page(page, only, layout_boxes=LAYOUT))
    assert result.results[7].content == TITLE
    assert result.results[7].source == "builtin-ocr:formula"
    assert len(calls) == 1 and calls[0][0] < page.height // 5


def test_a_text_box_the_page_reading_left_empty_is_read_on_its_own(page: PageImage) -> None:
    # The detector missed the title on the whole page (olmOCR's olmo paper: a logo starts
    # the line); read in its own crop it is found. Unsure readings are not taken.
    calls: list[tuple[int, int]] = []

    def misses_title(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        calls.append(image.shape[:2])
        if image.shape[:2] == (page.height, page.width):
            return []
        h, w = image.shape[:2]
        return [OcrLine(TITLE, (10.0, 10.0, w - 10.0, h - 10.0), 0.95),
                OcrLine("~~", (0.0, 0.0, 5.0, 5.0), 0.3)]

    title = RecognitionTask(0, "paragraph_title", "ocr", _px(TITLE_BOX))
    recognizer = BuiltinRecognizer(misses_title, region_mode_max_coverage=0.0)
    result = asyncio.run(recognizer.recognize_page(page, [title], layout_boxes=LAYOUT))
    assert result.results[0].content == TITLE
    assert len(calls) == 2 and calls[1][0] < page.height // 5


def test_member_boxes_are_read_into_one_task(engine: RapidOcrEngine, page: PageImage) -> None:
    task = RecognitionTask(9, "text", "ocr", _px(TITLE_BOX), member_bboxes=(_px(PARA_BOX),))
    result = asyncio.run(BuiltinRecognizer(engine).recognize_page(page, [task], layout_boxes=LAYOUT))
    first, *rest = result.results[9].content.split("\n")
    assert first == TITLE and share_found(PARA_1 + " " + PARA_2, " ".join(rest)) >= 0.9


def test_ocr_crash_fails_only_its_blocks(page: PageImage) -> None:
    def broken(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        raise RuntimeError("onnxruntime exploded")

    result = asyncio.run(BuiltinRecognizer(broken).recognize_page(page, tasks(), layout_boxes=LAYOUT))
    assert set(result.results) == {0, 1, 2, 3, 4}
    for block_id, res in result.results.items():
        assert res.content == "" and res.error is not None, block_id
        assert res.error.reason == "ocr_failed"
        assert "onnxruntime exploded" in res.error.message
        assert "synthetic.pdf page 1" in res.error.message
    assert result.extra_blocks == []


def test_one_bad_region_after_page_crash_fails_alone(
    engine: RapidOcrEngine, page: PageImage
) -> None:
    def picky(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        # Fails on the whole page and on the paragraph region (the only crop this tall).
        if image.shape[0] > SCALE * (PARA_BOX[3] - PARA_BOX[1]):
            raise RuntimeError("bad input")
        return engine(image)

    only = tasks()[:3]
    result = asyncio.run(
        BuiltinRecognizer(picky, region_mode_max_coverage=0.0).recognize_page(page, only, layout_boxes=LAYOUT)
    )
    assert result.results[0].content == TITLE
    assert result.results[1].error is not None and result.results[1].error.reason == "ocr_failed"
    assert table_rows(result.results[2].content) == TABLE


def test_model_errors_are_raised_not_returned(page: PageImage, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=re.escape("PP-OCRv6_det_small.onnx")):
        RapidOcrEngine(tmp_path).load()
    recognizer = BuiltinRecognizer(RapidOcrEngine(tmp_path))
    with pytest.raises(ModelError, match=re.escape(str(tmp_path))):
        asyncio.run(recognizer.recognize_page(page, tasks(), layout_boxes=LAYOUT))


def test_passed_deadline_reads_nothing(page: PageImage) -> None:
    calls: list[object] = []

    def never(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        calls.append(image)
        return []

    recognizer = BuiltinRecognizer(never, clock=lambda: 100.0)
    result = asyncio.run(recognizer.recognize_page(page, tasks(), layout_boxes=LAYOUT, deadline_at=50.0))
    assert calls == []
    assert {r.error.reason for r in result.results.values() if r.error} == {"deadline_exceeded"}
    assert len(result.results) == 5


def test_no_tasks_no_ocr(page: PageImage) -> None:
    def never(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        raise AssertionError("OCR ran without tasks")

    result = asyncio.run(BuiltinRecognizer(never).recognize_page(page, [], layout_boxes=LAYOUT))
    assert result.results == {} and result.extra_blocks == []


@pytest.mark.slow
def test_whole_page_timing_is_reported(engine: RapidOcrEngine, page: PageImage) -> None:
    """Measures ms/page for a 144-dpi A4 page (printed with -s); guards against a
    pathological slowdown only."""
    samples = []
    for _ in range(2):
        t0 = time.perf_counter()
        lines = engine(page.image)
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"\nPP-OCRv6 whole page {page.width}x{page.height}: {min(samples):.0f} ms")
    assert any(line.text == TITLE for line in lines)
    assert min(samples) < 30_000


def test_engine_reads_only_the_model_dir_it_is_given(tmp_path: Path, page: PageImage) -> None:
    """Only the two shipped PP-OCRv6 files are needed (no classifier, no dictionary, no
    download): a folder holding just links to them is enough."""
    shipped = shipped_model_dir()
    for name in (DET_MODEL, REC_MODEL):
        (tmp_path / name).symlink_to(shipped / name)
    engine = RapidOcrEngine(tmp_path)
    lines = engine(page.image[2 * TITLE_BOX[1] - 10 : 2 * TITLE_BOX[3] + 10, :].copy())
    assert [line.text for line in lines] == [TITLE]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([DET_MODEL, REC_MODEL])


def _layer(text: str, bbox: tuple[float, float, float, float], mode: int) -> TextLayerPage:
    span = TextSpan(text=text, bbox=bbox, font="Helvetica", size=11.0, render_mode=mode)
    return TextLayerPage(width=1190, height=1684, lines=(TextLine(spans=(span,), bbox=bbox),))


def test_extra_text_already_in_the_visible_text_layer_is_dropped() -> None:
    line = OcrLine(OUTSIDE, (120.0, 780.0, 900.0, 806.0), score=0.99)
    image = np.full((1684, 1190, 3), 255, dtype=np.uint8)
    visible = PageImage("a.pdf", 0, 1, image, 2.0, text_layer=_layer(OUTSIDE, line.bbox, 0))
    assert find_extra_blocks([line], visible) == []
    # Invisible text (the OCR layer of a scan) is not trusted: the OCR line stays.
    hidden = PageImage("a.pdf", 0, 1, image, 2.0, text_layer=_layer(OUTSIDE, line.bbox, 3))
    extras = find_extra_blocks([line], hidden)
    assert [(e.content, e.bbox) for e in extras] == [(OUTSIDE, (120, 780, 900, 806))]


def test_a_paragraph_reaching_into_the_foot_margin_is_kept_whole() -> None:
    # A scanned certificate's disclaimer in small type: four lines from just above the
    # bottom 5 % of the page down into it (page 1684 px tall; the band starts at 1600).
    image = np.full((1684, 1190, 3), 255, dtype=np.uint8)
    page = PageImage("scan.png", None, None, image)
    body = [OcrLine(f"Body line {i} of the certificate text", (100.0, 400.0 + 30 * i, 1000.0,
                                                               424.0 + 30 * i)) for i in range(5)]
    words = ["This certificate is issued", "under the terms of the",
             "testing agreement and may", "not be reproduced in part."]
    low = [OcrLine(w, (100.0, 1586.0 + 20 * i, 700.0, 1602.0 + 20 * i))
           for i, w in enumerate(words)]
    extras = find_extra_blocks(body + low, page)
    assert [(e.label, e.content) for e in extras][-1] == ("footer", " ".join(words))
    # Mostly above the band: text. Wholly inside it (a running footer): left out.
    high = [dataclasses.replace(ln, bbox=(ln.bbox[0], ln.bbox[1] - 40, ln.bbox[2], ln.bbox[3] - 40))
            for ln in low]
    assert [(e.label, e.content) for e in find_extra_blocks(body + high, page)][-1] == (
        "text", " ".join(words))
    # A column's last two lines running to a scan's cropped foot, one in the band: text.
    foot = [OcrLine("she entertained herself, besides,", (100.0, 1576.0, 700.0, 1596.0)),
            OcrLine("with such humane achievements", (100.0, 1600.0, 700.0, 1620.0))]
    assert [(e.label, e.content) for e in find_extra_blocks(body + foot, page)][-1] == (
        "text", "she entertained herself, besides, with such humane achievements")
    footer = [OcrLine("Page 3 of 9", (500.0, 1640.0, 700.0, 1656.0))]
    assert all("Page 3" not in e.content for e in find_extra_blocks(body + footer, page))


def test_box_off_the_page_is_empty_not_failed(page: PageImage) -> None:
    def never(image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        raise AssertionError("an empty crop was sent to OCR")

    off = RecognitionTask(5, "text", "ocr", (page.width + 50, 10, page.width + 90, 40))
    result = asyncio.run(BuiltinRecognizer(never).recognize_page(page, [off], layout_boxes=LAYOUT))
    assert result.results[5] == RecognitionResult(5, "", "builtin-ocr")


def _glyph_layer(*rows: tuple[str, float, float, int]) -> TextLayerPage:
    """A text layer of one line per row: (text, x0, y0, render mode), 20 px glyphs."""
    lines = []
    for text, x0, y0, mode in rows:
        chars = tuple(TextChar(c, (x0 + 20.0 * i, y0, x0 + 20.0 * i + 20, y0 + 30))
                      for i, c in enumerate(text))
        bbox = (x0, y0, x0 + 20.0 * len(text), y0 + 30)
        span = TextSpan(text, bbox, "Helvetica", 24.0, render_mode=mode, chars=chars)
        lines.append(TextLine((span,), bbox))
    return TextLayerPage(width=1190, height=1684, lines=tuple(lines), image_coverage=1.0)


def _read_picture(layer: TextLayerPage | None, found: list[OcrLine]) -> str:
    image = np.full((1684, 1190, 3), 255, dtype=np.uint8)
    page = PageImage("cover.pdf", 0, 1, image, 2.0, text_layer=layer)
    task = RecognitionTask(0, "text", "ocr", (0, 0, 1190, 1684))
    result = asyncio.run(BuiltinRecognizer(lambda _image: found).recognize_page(page, [task]))
    return result.results[0].content


def test_lines_the_text_layer_holds_over_a_picture_take_its_text() -> None:
    # A cover: a photo whose pixels carry a logo's words (no text layer there), with the
    # title and a Thai name set over it as real text. OCR squeezes the title's spaces out and
    # cannot read Thai; the text layer has both.
    ocr = [
        OcrLine("THEVISION", (400.0, 60.0, 600.0, 90.0)),
        OcrLine("THEPOWER OFSTORY", (100.0, 1200.0, 420.0, 1230.0)),
        OcrLine("as.5nānšιāu", (100.0, 1300.0, 300.0, 1330.0)),
    ]
    layer = _glyph_layer(("THE POWER OF STORY", 100.0, 1200.0, 0), ("ดร.วิทย์", 100.0, 1300.0, 0))
    assert _read_picture(layer, ocr) == "THEVISION\nTHE POWER OF STORY\nดร.วิทย์"
    # Invisible text (a scan's OCR layer) is no better than the OCR: nothing is replaced.
    hidden = _glyph_layer(("THE POWER OF STORY", 100.0, 1200.0, 3))
    assert _read_picture(hidden, ocr) == "THEVISION\nTHEPOWER OFSTORY\nas.5nānšιāu"
    assert _read_picture(None, ocr) == "THEVISION\nTHEPOWER OFSTORY\nas.5nānšιāu"


def test_a_box_refused_for_its_text_takes_no_line_from_it() -> None:
    # Mojibake ("Ã©tÃ©" for "été") fails the gate for the whole box, not for coverage: no line
    # of such a layer is trusted, even one that reads well on its own.
    ocr = [OcrLine("Caf\u00e9 \u00e9t\u00e9", (100.0, 1200.0, 380.0, 1230.0)),
           OcrLine("THEPOWER", (100.0, 1300.0, 300.0, 1330.0))]
    layer = _glyph_layer(("Caf\u00c3\u00a9 \u00c3\u00a9t\u00c3\u00a9", 100.0, 1200.0, 0),
                         ("THE POWER", 100.0, 1300.0, 0))
    assert _read_picture(layer, ocr) == "Caf\u00e9 \u00e9t\u00e9\nTHEPOWER"


def test_a_line_half_in_the_text_layer_keeps_its_ocr_text() -> None:
    # "Total 42 EUR" where only "Total" is real text and the rest is part of the picture.
    ocr = [OcrLine("Total 42 EUR", (100.0, 500.0, 400.0, 530.0))]
    layer = _glyph_layer(("Total", 100.0, 500.0, 0))
    assert _read_picture(layer, ocr) == "Total 42 EUR"
    # A layer line running past the OCR line's edge, its first word cut: the two disagree on
    # what the line holds, and the OCR text stays.
    misread = [OcrLine("Tota1 42 EUR", (100.0, 500.0, 400.0, 530.0))]
    assert _read_picture(_glyph_layer(("Total 42 EUR", 100.0, 500.0, 0)), misread) == "Total 42 EUR"
    cut = _glyph_layer(("Sum Total 42 EUR", 60.0, 500.0, 0))
    assert _read_picture(cut, misread) == "Tota1 42 EUR"
