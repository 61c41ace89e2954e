"""Recursive XY-cut reading order on hand-built pages (600 x 800 px)."""

from __future__ import annotations

import random

from docparse.layout import Region
from docparse.layout.reading_order import number_regions, order_regions, xy_cut

W, H = 600.0, 800.0


def box(name: str, x1: float, y1: float, x2: float, y2: float, label: str = "text") -> Region:
    """A region; ``name`` only documents the call site (names() maps boxes back to names)."""
    del name
    return Region(label, (x1, y1, x2, y2), score=0.9)


def names(ordered: list[Region], named: dict[str, Region]) -> list[str]:
    by_bbox = {(r.label, r.bbox): n for n, r in named.items()}
    return [by_bbox[(r.label, r.bbox)] for r in ordered]


def shuffled(named: dict[str, Region], seed: int = 7) -> list[Region]:
    regions = list(named.values())
    random.Random(seed).shuffle(regions)
    return regions


def test_two_columns_read_left_column_first() -> None:
    named = {
        "L1": box("L1", 50, 100, 290, 300),
        "L2": box("L2", 50, 310, 290, 500),
        "L3": box("L3", 50, 510, 290, 700),
        "R1": box("R1", 310, 100, 550, 250),
        "R2": box("R2", 310, 260, 550, 700),
    }
    assert names(order_regions(shuffled(named), W, H), named) == ["L1", "L2", "L3", "R1", "R2"]


def test_coincident_paragraph_break_does_not_interleave_columns() -> None:
    # Both columns break at y 300..312 (12 px), narrower than the 20 px gutter.
    named = {
        "L1": box("L1", 50, 100, 290, 300),
        "L2": box("L2", 50, 312, 290, 700),
        "R1": box("R1", 310, 100, 550, 300),
        "R2": box("R2", 310, 312, 550, 700),
    }
    assert names(order_regions(shuffled(named), W, H), named) == ["L1", "L2", "R1", "R2"]


def test_title_and_full_width_band_split_column_sections() -> None:
    named = {
        "title": box("title", 80, 40, 520, 80, "paragraph_title"),
        "A-L": box("A-L", 50, 100, 290, 300),
        "A-R1": box("A-R1", 310, 100, 550, 200),
        "A-R2": box("A-R2", 310, 210, 550, 300),
        "figure": box("figure", 50, 320, 550, 480, "image"),
        "B-L1": box("B-L1", 50, 500, 290, 600),
        "B-L2": box("B-L2", 50, 610, 290, 740),
        "B-R": box("B-R", 310, 500, 550, 740),
    }
    assert names(order_regions(shuffled(named), W, H), named) == [
        "title", "A-L", "A-R1", "A-R2", "figure", "B-L1", "B-L2", "B-R",
    ]  # fmt: skip


def test_blocks_crossing_the_gutter_separate_bands_without_clean_gaps() -> None:
    # The title and the wide figure overlap the columns vertically by 10 px, so neither a
    # clean horizontal nor a clean vertical gap exists: they must act as separators.
    named = {
        "title": box("title", 50, 40, 550, 110),
        "A-L": box("A-L", 50, 100, 290, 330),
        "A-R": box("A-R", 310, 100, 550, 330),
        "wide": box("wide", 50, 320, 550, 420),
        "B-L": box("B-L", 50, 410, 290, 700),
        "B-R": box("B-R", 310, 410, 550, 700),
    }
    assert names(xy_cut(shuffled(named), tolerance=1.0), named) == [
        "title", "A-L", "A-R", "wide", "B-L", "B-R",
    ]  # fmt: skip


def test_three_columns() -> None:
    named = {
        f"{col}{row}": box(f"{col}{row}", x, 100 + row * 200, x + 160, 280 + row * 200)
        for col, x in (("a", 40), ("b", 220), ("c", 400))
        for row in range(3)
    }
    expected = [f"{col}{row}" for col in "abc" for row in range(3)]
    assert names(order_regions(shuffled(named), W, H), named) == expected


