"""Text-line geometry of a page image from plain image processing (a few milliseconds).

A down-scaled, locally binarised copy of the page is closed along one axis so the characters
of a line join into one blob; blobs much longer than thick are text lines. Their count along
each axis tells whether lines run left-right or up-down, and their principal axes (image
moments) give the page's skew. No model runs here: this is the cheap first test of page
pre-processing, and its line boxes are the label evidence layout refinement can use on scans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

#: The page is analysed at this long side: text of ordinary scans is still 4-10 px tall.
WORK_SIDE = 1000
#: A blob is a line when it is this many times longer than thick.
ELONGATION = 4.0
#: Lines needed before an axis or a skew is trusted.
MIN_LINES = 6
#: Share of the line length that must run along one axis to call it.
AXIS_SHARE = 0.75


@dataclass(frozen=True)
class Line:
    """One text line in full-resolution pixels of the analysed image."""

    #: Centre (x, y).
    center: tuple[float, float]
    #: Length along the line and thickness across it.
    length: float
    thickness: float
    #: Direction in degrees, in (-90, 90]: 0 runs left-right; positive dips to the right
    #: (image y grows downwards).
    angle: float

    def moved(self, matrix: Any, turned: float) -> Line:
        """This line after the 2 × 3 affine ``matrix`` that turns the page ``turned`` degrees
        counter-clockwise (OpenCV's sense)."""
        x, y = self.center
        cx = matrix[0][0] * x + matrix[0][1] * y + matrix[0][2]
        cy = matrix[1][0] * x + matrix[1][1] * y + matrix[1][2]
        angle = (self.angle - turned + 90.0) % 180.0 - 90.0
        return Line((float(cx), float(cy)), self.length, self.thickness, angle)

    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounding box (x1, y1, x2, y2) of the line's oriented rectangle."""
        t = math.radians(self.angle)
        c, s = abs(math.cos(t)), abs(math.sin(t))
        half_w = (self.length * c + self.thickness * s) / 2
        half_h = (self.length * s + self.thickness * c) / 2
        x, y = self.center
        return (x - half_w, y - half_h, x + half_w, y + half_h)


@dataclass(frozen=True)
class Geometry:
    """What the cheap pass saw: lines found closing along each axis."""

    flat: tuple[Line, ...]
    upright: tuple[Line, ...]
    #: Pixel scale of the analysed copy relative to the full image.
    scale: float

    def moved(self, matrix: Any, turned: float) -> Geometry:
        """These lines after turning the page (see :meth:`Line.moved`); a quarter turn swaps
        the axes."""
        flat = tuple(ln.moved(matrix, turned) for ln in self.flat)
        upright = tuple(ln.moved(matrix, turned) for ln in self.upright)
        if round(turned / 90) % 2:
            flat, upright = upright, flat
        return Geometry(flat, upright, self.scale)

    def axis(self, share: float = AXIS_SHARE) -> Literal["flat", "upright"] | None:
        """``flat`` when lines run left-right, ``upright`` when up-down, None when unclear:
        one axis must hold ``share`` of the total line length."""
        flat = sum(ln.length for ln in self.flat)
        upright = sum(ln.length for ln in self.upright)
        if max(len(self.flat), len(self.upright)) < MIN_LINES or flat + upright <= 0:
            return None
        if flat >= share * (flat + upright) and len(self.flat) >= MIN_LINES:
            return "flat"
        if upright >= share * (flat + upright) and len(self.upright) >= MIN_LINES:
            return "upright"
        return None

    def skew(self) -> float | None:
        """Degrees the lines deviate from their axis (length-weighted median; positive: a
        left-right line dips to the right), or None when the axis or the lines are unclear.
        Turning the page counter-clockwise by this much levels them."""
        found = self.axis()
        if found is None:
            return None
        deviations: list[tuple[float, float]] = []
        for ln in self.flat if found == "flat" else self.upright:
            if ln.length < 8 * ln.thickness:
                continue  # short blobs give noisy directions
            d = ln.angle if found == "flat" else ln.angle - math.copysign(90.0, ln.angle)
            deviations.append((d, ln.length))
        if len(deviations) < MIN_LINES:
            return None
        deviations.sort()
        half = sum(w for _, w in deviations) / 2
        run = 0.0
        for d, w in deviations:
            run += w
            if run >= half:
                return d
        return deviations[-1][0]


def _gray_small(image: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], float]:
    import cv2

    gray: Any = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    h, w = gray.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w, 1))
    if scale < 1.0:
        # Whole-number area reduction is fast and keeps thin strokes; the remaining factor
        # (between 0.5 and 1) is safe with bilinear sampling. OpenCV's fractional area
        # resize costs ten times more.
        k = int(1 / scale)
        if k >= 2:
            gray = cv2.resize(gray, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_LINEAR)
    # Scanner speckle would otherwise become thousands of blobs to look at.
    clean: Any = cv2.medianBlur(np.ascontiguousarray(gray), 3)
    return clean, scale


