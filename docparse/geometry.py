"""Boxes in page pixels: ``(x1, y1, x2, y2)``, top-left origin. The one definition every stage
shares, with the few measures they all need."""

from __future__ import annotations

#: A box in page pixels, as detectors and the text layer give it.
Box = tuple[float, float, float, float]
#: A box rounded to whole pixels, as blocks carry it in the output.
IntBox = tuple[int, int, int, int]


def area(box: Box) -> float:
    """Area, 0 for an empty or inverted box."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    return inter / max(area(a) + area(b) - inter, 1e-9)


def inside_share(inner: Box, outer: Box) -> float:
    """Share of ``inner``'s area that lies inside ``outer`` (0 when ``inner`` is empty)."""
    a = area(inner)
    return 0.0 if a <= 0 else intersection(inner, outer) / a


def to_int(box: Box) -> IntBox:
    """Truncated to whole pixels, as the official pipeline writes ``block_bbox``."""
    return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