def test_single_column_reads_top_to_bottom_with_narrow_headings() -> None:
    named = {
        "h1": box("h1", 50, 50, 200, 70, "paragraph_title"),
        "p1": box("p1", 50, 80, 550, 200),
        "h2": box("h2", 50, 220, 260, 240, "paragraph_title"),
        "p2": box("p2", 50, 250, 550, 400),
        "p3": box("p3", 50, 410, 550, 500),
    }
    assert names(order_regions(shuffled(named), W, H), named) == ["h1", "p1", "h2", "p2", "p3"]


def test_figure_beside_its_caption_reads_figure_then_caption() -> None:
    named = {
        "p1": box("p1", 50, 50, 550, 150),
        "fig": box("fig", 50, 170, 300, 400, "image"),
        "cap": box("cap", 320, 250, 550, 300, "figure_title"),
        "p2": box("p2", 50, 420, 550, 600),
    }
    assert names(order_regions(shuffled(named), W, H), named) == ["p1", "fig", "cap", "p2"]


def test_headers_first_footers_and_page_numbers_last() -> None:
    named = {
        "footer": box("footer", 50, 760, 300, 780, "footer"),
        "body-R": box("body-R", 310, 100, 550, 700),
        "page-no": box("page-no", 530, 760, 550, 780, "number"),
        "body-L": box("body-L", 50, 100, 290, 700),
        "header": box("header", 50, 20, 550, 40, "header"),
        "top-no": box("top-no", 560, 20, 580, 40, "number"),
        "stamp": box("stamp", 5, 100, 30, 700, "aside_text"),
    }
    ordered = order_regions(shuffled(named), W, H)
    assert names(ordered, named) == [
        "header", "top-no", "body-L", "body-R", "stamp", "footer", "page-no",
    ]  # fmt: skip
    assert [r.order for r in ordered] == [None, 1, 2, 3, None, None, 4]


def test_order_skips_unordered_labels_like_the_official_result() -> None:
    regions = [
        box("a", 0, 0, 10, 10, "paragraph_title"),
        box("b", 0, 0, 10, 10, "table"),
        box("c", 0, 0, 10, 10, "figure_title"),
        box("d", 0, 0, 10, 10, "text"),
        box("e", 0, 0, 10, 10, "image"),
        box("f", 0, 0, 10, 10, "formula_number"),
    ]
    assert [r.order for r in number_regions(regions)] == [1, None, None, 2, None, 3]


def test_footers_on_one_line_read_left_to_right() -> None:
    named = {
        "right": box("right", 500, 759.6, 540, 775, "footer"),
        "left": box("left", 60, 760.2, 300, 776, "footer"),
    }
    assert names(order_regions(shuffled(named), W, H), named) == ["left", "right"]


def test_identical_and_overlapping_boxes_terminate_and_keep_every_box() -> None:
    same = [box(f"s{i}", 100, 100, 300, 300) for i in range(4)]
    overlapping = [box("o1", 100, 100, 400, 400), box("o2", 200, 150, 500, 450)]
    ordered = order_regions([*same, *overlapping], W, H)
    assert len(ordered) == 6
    assert ordered[-1].bbox == (200, 150, 500, 450)
    assert order_regions([], W, H) == []


def test_pictures_beside_their_text_read_row_by_row_when_rows_are_wider_apart() -> None:
    # Author photos beside bios: the 19 px row gap beats the 14 px gap between photo and text.
    named = {
        "photo1": box("photo1", 278, 750, 509, 1012, "image"),
        "bio1": box("bio1", 523, 751, 1078, 1033),
        "photo2": box("photo2", 284, 1052, 509, 1278, "image"),
        "bio2": box("bio2", 524, 1055, 1076, 1361),
    }
    ordered = order_regions(shuffled(named), 1224, 1584)
    assert names(ordered, named) == ["photo1", "bio1", "photo2", "bio2"]


