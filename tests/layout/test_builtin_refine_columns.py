"""Page-sized "tables" that are the page's columns of prose (built-in layout refinement).

The small CDLA model boxes a whole Federal Register page, a newspaper page or a report's
sidebar and body as one table. These tests give the refinement step OCR lines laid out like
such pages and check that the columns come out as text, in reading order, while real tables
(numbers, or terms beside their explanations) stay tables."""

from __future__ import annotations

import itertools

from docparse.layout import LayoutEvidence, Region
from docparse.layout.builtin_refine import refine_builtin
from docparse.textlayer.tables import looks_like_table, word_count

Line = tuple[str, tuple[float, float, float, float]]

WORDS = ("the committee agreed that every parcel sold under this notice remains subject to "
         "valid existing rights and to the reservations for roads and public utilities which "
         "the local governing entities have proposed in their transportation plans").split()
HAN = "财政支持茶农发展现代茶业生产建设项目县全县茶叶生产基础设施逐渐改变模样农民收入稳步增长"


def _prose_lines(x: float, y: float, width: float, rows: int, *, seed: int = 0,
                 step: float = 16.0, height: float = 14.0, cjk: bool = False) -> list[Line]:
    """Justified prose: every line runs the column's width, the last one short."""
    lines: list[Line] = []
    words = itertools.cycle(WORDS[seed:] + WORDS[:seed])
    for i in range(rows):
        if cjk:
            text = (HAN * 2)[(seed + i) % len(HAN):][:14]
        else:
            text = " ".join(next(words) for _ in range(6))
        right = x + width if i < rows - 1 else x + 0.4 * width
        lines.append((text, (x, y + i * step, right, y + i * step + height)))
    return lines


def _scan(lines: list[Line], width: float = 612, height: float = 792) -> LayoutEvidence:
    return LayoutEvidence(width=width, height=height, text_layer=None, page_has_text=False,
                          ocr_lines=tuple(lines))


def _texts(evidence: LayoutEvidence, box: tuple[float, float, float, float]) -> list[str]:
    return [t for t, b in evidence.ocr_lines or () if
            box[0] <= (b[0] + b[2]) / 2 <= box[2] and box[1] <= (b[1] + b[3]) / 2 <= box[3]]


def test_three_prose_columns_in_one_table_box_are_read_column_by_column() -> None:
    # A Federal Register page: three columns 175 px wide, gutters of 2 px between the
    # detector's padded line boxes, and one line the detector joined across a gutter (the
    # end of a left-column line and a short line of the middle column).
    columns = [_prose_lines(40 + 177 * k, 60, 175, 40, seed=5 * k) for k in range(3)]
    joined = ("permit. The BLM refers District Manager,", (40.0, 60 + 16 * 20, 300.0, 74 + 16 * 20))
    columns[0][20] = joined
    del columns[1][20]
    page = [line for column in columns for line in column]
    evidence = _scan(page)
    assert not looks_like_table(page)
    out = refine_builtin([Region("table", (38, 58, 570, 740), 0.99, 6)], evidence)
    assert {r.label for r in out} == {"text"}
    assert [r.order for r in out] == list(range(1, len(out) + 1))
    # Left to right, column by column; the joined line stays where it starts. (A line goes
    # to the smallest region that holds it, as the recogniser assigns its lines.)
    def holds(r: Region, box: tuple[float, float, float, float]) -> bool:
        return r.bbox[0] <= (box[0] + box[2]) / 2 <= r.bbox[2] and r.bbox[1] <= (box[1] + box[3]) / 2 <= r.bbox[3]

    owner = {box: min((r for r in out if holds(r, box)),
                      key=lambda r: (r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1])) for _, box in page}
    read = [box for r in out for _, box in page if owner[box] is r]
    assert read == [box for _, box in page]


def test_cjk_prose_columns_are_text_although_they_set_no_word_spaces() -> None:
    # A newspaper page: Chinese prose lines in two columns side by side. Counted in
    # space-separated tokens each line would be one short "cell" and the page a table.
    left = _prose_lines(20, 100, 180, 24, cjk=True)
    right = _prose_lines(210, 100, 180, 24, seed=7, cjk=True)
    evidence = _scan(left + right)
    out = refine_builtin([Region("table", (10, 90, 400, 500), 0.99, 6)], evidence)
    assert [r.label for r in out] == ["text", "text"]
    assert _texts(evidence, out[0].bbox) == [t for t, _ in left]
    assert _texts(evidence, out[1].bbox) == [t for t, _ in right]


