"""The one typed, versioned result model: ``Document`` → ``Page`` → ``Block``.

Pages keep PaddleOCR-VL's per-page JSON keys with the official meaning (reference §4.4):
``input_path, page_index, page_count, width, height, model_settings, parsing_res_list,
layout_det_res``; each block keeps ``block_label, block_content, block_bbox, block_id,
block_order, group_id``. docparse adds ``order`` (full reading order), ``source``, ``status``,
``error``, ``links``, ``image`` and ``title_level``.

Everything that differs between two runs on the same input (timings, endpoints, attempts)
lives under ``Document.stats`` only, so ``doc.to_dict(volatile=False)`` is reproducible.
Serialisation helpers that touch disk live in :mod:`docparse.output`; this module does no I/O
except through the thin ``save_*`` conveniences that delegate there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

SCHEMA_NAME: Literal["docparse.document"] = "docparse.document"
SCHEMA_VERSION = "1.0"

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BlockError(_Model):
    """Why a block has no content: a machine-readable ``reason`` and a human ``message``."""

    reason: str
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
    """One recorded failure: a block that could not be recognised, or a page that failed."""

    page_index: int | None = None
    block_id: int | None = None
    reason: str
    message: str


class Stats(_Model):
    """Volatile run data. Excluded from reproducibility comparisons."""

    model_config = ConfigDict(extra="allow", frozen=True)

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


class Document(_Model):
    schema_name: Literal["docparse.document"] = Field(default=SCHEMA_NAME, alias="schema")
    version: str = SCHEMA_VERSION
    input_path: str
    page_count: int
    status: DocumentStatus = "success"
    errors: tuple[ErrorItem, ...] = ()
    stats: Stats = Field(default_factory=Stats)
    merged_tables: tuple[MergedTable, ...] = ()
    pages: tuple[Page, ...] = ()

    # JPEG bytes of every picture a block references (block.image -> bytes). Not serialised:
    # save_to_markdown writes them next to the Markdown.
    _images: Mapping[str, bytes] = PrivateAttr(default_factory=dict)

    # ------------------------------------------------------------------ construction
    def with_images(self, images: Mapping[str, bytes]) -> Document:
        """Return a copy carrying ``images`` (name -> JPEG bytes)."""
        doc = self.model_copy()
        doc._images = images
        return doc

    @property
    def images(self) -> Mapping[str, bytes]:
        return self._images

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
        from docparse.assemble.markdown import MarkdownParams, render_document, render_pages
        from docparse.output.files import default_stem, ignore_labels

        folder = image_dir if image_dir is not None else f"imgs/{default_stem(self)}"
        params = MarkdownParams(image_dir=folder, ignore_labels=ignore_labels(self))
        if per_page:
            return render_pages(self, params)
        return render_document(self, params)

    def save_to_json(self, path: str | Path) -> Path:
        """Write the JSON to ``path`` (a file, or a directory to hold ``<stem>.json``)."""
        from docparse.output.files import save_json

        return save_json(self, Path(path))

    def save_to_markdown(self, path: str | Path, *, per_page: bool = False) -> Path:
        """Write the Markdown and the pictures it references (under ``imgs/<stem>/``)."""
        from docparse.output.files import save_markdown

        return save_markdown(self, Path(path), per_page=per_page)

    def save_to_img(self, path: str | Path) -> list[Path]:
        """Write one PNG per page with numbered, labelled boxes (needs the source file)."""
        from docparse.output.visualize import save_layout_images

        return save_layout_images(self, Path(path))

    def print(self, *, file: Any = None) -> None:
        """Print a short summary: per page, each block's order, label, and content head."""
        from docparse.output.summary import print_document

        print_document(self, file=file)


def load(path: str | Path) -> Document:
    """Read a JSON file written by ``save_to_json`` back into an equal :class:`Document`."""
    from docparse.errors import InputError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror or exc}") from exc
    try:
        return Document.model_validate_json(text)
    except ValueError as exc:
        raise InputError(p, f"not a docparse document JSON: {str(exc).splitlines()[0]}") from exc
