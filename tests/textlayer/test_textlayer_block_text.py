# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

import pymupdf
import pytest
from textlayer_pdfs import DEJAVU

from docparse.textlayer.block_text import text_in_box
from docparse.textlayer.extract import extract_page
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

PAGE = (0.0, 0.0, 600.0, 800.0)


def _layer(page: pymupdf.Page) -> TextLayerPage:
    return extract_page(page, 1.0)


def _new_page(width: float = 600, height: float = 800) -> tuple[pymupdf.Document, pymupdf.Page]:
    doc = pymupdf.open()
    return doc, doc.new_page(width=width, height=height)


def _write(page: pymupdf.Page, lines: list[tuple[float, float, str]], size: float = 11) -> None:
    """Lines of text at (x, baseline y) in pymupdf's built-in 'cjk' font (Droid Sans
    Fallback), which has the ﬁ/ﬂ ligature glyphs."""
    writer = pymupdf.TextWriter(page.rect)
    font = pymupdf.Font("cjk")
    for x, y, text in lines:
        writer.append((x, y), text, font=font, fontsize=size)
    writer.write_text(page)


def _span(
    text: str, boxes: list[tuple[float, float, float, float]], size: float = 10.0
) -> TextSpan:
    chars = tuple(TextChar(c, b) for c, b in zip(text, boxes, strict=True))
    hull = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return TextSpan(text, hull, "Test", size, chars=chars)


def _page(*spans: TextSpan) -> TextLayerPage:
    return TextLayerPage(600, 800, tuple(TextLine((s,), s.bbox) for s in spans))


def _row(
    text: str, x: float = 10.0, y: float = 10.0, w: float = 8.0
) -> list[tuple[float, float, float, float]]:
    return [(x + i * w, y, x + (i + 1) * w, y + 12) for i in range(len(text))]


def test_clean_paragraph_joins_wrapped_lines_dehyphenates_and_expands_ligatures() -> None:
    _, page = _new_page()
    _write(
        page,
        [
            (50, 100, "The \ufb01rst exam-"),
            (50, 114, "ple shows the \ufb02ow of a Docu-"),
            (50, 128, "Ment and ends here."),
        ],
    )
    found = text_in_box(_layer(page), (40, 80, 400, 140))
    # Hyphen removed only before a lowercase continuation.
    assert found.text == "The first example shows the flow of a Docu- Ment and ends here."
    assert found.rows == 3
    assert found.invisible == found.unmapped == found.orphans == 0
    # ﬁ and ﬂ are one glyph each, and the removed hyphen was one.
    assert found.chars == len(found.text.replace(" ", "")) - 2 + 1


def test_large_vertical_gap_starts_a_new_paragraph() -> None:
    _, page = _new_page()
    _write(
        page,
        [
            (50, 100, "First paragraph line one that is long"),
            (50, 114, "and its second line."),
            (50, 142, "Second paragraph after a gap."),
        ],
    )
    found = text_in_box(_layer(page), (40, 80, 400, 150))
    assert found.text == (
        "First paragraph line one that is long and its second line.\nSecond paragraph after a gap."
    )


def test_cjk_enumerated_answers_and_early_line_ends_start_paragraphs() -> None:
    # Chinese sets no space after an enumerator and breaks lines between any two
    # characters: "二、" and "2." open items; a row stopping short after "：" or "。" ends
    # its paragraph; a full row runs on without a space.
    _, page = _new_page()
    _write(
        page,
        [
            (50, 100, "二、会用"),
            (50, 114, "2.赞赏赞许赞同辽阔无垠膘肥体壮极目远眺星期天的早上我"),
            (50, 128, "和爸爸到附近的公园里散步。"),
            (50, 142, "地理位置：埃及首都开罗郊外的沙漠中。"),
            (50, 156, "外观：近似汉字金，气势雄伟高大无比，金字塔塔身的石块之"),
            (50, 170, "间没有任何黏着物。"),
        ],
    )
    found = text_in_box(_layer(page), (40, 80, 500, 180))
    assert found.text.split("\n") == [
        "二、会用",
        "2.赞赏赞许赞同辽阔无垠膘肥体壮极目远眺星期天的早上我和爸爸到附近的公园里散步。",
        "地理位置：埃及首都开罗郊外的沙漠中。",
        "外观：近似汉字金，气势雄伟高大无比，金字塔塔身的石块之间没有任何黏着物。",
    ]


