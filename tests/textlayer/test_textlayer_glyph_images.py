from __future__ import annotations

import pytest

from docparse.textlayer.glyph_images import accepted_reading, glyph_slots, with_glyphs
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

Box = tuple[float, float, float, float]


def _line(text: str, x: float, y: float, height: float = 20.0, mode: int = 0) -> TextLine:
    step = 10.0
    chars = tuple(TextChar(c, (x + k * step, y, x + (k + 1) * step, y + height))
                  for k, c in enumerate(text))
    box = (x, y, x + step * len(text), y + height)
    return TextLine((TextSpan(text, box, "Helvetica", 16.0, render_mode=mode, chars=chars),), box)


def _layer(lines: list[TextLine], images: list[Box]) -> TextLayerPage:
    return TextLayerPage(width=1000, height=1000, lines=tuple(lines), small_images=tuple(images))


def test_an_image_right_after_a_word_on_its_line_is_a_glyph_slot() -> None:
    # "Price" ends at x=150; the image starts 4 px after it, as tall as the line.
    layer = _layer([_line("Header", 100, 40), _line("Price", 100, 100)], [(154, 99, 184, 121)])
    assert glyph_slots(layer) == [(1, (154, 99, 184, 121))]


@pytest.mark.parametrize(("image", "why"), [
    ((400, 99, 430, 121), "far from the line's text (an icon in the margin)"),
    ((154, 60, 184, 160), "much taller than the line (a picture)"),
    ((154, 99, 254, 121), "wider than four of its heights (a logo or a wordmark)"),
    ((154, 120, 184, 142), "mostly below the line"),
    ((110, 99, 140, 121), "under the line's text (a highlight, a background)"),
])
def test_images_not_set_like_a_glyph_are_left_alone(image: Box, why: str) -> None:
    assert glyph_slots(_layer([_line("Price", 100, 100)], [image])) == [], why


def test_an_invisible_text_line_takes_no_glyph() -> None:
    # The OCR layer of a scan is no line a symbol was set on.
    assert glyph_slots(_layer([_line("Price", 100, 100, mode=3)], [(154, 99, 184, 121)])) == []


@pytest.mark.parametrize(("text", "score", "kept"), [
    ("(₹)", 0.91, "(₹)"),
    ("€", 0.99, "€"),
    (" $ ", 0.95, "$"),
    ("(₹)", 0.6, None),  # not sure
    ("()", 0.99, None),  # brackets alone say nothing
    ("き", 0.93, None),  # a letter: the recogniser's guess at a glyph it does not know
    ("3", 0.99, None),  # a digit beside an amount would corrupt it
    ("V", 0.95, None),
    ("", 0.99, None),
])
def test_only_confident_symbols_are_believed(text: str, score: float, kept: str | None) -> None:
    assert accepted_reading(text, score) == kept


def test_a_reading_becomes_a_span_of_its_line_in_x_order() -> None:
    layer = _layer([_line("Price", 100, 100), _line("Total", 300, 100)], [])
    out = with_glyphs(layer, [(0, (154.0, 99.0, 184.0, 121.0), "(₹)")])
    spans = out.lines[0].spans
    assert [s.text for s in spans] == ["Price", "(₹)"]
    assert [c.c for c in spans[1].chars] == ["(", "₹", ")"]
    assert spans[1].chars[0].bbox == (154.0, 99.0, 164.0, 121.0)
    assert spans[1].size == 16.0
    assert out.lines[0].bbox == (100, 99.0, 184.0, 121.0)
    assert out.lines[1] == layer.lines[1]
    assert with_glyphs(layer, []) is layer
