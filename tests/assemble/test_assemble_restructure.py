"""The restructure entry point: passes, switches, and what it must not change."""

from __future__ import annotations

from assemble_builders import block, document, page, table_html

from docparse.assemble.restructure import restructure
from docparse.document import Document

HEAD = ("Item", "Units")


def _doc() -> Document:
    return document(
        page(
            0,
            block(0, "text", "Quarterly Report", (100, 30, 900, 70)),
            block(1, "paragraph_title", "1 Sales", (100, 100, 300, 130)),
            block(2, "table", table_html(HEAD, ("a", "1"), ("b", "2")), (100, 700, 900, 1300)),
        ),
        page(
            1,
            block(0, "text", "Quarterly Report", (100, 30, 900, 70)),
            block(1, "table", table_html(HEAD, ("c", "3")), (100, 100, 900, 500)),
            block(2, "paragraph_title", "1.1 Notes", (100, 600, 300, 630)),
        ),
    )


def test_all_passes_and_switches() -> None:
    doc = _doc().with_images({"x.jpg": b"\xff\xd8"})
    out = restructure(doc)
    # The running head (text on both pages) is furniture, so the tables meet and merge.
    assert [b.block_label for b in out.pages[1].blocks] == ["header", "table", "paragraph_title"]
    assert len(out.merged_tables) == 1
    assert [b.title_level for b in out.blocks if b.block_label == "paragraph_title"] == [1, 2]
    assert dict(out.images) == {"x.jpg": b"\xff\xd8"}
    assert restructure(out) == out
    off = restructure(
        doc, merge_tables=False, relevel_titles=False, join_paragraphs=False, detect_furniture=False
    )
    assert off == doc
    # Without furniture detection the running head is body text and blocks the merge.
    assert restructure(doc, detect_furniture=False).merged_tables == ()
    # Every pass keeps every block's box and content.
    assert [(b.block_bbox, b.block_content) for b in out.blocks] == [
        (b.block_bbox, b.block_content) for b in doc.blocks
    ]
