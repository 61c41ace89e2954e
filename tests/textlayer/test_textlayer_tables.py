from __future__ import annotations

import pymupdf

from docparse.textlayer.extract import extract_page
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan
from docparse.textlayer.pieces import pieces_in_box
from docparse.textlayer.tables import (
    bands_of,
    clearly_not_table,
    grid_inside,
    looks_like_table,
    prose_margins,
)

WIDE = (0.0, 0.0, 2000.0, 3000.0)


def _layer(draw):  # type: ignore[no-untyped-def]
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    draw(page)
    return extract_page(page, 2.0)


def test_numeric_table_rows_are_a_table() -> None:
    def draw(page: pymupdf.Page) -> None:
        rows = [("Cost of revenue", "178", "141"), ("Research", "3,423", "2,532"),
                ("Sales and marketing", "1,136", "876"), ("Total", "4,737", "3,549")]
        for i, (a, b, c) in enumerate(rows):
            y = 100 + 16 * i
            page.insert_text((72, y), a, fontsize=10)
            page.insert_text((300 - pymupdf.get_text_length(b, fontsize=10), y), b, fontsize=10)
            page.insert_text((400 - pymupdf.get_text_length(c, fontsize=10), y), c, fontsize=10)

    pieces = pieces_in_box(_layer(draw), WIDE)
    assert [t for t, _ in pieces][:3] == ["Cost of revenue", "178", "141"]
    assert looks_like_table(pieces)
    assert not clearly_not_table(pieces)


def test_justified_prose_and_bullet_lists_are_not_tables() -> None:
    words = ("Samples were analysed within two days by an accredited laboratory using standard "
             "methods for nitrate phosphate and heavy metals at every station of the river").split()

    def prose(page: pymupdf.Page) -> None:
        for i in range(5):  # words spread with wide, equal gaps, as justified lines are
            x = 72.0
            for w in words[i * 3: i * 3 + 9]:
                page.insert_text((x, 100 + 14 * i), w, fontsize=10)
                x += pymupdf.get_text_length(w, fontsize=10) + 12
    assert not looks_like_table(pieces_in_box(_layer(prose), WIDE))

    def bullets(page: pymupdf.Page) -> None:
        for i, item in enumerate(["Database performance and scalability tuning for large systems",
                                  "Advanced SQL knowledge and skills transfer to every team",
                                  "Business intelligence and analytics for managers and staff"]):
            page.insert_text((72, 100 + 14 * i), "-", fontsize=10)
            page.insert_text((90, 100 + 14 * i), item, fontsize=10)
    pieces = pieces_in_box(_layer(bullets), WIDE)
    assert not looks_like_table(pieces)
    assert clearly_not_table(pieces)


def test_bands_split_at_blank_space() -> None:
    def draw(page: pymupdf.Page) -> None:
        page.insert_text((72, 100), "Summary", fontsize=10)
        for i in range(3):
            page.insert_text((72, 140 + 14 * i), f"Charge {i}", fontsize=10)
            page.insert_text((400, 140 + 14 * i), f"${i}.00", fontsize=10)
    bands = bands_of(pieces_in_box(_layer(draw), WIDE))
    assert [[t for t, _ in b] for b in bands] == [
        ["Summary"], ["Charge 0", "$0.00", "Charge 1", "$1.00", "Charge 2", "$2.00"]
    ]
    assert looks_like_table(bands[1]) and not looks_like_table(bands[0])


def test_short_bullet_and_numbered_items_are_lists_not_tables() -> None:
    for marker in ("•", "1.", "a)"):
        def draw(page: pymupdf.Page, marker: str = marker) -> None:
            for i, item in enumerate(["Database performance", "Advanced SQL skills",
                                      "Business intelligence", "Security reviews"]):
                page.insert_text((72, 100 + 14 * i), marker, fontsize=10)
                page.insert_text((100, 100 + 14 * i), item, fontsize=10)
        pieces = pieces_in_box(_layer(draw), WIDE)
        # A bullet joins its item's text (one cell if this were a table); numbers stay apart.
        assert len(pieces) == (4 if marker == "•" else 8)
        assert not looks_like_table(pieces), marker


