"""Rules of a table from its pixels, and the cells they make span rows (generated pages)."""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import asyncio
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pymupdf

from docparse.recognize import RecognitionTask
from docparse.recognize.builtin import BuiltinRecognizer, structures_from_text_layer
from docparse.recognize.builtin_engine import RapidOcrEngine
from docparse.recognize.line_order import OcrLine
from docparse.recognize.table_grid import build_grid, lines_to_table_html
from docparse.recognize.table_rules import TableRules, find_rules
from docparse.sources import PageImage
from docparse.textlayer.extract import extract_page

MU: Any = pymupdf
SCALE = 2.0

# ---------------------------------------------------------------------------------------
# Detection on pixels


def _blank(h: int = 300, w: int = 600) -> npt.NDArray[np.uint8]:
    return np.full((h, w, 3), 255, dtype=np.uint8)


def test_thin_rules_bands_and_not_text() -> None:
    image = _blank()
    image[20:50, 10:590] = (192, 0, 0)  # a red header band
    image[30:40, 40:60] = 255  # white heading text inside it
    image[100:102, 300:590] = (200, 0, 0)  # a red rule under two columns only
    image[150, 10:590] = (80, 80, 80)  # a one-pixel grey rule across the table
    for x in range(20, 280, 14):  # a line of text: glyphs with gaps
        image[120:136, x : x + 10] = 0
    rules = find_rules(image, (0, 0, 600, 300), unit=16)
    assert sorted((round(y), round(x0), round(x1)) for x0, y, x1, _ in rules.lines) == [
        (101, 300, 590),
        (150, 10, 590),
    ]
    assert sorted((round(y), round(x0), round(x1)) for x0, y, x1, _ in rules.band_edges) == [
        (20, 10, 590),  # band top
        (50, 10, 590),  # band bottom
    ]


def test_a_column_rule_through_a_filled_header_does_not_cut_its_edge() -> None:
    # A header row filled in blue over three cells, the first one narrow, with dark column
    # rules from the header's top to the table's foot: at each rule the shade does not change
    # between the fill's last pixel row and the paper's first, so the edge has two gaps.
    image = _blank()
    image[40:70, 10:590] = (123, 175, 222)
    for x in (10, 50, 300, 589):
        image[40:280, x : x + 2] = (60, 60, 60)
    for x in range(60, 280, 14):  # text rows touching a rule leave no edge
        image[120:136, x : x + 10] = 0
    image[200:260, 12:589] = (40, 60, 90)  # a dark body cell with white text on it:
    for x in range(60, 280, 12):  # the 2 px between its glyphs join no glyph tops
        image[220:232, x : x + 10] = 255
    rules = find_rules(image, (0, 0, 600, 300), unit=16)
    # The bottom edge runs across the narrow first cell (40 px, under the minimum length
    # on its own) as one edge.
    bottoms = [(round(x0), round(x1)) for x0, y, x1, _ in rules.band_edges if round(y) == 70]
    assert len(bottoms) == 1 and bottoms[0][0] <= 12 and bottoms[0][1] >= 588
    assert all(round(y) in (40, 70, 200, 260) for _, y, _, _ in rules.band_edges)


def test_white_lines_between_filled_cells_do_not_cut_the_header_edge() -> None:
    # A textbook's grid: a pink header row over peach body rows, cells parted by white
    # lines; the columns are 70 px wide, under the minimum length each.
    image = _blank()
    image[20:60, 10:590] = (240, 160, 160)
    image[60:280, 10:590] = (250, 215, 190)
    for x in range(150, 590, 70):
        image[20:280, x : x + 3] = 255
    for y in (100, 140, 180, 220):
        image[y : y + 3, 10:590] = 255
    rules = find_rules(image, (0, 0, 600, 300), unit=16)
    header = [(round(x0), round(x1)) for x0, y, x1, _ in rules.band_edges if round(y) == 60]
    assert len(header) == 1 and header[0][0] <= 12 and header[0][1] >= 588


def test_rules_are_in_page_coordinates_of_the_box() -> None:
    image = _blank()
    image[200, 100:400] = 0
    rules = find_rules(image, (50, 150, 450, 250), unit=16)
    # The rule's own two sides are not reported as the edges of a fill.
    assert (rules.lines, rules.band_edges) == (((100, 200.5, 400, 200.5),), ())
    assert find_rules(image, (50, 10, 450, 100), unit=16) == TableRules()


