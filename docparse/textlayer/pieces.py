"""Text-layer words grouped into cell-sized pieces, for building table grids (pure).

A piece is a run of visible characters on one line with no wide gap inside: table cells are
separated by gaps far wider than a word space, so each piece is (part of) one cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from docparse.geometry import Box
from docparse.textlayer.model import TextChar, TextLayerPage

#: A gap wider than this many font sizes ends a piece (a word space is ~0.25-0.35).
GAP = 0.8


def _centre_inside(c: TextChar, box: Box) -> bool:
    x = (c.bbox[0] + c.bbox[2]) / 2
    y = (c.bbox[1] + c.bbox[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def pieces_in_box(layer: TextLayerPage, box: Sequence[float]) -> list[tuple[str, Box]]:
    """``(text, bbox)`` pieces of the visible horizontal text whose characters lie in ``box``."""
    b: Box = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    out: list[tuple[str, Box]] = []
    for line in layer.lines:
        for span in line.spans:
            if span.render_mode == 3 or abs(span.direction[1]) > 0.2:
                continue
            run: list[TextChar] = []
            # Space glyphs are skipped: some PDFs stretch them across a cell gap.
            for c in (c for c in span.chars if not c.c.isspace() and _centre_inside(c, b)):
                if run and c.bbox[0] - run[-1].bbox[2] > GAP * span.size:
                    out.append(_piece(run, span.size))
                    run = []
                run.append(c)
            if run:
                out.append(_piece(run, span.size))
    return [p for p in out if p[0]]


def _piece(chars: Sequence[TextChar], size: float) -> tuple[str, Box]:
    parts = [chars[0].c]
    for prev, c in pairwise(chars):
        parts.append((" " if c.bbox[0] - prev.bbox[2] > 0.15 * size else "") + c.c)
    text = "".join(parts)
    return text, (
        min(c.bbox[0] for c in chars),
        min(c.bbox[1] for c in chars),
        max(c.bbox[2] for c in chars),
        max(c.bbox[3] for c in chars),
    )


def has_rotated_text(layer: TextLayerPage, box: Sequence[float]) -> bool:
    """Whether visible text inside ``box`` runs vertically or at an angle (rotated headers)."""
    b: Box = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    return any(
        span.render_mode != 3 and abs(span.direction[1]) > 0.2
        and any(_centre_inside(c, b) for c in span.chars)
        for line in layer.lines
        for span in line.spans
    )
