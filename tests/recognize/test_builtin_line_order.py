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