def test_end_of_one_article_then_the_next_with_a_margin_note() -> None:
    # Article A ends in two columns; article B starts under a full-width headline, in two
    # columns with a boxed panel across its right column; a margin note sits outside the text.
    named = {
        "A-left": box("A-left", 50, 40, 290, 260),
        "A-right": box("A-right", 310, 40, 550, 200),
        "B-headline": box("B-headline", 50, 290, 550, 330, "paragraph_title"),
        "B-left-1": box("B-left-1", 50, 345, 290, 520),
        "B-left-2": box("B-left-2", 50, 530, 290, 760),
        "B-right": box("B-right", 310, 345, 550, 560),
        "B-panel": box("B-panel", 310, 575, 550, 760),
        "note": box("note", 560, 360, 595, 640, "aside_text"),
    }
    assert names(order_regions(shuffled(named, seed=3), W, H), named) == [
        "A-left", "A-right", "B-headline", "B-left-1", "B-left-2", "B-right", "B-panel", "note",
    ]


def test_narrow_gutter_between_columns_wins_over_a_shared_section_break() -> None:
    # A two-column paper: columns 16 px apart, both columns break for a section at the same
    # height, leaving a 45 px band across the page.
    def r(label: str, x0: float, y0: float, x1: float, y1: float) -> Region:
        return Region(label, (x0, y0, x1, y1), 0.9)

    regions = [
        r("paragraph_title", 140, 685, 370, 706), r("text", 140, 737, 604, 875),
        r("paragraph_title", 140, 925, 300, 947), r("text", 140, 977, 600, 1240),
        r("paragraph_title", 620, 669, 850, 695), r("text", 620, 720, 1079, 880),
        r("paragraph_title", 620, 922, 825, 944), r("text", 620, 971, 1079, 1300),
    ]
    ordered = order_regions(regions, 1224, 1584)
    assert [o.bbox[0] for o in ordered] == [140, 140, 140, 140, 620, 620, 620, 620]


def test_a_form_of_label_and_field_boxes_is_still_read_row_by_row() -> None:
    labels = [Region("text", (100, 100 + 60 * i, 300, 130 + 60 * i), 0.9) for i in range(4)]
    fields = [Region("text", (320, 100 + 60 * i, 700, 130 + 60 * i), 0.9) for i in range(4)]
    ordered = order_regions([*fields, *labels], 1000, 1000)
    assert [o.bbox[0] for o in ordered] == [100, 320] * 4


def test_a_sidebar_is_read_before_the_body_when_a_wide_table_closes_the_page() -> None:
    # A research report: a sidebar (rating, price, key data) beside the body, and a forecast
    # table across both at the foot. The sidebar's first block ends 9 px above the body's
    # second starts: a clean band across the page, but a hair; the 31 px gutter, crossed only
    # by the table, is the page's structure.
    named = {
        "rating": box("rating", 172, 474, 522, 525),
        "price": box("price", 170, 566, 389, 606),
        "event": box("event", 675, 482, 1531, 637),
        "key data": box("key data", 169, 646, 287, 670),
        "data table": box("data table", 163, 678, 643, 1088, "table"),
        "chart title": box("chart title", 169, 1050, 637, 1164),
        "chart": box("chart", 195, 1203, 549, 1407),
        "research": box("research", 168, 1447, 635, 2062),
        "views": box("views", 674, 687, 820, 718, "paragraph_title"),
        "view 1": box("view 1", 729, 734, 1533, 1096),
        "view 2": box("view 2", 729, 1152, 1530, 1829),
        "forecast": box("forecast", 139, 1887, 1542, 2235, "table"),
    }
    assert names(order_regions(shuffled(named), 1655, 2340), named) == [
        "rating", "price", "key data", "data table", "chart title", "chart", "research",
        "event", "views", "view 1", "view 2", "forecast"]



def test_a_picture_holding_blocks_is_their_background_not_a_separator() -> None:
    # A newspaper page the model calls one picture, its text read out of it in columns; the
    # page's right column and headline lie partly outside the picture. The picture goes
    # before the first block it holds, and the columns are read as if it were not there.
    named = {
        "headline": box("headline", 40, 60, 380, 110, "paragraph_title"),
        "picture": box("picture", 0, 90, 600, 790, "image"),
        "L1": box("L1", 20, 130, 180, 460),
        "L2": box("L2", 20, 480, 180, 780),
        "M": box("M", 200, 130, 380, 780),
        "R": box("R", 420, 50, 590, 780),
    }
    assert names(order_regions(shuffled(named), W, H, backdrops=True), named) == [
        "headline", "picture", "L1", "L2", "M", "R"]
