"""Cells of fully ruled tables: the rules' rectangles, and the grid built from them."""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import numpy as np
import pymupdf

from docparse.geometry import Box
from docparse.recognize import RecognitionTask
from docparse.recognize.builtin import BuiltinRecognizer, structures_from_text_layer
from docparse.recognize.builtin_engine import RapidOcrEngine
from docparse.recognize.line_order import OcrLine
from docparse.recognize.table_grid import build_grid, lines_to_table_html
from docparse.recognize.table_lattice import find_lattice
from docparse.recognize.table_rules import TableRules, find_rules
from docparse.sources import PageImage
from docparse.textlayer.extract import extract_page

MU: Any = pymupdf
H = 20.0


def hline(y: float, x0: float, x1: float) -> Box:
    return (x0, y, x1, y)


def vline(x: float, y0: float, y1: float) -> Box:
    return (x, y0, x, y1)


def grid_rules(xs: list[float], ys: list[float]) -> TableRules:
    """Every row and column boundary ruled from edge to edge."""
    return TableRules(
        lines=tuple(hline(y, xs[0], xs[-1]) for y in ys),
        verticals=tuple(vline(x, ys[0], ys[-1]) for x in xs),
    )


def spans(rules: TableRules) -> list[tuple[int, int, int, int]]:
    lattice = find_lattice(rules, unit=H)
    assert lattice is not None
    return [(c.row, c.col, c.rowspan, c.colspan) for c in lattice.cells]


# ---------------------------------------------------------------------------------------
# The lattice


def test_a_full_grid_is_its_cells() -> None:
    rules = grid_rules([0, 200, 400], [0, 40, 80, 120])
    assert spans(rules) == [(r, c, 1, 1) for r in range(3) for c in range(2)]


def test_a_missing_rule_segment_merges_the_cells_beside_it() -> None:
    rules = TableRules(
        lines=(*(hline(y, 0, 300) for y in (0, 40, 120)),
               hline(80, 0, 100), hline(80, 200, 300)),  # no rule under the middle column's row 1
        verticals=(vline(0, 0, 120), vline(300, 0, 120),
                   vline(100, 40, 120), vline(200, 40, 120)),  # the header row is one cell
    )
    assert spans(rules) == [(0, 0, 1, 3),
                            (1, 0, 1, 1), (1, 1, 2, 1), (1, 2, 1, 1),
                            (2, 0, 1, 1), (2, 2, 1, 1)]


def test_rules_inside_a_cell_stay_inside_it() -> None:
    # A nested table in the lower right cell, a strikethrough in the upper left one.
    rules = grid_rules([0, 200, 400], [0, 40, 160])
    inner = TableRules(
        lines=(*rules.lines, hline(20, 20, 120),
               *(hline(y, 215, 385) for y in (60, 100, 140))),
        verticals=(*rules.verticals, *(vline(x, 60, 140) for x in (215, 300, 385))),
    )
    assert spans(inner) == spans(rules)


def test_open_sides_with_column_rules_are_a_lattice() -> None:
    # Ruled above and below every row, columns ruled between them, no rule at the sides.
    rules = TableRules(lines=tuple(hline(y, 0, 400) for y in (0, 40, 80)),
                       verticals=(vline(150, 0, 80),))
    assert spans(rules) == [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)]


def test_rules_between_rows_only_are_no_lattice() -> None:
    booktabs = TableRules(lines=tuple(hline(y, 0, 400) for y in (0, 40, 200)))
    assert find_lattice(booktabs, unit=H) is None
    # Nor is a frame around a table whose columns are not ruled, nor three sides of one.
    framed = TableRules(lines=(hline(0, 0, 400), hline(40, 0, 400), hline(200, 0, 400)),
                        verticals=(vline(0, 0, 200), vline(400, 0, 200)))
    assert spans(framed) == [(0, 0, 1, 1), (1, 0, 1, 1)]
    no_bottom = TableRules(lines=(hline(0, 0, 400), hline(40, 0, 400)),
                           verticals=(vline(0, 0, 200), vline(200, 0, 200), vline(400, 0, 200)))
    assert find_lattice(no_bottom, unit=H) is not None  # the header row alone is ruled
    assert find_lattice(TableRules(lines=(hline(0, 0, 400),), verticals=(vline(0, 0, 99),)),
                        unit=H) is None


