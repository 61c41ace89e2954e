"""Cross-page table merging."""

from __future__ import annotations

import re

from assemble_builders import block, document, html_blocks, page, table_html

from docparse.assemble.markdown import MarkdownParams, render_document
from docparse.assemble.table_html import append_rows, parse_table, row_widths
from docparse.assemble.tables import merge_tables
from docparse.document import FragmentRef, Link

HEAD = ("Item", "Region", "Units")
BOX_BOTTOM = (100, 700, 900, 1300)
BOX_TOP = (100, 100, 900, 1300)
BOX_FULL = (100, 90, 900, 1300)


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]


def _rows(start: int, n: int) -> list[tuple[str, str, str]]:
    return [
        (f"item {i}", "north" if i % 2 else "south", str(10 * i)) for i in range(start, start + n)
    ]


def test_three_page_table_with_repeated_header_merges_once() -> None:
    doc = document(
        page(
            0,
            block(0, "header", "Annual report", (100, 20, 900, 60)),
            block(1, "text", "Sales by item are listed below.", (100, 500, 900, 600)),
            block(2, "table", table_html(HEAD, *_rows(1, 3)), BOX_BOTTOM),
            block(3, "number", "1", (490, 1350, 510, 1380)),
        ),
        page(
            1,
            block(0, "header", "Annual report", (100, 20, 900, 60)),
            block(1, "table", table_html(HEAD, *_rows(4, 3)), BOX_FULL),
            block(2, "number", "2", (490, 1350, 510, 1380)),
        ),
        page(
            2,
            block(0, "header", "", (100, 20, 900, 60), status="skipped"),
            block(1, "table", table_html(HEAD, *_rows(7, 2)), (102, 100, 898, 400)),
            block(2, "text", "The table shows steady growth.", (100, 450, 900, 520)),
        ),
    )
    out = merge_tables(doc)
    assert len(out.merged_tables) == 1
    merged = out.merged_tables[0]
    assert merged.fragments == (
        FragmentRef(page_index=0, block_id=2),
        FragmentRef(page_index=1, block_id=1),
        FragmentRef(page_index=2, block_id=1),
    )
    assert _cells(merged.html) == [list(HEAD)] + [list(r) for r in _rows(1, 8)]
    # Fragments keep their own content and box, and point at the merged table.
    for frag, original in zip(
        (out.pages[0].blocks[2], out.pages[1].blocks[1], out.pages[2].blocks[1]),
        (doc.pages[0].blocks[2], doc.pages[1].blocks[1], doc.pages[2].blocks[1]),
        strict=True,
    ):
        assert frag.block_content == original.block_content
        assert frag.block_bbox == original.block_bbox
        assert frag.links == (Link(kind="merged_table", ref="merged_tables/0"),)
    md = render_document(out, MarkdownParams())
    tables = [h for h in html_blocks(md) if "<table" in h]
    assert len(tables) == 1
    assert tables[0].count(">Item<") == 1
    assert all(f">item {i}<" in tables[0] for i in range(1, 9))
    # Running it again changes nothing.
    assert merge_tables(out) == out


def test_footnote_after_first_fragment_still_merges() -> None:
    doc = document(
        page(
            0,
            block(0, "table", table_html(HEAD, *_rows(1, 2)), BOX_BOTTOM),
            block(1, "footnote", "* Units in thousands.", (100, 1310, 900, 1340)),
            block(2, "footer", "Company confidential", (100, 1350, 900, 1390)),
        ),
        page(1, block(0, "table", table_html(*_rows(3, 2)), BOX_TOP)),
    )
    out = merge_tables(doc)
    assert len(out.merged_tables) == 1
    assert _cells(out.merged_tables[0].html)[1:] == [list(r) for r in _rows(1, 4)]


def test_marked_notes_under_the_first_fragment_merge_whatever_their_label() -> None:
    # Small layout models have no footnote class: the note under a table comes as text or
    # reference_content.
    for label, note in [
        ("reference_content", "* Units in thousands; north includes the islands."),
        ("text", "Source: national statistics office, 2024."),
        ("text", "a) Provisional figures."),
        ("text", "¹ Restated after the audit."),
    ]:
        doc = document(
            page(
                0,
                block(0, "table", table_html(HEAD, *_rows(1, 2)), BOX_BOTTOM),
                block(1, label, note, (100, 1305, 700, 1325)),
            ),
            page(1, block(0, "table", table_html(HEAD, *_rows(3, 2)), BOX_TOP)),
        )
        out = merge_tables(doc)
        assert len(out.merged_tables) == 1, note
        assert _cells(out.merged_tables[0].html) == [list(HEAD)] + [list(r) for r in _rows(1, 4)]


