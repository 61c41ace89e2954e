"""read_page: what the page path takes from the PDF's own text, block by block."""

from __future__ import annotations

import pymupdf

from docparse.textlayer.extract import extract_page
from docparse.textlayer.reading import TextLayerQuery, read_page


def _query(block_id: int, bbox: tuple[int, int, int, int]) -> TextLayerQuery:
    return TextLayerQuery(block_id=block_id, label="text", bbox=bbox, wants_text=True,
                          group=(block_id,), official_request=True)


def test_text_where_two_boxes_overlap_is_read_once_by_the_smaller() -> None:
    # A nested table's cell boxed by itself and inside the box of the table around it.
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=600)
    page.insert_text((40, 100), "Column A", fontsize=11)
    page.insert_text((40, 116), "Cell one", fontsize=11)
    page.insert_text((200, 100), "Column B", fontsize=11)
    page.insert_text((200, 116), "Cell two", fontsize=11)
    layer = extract_page(page, 2.0)
    cell = _query(0, (70, 170, 190, 250))  # page pixels (2x)
    table = _query(1, (70, 170, 500, 250))
    reading = read_page(layer, [cell, table], "auto")
    assert reading.contents[0].content.split() == "Column A Cell one".split()
    assert reading.contents[1].content.split() == "Column B Cell two".split()
