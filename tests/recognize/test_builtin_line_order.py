"""Reading order and joining of recognised lines (no OCR)."""

from __future__ import annotations

from docparse.recognize.line_order import (
    OcrLine,
    group_rows,
    join_paragraphs,
    join_rows,
    order_lines,
)

H = 20.0


def line(text: str, x: float, y: float, width: float | None = None) -> OcrLine:
    return OcrLine(text, (x, y, x + (width if width is not None else 9.0 * len(text)), y + H))


def test_wrapped_lines_join_with_spaces_and_paragraphs_with_newline() -> None:
    lines = [
        line("The quick brown fox jumps over", 0, 0, 400),
        line("the lazy dog and keeps on run-", 0, 24, 400),
        line("ning away.", 0, 48, 90),
        line("A second paragraph starts", 0, 72, 400),
        line("here.", 0, 96, 45),
    ]
    assert join_paragraphs(lines) == (
        "The quick brown fox jumps over the lazy dog and keeps on running away.\n"
        "A second paragraph starts here."
    )


def test_vertical_gap_and_indent_start_paragraphs() -> None:
    lines = [
        line("first paragraph line one", 0, 0, 400),
        line("first paragraph line two", 0, 24, 400),
        line("after a gap", 0, 80, 400),
        line("continues", 0, 104, 400),
        line("indented start", 40, 128, 360),
        line("and more", 0, 152, 400),
    ]
    assert join_paragraphs(lines) == (
        "first paragraph line one first paragraph line two\n"
        "after a gap continues\n"
        "indented start and more"
    )


def test_list_items_are_separate_paragraphs() -> None:
    lines = [
        line("• apples are red and they are", 0, 0, 400),
        line("often sweet", 20, 24, 380),
        line("• pears are green", 0, 48, 400),
    ]
    assert join_paragraphs(lines) == (
        "• apples are red and they are often sweet\n• pears are green"
    )


def test_cjk_lines_join_without_space() -> None:
    lines = [line("这是第一行文字", 0, 0, 400), line("这是第二行", 0, 24, 300)]
    assert join_paragraphs(lines) == "这是第一行文字这是第二行"


def test_korean_lines_join_with_a_space() -> None:
    # Korean sets spaces between words, and its lines break there.
    lines = [line("보험회사에서 그동안 판매했거나", 0, 0, 300), line("향후 판매하게 될 보험상품", 0, 22, 240)]
    assert join_paragraphs(lines) == "보험회사에서 그동안 판매했거나 향후 판매하게 될 보험상품"


def test_cjk_enumerators_start_paragraphs() -> None:
    # A workbook answer key: section titles and numbered answers set without a space after
    # their marker, each on its own line; the full-width wrapped line runs on.
    w = 20.0  # one CJK character
    lines = [
        line("仪眺骏驰辽绵凳吆铃铛罐恢踢牲畜", 0, 0, 15 * w),
        line("二、会用", 0, 24, 4 * w),
        line("2.（1）赞赏（2）赞许（3）赞同", 0, 48, 14 * w),
        line("①辽阔无垠", 0, 72, 5 * w),
        line("4.答案示例：星期天的早上，我和", 0, 96, 15 * w),
        line("爸爸到附近的公园里散步。", 0, 120, 12 * w),
    ]
    assert join_paragraphs(lines).split("\n") == [
        "仪眺骏驰辽绵凳吆铃铛罐恢踢牲畜",
        "二、会用",
        "2.（1）赞赏（2）赞许（3）赞同",
        "①辽阔无垠",
        "4.答案示例：星期天的早上，我和爸爸到附近的公园里散步。",
    ]


