"""Glyphs drawn as images: a symbol the PDF's font lacked, set as a tiny picture on a text line.

Invoices made before the rupee sign was in fonts draw "(₹)" as an image after "Price"; forms
draw check marks and arrows the same way. The text layer has nothing there, so the symbol is
lost from every cell and line it belongs to. This module decides which small images sit on a
text line like a glyph (:func:`glyph_slots`), which readings of them to believe
(:func:`accepted_reading`), and puts the accepted ones into the line as text
(:func:`with_glyphs`). Reading the pixels is the caller's (:mod:`docparse.preprocess.glyphs`).

Only symbols are believed: a line recogniser shown one unfamiliar glyph guesses a letter or a
digit of some script (a lone "₹" comes back as "き" or "3"), and a wrong digit next to an
amount is worse than a missing sign. Letters and digits drawn as images are logos and
wordmarks, which are pictures, not text. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence

from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

Box = tuple[float, float, float, float]

#: An image stands for glyphs when its height is within these multiples of its line's height
#: (a glyph image is cut to the glyph or to the line's full height with some margin).
_MIN_HEIGHT, _MAX_HEIGHT = 0.6, 1.8
#: ... it shares this much of the shorter height with the line ...
_MIN_OVERLAP = 0.6
#: ... it is at most this many of its heights wide (a few glyphs, not a logo) ...
_MAX_ASPECT = 4.0
#: ... and its nearest text on the line is within this many line heights (beside a word, not
#: an icon off in the margin).
_MAX_GAP = 1.5
#: A reading is believed from this confidence up.
_MIN_SCORE = 0.8
#: At most this many images per page are read.
_MAX_SLOTS = 24


def glyph_slots(layer: TextLayerPage) -> list[tuple[int, Box]]:
    """(line index, image box) of each small image set like a glyph on a visible text line:
    about the line's height, level with it, a few glyphs wide, right beside its text and not
    under it (an image under text is a background or a highlight)."""
    slots: list[tuple[int, Box]] = []
    for image in layer.small_images:
        x1, y1, x2, y2 = image
        height = y2 - y1
        if height <= 0 or (x2 - x1) > _MAX_ASPECT * height:
            continue
        best: tuple[float, int] | None = None
        for index, line in enumerate(layer.lines):
            visible = [s for s in line.spans if s.render_mode != 3 and s.text.strip()]
            if not visible:
                continue
            lx1, ly1, lx2, ly2 = line.bbox
            line_height = ly2 - ly1
            if line_height <= 0 or not _MIN_HEIGHT * line_height <= height <= _MAX_HEIGHT * line_height:
                continue
            overlap = min(y2, ly2) - max(y1, ly1)
            if overlap < _MIN_OVERLAP * min(height, line_height):
                continue
            if any(_covers(s.bbox, image) for s in visible):
                continue
            gap = max(lx1 - x2, x1 - lx2, 0.0)
            if gap > _MAX_GAP * line_height:
                continue
            if best is None or gap < best[0]:
                best = (gap, index)
        if best is not None:
            slots.append((best[1], image))
            if len(slots) == _MAX_SLOTS:
                break
    return slots


def _covers(span: Box, image: Box) -> bool:
    """Whether a span's box overlaps most of the image's width (text set over it)."""
    overlap = min(span[2], image[2]) - max(span[0], image[0])
    return overlap > 0.5 * (image[2] - image[0]) and min(span[3], image[3]) > max(span[1], image[1])


def accepted_reading(text: str, score: float) -> str | None:
    """The reading of a glyph image to keep, or None: confident, and symbols and punctuation
    only, with at least one symbol ("(₹)" yes; "()" says nothing; "き" and "3" are guesses).

    Example:
        >>> accepted_reading("(₹)", 0.91), accepted_reading("3", 0.99), accepted_reading("()", 0.99)
        ('(₹)', None, None)
    """
    text = text.strip()
    if score < _MIN_SCORE or not text:
        return None
    categories = [unicodedata.category(c) for c in text if not c.isspace()]
    if not all(cat[0] in "SP" for cat in categories):
        return None
    if not any(cat[0] == "S" for cat in categories):
        return None
    return text


def with_glyphs(layer: TextLayerPage, readings: Sequence[tuple[int, Box, str]]) -> TextLayerPage:
    """``layer`` with each (line index, image box, text) set into its line as a span of its
    own, in x order, its characters sharing the image's width."""
    if not readings:
        return layer
    lines = list(layer.lines)
    for index, box, text in readings:
        line = lines[index]
        sizes = sorted(s.size for s in line.spans if s.text.strip()) or [box[3] - box[1]]
        step = (box[2] - box[0]) / len(text)
        chars = tuple(TextChar(c, (box[0] + k * step, box[1], box[0] + (k + 1) * step, box[3]))
                      for k, c in enumerate(text))
        span = TextSpan(text=text, bbox=box, font="", size=sizes[len(sizes) // 2], chars=chars,
                        direction=line.spans[0].direction if line.spans else (1.0, 0.0))
        spans = sorted((*line.spans, span), key=lambda s: s.bbox[0])
        bbox = (min(line.bbox[0], box[0]), min(line.bbox[1], box[1]),
                max(line.bbox[2], box[2]), max(line.bbox[3], box[3]))
        lines[index] = TextLine(spans=tuple(spans), bbox=bbox)
    return dataclasses.replace(layer, lines=tuple(lines))