def test_korean_set_with_wide_leading_and_one_character_indents() -> None:
    # Korean reports set their lines 1.65 sizes apart and indent a paragraph by one
    # full-width space: the wrapped lines are one paragraph, the indented row a new one.
    _, page = _new_page()
    size, pitch = 11.0, 18.0
    x, indent = 50.0, 50.0 + 0.9 * size
    rows = [
        (indent, "통상 질병보험금에 비해 상해나 재해로 인한 보"),
        (x, "험금의 경우 보장금액 등이 높게 책정되어 있다 보"),
        (x, "니 코로나-19를 상해나 재해로 인정할 지 여부에"),
        (x, "대하여 약관 상 명백한 규정이 없는 한 관련 분쟁이"),
        (indent, "보험실무상 어떤 보험사는 코로나-19를 재해로"),
        (x, "인정하여 재해보험금을 지급하고, 다른 보험사는"),
    ]
    _write(page, [(rx, 100 + pitch * i, text) for i, (rx, text) in enumerate(rows)], size=size)
    found = text_in_box(_layer(page), (40, 80, 400, 220))
    assert found.text.split("\n") == [
        " ".join(text for _, text in rows[:4]),
        " ".join(text for _, text in rows[4:]),
    ]
    # An infobox's labels, one to a row as far apart, are no wrapped text.
    _, page = _new_page()
    _write(page, [(x, 100 + pitch * i, label) for i, label in enumerate(("Died", "Burial", "Spouses"))],
           size=size)
    assert text_in_box(_layer(page), (40, 80, 400, 160)).text == "Died\nBurial\nSpouses"


LEFT = ["The left column starts", "and runs on over three", "lines of body text."]
RIGHT = ["The right column follows", "after a narrow gutter", "and ends the block."]


def _width(text: str, size: float = 11) -> float:
    return float(pymupdf.Font("cjk").text_length(text, fontsize=size))


def test_two_columns_separate_boxes_and_one_spanning_box() -> None:
    _, page = _new_page()
    # Baselines aligned, a 14 pt gutter after the longest left line.
    gutter_x = 50 + max(_width(t) for t in LEFT) + 14
    _write(page, [(50, 100 + 14 * i, t) for i, t in enumerate(LEFT)])
    _write(page, [(gutter_x, 100 + 14 * i, t) for i, t in enumerate(RIGHT)])
    layer = _layer(page)
    left, right = " ".join(LEFT), " ".join(RIGHT)
    assert text_in_box(layer, (40, 85, gutter_x - 4, 140)).text == left
    assert text_in_box(layer, (gutter_x - 2, 85, 500, 140)).text == right
    assert text_in_box(layer, (40, 85, 500, 140)).text == f"{left} {right}"


def test_key_value_rows_across_a_wide_gap_are_read_row_by_row() -> None:
    _, page = _new_page()
    _write(page, [(50, 100, "Invoice Number:"), (50, 114, "Invoice Date:")])
    _write(page, [(300, 100, "42183017"), (300, 114, "August 3, 2014")])
    text = text_in_box(_layer(page), (40, 85, 400, 120)).text
    # Row by row (a column-first reading would give "Invoice Number: Invoice Date: 4218...").
    assert text == "Invoice Number: 42183017 Invoice Date: August 3, 2014"