def test_cjk_line_ending_early_ends_its_paragraph() -> None:
    # CJK breaks between any two characters, so a line that stops three characters or more
    # short of the column's right edge was broken on purpose.
    w = 20.0
    lines = [
        line("地理位置：埃及首都开罗郊外的沙漠中。", 0, 0, 18 * w),
        line("外观：近似汉字金，气势雄伟。", 0, 24, 14 * w),
        line("功用：古埃及法老胡夫的陵墓，在沙漠中", 0, 48, 19 * w),
        line("矗立。", 0, 72, 3 * w),
    ]
    assert join_paragraphs(lines).split("\n") == [
        "地理位置：埃及首都开罗郊外的沙漠中。外观：近似汉字金，气势雄伟。",
        "功用：古埃及法老胡夫的陵墓，在沙漠中矗立。",
    ]


def test_two_columns_read_column_by_column() -> None:
    left = [line(f"left {i}", 0, 30 * i, 300) for i in range(4)]
    right = [line(f"right {i}", 360, 30 * i, 300) for i in range(4)]
    ordered = order_lines(right + left)
    assert [ln.text for ln in ordered] == [ln.text for ln in left + right]


def test_heading_across_columns_stays_first() -> None:
    heading = line("A heading across both columns", 0, 0, 660)
    left = [line(f"left {i}", 0, 40 + 30 * i, 300) for i in range(3)]
    right = [line(f"right {i}", 360, 40 + 30 * i, 300) for i in range(3)]
    ordered = order_lines([*right, *left, heading])
    assert [ln.text for ln in ordered] == [heading.text] + [ln.text for ln in left + right]


def test_table_of_contents_is_read_row_by_row() -> None:
    rows = [("Introduction", "1"), ("Methods", "4"), ("Results", "9")]
    lines = []
    for i, (title, page) in enumerate(rows):
        lines.append(line(title, 0, 30 * i, 200))
        lines.append(line(page, 580, 30 * i, 20))
    assert join_rows(order_lines(lines[::-1])) == "Introduction 1\nMethods 4\nResults 9"


def test_rotated_and_vertical_lines_are_flagged() -> None:
    assert OcrLine("side text", (0, 0, 20, 200)).is_rotated
    assert OcrLine("tilted", (0, 0, 100, 100), angle=45.0).is_rotated
    assert not OcrLine("I", (0, 0, 8, 20)).is_rotated
    assert not OcrLine("normal", (0, 0, 60, 20)).is_rotated


def test_a_checkbox_read_as_a_line_of_its_own_starts_an_item() -> None:
    # The detector reads each item's checkbox apart from its text: the square joins the
    # text beside it, and each square starts a new item even where the item before wrapped.
    lines = [OcrLine("■", (297, 109, 316, 126)),
             OcrLine("They work in parallel to State funded practitioners who take", (332, 110, 957, 134)),
             OcrLine("assignments for legal aid", (332, 135, 614, 156)),
             OcrLine("■", (296, 166, 317, 187)),
             OcrLine("They coordinate appointments of private practitioners", (333, 171, 953, 191))]
    assert join_paragraphs(lines) == (
        "■ They work in parallel to State funded practitioners who take assignments for legal aid\n"
        "■ They coordinate appointments of private practitioners")


def test_a_sentence_end_wrapped_alone_onto_the_next_line_is_no_item() -> None:
    # "... at 0.5 s and 1.5" / "S." : a letter and a full stop alone end the sentence.
    lines = [OcrLine("d. Find the acceleration of the potato at 0.5 s and 1.5", (100, 100, 900, 130)),
             OcrLine("S.", (100, 135, 130, 165))]
    assert join_paragraphs(lines) == "d. Find the acceleration of the potato at 0.5 s and 1.5 S."


def test_an_items_wrapped_line_under_its_text_is_the_same_item() -> None:
    # Exercises numbered "1", "2" with a hanging indent: the wrapped line starts under
    # "Do", not under the number. Each character is 9 px wide.
    lines = [
        line("1 Do you remember any little poems you learned as a child? These", 0, 0),
        line("little poems might have been the first poetry you learned.", 18, 24, 400),
        line("2 Skim the poems on the following pages and tick the boxes for each", 0, 48),
        line("question.", 18, 72, 81),
    ]
    assert join_paragraphs(lines) == (
        "1 Do you remember any little poems you learned as a child? These little poems "
        "might have been the first poetry you learned.\n"
        "2 Skim the poems on the following pages and tick the boxes for each question."
    )