def test_rotated_column_headers_are_cells_over_their_columns() -> None:
    from docparse.recognize.line_order import OcrLine
    from docparse.recognize.table_grid import lines_to_table_html
    from docparse.textlayer.pieces import rotated_pieces

    def draw(page: pymupdf.Page) -> None:
        # Vertical headers (bottom to top) over two value columns, rows of values under them.
        page.insert_text((210, 150), "Procedure", fontsize=10, rotate=90)
        page.insert_text((290, 150), "Completion", fontsize=10, rotate=90)
        for i, (label, a, b) in enumerate([("Easy", "0.87", "0.20"), ("Normal", "0.88", "0.40"),
                                           ("Hard", "0.90", "0.60")]):
            y = 170 + 16 * i
            page.insert_text((72, y), label, fontsize=10)
            page.insert_text((202, y), a, fontsize=10)
            page.insert_text((282, y), b, fontsize=10)

    layer = _layer(draw)
    slanted = rotated_pieces(layer, WIDE)
    assert [t for t, _ in slanted] == ["Procedure", "Completion"]
    assert not rotated_pieces(layer, (100.0, 300.0, 700.0, 500.0))  # only the flat rows
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, WIDE) + slanted])
    assert html.startswith("<table><tr><td></td><td>Procedure</td><td>Completion</td></tr>"
                           "<tr><td>Easy</td><td>0.87</td><td>0.20</td></tr>")


