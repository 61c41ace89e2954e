"""Which way up is a scanned page? (PDF pages with a text layer go by the direction of their
text instead: :mod:`docparse.textlayer.turn`.)

Text lines are much wider than tall. Detection boxes standing upright mean the page lies on
its side (90° or 270°); which of the two, and whether an upright-looking page is upside down,
is settled by reading a few of the largest lines both ways and keeping the reading the
recognizer is clearly more sure of. Only strong evidence turns a page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

Quad = Sequence[tuple[float, float]]

#: Lines needed before the page's orientation is judged at all. A short note or a title page
#: has only a few; a few lines suffice because a turn also needs the recognizer to be clearly
#: surer of the turned reading (:data:`MARGIN`).
MIN_LINES = 3
#: Share of upright (or flat) lines needed to call the page's axis.
AXIS_SHARE = 0.7
#: How much surer the recognizer must be of one reading (mean score) to pick it.
MARGIN = 0.15
#: Lines read per candidate orientation.
SAMPLE = 6
#: Detection runs on a copy whose long side is at most this.
MAX_SIDE = 1280


class LineReader(Protocol):
    def detect(self, image: npt.NDArray[np.uint8]) -> list[list[tuple[float, float]]]: ...

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]: ...


def _sides(quad: Quad) -> tuple[float, float]:
    (x0, y0), (x1, y1), _, (x3, y3) = quad[:4]
    return math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)


def axis(quads: Sequence[Quad]) -> Literal["flat", "upright"] | None:
    """``flat`` when lines run left-right, ``upright`` when they run up-down, else None."""
    flat = upright = 0
    for q in quads:
        w, h = _sides(q)
        if w > 1.5 * h:
            flat += 1
        elif h > 1.5 * w:
            upright += 1
    total = flat + upright
    if total < MIN_LINES:
        return None
    if flat >= AXIS_SHARE * total:
        return "flat"
    if upright >= AXIS_SHARE * total:
        return "upright"
    return None


def _crops(
    image: npt.NDArray[np.uint8], quads: Sequence[Quad], scale: float
) -> list[npt.NDArray[np.uint8]]:
    boxes = []
    for q in quads:
        xs = [p[0] / scale for p in q]
        ys = [p[1] / scale for p in q]
        boxes.append((int(min(xs)), int(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))))
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    return [
        np.ascontiguousarray(image[y1:y2, x1:x2])
        for x1, y1, x2, y2 in boxes[:SAMPLE]
        if x2 > x1 and y2 > y1
    ]


def _mean_score(reader: LineReader, crops: list[npt.NDArray[np.uint8]]) -> float:
    read = reader.read(crops)
    return sum(score for _, score in read) / max(1, len(read))


def page_rotation(image: npt.NDArray[np.uint8], reader: LineReader) -> int:
    """Degrees counter-clockwise (0, 90, 180, 270) that turn ``image`` upright."""
    scale = min(1.0, MAX_SIDE / max(image.shape[:2]))
    small = image
    if scale < 1.0:
        from PIL import Image

        h, w = image.shape[:2]
        small = np.asarray(
            Image.fromarray(image).resize((max(1, int(w * scale)), max(1, int(h * scale))))
        )
    quads = reader.detect(small)
    found = axis(quads)
    if found is None:
        return 0
    crops = _crops(image, quads, scale)
    if not crops:
        return 0
    if found == "flat":
        as_is = _mean_score(reader, crops)
        flipped = _mean_score(reader, [np.ascontiguousarray(np.rot90(c, 2)) for c in crops])
        return 180 if flipped > as_is + MARGIN else 0
    # Upright lines: read each crop turned both ways; k counts 90° counter-clockwise turns.
    left = _mean_score(reader, [np.ascontiguousarray(np.rot90(c, 1)) for c in crops])
    right = _mean_score(reader, [np.ascontiguousarray(np.rot90(c, 3)) for c in crops])
    if left > right + MARGIN:
        return 90
    if right > left + MARGIN:
        return 270
    return 0


def rotate(image: npt.NDArray[np.uint8], degrees: int) -> npt.NDArray[np.uint8]:
    """``image`` turned ``degrees`` counter-clockwise (a multiple of 90)."""
    return np.ascontiguousarray(np.rot90(image, (degrees // 90) % 4))
