"""The built-in layout backend's label checks against the page's own text (generated PDFs).

Each test draws a page with pymupdf, gives the refinement step the boxes the small model
might return, and checks what the page's text makes of them."""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import dataclasses
import re

import pymupdf

from docparse.geometry import centre_in
from docparse.layout import LayoutEvidence, Region
from docparse.layout.builtin_refine import refine_builtin
from docparse.layout.reading_order import order_regions
from docparse.recognize.line_order import OcrLine
from docparse.recognize.table_grid import lines_to_table_html
from docparse.textlayer.block_text import text_in_box
from docparse.textlayer.extract import extract_page
from docparse.textlayer.model import TextLayerPage
from docparse.textlayer.pieces import pieces_in_box

SCALE = 2.0  # 144 dpi: page pixels are 2x PDF points

PROSE = [
    "The committee met on Tuesday to discuss the budget for the coming year and",
    "agreed that the library should receive a larger share of the funds because",
    "its reading rooms are now open every evening and on most weekends as well.",
    "Members also asked the treasurer to publish the accounts before the summer.",
]


def page_of(draw: list[tuple[float, float, str]], *, size: float = 10,
            rects: list[tuple[float, float, float, float]] = ()) -> TextLayerPage:  # type: ignore[assignment]
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    for x, y, text in draw:
        page.insert_text((x, y), text, fontsize=size, fontname="helv")
    for r in rects:
        page.draw_rect(pymupdf.Rect(*r), color=(0, 0, 0), width=0.8)
    data = doc.tobytes()
    with pymupdf.open(stream=data, filetype="pdf") as again:
        return extract_page(again[0], SCALE)


def evidence(layer: TextLayerPage) -> LayoutEvidence:
    return LayoutEvidence(width=1200, height=1600, text_layer=layer, page_has_text=True)


def px(*box: float) -> tuple[float, float, float, float]:
    return (box[0] * SCALE, box[1] * SCALE, box[2] * SCALE, box[3] * SCALE)


def test_prose_in_a_table_box_comes_out_as_a_paragraph() -> None:
    layer = page_of([(60, 100 + 14 * i, line) for i, line in enumerate(PROSE)])
    box = px(55, 88, 520, 150)
    (region,) = refine_builtin([Region("table", box, 0.99, 6)], evidence(layer))
    assert region.label == "text"
    text = text_in_box(layer, region.bbox).text
    # One paragraph, in order, nothing dropped.
    assert text.count("\n") == 0
    assert text.startswith("The committee met on Tuesday")
    assert text.endswith("before the summer.")


def test_a_ruled_table_stays_a_table_with_its_cells() -> None:
    rows = [("Region", "2023", "2024"), ("North", "1,200", "1,350"), ("South", "980", "1,020"),
            ("East", "1,410", "1,505"), ("West", "760", "815")]
    draw = [(x, 120 + 20 * i, cell) for i, row in enumerate(rows)
            for x, cell in zip((70, 250, 400), row, strict=True)]
    rects = [(60, 105 + 20 * i, 480, 125 + 20 * i) for i in range(len(rows))]
    layer = page_of(draw, rects=rects)
    box = px(60, 105, 480, 205)
    (region,) = refine_builtin([Region("table", box, 0.9, 6)], evidence(layer))
    assert region.label == "table"
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, region.bbox)])
    assert html.count("<tr>") == 5
    for cell in ("Region", "North", "1,350", "South", "980", "West", "815"):
        assert f">{cell}</td>" in html


def test_a_table_the_model_missed_is_found_in_the_uncovered_text() -> None:
    # A slide's table with a bullet before every cell's text, and no layout box for it.
    rows = [("Class1", "Class2", "Class3"), ("True", "False", "True"), ("False", "False", "True"),
            ("True", "True", "False")]
    draw = []
    for i, row in enumerate(rows):
        for x, cell in zip((80, 240, 400), row, strict=True):
            draw += [(x, 300 + 30 * i, "\u2022"), (x + 16, 300 + 30 * i, cell)]
    layer = page_of([*draw, (80, 100, "Test Table Slide")], size=14)
    title = Region("doc_title", px(75, 85, 300, 105), 0.6, 0)
    out = refine_builtin([title], evidence(layer))
    tables = [r for r in out if r.label == "table"]
    assert len(tables) == 1
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, tables[0].bbox)])
    assert html.count("<tr>") == 4
    # Each bullet stays with its cell (and is dropped from the cell's text).
    assert "<td>Class2</td>" in html
    assert len(re.findall("<td>False</td>", html)) == 4
    assert "Test Table Slide" not in html


def test_prose_under_a_figure_is_cut_out_of_the_picture_box() -> None:
    items = ["a. Use the graph of the position function to determine the time",
             "intervals when the velocity is positive, negative, or zero today.",
             "b. Sketch the graph of the velocity function and mark its zeros.",
             "c. Determine the intervals when the object is speeding up or not."]
    layer = page_of([(60, 420 + 14 * i, line) for i, line in enumerate(items)])
    picture = px(50, 200, 450, 480)  # the drawn graph (no text) plus the list under it
    out = refine_builtin([Region("image", picture, 0.85, 3)], evidence(layer))
    (image,) = [r for r in out if r.label == "image"]
    (text,) = [r for r in out if r.label == "text"]
    assert image.bbox[1] == picture[1] and image.bbox[3] < text.bbox[1]
    read = text_in_box(layer, text.bbox).text
    assert read.startswith("a. Use the graph of the position function")
    assert "c. Determine the intervals" in read


def test_prose_cut_off_a_picture_is_read_where_it_stands() -> None:
    # The list under the figure comes right after the figure, before the paragraph that
    # follows further down the page (the region list is the page's reading order).
    items = ["a. Use the graph of the position function to determine the time",
             "intervals when the velocity is positive, negative, or zero today.",
             "b. Sketch the graph of the velocity function and mark its zeros."]
    layer = page_of([(60, 420 + 14 * i, line) for i, line in enumerate(items)]
                    + [(60, 600 + 14 * i, line) for i, line in enumerate(PROSE)])
    picture, later = px(50, 200, 450, 460), px(55, 588, 520, 650)
    out = refine_builtin([Region("image", picture, 0.85, 3), Region("text", later, 0.9, 2)],
                         evidence(layer))
    assert [r.label for r in out] == ["image", "text", "text"]
    assert text_in_box(layer, out[1].bbox).text.startswith("a. Use the graph")
    assert out[2].bbox == later


def test_a_chart_keeps_its_labels_inside_the_picture() -> None:
    labels = [(60 + 60 * i, 460, str(2000 + i)) for i in range(6)] + [(40, 300, "100"), (40, 380, "50")]
    layer = page_of(labels)
    picture = px(30, 200, 450, 470)
    out = refine_builtin([Region("image", picture, 0.85, 3)], evidence(layer))
    assert out == [Region("image", picture, 0.85, 3)]


def test_text_in_a_picture_of_two_columns_is_read_column_by_column() -> None:
    # Four boxed cards in two columns, all inside one "picture" (the small model's call on a
    # card page): the text layer must read them as OCR of the same box does, left column
    # first, not the two columns' lines interleaved band by band.
    bodies = {
        "1. Euler's Identity": "Connects five fundamental constants of maths and reveals how the "
        "exponential functions relate to trigonometry in one line; it is often called the most "
        "beautiful equation that was ever written down by anyone at all. Students meet it late in their first "
        "year of study.",
        "2. Pythagorean Theorem": "In right triangles the hypotenuse squared equals the sum of "
        "the squares of the other two sides of the same triangle, a cornerstone of geometry that "
        "is used every day in navigation and in architecture. Builders "
        "have checked right angles with it for ages.",
        "3. Fundamental Theorem": "Differentiation and integration are the inverse operations of "
        "each other, so the definite integral of a function is the difference of the values that "
        "one of its antiderivatives takes at both of the ends. Newton and "
        "Leibniz found it on their own.",
        "4. Maxwell's Equations": "Electricity and magnetism are two faces of one and the same "
        "force, and these four equations describe the waves that travel at the speed of light "
        "through space, from the radio up to the smartphones. "
        "They unified two forces into one field.",
    }
    cards: dict[tuple[float, float], list[str]] = {}
    for (x, y), (head, body) in zip([(60, 100), (60, 260), (320, 100), (320, 260)], bodies.items(),
                                    strict=True):
        words = body.split()
        cards[(x, y)] = [head] + [" ".join(words[i:i + 6]) for i in range(0, len(words), 6)]
    draw = [(x, y + 14 * i, line) for (x, y), lines in cards.items() for i, line in enumerate(lines)]
    layer = page_of(draw)
    picture = px(40, 80, 560, 400)
    out = refine_builtin([Region("image", picture, 0.7, 3)], evidence(layer))
    # The refined list is the page's reading order (new regions follow their picture).
    texts = [r for r in out if r.label == "text"]
    read = "\n".join(text_in_box(layer, r.bbox).text for r in texts)
    heads = [read.find(lines[0]) for lines in cards.values()]
    assert all(h >= 0 for h in heads), read
    # Reading order: card 1, card 2 (left column), then card 3, card 4 (right column).
    assert heads[0] < heads[1] < heads[2] < heads[3], read
    assert "Connects five fundamental constants of maths and reveals how the" in read, read


def test_side_by_side_lists_are_read_list_by_list() -> None:
    cols = {60: ["1. Apples", "2. Pears", "3. Plums"], 200: ["\u2022 Red", "\u2022 Green", "\u2022 Blue"],
            340: ["Some info:", "\u2022 Item A", "\u2022 Item B"]}
    draw = [(x, 200 + 22 * i, t) for x, items in cols.items() for i, t in enumerate(items)]
    layer = page_of(draw, size=16)
    # helv draws U+2022 as the middle dot.
    text = text_in_box(layer, px(50, 180, 560, 270)).text.replace("\u00b7", "\u2022")
    assert text.split("\n") == ["1. Apples", "2. Pears", "3. Plums", "\u2022 Red", "\u2022 Green",
                                "\u2022 Blue", "Some info:", "\u2022 Item A", "\u2022 Item B"]


def test_a_form_is_still_read_row_by_row() -> None:
    rows = [("Invoice Number:", "42183017"), ("Invoice Date:", "August 3, 2014"),
            ("Total Due:", "$4.11")]
    draw = [(x, 200 + 22 * i, t) for i, row in enumerate(rows) for x, t in zip((60, 330), row, strict=True)]
    layer = page_of(draw, size=16)
    text = text_in_box(layer, px(50, 180, 560, 260)).text
    assert "Invoice Number: 42183017" in text
    assert "Total Due: $4.11" in text


