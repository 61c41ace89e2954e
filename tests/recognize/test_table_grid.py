"""Table grids from synthetic line boxes (no OCR)."""

from __future__ import annotations

import re

import pymupdf

from docparse.recognize.line_order import OcrLine
from docparse.recognize.table_grid import build_grid, lines_to_table_html
from docparse.textlayer.extract import extract_page
from docparse.textlayer.pieces import pieces_in_box

H = 20.0  # line height in pixels
CHAR_W = 10.0


def cell(text: str, x: float, y: float) -> OcrLine:
    """A line box starting at (x, y) whose width follows its character count."""
    return OcrLine(text, (x, y, x + CHAR_W * len(text), y + H))


def rows_of(html: str) -> list[list[tuple[str, int]]]:
    """(text, colspan) per cell, per row."""
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", html):
        cells = re.findall(r'<td(?: colspan="(\d+)")?>(.*?)</td>', row)
        out.append([(text, int(span or 1)) for span, text in cells])
    return out


def test_plain_grid_rows_and_columns() -> None:
    texts = [["Name", "Qty", "Price"], ["apple", "3", "1.20"], ["pear", "12", "0.80"]]
    lines = [
        cell(t, x, 100 + 40 * r)
        for r, row in enumerate(texts)
        for t, x in zip(row, (50, 250, 400), strict=True)
    ]
    html = lines_to_table_html(lines)
    assert html.startswith("<table><tr>") and html.endswith("</tr></table>")
    assert rows_of(html) == [[(t, 1) for t in row] for row in texts]


def test_lines_in_any_order_give_the_same_grid() -> None:
    texts = [["a1", "b1"], ["a2", "b2"], ["a3", "b3"]]
    lines = [
        cell(t, x, 10 + 40 * r)
        for r, row in enumerate(texts)
        for t, x in zip(row, (0, 200), strict=True)
    ]
    assert lines_to_table_html(lines[::-1]) == lines_to_table_html(lines)


def test_spanning_header_gets_colspan() -> None:
    lines = [
        cell("Item", 20, 10),
        # Centred over the two year columns (x 200..420).
        cell("Year Ended", 260, 10),
        cell("2024", 200, 50),
        cell("2023", 380, 50),
        cell("Revenue", 20, 90),
        cell("1,200", 200, 90),
        cell("1,050", 380, 90),
        cell("Cost", 20, 130),
        cell("700", 200, 130),
        cell("650", 380, 130),
    ]
    n_cols, _ = build_grid(lines)
    assert n_cols == 3
    assert rows_of(lines_to_table_html(lines)) == [
        [("Item", 1), ("Year Ended", 2)],
        [("", 1), ("2024", 1), ("2023", 1)],
        [("Revenue", 1), ("1,200", 1), ("1,050", 1)],
        [("Cost", 1), ("700", 1), ("650", 1)],
    ]


def test_two_cells_read_as_one_line_are_split_at_the_gutter() -> None:
    # The OCR merged "10 20" of row 2 into one box crossing the gutter at x 260..300.
    lines = [
        cell("alpha", 200, 10),
        cell("beta", 300, 10),
        cell("gamma", 200, 50),
        cell("delta", 300, 50),
        OcrLine("10 20", (200, 90, 350, 110)),
    ]
    assert rows_of(lines_to_table_html(lines))[2] == [("10", 1), ("20", 1)]


def test_wrapped_cell_continuation_is_merged_into_its_row() -> None:
    lines = [
        cell("Name", 0, 0),
        cell("Note", 300, 0),
        cell("first", 0, 60),
        cell("a long remark that", 300, 60),
        cell("wraps here", 300, 82),
        cell("second", 0, 140),
        cell("short", 300, 140),
        cell("third", 0, 200),
        cell("fine", 300, 200),
    ]
    assert rows_of(lines_to_table_html(lines)) == [
        [("Name", 1), ("Note", 1)],
        [("first", 1), ("a long remark that wraps here", 1)],
        [("second", 1), ("short", 1)],
        [("third", 1), ("fine", 1)],
    ]


def test_empty_cells_are_padded_and_text_is_escaped() -> None:
    lines = [
        cell("A", 0, 0),
        cell("B", 100, 0),
        cell("C", 200, 0),
        cell("x<y & z", 0, 40),
        cell("end", 200, 40),
    ]
    assert rows_of(lines_to_table_html(lines)) == [
        [("A", 1), ("B", 1), ("C", 1)],
        [("x&lt;y &amp; z", 1), ("", 1), ("end", 1)],
    ]


def test_no_lines_no_table() -> None:
    assert lines_to_table_html([]) == ""
    assert lines_to_table_html([OcrLine("  ", (0, 0, 10, 10))]) == ""