def test_heading_across_two_columns_is_read_before_them() -> None:
    _, page = _new_page()
    _write(page, [(50, 80, "A heading spanning both of the columns below it")])
    _write(page, [(50, 110 + 14 * i, t) for i, t in enumerate(["alpha column one", "alpha two"])])
    beta_x = 50 + _width("alpha column one") + 14
    _write(page, [(beta_x, 110 + 14 * i, t) for i, t in enumerate(["beta column one", "beta two"])])
    text = text_in_box(_layer(page), (40, 60, 560, 140)).text
    assert text.replace("\n", " ") == (
        "A heading spanning both of the columns below it "
        "alpha column one alpha two beta column one beta two"
    )


def test_words_are_kept_whole_at_a_box_edge() -> None:
    _, page = _new_page()
    _write(page, [(50, 100, "keep whole words")])
    layer = _layer(page)
    line = layer.lines[0].bbox
    # The box cuts through "whole" after its third letter: 3 of 5 letters inside -> kept.
    chars = layer.lines[0].spans[0].chars
    start = "keep whole words".index("whole")
    whole = chars[start : start + 5]
    assert "".join(c.c for c in whole) == "whole"
    cut = (whole[2].bbox[0] + whole[2].bbox[2]) / 2 + 0.5
    assert text_in_box(layer, (line[0] - 1, line[1], cut, line[3])).text == "keep whole"
    cut_early = (whole[1].bbox[0] + whole[1].bbox[2]) / 2 + 0.5  # 2 of 5 inside -> dropped
    assert text_in_box(layer, (line[0] - 1, line[1], cut_early, line[3])).text == "keep"
    assert text_in_box(layer, (line[0] - 1, line[1], cut_early, line[3]), min_overlap=0.4).text == (
        "keep whole"
    )


def test_tex_spacing_accents_are_composed() -> None:
    _, page = _new_page()
    font = pymupdf.Font("cjk")
    writer = pymupdf.TextWriter(page.rect)
    writer.append((50, 100), "caf", font=font, fontsize=12)
    e_x = 50 + font.text_length("caf", fontsize=12)
    writer.append((e_x, 100), "e", font=font, fontsize=12)
    # The accents are glyphs of their own drawn over the letter, as TeX does; the "i" under
    # the diaeresis is a dotless i.
    writer.append((e_x + 1, 100), "\u00b4", font=font, fontsize=12)
    writer.append((e_x + 30, 100), "na", font=font, fontsize=12)
    i_x = e_x + 30 + font.text_length("na", fontsize=12)
    writer.append((i_x - 0.5, 100), "\u00a8", font=font, fontsize=12)
    writer.append((i_x, 100), "\u0131ve", font=font, fontsize=12)
    writer.write_text(page)
    assert text_in_box(_layer(page), (40, 80, 300, 110)).text == "caf\u00e9 na\u00efve"


def test_lone_spacing_accent_stays() -> None:
    layer = _page(_span("a \u00b4 b", _row("a \u00b4 b")))
    assert text_in_box(layer, PAGE).text == "a \u00b4 b"


def test_fake_bold_overprint_is_read_once() -> None:
    text = "Bold title"
    first = _span(text, _row(text))
    second = _span(text, _row(text, x=10.6))
    layer = TextLayerPage(
        600, 800, (TextLine((first,), first.bbox), TextLine((second,), second.bbox))
    )
    assert text_in_box(layer, PAGE).text == "Bold title"


def test_fake_bold_copies_cut_into_runs_at_different_places_are_read_once() -> None:
    # A Chinese annual report's cover draws each line four times, each copy cut into runs
    # at different places: "Issued: 2012" and "2012 March 27" over each other.
    full = "Issued: 2012 March 27"
    row = _row(full)
    cut = full.index("2012")
    copies = [(full[:cut + 4], row[:cut + 4], 0.0), (full[cut:], row[cut:], 0.2),
              (full[:cut + 4], row[:cut + 4], 0.4), (full[cut:], row[cut:], 0.6)]
    spans = [_span(t, [(b[0] + dx, b[1], b[2] + dx, b[3]) for b in boxes]) for t, boxes, dx in copies]
    assert text_in_box(_page(*spans), PAGE).text == full