def test_a_fill_edge_closes_a_cell_as_a_rule_does() -> None:
    # A coloured header row: its top is a fill's edge, not a drawn rule.
    rules = TableRules(lines=(hline(40, 0, 400), hline(80, 0, 400)),
                       band_edges=(hline(0, 0, 400),),
                       verticals=(vline(200, 0, 80),))
    assert spans(rules) == [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)]


def test_row_rules_running_past_the_side_rule_open_no_column() -> None:
    # A scanned table with a shadowed border: the row rules run 5 px past the right side's
    # rule. Those pixels are no column, and a stroke reaching into them no row.
    rules = grid_rules([0, 200, 400], [0, 40, 80])
    overshoot = TableRules(
        lines=(*(hline(y, 0, 405) for y in (0, 40, 80)), hline(20, 300, 405)),
        verticals=rules.verticals)
    assert spans(overshoot) == spans(rules)
    lattice = find_lattice(overshoot, unit=H)
    assert lattice is not None and lattice.frame[2] == 400


def test_rules_through_the_middle_of_a_text_line_cut_no_row() -> None:
    # A grey header row on a scan: its noise reads as runs of ink through the letters.
    lines = [line("Birthday Money", 100, 10), line("Value", 10, 50), line("Count", 210, 50),
             line("$5", 10, 90), line("5", 210, 90)]
    rules = grid_rules([0, 200, 400], [0, 40, 80, 120])
    noisy = TableRules(lines=(*rules.lines, hline(20, 0, 400), hline(58, 120, 400)),
                       verticals=(vline(0, 0, 120), vline(400, 0, 120), vline(200, 40, 120)))
    assert cells_of(lines_to_table_html(lines, noisy)) == [
        ["Birthday Money"], ["Value", "Count"], ["$5", "5"]]


# ---------------------------------------------------------------------------------------
# The grid built from it


def line(text: str, x: float, y: float) -> OcrLine:
    return OcrLine(text, (x, y, x + 10.0 * len(text), y + H))


