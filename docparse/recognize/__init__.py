"""Recognition backends: the content of each block (text, table HTML, LaTeX, chart table).

A recognizer receives a whole page plus the page's recognition tasks and returns one result
per task. Page granularity lets the built-in OCR run once per page and assign lines to boxes,
while the VLM backend fans the tasks out as concurrent requests that overlap across pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from docparse.content import ExtraBlock
from docparse.document import BlockError, ContentSource
from docparse.geometry import IntBox
from docparse.recognize.line_order import OcrLine

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from docparse.sources import PageImage

__all__ = ["ExtraBlock", "PageLines", "PageRecognition", "PreparesTasks", "ReadsPages",
           "RecognitionResult", "RecognitionTask", "Recognizer", "TaskKind", "WarmsUp"]

#: "seal" exists from PaddleOCR-VL 1.5 on (docparse.versions says which prompt each version has).
TaskKind = Literal["ocr", "table", "formula", "chart", "seal"]


@dataclass(frozen=True, eq=False)
class RecognitionTask:
    block_id: int
    label: str
    kind: TaskKind
    #: Box in page pixels.
    bbox: tuple[int, int, int, int]
    #: The prepared crop (RGB), for backends that recognise crops. For a merged group this is
    #: the stacked image of every member. None when the backend said it does not need crops.
    crop: npt.NDArray[np.uint8] | None = None
    #: Boxes of the other members stacked into ``crop`` (merged text groups).
    member_bboxes: tuple[tuple[int, int, int, int], ...] = ()
    #: The crop as the backend sends it, when the backend prepared it ahead
    #: (:class:`PreparesTasks`; the VLM's JPEG data URL). None: prepared when recognised.
    payload: str | None = None


@dataclass(frozen=True)
class RecognitionResult:
    block_id: int
    content: str
    source: ContentSource
    error: BlockError | None = None
    #: Requests sent for this block (0 for local recognisers), and retries among them.
    requests: int = 0
    retries: int = 0
    endpoint: str | None = None
    #: True when the output was degenerate (repetition, token limit) and got truncated.
    truncated: bool = False


@dataclass
class PageRecognition:
    results: dict[int, RecognitionResult] = field(default_factory=dict)
    extra_blocks: list[ExtraBlock] = field(default_factory=list)


class Recognizer(Protocol):
    name: str
    #: Whether tasks must carry prepared crops (the VLM does; the built-in OCR works on pages).
    needs_crops: bool

    async def recognize_page(
        self,
        page: PageImage,
        tasks: Sequence[RecognitionTask],
        *,
        layout_boxes: Sequence[IntBox] = (),
        deadline_at: float | None = None,
    ) -> PageRecognition:
        """Recognise every task of one page. Per-task failures are results, not exceptions;
        raise only when the whole backend is unusable (e.g. every server is down).

        ``layout_boxes`` are every layout box of the page (tasks or not), so a page-level
        reader does not return text inside pictures or text-layer blocks as extra blocks.

        ``deadline_at`` is a ``time.monotonic()`` instant after which no new work may start;
        tasks not done by then come back failed with reason ``deadline_exceeded``."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class PageLines:
    """Every text line a recogniser read on a whole page, in page pixels."""

    lines: tuple[OcrLine, ...]

    def evidence(self) -> tuple[tuple[str, tuple[float, float, float, float]], ...]:
        """As :attr:`docparse.layout.LayoutEvidence.ocr_lines`."""
        return tuple((ln.text, ln.bbox) for ln in self.lines)


@runtime_checkable
class ReadsPages(Protocol):
    """A recogniser that reads whole pages (the built-in OCR). On a page with no text layer
    to go by, the parser has it read the page before the layout's labels are checked, so the
    checks see the page's words (prose in a "table" box, a picture that is really text) as
    they do on a born-digital page; the same reading then serves recognition (one OCR pass
    per page). Optional: without it, labels on such pages are taken as the model gives them."""

    async def read_page(self, page: PageImage) -> PageLines | None:
        """The page's lines, or None when it cannot be read as a whole (the recogniser then
        reads it its own way). Raises only what :meth:`Recognizer.recognize_page` would."""
        ...

    async def recognize_page(
        self,
        page: PageImage,
        tasks: Sequence[RecognitionTask],
        *,
        layout_boxes: Sequence[IntBox] = (),
        deadline_at: float | None = None,
        lines: PageLines | None = None,
    ) -> PageRecognition:
        """:meth:`Recognizer.recognize_page`, using ``lines`` (from :meth:`read_page` on the
        same page) instead of reading the page again."""
        ...


@runtime_checkable
class PreparesTasks(Protocol):
    """A recogniser with CPU work of its own per task before any request is sent (the VLM
    encodes each crop as JPEG). Parsers run it as the last of a page's CPU stages, before the
    page window lets the next pages in, so the page's requests are not held up by the next
    pages' rendering (PDF rendering holds the GIL). Optional: without it, the work happens in
    :meth:`Recognizer.recognize_page`."""

    async def prepare_tasks(self, tasks: Sequence[RecognitionTask]) -> list[RecognitionTask]:
        """``tasks`` with :attr:`RecognitionTask.payload` set where the backend sends one."""
        ...


@runtime_checkable
class WarmsUp(Protocol):
    """A recogniser that can get ready (HTTP client built, model names known)
    while the first pages are still being rendered and laid out, so the server gets its first
    request as early as the client can send it. Optional: parsers call it when it is there."""

    async def warm_up(self) -> None:
        """Prepare; never raise for a server that does not answer (requests will say so)."""
        ...