def test_fills_meeting_are_edges_and_tell_a_tiled_table() -> None:
    # Slide-style table on a page: dark and light grey cells tile the box; a hairline seam
    # (a small shade step) parts two dark cells.
    image = _blank(900, 1200)
    image[10:110, 10:590] = (20, 90, 120)
    image[110:210, 10:590] = (204, 208, 214)
    image[210:290, 10:590] = (20, 90, 120)
    image[250, 10:200] = (58, 120, 150)
    rules = find_rules(image, (10, 10, 590, 290), unit=16)
    assert rules.lines == ()
    assert sorted((round(y), round(x0), round(x1)) for x0, y, x1, _ in rules.band_edges) == [
        (110, 10, 590), (210, 10, 590), (250, 10, 200),
    ]
    assert rules.filled > 0.95
    with_paper = find_rules(image, (0, 0, 1200, 600), unit=16)
    assert with_paper.filled < 0.3


def test_a_fill_edge_falling_between_pixel_rows_is_an_edge() -> None:
    # ICDAR 2013 us-022: alternating row fills; where a fill's edge falls between pixel rows
    # the rendering steps over two rows (210, 227, 255), each step smaller than a fill's.
    image = _blank(400, 600)
    image[40:90, 10:590] = 210
    image[90, 10:590] = 227
    image[141:190, 10:590] = 210
    image[140, 10:590] = 230
    rules = find_rules(image, (0, 0, 600, 400), unit=16)
    assert [round(y) for _, y, _, _ in sorted(rules.band_edges, key=lambda e: e[1])] == [40, 90, 140, 190]


def test_vertical_separators_are_found_and_glyph_stems_are_not() -> None:
    image = _blank()
    image[20:120, 200:203] = 0  # a ruled column separator, three pixels wide
    image[130:230, 10:300] = (204, 208, 214)  # two filled cells with a white line between
    image[130:230, 302:590] = (204, 208, 214)
    image[250:262, 100:102] = 0  # a glyph's stem, shorter than a line
    found = find_rules(image, (0, 0, 600, 300), unit=16)
    assert sorted((round(x), round(y0), round(y1)) for x, y0, _, y1 in found.verticals) == [
        (10, 130, 230),  # the left cell's outer side
        (200, 20, 120), (203, 20, 120),  # the rule's two sides
        (300, 130, 230), (302, 130, 230),  # the white line's two sides
        (590, 130, 230),
    ]


# ---------------------------------------------------------------------------------------
# Grid from lines and rules

H = 20.0


def line(text: str, x: float, y: float) -> OcrLine:
    return OcrLine(text, (x, y, x + 10.0 * len(text), y + H))


# A rating table: a tall explanation (five wrapped lines) in column 0 beside two groups of
# ratings; rules between ratings (columns 2-3), between groups (1-3), under the header band
# and at the bottom (all).
RATING_LINES = [
    line("Basis", 10, 10), line("Rating", 420, 10), line("Meaning", 560, 10),
    line("Prices are", 10, 62), line("measured over", 10, 92), line("twelve months", 10, 122),
    line("against the", 10, 152), line("index.", 10, 182),
    line("Buy", 420, 50), line("up 15%", 560, 50),
    line("Hold", 420, 90), line("flat", 560, 90),
    line("Sell", 420, 130), line("down 5%", 560, 130),
    line("Company", 250, 90),
    line("Buy", 420, 170), line("up 5%", 560, 170),
    line("Sell", 420, 210), line("down 5%", 560, 210),
    line("Sector", 250, 190),
]
RATING_RULES = TableRules(
    lines=((400.0, 75.0, 700.0, 75.0), (400.0, 115.0, 700.0, 115.0),
           (230.0, 155.0, 700.0, 155.0), (400.0, 195.0, 700.0, 195.0),
           (0.0, 235.0, 700.0, 235.0)),
    band_edges=((0.0, 5.0, 700.0, 5.0), (0.0, 35.0, 700.0, 35.0)),  # a filled header row
)