def cells_of(html: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def test_wrapped_lines_and_lists_in_a_ruled_cell_are_one_cell() -> None:
    lines = [line("Name", 10, 5), line("Meaning", 210, 5),
             line("USAGE", 10, 45), line("Usage setting:", 210, 45),
             line("\ufffd", 220, 70), line("ALLOWED: may use", 250, 70),
             line("\ufffd", 220, 95), line("DENIED: may not", 250, 95),
             line("TYPE", 10, 125), line("Type of the", 210, 125), line("profile.", 210, 150)]
    rules = grid_rules([0, 200, 420], [0, 40, 120, 180])
    assert cells_of(lines_to_table_html(lines, rules)) == [
        ["Name", "Meaning"],
        ["USAGE", "Usage setting: \u2022 ALLOWED: may use \u2022 DENIED: may not"],
        ["TYPE", "Type of the profile."],
    ]
    # Without the rules, the word grid makes rows of the wrapped lines.
    assert len(cells_of(lines_to_table_html(lines))) > 3


def test_touching_pieces_join_without_a_space_and_empty_cells_stay() -> None:
    lines = [line("x", 10, 5), OcrLine("2", (20.0, 3.0, 26.0, 15.0)), line("H", 30, 5),
             line("a", 210, 5)]
    rules = grid_rules([0, 200, 400], [0, 40, 80])
    assert cells_of(lines_to_table_html(lines, rules)) == [["x2 H", "a"], ["", ""]]


def test_a_note_under_the_rules_is_a_row_across_the_table() -> None:
    lines = [line("a", 10, 5), line("b", 210, 5), line("c", 10, 45), line("d", 210, 45),
             line("Note: as of 2020.", 10, 90)]
    rules = grid_rules([0, 200, 400], [0, 40, 80])
    html = lines_to_table_html(lines, rules)
    assert cells_of(html) == [["a", "b"], ["c", "d"], ["Note: as of 2020."]]
    assert '<td colspan="2">Note: as of 2020.</td>' in html


def test_a_box_ruled_only_at_its_header_keeps_the_word_grid() -> None:
    # An invoice: a frame, the header row ruled into columns, the item lines unruled.
    lines = [line("Item", 10, 5), line("Qty", 210, 5), line("Sum", 310, 5),
             line("Paper", 10, 45), line("1", 210, 45), line("3 EUR", 310, 45),
             line("Ink", 10, 75), line("2", 210, 75), line("8 EUR", 310, 75)]
    rules = TableRules(
        lines=(hline(0, 0, 400), hline(40, 0, 400), hline(110, 0, 400)),
        verticals=(vline(0, 0, 110), vline(400, 0, 110), vline(200, 0, 40), vline(300, 0, 40)),
    )
    assert cells_of(lines_to_table_html(lines, rules)) == [
        ["Item", "Qty", "Sum"], ["Paper", "1", "3 EUR"], ["Ink", "2", "8 EUR"]]


def test_two_bands_of_rows_level_across_columns_keep_the_word_grid() -> None:
    # Column rules, a header rule, no rules between body rows: the body band's rows stand
    # level across the columns, so they are rows, not one cell each.
    lines = [line("Model", 10, 5), line("Acc", 210, 5),
             line("small", 10, 45), line("81.2", 210, 45),
             line("large", 10, 75), line("88.9", 210, 75)]
    rules = grid_rules([0, 200, 400], [0, 40, 110])
    assert build_grid(lines, rules) == build_grid(lines)


# ---------------------------------------------------------------------------------------
# A drawn table, read from its text layer and by OCR

COLS = (60.0, 200.0, 520.0)  # PDF points
ROWS = (100.0, 124.0, 186.0, 224.0)
CELLS = [("Term", ["Meaning"]),
         ("Usage", ["The setting that tells whether", "the user profile may use the",
                    "function."]),
         ("Type", ["User or group."])]


def _ruled_pdf() -> bytes:
    doc = MU.open()
    page = doc.new_page(width=595, height=842)
    for y in ROWS:
        page.draw_line((COLS[0], y), (COLS[-1], y), color=(0, 0, 0), width=0.8)
    for x in COLS:
        page.draw_line((x, ROWS[0]), (x, ROWS[-1]), color=(0, 0, 0), width=0.8)
    for r, (term, meaning) in enumerate(CELLS):
        page.insert_text((COLS[0] + 6, ROWS[r] + 16), term, fontsize=11)
        for i, text in enumerate(meaning):
            page.insert_text((COLS[1] + 6, ROWS[r] + 16 + 14 * i), text, fontsize=11)
    data: bytes = doc.tobytes()
    return data


def _ruled_page() -> tuple[PageImage, tuple[int, int, int, int]]:
    scale = 2.0
    with MU.open(stream=_ruled_pdf(), filetype="pdf") as doc:
        pix = doc[0].get_pixmap(matrix=MU.Matrix(scale, scale), alpha=False)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, 3).copy()
        layer = extract_page(doc[0], scale)
    box = (int(COLS[0] * scale) - 4, int(ROWS[0] * scale) - 4,
           int(COLS[-1] * scale) + 4, int(ROWS[-1] * scale) + 4)
    return PageImage("ruled.pdf", 0, 1, image, scale, text_layer=layer), box


EXPECTED = [["Term", "Meaning"],
            ["Usage", "The setting that tells whether the user profile may use the function."],
            ["Type", "User or group."]]


