"""The one entry point of document-level assembly.

Passes run in this order: furniture first (so the others see running headers as furniture and
step over them), then tables, paragraphs, and title levels last (relabelled titles no longer
count). Each is switchable with the ``ParseOptions`` field of the same name.
"""

from __future__ import annotations

from docparse.assemble.furniture import detect_furniture as _detect_furniture
from docparse.assemble.headings import relevel_titles as _relevel_titles
from docparse.assemble.paragraphs import join_paragraphs as _join_paragraphs
from docparse.assemble.tables import merge_tables as _merge_tables
from docparse.document import Document


def restructure(
    doc: Document,
    *,
    merge_tables: bool = True,
    relevel_titles: bool = True,
    join_paragraphs: bool = True,
    detect_furniture: bool = True,
) -> Document:
    """``doc`` as one document: furniture found, tables merged, paragraphs linked, titles levelled.

    Pure: returns a new :class:`Document` (pictures carried over); ``doc`` is unchanged.
    Every block keeps its page, box and content. Running it twice gives the same result.

    >>> restructure(doc, merge_tables=False).merged_tables  # doctest: +SKIP
    ()
    """
    out = doc
    if detect_furniture:
        out = _detect_furniture(out)
    if merge_tables:
        out = _merge_tables(out)
    if join_paragraphs:
        out = _join_paragraphs(out)
    if relevel_titles:
        out = _relevel_titles(out)
    return out.with_images(doc.images) if out is not doc else out
