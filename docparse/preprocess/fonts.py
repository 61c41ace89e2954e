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
from docparse.textlayer.font_check import FontSample, font_samples, judge_fonts, refuse_fonts

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from docparse.sources import PageImage


def check_fonts(page: PageImage, reader: Callable[[], LineReader],
                verdicts: MutableMapping[str, bool]) -> PageImage:
    """``page`` with the text of its lying fonts refused (the same page when none lies).
    ``verdicts`` (font name -> liar) is read and extended: one per document."""
    layer = page.text_layer
    if layer is None or not layer.unverified_fonts:
        return page
    cut = [(sample, crop) for sample in font_samples(layer, judged=verdicts.keys())
           if (crop := crop_on_white(page.image, sample.box)) is not None]
    # Each font's first sample is read; its second only when the first was read as
    # something else (one sample seldom misleads, but a refused font costs its OCR).
    first: dict[str, tuple[FontSample, npt.NDArray[np.uint8]]] = {}
    for sample, crop in cut:
        first.setdefault(sample.font, (sample, crop))
    if first:
        read = list(first.values())
        readings = reader().read([crop for _, crop in read])
        doubted = {f for f, liar in judge_fonts([s for s, _ in read], readings).items() if liar}
        more = [(s, c) for s, c in cut if s.font in doubted and first[s.font][0] is not s]
        if more:
            read += more
            readings += reader().read([crop for _, crop in more])
        verdicts.update(judge_fonts([s for s, _ in read], readings))
    checked = refuse_fonts(layer, verdicts)
    return page if checked is layer else dataclasses.replace(page, text_layer=checked)
