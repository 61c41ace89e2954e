"""Markdown rendering: PaddleOCR-VL's per-label conventions and docparse's document view."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from assemble_builders import (
    block,
    document,
    headings,
    html_blocks,
    page,
    paragraphs,
    table_html,
    tokens,
)

from docparse.assemble.markdown import (
    MarkdownParams,
    join_text,
    render_document,
    render_page,
    render_pages,
    title_from_numbering,
)
from docparse.document import BlockError, FragmentRef, Link, MergedTable

P = MarkdownParams()


def test_labels_render_as_upstream() -> None:
    pg = page(
        0,
        block(0, "header", "Journal X, 2024", (100, 20, 600, 60)),
        block(1, "doc_title", "A Study of\nTables", (100, 80, 900, 160)),
        block(2, "paragraph_title", "1 Introduction", (100, 180, 500, 220)),
        block(3, "text", "First line\nSecond line", (100, 240, 900, 300)),
        block(4, "display_formula", " $$ E=mc^2 $$ ", (300, 320, 700, 380)),
        block(5, "image", "", (100, 400, 510, 700), image="img_in_image_box_100_400_510_700.jpg"),
        block(6, "figure_title", "Figure 1. A\ncaption", (100, 710, 900, 740)),
        block(7, "table", table_html(("A", "B"), ("1", "2")), (100, 760, 900, 900)),
        block(8, "content", "Intro 1\nMethods 2", (100, 920, 900, 980)),
        block(9, "number", "7", (480, 1350, 520, 1380)),
        block(10, "footnote", "1 A footnote.", (100, 1300, 900, 1340)),
    )
    md = render_page(pg, P)
    assert headings(md) == [("h1", "A Study of Tables"), ("h2", "1 Introduction")]
    assert paragraphs(md)[:2] == ["First line", "Second line"]
    assert " $$ E=mc^2 $$ " in md
    assert (
        '<div style="text-align: center;"><img src="imgs/img_in_image_box_100_400_510_700.jpg" '
        'alt="Image" width="41%" /></div>'
    ) in md
    assert '<div style="text-align: center;">Figure 1. A caption</div>' in md
    tables = [h for h in html_blocks(md) if "<table" in h]
    assert len(tables) == 1
    assert "<table border=1 style='margin: auto; word-wrap: break-word;'>" in tables[0]
    assert "<td style='text-align: center; word-wrap: break-word;'>A</td>" in tables[0]
    assert "Intro 1  \nMethods 2" in md
    # Ignore labels (header, number, footnote) are dropped by default.
    for dropped in ("Journal X", "A footnote", "\n7"):
        assert dropped not in md
    assert not md.endswith("\n\n")


def test_unpretty_uses_plain_image_and_raw_table() -> None:
    pg = page(
        0,
        block(0, "image", "", (0, 0, 500, 500), image="a.jpg"),
        block(
            1, "table", "<html><body>" + table_html(("x",)) + "</body></html>", (0, 600, 900, 700)
        ),
        block(2, "figure_title", "Fig. 2", (0, 710, 900, 740)),
    )
    md = render_page(pg, MarkdownParams(pretty=False, image_dir="pics"))
    img = [
        c for t in tokens(md) if t.type == "inline" for c in (t.children or []) if c.type == "image"
    ]
    assert [i.attrs["src"] for i in img] == ["pics/a.jpg"]
    assert "\n\n<table><tr><td>x</td></tr></table>" in md
    assert "<html>" not in md
    assert "Fig. 2" in paragraphs(md)


def test_status_and_ignore_labels_control_output() -> None:
    pg = page(
        0,
        block(0, "text", "Leader holds the group's text", (0, 0, 900, 100)),
        block(1, "text", "", (0, 110, 900, 200), group_id=0, status="merged"),
        block(
            2,
            "text",
            "",
            (0, 210, 900, 300),
            status="failed",
            error=BlockError(reason="timeout", message="no answer"),
        ),
        block(3, "header", "", (0, 0, 900, 20), status="skipped"),
        block(4, "header", "Running head", (0, 0, 900, 20)),
        block(5, "formula_number", "(1)", (900, 300, 990, 330)),
    )
    assert render_page(pg, P) == "Leader holds the group's text"
    kept = render_page(pg, MarkdownParams(ignore_labels=()))
    assert paragraphs(kept) == ["Leader holds the group's text", "Running head"]


def test_paragraph_title_levels() -> None:
    pg = page(
        0,
        block(0, "paragraph_title", "Results", title_level=1),
        block(1, "paragraph_title", "Setup", title_level=3),
        block(2, "paragraph_title", "2.1.3 Ablation"),
        block(3, "paragraph_title", "1. Intro"),
        block(4, "paragraph_title", "Unnumbered"),
    )
    assert headings(render_page(pg, P)) == [
        ("h2", "Results"),
        ("h4", "Setup"),
        ("h4", "2.1.3 Ablation"),
        ("h2", "1. Intro"),
        ("h2", "Unnumbered"),
    ]
    assert title_from_numbering("3.2Methods") == "### 3.2 Methods"
    assert title_from_numbering("（二）方法") == "## （二） 方法"


def test_abstract_and_reference_headings() -> None:
    pg = page(
        0,
        block(0, "abstract", "Abstract: We parse documents."),
        block(1, "abstract", "ABSTRACT\nWe parse."),
        block(2, "reference", "References\n[1] A. Author."),
        block(3, "algorithm", "\n\nfor x in y:\n    pass\n"),
    )
    md = render_page(pg, P)
    assert headings(md) == [("h2", "Abstract"), ("h2", "ABSTRACT"), ("h2", "References")]
    assert paragraphs(md)[:2] == ["We parse documents.", "We parse."]
    assert "for x in y:\n    pass" in md


def test_formula_number_shown_on_request() -> None:
    pg = page(0, block(0, "display_formula", " $$ a=b $$ "), block(1, "formula_number", "(3)"))
    assert render_page(pg, P) == " $$ a=b $$ "
    shown = render_page(pg, MarkdownParams(show_formula_number=True))
    # Upstream keeps the spaces around the stripped delimiters.
    assert shown == "$$  a=b   \\tag*{(3)}$$"


def test_chart_as_table_when_recognised_else_image() -> None:
    pg = page(
        0,
        block(0, "chart", "year | sales\n2023 | 5", (0, 0, 500, 400), image="c0.jpg"),
        block(1, "chart", "", (0, 500, 250, 900), image="c1.jpg", source="image"),
    )
    md = render_page(pg, P)
    tables = [h for h in html_blocks(md) if "<table" in h]
    assert len(tables) == 1 and "<th style='text-align: center;'>year</th>" in tables[0]
    assert "<td style='text-align: center;'>5</td>" in tables[0]
    assert 'src="imgs/c1.jpg"' in md and "c0.jpg" not in md


def test_bulleted_paragraphs_are_markdown_list_items() -> None:
    pg = page(
        0,
        block(0, "text", "key traits:\n\u2013 Competence.\n\u25e6 Common focus.\n\u25a0 Yes, at the local level"),
        block(1, "text", "\uf0b7 Symbol-font bullet\n\u2014 Abraham Lincoln\n\u2013 5 is not a bullet?"),
        block(2, "paragraph_title", "\u25a0 Heading"),
    )
    md = render_page(pg, P)
    toks = tokens(md)
    items = [toks[i + 2].content for i, t in enumerate(toks) if t.type == "list_item_open"]
    assert items == [
        "Competence.", "Common focus.", "Yes, at the local level", "Symbol-font bullet",
        "5 is not a bullet?",
    ]
    # An em dash opens an attribution, not a list; prose and titles keep their text.
    assert "key traits:" in paragraphs(md) and "\u2014 Abraham Lincoln" in paragraphs(md)
    assert headings(md) == [("h2", "\u25a0 Heading")]
    # The JSON keeps the glyph the document drew.
    assert pg.parsing_res_list[0].block_content.splitlines()[1] == "\u2013 Competence."


def test_page_text_opening_with_markup_stays_text() -> None:
    """The page's own characters are never Markdown: "# of layers" is no heading."""
    from markdown_it import MarkdownIt

    pg = page(
        0,
        block(0, "text", "# of layers in the encoder\n> 50 cases\n#1 priority", source="text-layer"),
        block(1, "text", "## Reduced", source="builtin-ocr"),
        block(2, "text", "## Meant", source="vlm"),
    )
    md = render_page(pg, P)
    html = MarkdownIt("commonmark").render(md)
    assert "<p># of layers in the encoder</p>" in html
    assert "<p>&gt; 50 cases</p>" in html and "<blockquote>" not in html
    assert "<p>#1 priority</p>" in html and "<p>## Reduced</p>" in html
    # A recognition server writes Markdown: its headings are meant, as upstream renders them.
    assert headings(md) == [("h2", "Meant")]
    # The JSON keeps the text as the page has it.
    assert pg.parsing_res_list[0].block_content.startswith("# of layers")