def test_a_line_opening_with_a_number_inside_a_paragraph_is_no_item() -> None:
    # "10 tons ..." continues a sentence; the indented line after it opens a paragraph,
    # even where the indent happens to fall under the line's second word.
    lines = [
        line("manured at the rate of from 8 to", 0, 0, 600),
        line("10 tons per acre, the turnips were of the most inferior", 0, 24, 600),
        line("On peat soils, if drained, their advantages are striking", 27, 48, 573),
        line("and reported by all.", 0, 72, 180),
    ]
    assert join_paragraphs(lines) == (
        "manured at the rate of from 8 to 10 tons per acre, the turnips were of the most "
        "inferior\nOn peat soils, if drained, their advantages are striking and reported by all."
    )


def test_a_line_beside_a_much_larger_glyph_reads_on_its_row() -> None:
    # A chapter head: "Unit" beside a big "2", bottom-aligned, centres 54 px apart.
    unit = OcrLine("Unit", (189.0, 268.0, 424.0, 368.0))
    two = OcrLine("2", (424.0, 152.0, 594.0, 375.0))
    poems = OcrLine("Poems", (690.0, 282.0, 1050.0, 358.0))
    assert join_rows(order_lines([two, unit, poems])) == "Unit 2 Poems"
    # A column of vertical text beside lines of body text does not pull them into one row.
    # (A newspaper's vertical headline 4 px right of a column's 13 px lines.)
    column = OcrLine("金农工程山东率先引入云计算", (932.0, 79.0, 982.0, 562.0))
    body = [OcrLine(f"正文第{i}行的文字", (741.0, 304.0 + 13 * i, 927.0, 317.0 + 13 * i))
            for i in range(3)]
    assert all(len([ln for ln in row if ln in body]) == 1 for row in group_rows([*body, column]))


def box(text: str, x0: float, y0: float, x1: float, y1: float) -> OcrLine:
    return OcrLine(text, (x0, y0, x1, y1))


# A Chinese newspaper's right-hand column, as the layout model boxes it: a vertical headline
# beside the top of the article, a box headline over two columns half a character apart.
W = 13.0  # one CJK character, and a line's height


def _column(texts: list[str], x: float, y: float, width: float) -> list[OcrLine]:
    return [box(t, x, y + 12 * i, x + width, y + 12 * i + W) for i, t in enumerate(texts)]


def test_a_vertical_headline_reads_first_as_a_paragraph_of_its_own() -> None:
    body = _column(["本报讯近年来山东省农业信息", "化建设取得了长足发展突出亮", "点是创新性的引入云计算技术。"],
                   0, 0, 14 * W)
    headline = box("金农工程山东率先引入云计算", 14 * W + 4, 0, 18 * W, 14 * W)
    ordered = order_lines([*body, headline])
    assert ordered[0] is headline
    assert join_paragraphs(ordered).split("\n") == [
        "金农工程山东率先引入云计算",
        "本报讯近年来山东省农业信息化建设取得了长足发展突出亮点是创新性的引入云计算技术。",
    ]


def _two_columns(gutter: float, texts: int, width: float) -> tuple[list[OcrLine], list[OcrLine]]:
    left = _column([f"左栏第{i}行的文字" for i in range(texts)], 0, 0, width)
    right = _column([f"右栏第{i}行的文字" for i in range(texts)], width + gutter, 0, width)
    return left, right


def test_columns_of_running_text_a_fifth_of_a_character_apart_read_column_by_column() -> None:
    left, right = _two_columns(0.3 * W, 4, 9 * W)
    ordered = order_lines(sorted(left + right, key=lambda ln: (ln.bbox[1], ln.bbox[0])))
    assert [ln.text for ln in ordered] == [ln.text for ln in left + right]


