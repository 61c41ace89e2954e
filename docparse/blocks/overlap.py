"""The official pipeline's box clean-up before cropping (reference §3.1).

A faithful port of paddlex ``paddleocr_vl/uilts.py::filter_overlap_boxes``. For boxes with
polygons (PP-DocLayoutV3), a pair whose boxes overlap by more than 0.7 is checked again on the
polygons (shapely), as upstream in its non-rect shape modes. It runs on any backend's regions;
tests compare it with the paddlex function on generated pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from docparse.layout import Region

#: Labels that may overlap other boxes freely; only a table still beats plain content.
_VISUAL_LABELS = frozenset({"image", "table", "seal", "chart"})

_MIN_SIDE = 6
_INLINE_FORMULA_OVERLAP = 0.5
_OVERLAP = 0.7


def _official_area(box: tuple[float, float, float, float]) -> float:
    # The official port takes the absolute value (an inverted box has a positive area there),
    # unlike docparse.geometry.area; kept for parity with paddlex.
    return abs((box[2] - box[0]) * (box[3] - box[1]))


def overlap_ratio_small(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> float:
    """Intersection area over the smaller box's area (0 when that area is 0)."""
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min(_official_area(a), _official_area(b))
    return inter_w * inter_h / small if small > 0 else 0.0


def polygon_overlap_ratio_small(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]
) -> float:
    """Upstream ``calculate_polygon_overlap_ratio(..., "small")``: intersection over the
    smaller polygon's area, invalid outlines repaired with ``buffer(0)`` first."""
    from shapely.geometry import Polygon  # type: ignore[import-untyped]

    pa, pb = Polygon(a), Polygon(b)
    if not pa.is_valid:
        pa = pa.buffer(0)
    if not pb.is_valid:
        pb = pb.buffer(0)
    small = min(pa.area, pb.area)
    return float(pa.intersection(pb).area / small) if small > 0 else 0.0


def _both_kept(label_a: str, label_b: str) -> bool:
    """The official exception: visual boxes coexist with what overlaps them, except that a
    table still swallows non-visual boxes."""
    labels = {label_a, label_b}
    if len(labels) < 2 or not labels & _VISUAL_LABELS:
        return False
    return "table" not in labels or labels <= _VISUAL_LABELS


def filter_overlap_boxes(regions: Sequence[Region]) -> list[Region]:
    """Drop what the official pipeline drops before cropping; the order of the rest is kept.

    - every ``reference`` box (the container; ``reference_content`` stays);
    - boxes narrower or shorter than 6 px;
    - an ``inline_formula`` overlapping another box by more than half the smaller area;
    - of two other boxes overlapping by more than 0.7 of the smaller area, the smaller one
      (the later one on equal areas), unless an image/table/seal/chart is involved; a
      table still drops a smaller non-visual box.

    The pairwise scan is sequential (a dropped box no longer drops others), as upstream.

    Example::

        kept = filter_overlap_boxes(layout.detect([page])[0])
    """
    boxes = [r for r in regions if r.label != "reference"]
    dropped: set[int] = set()
    for i, region in enumerate(boxes):
        x1, y1, x2, y2 = region.bbox
        if x2 - x1 < _MIN_SIDE or y2 - y1 < _MIN_SIDE:
            dropped.add(i)
        for j in range(i + 1, len(boxes)):
            if i in dropped or j in dropped:
                continue
            other = boxes[j]
            ratio = overlap_ratio_small(region.bbox, other.bbox)
            if "inline_formula" in (region.label, other.label):
                if ratio > _INLINE_FORMULA_OVERLAP:
                    if region.label == "inline_formula":
                        dropped.add(i)
                    if other.label == "inline_formula":
                        dropped.add(j)
                    continue
            if ratio > _OVERLAP:
                if (
                    region.polygon is not None
                    and other.polygon is not None
                    and polygon_overlap_ratio_small(region.polygon, other.polygon) < _OVERLAP
                ):
                    continue
                if _both_kept(region.label, other.label):
                    continue
                dropped.add(j if _official_area(region.bbox) >= _official_area(other.bbox) else i)
    return [r for i, r in enumerate(boxes) if i not in dropped]
