"""Layout backends: page pixels → labelled regions in reading order.

A backend maps its classes onto the PP-DocLayoutV2 vocabulary (:mod:`docparse.labels`) and
returns regions already sorted in reading order. Backends receive their weights path as an
argument and never download anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from docparse.sources import PageImage
    from docparse.textlayer.model import TextLayerPage


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
    #: Added by a refinement rule on weak evidence (text found where the model saw none, a big
    #: picture read as text too): the block is dropped again when nothing is read in it.
    tentative: bool = False


class LayoutBackend(Protocol):
    """Detects regions on a batch of RGB page images."""

    #: Short name recorded in stats and ``model_settings`` ("builtin", "pp-doclayoutv2",
    #: "pp-doclayoutv3").
    name: str

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        """One list of regions per image, each sorted in reading order."""
        ...


@runtime_checkable
class LoadsModel(Protocol):
    """A backend that can load its model ahead of the first page. Parsers call it on a worker
    thread while the first pages render, so loading overlaps rendering instead of delaying the
    first page's layout (issue 15). Optional; blocking; loading twice is a no-op."""

    def load(self) -> None: ...


@dataclass(frozen=True)
class DrawnRules:
    """Thin rules a page image shows (a scan's or photo's table borders), in page pixels:
    horizontal ``(x0, y, x1, y)`` and vertical ``(x, y0, x, y1)`` segments."""

    horizontal: tuple[tuple[float, float, float, float], ...]
    vertical: tuple[tuple[float, float, float, float], ...]
    #: Page pixels per point at the page's resolution: rules meeting within two points join.
    scale: float = 1.0


@dataclass(frozen=True)
class LayoutEvidence:
    """What a backend's refinement step may consult besides the pixels."""

    width: int
    height: int
    #: The PDF's own text when the parse may use it (None: no text layer, or ``text_layer=off``).
    text_layer: TextLayerPage | None
    #: Whether the page has a text layer at all, whatever the option (a scan or photo has none;
    #: nor, here, has a scan whose only text is an invisible OCR layer).
    page_has_text: bool
    #: On pages read by OCR: the page's OCR lines as ``(text, (x1, y1, x2, y2))`` in page
    #: pixels, when the caller ran OCR before refining (None: not available). The built-in
    #: backend then checks its labels against them as it does against the text layer.
    ocr_lines: tuple[tuple[str, tuple[float, float, float, float]], ...] | None = None
    #: On scans read by a recogniser of crops (no text layer, no OCR lines): the text lines page
    #: pre-processing found by image processing, ``(x1, y1, x2, y2)`` in page pixels. Where
    #: text is, not what it says; None when not available.
    line_boxes: tuple[tuple[float, float, float, float], ...] | None = None
    #: On pages read by OCR: the rules the page image shows (None: not looked for). A lattice
    #: of them with text in its cells is a table, as on born-digital pages.
    drawn_rules: DrawnRules | None = None
    #: Whether the backend may find page furniture the model missed (the ``detect_furniture``
    #: option: off, the model's own header and footer labels stand alone).
    furniture: bool = True


def layout_evidence(page: PageImage, use_text_layer: bool) -> LayoutEvidence:
    from docparse.textlayer.gate import is_ocr_layer

    tl = page.text_layer
    return LayoutEvidence(
        width=page.width,
        height=page.height,
        text_layer=tl if use_text_layer else None,
        page_has_text=bool(tl is not None and tl.lines and not is_ocr_layer(tl)),
    )


@runtime_checkable
class RefiningBackend(Protocol):
    """A backend with its own rules applied after detection (the built-in model's label checks;
    PP-DocLayoutV3's post-processing would live here too). Pure: no I/O."""

    def refine(self, regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]: ...


def refine_regions(
    backend: LayoutBackend, regions: Sequence[Region], evidence: LayoutEvidence
) -> list[Region]:
    """The backend's own refinement step, if it declares one."""
    if isinstance(backend, RefiningBackend):
        return backend.refine(regions, evidence)
    return list(regions)
