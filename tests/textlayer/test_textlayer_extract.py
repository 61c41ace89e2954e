# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

import pymupdf
import pytest
from textlayer_pdfs import (
    open_pdf,
    render_modes,
    scanned_page,
    slide_with_background,
    stamped_page,
    transparent_watermark,
    type3_with_absurd_box,
    type3_without_tounicode,
    watermarked_page,
)

from docparse.textlayer.extract import extract_page, image_coverage
from docparse.textlayer.model import TextLayerPage


def _span_texts(layer: TextLayerPage) -> dict[str, int]:
    """Text of every span -> its render mode."""
    return {s.text: s.render_mode for line in layer.lines for s in line.spans}


def test_clean_page_words_and_pixel_boxes() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((20, 40), "Hello world", fontsize=12)
    layer = extract_page(page, 2.0)
    assert (layer.width, layer.height) == (600.0, 400.0)
    assert layer.image_coverage == 0.0
    [line] = layer.lines
    [span] = line.spans
    assert span.text == "Hello world"
    assert span.render_mode == 0 and span.unmapped == 0
    assert span.size == pytest.approx(24.0)  # 12 pt at scale 2, in page pixels
    assert span.direction == (1.0, 0.0)
    first = span.chars[0]
    assert first.c == "H"
    # Baseline at y=40 pt: the glyph box straddles 80 px; it starts at x=20 pt = 40 px.
    assert first.bbox[0] == pytest.approx(40.0)
    assert first.bbox[1] < 80.0 < first.bbox[3]
    assert line.bbox[2] < 600 and line.bbox[3] < 100


def test_rotated_page_boxes_match_the_rendered_pixels() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((20, 40), "Rotated", fontsize=12)
    page.set_rotation(90)
    layer = extract_page(page, 1.0)
    assert (layer.width, layer.height) == (200.0, 300.0)
    x0, y0, x1, y1 = layer.lines[0].bbox
    pix = page.get_pixmap()
    dark = [(x, y) for y in range(pix.height) for x in range(pix.width) if pix.pixel(x, y)[0] < 128]
    xs, ys = [p[0] for p in dark], [p[1] for p in dark]
    # The rendered ink lies inside the extracted box (rotated: text now runs downwards).
    assert x0 - 1 <= min(xs) and max(xs) <= x1 + 1
    assert y0 - 1 <= min(ys) and max(ys) <= y1 + 1
    assert layer.lines[0].spans[0].direction == pytest.approx((0.0, 1.0))


def test_crop_box_offsets_are_removed() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((60, 80), "Cropped", fontsize=12)
    page.set_cropbox(pymupdf.Rect(50, 50, 250, 150))
    layer = extract_page(page, 1.0)
    assert (layer.width, layer.height) == (200.0, 100.0)
    assert layer.lines[0].spans[0].chars[0].bbox[0] == pytest.approx(10.0)


def test_render_modes_transparency_and_clipping() -> None:
    layer = extract_page(open_pdf(render_modes())[0], 1.0)
    modes = _span_texts(layer)
    assert modes["shown "] == 0
    assert modes["hidden"] == 3
    assert modes[" outlined"] == 1
    assert modes["transparent"] == 3  # filled, but with opacity 0
    # Text outside its clip path is not on the page at all.
    assert not any("clipped" in text for text in modes)


def test_glyphs_without_unicode_are_counted() -> None:
    layer = extract_page(open_pdf(type3_without_tounicode())[0], 1.0)
    spans = {s.text: s for line in layer.lines for s in line.spans}
    assert spans["Readable words"].unmapped == 0
    [unmapped] = [s for s in spans.values() if s.unmapped]
    assert unmapped.text == "\ufffd" * 5
    assert unmapped.unmapped == 5