def test_short_labels_and_values_that_close_read_row_by_row() -> None:
    # A form's label and value stand apart by a space: one row, not two columns.
    left, right = _two_columns(0.3 * W, 4, 3 * W)
    ordered = order_lines(left + right)
    assert [ln.text for ln in ordered] == [
        t for pair in zip(left, right, strict=True) for t in (pair[0].text, pair[1].text)]


def test_a_headline_over_two_columns_under_one_column_parts_the_block() -> None:
    # One full-width column, a blank, a large-type headline, then two columns too close
    # for the whole block's gutter test: each section finds its own columns.
    top = _column(["上一篇文章的最后几行文字在这里结束了", "并且还有一行。"], 0, 0, 19 * W)
    headline = box("吉林多举措扶持蔬菜生产", 1 * W, 40, 18 * W, 40 + 2.7 * W)
    left, right = _two_columns(0.4 * W, 5, 9 * W)
    left = [box(ln.text, ln.bbox[0], ln.bbox[1] + 80, ln.bbox[2], ln.bbox[3] + 80) for ln in left]
    right = [box(ln.text, ln.bbox[0], ln.bbox[1] + 80, ln.bbox[2], ln.bbox[3] + 80) for ln in right]
    lines = sorted([*top, headline, *left, *right], key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    ordered = order_lines(lines)
    assert [ln.text for ln in ordered] == [ln.text for ln in [*top, headline, *left, *right]]
    # The headline is a paragraph of its own: larger type, though no blank parts it from
    # the column's first line and it runs past the column on the right. Its article runs
    # on from the left column's foot to the right column's head.
    assert join_paragraphs(ordered).split("\n")[1:] == [
        "吉林多举措扶持蔬菜生产", "".join(ln.text for ln in [*left, *right])]


def test_a_column_widening_further_down_does_not_end_every_line_above_early() -> None:
    # Under a vertical headline the column is narrow; past its foot the lines run wider.
    narrow = _column([f"窄栏第{i}行的文字占满了这一" for i in range(8)], 0, 0, 14 * W)
    headline = box("金农工程山东率先引入云计算", 14 * W + 4, 0, 18 * W, 8 * 12)
    wide = _column(["宽栏的第一行文字更长一些", "宽栏的第二行文字。"], 0, 8 * 12, 19 * W)
    wide[-1] = box(wide[-1].text, 0, wide[-1].bbox[1], 9 * W, wide[-1].bbox[3])
    text = join_paragraphs(order_lines([*narrow, headline, *wide]))
    assert text.split("\n")[1].startswith("".join(ln.text for ln in narrow))


def test_a_detectors_uneven_line_heights_are_no_change_of_type() -> None:
    # One paragraph's boxes 10 to 16 pixels high (unit 13): no headline among them.
    heights = [13, 10, 16, 13, 17, 13]
    lines = [box(f"第{i}行文字", 0, 12 * i, 14 * W, 12 * i + h) for i, h in enumerate(heights)]
    assert "\n" not in join_paragraphs(lines)


def test_a_tall_box_of_digits_is_a_fraction_not_vertical_type_or_a_headline() -> None:
    # "3" over "7" boxed whole: as tall as two lines, two glyphs wide, no letters.
    answers = [box("G", 0, 0, W, W), box("J", 10 * W, 0, 11 * W, W)]
    fraction = box("37", 12 * W, -W / 2, 12 * W + 10, 25 - W / 2)
    assert [ln.text for ln in order_lines([fraction, *answers])] == ["G", "J", "37"]
    assert join_paragraphs([box("4. Emilia used 4 of her stamps", 0, -2 * W, 20 * W, -W),
                            fraction]) == "4. Emilia used 4 of her stamps 37"


def test_a_forms_labels_and_values_under_a_paragraph_stay_row_by_row() -> None:
    # A blank parts the paragraph from the form, but the form holds no running text:
    # its rows are not read as a column of labels, then one of values.
    paragraph = _column(["空气质量是指空气的清洁程度，分为五个级", "别，按空气污染指数划分，各级的指数范", "围如下表所示。"],
                        0, 0, 20 * W)
    labels = _column(["空气质量一级", "空气质量二级", "空气质量三级"], 0, 60, 6 * W)
    values = [box(t, 8 * W, 60 + 12 * i, 8 * W + n * W, 73 + 12 * i)
              for i, (t, n) in enumerate([("1~50 优", 4), ("51~100 良", 5), ("101~200 轻度污染", 9)])]
    ordered = order_lines([*paragraph, *labels, *values])
    assert [ln.text for ln in ordered][3:] == [
        "空气质量一级", "1~50 优", "空气质量二级", "51~100 良", "空气质量三级", "101~200 轻度污染"]


def test_a_cjk_heading_in_type_a_size_up_is_a_paragraph_of_its_own() -> None:
    # A newspaper column's bold section heading: 16 characters fill the column where the
    # body sets 21, its box a little taller; the body's first line after it is not indented.
    body = "在中央财政资金的杠杆作用下促进了福建茶园"
    lines = [
        box(body, 0, 0, 21 * W, W),
        box("斗茶赛茶等已成为福建百姓重要生活元素……", 0, 12, 20 * W, 12 + W),
        box("改善生态构建现代茶产业发展基础", 0, 28, 21 * W, 28 + 1.25 * W),
        box("一条条宽敞的机耕路四通八达装运有机肥的小", 0, 46, 21 * W, 46 + W),
        box("四轮穿梭其中。", 0, 58, 7 * W, 58 + W),
    ]
    assert join_paragraphs(lines).split("\n") == [
        body + "斗茶赛茶等已成为福建百姓重要生活元素……",
        "改善生态构建现代茶产业发展基础",
        "一条条宽敞的机耕路四通八达装运有机肥的小四轮穿梭其中。",
    ]


def test_a_cjk_line_whose_reading_lost_characters_is_no_heading() -> None:
    # Same pitch gap, but the box is no taller: characters the reading dropped.
    lines = [
        box("在中央财政资金的杠杆作用下促进了福建茶园", 0, 0, 21 * W, W),
        box("生态和茶叶品种更加优化促进了", 0, 12, 21 * W, 12 + W),
        box("茶叶质量提升和农民增收带动了地方支农资金", 0, 24, 21 * W, 24 + W),
    ]
    assert "\n" not in join_paragraphs(lines)


def test_a_line_made_taller_by_a_superscript_is_no_headline() -> None:
    # "... by a water molecule.⁸": the note's number makes the box half again as tall.
    lines = [box("The second reaction step is an attack on the ester carbon made", 93, 702, 575, 721),
             box("by a nucleophile activated by a water molecule.8", 90, 719, 476, 749),
             box("This mechanism is comparable to that of serine proteases.", 116, 747, 575, 767)]
    assert join_paragraphs(lines).split("\n") == [
        "The second reaction step is an attack on the ester carbon made by a nucleophile "
        "activated by a water molecule.8",
        "This mechanism is comparable to that of serine proteases."]


def test_a_page_of_vertical_writing_reads_right_to_left_in_paragraphs() -> None:
    # Three columns of vertical text (read from the right); the third starts a character
    # lower: a new paragraph's indent.
    cols = [box("春眠不觉晓处处", 200, 0, 213, 91), box("闻啼鸟夜来风雨", 184, 0, 197, 91),
            box("声花落知多少", 168, 13, 181, 91)]
    ordered = order_lines(cols[::-1])
    assert [ln.text for ln in ordered] == [ln.text for ln in cols]
    assert join_paragraphs(ordered).split("\n") == ["春眠不觉晓处处闻啼鸟夜来风雨", "声花落知多少"]