def test_whitespace_and_unicode_normalisation_keeps_typographic_quotes() -> None:
    raw = "\u201cQuoted\u201d\u00a0e\u0301t\u00e9\u200b  it\u2019s"
    layer = _page(_span(raw, _row(raw)))
    assert text_in_box(layer, PAGE).text == "\u201cQuoted\u201d \u00e9t\u00e9 it\u2019s"


def test_visual_order_arabic_with_split_lam_alef_is_rebuilt() -> None:
    # "سلام" stored in visual order (left to right: meem, lam-alef ligature, seen). The
    # ligature is the lam's glyph plus a zero-width alef sitting inside it.
    boxes = {
        "\u0645": (10.0, 10.0, 20.0, 22.0),  # meem
        "\u0627": (13.0, 10.0, 13.0, 22.0),  # alef, zero width
        "\u0644": (20.0, 10.0, 30.0, 22.0),  # lam (draws the lam-alef)
        "\u0633": (30.0, 10.0, 40.0, 22.0),  # seen
    }
    # Correct pairing: the zero-width alef belongs to the lam-alef glyph, so place it there.
    boxes["\u0627"] = (24.0, 10.0, 24.0, 22.0)
    order = "\u0645\u0627\u0644\u0633"  # stream order as the PDF had it
    layer = _page(_span(order, [boxes[c] for c in order]))
    found = text_in_box(layer, PAGE)
    assert found.text == "\u0633\u0644\u0627\u0645"
    assert found.orphans == 0


def test_lam_alef_tail_at_the_glyphs_edge_follows_the_lam() -> None:
    # "الأد" as MuPDF gives a Word export's lam-alef: the ligature's glyph mapped to lam,
    # the alef-hamza after it zero-width at the glyph's right edge (where it starts, in a
    # right-to-left row), which is also the left edge of the article's alef beside it.
    # Nearest centre would give the hamza to that alef: "األد", as plain extraction reads.
    boxes = [("\u0627", (379.8, 10.0, 382.2, 22.0)), ("\u0623", (379.8, 10.0, 379.8, 22.0)),
             ("\u0644", (373.3, 10.0, 379.8, 22.0)), ("\u062f", (369.2, 10.0, 373.2, 22.0))]
    layer = _page(_span("".join(c for c, _ in boxes), [b for _, b in boxes]))
    assert text_in_box(layer, PAGE).text == "\u0627\u0644\u0623\u062f"


def test_ligature_mapped_to_letters_keeps_them_in_order() -> None:
    # A PDF mapping its "fi" / "ffi" ligature glyphs to letters gives the first letter the
    # glyph's advance and the rest zero width at its right edge, which is where the next
    # glyph starts: "confidence" and "office" must not read "confdience" / "ofcife".
    def ligated(word: str, lig: str) -> list[tuple[float, float, float, float]]:
        boxes, x, k = [], 10.0, word.index(lig)
        for i in range(len(word)):
            if k < i < k + len(lig):
                boxes.append((x, 10.0, x, 22.0))  # zero width, at the ligature's right edge
                continue
            w = 12.0 if i == k else 6.0
            boxes.append((x, 10.0, x + w, 22.0))
            x += w
        return boxes

    for word, lig in (("confidence", "fi"), ("office", "ffi"), ("flow", "fl")):
        layer = _page(_span(word, ligated(word, lig)))
        found = text_in_box(layer, PAGE)
        assert (found.text, found.orphans) == (word, 0)


def test_zero_width_letter_without_host_is_counted() -> None:
    text = "\u0645\u0627"
    layer = _page(_span(text, [(10.0, 10.0, 20.0, 22.0), (40.0, 10.0, 40.0, 22.0)]))
    assert text_in_box(layer, PAGE).orphans == 1