def cells_of(html: str) -> list[list[tuple[str, int]]]:
    """(text, rowspan) per cell, per row."""
    return [
        [(text, int(span or 1))
         for span, text in re.findall(r'<td(?: colspan="\d+")?(?: rowspan="(\d+)")?>(.*?)</td>', row)]
        for row in re.findall(r"<tr>(.*?)</tr>", html)
    ]


def test_unruled_columns_span_the_rows_the_rules_separate_elsewhere() -> None:
    assert cells_of(lines_to_table_html(RATING_LINES, RATING_RULES)) == [
        [("Basis", 1), ("", 1), ("Rating", 1), ("Meaning", 1)],
        [("Prices are measured over twelve months against the index.", 5), ("Company", 3),
         ("Buy", 1), ("up 15%", 1)],
        [("Hold", 1), ("flat", 1)],
        [("Sell", 1), ("down 5%", 1)],
        [("Sector", 2), ("Buy", 1), ("up 5%", 1)],
        [("Sell", 1), ("down 5%", 1)],
    ]


def test_without_rules_the_wrapped_lines_stay_rows() -> None:
    # What the grid made of it before the rules were read: the explanation cut into rows.
    html = lines_to_table_html(RATING_LINES)
    assert "rowspan" not in html
    assert "<td>measured over</td>" in html


def test_header_and_bottom_rules_only_change_nothing() -> None:
    # A booktabs table: rules above, under the header and below; body rows unruled.
    lines = [
        line(t, x, 10 + 40 * r)
        for r, row in enumerate([["Model", "Acc"], ["small", "81.2"], ["large", "88.9"],
                                 ["huge", "90.1"]])
        for t, x in zip(row, (10, 300), strict=True)
    ]
    rules = TableRules(
        lines=((0.0, 5.0, 400.0, 5.0), (0.0, 40.0, 400.0, 40.0), (0.0, 170.0, 400.0, 170.0))
    )
    assert build_grid(lines, rules) == build_grid(lines)


def test_rules_across_every_column_change_nothing() -> None:
    lines = [
        line(t, x, 10 + 40 * r)
        for r, row in enumerate([["a", "1"], ["b", "2"], ["c", "3"]])
        for t, x in zip(row, (10, 300), strict=True)
    ]
    rules = TableRules(lines=tuple((0.0, y, 400.0, y) for y in (40.0, 80.0)))
    assert build_grid(lines, rules) == build_grid(lines)


def test_a_totals_rule_under_the_amounts_does_not_join_the_labels() -> None:
    # A financial statement: a rule under the year headings over the amounts, body rows
    # unruled, a sum line above "Total" under the amounts only.
    texts = [["", "2025", "2024"], ["Research", "1,136", "876"], ["Marketing", "3,601", "2,673"],
             ["Total", "4,737", "3,549"]]
    lines = [line(t, x, 10 + 40 * r) for r, row in enumerate(texts)
             for t, x in zip(row, (10, 300, 450), strict=True) if t]
    rules = TableRules(lines=((290.0, 40.0, 560.0, 40.0), (290.0, 120.0, 560.0, 120.0)))
    assert build_grid(lines, rules) == build_grid(lines)


def test_a_group_headings_rule_lets_the_stub_heading_span_the_header() -> None:
    # booktabs: "Scores" over two metric columns with a rule under it (not under "Model"),
    # then a rule across every column under the header; body rows unruled.
    lines = [line("Model", 10, 23), line("Scores", 330, 10), line("easy", 300, 36),
             line("hard", 450, 36), line("small", 10, 70), line("81.2", 300, 70),
             line("70.3", 450, 70), line("large", 10, 100), line("88.9", 300, 100),
             line("79.5", 450, 100)]
    rules = TableRules(lines=((290.0, 33.0, 560.0, 33.0), (0.0, 62.0, 560.0, 62.0)))
    html = lines_to_table_html(lines, rules)
    # ... and "Scores" spans the two columns its rule covers.
    assert '<td colspan="2">Scores</td>' in html
    assert cells_of(html)[:2] == [[("Model", 2), ("Scores", 1)], [("easy", 1), ("hard", 1)]]
    # Without the rules "Model" sits alone in the upper header row, over an empty slot.
    assert cells_of(lines_to_table_html(lines))[1] == [("", 1), ("easy", 1), ("hard", 1)]
    assert cells_of(html)[2:] == [[("small", 1), ("81.2", 1), ("70.3", 1)],
                                  [("large", 1), ("88.9", 1), ("79.5", 1)]]