def test_currency_columns_fold_into_amounts_and_centred_heading_spans() -> None:
    # Shaped like a 10-K table: "$" printed flush left of right-aligned amounts, and a lone
    # "Year Ended" centred above both year columns.
    lines = [
        cell("Year Ended", 300, 0),
        cell("2025", 250, 30),
        cell("2024", 400, 30),
        cell("Revenue", 0, 60),
        cell("$", 220, 60),
        cell("178", 270, 60),
        cell("$", 370, 60),
        cell("141", 420, 60),
        cell("Cost", 0, 90),
        cell("3,423", 250, 90),
        cell("2,532", 400, 90),
    ]
    n_cols, _ = build_grid(lines)
    assert n_cols == 3
    assert rows_of(lines_to_table_html(lines)) == [
        [("", 1), ("Year Ended", 2)],
        [("", 1), ("2025", 1), ("2024", 1)],
        [("Revenue", 1), ("$ 178", 1), ("$ 141", 1)],
        [("Cost", 1), ("3,423", 1), ("2,532", 1)],
    ]


def test_a_header_set_left_over_right_aligned_numbers_is_their_column() -> None:
    # A spreadsheet export: "Year" set left in its cell, the years right-aligned under it,
    # overlapping nothing of it; "Freshwater Ducks" over its counts.
    lines = [cell("Year", 0, 0), cell("Freshwater Ducks", 160, 0)]
    for r, (year, count) in enumerate((("2019", "120"), ("2020", "135"), ("2021", "150"))):
        lines += [cell(year, 80, 30 * (r + 1)), cell(count, 280, 30 * (r + 1))]
    assert rows_of(lines_to_table_html(lines)) == [
        [("Year", 1), ("Freshwater Ducks", 1)], [("2019", 1), ("120", 1)],
        [("2020", 1), ("135", 1)], [("2021", 1), ("150", 1)]]
    # A column that holds text in the header row and below is its own column.
    lines += [cell("2018", 0, 120), cell("99", 280, 120)]
    assert [len(row) for row in rows_of(lines_to_table_html(lines))] == [3, 3, 3, 3, 3]


def test_stacked_row_with_centred_key_cells_is_one_row() -> None:
    # Shaped like a results table (2305.03393 p.9): each configuration prints its two
    # variants as stacked lines ("OTSL" over "HTML", values likewise) with the key cells
    # centred between them, every line at the same pitch. The lower line continues the row.
    lines = [
        cell("enc", 0, 0),
        cell("Lang", 100, 0),
        cell("TEDs", 200, 0),
        cell("OTSL", 100, 22),
        cell("0.965", 200, 22),
        OcrLine("6", (10, 33, 20, 53)),
        cell("HTML", 100, 44),
        cell("0.969", 200, 44),
        cell("OTSL", 100, 66),
        cell("0.938", 200, 66),
        OcrLine("4", (10, 77, 20, 97)),
        cell("HTML", 100, 88),
        cell("0.952", 200, 88),
    ]
    assert rows_of(lines_to_table_html(lines)) == [
        [("enc", 1), ("Lang", 1), ("TEDs", 1)],
        [("6", 1), ("OTSL HTML", 1), ("0.965 0.969", 1)],
        [("4", 1), ("OTSL HTML", 1), ("0.938 0.952", 1)],
    ]


def test_sub_rows_under_a_top_aligned_group_label_stay_rows() -> None:
    # A group label printed on its first sub-row (not centred) is a rowspan: "B" is a row.
    lines = [
        cell("Model", 0, 0),
        cell("Data", 100, 0),
        cell("Acc", 200, 0),
        cell("BERT", 0, 22),
        cell("A", 100, 22),
        cell("0.9", 200, 22),
        cell("B", 100, 44),
        cell("0.8", 200, 44),
        cell("GPT", 0, 66),
        cell("A", 100, 66),
        cell("0.7", 200, 66),
    ]
    assert rows_of(lines_to_table_html(lines)) == [
        [("Model", 1), ("Data", 1), ("Acc", 1)],
        [("BERT", 1), ("A", 1), ("0.9", 1)],
        [("", 1), ("B", 1), ("0.8", 1)],
        [("GPT", 1), ("A", 1), ("0.7", 1)],
    ]


def test_cell_between_two_rows_joins_its_rows() -> None:
    # "4" is vertically centred between the OTSL and HTML lines: one row of stacked lines.
    lines = [
        cell("OTSL", 100, 0),
        cell("0.93", 200, 0),
        OcrLine("4", (10, 15, 20, 31)),
        cell("HTML", 100, 26),
        cell("0.95", 200, 26),
    ]
    assert rows_of(lines_to_table_html(lines)) == [
        [("4", 1), ("OTSL HTML", 1), ("0.93 0.95", 1)],
    ]