def test_a_table_box_holding_paragraphs_above_its_grid_is_split() -> None:
    rows = [("Region", "2023", "2024"), ("North", "1,200", "1,350"), ("South", "980", "1,020"),
            ("East", "1,410", "1,505")]
    grid = [(x, 200 + 16 * i, cell) for i, row in enumerate(rows)
            for x, cell in zip((70, 250, 400), row, strict=True)]
    prose = [(60, 100 + 14 * i, line) for i, line in enumerate(PROSE)]
    layer = page_of(prose + grid)
    box = px(55, 88, 520, 270)
    out = refine_builtin([Region("table", box, 0.99, 6)], evidence(layer))
    assert [r.label for r in out] == ["text", "table"]
    text, table = out
    assert text_in_box(layer, text.bbox).text.startswith("The committee met on Tuesday")
    assert "Region" not in text_in_box(layer, text.bbox).text
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, table.bbox)])
    assert html.count("<tr>") == 4 and ">1,505</td>" in html and "committee" not in html


def test_the_same_rules_hold_on_ocr_lines_of_a_scanned_page() -> None:
    # A scan: no text layer, the OCR lines are the evidence (one line per printed line).
    prose = tuple((line, (100.0, 200.0 + 30 * i, 1000.0, 222.0 + 30 * i)) for i, line in enumerate(PROSE))
    grid = tuple((cell, (x, 400.0 + 30 * i, x + 80.0, 420.0 + 30 * i))
                 for i, row in enumerate([("Region", "2023", "2024"), ("North", "1,200", "1,350"),
                                          ("South", "980", "1,020"), ("East", "1,410", "1,505")])
                 for x, cell in zip((100.0, 400.0, 700.0), row, strict=True))
    scan = LayoutEvidence(width=1200, height=1600, text_layer=None, page_has_text=False,
                          ocr_lines=prose + grid)
    prose_box = (90.0, 190.0, 1010.0, 320.0)
    # The prose "table" is text, and the grid no box covered is found as a table.
    out = refine_builtin([Region("table", prose_box, 0.99, 6)], scan)
    assert [(r.label, r.bbox) for r in out] == [("text", prose_box),
                                                ("table", (100.0, 400.0, 780.0, 510.0))]
    out = refine_builtin([Region("table", (90.0, 190.0, 1010.0, 520.0), 0.99, 6)], scan)
    assert [r.label for r in out] == ["text", "table"]
    assert out[1].bbox == (100.0, 400.0, 780.0, 510.0)
    # Without OCR lines nothing is known, and the label stands.
    blind = LayoutEvidence(width=1200, height=1600, text_layer=None, page_has_text=False)
    assert refine_builtin([Region("table", prose_box, 0.99, 6)], blind)[0].label == "table"


def _scan(lines: list[tuple[str, tuple[float, float, float, float]]]) -> LayoutEvidence:
    return LayoutEvidence(width=1600, height=1800, text_layer=None, page_has_text=False,
                          ocr_lines=tuple(lines))


