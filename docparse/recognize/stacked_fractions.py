"""Stacked fractions on page images: two numbers over a bar become ``$\\frac{a}{b}$`` (pure).

The OCR detector boxes a fraction's numerator and denominator as two lines ("5" above "8"),
and read as text they become "5 8", which reads as two numbers. Worksheets, exams and old
scanned papers are full of them; a recognition server writes them as LaTeX, and so does this
rule, for the one shape it can prove from the pixels:

* two short numeric lines (:data:`PART`), one right above the other, centred on each other,
  of about the same height;
* a bar between them: a thin row of dark pixels under the numerator's ink and over the
  denominator's, wider than the wider number, centred on the pair and not running far past
  it.

The last condition is what keeps tables out: a table's rules separate stacked numbers too,
but they run across the whole column or table, and a statement's rule over a total runs out
to the column's widest figure, to one side of right-aligned numbers. The strokes of digits ("7", "5", "2") are
never wider than their own digit, so they are never taken for a bar.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from docparse.recognize.line_order import OcrLine

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: A fraction's part: a number of one to three digits (a sign allowed on the numerator).
PART = re.compile(r"[-−]?\d{1,3}")
#: Horizontal centres at most this share of the wider part's width apart.
MAX_CENTRE_SHIFT = 0.35
#: Vertical gap between the two boxes, in line heights (negative: the boxes overlap).
GAP_RANGE = (-0.35, 0.9)
#: The taller part at most this many times the shorter.
MAX_HEIGHT_RATIO = 1.6
#: The bar wider than the wider part's ink by this share of it (and 2 px): a digit's own
#: stroke ("7", "5") is never wider than the digit ...
MIN_BAR_EXCESS = 0.04
#: ... and its dark run not past the pair's ink by more than this share of that width a side.
MAX_BAR_OVERHANG = 0.8
#: A fraction bar stands centred under its numerator: its two overhangs differ by at most
#: this share of the part's width. A column's rule over a total runs out to the widest
#: number of the column, mostly to one side of right-aligned figures.
MAX_BAR_SKEW = 0.3
#: The bar at most this thick, in line heights.
MAX_BAR_THICKNESS = 0.25


def join_stacked_fractions(
    lines: Sequence[OcrLine], image: npt.NDArray[np.uint8] | None
) -> list[OcrLine]:
    """``lines`` with every proven numerator/denominator pair replaced by one fraction line
    (``$\\frac{a}{b}$``, box of both, the lower score); other lines unchanged, in order."""
    if image is None:
        return list(lines)
    parts = [i for i, line in enumerate(lines)
             if PART.fullmatch(line.text.strip()) and not line.is_rotated]
    used: set[int] = set()
    merged: dict[int, OcrLine] = {}
    for i in sorted(parts, key=lambda k: lines[k].bbox[1]):
        if i in used:
            continue
        top = lines[i]
        below = [j for j in parts if j != i and j not in used and _stacked(top, lines[j])]
        if not below:
            continue
        j = min(below, key=lambda k: lines[k].bbox[1])
        bottom = lines[j]
        if not _bar_between(top, bottom, image):
            continue
        used.update((i, j))
        x0, y0, x1, y1 = (min(top.bbox[0], bottom.bbox[0]), top.bbox[1],
                          max(top.bbox[2], bottom.bbox[2]), bottom.bbox[3])
        merged[i] = dataclasses.replace(
            top, text=f"$\\frac{{{top.text.strip()}}}{{{bottom.text.strip()}}}$",
            bbox=(x0, y0, x1, y1), score=min(top.score, bottom.score), rows=2)
    return [merged.get(k, line) for k, line in enumerate(lines) if k not in used or k in merged]


def _stacked(top: OcrLine, bottom: OcrLine) -> bool:
    h = max(top.height, bottom.height)
    if h <= 0 or h > MAX_HEIGHT_RATIO * max(min(top.height, bottom.height), 1.0):
        return False
    width = max(top.width, bottom.width)
    shift = abs((top.bbox[0] + top.bbox[2]) - (bottom.bbox[0] + bottom.bbox[2])) / 2
    gap = bottom.bbox[1] - top.bbox[3]
    return (shift <= MAX_CENTRE_SHIFT * width
            and GAP_RANGE[0] * h <= gap <= GAP_RANGE[1] * h
            and bottom.bbox[1] > top.bbox[1])


def _gray(image: npt.NDArray[np.uint8], y0: int, y1: int, x0: int, x1: int) -> npt.NDArray[np.float64]:
    """Grey levels of one window of ``image`` (only the window is converted: a page is big)."""
    window = image[y0:y1, x0:x1]
    return window.mean(axis=2) if window.ndim == 3 else window.astype(float)


def _bar_between(top: OcrLine, bottom: OcrLine, image: npt.NDArray[np.uint8]) -> bool:
    import numpy as np

    h = max(top.height, bottom.height)
    height, width = image.shape[:2]
    x0 = int(max(0, min(top.bbox[0], bottom.bbox[0])))
    x1 = int(min(width, max(top.bbox[2], bottom.bbox[2]) + 0.5))
    y0 = int(max(0, top.bbox[1]))
    y1 = int(min(height, bottom.bbox[3] + 0.5))
    if x1 - x0 < 2 or y1 - y0 < 3:
        return False
    region = _gray(image, y0, y1, x0, x1)
    background = float(np.percentile(region, 90))  # the paper (bold digits may fill half)
    dark_level = min(128.0, 0.6 * background)
    ink = region < dark_level
    if not ink.any():
        return False
    # Ink of each part: columns dark in its own half of the stack, bar rows left out below.
    mid = (top.bbox[3] + bottom.bbox[1]) / 2 - y0
    widths = []
    for lo, hi in ((0, int(mid - 0.15 * h)), (int(mid + 0.15 * h), y1 - y0)):
        part = ink[max(lo, 0):max(hi, 0)]
        dark_cols = np.flatnonzero(part.any(axis=0)) if part.size else np.array([], dtype=int)
        if dark_cols.size == 0:
            return False
        widths.append(int(dark_cols[-1] - dark_cols[0] + 1))
    part_width = max(widths)
    # Search the band between the two parts' centres for a thin, wide dark row group.
    band_lo = int(max(0, (top.bbox[1] + top.bbox[3]) / 2 - y0))
    band_hi = int(min(y1 - y0, (bottom.bbox[1] + bottom.bbox[3]) / 2 - y0))
    wide_x0 = int(max(0, x0 - part_width))
    wide_x1 = int(min(width, x1 + part_width))
    wide = _gray(image, y0, y1, wide_x0, wide_x1) < dark_level
    bar_rows = []
    for r in range(band_lo, band_hi):
        run = _longest_run(wide[r])
        if run is None:
            continue
        start, stop = run
        span = stop - start
        left_over = (x0 - wide_x0) - start
        right_over = stop - (x1 - wide_x0)
        if (span >= part_width + max(2.0, MIN_BAR_EXCESS * part_width)
                and max(left_over, right_over) <= MAX_BAR_OVERHANG * part_width
                and abs(left_over - right_over) <= MAX_BAR_SKEW * part_width + 2):
            bar_rows.append(r)
    return bool(bar_rows) and (bar_rows[-1] - bar_rows[0] + 1) <= max(2.0, MAX_BAR_THICKNESS * h)


def _longest_run(row: npt.NDArray[np.bool_]) -> tuple[int, int] | None:
    """(start, stop) of the longest run of True in ``row``, None when it has none."""
    import numpy as np

    if not row.any():
        return None
    padded = np.concatenate(([False], row, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, stops = edges[::2], edges[1::2]
    k = int(np.argmax(stops - starts))
    return int(starts[k]), int(stops[k])
