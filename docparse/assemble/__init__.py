"""Document-level assembly: one document, not a pile of pages.

Pure functions over :class:`docparse.document.Document` (no I/O):

* :mod:`~docparse.assemble.restructure` — the one entry point, ``restructure(doc, ...)``, running
  the passes below in order (furniture → tables → paragraphs → headings);
* :mod:`~docparse.assemble.furniture` — running headers/footers/page numbers repeated across
  pages are relabelled as furniture;
* :mod:`~docparse.assemble.tables` — tables that run over page breaks are merged
  (``Document.merged_tables``), every fragment keeping its own page, box and content;
* :mod:`~docparse.assemble.paragraphs` — text cut by a column or page break is linked
  (``continues_on`` / ``continued_from``);
* :mod:`~docparse.assemble.headings` — ``paragraph_title`` levels across the document;
* :mod:`~docparse.assemble.page` — one page's blocks from the layout plan and recognition results;
* :mod:`~docparse.assemble.markdown` — PaddleOCR-VL's Markdown conventions, per page or for the
  whole document.
"""