def test_stacked_rows_of_a_generated_pdf_table_join_their_key_row() -> None:
    # Born-digital: a PDF table whose groups print two stacked variants at line pitch with
    # the key cells vertically centred between them, read from the page's own characters.
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 100), "Layers", fontsize=10)
    page.insert_text((150, 100), "Language", fontsize=10)
    page.insert_text((250, 100), "Score", fontsize=10)
    groups = [("6", [("OTSL", "0.965"), ("HTML", "0.969")]), ("4", [("OTSL", "0.938"), ("HTML", "0.952")]),
              ("2", [("OTSL", "0.923"), ("HTML", "0.945")])]
    y = 113.0
    for key, variants in groups:
        page.insert_text((80, y + 6.5), key, fontsize=10)  # centred between its two lines
        for lang, score in variants:
            page.insert_text((150, y), lang, fontsize=10)
            page.insert_text((250, y), score, fontsize=10)
            y += 13
    layer = extract_page(page, 2.0)
    lines = [OcrLine(text, box) for text, box in pieces_in_box(layer, (0, 0, 1190, 1684))]
    assert rows_of(lines_to_table_html(lines)) == [
        [("Layers", 1), ("Language", 1), ("Score", 1)],
        [("6", 1), ("OTSL HTML", 1), ("0.965 0.969", 1)],
        [("4", 1), ("OTSL HTML", 1), ("0.938 0.952", 1)],
        [("2", 1), ("OTSL HTML", 1), ("0.923 0.945", 1)],
    ]


def test_group_headings_span_their_columns_and_column_headings_span_both_header_rows() -> None:
    # Shaped like a results table (DiscoveryWorld Table 5): agents over metric columns, a
    # narrow "ReACT" centred over its two beside a wide "Plan+Execute" over the next two;
    # "#" and "Topic" sit in the lower header row with nothing above them.
    lines = [
        cell("ReACT", 285, 0),
        cell("Plan+Execute", 450, 0),
        cell("#", 0, 30), cell("Topic", 50, 30), cell("Proc", 250, 30), cell("Comp", 330, 30),
        cell("Proc", 450, 30), cell("Comp", 530, 30),
        cell("25", 0, 60), cell("Multi-turn dialog", 50, 60), cell("1.00", 250, 60),
        cell("0.50", 330, 60), cell("0.87", 450, 60), cell("0.60", 530, 60),
        cell("26", 0, 90), cell("Measure an object", 50, 90), cell("0.73", 250, 90),
        cell("0.40", 330, 90), cell("1.00", 450, 90), cell("0.20", 530, 90),
    ]
    html = lines_to_table_html(lines)
    head = re.findall(r"<tr>(.*?)</tr>", html)[:2]
    assert head[0] == ('<td rowspan="2">#</td><td rowspan="2">Topic</td>'
                       '<td colspan="2">ReACT</td><td colspan="2">Plan+Execute</td>')
    assert head[1] == "<td>Proc</td><td>Comp</td><td>Proc</td><td>Comp</td>"
    assert "<tr><td>25</td><td>Multi-turn dialog</td><td>1.00</td>" in html


def test_a_row_label_under_a_spanning_heading_stays_in_the_body() -> None:
    # "Year Ended" over the amounts, then data at once: "Revenue" is not a heading.
    lines = [cell("Year Ended", 260, 0),
             cell("Revenue", 0, 30), cell("178", 250, 30), cell("141", 400, 30),
             cell("Cost", 0, 60), cell("3,423", 250, 60), cell("2,532", 400, 60)]
    assert 'rowspan' not in lines_to_table_html(lines)


def test_a_checkbox_matrix_keeps_its_first_row_in_the_body() -> None:
    # Headings over the two mark columns only, then a mark in each column row after row:
    # the first group label is a body row, not a heading spanning the header rows.
    lines = [cell("State funded", 400, 0), cell("CSOs", 550, 0)]
    groups = (("A", "Disabled", "all ages"), ("B", "Children", "under 18"), ("C", "Elderly", "over 65"))
    for i, (number, label, ages) in enumerate(groups):
        y = 30 * (i + 1)
        lines += [cell(number, 0, y), cell(label, 40, y), cell(ages, 200, y),
                  cell("*", 440, y), cell("*", 565, y)]
    html = lines_to_table_html(lines)
    assert "rowspan" not in html
    assert re.findall(r"<tr>(.*?)</tr>", html)[:2] == [
        "<td></td><td></td><td></td><td>State funded</td><td>CSOs</td>",
        "<td>A</td><td>Disabled</td><td>all ages</td><td>*</td><td>*</td>",
    ]


