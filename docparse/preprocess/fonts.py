"""Read a sample of each font of a born-digital page whose text is unchecked, and refuse the
fonts whose text is not what they draw.

Which fonts, which samples and what a reading proves is :mod:`docparse.textlayer.font_check`
(pure); this module is the I/O edge: it cuts the samples out of the rendered page and reads
them with the PP-OCRv6 line recogniser the orientation check already holds (recognition
only). A font is judged once per document: ``verdicts`` carries what earlier pages found,
so a long paper pays for its fonts on its first pages only. Pages whose fonts all have a
ToUnicode map never load the recogniser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING

from docparse.preprocess.glyphs import crop_on_white
from docparse.preprocess.orientation import LineReader
from docparse.textlayer.font_check import font_samples, judge_fonts, refuse_fonts

if TYPE_CHECKING:
    from docparse.sources import PageImage


def check_fonts(page: PageImage, reader: Callable[[], LineReader],
                verdicts: MutableMapping[str, bool]) -> PageImage:
    """``page`` with the text of its lying fonts refused (the same page when none lies).
    ``verdicts`` (font name -> liar) is read and extended: one per document."""
    layer = page.text_layer
    if layer is None or not layer.unverified_fonts:
        return page
    samples = font_samples(layer, judged=verdicts.keys())
    cut = [(sample, crop) for sample in samples
           if (crop := crop_on_white(page.image, sample.box)) is not None]
    if cut:
        readings = reader().read([crop for _, crop in cut])
        verdicts.update(judge_fonts([sample for sample, _ in cut], readings))
    checked = refuse_fonts(layer, verdicts)
    return page if checked is layer else dataclasses.replace(page, text_layer=checked)