def test_hebrew_with_number_in_logical_order_from_visual_glyphs() -> None:
    # Visual order, left to right: "2024" then the Hebrew word reversed.
    visual = "2024 \u05dd\u05d5\u05dc\u05e9"
    layer = _page(_span(visual, _row(visual)))
    assert text_in_box(layer, PAGE).text == "\u05e9\u05dc\u05d5\u05dd 2024"


@pytest.mark.skipif(not DEJAVU.exists(), reason=f"needs a Hebrew font at {DEJAVU}")
def test_hebrew_pdf_page_two_rtl_columns() -> None:
    _, page = _new_page()
    archive = pymupdf.Archive(str(DEJAVU.parent))
    css = f"@font-face {{font-family: dv; src: url({DEJAVU.name});}} p {{font-family: dv}}"
    right = "שלום עולם ועוד מילים רבות כאן כדי למלא את הטור הימני עד סופו"
    left = "טור שני מתחיל כאן וממשיך בשורה נוספת עם עוד כמה מילים"
    # Two 150 pt wide boxes, 14 pt apart: wrapped lines fill the columns.
    page.insert_htmlbox(
        pymupdf.Rect(214, 100, 364, 300), f"<p dir='rtl'>{right}</p>", css=css, archive=archive
    )
    page.insert_htmlbox(
        pymupdf.Rect(50, 100, 200, 300), f"<p dir='rtl'>{left}</p>", css=css, archive=archive
    )
    layer = _layer(page)
    assert len(layer.lines) >= 4  # each paragraph wrapped
    assert text_in_box(layer, (207, 90, 370, 300)).text.split() == right.split()
    # One box over both columns: right-to-left text reads the right column first.
    both = text_in_box(layer, (40, 90, 370, 300)).text
    assert both.split() == (right + " " + left).split()


def test_rotated_text_reads_along_its_direction() -> None:
    _, page = _new_page()
    page.insert_text((100, 400), "Side caption", fontsize=12, rotate=90)
    page.insert_text((116, 400), "second line", fontsize=12, rotate=90)
    layer = _layer(page)
    assert layer.lines[0].spans[0].direction == pytest.approx((0.0, -1.0))
    assert text_in_box(layer, (80, 280, 130, 410)).text == "Side caption second line"


def test_empty_box_has_no_text() -> None:
    layer = _page(_span("far", _row("far", x=500, y=700)))
    found = text_in_box(layer, (0, 0, 100, 100))
    assert (found.text, found.chars, found.text_bbox) == ("", 0, None)


def test_a_drop_cap_starts_the_first_line_of_its_paragraph() -> None:
    # "O" set over three lines: its centre lies by the second line, whose row it would join
    # ("Opressure"); the lines beside it are no indented paragraphs either.
    doc, page = _new_page()
    page.insert_text((60, 128), "O", fontsize=44, fontname="tiro")
    body = ["ver the past three decades increasing", "pressure from organisations has required",
            "corporations to examine and redress", "their conduct. The second paragraph",
            "continues at the left margin below it."]
    for i, text in enumerate(body):
        x = 96 if i < 3 else 60
        page.insert_text((x, 100 + 14 * i), text, fontsize=11, fontname="tiro")
    assert text_in_box(_layer(page), PAGE).text == (
        "Over the past three decades increasing pressure from organisations has required "
        "corporations to examine and redress their conduct. The second paragraph continues at "
        "the left margin below it.")
    doc.close()


def test_paired_single_quotes_are_one_double_quote() -> None:
    # TeX sets ``quote'' as two single quote glyphs each side.
    doc, page = _new_page()
    _write(page, [(60, 100, "The term \u2018\u2018corporate responsibility\u2019\u2019 is vague.")])
    assert text_in_box(_layer(page), PAGE).text == "The term \u201ccorporate responsibility\u201d is vague."
    doc.close()