def test_the_page_image_shows_the_lattice() -> None:
    page, box = _ruled_page()
    lattice = find_lattice(find_rules(page.image, box, 22.0), unit=22.0)
    assert lattice is not None
    assert (lattice.n_rows, lattice.n_cols) == (3, 2)


def test_ruled_table_from_the_text_layer() -> None:
    page, box = _ruled_page()
    result = structures_from_text_layer(page, [RecognitionTask(0, "table", "table", box)])[0]
    assert result.source == "text-layer"
    assert cells_of(result.content) == EXPECTED


def test_ruled_table_read_by_ocr(engine: RapidOcrEngine) -> None:
    page, box = _ruled_page()
    scan = PageImage("ruled.png", None, None, page.image)  # pixels only, as a scan
    recognizer = BuiltinRecognizer(engine, region_mode_max_coverage=1.0)
    task = RecognitionTask(0, "table", "table", box)
    got = cells_of(asyncio.run(recognizer.recognize_page(scan, [task], layout_boxes=()))
                   .results[0].content)
    assert len(got) == 3 and [len(row) for row in got] == [2, 2, 2]
    assert got[1][0] == "Usage" and "profile may use" in got[1][1] and got[1][1].endswith("function.")


LONG = "A longer description that wraps onto more lines inside its cell as the column is narrow"


def _html_table_page(css: str, wrap: bool = False) -> tuple[PageImage, tuple[int, int, int, int]]:
    """A table laid out by MuPDF's HTML engine (borders as its CSS draws them): a header,
    then seven rows, every other one's description wrapping when ``wrap``."""
    head = "<tr><th>Item</th><th>Description</th><th>Price</th></tr>"
    rows = "".join(
        f"<tr><td>Item {i}</td><td>{LONG if wrap and i % 2 else f'Short text {i}'}</td>"
        f"<td>{3 * i}.50</td></tr>" for i in range(1, 8))
    story = MU.Story(html=f"<table>{head}{rows}</table>",
                     user_css="table {border-collapse: collapse;} td, th {padding: 3px;} " + css)
    buffer = io.BytesIO()
    writer = MU.DocumentWriter(buffer)
    device = writer.begin_page(MU.paper_rect("a4"))
    story.place(MU.Rect(50, 50, 545, 792))
    story.draw(device)
    writer.end_page()
    writer.close()
    scale = 2.0
    with MU.open(stream=buffer.getvalue(), filetype="pdf") as doc:
        pix = doc[0].get_pixmap(matrix=MU.Matrix(scale, scale), alpha=False)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, 3).copy()
        layer = extract_page(doc[0], scale)
        words = doc[0].get_text("words")
    x0, y0 = min(w[0] for w in words), min(w[1] for w in words)
    x1, y1 = max(w[2] for w in words), max(w[3] for w in words)
    box = (int(x0 * scale) - 10, int(y0 * scale) - 10, int(x1 * scale) + 10, int(y1 * scale) + 10)
    return PageImage("html.pdf", 0, 1, image, scale, text_layer=layer), box


def test_column_rules_with_unruled_body_rows_keep_the_rows() -> None:
    # Rules between the columns and under the header only: the body band's rows stand level
    # across the columns, so each is a row of its own, not one tall cell per column.
    page, box = _html_table_page(
        "td, th {border-left: 1px solid black; border-right: 1px solid black;} "
        "th {border-bottom: 1px solid black;} "
        "table {border-top: 1px solid black; border-bottom: 1px solid black;}")
    result = structures_from_text_layer(page, [RecognitionTask(0, "table", "table", box)])[0]
    got = cells_of(result.content)
    assert got[0] == ["Item", "Description", "Price"]
    assert got[1:] == [[f"Item {i}", f"Short text {i}", f"{3 * i}.50"] for i in range(1, 8)]