def _merged_table_doc() -> Any:
    head = ("Name", "Qty")
    frag0 = block(
        0,
        "table",
        table_html(head, ("a", "1")),
        links=(Link(kind="merged_table", ref="merged_tables/0"),),
    )
    frag1 = block(
        0,
        "table",
        table_html(head, ("b", "2")),
        links=(Link(kind="merged_table", ref="merged_tables/0"),),
    )
    merged = MergedTable(
        id=0,
        html=table_html(head, ("a", "1"), ("b", "2")),
        fragments=(FragmentRef(page_index=0, block_id=0), FragmentRef(page_index=1, block_id=0)),
    )
    doc = document(page(0, frag0), page(1, frag1))
    return doc.model_copy(update={"merged_tables": (merged,)})


def test_merged_table_appears_once_in_document() -> None:
    doc = _merged_table_doc()
    tables = [h for h in html_blocks(render_document(doc, P)) if "<table" in h]
    assert len(tables) == 1
    assert tables[0].count(">Name<") == 1
    assert ">a<" in tables[0] and ">b<" in tables[0]
    # Per page, as upstream after restructure_pages: whole at the first fragment, then nothing.
    first, second = render_pages(doc, P)
    assert ">b<" in first and second == ""
    # Without the document, a page shows its own fragment.
    alone = render_page(doc.pages[1], P)
    assert ">b<" in alone and ">a<" not in alone


