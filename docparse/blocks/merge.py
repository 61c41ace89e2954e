"""Which text blocks the official pipeline stacks into one crop (reference §3.3).

A port of paddlex ``paddleocr_vl/uilts.py::merge_blocks`` that returns the grouping instead
of merged images: :func:`docparse.blocks.stack.stack_group_image` builds the image. Tests
compare both with the paddlex function on generated pages.

Upstream semantics kept on purpose:

- candidates are every block whose label is not an image label, ``chart``, ``seal`` or
  ``table``; each is compared with the previous *candidate* (non-merge blocks in between are
  skipped), and only ``text`` pairs ever merge;
- "cross": side by side on one row, no horizontal overlap, gap < 30 % of the wider block;
- "up-down": horizontal overlap, vertical gap < half the taller block, exactly one of the
  left/right edges aligned within 5 px, and the union box overlapping a non-merge block;
- a group whose stacked crops would be at least 3x taller than wide is not merged;
- output order: a group's members, then the non-merge blocks that sat between them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from docparse.geometry import Box, union
from docparse.labels import IMAGE_LABELS
from docparse.layout import Region

Alignment = Literal["left", "right", "center"]

#: ``image_labels + ["table"]`` as the pipeline passes them with chart and seal recognition
#: off (the v1 defaults): these are never merged and anchor the up-down rule.
NON_MERGE_LABELS: frozenset[str] = IMAGE_LABELS | {"chart", "seal", "table"}

_ALIGN_PX = 5
_CROSS_GAP = 0.3
_UPDOWN_GAP = 0.5
_MAX_STACK_RATIO = 3


@dataclass(frozen=True)
class BlockGroup:
    """Regions recognised as one stacked crop; ``indices[0]`` leads and carries the text."""

    indices: tuple[int, ...]
    #: Alignment of the first join ("left" for a single block).
    alignment: Alignment
    #: One alignment per join (``len(indices) - 1``): pass these to ``stack_group_image``
    #: for an exact copy of upstream, which may mix "center" and "left"/"right" in a group.
    step_alignments: tuple[Alignment, ...] = ()


def _crop_size(box: Box, page_width: int, page_height: int) -> tuple[int, int]:
    """Width and height of ``page[int(y1):int(y2), int(x1):int(x2)]`` (numpy slicing rules)."""
    width = len(range(page_width)[int(box[0]) : int(box[2])])
    height = len(range(page_height)[int(box[1]) : int(box[3])])
    return width, height


def _aligned(a: float, b: float) -> bool:
    return abs(a - b) <= _ALIGN_PX


def _horizontal_overlap(a: Box, b: Box) -> float:
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    if overlap <= 0:
        return 0.0
    span = max(a[2], b[2]) - min(a[0], b[0])
    return overlap / span if span > 0 else 0.0


def _overlaps(a: Box, b: Box) -> bool:
    """IoU > 0, as upstream's ``calculate_overlap_ratio(..., "union") > 0``."""
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(
        0.0, min(a[3], b[3]) - max(a[1], b[1])
    )
    union = abs((a[2] - a[0]) * (a[3] - a[1])) + abs((b[2] - b[0]) * (b[3] - b[1])) - inter
    return union != 0 and inter / union > 0


def _union_touches_non_merge(
    regions: Sequence[Region], i: int, prev: int, non_merge: Collection[str]
) -> bool:
    hull = union(regions[prev].bbox, regions[i].bbox)
    return any(
        k not in (i, prev) and r.label in non_merge and _overlaps(hull, r.bbox)
        for k, r in enumerate(regions)
    )


def _join(
    regions: Sequence[Region], i: int, prev: int, non_merge: Collection[str]
) -> Alignment | None:
    """How block ``i`` joins the previous candidate ``prev``, or None if it does not."""
    block, before = regions[i], regions[prev]
    if block.label != "text" or before.label != "text":
        return None
    b, p = block.bbox, before.bbox
    iou_h = _horizontal_overlap(b, p)
    if (
        iou_h == 0
        and b[0] > p[2]
        and b[1] < p[3]
        and b[0] - p[2] < max(p[2] - p[0], b[2] - b[0]) * _CROSS_GAP
    ):
        return "center"
    if (
        iou_h > 0
        and b[3] >= p[1]
        and abs(b[1] - p[3]) < max(p[3] - p[1], b[3] - b[1]) * _UPDOWN_GAP
        and (_aligned(b[0], p[0]) != _aligned(b[2], p[2]))
        and _union_touches_non_merge(regions, i, prev, non_merge)
    ):
        if _aligned(b[0], p[0]):
            return "left"
        return "right" if _aligned(b[2], p[2]) else "center"
    return None


def _stack_ratio(indices: Sequence[int], sizes: Sequence[tuple[int, int]]) -> float:
    width = max(sizes[i][0] for i in indices)
    height = sum(sizes[i][1] for i in indices)
    return height / width if width != 0 else float("inf")


def group_text_blocks(
    regions: Sequence[Region],
    page_width: int,
    page_height: int,
    *,
    non_merge_labels: Collection[str] = NON_MERGE_LABELS,
) -> list[BlockGroup]:
    """Partition ``regions`` (reading order, after clean-up) into upstream's merge groups.

    Every index appears in exactly one group; groups come in upstream's output order. The
    page size is needed because the stack-ratio rule measures the actual crops.
    ``non_merge_labels`` is upstream's ``image_labels + ["table"]``: the default matches chart
    and seal recognition off; drop ``"chart"`` when charts are recognised.

    Example::

        for group in group_text_blocks(kept, page.width, page.height):
            crops = [crop(page.image, kept[i].bbox) for i in group.indices]
            image = stack_group_image(crops, group.step_alignments)
    """
    candidates = [i for i, r in enumerate(regions) if r.label not in non_merge_labels]
    runs: list[tuple[list[int], list[Alignment]]] = []
    for pos, i in enumerate(candidates):
        joined = _join(regions, i, candidates[pos - 1], non_merge_labels) if pos else None
        if joined is None:
            runs.append(([i], []))
        else:
            runs[-1][0].append(i)
            runs[-1][1].append(joined)

    sizes = [_crop_size(r.bbox, page_width, page_height) for r in regions]
    run_at = {members[0]: (members, aligns) for members, aligns in runs}
    groups: list[BlockGroup] = []
    used: set[int] = set()
    idx = 0
    while idx < len(regions):
        if idx in run_at:
            members, aligns = run_at[idx]
            if _stack_ratio(members, sizes) >= _MAX_STACK_RATIO:
                groups.extend(BlockGroup((m,), "left") for m in members)
            else:
                first: Alignment = aligns[0] if aligns else "left"
                groups.append(BlockGroup(tuple(members), first, tuple(aligns)))
            used.update(members)
            # Non-merge blocks that sat between the members follow the group.
            for k in range(members[0] + 1, members[-1]):
                if k not in used and regions[k].label in non_merge_labels:
                    groups.append(BlockGroup((k,), "left"))
                    used.add(k)
            idx = members[-1] + 1
            continue
        if idx not in used:
            groups.append(BlockGroup((idx,), "left"))
            used.add(idx)
        idx += 1
    return groups
