"""Inputs: files, bytes and file objects become pages of RGB pixels.

``open_source`` sniffs the content (never trusts the extension alone) and returns a
:class:`Source`; rendering a page gives a :class:`PageImage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from docparse.document import Attachment
    from docparse.textlayer.model import TextLayerPage


@dataclass(frozen=True, eq=False)
class PageImage:
    """One rendered page: RGB uint8 pixels plus what later stages need to know about it.

    Immutable: a stage that changes the page (turning it upright) makes a new one with
    :func:`dataclasses.replace`. Plain data, so it pickles for process and Ray workers."""

    input_path: str
    #: 0-based; None for a single-page image input (as the official pipeline).
    page_index: int | None
    page_count: int | None
    image: npt.NDArray[np.uint8]
    #: Pixels per PDF point (dpi / 72) for PDF pages; 1.0 for images.
    scale: float = 1.0
    #: The PDF's own text on this page, in page-pixel coordinates (None for images).
    text_layer: TextLayerPage | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


def source_warnings(page: PageImage) -> tuple[str, ...]:
    """Problems of the page's source a reader must know of (output as ``Page.warnings``):
    a content stream MuPDF could not read in full means text may be missing."""
    errors = list(page.meta.get("content_errors", ()))
    if not errors:
        return ()
    shown = "; ".join(errors[:3]) + (f"; and {len(errors) - 3} more" if len(errors) > 3 else "")
    return (f"damaged page content, text may be missing (MuPDF: {shown})",)


class Source(Protocol):
    """An opened input. Not thread-safe: render its pages from one thread at a time."""

    input_path: str
    kind: str  # "pdf" or "image"
    #: Pages in the file (before any page selection).
    page_count: int
    #: True when page_index should be None in output (a single still image).
    single_image: bool

    def render(
        self, index: int, *, dpi: int, with_text_layer: bool, turn: bool = False
    ) -> PageImage:
        """Page ``index`` as pixels (and its own text with ``with_text_layer``). With ``turn``
        a page whose text runs sideways or upside down is turned first (PDF pages; recorded
        as ``meta["turned"]``, degrees clockwise)."""
        ...

    def attachments(self) -> tuple[Attachment, ...]:
        """Files embedded in the input (PDF attachments); () when it has none."""
        ...

    def close(self) -> None: ...
