"""Grow text boxes to whole text-layer lines (pure).

Layout models often cut a line short (a box ending mid-sentence): taking only the characters
inside would drop words. Each visible line goes to the one box it overlaps most (so two
boxes never share a line), and that box grows to hold the whole line.
"""

from __future__ import annotations

from collections.abc import Sequence

from docparse.geometry import Box
from docparse.textlayer.model import TextLayerPage

#: Share of a line's area that must lie in a box for the line to belong to it.
MIN_SHARE = 0.3
#: A box grows at most this many times its own width (guards against runaway lines).
MAX_GROWTH = 3.0


def _share(line: Box, box: Box) -> float:
    w = min(line[2], box[2]) - max(line[0], box[0])
    h = min(line[3], box[3]) - max(line[1], box[1])
    area = (line[2] - line[0]) * (line[3] - line[1])
    return 0.0 if w <= 0 or h <= 0 or area <= 0 else (w * h) / area


def snap_to_lines(
    layer: TextLayerPage, boxes: Sequence[Box], grow: Sequence[bool] | None = None
) -> list[Box]:
    """``boxes`` grown to contain every line that belongs to them (same order). Boxes with
    ``grow`` False (tables, pictures) still compete for lines but keep their size."""
    grown = [list(b) for b in boxes]
    for line in layer.lines:
        if not any(s.text.strip() and s.render_mode != 3 for s in line.spans):
            continue
        shares = [_share(line.bbox, b) for b in boxes]
        if not shares:
            break
        best = max(range(len(boxes)), key=shares.__getitem__)
        if shares[best] < MIN_SHARE or shares[best] >= 0.999 or (grow and not grow[best]):
            continue
        g, b = grown[best], boxes[best]
        x1, y1 = min(g[0], line.bbox[0]), min(g[1], line.bbox[1])
        x2, y2 = max(g[2], line.bbox[2]), max(g[3], line.bbox[3])
        if (x2 - x1) <= MAX_GROWTH * max(1.0, b[2] - b[0]):
            g[0], g[1], g[2], g[3] = x1, y1, x2, y2
    return [(g[0], g[1], g[2], g[3]) for g in grown]