def test_a_sidebar_and_body_box_keeps_its_tables_and_reads_the_rest_as_text() -> None:
    # A research report: a sidebar (key data as label/value rows) beside the body's
    # paragraphs, a forecast table under them; the model boxed all of it as one table.
    sidebar = [(label, (100.0, 300.0 + 40 * i, 260.0, 330.0 + 40 * i)) for i, label in
               enumerate(["Industry", "Shares (m)", "Market cap", "Book value", "Debt ratio"])]
    sidebar += [(value, (420.0, 300.0 + 40 * i, 500.0, 330.0 + 40 * i)) for i, value in
                enumerate(["Banks", "2,741", "196", "8.32", "92.1"])]
    body = _prose_lines(600, 300, 900, 8, step=40, height=30)
    body += _prose_lines(600, 700, 900, 6, seed=9, step=40, height=30)
    forecast = [(cell, (x, 1040.0 + 40 * i, x + 120.0, 1070.0 + 40 * i))
                for i, row in enumerate([("", "2021A", "2022A", "2023E"), ("Revenue", "7,655", "8,809", "10,122"),
                                         ("Profit", "2,188", "2,744", "3,426"), ("ROE", "11.6", "13.2", "15.1")])
                for x, cell in zip((600.0, 900.0, 1100.0, 1300.0), row, strict=True) if cell]
    evidence = _scan(sidebar + body + forecast, width=1600, height=2300)
    out = refine_builtin([Region("table", (90, 290, 1520, 1200), 0.99, 6)], evidence)
    labels = [(r.label, _texts(evidence, r.bbox)[0]) for r in out]
    assert labels == [("table", "Industry"), ("text", body[0][0]), ("text", body[8][0]), ("table", "2021A")]
    assert "Revenue" in _texts(evidence, out[3].bbox) and "Banks" in _texts(evidence, out[0].bbox)


def _glossary(terms: list[str], gap: float) -> tuple[list[Line], float]:
    lines: list[Line] = []
    y = 100.0
    for k, term in enumerate(terms):
        lines.append((term, (40.0, y, 40.0 + 7 * len(term), y + 14)))
        rows = _prose_lines(250, y, 320, 3, seed=3 * k)
        lines += rows
        y = rows[-1][1][3] + gap
    return lines, y


def test_terms_beside_their_explanations_stay_a_table() -> None:
    # A glossary table: terms in the first column, wrapped explanations in the second. Short
    # terms make a column of labels; longer ones, with the entries set apart, still start
    # level with their explanations row after row.
    for terms, gap in ((["Parcel", "Patent", "Right-of-way", "Indemnity"], 12.0),
                       (["Mineral deposits", "Conveyance patent", "Right-of-way ditches",
                         "Indemnification clause"], 30.0)):
        lines, bottom = _glossary(terms, gap)
        evidence = _scan(lines)
        out = refine_builtin([Region("table", (30, 90, 580, bottom), 0.99, 6)], evidence)
        assert [r.label for r in out] == ["table"], terms


def test_a_page_sized_picture_of_columns_is_read_as_column_blocks() -> None:
    # The model calls a newspaper page a picture: its text is read block by block, each
    # column on its own, not as one region across the columns.
    left = _prose_lines(20, 100, 180, 24, cjk=True)
    right = _prose_lines(210, 100, 180, 24, seed=7, cjk=True)
    evidence = _scan(left + right)
    out = refine_builtin([Region("image", (0, 80, 420, 520), 0.9, 3)], evidence)
    texts = [r for r in out if r.label == "text"]
    assert [_texts(evidence, r.bbox) for r in texts] == [[t for t, _ in left], [t for t, _ in right]]


def test_word_count_counts_cjk_words_by_characters() -> None:
    assert word_count("Revenue growth 12.4%") == 3
    assert word_count("营业收入") == 2
    assert word_count("常熟银行发布2023年半年报，上半年公司实现营业收入") == 11
    assert word_count("ROE 营收") == 2


def test_list_markers_in_a_picture_stay_with_their_items() -> None:
    # The detector reads a checkbox list's squares apart from the items: a column of
    # markers is not a column of text, and each item keeps its marker.
    items = _prose_lines(140, 200, 700, 16, step=40, height=30)
    markers = [("■", (100.0, b[1], 122.0, b[3])) for _, b in items]
    evidence = _scan(markers + items, width=1000, height=1400)
    out = refine_builtin([Region("image", (80, 180, 860, 860), 0.9, 3)], evidence)
    texts = [r for r in out if r.label == "text"]
    assert len(texts) == 1
    assert _texts(evidence, texts[0].bbox) == [t for t, _ in markers + items]


