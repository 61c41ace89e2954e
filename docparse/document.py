"""The one typed, versioned result model: ``Document`` → ``Page`` → ``Block``.

Pages keep PaddleOCR-VL's per-page JSON keys with the official meaning (reference §4.4):
``input_path, page_index, page_count, width, height, model_settings, parsing_res_list,
layout_det_res``; each block keeps ``block_label, block_content, block_bbox, block_id,
block_order, group_id``. docparse adds ``order`` (full reading order), ``source``, ``status``,
``error``, ``links``, ``image`` and ``title_level``.

Everything that differs between two runs on the same input (timings, endpoints, attempts)
lives under ``Document.stats`` only, so ``doc.to_dict(volatile=False)`` is reproducible.
Output formats live in :mod:`docparse.export` and are reached through the registry in
:mod:`docparse.formats`; this module imports no output code and does no I/O of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr

from docparse import formats as registry

SCHEMA_NAME: Literal["docparse.document"] = "docparse.document"
SCHEMA_VERSION = "1.1"

BlockStatus = Literal["ok", "failed", "skipped", "merged"]
DocumentStatus = Literal["success", "partial", "failed"]

#: Where a block's content came from. ``builtin-ocr:<kind>`` marks the CPU OCR's stand-ins for
#: tables/formulas/charts, which are OCR text rather than model structure.
ContentSource = Literal[
    "vlm",
    "text-layer",
    "builtin-ocr",
    "builtin-ocr:table",
    "builtin-ocr:formula",
    "builtin-ocr:chart",
    "image",
    "none",
]


#: Every ``reason`` a block or page failure may record: a closed set, so programs can switch on
#: it. ``http_<status>`` (e.g. ``http_503``) names the HTTP status a server answered with.
ERROR_REASONS: frozenset[str] = frozenset({
    # blocks
    "connection_error", "timeout", "malformed_response", "deadline_exceeded", "missing_result",
    "no_crop", "ocr_failed", "truncated", "unreadable_script",
    # pages and documents (``DocParseError.reason`` of each class in docparse.errors)
    "error", "configuration_error", "input_error", "input_not_found", "unsupported_format",
    "corrupt_input", "password_required", "empty_document", "image_too_large", "model_error",
    "model_not_found", "model_integrity", "model_fetch_failed", "recognition_error",
    "server_unavailable", "http_error", "output_error", "internal_error", "damaged_content",
})
_HTTP_REASON = re.compile(r"http_[1-5][0-9][0-9]")


def _known_reason(reason: str) -> str:
    if reason in ERROR_REASONS or _HTTP_REASON.fullmatch(reason):
        return reason
    raise ValueError(f"unknown error reason {reason!r} (see docparse.document.ERROR_REASONS)")


ErrorReason = Annotated[str, AfterValidator(_known_reason)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class BlockError(_Model):
    """Why a block has no content: a machine-readable ``reason`` and a human ``message``."""

    reason: ErrorReason
    message: str
    endpoint: str | None = None


class Link(_Model):
    """A relation of a block to something outside itself (cross-page table, continuation)."""

    kind: Literal["merged_table", "continues_on", "continued_from", "merged_into"]
    #: JSON-pointer-like reference: ``"merged_tables/0"`` or ``"pages/3/blocks/7"``.
    ref: str


class Block(_Model):
    block_label: str
    block_content: str = ""
    block_bbox: tuple[int, int, int, int]
    block_id: int
    #: Official running index; None for the labels the official pipeline leaves unordered.
    block_order: int | None = None
    #: Merge-group leader's ``block_id`` (own id when not merged).
    group_id: int
    #: docparse's full reading-order index over every block of the page (0-based).
    order: int
    source: ContentSource = "none"
    status: BlockStatus = "ok"
    error: BlockError | None = None
    links: tuple[Link, ...] = ()
    #: File name of the block's picture (image/chart/seal crops), relative to the image folder.
    image: str | None = None
    #: Heading level after document-level re-levelling (1 = ``##``); None when not levelled.
    title_level: int | None = None
    #: The block's outline in page pixels, as the official ``block_polygon_points``: present
    #: only with polygon layout models (PP-DocLayoutV3, pipeline versions 1.5 and 1.6).
    block_polygon_points: tuple[tuple[float, float], ...] | None = None


class LayoutBox(_Model):
    cls_id: int | None = None
    label: str
    score: float
    coordinate: tuple[int, int, int, int]
    order: int | None = None
    #: Official ``polygon_points`` of polygon layout models (PP-DocLayoutV3); else None.
    polygon_points: tuple[tuple[float, float], ...] | None = None


class LayoutDetResult(_Model):
    input_path: str | None = None
    page_index: int | None = None
    boxes: tuple[LayoutBox, ...] = ()


class Page(_Model):
    input_path: str
    #: 0-based page index; None for a single image, as the official pipeline.
    page_index: int | None
    page_count: int | None
    width: int
    height: int
    model_settings: dict[str, Any] = Field(default_factory=dict)
    parsing_res_list: tuple[Block, ...] = ()
    layout_det_res: LayoutDetResult | None = None
    #: As the official: present when the page went through pre-processing (here: the
    #: orientation check of pages without a text layer); ``angle`` is what it was turned by.
    doc_preprocessor_res: dict[str, Any] | None = None
    #: Problems with the page's source (e.g. a damaged content stream: text may be missing).
    #: Each also appears in ``Document.errors`` as a warning, also after ``--resume``.
    warnings: tuple[str, ...] = ()

    @property
    def blocks(self) -> tuple[Block, ...]:
        return self.parsing_res_list


class FragmentRef(_Model):
    page_index: int | None
    block_id: int


class MergedTable(_Model):
    """A table that runs over page breaks: the merged HTML plus every fragment it came from."""

    id: int
    html: str
    fragments: tuple[FragmentRef, ...]


class ErrorItem(_Model):
    """One recorded failure: a block that could not be recognised, or a page that failed.

    ``severity="warning"``: the page was parsed, but its content may be incomplete (e.g. a
    damaged content stream); the document is ``partial`` rather than ``success``."""

    page_index: int | None = None
    block_id: int | None = None
    reason: ErrorReason
    message: str
    severity: Literal["error", "warning"] = "error"


class Attachment(_Model):
    """A file embedded in the PDF: an attachment, or the machine-readable copy an e-invoice
    (Factur-X, ZUGFeRD, XRechnung, UBL) carries of itself. Its fields are the invoice's own,
    including ones the printed page leaves out."""

    #: The name the PDF files it under (its EmbeddedFiles entry).
    name: str
    #: The file name it declares (``UF``, else ``F``), "" when none.
    filename: str = ""
    description: str = ""
    #: MIME type the PDF declares for it (``/Subtype``), e.g. ``text/xml``.
    mime_type: str | None = None
    #: Size in bytes once read; None when it was not read.
    size: int | None = None
    sha256: str | None = None
    #: Its text, for a text file (XML, JSON, CSV, plain text) up to 4 MiB; None for binary
    #: files and files not read.
    text: str | None = None
    #: ``ubl-invoice`` or ``cii-invoice`` (UN/CEFACT Cross Industry Invoice: Factur-X,
    #: ZUGFeRD, XRechnung) when the text is an e-invoice's XML; None otherwise.
    format: str | None = None
    #: Why the content was not read (too large, an unsupported filter), None when it was.
    note: str | None = None


class Stats(_Model):
    """Volatile run data. Excluded from reproducibility comparisons. Strict: every field is
    declared here (and in the JSON Schema)."""

    seconds: float = 0.0
    pages_per_second: float = 0.0
    recognition_requests: int = 0
    #: What the official client's routing would have sent for the same boxes (reference §3.4).
    official_requests: int = 0
    #: Requests the official routing would have sent that docparse did not, by reason
    #: (``furniture``, ``text_layer``, ``merged_blocks``).
    requests_saved: dict[str, int] = Field(default_factory=dict)
    retries: int = 0
    layout_backend: str = ""
    recognizer: str = ""
    endpoints: dict[str, int] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    #: Blocks whose answer was degenerate (repetition loop, token limit) and got truncated.
    truncated_blocks: int = 0


@dataclass(frozen=True, repr=False)
class Origin:
    """Where a parsed document came from, kept (never serialised) so formats that draw pages
    can render them again: the file (with the size and time it had), or the bytes given, and
    the password it was opened with."""

    path: str | None = None
    data: bytes | None = None
    password: str | None = None
    size: int | None = None
    mtime_ns: int | None = None

    def __repr__(self) -> str:  # never show the password or a megabyte of bytes
        what = f"{len(self.data)} bytes" if self.data is not None else repr(self.path)
        return f"Origin({what})"


class Document(_Model):
    schema_name: Literal["docparse.document"] = Field(default=SCHEMA_NAME, alias="schema")
    version: str = SCHEMA_VERSION
    input_path: str
    page_count: int
    status: DocumentStatus = "success"
    errors: tuple[ErrorItem, ...] = ()
    stats: Stats = Field(default_factory=Stats)
    merged_tables: tuple[MergedTable, ...] = ()
    #: Files embedded in the input (PDF attachments, an e-invoice's XML); added in 1.1.
    attachments: tuple[Attachment, ...] = ()
    pages: tuple[Page, ...] = ()

    # JPEG bytes of every picture a block references (block.image -> bytes). Not serialised:
    # save_to_markdown writes them next to the Markdown.
    _images: Mapping[str, bytes] = PrivateAttr(default_factory=dict)
    _origin: Origin | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        # Equal documents have equal content; the picture bytes and the origin kept beside it
        # (private, never serialised) do not count, so a loaded JSON equals the parse it came from.
        if not isinstance(other, Document):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ construction
    def with_images(self, images: Mapping[str, bytes]) -> Document:
        """Return a copy carrying ``images`` (name -> JPEG bytes)."""
        doc = self.model_copy()
        doc._images = images
        return doc

    def with_origin(self, origin: Origin | None) -> Document:
        """Return a copy that remembers where it came from (see :class:`Origin`)."""
        doc = self.model_copy()
        doc._origin = origin
        return doc

    @property
    def images(self) -> Mapping[str, bytes]:
        return self._images

    @property
    def origin(self) -> Origin | None:
        return self._origin

    @property
    def blocks(self) -> list[Block]:
        """Every block of every page, in page then reading order."""
        return [b for p in self.pages for b in p.parsing_res_list]

    # ------------------------------------------------------------------ serialisation
    def to_dict(self, *, volatile: bool = True) -> dict[str, Any]:
        """The JSON-ready dict. ``volatile=False`` drops ``stats`` (for comparisons)."""
        data = self.model_dump(mode="json", by_alias=True)
        if not volatile:
            data.pop("stats", None)
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_markdown(
        self, *, per_page: bool = False, image_dir: str | None = None
    ) -> str | list[str]:
        """Markdown for the whole document, or one string per page with ``per_page=True``.

        Pictures are referenced under ``image_dir`` (default ``imgs/<stem>``, where
        :meth:`save_to_markdown` writes them)."""
        out = registry.get("md").render(
            self, registry.ExportRequest(per_page=per_page, image_dir=image_dir))
        texts = [data.decode("utf-8") for name, data in out.files.items() if name.endswith(".md")]
        return texts if per_page else texts[0]

    def save(self, path: str | Path, formats: tuple[str, ...] = ("json", "md"), *,
             per_page: bool = False, stem: str | None = None) -> list[Path]:
        """Write any registered formats (``docparse.formats.names()``) into the folder ``path``,
        all or none. Returns the files written (pictures referenced by Markdown excepted)."""
        return registry.save(self, path, formats, registry.ExportRequest(stem=stem, per_page=per_page))

    def save_to_json(self, path: str | Path) -> Path:
        """Write the JSON to ``path`` (a file, or a directory to hold ``<stem>.json``)."""
        return self.save(path, ("json",))[0]

    def save_to_markdown(self, path: str | Path, *, per_page: bool = False) -> Path:
        """Write the Markdown and the pictures it references (under ``imgs/<stem>/``)."""
        return self.save(path, ("md",), per_page=per_page)[0]

    def save_to_img(self, path: str | Path) -> list[Path]:
        """Write one PNG per page with numbered, labelled boxes. The pages are rendered again
        from the input this document was parsed from; if that is gone or changed, an
        :class:`~docparse.errors.OutputError` says so (nothing is drawn on blank pages)."""
        return self.save(path, ("img",))

    def save_to_html(self, path: str | Path) -> Path:
        """Write the viewer: each page with its boxes beside the content, one HTML file (a
        file path or a folder for ``<stem>.html``). Pages are drawn as by :meth:`save_to_img`."""
        return self.save(path, ("html",))[0]

    def print(self, *, file: Any = None) -> None:
        """Print a short summary: per page, each block's order, label, and content head."""
        import sys

        out = registry.get("summary").render(self, registry.ExportRequest())
        text = next(iter(out.files.values())).decode("utf-8")
        (file or sys.stdout).write(text)


def load(path: str | Path) -> Document:
    """Read a JSON file written by ``save_to_json`` back into an equal :class:`Document`."""
    from docparse.errors import InputError

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror or exc}") from exc
    try:
        if b"\0" in raw[:4096]:
            raise UnicodeDecodeError("utf-8", raw[:1], 0, 1, "NUL byte")
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(p, "not a docparse document JSON: not UTF-8 text (a binary file?)") from None
    except ValueError as exc:
        raise InputError(
            p, f"not a docparse document JSON: {exc} (the file starts with {raw[:8]!r})"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
        raise InputError(p, f"not a docparse document JSON (no \"schema\": \"{SCHEMA_NAME}\")")
    version = str(data.get("version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            p, f"document schema version {version!r} is not supported (this docparse reads "
            f"{SCHEMA_VERSION.split('.')[0]}.x)"
        )
    try:
        return Document.model_validate(data)
    except ValueError as exc:
        raise InputError(p, f"not a docparse document JSON: {str(exc).splitlines()[0]}") from exc
