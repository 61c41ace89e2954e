"""Random page layouts for cross-checking docparse.blocks against paddlex's own functions.

Plain random boxes almost never satisfy the merge rules, so :func:`column_page` builds
column layouts (stacked text blocks with jittered edges next to images and tables) and
:func:`cluttered_page` piles overlapping, nested, duplicate and tiny boxes of every label.
"""

from __future__ import annotations

import random

from docparse.labels import LABELS
from docparse.layout import Region

VISUAL = ["image", "table", "seal", "chart"]


def _clip(v: float, hi: int) -> float:
    return max(0.0, min(float(hi), v))


def cluttered_page(rng: random.Random, width: int, height: int, *, floats: bool) -> list[Region]:
    """Overlapping boxes of all labels: containment, near-duplicates, tiny and equal boxes."""
    regions: list[Region] = []
    weights = {label: 1.0 for label in LABELS}
    for label in ("text", "inline_formula", "reference", "table", "image"):
        weights[label] = 4.0
    labels, w = list(weights), list(weights.values())
    for _ in range(rng.randint(0, 28)):
        label = rng.choices(labels, w)[0]
        kind = rng.random()
        if regions and kind < 0.35:
            # Inside (or mostly inside) an existing box.
            bx = rng.choice(regions).bbox
            bw, bh = bx[2] - bx[0], bx[3] - bx[1]
            x1 = bx[0] + rng.uniform(-0.1, 0.6) * bw
            y1 = bx[1] + rng.uniform(-0.1, 0.6) * bh
            box = (x1, y1, x1 + rng.uniform(0.05, 0.6) * bw, y1 + rng.uniform(0.05, 0.6) * bh)
        elif regions and kind < 0.5:
            # Near-duplicate or exact duplicate of an existing box.
            bx = rng.choice(regions).bbox
            d = rng.choice([0.0, 0.0, 2.0, 7.0])
            box = tuple(v + rng.uniform(-d, d) for v in bx)  # type: ignore[assignment]
        elif kind < 0.58:
            # Tiny: one side around the 6 px limit.
            x1, y1 = rng.uniform(0, width - 20), rng.uniform(0, height - 20)
            box = (x1, y1, x1 + rng.choice([3, 5, 5.9, 6, 6.1, 15]), y1 + rng.choice([4, 6, 12]))
        else:
            x1, y1 = rng.uniform(0, width * 0.9), rng.uniform(0, height * 0.9)
            box = (x1, y1, x1 + rng.uniform(8, width * 0.5), y1 + rng.uniform(8, height * 0.3))
        x1, y1, x2, y2 = (
            _clip(box[0], width),
            _clip(box[1], height),
            _clip(box[2], width),
            _clip(box[3], height),
        )
        if not floats:
            x1, y1, x2, y2 = float(round(x1)), float(round(y1)), float(round(x2)), float(round(y2))
        if x2 <= x1 or y2 <= y1:
            continue
        regions.append(Region(label, (x1, y1, x2, y2), rng.random()))
    return regions


def column_page(rng: random.Random, width: int, height: int, *, floats: bool) -> list[Region]:
    """Stacked text blocks in one or two columns, with images/tables beside and between."""
    regions: list[Region] = []
    columns = rng.choice([1, 2, 2, 3])
    col_w = width / columns
    for c in range(columns):
        left = c * col_w + rng.uniform(4, 20)
        right = (c + 1) * col_w - rng.uniform(4, 20)
        y = rng.uniform(5, 40)
        while y < height - 30:
            h = rng.uniform(8, 120)
            roll = rng.random()
            if roll < 0.15:
                label = rng.choice(["image", "table", "chart", "seal", "header_image"])
            elif roll < 0.25:
                label = rng.choice(
                    ["paragraph_title", "figure_title", "display_formula", "footnote"]
                )
            else:
                label = "text"
            # Edges aligned (within 5 px), misaligned, or narrowed from one side.
            j = rng.choice([0, 0, 3, 5, 5.5, 6, 30])
            x1 = left + (rng.uniform(-j, j) if rng.random() < 0.7 else rng.uniform(0, col_w / 3))
            x2 = right - (rng.uniform(-j, j) if rng.random() < 0.7 else rng.uniform(0, col_w / 3))
            if rng.random() < 0.1:
                # A side-by-side pair on one row (cross-merge candidates).
                mid = (x1 + x2) / 2 + rng.uniform(-20, 20)
                gap = rng.uniform(1, 80)
                pair = [(x1, mid - gap / 2), (mid + gap / 2, x2)]
            else:
                pair = [(x1, x2)]
            y2 = min(height - 1.0, y + h)
            for a, b in pair:
                box = (_clip(a, width), y, _clip(b, width), y2)
                if not floats:
                    box = tuple(float(round(v)) for v in box)  # type: ignore[assignment]
                if box[2] > box[0] and box[3] > box[1]:
                    regions.append(Region(label, box, rng.random()))
            y = y2 + rng.choice([0, 1, 3, 10, 25, 60, -4])
    if rng.random() < 0.5:
        # An image straddling the columns so that up-down unions touch it.
        x1 = rng.uniform(0, width * 0.6)
        y1 = rng.uniform(0, height * 0.7)
        box = (x1, y1, min(width, x1 + rng.uniform(40, width * 0.5)), min(height, y1 + 150.0))
        if not floats:
            box = tuple(float(round(v)) for v in box)  # type: ignore[assignment]
        regions.insert(rng.randrange(len(regions) + 1), Region("image", box, 0.9))
    if regions and rng.random() < 0.3:
        # Reading order that is not top-to-bottom.
        k = rng.randrange(len(regions))
        regions = regions[k:] + regions[:k]
    return regions
