"""Repeated header/footer/page-number detection."""

from __future__ import annotations

from assemble_builders import block, document, page, paragraphs

from docparse.assemble.furniture import detect_furniture, normalize
from docparse.assemble.markdown import MarkdownParams, render_document
from docparse.document import Block, Page

TOP = (100, 30, 900, 70)
BOTTOM = (450, 1340, 550, 1380)


def _page(i: int, head_label: str, head: str, foot_label: str, foot: str, body: str) -> Page:
    return page(
        i,
        block(0, head_label, head, TOP, block_order=None if head_label == "header" else 1),
        block(1, "text", body, (100, 200, 900, 600), block_order=2),
        block(2, "text", f"Second paragraph of page {i}.", (100, 650, 900, 900), block_order=3),
        block(3, foot_label, foot, BOTTOM, block_order=None if foot_label == "number" else 4),
    )


def test_running_header_and_page_number_called_text_are_relabelled() -> None:
    doc = document(
        _page(0, "header", "ACME Corp. Annual Report 2024", "number", "1", "Body one."),
        _page(1, "text", "ACME Corp. Annual Report 2024", "number", "2", "Body two."),
        _page(2, "header", "ACME Corp. Annual Report 2024", "text", "- 3 -", "Body three."),
    )
    out = detect_furniture(doc)
    assert [b.block_label for b in out.pages[1].blocks] == ["header", "text", "text", "number"]
    assert [b.block_label for b in out.pages[2].blocks] == ["header", "text", "text", "number"]
    # Content, box and status stay; the running index closes up without the furniture.
    relabelled = out.pages[1].blocks[0]
    assert relabelled.block_content == "ACME Corp. Annual Report 2024"
    assert relabelled.block_bbox == TOP
    assert [b.block_order for b in out.pages[1].blocks] == [None, 1, 2, None]
    md = render_document(out, MarkdownParams())
    assert "ACME" not in md and "- 3 -" not in md
    assert paragraphs(md)[:2] == ["Body one.", "Second paragraph of page 0."]
    assert detect_furniture(out) == out


def test_page_x_of_n_footer_is_a_number_and_other_footers_stay_footers() -> None:
    doc = document(
        *(
            page(
                i,
                block(0, "text", f"Page {i + 1} of 3", (100, 1340, 300, 1370)),
                block(1, "text", "© 2024 ACME. All rights reserved.", (600, 1340, 900, 1370)),
                block(2, "text", f"Body {i}.", (100, 200, 900, 600)),
            )
            for i in range(3)
        )
    )
    out = detect_furniture(doc)
    for p in out.pages:
        assert [b.block_label for b in p.blocks] == ["number", "footer", "text"]


def test_margin_text_at_a_furniture_box_of_another_page_is_furniture() -> None:
    # The model labelled the footer on pages 0 and 2 (skipped, so no text to compare) but
    # called it reference_content on page 1, and the page number text on page 2.
    def _page(i: int, foot: Block, number: Block) -> Page:
        body = block(1, "text", f"Body of page {i}.", (100, 200, 900, 600), block_order=1)
        return page(i, body, foot, number)

    skipped_foot = block(2, "footer", "", (100, 1340, 400, 1370), status="skipped")
    skipped_number = block(3, "footer", "", (800, 1340, 900, 1370), status="skipped")
    doc = document(
        _page(0, skipped_foot, skipped_number),
        _page(
            1,
            block(2, "reference_content", "Riverside Agency", (98, 1336, 402, 1372)),
            skipped_number,
        ),
        _page(2, skipped_foot, block(3, "text", "Page 3 of 3", (806, 1338, 900, 1371))),
    )
    out = detect_furniture(doc)
    assert [b.block_label for b in out.pages[1].blocks] == ["text", "footer", "footer"]
    assert [b.block_label for b in out.pages[2].blocks] == ["text", "footer", "number"]
    assert out.pages[1].blocks[1].block_content == "Riverside Agency"
    assert paragraphs(render_document(out, MarkdownParams())) == [
        "Body of page 0.",
        "Body of page 1.",
        "Body of page 2.",
    ]
    assert detect_furniture(out) == out


def test_margin_text_elsewhere_than_the_furniture_boxes_is_not_furniture() -> None:
    foot = block(2, "footer", "", (100, 1340, 400, 1370), status="skipped")
    doc = document(
        page(0, block(1, "text", "Body.", (100, 200, 900, 600)), foot),
        # The last lines of body text reach into the margin, at another box.
        page(1, block(1, "text", "the end of a long paragraph.", (100, 1300, 900, 1370))),
        # A title needs the box on two other pages: a heading may share a footer's box by chance.
        page(2, block(1, "paragraph_title", "Annex", (100, 1340, 400, 1370))),
    )
    out = detect_furniture(doc)
    assert [b.block_label for b in out.blocks] == ["text", "footer", "text", "paragraph_title"]


def test_body_text_and_rare_titles_are_not_furniture() -> None:
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    pages = [
        page(
            i,
            block(0, "text", f"The {words[i]} section opens the page.", (100, 40, 900, 90)),
            block(1, "paragraph_title", "Summary", (100, 60, 300, 100))
            if i in (2, 7)
            else block(1, "text", "Body.", (100, 400, 900, 500)),
        )
        for i in range(10)
    ]
    out = detect_furniture(document(*pages))
    assert [b.block_label for b in out.blocks] == [b.block_label for b in document(*pages).blocks]