def test_section_rows_do_not_hide_the_columns_they_cross() -> None:
    # Section labels ("Proteomics", "Chemistry") run across the "#" and "Topic" columns of
    # the rows under them: together they hid the gutter between those columns.
    body = [("1", "Easy", "0.87", "0.20"), ("2", "Normal", "0.88", "0.40"),
            ("3", "Challenge", "0.88", "0.40")]
    lines = [cell(t, x, 0) for t, x in zip(("#", "Topic", "Proc", "Comp"), (0, 40, 250, 350),
                                            strict=True)]
    y = 30.0
    for section in ("Proteomics", "Chemistry"):
        lines.append(cell(section, 0, y))
        y += 30
        for row in body:
            lines += [cell(t, x, y) for t, x in zip(row, (0, 40, 250, 350), strict=True)]
            y += 30
    # ... and so does the label of a summary row under them.
    lines += [cell("Avg all", 0, y), cell("0.88", 250, y), cell("0.33", 350, y)]
    n_cols, cells = build_grid(lines)
    assert n_cols == 4
    assert [(c.col, c.text) for c in cells if c.row == 2] == [
        (0, "1"), (1, "Easy"), (2, "0.87"), (3, "0.20")]
    assert [(c.col, c.colspan) for c in cells if c.text == "Proteomics"] == [(0, 2)]
    assert [(c.col, c.text) for c in cells if c.row == 9][-2:] == [(2, "0.88"), (3, "0.33")]
    # The labels are whole cells over the columns they cross, not split at a space.
    assert [(c.col, c.colspan, c.text) for c in cells if c.col == 0 and c.colspan > 1] == [
        (0, 2, "Proteomics"), (0, 2, "Chemistry"), (0, 2, "Avg all")]


def test_prose_with_inline_math_called_a_table_gives_a_finite_grid() -> None:
    """Text-layer pieces of a LaTeX paragraph with inline math and a list (a box the small
    layout model called a table; tests/recognize/data). The grid steps once left two cells
    zero columns wide, and the HTML writer then never left the row (memory ran out)."""
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent / "data" / "prose_with_inline_math_lines.json").read_text())
    lines = [OcrLine(text, tuple(box)) for text, box in data]
    n_cols, cells = build_grid(lines)
    assert all(c.colspan >= 1 and c.col + c.colspan <= n_cols for c in cells)
    html = lines_to_table_html(lines)
    for word in ("converges", "surely,", "convex.", "Each"):
        assert word in html


def test_a_right_to_left_table_lists_its_rightmost_column_first() -> None:
    # Hebrew: "name" | "amount" headers over two rows; the first column is on the right.
    lines = [cell("שם", 400, 0), cell("סכום", 100, 0),
             cell("דוד", 400, 40), cell("120", 100, 40),
             cell("שרה", 400, 80), cell("75", 100, 80)]
    assert rows_of(lines_to_table_html(lines)) == [
        [("שם", 1), ("סכום", 1)], [("דוד", 1), ("120", 1)], [("שרה", 1), ("75", 1)]]
    # The same positions in Latin script read left to right, as before.
    latin = [cell("Amount", 100, 0), cell("Name", 400, 0), cell("120", 100, 40),
             cell("David", 400, 40), cell("75", 100, 80), cell("Sarah", 400, 80)]
    assert rows_of(lines_to_table_html(latin))[0] == [("Amount", 1), ("Name", 1)]


def test_right_to_left_pieces_keep_their_word_spaces_and_split_at_cell_gaps() -> None:
    from pathlib import Path

    import pytest

    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not dejavu.exists():
        pytest.skip(f"needs a Hebrew font at {dejavu}")
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=300)
    archive = pymupdf.Archive(str(dejavu.parent))
    css = f"@font-face {{font-family: dv; src: url({dejavu.name});}} p {{font-family: dv}}"
    # Two cells of one row, the first on the right, each of several words.
    page.insert_htmlbox(pymupdf.Rect(330, 100, 560, 130), "<p dir='rtl'>שם המוצר המלא</p>",
                        css=css, archive=archive)
    page.insert_htmlbox(pymupdf.Rect(40, 100, 250, 130), "<p dir='rtl'>מחיר ליחידה</p>",
                        css=css, archive=archive)
    layer = extract_page(page, 1.0)
    pieces = sorted(pieces_in_box(layer, (0, 0, 600, 300)), key=lambda p: -p[1][0])
    assert [text for text, _ in pieces] == ["שם המוצר המלא", "מחיר ליחידה"]


def test_a_description_wrapping_at_line_spacing_stays_in_its_cell() -> None:
    # Rows at line spacing (a table ruled at its header and foot only): a description wraps
    # onto lines of its own, each starting lower case under the line above, whose first
    # word would not have fitted at that line's end.
    lines = [
        cell("Item", 0, 0), cell("Description", 100, 0), cell("Price", 520, 0),
        cell("Pen", 0, 24), cell("A long description that wraps onto a", 100, 24),
        cell("5.50", 520, 24),
        cell("second line in its cell", 100, 48),
        cell("Ink", 0, 72), cell("Short text", 100, 72), cell("3.10", 520, 72),
        cell("Pad", 0, 96), cell("Short text", 100, 96), cell("2.00", 520, 96),
    ]
    assert rows_of(lines_to_table_html(lines)) == [
        [("Item", 1), ("Description", 1), ("Price", 1)],
        [("Pen", 1), ("A long description that wraps onto a second line in its cell", 1),
         ("5.50", 1)],
        [("Ink", 1), ("Short text", 1), ("3.10", 1)],
        [("Pad", 1), ("Short text", 1), ("2.00", 1)],
    ]