def _askew_stamp_page(paragraph: bool) -> TextLayerPage:
    _doc, page = _new_page(400, 300)
    if paragraph:
        for i, text in enumerate(["Paragraph text runs under the stamp here",
                                  "and goes on for another full line of",
                                  "words until the end of the paragraph."]):
            page.insert_text((40, 100 + 16 * i), text, fontsize=11)
    origin = pymupdf.Point(80, 150)
    page.insert_text(origin, "By Micle Lee at 9:30 pm, Jul 18, 2008", fontsize=13,
                     morph=(origin, pymupdf.Matrix(13)))
    return _layer(page)


def test_askew_line_is_read_whole_in_its_own_frame() -> None:
    # MuPDF's boxes of turned glyphs are their upright hulls: turned back whole, "ee" and
    # "00" overlapped and read as one letter.
    box = (0, 0, 400, 300)
    assert text_in_box(_askew_stamp_page(False), box).text == "By Micle Lee at 9:30 pm, Jul 18, 2008"


def test_askew_line_across_a_paragraph_is_read_after_it() -> None:
    found = text_in_box(_askew_stamp_page(True), (0, 0, 400, 300))
    assert found.text == (
        "Paragraph text runs under the stamp here and goes on for another full line of "
        "words until the end of the paragraph.\nBy Micle Lee at 9:30 pm, Jul 18, 2008"
    )
    assert found.rows == 4


def test_a_short_line_in_larger_type_over_a_paragraph_is_its_own() -> None:
    # A run-in heading the layout box holds with its paragraph; no full stop ends it.
    _doc, page = _new_page(400, 300)
    page.insert_text((40, 64), "About the Watermark Tool", fontsize=10.5, fontname="hebo")
    body = ["The tool is a fast desktop utility program that lets you",
            "add images, texts and shapes as watermarks to a batch of",
            "documents at once."]
    for i, text in enumerate(body):
        page.insert_text((40, 78 + 14 * i), text, fontsize=9, fontname="tiro")
    read = text_in_box(_layer(page), (30, 40, 380, 130)).text
    assert read == "About the Watermark Tool\n" + " ".join(body)
    # The same line in the body's type runs on into the paragraph.
    _doc, page = _new_page(400, 300)
    for i, text in enumerate(["About the Watermark Tool", *body]):
        page.insert_text((40, 64 + 14 * i), text, fontsize=9, fontname="tiro")
    assert text_in_box(_layer(page), (30, 40, 380, 130)).text == " ".join(
        ["About the Watermark Tool", *body])


def test_a_header_set_on_its_side_is_read_where_it_stands() -> None:
    # A table header row with one column header turned 90 degrees (pdfplumber's issue-90
    # scoresheet): the page's other axis is no stamp; it stays in the row.
    _doc, page = _new_page(400, 300)
    page.insert_text((40, 100), "Executed", fontsize=9)
    page.insert_text((100, 104), "Info", fontsize=9, rotate=90)
    page.insert_text((120, 100), "Base", fontsize=9)
    assert text_in_box(_layer(page), (30, 70, 200, 110)).text == "Executed Info Base"


def test_a_two_row_box_of_a_heading_over_its_line_is_two_paragraphs() -> None:
    # No third row to see the heading end early against (OCRmyPDF's tagged.pdf, page 2).
    _doc, page = _new_page(400, 300)
    page.insert_text((40, 64), "Page 2 Heading", fontsize=14, fontname="hebo")
    page.insert_text((40, 82), "Body text.", fontsize=10, fontname="helv")
    assert text_in_box(_layer(page), (30, 40, 380, 100)).text == "Page 2 Heading\nBody text."
    # Two rows in one type run on.
    _doc, page = _new_page(400, 300)
    page.insert_text((40, 64), "Page 2 Heading", fontsize=10, fontname="helv")
    page.insert_text((40, 78), "Body text.", fontsize=10, fontname="helv")
    assert text_in_box(_layer(page), (30, 40, 380, 100)).text == "Page 2 Heading Body text."