def test_a_note_beside_the_rows_of_a_grid_is_a_cell_of_it() -> None:
    # A rating scale: a paragraph explaining the benchmark spans the rows of a grid of
    # ratings and their meaning. The paragraph is one of the table's cells, not a column.
    note = _prose_lines(100, 700, 520, 4, step=48, height=36)
    grid = [(cell, (x, 600.0 + 45 * i, x + w, 636.0 + 45 * i))
            for i, row in enumerate([("Rating", "Meaning"), ("Buy", "up 15% or more"),
                                     ("Accumulate", "up 5% to 15%"), ("Neutral", "within 5%"),
                                     ("Avoid", "down 5% or more"), ("Buy", "up 5% or more"),
                                     ("Avoid", "down 5% or more")])
            for (x, w), cell in zip(((760.0, 200.0), (1060.0, 380.0)), row, strict=True)]
    evidence = _scan(note + grid, width=1600, height=2300)
    out = refine_builtin([Region("table", (90, 590, 1450, 930), 0.99, 6)], evidence)
    assert [r.label for r in out] == ["table"]


def _found_lines(x: float, y: float, width: float, rows: int, pitch: float = 13.0) -> list[tuple[float, float, float, float]]:
    """Lines as the pre-processing pass finds them on a scan: the letters' x-height band,
    5 px tall, every line the column's width but a paragraph's last."""
    return [(x, y + i * pitch, x + (width if i < rows - 1 else 0.5 * width), y + i * pitch + 5.0)
            for i in range(rows)]


def test_on_the_server_path_prose_columns_are_cut_from_the_found_lines() -> None:
    # A Federal Register page sent to a PaddleOCR-VL server: no OCR on the client, only the
    # found lines, three columns 2 px apart. The "table" is sent as three text blocks, in
    # column order, padded to the letters; without the cut the server would get one table.
    columns = [_found_lines(40 + 177 * k, 62, 175, 50) for k in range(3)]
    evidence = LayoutEvidence(width=612, height=792, text_layer=None, page_has_text=False,
                              line_boxes=tuple(b for column in columns for b in column))
    out = refine_builtin([Region("table", (38, 58, 570, 740), 0.99, 6)], evidence)
    assert [r.label for r in out] == ["text", "text", "text"]
    for region, column in zip(out, columns, strict=True):
        assert region.bbox[1] < column[0][1] and region.bbox[3] > column[-1][3]  # padded
        assert all(region.bbox[0] <= b[0] and b[2] <= region.bbox[2] for b in column)
    # A grid of short found lines (a table's cells) stays a table.
    cells = tuple((x, 100.0 + 20 * i, x + 60.0, 105.0 + 20 * i) for i in range(8) for x in (50.0, 250.0, 450.0))
    grid = LayoutEvidence(width=612, height=792, text_layer=None, page_has_text=False, line_boxes=cells)
    assert [r.label for r in refine_builtin([Region("table", (40, 90, 520, 260), 0.99, 6)], grid)] == ["table"]


def test_a_headline_over_an_articles_columns_is_read_first_and_alone() -> None:
    # A newspaper page the model calls one picture: an article's headline in large type runs
    # over its three narrow columns, 6 px above them. The headline is a block of its own,
    # read before the columns, and no block's box reaches into another column.
    columns = [_prose_lines(40 + 177 * k, 130, 175, 30, seed=3 * k, cjk=True) for k in range(3)]
    headline = ("二十一年砺神剑 二十一次一级营", (120.0, 76.0, 480.0, 124.0))
    page = [headline, *(line for column in columns for line in column)]
    evidence = _scan(page)
    out = [r for r in refine_builtin([Region("image", (0, 40, 612, 700), 0.9, 3)], evidence)
           if r.label != "image"]
    boxes = [r.bbox for r in out]
    assert _texts(evidence, boxes[0]) == [headline[0]]
    for k, column in enumerate(columns):
        assert _texts(evidence, boxes[k + 1]) == [t for t, _ in column]
    assert len(out) == 4


