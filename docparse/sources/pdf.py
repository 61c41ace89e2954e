"""PDF input: open with pymupdf, map its failures to input errors, render pages to RGB.

Rendering follows the official pipeline (reference §2.5): scale = dpi / 72, lowered just
enough to keep the page under the pixel cap, never below :data:`MIN_RENDER_SCALE`. One
departure: a small scanned page (a pocket book's page, a receipt) is rendered larger, up to
:data:`MIN_SCAN_LONG_SIDE` pixels, as far as its scan's own pixels go: at 144 dpi its text is
5-7 px tall, too small for any OCR, while the scan inside the PDF holds it sharply.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docparse.errors import (
    ConfigurationError,
    CorruptInputError,
    EmptyDocumentError,
    ImageTooLargeError,
    InputError,
    PasswordError,
)
from docparse.options import MAX_PAGE_PIXELS
from docparse.sources import PageImage

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from docparse.document import Attachment
    from docparse.textlayer.model import TextLayerPage

#: Lowest render scale before a page counts as too large (paddlex PDF_MIN_RENDER_SCALE).
MIN_RENDER_SCALE = 0.1
#: A scanned page shorter than this (pixels, long side) at the requested dpi is rendered up to
#: it, never beyond its scan's own resolution. Letter and A4 pages at 144 dpi are 1584 and
#: 1684 px: only small pages change.
MIN_SCAN_LONG_SIDE = 1500

log = logging.getLogger(__name__)

#: MuPDF keeps one global context per process: every pymupdf call docparse makes while
#: rendering goes through this lock, so sources in different worker threads never interleave.
MUPDF_LOCK = threading.RLock()  # re-entrant: the text-layer extractor may take it too

#: What ``import pymupdf`` (2.0) imports by itself when installed, and docparse never uses:
#: pymupdf4llm (Markdown conversion) and pymupdf.layout (its layout analyser, which builds an
#: ONNX Runtime session at import). Both arrive as pymupdf 2.0's own requirements.
PYMUPDF_EXTRAS = ("pymupdf.layout", "pymupdf4llm")


def leave_out_pymupdf_extras() -> None:
    """Make this process's ``import pymupdf`` skip :data:`PYMUPDF_EXTRAS`, for docparse's own
    processes only (the command, the server): measured 0.55 s → 0.09 s of start-up on the way
    to a PDF's first page (0.78 s → 0.09 s of CPU). pymupdf imports them inside
    ``try/except ImportError``; the page text and pictures docparse reads are the same (the
    analyser acts only through ``Page.get_layout``, which docparse does not call). The library
    never does this: a program that imports docparse may use them itself. No effect once
    pymupdf is imported."""
    import sys

    if "pymupdf" in sys.modules:
        return
    for name in PYMUPDF_EXTRAS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "import halted"


#: Whether MuPDF's own printing of its errors and warnings is switched off (see
#: :func:`quiet_mupdf_messages`).
_QUIET_MUPDF = False


def quiet_mupdf_messages() -> None:
    """Stop MuPDF printing "MuPDF error: ..." (pymupdf writes it to stdout, among the
    command's own output), for docparse's own processes only:
    docparse collects every such message per page (``mupdf_warnings``, ``damaged_content``)
    and the command reports them as warnings naming the file, so the raw lines are noise
    between its own. The library never does this: MuPDF's switch is global to the process,
    and a program that imports docparse may want MuPDF's messages. Takes effect when the next
    PDF is opened."""
    global _QUIET_MUPDF
    _QUIET_MUPDF = True


# Keys of which at least one sits in any real page dictionary.
_PAGE_KEYS = ("Contents", "MediaBox", "Resources", "Parent")


def render_size(width_pt: float, height_pt: float, scale: float) -> tuple[int, int]:
    """Pixel size of a ``width_pt`` x ``height_pt`` page rendered at ``scale``."""
    return math.ceil(width_pt * scale), math.ceil(height_pt * scale)


def capped_scale(
    width_pt: float,
    height_pt: float,
    scale: float,
    *,
    max_pixels: int = MAX_PAGE_PIXELS,
    min_scale: float = MIN_RENDER_SCALE,
) -> float | None:
    """The largest scale <= ``scale`` whose render stays within ``max_pixels``.

    Returns None when even ``min_scale`` is too large. Mirrors paddlex
    ``get_pdf_render_scale_within_pixel_limit`` (bisection, 32 steps).

    >>> capped_scale(595, 842, 2.0)
    2.0
    """
    w, h = render_size(width_pt, height_pt, scale)
    if w * h <= max_pixels:
        return scale
    w, h = render_size(width_pt, height_pt, min_scale)
    if w * h > max_pixels:
        return None
    lower, upper = min_scale, min(scale, math.sqrt(max_pixels / (width_pt * height_pt)))
    for _ in range(32):
        mid = (lower + upper) / 2
        w, h = render_size(width_pt, height_pt, mid)
        if w * h <= max_pixels:
            lower = mid
        else:
            upper = mid
    return lower


def scan_scale(page: Any, scale: float) -> float:
    """``scale``, or a larger one for a small scanned page (see :data:`MIN_SCAN_LONG_SIDE`):
    the page's long side reaches that size if the page-covering scan has the pixels for it.
    Pages of ordinary size, and pages that are not scans, keep ``scale`` (and cost nothing:
    images are looked at only on small pages)."""
    from docparse.textlayer.gate import SCAN_IMAGE_COVERAGE

    rect = page.rect
    long_side = float(max(rect.width, rect.height))
    if long_side <= 0 or long_side * scale >= MIN_SCAN_LONG_SIDE:
        return scale
    page_area = rect.width * rect.height
    try:
        images = page.get_image_info()
    except _mupdf_errors():
        return scale  # a damaged content stream: rendering reports it, at the requested dpi
    native = 0.0
    for info in images:
        x0, y0, x1, y1 = info["bbox"]
        w, h = x1 - x0, y1 - y0
        if w <= 0 or h <= 0 or w * h < SCAN_IMAGE_COVERAGE * page_area:
            continue
        # Pixels per point of the scan as placed on the page (either axis; rotated scans
        # swap them, so the smaller of the two ratios is the safe one).
        px = sorted((float(info["width"]), float(info["height"])))
        pt = sorted((w, h))
        native = max(native, min(px[0] / pt[0], px[1] / pt[1]))
    if native <= scale:
        return scale
    return float(max(scale, min(native, MIN_SCAN_LONG_SIDE / long_side)))


class PdfSource:
    """An opened PDF. Render pages from one thread at a time; :meth:`close` frees the file."""

    kind = "pdf"
    single_image = False

    def __init__(
        self,
        data: bytes | Path,
        *,
        input_path: str,
        password: str | None = None,
        max_pixels: int = MAX_PAGE_PIXELS,
    ) -> None:
        """Open ``data`` (a path, kept open lazily, or the whole file in memory).

        Raises:
            CorruptInputError: not decodable, or truncated beyond repair.
            PasswordError: encrypted and ``password`` is missing or wrong.
            EmptyDocumentError: the PDF has no pages.
        """
        self.input_path = input_path
        self.max_pixels = max_pixels
        self.repaired = False
        self._doc: Any = None
        with MUPDF_LOCK:
            doc = _open_document(data, input_path)
            try:
                self.page_count: int = self._check_document(doc, data, password)
            except _mupdf_errors() as exc:
                doc.close()
                raise CorruptInputError(input_path, f"not a readable PDF: {_reason(exc)}") from exc
            except BaseException:
                doc.close()
                raise
            self._doc = doc

    def _check_document(self, doc: Any, data: bytes | Path, password: str | None) -> int:
        """The page count, once the document proved readable (MuPDF errors pass through)."""
        if doc.needs_pass:
            if password is None:
                raise PasswordError(
                    self.input_path,
                    "encrypted PDF needs a password (pass --password or DOCPARSE_PASSWORD)",
                )
            if not doc.authenticate(password):
                raise PasswordError(self.input_path, "wrong password for encrypted PDF")
        self.repaired = bool(doc.is_repaired)
        if self.repaired and not _ends_with_eof_marker(data):
            raise CorruptInputError(
                self.input_path, "truncated PDF (the file ends before its %%EOF marker)"
            )
        count = int(doc.page_count)
        if count == 0:
            if self.repaired:
                raise CorruptInputError(self.input_path, "damaged PDF: no page could be recovered")
            raise EmptyDocumentError(self.input_path, "PDF has no pages")
        return count

    def render(
        self, index: int, *, dpi: int = 144, with_text_layer: bool = False, turn: bool = False
    ) -> PageImage:
        """Render page ``index`` (0-based) as RGB pixels at ``dpi`` (capped, see module doc).

        With ``with_text_layer`` the PDF's own text is extracted at the same scale. With
        ``turn`` too, a page whose visible text mostly runs up, down or upside down
        (:func:`~docparse.textlayer.turn.sideways_turn`) is rendered and read turned so that
        it runs left to right; ``meta["turned"]`` says by how many degrees clockwise.

        Raises:
            CorruptInputError: the page cannot be loaded or rendered.
            ImageTooLargeError: the page exceeds the pixel cap even at the minimum scale.
        """
        import pymupdf

        if dpi < 1:
            raise ConfigurationError(f"{self.input_path}: dpi must be at least 1, got {dpi}")
        requested = dpi / 72
        with MUPDF_LOCK:
            tools: Any = pymupdf.TOOLS
            tools.mupdf_warnings(reset=True)  # drop notes left by earlier calls
            page = self._load_page(index)
            # Notes from loading the page concern the page tree, not this page's content.
            loading = tools.mupdf_warnings(reset=True)
            rotation = int(page.rotation)
            scale = self._page_scale(page, index, requested)
            text_layer = self._extract_text(page, scale, index + 1) if with_text_layer else None
            turned = 0
            if turn and text_layer is not None:
                from docparse.textlayer.turn import sideways_turn

                turned = sideways_turn(text_layer)
            try:
                if turned and self._set_rotation(page, (rotation + turned) % 360):
                    scale = self._page_scale(page, index, requested)
                    text_layer = self._extract_text(page, scale, index + 1)
                else:
                    turned = 0
                image = self._render_pixels(page, scale, index + 1, pymupdf)
            finally:
                # The turn is this rendering's only: the document itself stays as it was.
                if turned:
                    self._set_rotation(page, rotation)
            notes = tools.mupdf_warnings(reset=True)
            # MuPDF keeps decoded images and fonts in a store that grows with every page (up
            # to 256 MB a process); emptied per page, memory stays flat however long the PDF.
            tools.store_shrink(100)
        meta: dict[str, Any] = {
            "format": "pdf",
            "requested_dpi": dpi,
            "dpi": scale * 72,
            "scale_capped": scale < requested,
            "rotation": rotation,
        }
        if turned:
            meta["turned"] = turned
        if notes or loading:
            meta["mupdf_warnings"] = (loading + "\n" + notes).strip().splitlines()
            damage = content_errors(notes)
            if damage:
                meta["content_errors"] = damage
        if self.repaired:
            meta["repaired"] = True
        return PageImage(
            input_path=self.input_path,
            page_index=index,
            page_count=self.page_count,
            image=image,
            scale=scale,
            text_layer=text_layer,
            meta=meta,
        )

    def attachments(self) -> tuple[Attachment, ...]:
        """Files embedded in the PDF, with the text of text files (:mod:`.attachments`). A
        damaged attachment table lists nothing rather than failing the document."""
        from docparse.sources.attachments import embedded_files

        with MUPDF_LOCK:
            doc = self._require_open(0)
            try:
                return embedded_files(doc)
            except _mupdf_errors(ValueError) as exc:
                log.warning("%s: embedded files not read: %s", self.input_path, _reason(exc))
                return ()

    def _load_page(self, index: int) -> Any:
        doc = self._require_open(index)
        page_no = index + 1
        try:
            page = doc.load_page(index)
        except _mupdf_errors() as exc:
            raise CorruptInputError(
                self.input_path, f"page {page_no} is damaged: {_reason(exc)}"
            ) from exc
        problem = _page_object_problem(doc, page.xref)
        if problem:
            raise CorruptInputError(self.input_path, f"page {page_no} is damaged: {problem}")
        return page

    def _page_scale(self, page: Any, index: int, requested: float) -> float:
        """The render scale: ``requested`` capped by the pixel limit, raised for a scan's
        image resolution (:func:`scan_scale`)."""
        scale = self._scale_for(page, index, requested)
        if (larger := scan_scale(page, scale)) > scale:
            scale = self._scale_for(page, index, larger)
        return scale

    def _set_rotation(self, page: Any, degrees: int) -> bool:
        """Set the page's rotation in memory (never saved); False when MuPDF refuses."""
        try:
            page.set_rotation(degrees)
        except _mupdf_errors(ValueError) as exc:
            log.debug("%s: page not turned: %s", self.input_path, _reason(exc))
            return False
        return True

    def _scale_for(self, page: Any, index: int, requested: float) -> float:
        rect = page.rect
        page_no = index + 1
        if rect.width <= 0 or rect.height <= 0:
            raise CorruptInputError(
                self.input_path, f"page {page_no} has an empty page box ({rect})"
            )
        scale = capped_scale(rect.width, rect.height, requested, max_pixels=self.max_pixels)
        if scale is None:
            w, h = render_size(rect.width, rect.height, MIN_RENDER_SCALE)
            raise ImageTooLargeError(
                self.input_path,
                f"page {page_no} is {rect.width:.0f}x{rect.height:.0f} pt: {w}x{h} px "
                f"even at scale {MIN_RENDER_SCALE} exceeds the {self.max_pixels} pixel cap",
            )
        return scale

    def _render_pixels(
        self, page: Any, scale: float, page_no: int, pymupdf: Any
    ) -> npt.NDArray[np.uint8]:
        import numpy as np

        try:
            pix = page.get_pixmap(
                matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csRGB, alpha=False
            )
        except pymupdf.mupdf.FzErrorLimit as exc:
            raise ImageTooLargeError(
                self.input_path, f"page {page_no} is too large to render: {_reason(exc)}"
            ) from exc
        except _mupdf_errors(MemoryError) as exc:
            raise CorruptInputError(
                self.input_path, f"page {page_no} cannot be rendered: {_reason(exc)}"
            ) from exc
        rows: npt.NDArray[np.uint8] = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(
            pix.height, pix.stride
        )
        # Rows may be padded past width * 3; the copy also detaches from MuPDF's buffer.
        image: npt.NDArray[np.uint8] = rows[:, : pix.width * 3].reshape(pix.height, pix.width, 3)
        return np.array(image, dtype=np.uint8, copy=True)

    def _extract_text(self, page: Any, scale: float, page_no: int) -> TextLayerPage:
        from docparse.textlayer.extract import extract_page  # type: ignore[import-not-found,unused-ignore]

        try:
            layer: TextLayerPage = extract_page(page, scale)
            return layer
        except _mupdf_errors() as exc:
            raise CorruptInputError(
                self.input_path, f"page {page_no}: text layer cannot be read: {_reason(exc)}"
            ) from exc

    def _require_open(self, index: int) -> Any:
        if self._doc is None:
            raise InputError(self.input_path, "source is already closed")
        if not 0 <= index < self.page_count:
            raise ConfigurationError(
                f"{self.input_path}: page index {index} is out of range "
                f"(the PDF has {self.page_count} pages)"
            )
        return self._doc

    def close(self) -> None:
        """Release the file; rendering afterwards raises :class:`InputError`."""
        with MUPDF_LOCK:
            if self._doc is not None:
                self._doc.close()
                self._doc = None

    def __enter__(self) -> PdfSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def content_errors(notes: str) -> list[str]:
    """The MuPDF messages among ``notes`` that say a page's content could not be read in
    full (a damaged or undecodable content stream, syntax errors): rendering and text
    extraction go on without what followed, so the page may lack text. Deduplicated, in order.

    >>> content_errors("library error: zlib error: incorrect header check\\n"
    ...                "read error; treating as end of file\\nsome warning")
    ['library error: zlib error: incorrect header check', 'read error; treating as end of file']
    """
    lines = (line.strip() for line in notes.splitlines())
    return list(dict.fromkeys(line for line in lines if line and "error" in line.lower()))


def _open_document(data: bytes | Path, input_path: str) -> Any:
    import pymupdf

    if _QUIET_MUPDF:
        tools: Any = pymupdf.TOOLS
        tools.mupdf_display_errors(False)
        tools.mupdf_display_warnings(False)

    opener: Any = pymupdf.open
    try:
        if isinstance(data, Path):
            name = str(data)
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                # MuPDF opens names as UTF-8: a name holding non-UTF-8 bytes (PEP 383
                # surrogates) cannot reach it, so the file is read here instead.
                return opener(stream=data.read_bytes(), filetype="pdf")
            return opener(name, filetype="pdf")
        return opener(stream=data, filetype="pdf")
    except _mupdf_errors() as exc:
        raise CorruptInputError(input_path, f"not a readable PDF: {_reason(exc)}") from exc


def _ends_with_eof_marker(data: bytes | Path) -> bool:
    if isinstance(data, Path):
        with data.open("rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
    else:
        tail = data[-1024:]
    return b"%%EOF" in tail


def _page_object_problem(doc: Any, xref: int) -> str | None:
    """Why the page tree entry is not a page (MuPDF substitutes a blank Letter page)."""
    if not 0 < xref < doc.xref_length():
        return f"its object {xref} 0 R does not exist"
    try:
        if doc.xref_object(xref, compressed=True).strip() == "null":
            return f"its object {xref} 0 R is empty"
        kind, value = doc.xref_get_key(xref, "Type")
        if kind == "name" and value == "/Page":
            return None
        if any(doc.xref_get_key(xref, key)[0] != "null" for key in _PAGE_KEYS):
            return None
    except _mupdf_errors() as exc:
        return f"its object {xref} 0 R cannot be read ({_reason(exc)})"
    return f"its object {xref} 0 R is not a page"


def _mupdf_errors(*extra: type[Exception]) -> tuple[type[Exception], ...]:
    """What pymupdf raises for bad documents: its own FileDataError (a RuntimeError),
    ValueError for closed or encrypted documents, and MuPDF's ``FzError*`` family."""
    import pymupdf

    return (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase, *extra)


def _reason(exc: BaseException) -> str:
    """MuPDF messages look like ``code=7: cycle in page tree``; keep the human part."""
    text = str(exc).strip() or type(exc).__name__
    if text.startswith("code=") and ": " in text:
        text = text.split(": ", 1)[1]
    return text.splitlines()[0]