def test_a_table_ruled_at_its_header_and_foot_keeps_wrapped_descriptions_in_their_cells() -> None:
    # No rules between the rows: the description's wrapped lines, at line spacing like the
    # rows, are told by their start (lower case, under the line above) and by the line above
    # having had no room for their first word.
    page, box = _html_table_page(
        "td:nth-child(2) {width: 200px;} th {border-bottom: 1px solid black;} "
        "table {border-top: 1px solid black; border-bottom: 1px solid black;}", wrap=True)
    result = structures_from_text_layer(page, [RecognitionTask(0, "table", "table", box)])[0]
    got = cells_of(result.content)
    assert got[0] == ["Item", "Description", "Price"]
    assert got[1:] == [[f"Item {i}", LONG if i % 2 else f"Short text {i}", f"{3 * i}.50"]
                       for i in range(1, 8)]


def test_lists_side_by_side_in_two_ruled_bands_are_cells() -> None:
    # Two bands of two cells, each cell a bulleted list: the rows are list items, not rows.
    lines = [line(f"\u2022 R{r}C{c} item {i}", 10 + 200 * (c - 1), 5 + 60 * (r - 1) + 25 * (i - 1))
             for r in (1, 2) for c in (1, 2) for i in (1, 2)]
    rules = grid_rules([0, 200, 400], [0, 55, 115])
    assert cells_of(lines_to_table_html(lines, rules)) == [
        ["R1C1 item 1 \u2022 R1C1 item 2", "R1C2 item 1 \u2022 R1C2 item 2"],
        ["R2C1 item 1 \u2022 R2C1 item 2", "R2C2 item 1 \u2022 R2C2 item 2"],
    ]
    # Numbered rows beside prices are rows of the table, not a list in a cell.
    numbered = [line("No", 10, 5), line("Price", 210, 5),
                line("1. Pen", 10, 45), line("2.50", 210, 45),
                line("2. Ink", 10, 75), line("3.10", 210, 75)]
    assert build_grid(numbered, grid_rules([0, 200, 400], [0, 40, 110])) == build_grid(numbered)


def test_rows_ruled_apart_with_column_rules_in_the_header_only_keep_the_word_columns() -> None:
    # A report's table (ICDAR 2013 eu-016): a frame, a rule under every row, column rules in
    # the header band only. The lattice's body cells span every column; their words stand in
    # columns of their own, so the columns come from the words and the rows from the rules.
    lines = [line("Country", 10, 5), line("Share", 210, 5), line("Total", 310, 5),
             line("Austria", 10, 45), line("86.2", 210, 45), line("3,375", 310, 45),
             line("Belgium", 10, 75), line("0", 210, 75), line("3,973", 310, 75),
             line("Cyprus", 10, 105), line("81.0", 210, 105), line("158", 310, 105)]
    rules = TableRules(
        lines=tuple(hline(y, 0, 400) for y in (0, 40, 70, 100, 130)),
        verticals=(vline(0, 0, 130), vline(400, 0, 130), vline(200, 0, 40), vline(300, 0, 40)),
    )
    assert cells_of(lines_to_table_html(lines, rules)) == [
        ["Country", "Share", "Total"], ["Austria", "86.2", "3,375"],
        ["Belgium", "0", "3,973"], ["Cyprus", "81.0", "158"]]
    # No column rules at all (ICDAR 2013 eu-019: the frame's sides and a rule under each
    # row): the same.
    frame_only = TableRules(lines=rules.lines, verticals=(vline(0, 0, 130), vline(400, 0, 130)))
    assert cells_of(lines_to_table_html(lines, frame_only)) == cells_of(lines_to_table_html(lines, rules))
    # One merged cell across the columns (a group label) is a cell of the lattice still.
    group = [line("Name", 10, 5), line("Value", 210, 5), line("Group A", 10, 45),
             line("x", 10, 75), line("1", 210, 75)]
    ruled = TableRules(lines=tuple(hline(y, 0, 400) for y in (0, 40, 70, 100)),
                       verticals=(vline(0, 0, 100), vline(400, 0, 100), vline(200, 0, 40),
                                  vline(200, 70, 100)))
    assert cells_of(lines_to_table_html(group, ruled)) == [["Name", "Value"], ["Group A"], ["x", "1"]]