def test_repeated_logo_becomes_header_image() -> None:
    doc = document(
        *(
            page(
                i,
                block(0, "image", "", (40, 20, 160, 80), image=f"logo{i}.jpg"),
                block(1, "image", "", (100, 300 + 100 * i, 800, 900), image=f"fig{i}.jpg"),
            )
            for i in range(2)
        )
    )
    out = detect_furniture(doc)
    assert [b.block_label for b in out.blocks] == ["header_image", "image", "header_image", "image"]


def test_normalize() -> None:
    assert normalize("Page 12 of 40") == normalize("page 3 of 40") == "page # of #"
    assert normalize(" - iv - ") == "#"
    assert normalize("Ｒｅｐｏｒｔ  2024") == "report #"


def test_single_page_is_untouched() -> None:
    doc = document(page(0, block(0, "text", "7", BOTTOM)))
    assert detect_furniture(doc) is doc


def test_a_header_that_never_recurs_is_content() -> None:
    """The small layout model calls a document's title, or a page's first sentence, a header;
    in a document of three pages a running header recurs, so one that does not is content."""
    doc = document(
        page(0,
             block(0, "header", "The Evolution of the Word Processor", TOP, block_order=None),
             block(1, "text", "The concept predates computers.", (100, 200, 900, 600),
                   block_order=1)),
        page(1,
             block(0, "header", "Table 3 lists the nine variables.", (300, 95, 800, 120),
                   block_order=None),
             block(1, "text", "Body two.", (100, 200, 900, 600), block_order=1)),
        page(2, block(0, "text", "Body three.", (100, 200, 900, 600), block_order=1)),
    )
    out = detect_furniture(doc)
    title, body = out.pages[0].blocks
    assert (title.block_label, title.block_order, body.block_order) == ("paragraph_title", 1, 2)
    assert out.pages[1].blocks[0].block_label == "text"  # a sentence, not on the first page
    md = render_document(out, MarkdownParams())
    assert "## The Evolution of the Word Processor" in md
    assert "Table 3 lists the nine variables." in md
    # At the place another page has its header, a changing line is still a running header.
    chapters = document(*[
        page(i, block(0, "header", f"Chapter {'ABC'[i]}", TOP, block_order=None),
             block(1, "text", "Body.", (100, 200, 900, 600), block_order=1)) for i in range(3)])
    assert [p.blocks[0].block_label for p in detect_furniture(chapters).pages] == ["header"] * 3


def test_a_header_the_built_in_ocr_read_stays_a_header() -> None:
    # On a page image the built-in model's "header" is often a letterhead's logo: its OCR
    # text ("续" for a crest) is no heading, recurring or not.
    doc = document(
        page(0, block(0, "header", "续", (98, 74, 219, 160), block_order=None,
                      source="builtin-ocr"),
             block(1, "header", "Australian Government", (243, 100, 461, 117),
                   block_order=None, source="builtin-ocr"),
             block(2, "text", "Body one.", (100, 200, 900, 600), block_order=1)),
        *[page(i, block(0, "text", f"Body {i}.", (100, 200, 900, 600), block_order=1))
          for i in (1, 2)],
    )
    out = detect_furniture(doc)
    assert [b.block_label for b in out.pages[0].blocks] == ["header", "header", "text"]


def test_a_recurring_header_stays_and_two_page_documents_are_left_alone() -> None:
    pages = [page(i, block(0, "header", f"Quarterly report {i}", TOP, block_order=None),
                  block(1, "text", f"Body {i}.", (100, 200, 900, 600), block_order=1))
             for i in range(3)]
    out = detect_furniture(document(*pages))
    assert [p.blocks[0].block_label for p in out.pages] == ["header"] * 3  # digits ignored
    two = document(
        page(0, block(0, "header", "A title", TOP, block_order=None),
             block(1, "text", "Body.", (100, 200, 900, 600), block_order=1)),
        page(1, block(0, "text", "Body two.", (100, 200, 900, 600), block_order=1)),
    )
    assert detect_furniture(two).pages[0].blocks[0].block_label == "header"


def test_a_header_that_is_a_pages_only_content_is_text() -> None:
    # OCRmyPDF's missing_docinfo page: one sentence, which the built-in model calls a header.
    doc = document(page(0, block(0, "header", "This file has no /DocumentInfo block",
                                 (198, 157, 587, 191), block_order=None)))
    out = detect_furniture(doc)
    assert [(b.block_label, b.block_order) for b in out.pages[0].blocks] == [("text", 1)]
    assert paragraphs(render_document(out, MarkdownParams())) == [
        "This file has no /DocumentInfo block"]


def test_furniture_beside_content_or_repeated_or_a_page_number_stays_furniture() -> None:
    lone_number = page(0, block(0, "number", "7", BOTTOM, block_order=None),
                       block(1, "footer", "Page 7", (100, 1300, 300, 1330), block_order=None))
    with_body = page(0, block(0, "header", "Quarterly report", TOP, block_order=None),
                     block(1, "text", "Body.", (100, 200, 900, 600), block_order=1))
    assert detect_furniture(document(lone_number)) == document(lone_number)
    assert detect_furniture(document(with_body)) == document(with_body)
    # A blank page of a report keeps its running header, which the next page repeats.
    blank = page(0, block(0, "header", "Quarterly report", TOP, block_order=None))
    nxt = page(1, block(0, "header", "Quarterly report", TOP, block_order=None),
               block(1, "text", "Body.", (100, 200, 900, 600), block_order=1))
    out = detect_furniture(document(blank, nxt))
    assert [b.block_label for b in out.pages[0].blocks] == ["header"]