def test_cards_in_a_picture_on_a_scan_are_read_column_by_column() -> None:
    # OCR'd cards, two columns 40 px apart, line boxes 30 px tall (the detector pads each
    # line: the same gutter is fewer line heights than in the text layer), a prose paragraph
    # at the top of each card: read card 1, card 2 (left column), then cards 3 and 4.
    prose = ("Connects five fundamental constants and shows how the exponential functions "
             "relate to trigonometry in a single short line that is often called beautiful "
             "by the people who teach it and by those who learn it late in their first year "
             "of study at the university or at a college of their own choosing")
    lines: list[tuple[str, tuple[float, float, float, float]]] = []
    for n, (x, y) in enumerate([(140, 270), (140, 620), (800, 270), (800, 620)], start=1):
        lines.append((f"{n}. Card heading", (x, y, x + 300, y + 30)))
        words = prose.split()
        for i in range(0, len(words), 7):
            lines.append((" ".join(words[i:i + 7]), (x, y + 40 + 28 * (i // 7), x + 620,
                                                     y + 70 + 28 * (i // 7))))
    out = refine_builtin([Region("image", (120, 200, 1500, 1150), 0.7, 3)], _scan(lines))
    texts = [r for r in out if r.label == "text"]
    starts = [min((i for i, r in enumerate(texts) if r.bbox[0] <= x + 5 and r.bbox[1] <= y + 5
                   <= r.bbox[3] and r.bbox[2] >= x), default=-1)
              for x, y in [(140, 270), (140, 620), (800, 270), (800, 620)]]
    assert all(s >= 0 for s in starts), [r.bbox for r in texts]
    assert starts[0] < starts[1] < starts[2] < starts[3], [r.bbox for r in texts]
    # No region reads across both columns.
    assert all(r.bbox[2] <= 760 or r.bbox[0] >= 800 for r in texts), [r.bbox for r in texts]


def test_a_contents_list_on_a_scan_is_not_a_table() -> None:
    # A table of contents whose dot leaders the OCR did not read: entries and page numbers in
    # two columns, the numbers never going down. Not a table; a real two-column table is.
    from docparse.textlayer.tables import looks_like_table

    toc = [("Notices", ". vii"), ("Preface", ". xi"), ("Chapter 1. Securing data", ". 1"),
           ("1.1 Security fundamentals", "2"), ("1.2 Current state", "2"),
           ("Chapter 2. Roles", "7")]
    pieces = [p for i, (entry, page) in enumerate(toc)
              for p in ((entry, (100.0, 100.0 + 40 * i, 500.0, 130.0 + 40 * i)),
                        (page, (1000.0, 100.0 + 40 * i, 1060.0, 130.0 + 40 * i)))]
    assert not looks_like_table(pieces)
    counts = [("North", "1,200"), ("South", "980"), ("East", "1,410"), ("West", "75"),
              ("Centre", "610")]
    table = [p for i, (name, value) in enumerate(counts)
             for p in ((name, (100.0, 100.0 + 40 * i, 300.0, 130.0 + 40 * i)),
                       (value, (1000.0, 100.0 + 40 * i, 1080.0, 130.0 + 40 * i)))]
    assert looks_like_table(table)


def test_a_big_picture_on_a_scan_is_read_unless_its_lines_were_read_already() -> None:
    picture = Region("image", (100, 100, 1500, 1500), 0.7, 3)
    inside = [("A caption the model boxed", (200.0, 200.0, 800.0, 230.0)),
              ("Text nobody boxed inside the photo", (200.0, 900.0, 900.0, 930.0))]
    caption = Region("text", (190, 190, 810, 240), 0.9, 1)
    # One line is in no text region: the picture is read (a text region with its box follows).
    out = refine_builtin([picture, caption], _scan(inside))
    assert [r.label for r in out].count("text") == 2 and any(
        r.label == "text" and r.bbox == picture.bbox for r in out)
    # Every line already in a text region inside it: not read a second time.
    boxed = Region("text", (190, 890, 910, 940), 0.9, 1)
    out = refine_builtin([picture, caption, boxed], _scan(inside))
    assert not any(r.label == "text" and r.bbox == picture.bbox for r in out)


def test_a_header_under_the_pages_text_is_a_title_read_where_it_stands() -> None:
    # A slide: its section label at the top left, then a title banner the model calls a
    # header, in type no larger than the body's (OCR line boxes), then the body.
    section = ("Close reading", (100.0, 90.0, 490.0, 185.0))
    banner = ("Warm winds make the travellers drunk", (1000.0, 290.0, 1660.0, 383.0))
    body = [(line, (300.0, 480.0 + 125 * i, 2360.0, 570.0 + 125 * i)) for i, line in enumerate(PROSE)]
    scan = LayoutEvidence(width=2667, height=1500, text_layer=None, page_has_text=False,
                          ocr_lines=(section, banner, *body))
    regions = [Region("header", (1017.0, 297.0, 1662.0, 381.0), 0.8, 12, 0),
               Region("paragraph_title", (111.0, 93.0, 484.0, 179.0), 0.6, 1, 1),
               Region("text", (299.0, 485.0, 2349.0, 1324.0), 0.8, 22, 2)]
    out = sorted(refine_builtin(regions, scan), key=lambda r: r.order or 0)
    assert [(r.label, r.bbox[1]) for r in out] == [
        ("paragraph_title", 93.0), ("doc_title", 297.0), ("text", 485.0)]
    # A running head at the page's top stays one, even under a line of text above it.
    stamp = ("Downloaded from the archive", (100.0, 10.0, 700.0, 40.0))
    head = ("Journal of Examples 12", (1000.0, 60.0, 1660.0, 140.0))
    scan = LayoutEvidence(width=2667, height=1500, text_layer=None, page_has_text=False,
                          ocr_lines=(stamp, head, *body))
    regions = [Region("text", (100.0, 10.0, 700.0, 40.0), 0.6, 22, 0),
               Region("header", (1000.0, 60.0, 1660.0, 140.0), 0.8, 12),
               Region("text", (299.0, 200.0, 2349.0, 1324.0), 0.8, 22, 1)]
    assert refine_builtin(regions, scan)[1].label == "header"


def test_a_chapter_head_in_large_type_on_a_scan_is_one_title() -> None:
    # A textbook scan: "Unit 2" and "Poems", twice the body's line height, boxed apart as
    # two headers on one row, the first section right under them.
    body = [(line, (240.0, 680.0 + 60 * i, 1630.0, 720.0 + 60 * i)) for i, line in enumerate(PROSE)]
    chapter = [("Unit", (190.0, 268.0, 424.0, 368.0)), ("2", (424.0, 152.0, 594.0, 375.0)),
               ("Poems", (690.0, 282.0, 1050.0, 358.0))]
    section = ("Warming Up", (212.0, 491.0, 557.0, 600.0))
    scan = LayoutEvidence(width=1806, height=2500, text_layer=None, page_has_text=False,
                          ocr_lines=(*chapter, section, *body))
    regions = [Region("header", (201.0, 195.0, 575.0, 359.0), 0.8, 12),
               Region("header", (688.0, 282.0, 1050.0, 358.0), 0.7, 12),
               Region("paragraph_title", (223.0, 514.0, 533.0, 642.0), 0.9, 1, 1),
               Region("text", (243.0, 678.0, 1635.0, 968.0), 0.9, 22, 2)]
    out = refine_builtin(regions, scan)
    assert [(r.label, r.bbox) for r in out][:2] == [
        ("doc_title", (201.0, 195.0, 1050.0, 359.0)), ("paragraph_title", (223.0, 514.0, 533.0, 642.0))]
    # A logo in large type is no title.
    logo = LayoutEvidence(width=1806, height=2500, text_layer=None, page_has_text=False,
                          ocr_lines=(("IBM", (190.0, 268.0, 424.0, 368.0)), section, *body))
    regions = [Region("header", (185.0, 260.0, 430.0, 370.0), 0.8, 12), *regions[2:]]
    assert refine_builtin(regions, logo)[0].label == "header"


def test_the_rest_of_a_running_head_row_is_furniture() -> None:
    # A book page: the model boxes the page number "400" as a header, the running title as
    # text, and leaves the chapter mark unboxed. Words of the row tell the rest.
    head = [("400", (145.0, 129.0, 170.0, 141.0)), ("BRITISH HUSBANDRY.", (347.0, 125.0, 561.0, 145.0)),
            ("[Ch. XIX.", (704.0, 128.0, 783.0, 145.0))]
    body = [(line, (144.0, 160.0 + 22 * i, 780.0, 176.0 + 22 * i)) for i, line in enumerate(PROSE)]
    scan = LayoutEvidence(width=900, height=1500, text_layer=None, page_has_text=False,
                          ocr_lines=tuple(head + body))
    regions = [Region("header", (145.0, 129.0, 170.0, 141.0), 0.8, 12),
               Region("text", (347.0, 125.0, 561.0, 145.0), 0.7, 22, 1),
               Region("text", (144.0, 155.0, 781.0, 250.0), 0.97, 22, 2)]
    out = refine_builtin(regions, scan)
    assert [(r.label, r.bbox) for r in out] == [
        ("header", (145.0, 129.0, 170.0, 141.0)),
        ("header", (347.0, 125.0, 561.0, 145.0)),  # was text
        ("text", (144.0, 155.0, 781.0, 250.0)),  # the body stays
        ("header", (704.0, 128.0, 783.0, 145.0)),  # the unboxed chapter mark
    ]
    assert out[1].order is None  # furniture is left out of the reading order
    # A logo the model calls a header (no words in it) says nothing of the text beside it.
    logo = [Region("header", (1028.0, 52.0, 1172.0, 108.0), 0.9, 12),
            Region("text", (575.0, 57.0, 838.0, 102.0), 0.9, 22, 1)]
    cover = LayoutEvidence(width=1224, height=1584, text_layer=None, page_has_text=False,
                           ocr_lines=(("Front cover", (580.0, 60.0, 830.0, 100.0)),))
    assert [r.label for r in refine_builtin(logo, cover)] == ["header", "text"]
    # A heading below the margin, on no header's row, stays.
    low = [Region("header", (145.0, 129.0, 170.0, 141.0), 0.8, 12),
           Region("paragraph_title", (347.0, 400.0, 561.0, 420.0), 0.9, 17, 1)]
    kept = {r.bbox: r.label for r in refine_builtin(low, scan)}
    assert kept[(347.0, 400.0, 561.0, 420.0)] == "paragraph_title"


def test_a_table_box_grows_over_the_header_row_the_model_cut_off() -> None:
    # A 10-K table: "Year Ended" over the year columns, just above the model's table box.
    rows = [("", "2025", "2024"), ("Revenue", "1,136", "876"), ("Cost", "3,423", "2,532"),
            ("Total", "4,559", "3,408")]
    draw = [(330, 100, "Year Ended")]
    draw += [(x, 114 + 14 * i, t) for i, row in enumerate(rows)
             for x, t in zip((60, 300, 400), row, strict=True) if t]
    layer = page_of(draw)
    box = px(55, 104, 440, 170)
    (table,) = refine_builtin([Region("table", box, 0.6, 21)], evidence(layer))
    assert table.label == "table" and table.bbox[1] < px(0, 92, 0, 0)[1] and table.bbox[3] == box[3]
    assert text_in_box(layer, table.bbox).text.startswith("Year Ended")
    # A caption starting at the table's left edge is not a header row.
    layer = page_of([(60, 100, "Table 3: Costs"), *draw[1:]])
    caption, table = refine_builtin([Region("table", box, 0.6, 21)], evidence(layer))
    assert table.bbox == box
    assert caption.label == "text" and text_in_box(layer, caption.bbox).text == "Table 3: Costs"
    # Nor is any word of it over the columns (ICDAR 2013 eu-018: "Table CA7." then, in
    # italics, "Campylobacter" over the first value column).
    layer = page_of([(60, 100, "Table CA7."), (300, 100, "Campylobacter"), *draw[1:]])
    out = refine_builtin([Region("table", box, 0.6, 21)], evidence(layer))
    assert [r.label for r in out][-1] == "table" and out[-1].bbox == box


def test_a_page_number_and_its_row_are_furniture() -> None:
    # A LaTeX page: body, a footnote, then "7" centred at 82% of the page height (unboxed by
    # the model) and a footer note on its row boxed as text.
    body = [(144.0, 300.0 + 22 * i, 780.0, 316.0 + 22 * i) for i in range(len(PROSE))]
    words = [(line, box) for line, box in zip(PROSE, body, strict=True)]
    words += [("1 Fieldwork ran in August.", (150.0, 1100.0, 500.0, 1116.0)),
              ("7", (590.0, 1230.0, 602.0, 1246.0)), ("Preprint", (700.0, 1230.0, 790.0, 1246.0))]
    page = LayoutEvidence(width=1200, height=1500, text_layer=None, page_has_text=False,
                          ocr_lines=tuple(words))
    regions = [Region("text", (144.0, 295.0, 781.0, 400.0), 0.97, 22, 1),
               Region("text", (150.0, 1098.0, 500.0, 1118.0), 0.9, 22, 2),
               Region("text", (700.0, 1228.0, 790.0, 1248.0), 0.9, 22, 3)]
    out = refine_builtin(regions, page)
    assert [(r.label, r.bbox) for r in out] == [
        ("text", (144.0, 295.0, 781.0, 400.0)),
        ("text", (150.0, 1098.0, 500.0, 1118.0)),  # the footnote stays
        ("footer", (700.0, 1228.0, 790.0, 1248.0)),  # on the page number's row
        ("number", (590.0, 1230.0, 602.0, 1246.0)),
    ]
    # A number with text below it is content (a list's last item, a table's total).
    low = (*words[:-2], ("7", (590.0, 1230.0, 602.0, 1246.0)), ("End.", (144.0, 1300.0, 200.0, 1316.0)))
    page2 = LayoutEvidence(width=1200, height=1500, text_layer=None, page_has_text=False,
                           ocr_lines=tuple(low))
    out2 = refine_builtin([Region("text", (585.0, 1228.0, 605.0, 1248.0), 0.9, 22, 1)], page2)
    # (The lines no region holds are boxed as tentative text around it.)
    assert [r.label for r in out2 if r.bbox == (585.0, 1228.0, 605.0, 1248.0)] == ["text"]


def test_a_page_number_in_chinese_numerals_is_furniture() -> None:
    # A Chinese magazine page numbers its pages 一一五 (115), low at the page's foot.
    body = [(line, (144.0, 300.0 + 22 * i, 780.0, 316.0 + 22 * i)) for i, line in enumerate(PROSE)]
    for number, is_number in (("一一五", True), ("一一五页的内容", False)):
        page = LayoutEvidence(width=1200, height=1500, text_layer=None, page_has_text=False,
                              ocr_lines=(*body, (number, (1000.0, 1400.0, 1080.0, 1420.0))))
        regions = [Region("text", (144.0, 295.0, 781.0, 400.0), 0.97, 22, 1),
                   Region("text", (995.0, 1398.0, 1085.0, 1422.0), 0.9, 22, 2)]
        labels = [r.label for r in refine_builtin(regions, page)]
        assert (labels[1] == "number") is is_number, (number, labels)


def _footer_page(last: list[tuple[float, str]], last_y: float, body_rows: int = 40
                 ) -> TextLayerPage:
    """A page of prose down to y = 60 + 14 * body_rows pt, then ``last`` (x, text) at ``last_y``."""
    rows = [(60, 60 + 14 * i, PROSE[i % len(PROSE)]) for i in range(body_rows)]
    return page_of(rows + [(x, last_y, text) for x, text in last])


def test_a_footer_line_under_the_text_becomes_a_footer() -> None:
    # Short items spread over the width right under the last line of prose (a cover's
    # "Revision 2.4   P/N 119-036   10 June 2019"), inside the text box the model drew.
    layer = _footer_page([(60, "Revision: 2.4"), (250, "P/N 119-036"), (440, "10 June 2019")],
                         60 + 14 * 49 + 16, body_rows=50)
    body = Region("text", px(55, 48, 530, 780), 0.9, 22)
    out = refine_builtin([body], evidence(layer))
    assert [r.label for r in out] == ["text", "footer"]
    footer = out[1].bbox
    assert out[0].bbox[3] < footer[1]  # the text box ends above it
    assert text_in_box(layer, footer).text == "Revision: 2.4 P/N 119-036 10 June 2019"
    # A line set well apart at the foot is one too.
    layer = _footer_page([(60, "Form 12-B issued March 2021")], 775, body_rows=45)
    out = refine_builtin([Region("text", px(55, 48, 530, 690), 0.9, 22)], evidence(layer))
    assert [r.label for r in out] == ["text", "footer"]


def test_a_footer_line_over_the_page_number_becomes_a_footer() -> None:
    # A slide's "NETS 2015" in its corner, right over the page number the model found: the
    # row above the number is the foot's candidate. A footnote there stays text.
    for text, label in (("NETS 2015", "footer"), ("1 See the appendix for the data.", "text")):
        layer = _footer_page([(60 if text[0] == "1" else 480, text)], 745, body_rows=30)
        layer = dataclasses.replace(layer, lines=layer.lines + page_of([(560, 785, "7")]).lines)
        body = Region("text", px(55, 48, 530, 480), 0.9, 22)
        number = Region("number", px(555, 775, 570, 790), 0.5, 16)
        out = refine_builtin([body, number], evidence(layer))
        labels = {text_in_box(layer, r.bbox).text: r.label for r in out if r.label != "text"}
        assert labels.get(text, "text") == label, text
        assert labels["7"] == "number"


def test_a_running_foot_with_its_page_number_becomes_a_footer() -> None:
    # A textbook's "416 Chapter 9 Use Factors and Multiples" a line and a half under the
    # text: too close for a footer by distance alone, a footer by what it says. At the same
    # place a footnote (a sentence) and a last line of prose stay text.
    cases = (("416 Chapter 9 Use Factors and Multiples", "footer"),
             ("Annual Report of the Library Board 17", "footer"),
             ("3 See the appendix for the data", "text"),
             ("3 Revenue of the Library, Board Minutes.", "text"))
    for text, label in cases:
        layer = _footer_page([(60, text)], 720, body_rows=46)
        body = Region("text", px(55, 48, 530, 694), 0.9, 22)
        out = refine_builtin([body, Region("figure_title", px(55, 708, 300, 724), 0.5, 2)],
                             evidence(layer))
        labels = [r.label for r in out if text_in_box(layer, r.bbox).text == text]
        assert labels == [label if label == "footer" else "figure_title"], text


def test_an_equation_at_the_foot_is_no_footer() -> None:
    # A displayed equation set apart under the last paragraph keeps its distance as a
    # footer does; it states a relation, so it stays text.
    layer = _footer_page([(250, "X2 + Y2 = Z")], 775, body_rows=45)
    out = refine_builtin([Region("text", px(55, 48, 530, 690), 0.9, 22)], evidence(layer))
    assert "footer" not in [r.label for r in out]
    # The same when the model itself calls it a footer; a real footer stays one.
    for text, label in (("X2 + Y2 = Z", "text"), ("Form 12-B issued March 2021", "footer"),
                        ("see https://example.org/?a=b", "footer")):
        layer = _footer_page([(250, text)], 775, body_rows=45)
        footer = Region("footer", px(245, 762, 420, 780), 0.9, 14)
        out = refine_builtin([Region("text", px(55, 48, 530, 690), 0.9, 22), footer],
                             evidence(layer))
        assert [r.label for r in out] == ["text", label], text


def test_the_last_line_of_the_text_and_a_caption_under_a_picture_stay() -> None:
    # Prose running on to the bottom at its line spacing: its last line is text.
    layer = _footer_page([], 0, body_rows=52)
    body = Region("text", px(55, 48, 530, 790), 0.9, 22)
    assert refine_builtin([body], evidence(layer)) == [body]
    # A short caption under a picture at the page's foot is the picture's caption.
    layer = page_of([(60, 60 + 14 * i, PROSE[i % len(PROSE)]) for i in range(30)]
                    + [(200, 775, "Figure 3: the site")])
    picture = Region("image", px(60, 490, 500, 760), 0.9, 3)
    caption = Region("figure_title", px(195, 765, 320, 780), 0.9, 4)
    out = refine_builtin([Region("text", px(55, 48, 530, 480), 0.9, 22), picture, caption],
                         evidence(layer))
    assert "footer" not in [r.label for r in out]


def _titled_page(head: str, head_size: float, head_y: float) -> TextLayerPage:
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    page.insert_text((60, head_y), head, fontsize=head_size, fontname="helv")
    for i, line in enumerate(PROSE):
        page.insert_text((60, 110 + 14 * i), line, fontsize=10, fontname="helv")
    with pymupdf.open(stream=doc.tobytes(), filetype="pdf") as again:
        return extract_page(again[0], SCALE)


def test_a_header_in_large_type_right_above_the_body_is_the_title() -> None:
    # A one-page article: the small model calls its title, at the top, a header.
    body = Region("text", px(55, 98, 540, 160), 0.9, 1)
    layer = _titled_page("Productivity through programming", 14, 88)
    head = Region("header", px(55, 74, 330, 92), 0.8, 1)
    out = refine_builtin([head, body], evidence(layer))
    assert [r.label for r in out] == ["doc_title", "text"]
    # Set well larger than the body, a title may stand further above it (a heading at the
    # page's top, over a table, spaced as headings are).
    layer = _titled_page("Productivity through programming", 18, 34)
    head = Region("header", px(55, 16, 330, 38), 0.8, 1)
    assert refine_builtin([head, body], evidence(layer))[0].label == "doc_title"
    # A running head in small type, or one standing apart from the body, stays a header.
    for size, y in ((8, 88), (14, 30)):
        layer = _titled_page("Productivity through programming", size, y)
        head = Region("header", px(55, y - size - 2, 330, y + 4), 0.8, 1)
        assert refine_builtin([head, body], evidence(layer))[0].label == "header", (size, y)


def test_a_question_over_its_checkbox_matrix_in_a_picture_is_text_then_a_table() -> None:
    # The small model calls a whole survey page a picture. Its last question runs straight
    # into a matrix of groups and two checkbox columns: the question is text, the matrix a
    # table whose first row is its column headings.
    question = ["28. Are specialised legal aid services provided focusing on specific groups of",
                "people? If yes, please indicate to whom these services are provided, and whether",
                "they are provided by State-funded legal aid, civil society organisations, or both."]
    answers = ["They can prepare legal documents", "They can conduct mediation",
               "They can represent people in court", "Don't know", "Other (please specify)"]
    draw = [(60, 100, "27. What may a student do? (Please select all that apply)")]
    draw += [(72, 116 + 14 * i, answer) for i, answer in enumerate(answers)]
    draw += [(60, 230 + 12 * i, line) for i, line in enumerate(question)]
    draw += [(340, 272, "State funded"), (440, 272, "CSOs")]
    groups = ["Persons with disabilities", "Children", "Women", "The elderly", "Migrants",
              "Refugees", "Displaced persons"]
    for i, label in enumerate(groups):
        draw += [(60, 290 + 16 * i, label), (360, 290 + 16 * i, "*"), (450, 290 + 16 * i, "*")]
    layer = page_of(draw)
    out = refine_builtin([Region("image", px(40, 80, 560, 410), 0.6, 3)], evidence(layer))
    assert [r.label for r in out] == ["image", "text", "text", "table"]
    assert text_in_box(layer, out[2].bbox).text.startswith("28. Are specialised")
    assert text_in_box(layer, out[2].bbox).text.endswith("or both.")
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, out[3].bbox)])
    assert re.findall(r"<tr>(.*?)</tr>", html)[:2] == [
        "<td></td><td>State funded</td><td>CSOs</td>",
        "<td>Persons with disabilities</td><td>*</td><td>*</td>",
    ]
    assert html.count("<tr>") == 8


def test_a_checkbox_matrix_in_the_second_column_of_a_picture_is_a_table() -> None:
    # A two-page spread called one picture: no band runs across both columns, so the words
    # are cut at the gutter first; the matrix under the right column's question is a table.
    left = [" ".join(PROSE[i % 4].split()[:7]) for i in range(14)]
    draw = [(40, 100 + 12 * i, line) for i, line in enumerate(left)]
    question = ["28. Are legal aid services provided focusing on specific",
                "groups of people? If yes, please indicate to whom these",
                "services are provided, and by whom they are provided."]
    draw += [(320, 100 + 12 * i, line) for i, line in enumerate(question)]
    draw += [(470, 142, "State"), (530, 142, "CSOs")]
    groups = ["Persons with disabilities", "Children", "Women", "The elderly", "Migrants"]
    for i, label in enumerate(groups):
        draw += [(320, 160 + 16 * i, label), (480, 160 + 16 * i, "*"), (540, 160 + 16 * i, "*")]
    layer = page_of(draw)
    out = refine_builtin([Region("image", px(30, 80, 580, 260), 0.6, 3)], evidence(layer))
    tables = [r for r in out if r.label == "table"]
    assert len(tables) == 1
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, tables[0].bbox)])
    assert "<td>Persons with disabilities</td><td>*</td><td>*</td>" in html
    assert "28. Are" not in html
    texts = [text_in_box(layer, r.bbox).text for r in out if r.label == "text"]
    assert any(t.startswith("28. Are legal aid") for t in texts)
    assert any(t.startswith("The committee met") for t in texts)


