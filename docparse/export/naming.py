"""Output names: the stem a document's files are named by."""

from __future__ import annotations

from pathlib import PurePath

from docparse.document import Document


def default_stem(doc: Document) -> str:
    """``report`` for ``report.pdf``; ``document`` for in-memory input (``<bytes>``)."""
    name = PurePath(doc.input_path).name
    stem = PurePath(name).stem
    if not stem or stem.startswith("<"):
        return "document"
    return stem


def stem_of(doc: Document, stem: str | None) -> str:
    return stem if stem is not None else default_stem(doc)
