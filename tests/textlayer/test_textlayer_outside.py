from __future__ import annotations

import pymupdf

from docparse.textlayer.extract import extract_page
from docparse.textlayer.outside import blocks_outside


def _layer():  # type: ignore[no-untyped-def]
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=600)
    page.insert_text((40, 15), "Running header text", fontsize=8)  # top margin: furniture
    page.insert_text((40, 100), "Covered paragraph line.", fontsize=11)
    page.insert_textbox((40, 200, 360, 260), "A paragraph the layout model missed, "
                        "wrapped over two lines of text.", fontsize=11)
    page.insert_text((380, 500), "Rotated side note", fontsize=9, rotate=90)
    return extract_page(page, 2.0)


def test_uncovered_lines_become_one_text_block_each_paragraph() -> None:
    layer = _layer()
    covered = [(70.0, 180.0, 500.0, 210.0)]  # the "Covered paragraph line." at y=100pt -> 200px
    extra = blocks_outside(layer, covered)
    assert [b.content for b in extra] == [
        "A paragraph the layout model missed, wrapped over two lines of text."
    ]
    block = extra[0]
    assert block.label == "text" and block.source == "text-layer"
    x1, y1, _x2, y2 = block.bbox
    assert 70 <= x1 <= 90 and 390 <= y1 <= 410 and y2 > y1 + 20  # two lines, page pixels


def test_a_title_in_the_top_margin_is_kept_and_a_running_head_is_not() -> None:
    # A headline the model missed, set in 22 pt type at the page's top edge, beside the
    # 8 pt running head: both lie in the top 5 %, only the head is furniture.
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=600)
    page.insert_text((40, 12), "Running header text", fontsize=8)
    page.insert_text((200, 21), "Fire and Masks", fontsize=22)
    for i in range(8):
        page.insert_text((40, 100 + 14 * i), f"Body line {i} of the article's text.", fontsize=11)
    layer = extract_page(page, 2.0)
    extra = blocks_outside(layer, [(70.0, 170.0, 700.0, 440.0)])
    assert [b.content for b in extra] == ["Fire and Masks"]


def test_nothing_is_added_when_every_line_is_covered() -> None:
    layer = _layer()
    assert blocks_outside(layer, [(0.0, 40.0, 800.0, 1200.0)]) == []


def test_boxes_grow_to_whole_lines_and_never_share_one() -> None:
    from docparse.textlayer.snap import snap_to_lines

    doc = pymupdf.open()
    page = doc.new_page(width=400, height=300)
    page.insert_text((40, 100), "The committee approved the new budget.", fontsize=11)
    layer = extract_page(page, 2.0)
    line = next(ln.bbox for ln in layer.lines if "committee" in "".join(s.text for s in ln.spans))
    cut = (line[0] + 100, line[1] + 2, line[2] - 60, line[3] - 2)  # a box that cuts the line
    other = (line[0], line[1] + 2, line[0] + 40, line[3] - 2)  # a small box on the same line
    grown, small = snap_to_lines(layer, [cut, other])
    assert grown[0] <= line[0] and grown[2] >= line[2]
    assert small == other  # the line went to the box it overlaps most
    table = snap_to_lines(layer, [cut], [False])
    assert table == [cut]


def test_each_block_reads_only_its_own_lines_where_block_boxes_overlap() -> None:
    # A caption and a cell missed by the layout, then a line under both that joins the first
    # block: that block's box now reaches over the second block's line, which must not be
    # read twice.
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=600)
    page.insert_text((40, 200), "Left caption words", fontsize=11)
    page.insert_text((260, 200), "Right cell", fontsize=11)
    page.insert_text((40, 214), "A long line running under both of them, and on past the cell", fontsize=11)
    layer = extract_page(page, 2.0)
    contents = [b.content for b in blocks_outside(layer, [])]
    words = " ".join(contents).split()
    assert sorted(words) == sorted(
        "Left caption words Right cell A long line running under both of them, and on past the cell"
        .split())
    assert "Right cell" in contents


def test_a_refused_line_does_not_lose_the_lines_around_it() -> None:
    # A paragraph the model missed, and under it a line the gate refuses: a glyph with no
    # Unicode between two names (a symbol font's envelope marking the corresponding author).
    from docparse.textlayer.model import TextChar, TextLine, TextSpan

    layer = _layer()
    x1, _, _, y2 = max(layer.lines, key=lambda ln: ln.bbox[3] if ln.bbox[0] < 100 else 0).bbox
    top, bottom = y2 + 2, y2 + 24
    name = "Farid\ufffdKamgar"
    chars = tuple(TextChar(c, (x1 + 12 * i, top, x1 + 12 * (i + 1), bottom))
                  for i, c in enumerate(name))
    span = TextSpan(name, (x1, top, x1 + 12 * len(name), bottom), "Arial", 20.0, chars=chars,
                    unmapped=1)
    refused = TextLine((span,), span.bbox)
    layer = type(layer)(layer.width, layer.height, (*layer.lines, refused), scale=layer.scale)
    extra = blocks_outside(layer, [(70.0, 180.0, 500.0, 210.0)])
    assert [b.content for b in extra] == [
        "A paragraph the layout model missed, wrapped over two lines of text."
    ]


def _foot_note_page(top: float) -> list[str]:
    """Body text covered by a box, and four lines of 6 pt type from ``top`` (points) at the
    foot of a 600 pt page, whose bottom 5 % (570 pt on) is the margin: blocks found."""
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=600)
    for i in range(8):
        page.insert_text((40, 100 + 14 * i), f"Body line {i} of the article's text.", fontsize=11)
    disclaimer = ["This information is given in good faith but without warranty.",
                  "If any of the regulations change after the date of this",
                  "declaration, this declaration is no longer valid. The maker",
                  "reserves the right to withdraw or modify it at any time."]
    for i, line in enumerate(disclaimer):
        page.insert_text((40, top + 7 * i), line, fontsize=6)
    extra = blocks_outside(extract_page(page, 2.0), [(70.0, 170.0, 700.0, 440.0)])
    return [f"{b.label}: {b.content}" for b in extra]


def test_a_paragraph_reaching_into_the_foot_margin_is_kept_whole() -> None:
    # A disclaimer in small type at the page's foot, its first line above the margin's edge:
    # cut there, that line was read as text and the other three lost.
    whole = ("This information is given in good faith but without warranty. If any of the "
             "regulations change after the date of this declaration, this declaration is no "
             "longer valid. The maker reserves the right to withdraw or modify it at any time.")
    assert _foot_note_page(573) == [f"footer: {whole}"]
    # Half or more above the margin, it is text; wholly inside it, furniture left out as
    # before.
    assert _foot_note_page(569) == [f"text: {whole}"]
    assert _foot_note_page(555) == [f"text: {whole}"]
    assert _foot_note_page(577) == []