def _ink(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Dark-on-light ink as 255 (local threshold: survives uneven lighting and scan grey)."""
    import cv2

    ink: npt.NDArray[np.uint8] = np.asarray(cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15), dtype=np.uint8)
    return ink


def _char_size(ink: npt.NDArray[np.uint8]) -> float:
    """Median height of character-sized blobs (px of the analysed copy)."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return 0.0
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    keep = (h >= 3) & (h <= 60) & (w <= 60) & (area >= 6)
    if keep.sum() < 10:
        return 0.0
    # Characters on a sideways page are as wide as they are tall upright: the larger side
    # of each blob is a size estimate that does not depend on the page's orientation.
    return float(np.median(np.maximum(w[keep], h[keep])))


def _lines(ink: npt.NDArray[np.uint8], kernel: tuple[int, int], char: float, scale: float,
           along: Literal["flat", "upright"]) -> tuple[Line, ...]:
    import cv2

    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    # Cheap filters on the bounding boxes first: scans carry thousands of specks.
    keep = (np.maximum(w, h) >= 3 * char) & (np.minimum(w, h) <= 6 * char) & (area >= 2 * char * char)
    keep[0] = False  # the background
    out: list[Line] = []
    for i in np.flatnonzero(keep):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        mask = (labels[y:y + bh, x:x + bw] == i).astype(np.uint8)
        m = cv2.moments(mask, binaryImage=True)
        if m["m00"] <= 0:
            continue
        mu20, mu02, mu11 = m["mu20"] / m["m00"], m["mu02"] / m["m00"], m["mu11"] / m["m00"]
        spread = math.sqrt(max(0.0, ((mu20 - mu02) / 2) ** 2 + mu11 ** 2))
        major = (mu20 + mu02) / 2 + spread
        minor = max((mu20 + mu02) / 2 - spread, 1e-6)
        # A uniform bar of length L has variance L²/12 along it.
        length, thickness = math.sqrt(12 * major), math.sqrt(12 * minor)
        if length < ELONGATION * thickness or thickness > 3 * char:
            continue
        angle = math.degrees(0.5 * math.atan2(2 * mu11, mu20 - mu02))
        if along == "flat" and abs(angle) > 30:
            continue
        if along == "upright" and abs(angle) < 60:
            continue
        cx, cy = x + m["m10"] / m["m00"], y + m["m01"] / m["m00"]
        out.append(Line((cx / scale, cy / scale), length / scale, thickness / scale, angle))
    return tuple(out)


def page_geometry(image: npt.NDArray[np.uint8]) -> Geometry:
    """Text lines of ``image`` (RGB or grey) found along both axes."""
    gray, scale = _gray_small(image)
    ink = _ink(gray)
    char = _char_size(ink)
    if char <= 0:
        return Geometry((), (), scale)
    # Bridge the gaps between letters and words, not the gaps between lines or columns.
    reach = max(3, round(1.2 * char))
    return Geometry(
        flat=_lines(ink, (reach, 1), char, scale, "flat"),
        upright=_lines(ink, (1, reach), char, scale, "upright"),
        scale=scale,
    )
