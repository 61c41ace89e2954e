"""One document, not a pile of pages: generated multi-page PDFs through the real built-in
pipeline (layout model + PDF text layer), checked in the JSON and in the document Markdown.

The report (see ``doclevel_pdfs``) has a table over three pages with its header row repeated
and a footnote under the first part, numbered headings of three levels, and a paragraph cut in
mid-sentence by a page break; a second PDF has two unrelated tables on consecutive pages. Each
document-level switch is turned off once to show it is what makes the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from doclevel_pdfs import (
    FOOTNOTE,
    HEADINGS,
    REPORT_TITLE,
    ROWS_PER_PAGE,
    RUNNING_FOOTER,
    RUNNING_HEADER,
    SPLIT_FIRST,
    SPLIT_SECOND,
    TABLE_HEADER,
    TABLE_ROWS,
    UNRELATED_A_HEADER,
    UNRELATED_A_ROWS,
    UNRELATED_B_HEADER,
    UNRELATED_B_ROWS,
    build_report_pdf,
    build_unrelated_tables_pdf,
)
from markdown_it import MarkdownIt

import docparse
from docparse.document import Block, Document, Link
from docparse.labels import FURNITURE_LABELS

pytestmark = pytest.mark.slow

Rows = list[tuple[str, ...]]


# ----------------------------------------------------------------------------- helpers
class _TableRows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: Rows = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(tuple(self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> Rows:
    """Every row of the HTML table as a tuple of cell texts."""
    reader = _TableRows()
    reader.feed(html)
    return reader.rows


def md_tokens(md: str) -> list[Any]:
    return list(MarkdownIt("commonmark").enable("table").parse(md))


def md_headings(md: str) -> list[tuple[str, str]]:
    toks = md_tokens(md)
    return [(t.tag, toks[i + 1].content) for i, t in enumerate(toks) if t.type == "heading_open"]


def md_paragraphs(md: str) -> list[str]:
    toks = md_tokens(md)
    return [toks[i + 1].content for i, t in enumerate(toks) if t.type == "paragraph_open"]


def md_tables(md: str) -> list[str]:
    return [t.content for t in md_tokens(md) if t.type == "html_block" and "<table" in t.content]


def find(doc: Document, pred: Callable[[Block], bool]) -> list[tuple[int, Block]]:
    """(page position, block) of every block matching ``pred``."""
    return [(i, b) for i, p in enumerate(doc.pages) for b in p.blocks if pred(b)]


def starting(doc: Document, text: str) -> tuple[int, Block]:
    """The one block whose content starts with the first words of ``text``."""
    head = " ".join(text.split()[:6])
    hits = find(doc, lambda b: " ".join(b.block_content.split()).startswith(head))
    assert len(hits) == 1, f"{head!r}: {[(p, b.block_label) for p, b in hits]}"
    return hits[0]


def links(block: Block, kind: str) -> list[str]:
    return [link.ref for link in block.links if link.kind == kind]


def flat(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- fixtures
def _parse(path: Path, **options: Any) -> Document:
    # The built-in layout model, pinned: a PP-DocLayoutV2 copy in the user's model cache would
    # otherwise be chosen by "auto".
    return docparse.parse(path, layout="builtin", recognizer="builtin", **options)


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("doclevel") / "report.pdf"
    path.write_bytes(build_report_pdf())
    return path


@pytest.fixture(scope="module")
def unrelated_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("doclevel") / "unrelated.pdf"
    path.write_bytes(build_unrelated_tables_pdf())
    return path


@pytest.fixture(scope="module")
def report(report_pdf: Path) -> Document:
    return _parse(report_pdf)


@pytest.fixture(scope="module")
def report_md(report: Document) -> str:
    md = report.to_markdown()
    assert isinstance(md, str)
    return md


# ----------------------------------------------------------------------------- tables
def _fragments(doc: Document) -> list[tuple[int, Block]]:
    return find(doc, lambda b: b.block_label == "table")


def test_three_page_table_is_one_merged_table_with_every_fragment_kept(report: Document) -> None:
    assert report.status == "success" and len(report.pages) == 4
    fragments = _fragments(report)
    assert [p for p, _ in fragments] == [0, 1, 2]
    assert len(report.merged_tables) == 1
    merged = report.merged_tables[0]
    assert merged.id == 0
    assert [(f.page_index, f.block_id) for f in merged.fragments] == [
        (report.pages[p].page_index, b.block_id) for p, b in fragments
    ]
    # Each fragment keeps its own page, box and content (its own rows under its header row)
    # and points at the merged table.
    starts = [0, ROWS_PER_PAGE[0], ROWS_PER_PAGE[0] + ROWS_PER_PAGE[1]]
    for (pos, frag), start, n in zip(fragments, starts, ROWS_PER_PAGE, strict=True):
        assert frag.status == "ok" and frag.source == "text-layer"
        assert frag.links == (Link(kind="merged_table", ref="merged_tables/0"),)
        assert table_rows(frag.block_content) == [TABLE_HEADER, *TABLE_ROWS[start : start + n]]
        x0, y0, x1, y1 = frag.block_bbox
        page = report.pages[pos]
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    # Page 1's part sits at the foot of the page, the others at the top.
    assert fragments[0][1].block_bbox[1] > report.pages[0].height / 2
    assert fragments[1][1].block_bbox[1] < report.pages[1].height / 5
    # The merged HTML: the header once, then all forty rows once, in order.
    assert table_rows(merged.html) == [TABLE_HEADER, *TABLE_ROWS]
    # No empty sibling boxes: the merge adds nothing to the pages.
    assert not find(
        report, lambda b: b.status == "ok" and not b.block_content.strip() and b.source != "image"
    )


def test_footnote_under_the_first_part_stays_and_does_not_break_the_table(
    report: Document, report_md: str
) -> None:
    pos, note = starting(report, FOOTNOTE)
    assert pos == 0 and flat(note.block_content) == FOOTNOTE
    page = report.pages[0]
    order = sorted(page.blocks, key=lambda b: b.order)
    table = next(b for b in order if b.block_label == "table")
    assert order.index(note) > order.index(table)
    assert note.block_bbox[1] >= table.block_bbox[3] - 2
    # In Markdown the note follows the whole merged table.
    assert report_md.index(FOOTNOTE[2:]) > report_md.index(TABLE_ROWS[-1][0])


def test_document_markdown_has_one_table_with_the_header_once(report_md: str) -> None:
    tables = md_tables(report_md)
    assert len(tables) == 1
    rows = table_rows(tables[0])
    assert rows == [TABLE_HEADER, *TABLE_ROWS]
    assert report_md.count(">Phosphate (mg/l)<") == 1


def test_unrelated_tables_on_consecutive_pages_stay_apart(unrelated_pdf: Path) -> None:
    doc = _parse(unrelated_pdf)
    assert doc.merged_tables == ()
    fragments = _fragments(doc)
    assert [p for p, _ in fragments] == [0, 1]
    assert all(not links(b, "merged_table") for _, b in fragments)
    # Same width, same column count, a page break with only furniture between: only the
    # second table's own header row tells them apart.
    (_, a), (_, b) = fragments
    width_a = (a.block_bbox[2] - a.block_bbox[0]) / doc.pages[0].width
    width_b = (b.block_bbox[2] - b.block_bbox[0]) / doc.pages[1].width
    assert abs(width_a - width_b) < 0.05
    md = doc.to_markdown()
    assert isinstance(md, str)
    assert [table_rows(t) for t in md_tables(md)] == [
        [UNRELATED_A_HEADER, *UNRELATED_A_ROWS],
        [UNRELATED_B_HEADER, *UNRELATED_B_ROWS],
    ]


# ----------------------------------------------------------------------------- headings
def test_numbered_headings_get_levels_one_to_three(report: Document, report_md: str) -> None:
    titles = [b for _, b in find(report, lambda b: b.block_label == "paragraph_title")]
    assert [(flat(b.block_content), b.title_level) for b in titles] == list(HEADINGS)
    ((_, title),) = find(report, lambda b: b.block_label == "doc_title")
    assert flat(title.block_content) == REPORT_TITLE
    tags = {1: "h2", 2: "h3", 3: "h4"}
    assert md_headings(report_md) == [
        ("h1", REPORT_TITLE),
        *((tags[level], text) for text, level in HEADINGS),
    ]


# ----------------------------------------------------------------------------- paragraphs
def test_paragraph_split_by_the_page_break_is_linked_and_joined_once(
    report: Document, report_md: str
) -> None:
    pos_a, first = starting(report, SPLIT_FIRST)
    pos_b, second = starting(report, SPLIT_SECOND)
    assert (pos_a, pos_b) == (2, 3)
    # Each part keeps its own content and box; the links name each other.
    assert flat(first.block_content) == SPLIT_FIRST
    assert flat(second.block_content) == SPLIT_SECOND
    assert links(first, "continues_on") == [f"pages/3/blocks/{second.block_id}"]
    assert links(second, "continued_from") == [f"pages/2/blocks/{first.block_id}"]
    # No other block is linked: whole paragraphs and headings end their sentences.
    linked = find(report, lambda b: bool(links(b, "continues_on") or links(b, "continued_from")))
    assert {b.block_id for _, b in linked} == {first.block_id, second.block_id}
    paragraphs = [flat(p) for p in md_paragraphs(report_md)]
    joined = f"{SPLIT_FIRST} {SPLIT_SECOND}"
    assert paragraphs.count(joined) == 1
    assert not any(p in (SPLIT_FIRST, SPLIT_SECOND) for p in paragraphs)


def test_per_page_markdown_does_not_join_across_pages(report: Document) -> None:
    pages = report.to_markdown(per_page=True)
    assert isinstance(pages, list) and len(pages) == 4
    third = [flat(p) for p in md_paragraphs(pages[2])]
    fourth = [flat(p) for p in md_paragraphs(pages[3])]
    assert third[-1] == SPLIT_FIRST
    assert fourth[0] == SPLIT_SECOND
    # A page's file shows a cross-page table whole on the page where it starts (as the
    # official per-page Markdown after restructure_pages), and not again.
    assert [len(md_tables(p)) for p in pages] == [1, 0, 0, 0]
    assert table_rows(md_tables(pages[0])[0]) == [TABLE_HEADER, *TABLE_ROWS]


# ----------------------------------------------------------------------------- furniture
def _running(b: Block) -> bool:
    text = flat(b.block_content)
    return text in (RUNNING_HEADER, RUNNING_FOOTER) or text.startswith("Page ")


def test_running_header_footer_and_page_numbers_are_furniture_on_every_page(
    report: Document, report_md: str
) -> None:
    for page in report.pages:
        top = [b for b in page.blocks if b.block_bbox[3] < 0.07 * page.height]
        bottom = [b for b in page.blocks if b.block_bbox[1] > 0.93 * page.height]
        assert top and bottom, f"page {page.page_index}: no header or footer block"
        assert all(b.block_label in FURNITURE_LABELS for b in top + bottom), [
            (b.block_label, b.block_content) for b in top + bottom
        ]
    assert not find(report, lambda b: _running(b) and b.block_label not in FURNITURE_LABELS)
    for text in (RUNNING_HEADER, RUNNING_FOOTER, "Page 2 of 4", "of 4"):
        assert text not in report_md


# ----------------------------------------------------------------------------- switches
def test_merge_tables_off_keeps_three_tables(report_pdf: Path) -> None:
    doc = _parse(report_pdf, merge_tables=False)
    assert doc.merged_tables == ()
    assert not find(doc, lambda b: bool(links(b, "merged_table")))
    md = doc.to_markdown()
    assert isinstance(md, str)
    tables = [table_rows(t) for t in md_tables(md)]
    starts = [0, ROWS_PER_PAGE[0], ROWS_PER_PAGE[0] + ROWS_PER_PAGE[1]]
    assert tables == [
        [TABLE_HEADER, *TABLE_ROWS[s : s + n]] for s, n in zip(starts, ROWS_PER_PAGE, strict=True)
    ]


def test_relevel_titles_off_leaves_levels_unset(report_pdf: Path) -> None:
    doc = _parse(report_pdf, relevel_titles=False)
    titles = [b for _, b in find(doc, lambda b: b.block_label == "paragraph_title")]
    assert [flat(b.block_content) for b in titles] == [t for t, _ in HEADINGS]
    assert all(b.title_level is None for b in titles)
    # Markdown then falls back on the numbering prefix alone, which agrees here.
    md = doc.to_markdown()
    assert isinstance(md, str)
    assert [tag for tag, _ in md_headings(md)] == ["h1", "h2", "h3", "h4", "h2", "h3"]


def test_join_paragraphs_off_leaves_two_paragraphs(report_pdf: Path) -> None:
    doc = _parse(report_pdf, join_paragraphs=False)
    assert not find(doc, lambda b: bool(links(b, "continues_on") or links(b, "continued_from")))
    md = doc.to_markdown()
    assert isinstance(md, str)
    paragraphs = [flat(p) for p in md_paragraphs(md)]
    i = paragraphs.index(SPLIT_FIRST)
    assert paragraphs[i + 1] == SPLIT_SECOND


def test_detect_furniture_off_keeps_what_the_layout_model_missed(
    report: Document, report_pdf: Path
) -> None:
    doc = _parse(report_pdf, detect_furniture=False)
    # The built-in model calls the running footer text on some page (a pinned model, so this
    # is deterministic); without the pass it stays body text and reaches the Markdown.
    missed = find(doc, lambda b: _running(b) and b.block_label not in FURNITURE_LABELS)
    assert missed, "the layout model labelled every running line; the pass is untested"
    md = doc.to_markdown()
    assert isinstance(md, str)
    assert any(flat(b.block_content) in md for _, b in missed)
    # With the pass on, exactly those blocks change label, and nothing else does.
    for (pos, off), (pos_on, on) in zip(
        find(doc, lambda b: True), find(report, lambda b: True), strict=True
    ):
        assert (pos, off.block_id, off.block_content) == (pos_on, on.block_id, on.block_content)
        if (pos, off) in missed:
            assert on.block_label in FURNITURE_LABELS
        else:
            assert on.block_label == off.block_label
