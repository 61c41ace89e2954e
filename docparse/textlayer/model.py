"""Plain data describing a page's text layer, in page-pixel coordinates (top-left origin)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextChar:
    c: str
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class TextSpan:
    text: str
    bbox: tuple[float, float, float, float]
    font: str
    size: float
    #: PDF text render mode; 3 = invisible (OCR layers of scans).
    render_mode: int = 0
    chars: tuple[TextChar, ...] = ()
    #: Writing direction of the line (1, 0) = left to right.
    direction: tuple[float, float] = (1.0, 0.0)
    #: Glyphs without a Unicode mapping (missing ToUnicode), counted at extraction.
    unmapped: int = 0
    #: y of the span's baseline in page pixels (its first glyph's origin); None when unknown.
    #: Superscripts, subscripts and fractions are told apart by it (:mod:`.math`).
    baseline: float | None = None


@dataclass(frozen=True)
class TextLine:
    spans: tuple[TextSpan, ...]
    bbox: tuple[float, float, float, float]
    #: Vertical writing mode (CJK set top to bottom with upright glyphs): its direction runs
    #: down the page although the page is the right way up.
    vertical: bool = False


@dataclass(frozen=True)
class TextLayerPage:
    width: float
    height: float
    lines: tuple[TextLine, ...]
    #: Fraction of the page area covered by raster images (a scan has ~1.0).
    image_coverage: float = 0.0
    #: Thin horizontal strokes and fills (fraction bars, radical bars, table rules), as boxes.
    rules: tuple[tuple[float, float, float, float], ...] = ()
    #: Thin vertical strokes and fills (table rules, column separators), as boxes.
    vertical_rules: tuple[tuple[float, float, float, float], ...] = ()
    #: Page pixels per PDF point (the render scale the boxes are at).
    scale: float = 1.0
    #: Small raster images drawn on the page, as boxes: a glyph the font lacked (a currency
    #: sign, a check mark) is sometimes drawn as one (:mod:`.glyph_images`).
    small_images: tuple[tuple[float, float, float, float], ...] = ()
    #: Embedded fonts without a ToUnicode map, by span font name: their text is what their
    #: codes are named, which may not be what they draw (:mod:`.font_check`).
    unverified_fonts: tuple[str, ...] = ()