def test_cells_wrapping_side_by_side_stay_in_their_row() -> None:
    # ICDAR 2013 us-032: rows at line spacing, two text columns wrapping together; the
    # wrapped lines leave the first column empty and each starts in lower case under the
    # line above it, where that line had no room left for its first word. A row whose first
    # column is filled, or whose cells start capitalised, is a row.
    lines = [
        cell("Source", 0, 0), cell("Definition", 100, 0), cell("Examples", 460, 0),
        cell("Major", 0, 24), cell("Emissions of ten tons per", 100, 24),
        cell("Utilities, steel", 460, 24),
        cell("year or more of air toxics", 100, 48), cell("manufacturers", 460, 48),
        cell("Area", 0, 72), cell("Emissions of less than ten", 100, 72),
        cell("Dry cleaners, gas", 460, 72),
        cell("tons per year", 100, 96), cell("stations", 460, 96),
        cell("Mobile", 0, 120), cell("Cars and trucks", 100, 120), cell("Buses", 460, 120),
        cell("Boats and tractors", 100, 144), cell("Lawn mowers", 460, 144),
        cell("Fixed", 0, 168), cell("yes", 100, 168), cell("no", 460, 168),
        cell("no", 100, 192), cell("yes", 460, 192),
    ]
    assert [[t for t, _ in row] for row in rows_of(lines_to_table_html(lines))] == [
        ["Source", "Definition", "Examples"],
        ["Major", "Emissions of ten tons per year or more of air toxics",
         "Utilities, steel manufacturers"],
        ["Area", "Emissions of less than ten tons per year", "Dry cleaners, gas stations"],
        ["Mobile", "Cars and trucks", "Buses"],
        ["", "Boats and tractors", "Lawn mowers"],
        ["Fixed", "yes", "no"],
        ["", "no", "yes"],  # lower-case values with room to spare above: a row
    ]


def test_a_short_line_or_a_capitalised_one_under_a_cell_is_a_row() -> None:
    # "apple" ended early (a sub-row under a group label), "Banana" starts a new entry, and
    # a question ended its sentence at the end of the line.
    for first, second in (("apple", "banana"), ("A long description that wraps onto a",
                                                "Banana split"),
                          ("Does it rhyme at the end of the lines?", "repeats words")):
        lines = [
            cell("Group", 0, 0), cell("Entry", 100, 0), cell("Price", 520, 0),
            cell("Fruit", 0, 24), cell(first, 100, 24), cell("1.00", 520, 24),
            cell(second, 100, 48),
            cell("Nuts", 0, 72), cell("pecan", 100, 72), cell("3.10", 520, 72),
        ]
        assert len(rows_of(lines_to_table_html(lines))) == 4, first


def test_a_rule_under_a_full_line_keeps_the_next_line_a_row() -> None:
    from docparse.recognize.table_rules import TableRules

    lines = [
        cell("Question", 0, 0), cell("A", 480, 0), cell("B", 520, 0),
        cell("has rhyming words at the very end of all its", 0, 24),
        cell("repeats words or phrases", 0, 48),
        cell("is about sport", 0, 72),
    ]
    rules = TableRules(lines=((0.0, 46.0, 560.0, 46.0),))  # under the first question only
    assert len(rows_of(lines_to_table_html(lines, rules))) == 4
    assert len(rows_of(lines_to_table_html(lines))) == 3  # unruled, it wrapped


def test_row_rules_stopping_short_of_the_stub_column_keep_its_labels_apart() -> None:
    from docparse.recognize.table_rules import TableRules

    # ICDAR 2013 us-009: rules under the header across the table, then between the value
    # rows only; each capitalised label level with its row is its own row's stub, not one
    # tall cell running down beside them (a tall cell's wrapped lines, in lower case, still
    # span its rows: test_table_rules.test_unruled_columns_span_the_rows_the_rules_separate_elsewhere).
    labels = ["Salaries", "Fringe Benefits", "Consultants", "Staff Travel"]
    lines = [cell("Category", 0, 0), cell("Total", 300, 0), cell("Direct", 450, 0)]
    lines += [c for i, label in enumerate(labels)
              for c in (cell(label, 0, 40 + 30 * i), cell(f"{i + 1},000", 300, 40 + 30 * i),
                        cell(f"{i + 5}00", 450, 40 + 30 * i))]
    rules = TableRules(lines=((0.0, 34.0, 560.0, 34.0),
                              *((290.0, 65.0 + 30 * i, 560.0, 65.0 + 30 * i) for i in range(4))))
    assert [[t for t, _ in row] for row in rows_of(lines_to_table_html(lines, rules))] == [
        ["Category", "Total", "Direct"],
        *[[label, f"{i + 1},000", f"{i + 5}00"] for i, label in enumerate(labels)]]


