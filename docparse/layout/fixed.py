"""``FixedLayout``: a deterministic layout backend that returns regions it was given.

Shipped for tests and for users who already know their boxes (forms, templates), the way httpx
ships ``MockTransport``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from docparse.labels import LABELS, SKIP_ORDER_LABELS
from docparse.layout import Region

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def with_official_order(regions: Sequence[Region]) -> list[Region]:
    """Set ``cls_id`` and the official 1-based ``order`` (None for unordered labels)."""
    out: list[Region] = []
    n = 0
    for r in regions:
        order: int | None = None
        if r.label not in SKIP_ORDER_LABELS:
            n += 1
            order = n
        cls_id = LABELS.index(r.label) if r.label in LABELS else None
        out.append(Region(r.label, r.bbox, r.score, cls_id, order))
    return out


class FixedLayout:
    """Returns the same regions for every page, or ``regions_for(width, height)``'s answer.

    Boxes may be given in page pixels, or as fractions of the page (all coordinates ≤ 1)."""

    name = "fixed"

    def __init__(
        self,
        regions: Sequence[Region] = (),
        *,
        regions_for: Callable[[int, int], Sequence[Region]] | None = None,
    ) -> None:
        self._regions = list(regions)
        self._regions_for = regions_for

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        out = []
        for img in images:
            h, w = int(img.shape[0]), int(img.shape[1])
            regions = list(self._regions_for(w, h)) if self._regions_for else self._regions
            scaled = []
            for r in regions:
                if max(r.bbox) <= 1.0:
                    x1, y1, x2, y2 = r.bbox
                    r = Region(r.label, (x1 * w, y1 * h, x2 * w, y2 * h), r.score, r.cls_id, r.order)
                scaled.append(r)
            out.append(with_official_order(scaled))
        return out