def test_a_one_line_text_box_in_large_type_over_the_body_is_a_heading() -> None:
    # The small model calls a section heading "text": set 1.6 times the body's size, one
    # short line, with the body right under it, it is a heading. A sentence, a figure in
    # large type, or a heading far above anything stay text.
    body = Region("text", px(55, 98, 540, 160), 0.9, 1)
    for heading, y, label in (("Results and discussion", 88, "paragraph_title"),
                              ("Sales rose in every region.", 88, "text"),
                              ("$4.2bn 17% 3,400", 88, "text"),
                              ("Grand Total 319.00", 88, "text"),
                              ("2.10 Results", 88, "paragraph_title"),
                              ("Results and discussion", 40, "text")):
        layer = _titled_page(heading, 16, y)
        head = Region("text", px(55, y - 16, 330, y + 4), 0.8, 1)
        assert refine_builtin([head, body], evidence(layer))[0].label == label, (heading, y)
    # Words OCR'd inside a photo (a signboard) head nothing; on a scan, type size is the OCR
    # line's height.
    lines = [("Results and discussion", px(55, 72, 330, 92))]
    lines += [(line, px(60, 100 + 14 * i, 530, 110 + 14 * i)) for i, line in enumerate(PROSE)]
    scan = LayoutEvidence(width=1200, height=1600, text_layer=None, page_has_text=False,
                          ocr_lines=lines)
    head = Region("text", px(55, 72, 330, 92), 0.8, 1)
    assert refine_builtin([head, body], scan)[0].label == "paragraph_title"
    photo = Region("image", px(40, 60, 560, 96), 0.8, 3)
    out = refine_builtin([photo, head, body], scan)
    assert "paragraph_title" not in [r.label for r in out]


def test_a_heading_boxed_with_its_paragraph_is_cut_off_as_a_heading() -> None:
    layer = _titled_page("Results and discussion", 16, 88)
    both = Region("text", px(55, 72, 540, 160), 0.9, 1)
    out = refine_builtin([both], evidence(layer))
    assert [r.label for r in out] == ["paragraph_title", "text"]
    assert text_in_box(layer, out[0].bbox).text == "Results and discussion"
    assert text_in_box(layer, out[1].bbox).text.startswith("The committee met on Tuesday")
    # A label over its value ("Ordered Through :") is no heading over a paragraph.
    layer = _titled_page("Ordered Through :", 16, 88)
    assert [r.label for r in refine_builtin([both], evidence(layer))] == ["text"]
    # A first line set like the rest is no heading.
    layer = _titled_page("Results and discussion", 10, 88)
    assert [r.label for r in refine_builtin([both], evidence(layer))] == ["text"]


