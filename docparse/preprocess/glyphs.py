"""Read the glyphs a born-digital page draws as tiny images, and put them into its text layer.

Which images count and which readings are believed is :mod:`docparse.textlayer.glyph_images`
(pure); this module is the I/O edge: it cuts each image out of the rendered page and reads it
with the PP-OCRv6 line recogniser the orientation check already holds (recognition only, a few
milliseconds per crop). Pages without such images never load the recogniser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from docparse.preprocess.orientation import LineReader
from docparse.textlayer.glyph_images import accepted_reading, glyph_slots, with_glyphs

if TYPE_CHECKING:
    import numpy.typing as npt

    from docparse.sources import PageImage

#: White margin around a crop, in the image's heights: the recogniser expects some paper round
#: a line, and a margin of the page itself would bring in the neighbouring word's last letter.
_MARGIN = 0.25


def read_glyph_images(page: PageImage, reader: Callable[[], LineReader]) -> PageImage:
    """``page`` with the symbols its small line-level images show added to its text layer
    (the same page when it has none). ``reader`` gives the line recogniser, built on first
    need."""
    layer = page.text_layer
    if layer is None or not layer.small_images:
        return page
    slots = glyph_slots(layer)
    if not slots:
        return page
    cut = [(line, box, crop) for line, box in slots
           if (crop := crop_on_white(page.image, box)) is not None]
    readings = reader().read([crop for _, _, crop in cut]) if cut else []
    found = [(line, box, kept) for (line, box, _), (text, score) in zip(cut, readings, strict=True)
             if (kept := accepted_reading(text, score)) is not None]
    if not found:
        return page
    return dataclasses.replace(page, text_layer=with_glyphs(layer, found))


def crop_on_white(image: npt.NDArray[np.uint8], box: tuple[float, float, float, float]
          ) -> npt.NDArray[np.uint8] | None:
    """The image's pixels on a white margin (None when it is under two pixels tall)."""
    height, width = image.shape[:2]
    x1, y1 = max(0, round(box[0])), max(0, round(box[1]))
    x2, y2 = min(width, round(box[2])), min(height, round(box[3]))
    if y2 - y1 < 2 or x2 - x1 < 1:
        return None
    margin = max(2, int(_MARGIN * (y2 - y1)))
    out = np.full((y2 - y1 + 2 * margin, x2 - x1 + 2 * margin, 3), 255, dtype=np.uint8)
    out[margin:margin + y2 - y1, margin:margin + x2 - x1] = image[y1:y2, x1:x2, :3]
    return out