def test_shaded_cells_and_group_rules_change_nothing() -> None:
    # Results grouped by three with a rule between groups; the best value of each group
    # sits in a shaded cell, whose edges are bands under one column only.
    texts = [["Task", "Acc", "F1"]] + [[f"t{i}", f"0.{i}1", f"0.{i}2"] for i in range(1, 7)]
    lines = [line(t, x, 10 + 40 * r) for r, row in enumerate(texts)
             for t, x in zip(row, (10, 300, 450), strict=True)]
    rules = TableRules(
        lines=((0.0, 40.0, 560.0, 40.0), (0.0, 160.0, 560.0, 160.0)),
        band_edges=((290.0, 85.0, 350.0, 85.0), (290.0, 115.0, 350.0, 115.0),
                    (440.0, 205.0, 500.0, 205.0), (440.0, 235.0, 500.0, 235.0)),
    )
    assert build_grid(lines, rules) == build_grid(lines)


def test_in_a_table_tiled_by_fills_the_fill_edges_are_the_rows() -> None:
    # Slide table: every cell filled, fills meeting between rows. "Label" wraps onto a
    # second line inside its cell; R3's fill runs on beside two rows.
    lines = [line("A", 300, 10), line("B", 450, 10),
             line("Long", 10, 50), line("label", 10, 72), line("x1", 300, 60), line("y1", 450, 60),
             line("R3", 10, 110), line("x2", 300, 110), line("y2", 450, 110),
             line("x3", 300, 150), line("y3", 450, 150)]
    edges = ((0.0, 40.0, 560.0, 40.0), (0.0, 100.0, 560.0, 100.0),
             (290.0, 140.0, 560.0, 140.0), (0.0, 180.0, 560.0, 180.0))
    tiled = TableRules(band_edges=edges, filled=0.97)
    assert cells_of(lines_to_table_html(lines, tiled)) == [
        [("", 1), ("A", 1), ("B", 1)],
        [("Long label", 1), ("x1", 1), ("y1", 1)],
        [("R3", 2), ("x2", 1), ("y2", 1)],
        [("x3", 1), ("y3", 1)],
    ]
    # The same edges from shaded value cells on paper say nothing of the rows.
    on_paper = TableRules(band_edges=edges, filled=0.3)
    assert build_grid(lines, on_paper) == build_grid(lines)


def _merged_header(verticals: tuple[tuple[float, float, float, float], ...]) -> str:
    # "Net amount Gross sum" crosses the gutter at x 110-150, each half over a column.
    lines = [line("Net amount Gross sum", 10, 10), line("Tax", 450, 10),
             line("0123456789", 10, 50), line("abcdefghi", 150, 50), line("20%", 450, 50),
             line("9876543210", 10, 90), line("ihgfedcba", 150, 90), line("10%", 450, 90)]
    return lines_to_table_html(lines, TableRules(verticals=verticals))


def test_a_line_across_a_gutter_with_no_separator_beside_it_is_one_merged_cell() -> None:
    # Separators between every column, except beside the merged heading.
    merged = ((130.0, 40.0, 130.0, 120.0), (400.0, 0.0, 400.0, 120.0))
    assert '<tr><td colspan="2">Net amount Gross sum</td><td>Tax</td></tr>' in _merged_header(merged)
    # A separator beside it too: two cells read as one line, split at the gutter.
    crossed = ((130.0, 0.0, 130.0, 120.0), (400.0, 0.0, 400.0, 120.0))
    assert "<tr><td>Net amount</td><td>Gross sum</td><td>Tax</td></tr>" in _merged_header(crossed)
    # No separators known: as before (the split).
    assert _merged_header(()) == _merged_header(crossed)


# ---------------------------------------------------------------------------------------
# A drawn table, read from its text layer and by OCR

HEADER = ["Basis", "Group", "Rating", "Meaning"]
EXPLANATION = ["Prices are measured", "over twelve months", "against the index", "of the market."]
GROUPS = [("Company", [("Buy", "up 15%"), ("Hold", "flat"), ("Sell", "down 5%")]),
          ("Sector", [("Buy", "up 5%"), ("Sell", "down 5%")])]