def test_a_ruled_grid_inside_a_question_box_is_cut_out_as_a_table() -> None:
    # A scanned exam: the model boxes a question, its ruled table and the answers under it as
    # one "formula". The grid is the table; the text above and below it stays where it is.
    from docparse.layout import DrawnRules
    from docparse.layout.builtin_refine import ruled_tables

    xs, ys = (400.0, 560.0, 760.0), (300.0, 340.0, 380.0, 420.0)
    lines = [("6. The table shows the bills Bree received.", (100.0, 200.0, 760.0, 236.0)),
             ("Value", (420.0, 305.0, 500.0, 335.0)), ("Count", (580.0, 305.0, 660.0, 335.0)),
             ("$5", (420.0, 345.0, 460.0, 375.0)), ("5", (580.0, 345.0, 600.0, 375.0)),
             ("$10", (420.0, 385.0, 470.0, 415.0)), ("3", (580.0, 385.0, 600.0, 415.0)),
             ("F 5/22", (400.0, 460.0, 500.0, 496.0)), ("H 5/11", (600.0, 460.0, 700.0, 496.0))]
    rules = DrawnRules(tuple((xs[0], y, xs[-1], y) for y in ys),
                       tuple((x, ys[0], x, ys[-1]) for x in xs), scale=2.0)
    evidence = LayoutEvidence(width=1000, height=1400, text_layer=None, page_has_text=False,
                              ocr_lines=tuple(lines), drawn_rules=rules)
    title = Region("paragraph_title", (100, 100, 500, 140), 0.9, 2)
    question = Region("display_formula", (90, 190, 780, 500), 0.6, 8)
    out = ruled_tables([title, question], evidence)
    assert [(r.label, tuple(round(v) for v in r.bbox)) for r in out] == [
        ("paragraph_title", (100, 100, 500, 140)),
        ("display_formula", (90, 200, 780, 236)),
        ("table", (400, 300, 760, 420)),
        ("display_formula", (90, 460, 780, 496)),
    ]
    # A box that is the grid and nothing more is the table, as before.
    only = Region("text", (398, 298, 762, 422), 0.6, 1)
    assert [r.label for r in ruled_tables([only], evidence)] == ["table"]


def _cards(numbers: tuple[int, ...]) -> tuple[TextLayerPage, list[Region]]:
    """A 2 x 2 grid of numbered cards (top left, top right, bottom left, bottom right get
    ``numbers``): a head, a one-line formula and a paragraph each. The cards of a column
    are not level with those of the other (their paragraphs differ in length), so XY-cut
    reads the page column by column."""
    draw: list[tuple[float, float, str]] = []
    regions: list[Region] = []
    places = ((40, 100, 3), (320, 100, 2), (40, 420, 2), (320, 360, 3))
    for n, (x, y, rows) in zip(numbers, places, strict=True):
        draw.append((x, y, f"{n}. Card number {n}"))
        draw.append((x + 60, y + 40, f"x{n} + y{n} = z{n}"))
        draw += [(x, y + 80 + 14 * i, f"C{n}L{i} " + PROSE[i][:36]) for i in range(rows)]
        regions += [Region("paragraph_title", tuple(int(v) for v in px(x - 2, y - 12, x + 150, y + 4)), 0.9, 1),  # type: ignore[arg-type]
                    Region("text", tuple(int(v) for v in px(x + 58, y + 28, x + 200, y + 44)), 0.9, 1),  # type: ignore[arg-type]
                    Region("text", tuple(int(v) for v in px(x - 2, y + 68, x + 250, y + 14 * rows + 72)), 0.9, 1)]  # type: ignore[arg-type]
    # As the backend hands them over: in its geometric reading order.
    return page_of(draw), order_regions(regions, 1200, 1600)


def _heads_read(layer: TextLayerPage, regions: list[Region]) -> list[str]:
    return [text_in_box(layer, r.bbox).text for r in regions]


def test_numbered_cards_in_a_grid_are_read_in_number_order() -> None:
    # Numbered row by row, laid out so that geometry reads them column by column: 1, 3, 2, 4.
    layer, regions = _cards((1, 2, 3, 4))
    out = refine_builtin(regions, evidence(layer))
    read = _heads_read(layer, out)
    assert [t for t in read if "Card" in t] == [f"{n}. Card number {n}" for n in (1, 2, 3, 4)]
    # Each card keeps its formula and paragraph, in its own order.
    assert read[:2] == ["1. Card number 1", "x1 + y1 = z1"] and read[2].startswith("C1L0")
    assert read[3:5] == ["2. Card number 2", "x2 + y2 = z2"] and read[5].startswith("C2L0")
    assert [r.order for r in out] == list(range(1, 13))


def test_a_footer_under_a_column_of_cards_stays_last() -> None:
    layer, regions = _cards((1, 2, 3, 4))
    footer = Region("footer", tuple(int(v) for v in px(40, 760, 200, 772)), 0.9, 2)  # type: ignore[arg-type]
    out = refine_builtin(order_regions([*regions, footer], 1200, 1600), evidence(layer))
    assert out[-1].label == "footer" and out[-1].order is None
    assert [t for t in _heads_read(layer, out) if "Card" in t] == [
        f"{n}. Card number {n}" for n in (1, 2, 3, 4)]


def test_cards_numbered_as_geometry_reads_them_and_loose_numbers_keep_their_order() -> None:
    # Numbered column by column: the page's order already follows the numbers.
    layer, regions = _cards((1, 3, 2, 4))
    ordered = refine_builtin(regions, evidence(layer))
    assert [t for t in _heads_read(layer, ordered) if "Card" in t] == [
        f"{n}. Card number {n}" for n in (1, 2, 3, 4)]
    # Numbers that are no run (a gap, or one twice) say nothing about the order.
    for numbers in ((1, 2, 5, 6), (1, 2, 2, 3)):
        layer, regions = _cards(numbers)
        read = [t for t in _heads_read(layer, refine_builtin(regions, evidence(layer))) if "Card" in t]
        assert read == [f"{n}. Card number {n}" for n in (numbers[0], numbers[2], numbers[1], numbers[3])]


def test_a_numbered_card_the_model_missed_is_boxed_and_read_in_its_place() -> None:
    # The third card (bottom left) has no region at all: its lines are boxed as tentative
    # text, and the cards are read 1, 2, 3, 4 still.
    layer, regions = _cards((1, 2, 3, 4))
    missed = px(30, 400, 300, 560)
    kept = order_regions([r for r in regions if not centre_in(r.bbox, missed)], 1200, 1600)
    out = refine_builtin(kept, evidence(layer))
    read = _heads_read(layer, out)
    assert [t for t in read if "Card" in t] == [f"{n}. Card number {n}" for n in (1, 2, 3, 4)]
    third = read.index("3. Card number 3")
    assert out[third].tentative and read[third + 1] == "x3 + y3 = z3"
    assert read[third + 2].startswith("C3L0") and read[third + 3] == "4. Card number 4"


def test_missed_lines_whose_box_would_reach_over_a_region_are_left_to_the_reader() -> None:
    # Two missed lines, one set in and under the other: their hull would reach into the
    # corner of the region beside them, and a region is read from every line its box holds.
    # They are left to be read line by line after ordering.
    layer = page_of([(40, 100, "A note the model missed"), (150, 114, "and its second line, which runs on past it"),
                     (310, 92, "Boxed text")])
    region = Region("text", tuple(int(v) for v in px(300, 80, 560, 101)), 0.9, 1)  # type: ignore[arg-type]
    out = refine_builtin([region], evidence(layer))
    assert not any(r.tentative for r in out)
    # Alone, clear of the region, they are boxed.
    layer = page_of([(40, 100, "A note the model missed"), (150, 114, "and its second line, which runs on past it"),
                     (310, 52, "Boxed text")])
    region = Region("text", tuple(int(v) for v in px(300, 40, 560, 60)), 0.9, 1)  # type: ignore[arg-type]
    out = refine_builtin([region], evidence(layer))
    assert [text_in_box(layer, r.bbox).text for r in out if r.tentative] == [
        "A note the model missed and its second line, which runs on past it"]


CONTENTS = ["Preview of Programming ........................ 276",
            "Running an Existing Program ................... 278",
            "Starting a Program Editor Session ............. 280",
            "Overview of Entering a Program ................ 282",
            "Calling One Program from Another .............. 287"]


def test_a_contents_list_the_model_calls_a_picture_is_text() -> None:
    # A chapter's contents, in the PDF's text layer, boxed by the small model as a picture:
    # its lines fill the box, so it is text and read (before: the picture, nothing read).
    layer = page_of([(140, 80 + 14 * i, line) for i, line in enumerate(CONTENTS)])
    picture = px(134, 64, 362, 144)
    out = refine_builtin([Region("image", picture, 0.92, 3)], evidence(layer))
    assert [r.label for r in out] == ["text"]
    read = text_in_box(layer, out[0].bbox).text
    assert "Preview of Programming" in read and "Calling One Program from Another" in read


def test_a_footer_of_address_columns_in_a_picture_is_read_column_by_column() -> None:
    # An invoice's foot: a logo (no text) beside three columns of company details, all one
    # "picture". The picture stays for the logo; each column is a text region of its own.
    columns = [["QualityWare AG", "Uferweg 40-42", "D-63571 Gelnhausen", "Tel. 06051 916 44"],
               ["Vorstand: Christian Heit", "Aufsichtsrat: Hans Habermann", "Registergericht Hanau",
                "UStId DE 232 446 240"],
               ["Bankverbindung", "Kreissparkasse Gelnhausen", "Kto-Nr. 48567 Blz 50750094",
                "IBAN DE30507500940000048567"]]
    draw = [(200 + 130 * c, 700 + 12 * i, line) for c, lines in enumerate(columns)
            for i, line in enumerate(lines)]
    layer = page_of(draw, size=8)
    picture = px(60, 686, 586, 742)  # the logo at the left, 60..195, and the columns
    out = refine_builtin([Region("image", picture, 0.9, 3)], evidence(layer))
    assert [r.label for r in out] == ["image", "text", "text", "text"]
    reads = [text_in_box(layer, r.bbox).text for r in out[1:]]
    assert reads[0].startswith("QualityWare AG") and reads[2].endswith("IBAN DE30507500940000048567")
    assert "Vorstand" not in reads[0]


