"""Paragraphs continued over column and page breaks."""

from __future__ import annotations

from typing import Any

from assemble_builders import block, document, page, paragraphs

from docparse.assemble.markdown import MarkdownParams, render_document
from docparse.assemble.paragraphs import (
    font_size,
    join_paragraphs,
    open_ending,
    starts_mid_sentence,
)
from docparse.document import Block, Link

BODY = "Layout models find the blocks of a page and the recogniser reads each one of them "


def _body(i: int, text: str, y0: int, y1: int, x0: int = 100, x1: int = 900, **kw: Any) -> Block:
    return block(i, "text", text, (x0, y0, x1, y1), **kw)


def test_paragraph_split_across_pages_is_linked_and_joined() -> None:
    first = BODY * 3 + "so that the whole docu-"
    second = "ment reads as one text. " + BODY * 2 + "again."
    doc = document(
        page(
            0,
            block(0, "header", "Report", (100, 20, 900, 50)),
            _body(1, "Intro paragraph ends here.", 100, 160),
            _body(2, first, 200, 420),
            block(3, "image", "", (100, 450, 600, 1200), image="fig.jpg"),
            block(4, "footnote", "1 See the appendix.", (100, 1250, 900, 1280)),
            block(5, "number", "1", (490, 1350, 510, 1380)),
        ),
        page(
            1,
            block(0, "header", "Report", (100, 20, 900, 50)),
            _body(1, second, 100, 250),
            _body(2, "Another paragraph starts.", 300, 360),
        ),
    )
    out = join_paragraphs(doc)
    a, b = out.pages[0].blocks[2], out.pages[1].blocks[1]
    assert a.links == (Link(kind="continues_on", ref="pages/1/blocks/1"),)
    assert b.links == (Link(kind="continued_from", ref="pages/0/blocks/2"),)
    # JSON keeps both blocks with their own content and box.
    assert (a.block_content, b.block_content) == (first, second)
    assert sum(1 for blk in out.blocks if blk.links) == 2
    md = render_document(out, MarkdownParams())
    assert paragraphs(md) == [
        "Intro paragraph ends here.",
        (first[:-1] + second).strip(),
        "Another paragraph starts.",
    ]
    assert "document reads as one text." in md
    assert join_paragraphs(out) == out


def test_column_break_on_one_page() -> None:
    left = "Two columns hold the text and the sentence runs on past the bottom of the"
    right = "left column into the right one."
    doc = document(page(0, _body(0, left, 900, 1000, 60, 480), _body(1, right, 100, 160, 520, 940)))
    out = join_paragraphs(doc)
    assert out.pages[0].blocks[0].links == (Link(kind="continues_on", ref="pages/0/blocks/1"),)
    md = render_document(out, MarkdownParams())
    assert paragraphs(md) == [left + " " + right]


def test_finished_sentences_lists_and_titles_are_not_joined() -> None:
    doc = document(
        page(0, _body(0, "This sentence ends.", 100, 140)),
        page(1, _body(0, "lower-case start but the previous one ended.", 100, 140)),
        page(2, _body(0, "The requirements are as follows", 100, 140)),
        page(3, _body(0, "• first item of a list", 100, 140)),
        page(4, _body(0, "Text that ends without a stop", 100, 140)),
        page(5, block(0, "paragraph_title", "section title", (100, 100, 400, 140))),
    )
    out = join_paragraphs(doc)
    assert all(not b.links for b in out.blocks)


def test_different_font_size_is_not_a_continuation() -> None:
    small = "the caption-sized text continues here in a tiny font size"
    doc = document(
        page(0, _body(0, "Body text in the normal size that is not finished with", 100, 140)),
        page(1, _body(0, small, 100, 112, 100, 400)),
    )
    assert all(not b.links for b in join_paragraphs(doc).blocks)


def test_vertical_margin_text_is_not_a_continuation() -> None:
    # A journal's "Downloaded from ... on 24 October 2020" runs up the page margin, read
    # after a paragraph that ends without a stop.
    doc = document(page(
        0,
        _body(0, "Key words: Turner syndrome, transition, puberty, aortic dilatation", 1201, 1243, 109, 764),
        _body(1, "on 24 October 2020", 1006, 1159, 1024, 1041),
    ))
    assert all(not b.links for b in join_paragraphs(doc).blocks)
    # A column of prose taller than wide does continue into the next column.
    column = " ".join([BODY] * 30) + "and a low threshold"
    doc = document(page(0, _body(0, column, 145, 1299, 108, 522),
                        _body(1, "for investigations. " + " ".join([BODY] * 11), 109, 545, 548, 962)))
    assert join_paragraphs(doc).pages[0].blocks[0].links == (
        Link(kind="continues_on", ref="pages/0/blocks/1"),)


