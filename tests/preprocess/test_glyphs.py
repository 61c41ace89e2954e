# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
"""Glyphs drawn as tiny images, read by the shipped PP-OCRv6 recogniser on generated PDFs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest

import docparse
from docparse.preprocess.glyphs import read_glyph_images
from docparse.recognize.builtin_engine import RapidOcrEngine
from docparse.sources import PageImage
from docparse.textlayer.extract import extract_page

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
pytestmark = pytest.mark.skipif(not DEJAVU.is_file(), reason="needs fonts-dejavu-core")


def _glyph_png(font: pymupdf.Font, text: str, size: float = 40) -> bytes:
    """``text`` drawn as a picture, cut to its advance width and a line's height."""
    doc = pymupdf.open()
    page = doc.new_page(width=size * (len(text) + 1), height=size * 1.4)
    writer = pymupdf.TextWriter(page.rect)
    writer.append((2, size * 1.05), text, font=font, fontsize=size)
    writer.write_text(page)
    clip = pymupdf.Rect(0, 0, font.text_length(text, size) + 4, size * 1.4)
    return bytes(page.get_pixmap(clip=clip).tobytes("png"))


def _invoice_pdf(glyph: str) -> bytes:
    """A header row "Qty  Price <glyph>  Amount <glyph>" whose glyphs are images, over a row
    of numbers: the text layer has the words, the symbols only as pictures."""
    font = pymupdf.Font(fontfile=str(DEJAVU))
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=200)
    writer = pymupdf.TextWriter(page.rect)
    for x, word in ((40, "Qty"), (120, "Price"), (260, "Amount")):
        writer.append((x, 80), word, font=font, fontsize=10)
    for x, value in ((40, "2"), (120, "12.50"), (260, "25.00")):
        writer.append((x, 110), value, font=font, fontsize=10)
    writer.write_text(page)
    png = _glyph_png(font, glyph)
    width = (font.text_length(glyph, 40) + 4) / (40 * 1.4) * 14
    for word_x, word in ((120, "Price"), (260, "Amount")):
        x = word_x + font.text_length(word + " ", 10)
        page.insert_image(pymupdf.Rect(x, 69.5, x + width, 83.5), stream=png)
    return bytes(doc.tobytes())


def _page(data: bytes) -> PageImage:
    page = pymupdf.open(stream=data, filetype="pdf")[0]
    pix = page.get_pixmap(matrix=pymupdf.Matrix(2, 2))
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3].copy()
    return PageImage("t.pdf", 0, 1, image, scale=2.0, text_layer=extract_page(page, 2.0))


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    return RapidOcrEngine()


def _line_texts(page: PageImage) -> list[str]:
    assert page.text_layer is not None
    return [" ".join(s.text.strip() for s in line.spans) for line in page.text_layer.lines]


def test_a_currency_sign_drawn_as_an_image_joins_its_header_cell(engine: RapidOcrEngine) -> None:
    page = read_glyph_images(_page(_invoice_pdf("(€)")), lambda: engine)
    assert "Price (€)" in _line_texts(page)
    assert "Amount (€)" in _line_texts(page)


def test_a_glyph_the_recogniser_only_guesses_at_is_left_out(engine: RapidOcrEngine) -> None:
    # PP-OCRv6 reads DejaVu's check mark as a letter at low confidence: nothing is added.
    before = _page(_invoice_pdf("✓"))
    assert read_glyph_images(before, lambda: engine).text_layer == before.text_layer


def test_a_page_without_small_images_never_loads_the_recogniser() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=100)
    page.insert_text((10, 50), "Price 12.50", fontsize=10)

    def no_reader() -> RapidOcrEngine:
        raise AssertionError("the recogniser was loaded")

    before = _page(bytes(doc.tobytes()))
    assert read_glyph_images(before, no_reader) is before


def test_parse_writes_the_symbol_into_the_markdown(tmp_path: Path) -> None:
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(_invoice_pdf("(€)"))
    md = docparse.parse(pdf).to_markdown()
    assert "Price (€)" in md and "Amount (€)" in md
    assert "12.50" in md