def test_a_heading_centred_over_narrow_columns_spans_all_of_them() -> None:
    # ICDAR 2013 us-019: "Lead time (years)" centred over ten narrow columns crosses only the
    # gutters in its middle; it heads all ten.
    xs = [300 + 60 * k for k in range(10)]
    lines = [cell("Statistic", 0, 0), cell("Lead time (years)", 485, 0)]
    lines += [cell(str(k + 1), x, 30) for k, x in enumerate(xs)]
    for r, label in enumerate(("Enrollment", "Graduates", "Expenditures")):
        lines.append(cell(label, 0, 60 + 30 * r))
        lines += [cell(f"{r}.{k}", x, 60 + 30 * r) for k, x in enumerate(xs)]
    html = lines_to_table_html(lines)
    assert re.findall(r"<tr>(.*?)</tr>", html)[0].endswith('<td colspan="10">Lead time (years)</td>')


def test_a_group_heading_over_section_rows_spans_the_columns_they_hid() -> None:
    # ICDAR 2013 us-019 (table A-3): "Year of data" over four years, and section rows
    # ("Enrollment, in thousands") centred over the years between the body rows: with the
    # section rows out, the heading alone stood over the gutter between two years, and made
    # a column of its own. Each section row spans the years it is centred over.
    xs = (400, 600, 800, 1000)
    lines = [cell("Source", 0, 0), cell("Year of data", 675, -30)]
    lines += [cell(f"20{7 + k:02d}–{8 + k:02d}", x, 0) for k, x in enumerate(xs)]
    y = 30.0
    for section in ("Enrollment, in thousands", "Projected enrollment, in thousands"):
        lines.append(cell(section, 735 - 5 * len(section), y))
        y += 30
        for edition in ("Projections to 2017", "Projections to 2018"):
            lines.append(cell(edition, 0, y))
            lines += [cell("49,644", x, y) for x in xs]
            y += 30
    n_cols, cells = build_grid(lines)
    assert n_cols == 5
    assert [(c.col, c.colspan, c.text) for c in cells if c.colspan > 1] == [
        (1, 4, "Year of data"), (1, 4, "Enrollment, in thousands"),
        (1, 4, "Projected enrollment, in thousands")]
    assert [c.col for c in cells if c.text == "2009–10"] == [3]


def test_a_total_label_set_flush_right_under_the_labels_is_in_their_column() -> None:
    # ICDAR 2013 us-029: "Total" right-aligned under left-aligned category labels, clear of
    # the longest: a column of its own, beside the labels' column with nothing in that row.
    lines = [cell("Categories", 0, 0), cell("n", 500, 0), cell("%", 600, 0)]
    for r, label in enumerate(("Intimate relationship", "Retaliation", "Academic stress")):
        lines += [cell(label, 0, 30 + 30 * r), cell(str(77 - 20 * r), 500, 30 + 30 * r),
                  cell(f"{33.9 - r:.1f}", 600, 30 + 30 * r)]
    lines += [cell("Total", 350, 120), cell("227", 500, 120), cell("100", 600, 120)]
    html = lines_to_table_html(lines)
    assert re.findall(r"<tr>(.*?)</tr>", html)[-1] == "<td>Total</td><td>227</td><td>100</td>"
    # An amount alone in a column of its own in the last row stays there.
    lines[-3] = cell("1,000", 350, 120)
    assert re.findall(r"<tr>(.*?)</tr>", lines_to_table_html(lines))[-1] == (
        "<td></td><td>1,000</td><td>227</td><td>100</td>")