def test_paragraphs_under_a_stamp_boxed_as_one_picture_are_read_in_their_place() -> None:
    # An "APPROVED" stamp laid over a page of prose: the model boxes the stamp as a picture
    # over three paragraphs, boxes two of them as text inside it, and the third not at all.
    # The picture's unread lines cover little of it, but most of what the two text boxes do
    # not hold: they are text, read between the paragraphs they stand between.
    paragraphs = [100, 230, 360]
    draw = [(60, top + 14 * i, PROSE[i % 4]) for top in paragraphs for i in range(8)]
    draw += [(60, 500 + 14 * i, PROSE[i]) for i in range(3)]
    layer = page_of(draw)
    picture = Region("image", px(40, 120, 560, 470), 0.53, 3)
    first = Region("text", px(55, 90, 540, 200), 0.8, 1)
    second = Region("text", px(55, 220, 540, 330), 0.7, 1)
    last = Region("text", px(55, 490, 540, 545), 0.9, 1)
    out = refine_builtin([picture, first, second, last], evidence(layer))
    assert [r.label for r in out] == ["image", "text", "text", "text", "text"]
    assert out[:3] == [picture, first, second] and out[4] == last
    read = text_in_box(layer, out[3].bbox).text
    assert read.startswith("The committee met on Tuesday") and read.count("The committee") == 2
    assert centre_in(out[3].bbox, px(40, 350, 560, 470))


def test_a_diagram_keeps_its_labels_inside_the_picture() -> None:
    # A timeline legend: many short labels across each row cover much of the box, but they
    # are labels of a drawing, not lines of text.
    labels = ["MLP(B)", "MLP(W)", "MLP(F)", "ATTN(B)", "ATTN(W)", "ATTN(F)"]
    draw = [(40 + 80 * i, 60 + 14 * row, label) for row in range(4) for i, label in enumerate(labels)]
    layer = page_of(draw, size=9)
    picture = px(35, 48, 530, 110)
    out = refine_builtin([Region("image", picture, 0.9, 3)], evidence(layer))
    assert out == [Region("image", picture, 0.9, 3)]


def test_a_table_inside_notes_the_model_called_one_picture_is_found_and_not_read_twice() -> None:
    # A photographed page of handwritten notes: the model boxes the whole page as a picture.
    # Its lines are read as text, the three-column table set between them (no blank line)
    # as a table, and the picture is not read again as a whole.
    from tests.textlayer.test_textlayer_tables import _notes_page

    notes = [(f"({i + 1}) 天气是一个地方短时间里阴晴、风雨、冷热等大气状况的第{i + 1}条笔记",
              (60.0, 90.0 + 23 * i, 470.0, 112.0 + 23 * i)) for i in range(13)]
    lines = notes + _notes_page()
    page = Region("image", (16.0, 20.0, 510.0, 715.0), 0.7, 3)
    photo = LayoutEvidence(width=516, height=729, text_layer=None, page_has_text=False,
                           ocr_lines=tuple(lines))
    out = refine_builtin([page], photo)
    assert [r.label for r in out] == ["image", "text", "table", "text"]
    table = out[2]
    assert table.bbox == (80.0, 460.0, 434.0, 582.0)
    assert all(centre_in(b, table.bbox) == (16 <= i < 31) for i, (_, b) in enumerate(lines))


def test_spaced_rows_in_a_box_the_model_called_text_keep_its_label() -> None:
    # The same lines boxed as text (a workbook's pinyin drill, a line cut by inline math
    # look as much like a grid): the model's label stands.
    from tests.textlayer.test_textlayer_tables import _notes_page

    lines = _notes_page()
    box = (30.0, 380.0, 480.0, 615.0)
    photo = LayoutEvidence(width=516, height=729, text_layer=None, page_has_text=False,
                           ocr_lines=tuple(lines))
    assert [(r.label, r.bbox) for r in refine_builtin([Region("text", box, 0.9, 1)], photo)] == [
        ("text", box)]


def test_a_born_digital_picture_with_a_grid_between_its_lines_keeps_the_other_rules() -> None:
    # The same page as text-layer words (a brochure page the model boxed whole): an inner
    # grid is a rule for OCR'd pictures only; here the words keep the born-digital rules.
    rows = [("Region", "2023", "2024"), ("North", "1,200", "1,350"), ("South", "980", "1,020"),
            ("East", "1,410", "1,505"), ("West", "760", "815"), ("Total", "4,350", "4,690")]
    draw = [(60, 100 + 14 * i, line) for i, line in enumerate(PROSE + PROSE)]
    y = 100 + 14 * 2 * len(PROSE)
    draw += [(x, y + 14 * i, cell) for i, row in enumerate(rows)
             for x, cell in zip((70, 250, 400), row, strict=True)]
    draw += [(60, y + 14 * (len(rows) + i), line) for i, line in enumerate(PROSE[:4])]
    layer = page_of(draw)
    box = px(50, 80, 540, y + 14 * (len(rows) + 4) + 10)
    out = refine_builtin([Region("image", box, 0.9, 3)], evidence(layer))
    assert "table" not in [r.label for r in out]


def test_a_caption_line_and_a_note_in_a_table_box_are_text_and_the_table_keeps_its_rules() -> None:
    # ICDAR 2013 eu-014/eu-026: the model's table box starts on the caption's last line and
    # ends under the source note, no blank line between them and the grid. They are text;
    # the table keeps the rest of its box, with the rule drawn under its last row (read from
    # the box's image: a box cut to the grid's words would lose it).
    rows = [("Indicators", "Weight"), ("Employment", "40"), ("Further studies", "15"),
            ("Dropping out", "15"), ("Staff development", "6")]
    draw = [(70, 112, "and the weights of the indicators are set by the ministry.")]
    draw += [(x, 124 + 12 * i, cell) for i, row in enumerate(rows)
             for x, cell in zip((70, 300), row, strict=True)]
    draw.append((70, 198, "Source: Finnish National Board of Education."))
    layer = page_of(draw)
    out = refine_builtin([Region("table", px(60, 100, 480, 204), 0.9, 6)], evidence(layer))
    assert [r.label for r in out] == ["text", "table", "text"]
    head, table, note = out
    assert text_in_box(layer, head.bbox).text.startswith("and the weights")
    assert text_in_box(layer, note.bbox).text.startswith("Source: Finnish")
    assert table.bbox[3] >= note.bbox[1] - 1 and table.bbox[1] <= head.bbox[3] + 1
    assert (table.bbox[0], table.bbox[2]) == (px(60, 0, 480, 0)[0], px(60, 0, 480, 0)[2])
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, table.bbox)])
    assert html.count("<tr>") == 5 and "<td>Staff development</td><td>6</td>" in html
    assert "Source" not in html and "ministry" not in html


def test_a_heading_and_a_sentence_around_a_ruled_grid_in_a_table_box_are_text() -> None:
    # An ODT export (docling text_document_03): "Table with nested table", "Before table",
    # the ruled table, "After table ...", boxed as one region that its grid makes a table.
    from docparse.layout.builtin_refine import ruled_tables

    rows = [("Column A", "Column B"), ("Simple cell", "Rich cell"), ("Cell 1", "Cell 2")]
    draw = [(70, 100, "Table with nested table"), (70, 116, "Before table")]
    draw += [(x, 140 + 20 * i, cell) for i, row in enumerate(rows)
             for x, cell in zip((75, 300), row, strict=True)]
    draw.append((70, 206, "After table with bold, underline and italic formatting"))
    # The rules, as hairline boxes: four across, three down.
    rects = [(65, 126 + 20 * i, 500, 126.3 + 20 * i) for i in range(4)]
    rects += [(x, 126, x + 0.3, 186) for x in (65, 290, 500)]
    layer = page_of(draw, rects=rects)
    box = px(60, 90, 500, 212)
    out = ruled_tables([Region("table", box, 0.9, 6)], evidence(layer))
    assert [r.label for r in out] == ["text", "table", "text"]
    above, table, below = out
    assert text_in_box(layer, above.bbox).text.replace("\n", " ") == "Table with nested table Before table"
    assert text_in_box(layer, below.bbox).text.startswith("After table with bold")
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, table.bbox)])
    assert "<td>Column A</td><td>Column B</td>" in html and "Before" not in html
    # A header row of cells over a ruled body keeps the box whole.
    layer = page_of([(75, 116, "Name"), (300, 116, "Value"), *draw[2:-1]], rects=rects)
    assert [r.label for r in ruled_tables([Region("table", box, 0.9, 6)], evidence(layer))] == ["table"]


def test_a_picture_that_is_a_ruled_grid_of_the_words_is_the_table() -> None:
    # ICDAR 2013 us-011a: a Word table of filled cells, ruled white between them, that the
    # model boxed as an image: its words stand in the grid's cells, row after row.
    from docparse.layout.builtin_refine import ruled_tables

    rows = [("Program", "Budget"), ("Performance.gov", "$1.1M"), ("IT Dashboard", "$1.06M"),
            ("Data.gov", "$0.9M"), ("Total", "$8M")]
    draw = [(x, 120 + 20 * i, cell) for i, row in enumerate(rows)
            for x, cell in zip((75, 330), row, strict=True)]
    rects = [(65, 106 + 20 * i, 420, 106.3 + 20 * i) for i in range(len(rows) + 1)]
    rects += [(x, 106, x + 0.3, 206) for x in (65, 320, 420)]
    layer = page_of(draw, rects=rects)
    picture = Region("image", px(60, 100, 425, 210), 0.7, 3)
    (table,) = ruled_tables([picture], evidence(layer))
    assert table.label == "table"
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, table.bbox)])
    assert "<td>IT Dashboard</td><td>$1.06M</td>" in html
    # A chart's gridlines hold no rows of its words: its axis labels stand outside the plot,
    # a data label or two inside it.
    labels = [(20, 110 + 20 * i, f"{100 - 25 * i}") for i in range(5)] + [(150, 225, "Quarter")]
    labels += [(200, 140, "42.5"), (340, 160, "57.1")]
    layer = page_of(labels, rects=rects)
    box = px(10, 100, 425, 235)
    assert [r.label for r in ruled_tables([Region("image", box, 0.7, 3)], evidence(layer))] == ["image"]


def test_rules_framing_prose_in_a_picture_make_no_table() -> None:
    # The IBM redpaper's back cover: a picture box over a sidebar and a blurb, framed by
    # rules that meet in a lattice; its words are prose, not a table's rows.
    from docparse.layout.builtin_refine import ruled_tables

    draw = [(75, 120 + 14 * i, line) for i, line in enumerate(PROSE)]
    rects = [(65, 106 + 35 * i, 420, 106.3 + 35 * i) for i in range(3)]
    rects += [(x, 106, x + 0.3, 176) for x in (65, 320, 420)]
    layer = page_of(draw, rects=rects)
    picture = Region("image", px(60, 100, 425, 180), 0.7, 3)
    assert [r.label for r in ruled_tables([picture], evidence(layer))] == ["image"]