def _glyphs(text: str, x: float, gap: float, size: float = 10.0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Characters 6 units wide, ``gap`` apart between words (no space glyphs drawn)."""
    out = []
    for word in text.split():
        for c in word:
            out.append((c, (x, 0.0, x + 6.0, size)))
            x += 6.0
        x += gap
    return out


def test_words_set_apart_without_space_glyphs_are_words() -> None:
    from docparse.textlayer.chars import Glyph, row_text
    from docparse.textlayer.model import TextChar
    from docparse.textlayer.pieces import _piece

    # 0.137 em between words and none inside them, as a caption font in the OLMo 2 report.
    chars = _glyphs("Composition of the data for OLMo 2", 0.0, 1.37)
    assert row_text([Glyph(c, *b, 10.0) for c, b in chars]).text == "Composition of the data for OLMo 2"
    assert _piece([TextChar(c, b) for c, b in chars], 10.0)[0] == "Composition of the data for OLMo 2"
    # Punctuation keeps the wider test: "Control." and "F(b)" stay closed up.
    chars = _glyphs("Control .", 0.0, 1.37) + _glyphs("F ( b )", 100.0, 1.37)
    assert row_text([Glyph(c, *b, 10.0) for c, b in chars]).text == "Control. F(b)"
    # So does CJK beside Latin (its own spacing, no word spaces).
    chars = _glyphs("中文 PDF", 0.0, 1.37)
    assert row_text([Glyph(c, *b, 10.0) for c, b in chars]).text == "中文PDF"


def test_justified_prose_with_citation_links_is_not_a_table() -> None:
    # A caption whose citations are separate links: "(", ",", ")." come out as pieces of
    # their own between wide justified gaps; they are not words of either kind.
    rows = [
        ["Table 1", "Composition of the pretraining data for OLMo 2", ".", "The", "OLMo", "2",
         "1124", "Mix", "is composed of StarCoder (", "Li et al.", ","],
        ["2023", ";", "Kocetkov et al.", ",", "2022", "), peS2o (", "Soldaini and Lo", ",",
         "2023", "), web text from DCLM (", "Li et al.", ",", "2024", ") and Wiki come from"],
        ["Dolma", "1.7", "(", "Soldaini", "et", "al.", ",", "2024", ").", "arXiv", "comes",
         "from", "Red-Pajama", "(", "Together", "AI", ",", "2023", "),", "while", "Paster"],
        ["et", "al.", ",", "2023", ")", "and", "Algebraic", "Stack", "come", "from",
         "ProofPile", "II", "(", "Azerbayev", "et", "al.", ",", "2023", ")."],
    ]
    pieces = []
    for r, row in enumerate(rows):
        x = 0.0
        for text in row:
            pieces.append((text, (x, 30.0 * r, x + 9.0 * len(text), 30.0 * r + 18.0)))
            x += 9.0 * len(text) + 20.0
    assert not looks_like_table(pieces)


def test_condensed_words_keep_the_space_glyphs_between_them() -> None:
    # Korean set with negative tracking: glyph boxes overlap, and the word space glyph
    # leaves a blank narrower than any gap rule would take for a space.

    text = "마시는 물 또는"
    boxes, x = [], 200.0
    for ch in text:
        width = 5.0 if ch == " " else 15.0
        boxes.append((x, 750.0, x + width, 771.0))
        x += width - 1.8
    chars = tuple(TextChar(c, b) for c, b in zip(text, boxes, strict=True))
    span = TextSpan(text, (200.0, 750.0, x, 771.0), "Gulim", 18.0, chars=chars)
    layer = TextLayerPage(1200, 1600, (TextLine((span,), span.bbox),))
    assert [t for t, _ in pieces_in_box(layer, WIDE)] == ["마시는 물 또는"]


def test_a_lam_alef_tail_follows_its_lam_in_a_piece() -> None:
    # "کالای" as MuPDF gives a Persian form's cell: the lam-alef ligature's glyph mapped to
    # lam, its alef a zero-width tail listed before it at the glyph's right edge.
    chars = (TextChar("\u06a9", (853.1, 183.6, 861.5, 210.1)),  # kaf
             TextChar("\u0627", (846.8, 183.6, 853.1, 210.1)),  # alef
             TextChar("\u0627", (846.8, 183.6, 846.8, 210.1)),  # the ligature's alef
             TextChar("\u0644", (834.9, 183.6, 846.8, 210.1)),  # lam, drawing lam-alef
             TextChar("\u06cc", (820.0, 183.6, 834.9, 210.1)))  # yeh
    span = TextSpan("", (820.0, 183.6, 861.5, 210.1), "B Nazanin", 18.0, chars=chars)
    layer = TextLayerPage(1200, 1600, (TextLine((span,), span.bbox),))
    assert [t for t, _ in pieces_in_box(layer, WIDE)] == ["\u06a9\u0627\u0644\u0627\u06cc"]


def test_ligature_glyphs_in_a_piece_are_spelt_out() -> None:
    chars = tuple(TextChar(c, (100.0 + 8 * i, 50.0, 108.0 + 8 * i, 62.0))
                  for i, c in enumerate("\ufb01gures"))
    span = TextSpan("", (100.0, 50.0, 156.0, 62.0), "Times", 10.0, chars=chars)
    layer = TextLayerPage(600, 800, (TextLine((span,), span.bbox),))
    assert [t for t, _ in pieces_in_box(layer, WIDE)] == ["figures"]


QUESTION = [
    "28. Are specialised legal aid services provided focusing on specific groups of",
    "people? If yes, please indicate to whom these services are provided, and whether",
    "they are provided by State-funded legal aid, civil society organisations, or both.",
]
GROUPS = ["Persons with disabilities", "Children", "Women", "The elderly", "Migrants"]


def _matrix(page: pymupdf.Page, question: list[str], header: tuple[str, ...]) -> None:
    """A survey question, then right under it (no blank line) a checkbox matrix: group
    labels down the left, a mark in each of two columns."""
    y = 100.0
    for line in question:
        page.insert_text((72, y), line, fontsize=10)
        y += 12
    y += 6
    page.insert_text((340, y), header[0], fontsize=10)
    page.insert_text((440, y), header[1], fontsize=10)
    for label in GROUPS:
        y += 16
        page.insert_text((72, y), label, fontsize=10)
        page.insert_text((360, y), "x", fontsize=10)
        page.insert_text((450, y), "x", fontsize=10)


def test_a_paragraph_set_right_above_a_grid_is_its_own_text() -> None:
    pieces = pieces_in_box(_layer(lambda page: _matrix(page, QUESTION, ("State funded", "CSOs"))), WIDE)
    head, grid, tail = prose_margins(pieces)
    assert " ".join(t for t, _ in head).startswith("28. Are specialised legal aid")
    assert "both." in " ".join(t for t, _ in head)
    assert [t for t, _ in grid][:4] == ["State funded", "CSOs", "Persons with disabilities", "x"]
    assert tail == []
    assert looks_like_table(grid)


def test_a_tables_own_rows_are_no_paragraph_above_it() -> None:
    # A one-line caption-like header, or header cells with cell gaps, stay in the grid.
    one_line = pieces_in_box(_layer(lambda page: _matrix(page, QUESTION[:1], ("State funded", "CSOs"))), WIDE)
    assert prose_margins(one_line) == ([], one_line, [])
    no_question = pieces_in_box(_layer(lambda page: _matrix(page, [], ("State funded", "CSOs"))), WIDE)
    assert prose_margins(no_question) == ([], no_question, [])


def test_a_column_of_the_same_mark_is_no_contents_list() -> None:
    # "x" is also a Roman page number; a contents list's numbers go up, a mark repeats.
    pieces = pieces_in_box(_layer(lambda page: _matrix(page, [], ("Yes", "No"))), WIDE)
    assert looks_like_table(pieces)


def test_a_dingbat_set_flush_against_a_glyph_is_one_piece_with_it() -> None:
    # A bullet from a symbol font ("y" in Wingdings) flush against a glyph of the text font,
    # then a cell gap, the label: the span boundary parts no cell. Touching spans of text
    # fonts (a TeX line sets each word and symbol as its own span) stay apart.
    def spans(*parts: tuple[str, str, float, float]) -> TextLayerPage:
        made = []
        for text, font, x0, width in parts:
            step = width / len(text)
            chars = tuple(TextChar(c, (x0 + step * i, 50.0, x0 + step * (i + 1), 70.0))
                          for i, c in enumerate(text))
            made.append(TextSpan(text, (x0, 50.0, x0 + width, 70.0), font, 20.0, chars=chars))
        line = TextLine(tuple(made), (made[0].bbox[0], 50.0, made[-1].bbox[2], 70.0))
        return TextLayerPage(1200, 1600, (line,))

    flush = spans(("y", "Wingdings", 100.0, 8.0), ("y", "MyriadPro", 108.0, 4.0),
                  ("Children", "MyriadPro", 136.0, 64.0))
    assert [t for t, _ in pieces_in_box(flush, WIDE)] == ["yy", "Children"]
    tex = spans(("O", "CMMI10", 100.0, 12.0), ("(", "CMR10", 112.0, 6.0), ("n", "CMMI10", 118.0, 10.0))
    assert [t for t, _ in pieces_in_box(tex, WIDE)] == ["O", "(", "n"]


def _notes_page() -> list[tuple[str, tuple[float, float, float, float]]]:
    """Handwritten notes as OCR lines: a numbered heading and its lines, a three-column table
    of air quality levels set right under them (no blank line), a last note."""
    lines = [
        ("(3)天气预报的形式：电视、报纸、互联网、广播、手机短信、打电话", (63.0, 389.0, 414.0, 412.0)),
        ("(4)天气预报的内容：卫星云图和城市天气预报", (61.0, 411.0, 300.0, 434.0)),
        ("3. 我们需要洁净的空气", (35.0, 436.0, 182.0, 458.0)),
    ]
    rows = [("空气质量级别", "空气污染指数", "空气质量状况"), ("一级", "1~50", "优"), ("二级", "51~100", "良"),
            ("三级", "100~200", "轻度污染"), ("四级", "200~300", "中度污染")]
    for i, row in enumerate(rows):
        y = 460.0 + 25 * i
        lines += [(cell, (x, y, x + 14.0 * len(cell), y + 22.0)) for x, cell in zip((80.0, 215.0, 350.0), row, strict=True)]
    lines.append(("空气质量指数越大，空气污染越严重，对人体健康的危害也就越大。", (40.0, 588.0, 470.0, 610.0)))
    return lines


def test_a_grid_set_inside_running_text_is_found_with_the_text_around_it() -> None:
    pieces = _notes_page()
    found = grid_inside(pieces)
    assert found is not None
    head, grid, tail = found
    assert [t for t, _ in head] == [t for t, _ in pieces[:3]]
    assert [t for t, _ in grid][:4] == ["空气质量级别", "空气污染指数", "空气质量状况", "一级"]
    assert len(grid) == 15 and [t for t, _ in tail] == [pieces[-1][0]]


def test_rows_of_two_cells_or_a_list_in_running_text_are_no_inner_grid() -> None:
    pieces = _notes_page()
    # A form's labels and values: two cells a row.
    two = [p for p in pieces if p[1][0] != 350.0]
    assert grid_inside(two) is None
    # Numbered items whose numbers stand apart: a list, however neatly it lines up.
    items = pieces[:3] + [(t, (x, 460.0 + 25 * i, x + 60.0, 482.0 + 25 * i))
                          for i in range(4) for x, t in ((40.0, f"{i + 1}."), (80.0, "见课本"), (215.0, "第十页"))]
    assert grid_inside(items) is None


def test_a_grid_among_a_charts_short_labels_is_no_inner_grid() -> None:
    # A chart OCR'd as a picture: tick values line up in rows of three, but what surrounds
    # them are axis labels and a legend, no running text.
    pieces = _notes_page()
    grid = [p for p in pieces if 460.0 <= p[1][1] < 585.0]
    labels = [("Loss", (40.0, 400.0, 80.0, 420.0)), ("BF16 FP8", (40.0, 430.0, 120.0, 450.0)),
              ("Tokens/B", (200.0, 600.0, 280.0, 620.0)), ("200 400 600", (80.0, 630.0, 300.0, 650.0))]
    assert grid_inside(labels[:2] + grid + labels[2:]) is None
    assert grid_inside(pieces) is not None


def test_a_symbol_font_bullet_in_a_tall_box_marks_the_line_at_its_foot() -> None:
    # ICDAR 2013 us-015 (a Word export): each SymbolMT bullet's box is two lines tall, its
    # foot level with the line it marks. It joins that line, and the piece keeps the text's
    # height: a piece reaching up into the line above would cut the table's row rules.
    def line(text: str, font: str, x0: float, top: float, bottom: float, size: float) -> TextLine:
        w = (size * 0.5)
        chars = tuple(TextChar(c, (x0 + w * i, top, x0 + w * (i + 1), bottom))
                      for i, c in enumerate(text))
        span = TextSpan(text, (x0, top, x0 + w * len(text), bottom), font, size, chars=chars)
        return TextLine((span,), span.bbox)

    layer = TextLayerPage(1200, 1600, (
        line("\u2022", "SymbolMT", 452.0, 641.0, 701.0, 24.0),
        line("Reported as not relevant", "Times-Roman", 488.0, 671.0, 695.0, 18.0),
        line("\u2022", "SymbolMT", 452.0, 669.0, 729.0, 24.0),
        line("Generates missing data", "Times-Roman", 488.0, 699.0, 723.0, 18.0),
    ))
    pieces = sorted(pieces_in_box(layer, WIDE), key=lambda p: p[1][1])
    assert [(t, box[1], box[3]) for t, box in pieces] == [
        ("\u2022 Reported as not relevant", 671.0, 695.0),
        ("\u2022 Generates missing data", 699.0, 723.0)]


def _words_drawn_apart(page: pymupdf.Page, words: list[str], x: float, y: float, gap: float,
                       fontname: str = "helv") -> None:
    """Each word its own text object, ``gap`` points after the last (a TeX line: no space
    glyphs; MuPDF puts a space of its own between them, in a span of its own)."""
    for word in words:
        page.insert_text((x, y), word, fontsize=10, fontname=fontname)
        x += pymupdf.get_text_length(word, fontsize=10, fontname=fontname) + gap


def test_words_in_spans_of_their_own_make_one_piece_at_a_word_space() -> None:
    # ICDAR 2013 eu-026 (pdfTeX): "Mean" " " "Loss" are three spans; one header cell.
    def draw(page: pymupdf.Page) -> None:
        _words_drawn_apart(page, ["Mean", "Loss"], 72, 100, 3.3)
        _words_drawn_apart(page, ["I/we", "sold", "some", "of", "the", "assets"], 72, 120, 3.3)
        _words_drawn_apart(page, ["53"], 300, 120, 0)

    assert [t for t, _ in pieces_in_box(_layer(draw), WIDE)] == [
        "Mean Loss", "I/we sold some of the assets", "53"]


def test_a_monospaced_tables_columns_one_space_apart_stay_apart() -> None:
    # ICDAR 2013 us-033: right-aligned Courier numbers, the widest one space from the next
    # column: a span each, as before; only a proportional word space joins spans.
    def draw(page: pymupdf.Page) -> None:
        _words_drawn_apart(page, ["2,218,406", "1,180,160"], 72, 100, 6.0, "cour")

    assert [t for t, _ in pieces_in_box(_layer(draw), WIDE)] == ["2,218,406", "1,180,160"]
    # So do a dense report's cells set 0.43 em apart, each its own span ("38" "BP").
    def tight(page: pymupdf.Page) -> None:
        _words_drawn_apart(page, ["38", "BP"], 72, 100, 4.3)

    assert [t for t, _ in pieces_in_box(_layer(tight), WIDE)] == ["38", "BP"]


def test_spans_of_two_fonts_at_a_word_space_stay_two_pieces() -> None:
    # An Odoo invoice: "Subtotal" in bold, a word space, "$ 112.00": two cells.
    def draw(page: pymupdf.Page) -> None:
        page.insert_text((300, 100), "Subtotal", fontsize=10, fontname="hebo")
        x = 300 + pymupdf.get_text_length("Subtotal", fontsize=10, fontname="hebo") + 3.0
        page.insert_text((x, 100), "$ 112.00", fontsize=10)

    assert [t for t, _ in pieces_in_box(_layer(draw), WIDE)] == ["Subtotal", "$ 112.00"]


def _ruled_off_table(page: pymupdf.Page, above: list[str], below: list[str]) -> None:
    """A caption's last line or a note set flush above and below a table of four columns."""
    y = 100.0
    for line in above:
        page.insert_text((72, y), line, fontsize=10)
        y += 12
    rows = [("", "Freq.", "Percent", "Mean"), ("I/we kept the assets", "344", "75.2", "12196"),
            ("I/we sold some of the assets", "53", "11.6", "23518"),
            ("I/we sold all of them", "61", "13.2", "9187"), ("Total", "458", "100.0", "13153")]
    for row in rows:
        for x, cell in zip((72, 240, 310, 380), row, strict=True):
            if cell:
                page.insert_text((x, y), cell, fontsize=10)
        y += 12
    for line in below:
        page.insert_text((72, y), line, fontsize=10)
        y += 12


def test_a_caption_line_and_a_note_line_flush_against_a_grid_are_text() -> None:
    above = ["and the average fraction of wealth lost are reported."]
    below = ["Source: SAVE 2009, data is weighted."]
    pieces = pieces_in_box(_layer(lambda page: _ruled_off_table(page, above, below)), WIDE)
    head, grid, tail = prose_margins(pieces)
    assert [t for t, _ in head] == above and [t for t, _ in tail] == below
    assert [t for t, _ in grid][:4] == ["Freq.", "Percent", "Mean", "I/we kept the assets"]
    # A caption's title line ("Table 2: ...") over its description is cut off with it.
    titled = ["Table 2: Financial Literacy 2007"]
    pieces = pieces_in_box(_layer(lambda page: _ruled_off_table(page, titled, [])), WIDE)
    assert [t for t, _ in prose_margins(pieces)[0]] == titled


def test_a_first_columns_label_or_a_short_heading_over_a_grid_stays_in_it() -> None:
    # A one-line heading with no full stop (a spanning header), or a wrapped label that
    # stays inside the first column, is the table's own.
    for above, below in ((["Households by reaction"], []), ([], ["and of the property."])):
        pieces = pieces_in_box(_layer(lambda page, a=above, b=below: _ruled_off_table(page, a, b)), WIDE)
        assert prose_margins(pieces) == ([], pieces, [])


def _centred(text: str, y: float, centre: float = 450.0) -> tuple[str, tuple[float, float, float, float]]:
    width = 18.0 * len(text)
    return (text, (centre - width / 2, y, centre + width / 2, y + 30))


def _cells(y: float, *cells: tuple[float, str]) -> list[tuple[str, tuple[float, float, float, float]]]:
    return [(text, (x, y, x + 18.0 * len(text), y + 30)) for x, text in cells]


#: A receipt's items and totals as OCR lines (page pixels): a label left, its amount right.
RECEIPT_ROWS = [
    _cells(600, (40, "Doc No."), (280, "CS00065374"), (600, "Date"), (700, "05/02/2018")),
    _cells(640, (40, "Cashier"), (280, "USER"), (600, "Time:"), (700, "11:14:00")),
    _cells(680, (40, "Total Qty:"), (300, "2"), (700, "63.60")),
    _cells(720, (160, "Total Sales (Excl GST)"), (700, "60.00")),
    _cells(760, (450, "Discount"), (720, "0.00")),
    _cells(800, (430, "Total GST"), (720, "3.60")),
    _cells(840, (480, "CASH:"), (700, "63.60")),
]


def test_a_letterheads_lines_over_a_grid_are_text() -> None:
    # SROIE receipt 130 as the built-in OCR reads it: the shop's name and address centred
    # over its items and totals, a line across every gutter of the grid: left in the grid,
    # it leaves the table one column of lines.
    letterhead = [_centred("BEYOND BROTHERS HARDWARE", 200), _centred("(872981-V)", 240),
                  _centred("LOT 1-0-2, JLN 1/50,", 280), _centred("53000 KUALA LUMPUR", 320),
                  *_cells(360, (140, "TEL:03-40211233"), (470, "FAX:03-40223233")),
                  _centred("GSTID:001921974272", 400), _centred("TAX INVOICE", 440)]
    thanks = [_centred("GOODS SOLD ARE NOT RETURNABLE", 900), _centred("THANK YOU", 940),
              _centred("PLEASE COME AGAIN", 980)]
    grid = [p for row in RECEIPT_ROWS for p in row]
    head, cells, tail = prose_margins(letterhead + grid + thanks)
    assert [t for t, _ in head] == [t for t, _ in letterhead]
    assert [t for t, _ in tail] == [t for t, _ in thanks]
    assert [t for t, _ in cells][:4] == ["Doc No.", "CS00065374", "Date", "05/02/2018"]


def test_a_tables_spanning_heads_and_group_labels_stay_in_it() -> None:
    grid = [p for row in RECEIPT_ROWS for p in row]
    # Two spanning header rows over the grid: a table's own (a letterhead is three lines).
    heads = [_centred("Sales by day", 520), _centred("(in ringgit)", 560)]
    assert prose_margins(heads + grid) == ([], heads + grid, [])
    # A group's label over its rows, the grid starting right under it.
    labelled = [_centred("Payment", 560, centre=120), *grid]
    assert prose_margins(labelled) == ([], labelled, [])


def test_an_index_columns_last_entries_stay_in_its_grid() -> None:
    # py-pdf's GeoTopo index, two columns of entries read as a grid: the left column runs
    # three entries longer. Those are no letterhead's lines (none crosses the middle).
    rows = [_cells(100 + 40 * i, (40, left), (500, right)) for i, (left, right) in enumerate(
        [("Lage", "Quotiententopologie, 5"), ("allgemeine, 34", "Rand, 3, 28"),
         ("Lehrsatz", "Raum"), ("Binomischer, 107", "kompakter, 14")])]
    rows += [_cells(260 + 40 * i, (40, entry)) for i, entry in
             enumerate(["Lie-Gruppe, 33", "Liftung, 54", "Limes, 8"])]
    pieces = [p for row in rows for p in row]
    assert prose_margins(pieces) == ([], pieces, [])