def test_a_drawn_table_ruled_between_rows_with_header_column_rules_reads_its_columns() -> None:
    # The same drawn in a PDF and read from its text layer and page image.
    cols, rows = (60.0, 200.0, 300.0, 400.0), [100.0 + 20.0 * i for i in range(6)]
    texts = [["Country", "Share", "Total"], ["Austria", "86.2", "3,375"],
             ["Belgium", "0", "3,973"], ["Cyprus", "81.0", "158"], ["Denmark", "3.1", "1,662"]]
    doc = MU.open()
    pdf_page = doc.new_page(width=595, height=842)
    for y in rows:
        pdf_page.draw_line((cols[0], y), (cols[-1], y), color=(0, 0, 0), width=0.5)
    for x in cols:  # the frame's sides full height, the column rules in the header only
        pdf_page.draw_line((x, rows[0]), (x, rows[-1] if x in (cols[0], cols[-1]) else rows[1]),
                           color=(0, 0, 0), width=0.5)
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            pdf_page.insert_text((cols[c] + 6, rows[r] + 14), text, fontsize=10)
    scale = 2.0
    pix = pdf_page.get_pixmap(matrix=MU.Matrix(scale, scale), alpha=False)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, 3).copy()
    page = PageImage("rows.pdf", 0, 1, image, scale, text_layer=extract_page(pdf_page, scale))
    box = (int(cols[0] * scale) - 4, int(rows[0] * scale) - 4,
           int(cols[-1] * scale) + 4, int(rows[-1] * scale) + 4)
    result = structures_from_text_layer(page, [RecognitionTask(0, "table", "table", box)])[0]
    assert cells_of(result.content) == texts


def test_columns_of_values_level_row_by_row_in_one_ruled_band_are_rows() -> None:
    # Column rules from top to bottom, row rules under the header and above the total only
    # (ICDAR 2013 eu-008): the body band's columns of short values stand level row by row,
    # so each is a row of the table, not one cell per column.
    names = ["Bulgaria", "Cyprus", "Estonia", "Latvia", "Malta", "Poland"]
    lines = [line("Country", 10, 5), line("Fund", 210, 5), line("Total", 310, 5)]
    for i, name in enumerate(names):
        lines += [line(name, 10, 45 + 25 * i), line(f"{i}.5", 210, 45 + 25 * i),
                  line(f"{i + 1}.0", 310, 45 + 25 * i)]
    lines += [line("TOTAL", 10, 205), line("15.0", 210, 205), line("21.0", 310, 205)]
    rules = grid_rules([0, 200, 300, 400], [0, 40, 200, 230])
    assert cells_of(lines_to_table_html(lines, rules)) == [
        ["Country", "Fund", "Total"],
        *[[name, f"{i}.5", f"{i + 1}.0"] for i, name in enumerate(names)],
        ["TOTAL", "15.0", "21.0"]]
    # A header's cells stacking three lines of a phrase each, level with each other, stay
    # one cell each.
    header = [line("Schools", 210, 5), line("identified", 210, 25), line("(n = 469)", 210, 45),
              line("Schools not", 450, 5), line("identified", 450, 25), line("(n = 918)", 450, 45),
              line("Low", 10, 75), line("34%", 210, 75), line("3%", 450, 75),
              line("High", 10, 105), line("2%", 210, 105), line("18%", 450, 105)]
    assert cells_of(lines_to_table_html(header, grid_rules([0, 200, 440, 680], [0, 70, 100, 130]))) == [
        ["", "Schools identified (n = 469)", "Schools not identified (n = 918)"],
        ["Low", "34%", "3%"], ["High", "2%", "18%"]]