def test_text_rules() -> None:
    assert open_ending("and then the") and not open_ending('He said "stop."')
    assert starts_mid_sentence("the results of", "Table 2 show") is True
    assert starts_mid_sentence("results shown,", "Then") is True
    assert starts_mid_sentence("results shown", "Then") is False
    column_foot = "福建具有茶之乡茶之祖等诸多美誉二零零八年以来为推进现代茶产业中央财政连续三年注入资金"
    assert starts_mid_sentence(column_foot, "系统的结果") is True
    # A CJK label over its value, or a short heading, runs into nothing.
    assert starts_mid_sentence("股价：7.15元", "资产负债率(%) 92.1") is False
    assert starts_mid_sentence("文档解析", "系统的结果") is False
    assert starts_mid_sentence("see", "1. item") is False
    # A CJK section or item number starts its own paragraph, however open the page's last
    # paragraph ends (a report's "一、..." section running to a table at the page foot).
    for item in ("二、截至2015年末的担保情况", "（三）其他事项", "4、备注", "①胡夫金字塔"):
        assert starts_mid_sentence(column_foot, item) is False, item
    assert starts_mid_sentence("an increase of", "3.5 percent over the year") is True
    # A heading ending on a label letter does not run into the paragraph under it.
    assert starts_mid_sentence("Heading level 2: A", "Contrary to popular belief") is False
    assert starts_mid_sentence("a sentence that ends on a", "Table 2 show") is True
    # One 20-px line of 40 characters ≈ 16 px font (0.5 em glyphs, 1.2 em lines).
    assert round(font_size((0, 0, 320, 20), "x" * 40)) == 16


def test_text_inside_a_table_or_picture_box_is_not_running_text() -> None:
    # A caption cut off the top of a table ends in "and"; the next page starts a new sentence
    # after "The": without the table check the function-word rule would join them.
    caption = "Table 2-2 Comparison of the function usage IDs and"
    doc = document(
        page(
            0,
            _body(0, "The comparison is shown in the table below.", 100, 200),
            _body(1, caption, 760, 790, x0=150, x1=600),
            block(2, "table", "<table><tr><td>a</td></tr></table>", (100, 775, 900, 1300)),
            block(3, "image", "", (100, 1310, 900, 1390), image="strip.jpg"),
            _body(4, "labels of the", 1320, 1350, x0=200, x1=400),
        ),
        page(1, _body(0, "The SQL statement that follows creates the permission.", 100, 160)),
    )
    out = join_paragraphs(doc)
    assert all(not b.links for b in out.blocks)
    # The same caption clear of the table box does continue a sentence on the next page.
    moved = document(
        page(
            0,
            _body(0, caption, 700, 730, x0=150, x1=600),
            block(1, "table", "<table><tr><td>a</td></tr></table>", (100, 775, 900, 1300)),
        ),
        page(
            1,
            _body(0, "users who hold the authority, as the guide says.", 100, 130, x0=150, x1=600),
        ),
    )
    assert join_paragraphs(moved).pages[0].blocks[0].links == (
        Link(kind="continues_on", ref="pages/1/blocks/0"),
    )


def test_columns_of_a_page_the_model_boxed_whole_as_a_picture_are_running_text() -> None:
    # A newspaper page the model boxed as one picture: its columns were read as text
    # blocks inside it. A column ending mid-sentence runs on into the next column.
    first = "一条条宽敞的机耕路四通八达，装运有机肥的小四轮，穿梭其中" * 6 + "这是记者"
    second = "在松溪县现代茶园见到的情景。" * 12
    doc = document(
        page(
            0,
            block(0, "image", "", (0, 120, 992, 1418), image="page.jpg"),
            _body(1, first, 168, 461, x0=0, x1=176),
            _body(2, second, 163, 461, x0=181, x1=359),
            # A short label in the same picture still floats beside the text.
            _body(3, "老外现场讲授", 819, 854, x0=239, x1=419),
        ),
    )
    out = join_paragraphs(doc)
    assert out.pages[0].blocks[1].links == (Link(kind="continues_on", ref="pages/0/blocks/2"),)
    assert not out.pages[0].blocks[3].links
