"""Boxes in page pixels: ``(x1, y1, x2, y2)``, top-left origin. The one definition every stage
shares, with the few measures they all need."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

#: A box in page pixels, as detectors and the text layer give it.
Box = tuple[float, float, float, float]
#: A box rounded to whole pixels, as blocks carry it in the output.
IntBox = tuple[int, int, int, int]


#: Top and bottom bands of a page, as a share of its height, where text no layout box holds
#: is furniture (running heads, page numbers, stamps) and is left out.
FURNITURE_BAND = 0.05
#: A line in those bands at least this many times the page's typical line height is a title
#: set at the page's edge (a magazine headline the model missed), not furniture: running
#: heads and page numbers are set no larger than the body.
BAND_TITLE_HEIGHT = 1.5


#: Writing directions further apart than this many degrees are told apart: a scan's OCR layer
#: wavers by a degree or two, a stamp's date or a tiled watermark is set well askew.
ASKEW_DEGREES = 8.0


def same_direction(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two unit writing directions lie within :data:`ASKEW_DEGREES` of each other.

    >>> same_direction((1.0, 0.0), (0.999, 0.04)), same_direction((1.0, 0.0), (0.97, -0.22))
    (True, False)
    """
    return a[0] * b[0] + a[1] * b[1] >= math.cos(math.radians(ASKEW_DEGREES))


def askew(direction: Sequence[float]) -> bool:
    """Whether a unit writing direction runs along neither page axis (by over
    :data:`ASKEW_DEGREES`).

    >>> askew((0.0, -1.0)), askew((0.97, -0.22))
    (False, True)
    """
    return min(abs(direction[0]), abs(direction[1])) >= math.sin(math.radians(ASKEW_DEGREES))


def in_furniture_band(box: Sequence[float], page_height: float, line_height: float) -> bool:
    """Whether a line no layout box holds is page furniture by where it stands: its centre
    in the top or bottom :data:`FURNITURE_BAND` of the page, and its type no larger than
    :data:`BAND_TITLE_HEIGHT` times ``line_height`` (the page's typical line).

    Example:
        >>> in_furniture_band((100, 10, 300, 30), 1000, 20), in_furniture_band((100, 5, 500, 60), 1000, 20)
        (True, False)
    """
    centre = (box[1] + box[3]) / 2
    if FURNITURE_BAND * page_height <= centre <= (1 - FURNITURE_BAND) * page_height:
        return False
    return box[3] - box[1] < BAND_TITLE_HEIGHT * line_height


def area(box: Box) -> float:
    """Area, 0 for an empty or inverted box."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def union(a: Box, b: Box) -> Box:
    """The smallest box holding both."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    return inter / max(area(a) + area(b) - inter, 1e-9)


def inside_share(inner: Box, outer: Box) -> float:
    """Share of ``inner``'s area that lies inside ``outer`` (0 when ``inner`` is empty)."""
    a = area(inner)
    return 0.0 if a <= 0 else intersection(inner, outer) / a


def centre_in(box: Sequence[float], outer: Sequence[float]) -> bool:
    """Whether ``box``'s centre lies in ``outer`` (edges included)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def to_int(box: Box) -> IntBox:
    """Truncated to whole pixels, as the official pipeline writes ``block_bbox``."""
    return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))


def same_row(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two boxes stand on one row: they share at least half the shorter one's height.

    Example:
        >>> same_row((0, 10, 50, 30), (60, 18, 90, 40)), same_row((0, 10, 50, 30), (60, 25, 90, 45))
        (True, False)
    """
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    shorter = min(a[3] - a[1], b[3] - b[1])
    return shorter > 0 and overlap >= 0.5 * shorter


def connected_groups(count: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Indices ``0..count-1`` in the connected groups the ``links`` (pairs of indices) make,
    in first-member order (union-find)."""
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in links:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def nearby_groups(boxes: Sequence[Box], unit: float) -> list[list[int]]:
    """Indices of ``boxes`` (text lines) in connected groups, in first-member order: lines of
    one paragraph (stacked, overlapping in x, vertical gap under ``unit``) or of one row (side
    by side, horizontal gap under two ``unit``)."""

    def near(a: Box, b: Box) -> bool:
        x_gap = max(a[0], b[0]) - min(a[2], b[2])
        y_gap = max(a[1], b[1]) - min(a[3], b[3])
        return (x_gap < 0 and y_gap < unit) or (y_gap < 0 and x_gap < 2 * unit)

    return connected_groups(len(boxes), ((i, j) for i, a in enumerate(boxes)
                                         for j in range(i + 1, len(boxes)) if near(a, boxes[j])))


def insert_position(boxes: Sequence[Box], box: Box, furniture: Sequence[bool] = ()) -> int:
    """Where a block found outside every layout box belongs among ``boxes`` (in reading
    order): before the first one that starts below it and shares its horizontal extent; with
    none, right after the one right above it in its column, at most twice its own height
    away (the foot of a left column, read before the right one), else at the end.

    Boxes flagged in ``furniture`` (running heads, footers, page numbers) are never taken
    as neighbours, and "the end" is right after the last of the others: a footer across the
    page's foot starts below everything, and taken as the block that follows, it filed the
    foot of the left column after the whole right column."""
    above: int | None = None
    last = -1
    reach = box[1] - 2 * (box[3] - box[1])
    for i, b in enumerate(boxes):
        if i < len(furniture) and furniture[i]:
            continue
        last = i
        if min(b[2], box[2]) - max(b[0], box[0]) > 0:
            if b[1] >= box[1]:
                return i
            ends_above = reach <= b[3] <= box[1] + 0.2 * (box[3] - box[1])
            if ends_above and (above is None or b[3] >= boxes[above][3]):
                above = i
    if above is not None:
        return above + 1
    return last + 1 if last >= 0 else len(boxes)