def test_sandwich_scan_has_invisible_text_and_full_image_coverage() -> None:
    layer = extract_page(open_pdf(scanned_page())[0], 1.0)
    assert layer.image_coverage == pytest.approx(1.0)
    assert _span_texts(layer) == {"Scanned invoice total": 3, "Paid in full": 3}


def test_text_painted_over_by_a_page_image_counts_as_invisible() -> None:
    layer = extract_page(open_pdf(scanned_page(text_under_image=True))[0], 1.0)
    assert _span_texts(layer) == {"Scanned invoice total": 3, "Paid in full": 3}


def test_text_under_a_transparent_watermark_stays_visible() -> None:
    layer = extract_page(open_pdf(transparent_watermark())[0], 1.0)
    assert layer.image_coverage == pytest.approx(1.0)
    assert _span_texts(layer) == {"Body text under a watermark": 0}


def test_an_opaque_stamp_hides_the_text_under_it() -> None:
    layer = extract_page(open_pdf(stamped_page())[0], 1.0)
    assert _span_texts(layer) == {"Under the stamp": 3, "In the corner": 0}


def test_text_under_a_stamp_drawn_with_opacity_stays_visible() -> None:
    # Stamping tools set the fill opacity in the graphics state (/ca), not a soft mask.
    layer = extract_page(open_pdf(stamped_page(alpha=0.78))[0], 1.0)
    assert _span_texts(layer) == {"Under the stamp": 0, "In the corner": 0}


def test_a_turned_stamp_hides_only_what_it_covers() -> None:
    # The corner text lies in the turned stamp's upright bounding box, not under the stamp.
    layer = extract_page(open_pdf(stamped_page(turn_degrees=30))[0], 1.0)
    assert _span_texts(layer) == {"Under the stamp": 3, "In the corner": 0}
    layer = extract_page(open_pdf(stamped_page(turn_degrees=30, alpha=0.5))[0], 1.0)
    assert _span_texts(layer) == {"Under the stamp": 0, "In the corner": 0}


def test_a_tiled_text_watermark_is_left_out() -> None:
    layer = extract_page(open_pdf(watermarked_page(3))[0], 1.0)
    assert _span_texts(layer) == {"Body text of the page": 0, "and its second line": 0}
    # One askew line (a stamp's date, a single "Secret") is no tiling: it stays.
    layer = extract_page(open_pdf(watermarked_page(1))[0], 1.0)
    assert "www.example.com" in _span_texts(layer)


def test_text_in_a_font_with_absurd_glyph_boxes_is_left_to_ocr() -> None:
    # A broken Type3 font (gnarly olmOCR test PDF: boxes 1000 times the type size, and
    # "c" mapped to a space): its text is not trusted, the page's other text is.
    layer = extract_page(open_pdf(type3_with_absurd_box())[0], 1.0)
    assert _span_texts(layer) == {"Readable words": 0}


def test_text_over_a_background_picture_stays_visible() -> None:
    layer = extract_page(open_pdf(slide_with_background())[0], 1.0)
    assert layer.image_coverage == pytest.approx(1.0)
    assert _span_texts(layer) == {"Quarterly results": 0}


def test_ligatures_stay_single_glyphs() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    writer = pymupdf.TextWriter(page.rect)
    writer.append((20, 40), "\ufb01ne", font=pymupdf.Font("cjk"), fontsize=12)
    writer.write_text(page)
    layer = extract_page(page, 1.0)
    assert [c.c for c in layer.lines[0].spans[0].chars] == ["\ufb01", "n", "e"]


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([], 0.0),
        ([(0, 0, 100, 100)], 1.0),
        ([(0, 0, 50, 100), (0, 0, 50, 100)], 0.5),  # overlapping images count once
        ([(-50, -50, 50, 200)], 0.5),  # clipped to the page
    ],
)
def test_image_coverage_is_a_union(boxes: list[tuple[float, ...]], expected: float) -> None:
    assert image_coverage(boxes, 100, 100) == pytest.approx(expected, abs=0.02)