STATEMENT = [("Opening balance", "(745)", "(740)", "(940)"), ("Receipts:", "", "", ""),
             ("Business taxes", "49", "50", "57"), ("Other taxes", "0", "25", "27"),
             ("Total receipts", "278", "1,503", "245"), ("Closing balance", "(740)", "(940)", "(794)")]


def _statement(head: bool = True) -> tuple[TextLayerPage, list[tuple[float, float, str]]]:
    """A cash-flow statement: row labels, a wide gap, three columns of figures under a
    two-line column header."""
    draw = [(x, 140 + 14 * i, t) for i, row in enumerate(STATEMENT)
            for x, t in zip((60, 300, 380, 460), row, strict=True) if t]
    if head:
        draw += [(300, 100, "2024"), (300, 112, "April"), (380, 112, "May"), (460, 112, "June")]
    return page_of(draw), draw


def _html(layer: TextLayerPage, box: tuple[float, float, float, float]) -> str:
    return lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, box)])


def test_row_labels_the_model_left_out_of_a_table_are_its_first_column() -> None:
    layer, _ = _statement(head=False)
    figures = px(295, 128, 490, 226)
    # Unboxed labels, or labels boxed as paragraphs beside the table, one box per group.
    for labels in ([], [Region("text", px(55, 128, 150, 156), 0.8, 22),
                        Region("text", px(55, 156, 150, 226), 0.8, 22)]):
        (table,) = refine_builtin([Region("table", figures, 0.9, 6), *labels], evidence(layer))
        assert table.label == "table" and table.bbox[0] <= px(60, 0, 0, 0)[0]
        html = _html(layer, table.bbox)
        assert "<td>Business taxes</td><td>49</td><td>50</td><td>57</td>" in html
        assert "<td>Closing balance</td><td>(740)</td>" in html


def test_a_paragraph_beside_a_table_stays_a_paragraph() -> None:
    # Long lines at their own line pitch: the page's prose, not the table's labels.
    draw = [(x, 140 + 14 * i, t) for i, row in enumerate(STATEMENT)
            for x, t in zip((300, 380, 460), row[1:], strict=True) if t]
    draw += [(60, 138 + 19 * i, w) for i, w in enumerate(
        ["The fund borrowed", "against its receipts", "in the spring, and", "repaid the notes",
         "before the summer."])]
    layer = page_of(draw)
    text = Region("text", px(55, 126, 160, 222), 0.9, 22)
    out = refine_builtin([Region("table", px(295, 128, 490, 226), 0.9, 6), text], evidence(layer))
    assert sorted(r.label for r in out) == ["table", "text"]
    assert next(r for r in out if r.label == "table").bbox[0] >= px(290, 0, 0, 0)[0]


def test_column_headers_boxed_as_a_paragraph_above_a_table_are_its_header() -> None:
    layer, _ = _statement()
    out = refine_builtin([Region("text", px(295, 90, 490, 116), 0.8, 22),
                          Region("table", px(55, 128, 490, 226), 0.9, 6)], evidence(layer))
    (table,) = out
    html = _html(layer, table.bbox)
    assert "<td>April</td><td>May</td><td>June</td>" in html
    # A heading across two columns may be two headings read as one piece: not joined, lest
    # the table's columns run together under it.
    layer = page_of([(300, 100, "2024"), (460, 100, "2025"), (60, 112, "Item"),
                     (300, 112, "April and May together"), (460, 112, "June"),
                     *_statement(head=False)[1]])
    out = refine_builtin([Region("text", px(55, 90, 490, 116), 0.8, 22),
                          Region("table", px(55, 128, 490, 226), 0.9, 6)], evidence(layer))
    assert sorted(r.label for r in out) == ["table", "text"]
    # A title above a table (one piece a line) stays the table's title.
    layer = page_of([(300, 100, "Cash flow statement"), (300, 112, "(millions of dollars)"),
                     *_statement(head=False)[1]])
    out = refine_builtin([Region("text", px(295, 90, 490, 116), 0.8, 22),
                          Region("table", px(55, 128, 490, 226), 0.9, 6)], evidence(layer))
    assert sorted(r.label for r in out) == ["table", "text"]


def test_a_line_of_the_left_column_level_with_a_table_row_is_no_row_label() -> None:
    # Two columns: the left one's paragraphs above and below a short line the model left
    # unboxed, level with a row of a table in the right column.
    draw = [(x, 140 + 14 * i, t) for i, row in enumerate(STATEMENT)
            for x, t in zip((330, 410, 470, 530), row, strict=True) if t]
    draw += [(60, 100 + 14 * i, "column text of the page") for i in range(3)]
    draw += [(60, 168, "Results")]
    draw += [(60, 260 + 14 * i, "column text of the page") for i in range(3)]
    layer = page_of(draw)
    regions = [Region("text", px(55, 88, 200, 132), 0.9, 22),
               Region("table", px(325, 128, 570, 226), 0.9, 6),
               Region("text", px(55, 248, 200, 292), 0.9, 22)]
    out = refine_builtin(regions, evidence(layer))
    table = next(r for r in out if r.label == "table")
    assert table.bbox[0] >= px(320, 0, 0, 0)[0]


def test_a_heading_beside_a_long_table_in_the_other_column_is_not_its_row_label() -> None:
    # A two-column paper: the left column's paragraphs and a section heading boxed by the
    # model, level with rows of a tall table (its reference list) in the right column.
    draw = [(330, 100 + 14 * i, f"[{i + 1}]") for i in range(20)]
    draw += [(370, 100 + 14 * i, f"Author {i}, Title of work {i}") for i in range(20)]
    prose = "we trained it for ten more epochs and then"
    draw += [(60, 100 + 14 * i, prose) for i in range(6)]
    draw += [(90, 198, "REFERENCES")]
    draw += [(60, 226 + 14 * i, prose) for i in range(6)]
    layer = page_of(draw)
    regions = [Region("text", px(55, 88, 270, 176), 0.9, 22),
               Region("paragraph_title", px(85, 188, 160, 202), 0.9, 3),
               Region("text", px(55, 214, 270, 302), 0.9, 22),
               Region("table", px(325, 88, 560, 372), 0.9, 6)]
    out = refine_builtin(regions, evidence(layer))
    assert any(r.label == "paragraph_title" for r in out)
    assert next(r for r in out if r.label == "table").bbox[0] >= px(320, 0, 0, 0)[0]
    # Nor is a lone short line level with one of its twenty rows, with nothing else beside.
    layer = page_of([*draw[:40], (60, 198, "Notes")])
    out = refine_builtin([regions[3]], evidence(layer))
    assert next(r for r in out if r.label == "table").bbox[0] >= px(320, 0, 0, 0)[0]
    # Nor is a list of short items the model left unboxed under the left column's prose.
    items = [(60, 184 + 14 * i, f"item number {i}") for i in range(8)]
    layer = page_of([*draw[:46], *items])
    out = refine_builtin([regions[0], regions[3]], evidence(layer))
    assert next(r for r in out if r.label == "table").bbox[0] >= px(320, 0, 0, 0)[0]


def test_a_sentence_or_a_relation_cut_into_pieces_above_a_table_is_no_header() -> None:
    # Lecture notes: "Let A, B and M be sets." set with math spacing, over a table of symbols.
    for row in ([(300, 112, "Let"), (380, 112, "A, B and M"), (460, 112, "be sets.")],
                [(300, 112, "V1"), (380, 112, "= V2"), (460, 112, "∩ V3")]):
        layer = page_of([*row, *_statement(head=False)[1]])
        out = refine_builtin([Region("text", px(295, 100, 496, 116), 0.8, 22),
                              Region("table", px(55, 128, 490, 226), 0.9, 6)], evidence(layer))
        assert sorted(r.label for r in out) == ["table", "text"], row


def _first_page(note_gap: float, top: float = 100, mark: str = "") -> tuple[TextLayerPage, list[Region]]:
    """An article's first page: its text, then, ``note_gap`` points lower, a separator rule
    and under it the corresponding author's address."""
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    for i, line in enumerate(PROSE):
        page.insert_text((60, top + 14 * i), line, fontsize=10, fontname="helv")
    rule_y = top + 14 * len(PROSE) + note_gap
    page.draw_line((60, rule_y), (260, rule_y), color=(0, 0, 0), width=0.6)
    page.insert_text((60, rule_y + 12), mark + "Corresponding author: jane@example.org", fontsize=9,
                     fontname="helv")
    with pymupdf.open(stream=doc.tobytes(), filetype="pdf") as again:
        layer = extract_page(again[0], SCALE)
    regions = [Region("text", px(55, top - 12, 540, top + 14 * len(PROSE)), 0.9, 22),
               Region("reference_content", px(55, rule_y + 2, 260, rule_y + 16), 0.8, 16)]
    return layer, regions


def test_a_short_last_block_under_a_separator_rule_is_a_footnote() -> None:
    # Far under the text, the article's first page ends with its corresponding author.
    layer, regions = _first_page(note_gap=400)
    out = refine_builtin(regions, evidence(layer))
    assert [r.label for r in out] == ["text", "footnote"]
    # Right under the text the rule is the text's (a box's or a table's bottom rule): a note.
    layer, regions = _first_page(note_gap=4, top=500)
    out = refine_builtin(regions, evidence(layer))
    assert "footnote" not in [r.label for r in out]


def test_a_numbered_footnote_under_its_separator_stays_text() -> None:
    layer, regions = _first_page(note_gap=400, mark="1")
    out = refine_builtin(regions, evidence(layer))
    assert [r.label for r in out] == ["text", "reference_content"]


def test_a_caption_along_the_top_edge_over_its_table_is_no_running_head() -> None:
    # A landscape table's page turned upright: its caption runs along the top edge, beside
    # the page number, where the model sees a running head.
    rows = [("Unit", "Age", "Thickness"), ("C4", "Pliocene", "0-0.3"), ("C3", "Miocene", "0-0.4")]
    draw = [(40, 30, "36"), (70, 30, "Table 1. Summary of the seismic units")]
    draw += [(x, 60 + 14 * i, t) for i, row in enumerate(rows)
             for x, t in zip((70, 250, 400), row, strict=True)]
    layer = page_of(draw)
    regions = [Region("header", px(35, 20, 50, 34), 0.8, 7),
               Region("header", px(65, 20, 300, 34), 0.8, 7),
               Region("table", px(65, 48, 480, 96), 0.9, 6)]
    out = refine_builtin(regions, evidence(layer))
    assert [r.label for r in out if r.bbox[1] < px(0, 40, 0, 0)[1]] == ["header", "figure_title"]
    # A sentence about the table is no caption.
    layer = page_of([(40, 30, "36"), (70, 30, "Table 1 lists the seismic units"), *draw[2:]])
    out = refine_builtin(regions, evidence(layer))
    assert "figure_title" not in [r.label for r in out]


