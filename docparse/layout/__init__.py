"""Layout backends: page pixels → labelled regions in reading order.

A backend maps its classes onto the PP-DocLayoutV2 vocabulary (:mod:`docparse.labels`) and
returns regions already sorted in reading order. Backends receive their weights path as an
argument and never download anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class Region:
    """One detected layout box, in page pixels (x1, y1, x2, y2; top-left origin)."""

    label: str
    bbox: tuple[float, float, float, float]
    score: float
    cls_id: int | None = None
    #: 1-based reading-order index as in the official ``layout_det_res`` (None for the
    #: labels the official pipeline leaves unordered).
    order: int | None = None
    #: Outline in page pixels from polygon layout models (PP-DocLayoutV3), the official
    #: ``polygon_points``; None for rectangle-only models.
    polygon: tuple[tuple[float, float], ...] | None = None


class LayoutBackend(Protocol):
    """Detects regions on a batch of RGB page images."""

    #: Short name recorded in stats and ``model_settings`` ("builtin", "pp-doclayoutv2",
    #: "pp-doclayoutv3").
    name: str

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        """One list of regions per image, each sorted in reading order."""
        ...
