"""Everything the scale-out engine uses from the rest of docparse, in one place.

The pipeline and output packages are being reorganised; the distributed engine reaches them
only through the names below, so re-pointing it is an edit to this file alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from docparse.document import SCHEMA_VERSION, Attachment, Document, ErrorItem, Page
from docparse.export.atomic import write_bytes
from docparse.export.batch_files import failure_summary, write_outputs
from docparse.export.outdir import WORK_DIR
from docparse.layout import LayoutBackend
from docparse.options import OutputOptions, ParseOptions
from docparse.pagespec import select_pages
from docparse.pipeline.backends import build_layout, build_recognizer
from docparse.pipeline.document_build import build_document, restructure_document
from docparse.pipeline.page_run import PageOutcome
from docparse.pipeline.parser import AsyncParser
from docparse.pipeline.store import PageStore
from docparse.recognize import Recognizer
from docparse.sources.discover import FoundInput, discover_inputs, is_supported_name, output_stems

__all__ = [
    "SCHEMA_VERSION",
    "WORK_DIR",
    "AsyncParser",
    "Attachment",
    "Document",
    "ErrorItem",
    "FoundInput",
    "LayoutBackend",
    "OutputOptions",
    "Page",
    "PageStore",
    "ParseOptions",
    "Recognizer",
    "assemble_document",
    "backend_names",
    "build_layout",
    "build_recognizer",
    "discover_inputs",
    "failure_summary",
    "is_supported_name",
    "new_line_reader",
    "output_stems",
    "page_range_options",
    "range_parser",
    "select_pages",
    "write_bytes",
    "write_outputs",
]

#: The document-level passes; off while a worker parses a page range, run once on the whole.
_DOCUMENT_PASSES = ("merge_tables", "relevel_titles", "join_paragraphs", "detect_furniture")


def page_range_options(options: ParseOptions, pages: str) -> ParseOptions:
    """The options a worker parses one page range with: those pages, no document-level pass."""
    return options.replace(pages=pages, **dict.fromkeys(_DOCUMENT_PASSES, False))


def backend_names(options: ParseOptions) -> tuple[str, str]:
    """The layout and recognizer names ``options`` resolve to (models are not loaded), as the
    local batch records them in its resume fingerprint."""
    layout = build_layout(options).backend
    recognizer = build_recognizer(options)
    return layout.name, recognizer.name


def new_line_reader() -> Any:
    """The orientation check's PP-OCRv6 engine, built once per worker (loads on first use)."""
    from docparse.recognize.builtin_engine import RapidOcrEngine

    return RapidOcrEngine()


def range_parser(options: ParseOptions, layout: LayoutBackend, recognizer: Recognizer,
                 on_event: Any, line_reader: Any) -> AsyncParser:
    """A parser for one page range that shares the worker's loaded models: the layout
    backend, the recognizer (with its connections; a parser does not close what it was
    given) and the orientation line reader."""
    return AsyncParser(options, layout=layout, recognizer=recognizer, on_event=on_event,
                       line_reader=line_reader)


def assemble_document(
    input_path: str,
    page_count: int,
    outcomes: Sequence[PageOutcome],
    failed_pages: Sequence[ErrorItem],
    started: float,
    layout_name: str,
    recognizer_name: str,
    images: Mapping[str, bytes],
    options: ParseOptions,
    attachments: Sequence[Attachment] = (),
) -> Document:
    """One document from the pages of all its ranges, then the document-level passes."""
    doc = build_document(input_path, page_count, outcomes, failed_pages, started,
                         layout_name, recognizer_name, attachments)
    return restructure_document(doc.with_images(images), options)


def page_outcome(page: Page, errors: list[ErrorItem], **counters: Any) -> PageOutcome:
    return PageOutcome(page=page, images={}, errors=errors, **counters)


def output_files(doc: Document, folder: Path, stem: str, out: OutputOptions) -> list[Path]:
    """Write the requested formats as the local batch does (same names, same bytes)."""
    return write_outputs(doc, folder, stem, out)