def test_ocr_lines_no_region_holds_are_boxed_and_the_page_ordered_again() -> None:
    # A report page read by OCR: the model boxed the title and the body's paragraphs on the
    # right, and nothing of the sidebar's top on the left (a rating and a price), whose
    # first line starts level with the body. The sidebar's lines become text regions, and
    # the sidebar is read before the body, as the columns stand.
    sidebar = [("Strong buy (kept)", (40.0, 120.0, 200.0, 140.0)),
               ("Price: 7.15 yuan", (40.0, 160.0, 180.0, 180.0))]
    body = _prose_lines(260, 120, 300, 12, seed=2)
    side_prose = _prose_lines(40, 220, 180, 20, seed=4)
    lines = [("Bank results beat the market", (60.0, 40.0, 520.0, 80.0)),
             *sidebar, *side_prose, *body]
    evidence = _scan(lines)
    regions = [Region("doc_title", (60, 40, 520, 80), 0.9, 0),
               Region("text", (260, 120, 560, 310), 0.9, 1),
               Region("text", (40, 220, 220, 540), 0.9, 1)]
    out = refine_builtin(regions, evidence)
    read = [_texts(evidence, r.bbox) for r in out if r.label == "text"]
    assert read[0] == ["Strong buy (kept)"] and read[1] == ["Price: 7.15 yuan"]
    assert read[2] == [t for t, _ in side_prose]
    assert read[3] == [t for t, _ in body]
    assert all(r.tentative for r in out[1:3])
    assert [r.order for r in out] == list(range(1, len(out) + 1))


def test_a_title_at_the_top_edge_of_a_scan_is_boxed_and_a_running_head_is_not() -> None:
    # A magazine page: the headline the model missed stands in the top 5 % of the page in
    # type twice the body's, beside a running head in body type. Only the headline is text.
    body = _prose_lines(60, 120, 480, 30, seed=3)
    lines = [("Fire and the Village", (300.0, 8.0, 560.0, 38.0)),
             ("Folk Arts Monthly", (40.0, 12.0, 200.0, 26.0)), *body]
    out = refine_builtin([Region("text", (58, 118, 542, 600), 0.9, 1)], _scan(lines))
    found = [_texts(_scan(lines), r.bbox) for r in out if r.tentative]
    assert found == [["Fire and the Village"]]
    assert out[0].tentative and [r.order for r in out] == [1, 2]


def test_equation_numbers_boxed_apart_are_read_after_their_equations() -> None:
    # A scanned paper: a paragraph, two displayed equations and a closing paragraph; the
    # model boxed the equations' numbers in one thin box at the right margin, which XY-cut
    # reads as a column after the whole page. Each number follows its equation.
    intro = _prose_lines(60, 60, 480, 3, seed=5)
    outro = _prose_lines(60, 300, 480, 3, seed=6)
    eq1 = ("E = m c2", (200.0, 150.0, 360.0, 170.0))
    eq2 = ("F = m a", (200.0, 220.0, 340.0, 240.0))
    nums = [("(13)", (510.0, 151.0, 540.0, 169.0)), ("(14)", (510.0, 221.0, 540.0, 239.0))]
    evidence = _scan([*intro, eq1, *nums, eq2, *outro])
    regions = [Region("text", (58, 58, 542, 120), 0.9, 1),
               Region("display_formula", (198, 148, 362, 172), 0.9, 1),
               Region("display_formula", (198, 218, 342, 242), 0.9, 1),
               Region("text", (58, 298, 542, 360), 0.9, 1),
               Region("text", (508, 149, 542, 241), 0.6, 1)]
    out = refine_builtin(regions, evidence)
    read = [(r.label, _texts(evidence, r.bbox)) for r in sorted(out, key=lambda r: r.order or 0)]
    assert read == [
        ("text", [t for t, _ in intro]), ("display_formula", ["E = m c2"]), ("text", ["(13)"]),
        ("display_formula", ["F = m a"]), ("text", ["(14)"]), ("text", [t for t, _ in outro])]
    # A row of numbers side by side (a table's column heads) is no equation's number.
    heads = [("(1)", (300.0, 150.0, 330.0, 170.0)), ("(2)", (400.0, 150.0, 430.0, 170.0))]
    evidence = _scan([*intro, *heads])
    regions = [Region("text", (58, 58, 542, 120), 0.9, 1), Region("text", (298, 148, 432, 172), 0.6, 1)]
    out = refine_builtin(regions, evidence)
    assert [r.bbox for r in out] == [r.bbox for r in regions]
