"""On a page with no text layer, the built-in recogniser reads the page before the layout's
labels are checked: a prose "table" on a scan becomes text, a real grid stays a table, and the
page is read once (the reading serves recognition too)."""

from __future__ import annotations

import asyncio

import numpy as np
import numpy.typing as npt
import pytest

from docparse.layout import Region
from docparse.layout.builtin import BuiltinLayout
from docparse.options import ParseOptions
from docparse.pipeline.page_run import PageOutcome, process_page
from docparse.recognize.builtin import BuiltinRecognizer
from docparse.recognize.line_order import OcrLine
from docparse.sources import PageImage
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

PROSE = [
    "The committee met on Tuesday to discuss the budget for the coming year and",
    "agreed that the library should receive a larger share of the funds because",
    "its reading rooms are now open every evening and on most weekends as well.",
    "Members also asked the treasurer to publish the accounts before the summer.",
]
ROWS = [("Region", "2023", "2024"), ("North", "1,200", "1,350"), ("South", "980", "1,020"),
        ("East", "1,410", "1,505")]


class CountingEngine:
    """The lines a scanned page holds (one per printed line, one per table cell), as the
    PP-OCRv6 detector and reader return them; counts whole-page and region reads."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        prose = [OcrLine(t, (100.0, 200.0 + 30 * i, 1000.0, 222.0 + 30 * i))
                 for i, t in enumerate(PROSE)]
        grid = [OcrLine(cell, (x, 400.0 + 30 * i, x + 80.0, 420.0 + 30 * i))
                for i, row in enumerate(ROWS) for x, cell in zip((100.0, 400.0, 700.0), row,
                                                                 strict=True)]
        self.lines = prose + grid

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        self.calls.append(image.shape[:2])
        return list(self.lines) if image.shape[:2] == (1600, 1200) else []


def parse_scan(regions: list[Region], options: ParseOptions) -> tuple[PageOutcome, CountingEngine]:
    engine = CountingEngine()
    page = PageImage("scan.png", None, None, np.full((1600, 1200, 3), 255, dtype=np.uint8))
    outcome = asyncio.run(process_page(
        page, regions, options=options, layout=BuiltinLayout(), settings={},
        recognizer=BuiltinRecognizer(engine)))
    return outcome, engine


def test_a_prose_table_on_a_scan_is_text_and_the_page_is_read_once() -> None:
    outcome, engine = parse_scan([Region("table", (90.0, 190.0, 1010.0, 320.0), 0.99, 6)],
                                 ParseOptions(orientation="off"))
    blocks = outcome.page.parsing_res_list
    labels = [b.block_label for b in blocks]
    assert "table" in labels and labels.count("table") == 1  # the grid no box covered
    prose = next(b for b in blocks if b.block_content.startswith("The committee met"))
    assert prose.block_label == "text" and "<table" not in prose.block_content
    assert prose.block_content.endswith("before the summer.")
    table = next(b for b in blocks if b.block_label == "table")
    assert table.block_content.count("<tr>") == 4 and ">1,505</td>" in table.block_content
    assert engine.calls == [(1600, 1200)]  # one whole-page read, reused for recognition



def _ocr_layer() -> TextLayerPage:
    """A scan's invisible OCR layer, worse than the OCR docparse runs (an old OCR engine)."""
    lines = []
    for i, text in enumerate(["Tbe cornmittee rnet on Tuesday", "Mernbers also asked"]):
        box = (100.0, 200.0 + 30 * i, 600.0, 222.0 + 30 * i)
        chars = tuple(TextChar(c, (100.0 + 12 * k, box[1], 112.0 + 12 * k, box[3]))
                      for k, c in enumerate(text))
        span = TextSpan(text, box, "GlyphLessFont", 20.0, render_mode=3, chars=chars)
        lines.append(TextLine((span,), box))
    return TextLayerPage(1200, 1600, tuple(lines), image_coverage=1.0)


@pytest.mark.parametrize(("mode", "expected"), [("auto", "The committee met on Tuesday"),
                                                ("prefer", "Tbe cornmittee rnet on Tuesday")])