X = (60.0, 190.0, 290.0, 380.0, 535.0)  # column edges, PDF points
TOP, HEAD_H, ROW_H = 100.0, 22.0, 22.0


def _rating_pdf() -> bytes:
    doc = MU.open()
    page = doc.new_page(width=595, height=842)
    page.draw_rect(MU.Rect(X[0], TOP, X[4], TOP + HEAD_H), color=None, fill=(0.75, 0, 0))
    for c, text in enumerate(HEADER):
        page.insert_text((X[c] + 6, TOP + 15), text, fontsize=11, color=(1, 1, 1))
    y = TOP + HEAD_H
    body_top = y
    for g, (group, ratings) in enumerate(GROUPS):
        group_top = y
        for i, (rating, meaning) in enumerate(ratings):
            page.insert_text((X[2] + 6, y + 15), rating, fontsize=11)
            page.insert_text((X[3] + 6, y + 15), meaning, fontsize=11)
            y += ROW_H
            if i < len(ratings) - 1:
                page.draw_line((X[2], y), (X[4], y), color=(0.75, 0, 0), width=0.8)
        page.insert_text((X[1] + 6, (group_top + y) / 2 + 4), group, fontsize=11)
        if g < len(GROUPS) - 1:
            page.draw_line((X[1], y), (X[4], y), color=(0.75, 0, 0), width=0.8)
    page.draw_line((X[0], y), (X[4], y), color=(0.75, 0, 0), width=0.8)
    middle = (body_top + y) / 2 - 1.5 * 14
    for i, text in enumerate(EXPLANATION):
        page.insert_text((X[0] + 6, middle + 14 * i + 4), text, fontsize=11)
    data: bytes = doc.tobytes()
    return data


def _rating_page() -> tuple[PageImage, tuple[float, float, float, float]]:
    with MU.open(stream=_rating_pdf(), filetype="pdf") as doc:
        pix = doc[0].get_pixmap(matrix=MU.Matrix(SCALE, SCALE), alpha=False)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, 3).copy()
        layer = extract_page(doc[0], SCALE)
    box = (X[0] * SCALE - 4, TOP * SCALE - 4, X[4] * SCALE + 4,
           (TOP + HEAD_H + 5 * ROW_H) * SCALE + 4)
    page = PageImage("ratings.pdf", 0, 1, image, SCALE, text_layer=layer)
    return page, box


EXPECTED = [
    [("Basis", 1), ("Group", 1), ("Rating", 1), ("Meaning", 1)],
    [("Prices are measured over twelve months against the index of the market.", 5),
     ("Company", 3), ("Buy", 1), ("up 15%", 1)],
    [("Hold", 1), ("flat", 1)],
    [("Sell", 1), ("down 5%", 1)],
    [("Sector", 2), ("Buy", 1), ("up 5%", 1)],
    [("Sell", 1), ("down 5%", 1)],
]


def test_drawn_table_from_the_text_layer_spans_rows() -> None:
    page, box = _rating_page()
    task = RecognitionTask(0, "table", "table", tuple(int(v) for v in box))  # type: ignore[arg-type]
    result = structures_from_text_layer(page, [task])[0]
    assert result.source == "text-layer"
    assert cells_of(result.content) == EXPECTED


def test_drawn_table_read_by_ocr_spans_rows(engine: RapidOcrEngine) -> None:
    page, box = _rating_page()
    scan = PageImage("ratings.png", None, None, page.image)  # pixels only, as a scan
    task = RecognitionTask(0, "table", "table", tuple(int(v) for v in box))  # type: ignore[arg-type]
    recognizer = BuiltinRecognizer(engine, region_mode_max_coverage=1.0)
    result = asyncio.run(recognizer.recognize_page(scan, [task], layout_boxes=())).results[0]
    got = cells_of(result.content)
    assert [[span for _, span in row] for row in got] == [[s for _, s in r] for r in EXPECTED]
    assert [t for t, _ in got[1]][1:] == ["Company", "Buy", "up 15%"]
    assert got[4][0] == ("Sector", 2)