def test_single_headings_each_centred_over_two_columns_span_them() -> None:
    # ICDAR 2013 eu-018 (its columns' edges): each year stands centred over its "N" and
    # "% Pos" but inside the "% Pos" column, crossing no gutter: placed in that column alone.
    from docparse.recognize.table_grid import _centre_header_spans, _Piece

    edges = [340.0, 455.0, 502.0, 572.0, 617.0, 686.0]
    years = [OcrLine("2007", (490.0, 0.0, 525.0, 20.0)), OcrLine("2006", (604.0, 0.0, 639.0, 20.0))]
    subs = [OcrLine(t, (x, 30.0, x + 30, 50.0)) for t, x in
            (("N", 470.0), ("% Pos", 515.0), ("N", 585.0), ("% Pos", 630.0))]
    body = [OcrLine(t, (x, 60.0, x + 30, 80.0)) for t, x in
            (("Austria", 350.0), ("109", 465.0), ("0.9", 520.0), ("93", 585.0), ("1.1", 640.0))]
    pieces = [_Piece(years[0], "2007", 2), _Piece(years[1], "2006", 4)]
    pieces += [_Piece(line, line.text, k + 1) for k, line in enumerate(subs)]
    pieces += [_Piece(line, line.text, k) for k, line in enumerate(body)]
    out = _centre_header_spans([years, subs, body], pieces, edges)
    assert [(p.text, p.col, p.colspan) for p in out[:2]] == [("2007", 1, 2), ("2006", 3, 2)]
    # One heading of the row not centred over columns of its own: none of them spans.
    years[1] = OcrLine("2006", (640.0, 0.0, 675.0, 20.0))
    pieces[1] = _Piece(years[1], "2006", 4)
    out = _centre_header_spans([years, subs, body], pieces, edges)
    assert [(p.text, p.col, p.colspan) for p in out[:2]] == [("2007", 2, 1), ("2006", 4, 1)]
    # Over a column of currency signs a year stays put (the signs fold into the amounts).
    lines = [cell("2025", 250, 0), cell("2024", 400, 0), cell("Revenue", 0, 30),
             cell("$", 220, 30), cell("178", 270, 30), cell("$", 370, 30), cell("141", 420, 30),
             cell("Cost", 0, 60), cell("$", 220, 60), cell("3,423", 250, 60), cell("$", 370, 60),
             cell("2,532", 400, 60)]
    assert rows_of(lines_to_table_html(lines))[0] == [("", 1), ("2025", 1), ("2024", 1)]


def test_header_cells_wrapping_bottom_aligned_over_a_rule_are_one_row() -> None:
    # ICDAR 2013 us-020: header cells of two to four lines, set bottom-aligned at line
    # spacing above the rule under the header; the body's rows are as close. One header row.
    from docparse.recognize.table_rules import TableRules

    heads = [["Education system"], ["Percentage of", "international", "desired population", "coverage"],
             ["National desired", "population overall", "exclusion rate"], ["Weighted student", "response rate"]]
    xs = (0, 250, 450, 650)
    lines = []
    for x, head in zip(xs, heads, strict=True):
        lines += [cell(text, x, 100 - 22 * (len(head) - 1 - k)) for k, text in enumerate(head)]
    for r, row in enumerate((("Australia", "100", "4", "95"), ("Austria", "100", "5", "98"),
                             ("Azerbaijan", "100", "7", "100"), ("Bulgaria", "100", "3", "95"))):
        lines += [cell(t, x, 130 + 22 * r) for t, x in zip(row, xs, strict=True)]
    rules = TableRules(lines=((0.0, 30.0, 850.0, 30.0), (0.0, 125.0, 850.0, 125.0),
                              (0.0, 222.0, 850.0, 222.0)))
    assert rows_of(lines_to_table_html(lines, rules))[:2] == [
        [("Education system", 1), ("Percentage of international desired population coverage", 1),
         ("National desired population overall exclusion rate", 1), ("Weighted student response rate", 1)],
        [("Australia", 1), ("100", 1), ("4", 1), ("95", 1)]]
    # Without the rule under the header nothing tells its lines from rows.
    assert len(rows_of(lines_to_table_html(lines))) > 5
    # A rule under the first body row (a survey's summary row): its amounts are no header line.
    lines = [cell(t, x, 100) for t, x in zip(("Summary", "Always", "Often", "Never"), xs, strict=True)]
    for r, row in enumerate((("Groceries", "1", "19", "62"), ("Banking", "4", "12", "7"),
                             ("Travel", "3", "8", "11"), ("Health", "2", "9", "5"))):
        lines += [cell(t, x, 122 + 22 * r + (6 if r else 0)) for t, x in zip(row, xs, strict=True)]
    rules = TableRules(lines=((0.0, 90.0, 850.0, 90.0), (0.0, 145.0, 850.0, 145.0)))
    assert rows_of(lines_to_table_html(lines, rules))[:2] == [
        [("Summary", 1), ("Always", 1), ("Often", 1), ("Never", 1)],
        [("Groceries", 1), ("1", 1), ("19", 1), ("62", 1)]]


def test_a_group_heading_over_a_rule_ruled_header_stays_its_own_row() -> None:
    # olmOCR crazy tables: "ReACT" centred over "Procedure" and "Completion", above the rule
    # under the header; it lines up with neither, so it is no line of their cells.
    from docparse.recognize.table_rules import TableRules

    lines = [cell("ReACT", 325, 0), cell("#", 0, 25), cell("Topic", 50, 25),
             cell("Procedure", 250, 25), cell("Completion", 380, 25)]
    for r in range(4):
        lines += [cell(str(r + 1), 0, 55 + 25 * r), cell(f"Topic {r}", 50, 55 + 25 * r),
                  cell("0.87", 250, 55 + 25 * r), cell("0.20", 380, 55 + 25 * r)]
    rules = TableRules(lines=((0.0, 50.0, 500.0, 50.0), (0.0, 155.0, 500.0, 155.0)))
    head = rows_of(lines_to_table_html(lines, rules))[:2]
    assert [t for t, _ in head[0] if t][-1] == "ReACT"
    assert [t for t, _ in head[1] if t] == ["Procedure", "Completion"]