def _receipt(x: float, y: float) -> list[tuple[str, tuple[float, float, float, float]]]:
    """A scanned receipt's items and totals (OCR lines): names, and amounts flush right."""
    rows = [("1 L McChicken", "11.10"), ("1 L Coke", ""), ("1 L Fries", ""),
            ("1 6Nuggets", "7.80"), ("1 French Cheese Sauce", ""),
            ("TakeOut Total (incl GST)", "18.90"), ("Total Rounded", "18.90"),
            ("Cash Tendered", "50.00"), ("Change", "31.10")]
    out = []
    for i, (name, amount) in enumerate(rows):
        top = y + 42 * i
        out.append((name, (x, top, x + 24 * len(name), top + 30)))
        if amount:
            out.append((amount, (x + 520, top, x + 600, top + 30)))
    return out


def test_a_receipt_the_model_calls_a_picture_on_a_scan_is_read() -> None:
    # Fewer lines than a picture needs to be read for its count alone, but its rows of text
    # fill it: read after it (here its amounts stand in a column: a table of two columns).
    lines = _receipt(60, 800)
    picture = Region("image", (40, 790, 700, 1190), 0.6, 3)
    out = refine_builtin([picture], _scan(lines))
    read = [r for r in out if r.label in ("text", "table")]
    assert out[0] == picture and read
    assert all(any(centre_in(b, r.bbox) for r in read) for _, b in lines)


def test_a_photo_or_a_diagram_on_a_scan_keeps_its_few_lines_inside() -> None:
    # A photo with a sign and a caption-like line: few rows, far from filling it.
    photo = Region("image", (40, 100, 840, 900), 0.8, 3)
    words = [("OPEN", (300.0, 400.0, 400.0, 440.0)), ("Main Street 12", (500.0, 800.0, 800.0, 840.0))]
    assert refine_builtin([photo], _scan(words)) == [photo]
    # A diagram: rows of labels spread across it, nine rows of three filling it.
    labels = [(f"L{r}{c}", (60.0 + 100 * c, 100.0 + 40 * r, 140.0 + 100 * c, 130.0 + 40 * r))
              for r in range(9) for c in range(3)]
    diagram = Region("image", (50, 90, 400, 460), 0.8, 3)
    assert refine_builtin([diagram], _scan(labels)) == [diagram]


def test_a_short_word_beside_a_line_the_model_missed_is_boxed_with_it() -> None:
    # SROIE receipt 180: "TAX INVOICE" above the boxes, read as two OCR lines; "TAX" alone is
    # a fragment, and filed apart it came after "INVOICE".
    title = [("TAX", (207.0, 179.0, 316.0, 225.0)), ("INVOICE", (336.0, 176.0, 567.0, 226.0))]
    body = [(line, (40.0, 300.0 + 50 * i, 720.0, 340.0 + 50 * i)) for i, line in enumerate(PROSE)]
    scan = LayoutEvidence(width=760, height=1900, text_layer=None, page_has_text=False,
                          ocr_lines=(*title, *body))
    regions = [Region("text", (35.0, 295.0, 725.0, 300.0 + 50 * len(PROSE)), 0.9, 22, 1)]
    out = refine_builtin(regions, scan)
    assert (out[0].label, out[0].bbox) == ("text", (207.0, 176.0, 567.0, 226.0))
    # A fragment far from any line it could belong to stays the recogniser's to file.
    apart = (("No", (40.0, 179.0, 100.0, 225.0)), title[1], *body)
    out = refine_builtin(regions, dataclasses.replace(scan, ocr_lines=apart))
    assert (out[0].label, out[0].bbox) == ("text", (336.0, 176.0, 567.0, 226.0))



#: A shop receipt as the built-in OCR reads it, each line where it read SROIE receipt 240's
#: (page pixels; the words changed): the shop's name and address centred, the bill's number
#: and date, each item's code, quantity, price and amount under or over its name, the totals,
#: the thanks, and a tax summary at the foot.
RECEIPT = [
    ('PAGETURNERS BOOKSHOP (KL) SDN BHD', (72.0, 239.0, 570.0, 284.0)),
    ('CO.NO. 123456-A', (201.0, 281.0, 441.0, 321.0)),
    ('LOT 15, JALAN MERANTI UTAMA', (114.0, 322.0, 529.0, 364.0)),
    ('JALAN MERANTI 1/1, TMN JAYA', (115.0, 362.0, 528.0, 405.0)),
    ('47100 PUCHONG, SELANGOR', (144.0, 400.0, 485.0, 446.0)),
    ('03-8000 1234', (230.0, 444.0, 413.0, 483.0)),
    ('( NO. ID GST: 000123456789 )', (116.0, 483.0, 528.0, 526.0)),
    ('TAX', (146.0, 562.0, 276.0, 603.0)),
    ('INVOICE', (259.0, 563.0, 466.0, 603.0)),
    ('BILL:28544', (344.0, 601.0, 513.0, 644.0)),
    ('CASH1 #10-02', (30.0, 642.0, 214.0, 682.0)),
    ('17/03/2017 21:35', (347.0, 644.0, 583.0, 681.0)),
    ('B.CODE & DESC.', (32.0, 721.0, 239.0, 760.0)),
    ('QTY U/PRICE', (315.0, 720.0, 484.0, 763.0)),
    ('AMT', (544.0, 722.0, 599.0, 760.0)),
    ('4970000000001', (32.0, 758.0, 229.0, 800.0)),
    ('1', (318.0, 764.0, 343.0, 797.0)),
    ('53.00', (387.0, 761.0, 471.0, 800.0)),
    ('53.00s', (515.0, 759.0, 615.0, 801.0)),
    ('CALCULATOR FOR SCHOOL', (33.0, 800.0, 342.0, 837.0)),
    ('12345', (33.0, 839.0, 116.0, 878.0)),
    ('1', (318.0, 841.0, 346.0, 876.0)),
    ('5.40', (402.0, 838.0, 472.0, 879.0)),
    ('5.40s', (531.0, 839.0, 615.0, 879.0)),
    ('BLUE GEL PEN 0.5MM 3 PCS', (30.0, 874.0, 386.0, 915.0)),
    ('9550000000002', (33.0, 913.0, 231.0, 953.0)),
    ('1', (318.0, 916.0, 347.0, 952.0)),
    ('3.60', (402.0, 914.0, 473.0, 954.0)),
    ('3.60s', (530.0, 914.0, 615.0, 954.0)),
    ('COLOUR PENCILS 24 PCS', (32.0, 953.0, 369.0, 990.0)),
    ('SUB-TOTAL', (33.0, 1027.0, 171.0, 1065.0)),
    ('62.00', (535.0, 1026.0, 620.0, 1069.0)),
    ('Total GST(I)', (30.0, 1062.0, 213.0, 1106.0)),
    ('3.51', (548.0, 1064.0, 623.0, 1105.0)),
    ('TOTAL ITEM(S): 3', (30.0, 1134.0, 278.0, 1180.0)),
    ('TOTAL QUANTITY(S): 3', (29.0, 1170.0, 335.0, 1216.0)),
    ('TOTAL INCL GSTRM', (30.0, 1208.0, 305.0, 1250.0)),
    ('62.00', (454.0, 1212.0, 607.0, 1250.0)),
    ('CARD TYPE : VISA', (29.0, 1282.0, 289.0, 1324.0)),
    ('62.00', (526.0, 1286.0, 611.0, 1325.0)),
    ('CARD NO', (32.0, 1324.0, 144.0, 1363.0)),
    ('THANK YOU. PLEASE COME AGAIN.', (34.0, 1400.0, 462.0, 1442.0)),
    ('GOODS SOLD ARE NOT RETURNABLE.', (35.0, 1440.0, 477.0, 1479.0)),
    ('GST', (34.0, 1478.0, 90.0, 1517.0)),
    ('Taxable Amt GST Alt', (251.0, 1479.0, 547.0, 1516.0)),
    ('s-SR(I) - 6%', (38.0, 1556.0, 222.0, 1599.0)),
    ('58.49', (336.0, 1556.0, 418.0, 1595.0)),
    ('3.51', (479.0, 1557.0, 546.0, 1594.0)),
]


def test_a_receipt_boxed_as_a_table_is_text_when_no_gutter_runs_between_its_cells() -> None:
    # The model boxes the whole receipt as a table. Its item names and totals run across
    # every line a column could follow, or leave it clear in fewer rows than they cross it
    # (the amounts' left edge: 5 rows split there, 7 crossing): its grid came out one
    # column, a table of lines.
    scan = LayoutEvidence(width=703, height=1779, text_layer=None, page_has_text=False,
                          ocr_lines=tuple(RECEIPT))
    out = refine_builtin([Region("table", (23.0, 236.0, 697.0, 1685.0), 0.9, 21, 1)], scan)
    assert [r.label for r in out] == ["text"]


def test_a_receipts_totals_under_its_letterhead_stay_a_table() -> None:
    # Its totals alone, label left and amount right: a gutter runs between them (the
    # letterhead's lines over them are text, as before).
    totals = [("Discount", (447.0, 1100.0, 589.0, 1140.0)), ("0.00", (719.0, 1100.0, 796.0, 1140.0)),
              ("Total GST", (429.0, 1140.0, 587.0, 1180.0)), ("3.60", (719.0, 1140.0, 796.0, 1180.0)),
              ("Rounding", (436.0, 1180.0, 589.0, 1220.0)), ("0.00", (719.0, 1180.0, 795.0, 1220.0)),
              ("CASH:", (480.0, 1220.0, 621.0, 1260.0)), ("63.60", (699.0, 1220.0, 796.0, 1260.0))]
    scan = LayoutEvidence(width=900, height=1779, text_layer=None, page_has_text=False,
                          ocr_lines=tuple(RECEIPT[:7] + totals))
    out = refine_builtin([Region("table", (23.0, 236.0, 880.0, 1270.0), 0.9, 21, 1)], scan)
    assert [r.label for r in out] == ["text", "table"]
    assert out[1].bbox[1] >= 460.0  # under the letterhead's last line