def test_a_scan_with_an_ocr_layer_is_read_as_a_scan_unless_its_layer_is_preferred(
    mode: str, expected: str
) -> None:
    engine = CountingEngine()
    page = PageImage("scan.pdf", 0, 1, np.full((1600, 1200, 3), 255, dtype=np.uint8),
                     scale=2.0, text_layer=_ocr_layer())
    # In auto the OCR lines check the labels (the prose "table" is text); a preferred layer
    # is the text of a text box.
    label = "table" if mode == "auto" else "text"
    regions = [Region(label, (90.0, 190.0, 1010.0, 320.0), 0.99, 6)]
    outcome = asyncio.run(process_page(
        page, regions, options=ParseOptions(orientation="off", text_layer=mode),  # type: ignore[arg-type]
        layout=BuiltinLayout(), settings={}, recognizer=BuiltinRecognizer(engine)))
    first = outcome.page.parsing_res_list[0]
    assert first.block_content.startswith(expected)
    if mode == "auto":
        # Read ahead once; the OCR lines showed the "table" is prose.
        assert first.block_label == "text" and engine.calls == [(1600, 1200)]


class RuledListEngine:
    """A scanned form: three items, each in a ruled box of its own (one column of cells)."""

    ITEMS = ("Name of the applicant", "Address of the applicant", "Date of the application")

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        if image.shape[:2] != (1600, 1200):
            return []
        return [OcrLine(t, (110.0, 410.0 + 60 * i, 560.0, 440.0 + 60 * i))
                for i, t in enumerate(self.ITEMS)]


def _ruled_scan() -> npt.NDArray[np.uint8]:
    image = np.full((1600, 1200, 3), 255, dtype=np.uint8)
    for y in (400, 460, 520, 580):
        image[y : y + 2, 100:1000] = 0
    for x in (100, 998):
        image[400:582, x : x + 2] = 0
    return image


def test_a_ruled_grid_on_a_scan_is_found_in_its_pixels_and_read_as_a_table() -> None:
    # The model calls the form's boxes a paragraph; the page's rules make it a table.
    page = PageImage("form.png", None, None, _ruled_scan())
    outcome = asyncio.run(process_page(
        page, [Region("text", (95.0, 395.0, 1005.0, 585.0), 0.9, 22)],
        options=ParseOptions(orientation="off"), layout=BuiltinLayout(), settings={},
        recognizer=BuiltinRecognizer(RuledListEngine())))
    (block,) = outcome.page.parsing_res_list
    assert block.block_label == "table"
    assert block.block_content.count("<tr>") == 3
    assert "<td>Address of the applicant</td>" in block.block_content


def test_a_scanned_pdf_page_keeps_the_text_no_layout_box_holds() -> None:
    # A scanned PDF page has a text layer with nothing in it. It is read like a scan: the
    # page is read ahead, and the paragraphs the layout model did not box (a typed letter's
    # body) come out as text instead of being lost to a read of the boxed regions only.
    engine = CountingEngine()
    empty = TextLayerPage(1200, 1600, (), image_coverage=1.0)
    page = PageImage("letter.pdf", 0, 1, np.full((1600, 1200, 3), 255, dtype=np.uint8),
                     scale=2.0, text_layer=empty)
    outcome = asyncio.run(process_page(
        page, [Region("doc_title", (90.0, 100.0, 600.0, 140.0), 0.9, 0)],
        options=ParseOptions(orientation="off"), layout=BuiltinLayout(), settings={},
        recognizer=BuiltinRecognizer(engine)))
    text = "\n".join(b.block_content for b in outcome.page.parsing_res_list)
    assert "The committee met on Tuesday" in text and "before the summer." in text
    # One whole-page read; the title box it left empty is looked at again on its own.
    assert engine.calls == [(1600, 1200), (66, 536)]


class HeaderEngine(CountingEngine):
    """The prose page with a running header line at its top."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = [OcrLine("Annual Report 2024", (100.0, 40.0, 500.0, 62.0)), *self.lines]


def test_the_built_in_ocr_keeps_a_headers_text() -> None:
    # The whole page is read anyway: the header's words cost nothing, and the JSON (and the
    # document's furniture rules) get them. A server recogniser still skips furniture.
    engine = HeaderEngine()
    page = PageImage("scan.png", None, None, np.full((1600, 1200, 3), 255, dtype=np.uint8))
    regions = [Region("header", (90.0, 30.0, 510.0, 70.0), 0.9, 12),
               Region("text", (90.0, 190.0, 1010.0, 320.0), 0.99, 2)]
    outcome = asyncio.run(process_page(
        page, regions, options=ParseOptions(orientation="off"), layout=BuiltinLayout(),
        settings={}, recognizer=BuiltinRecognizer(engine)))
    header = next(b for b in outcome.page.parsing_res_list if b.block_label == "header")
    assert (header.block_content, header.status, header.block_order) == (
        "Annual Report 2024", "ok", None)  # a header still: Markdown leaves it out
