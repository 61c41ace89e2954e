"""``Spotting:`` (PaddleOCR-VL 1.5/1.6): text lines with their quadrilaterals, from one image.

Upstream offers spotting only with layout detection off (``use_layout_detection=False,
prompt_label="spotting"``): the whole page is one block, upscaled 2x (Lanczos) when both
sides are under 1500 px, sent with fixed pixel bounds (:data:`docparse.versions.SPOTTING_PIXELS`)
and ``skip_special_tokens=false``, because the answer is made of special tokens::

    <|TEXT_START|>Hello<|TEXT_END|><|LOC_BEGIN|><|LOC_100|>...8 numbers...<|LOC_END|>

Coordinates are 0..1000 of the image that was sent. These are the pure pieces of that path
(pre-processing and answer parsing, as ``paddleocr_vl/uilts.py``); docparse has no layout-off
mode yet, so no parse sends ``Spotting:`` (docs/pipeline-versions.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

#: Pages with both sides under this are upscaled 2x before spotting.
UPSCALE_BELOW: Final[int] = 1500

_TEXT = re.compile(r"<\|TEXT_START\|>(.*?)<\|TEXT_END\|>", re.S)
_LOC_BLOCK = re.compile(r"<\|LOC_BEGIN\|>(.*?)<\|LOC_END\|>", re.S)
_LOC = re.compile(r"<\|LOC_(\d+)\|>")

Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class SpottingResult:
    """The official ``spotting_res``: one quadrilateral (image pixels) per text line."""

    rec_polys: tuple[Quad, ...]
    rec_texts: tuple[str, ...]


def upscale_for_spotting(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Double both sides (PIL Lanczos) when the image is small, as upstream."""
    from PIL import Image

    h, w = image.shape[:2]
    if w >= UPSCALE_BELOW or h >= UPSCALE_BELOW:
        return image
    pil = Image.fromarray(np.ascontiguousarray(image))
    return np.asarray(pil.resize((w * 2, h * 2), Image.Resampling.LANCZOS))


def _quad(values: list[int], width: int, height: int) -> Quad:
    pts = [(values[i] / 1000.0 * width, values[i + 1] / 1000.0 * height) for i in range(0, 8, 2)]
    return (pts[0], pts[1], pts[2], pts[3])


def parse_spotting(answer: str, width: int, height: int) -> tuple[str, SpottingResult]:
    """Block content (the texts joined by blank lines) and the result, from one answer.

    ``width``/``height`` are those of the image sent. Tagged pairs are read first (a location
    block with fewer than 8 numbers is skipped); without any, every run of 8 location tokens
    is a quadrilateral and the text before it its line.
    """
    polys: list[Quad] = []
    texts: list[str] = []
    for text, block in zip(_TEXT.findall(answer), _LOC_BLOCK.findall(answer), strict=False):
        values = [int(v) for v in _LOC.findall(block)]
        if len(values) >= 8:
            polys.append(_quad(values[:8], width, height))
            texts.append(text.strip())
    if not polys:
        tokens = list(_LOC.finditer(answer))
        previous_end = 0
        for start in range(0, len(tokens) - 7, 8):
            group = tokens[start : start + 8]
            polys.append(_quad([int(m.group(1)) for m in group], width, height))
            texts.append(answer[previous_end : group[0].start()].strip())
            previous_end = group[-1].end()
    return "\n\n".join(texts), SpottingResult(tuple(polys), tuple(texts))
