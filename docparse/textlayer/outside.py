"""Text-layer lines that no layout box covers: kept as text blocks, never lost (pure).

A small layout model misses blocks; on a born-digital page the PDF still has their text. Lines
in the thin top/bottom margins (furniture, unless set in a title's type) and rotated side text
are left out, as the built-in OCR does for the same case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from docparse.content import ExtraBlock
from docparse.geometry import BAND_TITLE_HEIGHT, FURNITURE_BAND, Box, inside_share
from docparse.textlayer.gate import decide
from docparse.textlayer.inline_math import with_inline_math
from docparse.textlayer.model import TextLayerPage, TextLine

#: Top and bottom page margins (fraction of the height) where stray lines are furniture,
#: unless set as a title (:data:`docparse.geometry.BAND_TITLE_HEIGHT`).
MARGIN = FURNITURE_BAND
#: Share of a line's area inside a layout box for the line to count as covered.
COVERED = 0.5




def _uncovered(layer: TextLayerPage, boxes: Sequence[Box]) -> tuple[list[TextLine], set[int]]:
    """The visible level lines no box covers, and the ``id`` of those among them that lie in
    the page's top or bottom margin in no more than body type (furniture on their own)."""
    visible = [line for line in layer.lines
               if any(s.text.strip() and s.render_mode != 3 for s in line.spans)]
    heights = sorted(line.bbox[3] - line.bbox[1] for line in visible)
    typical = heights[len(heights) // 2] if heights else 1.0
    out = []
    margin: set[int] = set()
    for line in visible:
        dx, dy = line.spans[0].direction if line.spans else (1.0, 0.0)
        if abs(dy) > 0.2 * max(abs(dx), 1e-6):  # rotated or vertical side text
            continue
        if any(inside_share(line.bbox, b) >= COVERED for b in boxes):
            continue
        top, bottom = line.bbox[1], line.bbox[3]
        in_band = bottom < layer.height * MARGIN or top > layer.height * (1 - MARGIN)
        if in_band and bottom - top < BAND_TITLE_HEIGHT * typical:
            margin.add(id(line))
        out.append(line)
    return out, margin


def _group(lines: Sequence[TextLine]) -> list[tuple[Box, list[TextLine]]]:
    """Neighbouring lines (small vertical gap, overlapping horizontally) form one block: its
    box and its lines."""
    groups: list[tuple[list[float], list[TextLine]]] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0])):
        x1, y1, x2, y2 = line.bbox
        height = max(1.0, y2 - y1)
        for g, members in groups:
            overlaps = min(g[2], x2) - max(g[0], x1) > 0
            if overlaps and y1 - g[3] < 1.2 * height:
                g[0], g[1], g[2], g[3] = min(g[0], x1), min(g[1], y1), max(g[2], x2), max(g[3], y2)
                members.append(line)
                break
        else:
            groups.append(([x1, y1, x2, y2], [line]))
    return [((g[0], g[1], g[2], g[3]), members) for g, members in groups]


def _accepted_alone(layer: TextLayerPage, line: TextLine, gate: Literal["auto", "prefer"]) -> bool:
    """Whether the gate reads ``line`` on its own; a line of spaces (MuPDF gives a word space
    between two runs a line of its own) is kept for the space it puts between them."""
    if all(not span.text.strip() for span in line.spans):
        return True
    return decide(dataclasses.replace(layer, lines=(line,)), line.bbox, "text", gate).text is not None


def blocks_outside(layer: TextLayerPage, boxes: Sequence[Box], *, mode: str = "auto") -> list[ExtraBlock]:
    """Text blocks for the trustworthy text-layer lines that lie outside every box.

    Each block reads its own lines only: a block's box (their hull) may reach over lines
    that layout boxes cover or that another block holds (a nested table's cells beside its
    caption), which are read there."""
    extra: list[ExtraBlock] = []
    gate: Literal["auto", "prefer"] = "prefer" if mode == "prefer" else "auto"
    # A block's lines stay in the layer's order: a right-to-left row that MuPDF split into
    # several lines is read in that order, not left to right as they were grouped.
    position = {id(line): i for i, line in enumerate(layer.lines)}
    uncovered, margin = _uncovered(layer, boxes)
    for group, grouped in _group(uncovered):
        # Lines in the margin are furniture and left out, unless their paragraph reaches
        # out of it (a disclaimer in small type at the page's foot): then it is kept whole,
        # as furniture if more than half of it lies in the margin, else as text. Cut at the margin's
        # edge, its first line was read and the rest lost.
        in_margin = sum(1 for line in grouped if id(line) in margin)
        if in_margin == len(grouped):
            continue
        label = "text"
        if 2 * in_margin > len(grouped):
            label = "footer" if group[1] + group[3] > layer.height else "header"
        lines = sorted(grouped, key=lambda line: position[id(line)])
        own = dataclasses.replace(layer, lines=tuple(lines))
        decision = decide(own, group, "text", gate)
        if decision.text is None and len(lines) > 1:
            # One line the gate refuses (a symbol font's unmapped envelope beside an author's
            # name) must not lose the title and the other lines around it: nothing reads
            # outside boxes again. The lines it accepts on their own are read together.
            good = [ln for ln in lines if _accepted_alone(layer, ln, gate)]
            if good and len(good) < len(lines):
                lines = good
                own = dataclasses.replace(layer, lines=tuple(good))
                group = (min(ln.bbox[0] for ln in good), min(ln.bbox[1] for ln in good),
                         max(ln.bbox[2] for ln in good), max(ln.bbox[3] for ln in good))
                decision = decide(own, group, "text", gate)
        if decision.text:
            bbox = (int(group[0]), int(group[1]), int(group[2] + 0.999), int(group[3] + 0.999))
            text = with_inline_math(own, group, decision.text)
            extra.append(ExtraBlock(label=label, bbox=bbox, content=text, source="text-layer"))
    return extra