def test_unmarked_text_or_text_above_the_table_still_blocks_merge() -> None:
    table = block(0, "table", table_html(HEAD, *_rows(1, 2)), BOX_BOTTOM)
    second = page(1, block(0, "table", table_html(HEAD, *_rows(3, 2)), BOX_TOP))
    prose = document(
        page(0, table, block(1, "text", "The next section begins here.", (100, 1305, 900, 1340))),
        second,
    )
    assert merge_tables(prose).merged_tables == ()
    # Ordered after the table but placed beside it (a column layout): not a note under it.
    beside = document(page(0, table, block(1, "text", "* A remark.", (100, 720, 900, 760))), second)
    assert merge_tables(beside).merged_tables == ()
    long_note = "* " + "A long remark that runs on. " * 30
    essay = document(page(0, table, block(1, "text", long_note, (100, 1305, 900, 1390))), second)
    assert merge_tables(essay).merged_tables == ()


def test_unrelated_tables_on_consecutive_pages_do_not_merge() -> None:
    doc = document(
        page(
            0,
            block(
                0,
                "table",
                table_html(("Name", "Age", "City"), ("Ann", "34", "Oslo"), ("Bob", "41", "Rome")),
                BOX_BOTTOM,
            ),
        ),
        page(
            1,
            block(
                0,
                "table",
                table_html(
                    ("Product", "Price", "Stock"), ("Pen", "1.20", "300"), ("Ink", "4.00", "25")
                ),
                BOX_TOP,
            ),
        ),
    )
    out = merge_tables(doc)
    assert out.merged_tables == ()
    assert all(not b.links for b in out.blocks)


def test_th_header_of_second_table_blocks_merge_even_for_text_tables() -> None:
    first = "<table><tr><th>Term</th><th>Meaning</th></tr><tr><td>A</td><td>first</td></tr></table>"
    second = "<table><tr><th>Step</th><th>Action</th></tr><tr><td>one</td><td>go</td></tr></table>"
    doc = document(
        page(0, block(0, "table", first, BOX_BOTTOM)), page(1, block(0, "table", second, BOX_TOP))
    )
    assert merge_tables(doc).merged_tables == ()


def test_body_text_or_width_change_between_fragments_blocks_merge() -> None:
    base = page(0, block(0, "table", table_html(HEAD, *_rows(1, 2)), BOX_BOTTOM))
    with_text = document(
        base,
        page(
            1,
            block(0, "text", "A new section starts here.", (100, 90, 900, 150)),
            block(1, "table", table_html(*_rows(3, 2)), BOX_TOP),
        ),
    )
    assert merge_tables(with_text).merged_tables == ()
    narrow = document(
        base, page(1, block(0, "table", table_html(*_rows(3, 2)), (100, 100, 600, 500)))
    )
    assert merge_tables(narrow).merged_tables == ()


def test_continued_caption_between_fragments_is_allowed() -> None:
    doc = document(
        page(0, block(0, "table", table_html(HEAD, *_rows(1, 2)), BOX_BOTTOM)),
        page(
            1,
            block(0, "figure_title", "Table 3 (continued)", (100, 60, 900, 90)),
            block(1, "table", table_html(HEAD, *_rows(3, 2)), BOX_TOP),
        ),
    )
    out = merge_tables(doc)
    assert len(out.merged_tables) == 1
    assert _cells(out.merged_tables[0].html).count(list(HEAD)) == 1


def test_colspan_header_counts_grid_columns() -> None:
    first = (
        '<table><tr><td colspan="2">Region</td><td>Total</td></tr>'
        "<tr><td>north</td><td>east</td><td>5</td></tr></table>"
    )
    doc = document(
        page(0, block(0, "table", first, BOX_BOTTOM)),
        page(1, block(0, "table", table_html(("south", "west", "7")), BOX_TOP)),
    )
    out = merge_tables(doc)
    assert len(out.merged_tables) == 1
    assert _cells(out.merged_tables[0].html)[-1] == ["south", "west", "7"]


def test_non_adjacent_pages_and_failed_fragments_do_not_merge() -> None:
    t = block(0, "table", table_html(HEAD, *_rows(1, 2)), BOX_BOTTOM)
    gap = document(page(0, t), page(4, block(0, "table", table_html(*_rows(3, 2)), BOX_TOP)))
    assert merge_tables(gap).merged_tables == ()
    failed = document(page(0, t), page(1, block(0, "table", "", BOX_TOP, status="failed")))
    assert merge_tables(failed).merged_tables == ()


def test_table_html_helpers() -> None:
    t = parse_table('<table><tr><td rowspan="2">a</td><td>b</td></tr><tr><td>c</td></tr></table>')
    assert t is not None and row_widths(t) == [2, 2] and t.total_columns == 2
    header_only = "<table><thead><tr><td>h</td></tr></thead></table>"
    extra = parse_table("<table><tr><td>x</td></tr></table>")
    assert extra is not None
    assert append_rows(header_only, list(extra.rows)) == (
        "<table><thead><tr><td>h</td></tr></thead><tbody><tr><td>x</td></tr></tbody></table>"
    )