def _grouped_table() -> list[OcrLine]:
    """A scientific table's header: "% Recovery ± RSD" set flush left over three method
    columns, reaching into the second; names and values beneath it, a stub column left."""
    lines = [cell("Compound", 0, 0), cell("% Recovery ± RSD", 200, 0),
             cell("Soxtec", 200, 40), cell("Soxhlet", 340, 40), cell("PLE", 500, 40)]
    for r, name in enumerate(("NAP", "ACY", "ACE")):
        y = 80 + 30 * r
        lines += [cell(name, 0, y), cell("68.3 ± 19.7", 200, y), cell("65.6 ± 1.4", 340, y),
                  cell("60.0 ± 8.2", 500, y)]
    return lines


def test_a_heading_over_a_partial_rule_spans_the_columns_it_covers() -> None:
    # Its text reaches into the second column only; the rule under it (LaTeX's \cmidrule)
    # runs over all three method columns. The full rule under the names ends the header.
    from docparse.recognize.table_rules import TableRules

    rules = TableRules(lines=((200.0, 30.0, 610.0, 30.0), (0.0, 70.0, 610.0, 70.0)))
    html = lines_to_table_html(_grouped_table(), rules)
    assert html.startswith('<table><tr><td rowspan="2">Compound</td>'
                           '<td colspan="3">% Recovery ± RSD</td></tr>'
                           '<tr><td>Soxtec</td><td>Soxhlet</td><td>PLE</td></tr>')
    # Without the rule, its width alone gives it the two columns it crosses.
    assert '<td colspan="2">% Recovery ± RSD</td><td></td>' in lines_to_table_html(_grouped_table())


def test_a_partial_rule_spans_nothing_below_the_header_or_under_two_headings() -> None:
    from docparse.recognize.table_rules import TableRules

    # Under the values, above a total: the header ended at the full rule.
    lines = [cell("Item", 0, 0), cell("Q1", 200, 0), cell("Q2", 360, 0), cell("Q3", 520, 0)]
    lines += [cell("Apples", 0, 40), cell("12", 200, 40), cell("14", 360, 40), cell("9", 520, 40)]
    lines += [cell("Pears and quinces", 0, 80), cell("3", 200, 80), cell("5", 360, 80),
              cell("7", 520, 80)]
    rules = TableRules(lines=((0.0, 30.0, 630.0, 30.0), (180.0, 70.0, 630.0, 70.0)))
    assert all(span == 1 for row in rows_of(lines_to_table_html(lines, rules)) for _, span in row)
    # Two headings over one rule: the rule is no single heading's underline.
    two = [cell("Stub", 0, 0), cell("2019", 200, 0), cell("2020", 520, 0),
           cell("N", 200, 40), cell("%", 360, 40), cell("N", 520, 40), cell("x", 0, 80),
           cell("1", 200, 80), cell("2", 360, 80), cell("3", 520, 80)]
    rules = TableRules(lines=((200.0, 30.0, 630.0, 30.0), (0.0, 70.0, 630.0, 70.0)))
    head = rows_of(lines_to_table_html(two, rules))[0]
    assert ("2019", 1) in head and ("2020", 1) in head


def test_a_heading_in_a_column_of_its_own_over_a_partial_rule_adds_no_column() -> None:
    # "Grade" centred over grades 7 to 12 stands in the gap between "9" and "10", a column
    # of its own: it is folded into the grade columns, and the rule under it adds no column.
    from docparse.recognize.table_rules import TableRules

    xs = (150, 230, 310, 430, 510, 590)
    lines = [cell("Year", 0, 0), cell("Grade", 355, 0)]
    lines += [cell(g, x, 40) for g, x in zip(("7", "8", "9", "10", "11", "12"), xs, strict=True)]
    for r, year in enumerate(("1996", "1997", "1998")):
        lines += [cell(year, 0, 80 + 30 * r)]
        lines += [cell("464", x, 80 + 30 * r) for x in xs]
    rules = TableRules(lines=((150.0, 30.0, 640.0, 30.0), (0.0, 70.0, 640.0, 70.0)))
    rows = rows_of(lines_to_table_html(lines, rules))
    assert rows[-1] == [("1998", 1)] + [("464", 1)] * 6
    assert "Grade" in [t for t, _ in rows[0]]