def _split_paragraph_doc() -> Any:
    a = block(
        0,
        "text",
        "The parser reads every page and builds a well-",
        links=(Link(kind="continues_on", ref="pages/1/blocks/1"),),
    )
    b = block(
        1,
        "text",
        "formed document from the parts.",
        links=(Link(kind="continued_from", ref="pages/0/blocks/0"),),
    )
    return document(
        page(0, a, block(1, "image", "", (0, 900, 500, 1200), image="fig.jpg")),
        page(1, block(0, "header", "Running head"), b, block(2, "text", "Next paragraph.")),
    )


def test_split_paragraph_joined_in_document() -> None:
    doc = _split_paragraph_doc()
    md = render_document(doc, P)
    assert paragraphs(md) == [
        "The parser reads every page and builds a wellformed document from the parts.",
        "Next paragraph.",
    ]
    # The figure between the parts follows the joined paragraph.
    assert md.index("wellformed") < md.index("fig.jpg") < md.index("Next paragraph")
    # Per-page Markdown keeps each part on its own page.
    first, second = render_pages(doc, P)
    assert "well-" in first and paragraphs(second)[0] == "formed document from the parts."


def test_join_text_rules() -> None:
    assert join_text("state-of-the-", "art methods") == "state-of-the-art methods"
    assert join_text("data in", "Table 2") == "data in Table 2"
    assert join_text("ends with dash -", "x") == "ends with dash - x"
    assert join_text("文档解析", "系统") == "文档解析系统"


# ── parity with paddlex's own Markdown handlers ─────────────────────────────────────────────


@pytest.fixture(scope="module")
def official() -> Any:
    pytest.importorskip("paddlex")
    from paddlex.inference.common.result.converter import markdown_format_funcs as f

    return f


def test_page_matches_paddlex_handlers(official: Any) -> None:
    pg = page(
        0,
        block(0, "doc_title", "Title with-\nbreak", (100, 80, 900, 160)),
        block(1, "paragraph_title", "2.1 Scope", (100, 180, 500, 220)),
        block(2, "text", "one\n\ntwo\nthree", (100, 240, 900, 300)),
        block(3, "vision_footnote", "note a\nnote b", (100, 300, 900, 330)),
        block(4, "content", "Intro-\n1\nEnd 2", (100, 340, 900, 400)),
        block(5, "abstract", "abstract We study.", (100, 410, 900, 480)),
        block(6, "algorithm", "\nstep 1\n", (100, 490, 900, 560)),
        block(7, "figure_title", "Table 1: x\ny", (100, 570, 900, 600)),
        block(8, "table", table_html(("h",), ("v",)), (100, 610, 900, 700)),
        block(9, "image", "", (120, 710, 433, 900), image="img_in_image_box_120_710_433_900.jpg"),
        block(10, "inline_formula", " $ x $ ", (100, 910, 300, 940)),
        block(11, "reference_content", "[1] A.\n[2] B.", (100, 950, 900, 1000)),
        block(12, "footer", "Footer text", (100, 1350, 900, 1390)),
    )
    width = pg.width

    def image_func(b: Any) -> str:
        return str(
            official.format_centered_by_html(
                official.format_image_scaled_by_html(b, original_image_width=width)
            )
        )

    funcs = official.build_handle_funcs_dict(
        text_func=lambda b: official.format_centered_by_html(official.format_text_plain(b)),
        image_func=image_func,
        chart_func=image_func,
        table_func=lambda b: "\n" + official.format_table_center(b),
        formula_func=lambda b: b.content,
        seal_func=image_func,
    )
    for label in P.ignore_labels:
        funcs.pop(label, None)
    expected = ""
    for b in pg.parsing_res_list:
        ns = SimpleNamespace(
            label=b.block_label,
            content=b.block_content,
            bbox=list(b.block_bbox),
            image={"path": f"imgs/{b.image}"} if b.image else None,
        )
        fn = funcs.get(b.block_label)
        if fn:
            piece = fn(ns)
            expected += "\n\n" + piece if expected else piece
    assert render_page(pg, P) == expected
