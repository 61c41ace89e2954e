# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

import pymupdf
import pytest
from textlayer_pdfs import (
    DEJAVU,
    open_pdf,
    scanned_page,
    slide_with_background,
    type3_without_tounicode,
)

from docparse.labels import TEXT_LIKE_LABELS
from docparse.textlayer.extract import extract_page
from docparse.textlayer.gate import TextLayerDecision, decide, implausible, is_ocr_layer
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

Box = tuple[float, float, float, float]


def _span(
    text: str, x: float = 10.0, y: float = 10.0, *, render_mode: int = 0, unmapped: int = 0
) -> TextSpan:
    boxes = [(x + 8.0 * i, y, x + 8.0 * (i + 1), y + 12.0) for i in range(len(text))]
    chars = tuple(TextChar(c, b) for c, b in zip(text, boxes, strict=True))
    bbox = (x, y, x + 8.0 * len(text), y + 12.0)
    return TextSpan(
        text, bbox, "Test", 10.0, render_mode=render_mode, chars=chars, unmapped=unmapped
    )


def _layer(*spans: TextSpan, image_coverage: float = 0.0) -> TextLayerPage:
    lines = tuple(TextLine((s,), s.bbox) for s in spans)
    return TextLayerPage(600, 800, lines, image_coverage=image_coverage)


def _box_of(layer: TextLayerPage, pad: float = 2.0) -> Box:
    boxes = [line.bbox for line in layer.lines]
    return (
        min(b[0] for b in boxes) - pad,
        min(b[1] for b in boxes) - pad,
        max(b[2] for b in boxes) + pad,
        max(b[3] for b in boxes) + pad,
    )


def _both(
    layer: TextLayerPage, box: Box, label: str = "text"
) -> tuple[TextLayerDecision, TextLayerDecision]:
    return decide(layer, box, label, "auto"), decide(layer, box, label, "prefer")


def test_born_digital_paragraph_is_taken_word_for_word() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((20, 40), "Born digital text layers are exact.", fontsize=11)
    page.insert_text((20, 54), "A second line of the paragraph.", fontsize=11)
    layer = extract_page(page, 2.0)
    decision = decide(layer, _box_of(layer), "text", "auto")
    assert decision == TextLayerDecision(
        "Born digital text layers are exact. A second line of the paragraph.", "ok"
    )


@pytest.mark.parametrize(
    "label", ["table", "display_formula", "inline_formula", "chart", "image", "seal"]
)
def test_only_text_like_labels_use_the_text_layer(label: str) -> None:
    assert label not in TEXT_LIKE_LABELS
    layer = _layer(_span("Perfectly good text"))
    for mode in ("auto", "prefer"):
        assert decide(layer, _box_of(layer), label, mode) == TextLayerDecision(
            None, "not_text_label"
        )


def test_every_text_like_label_is_eligible() -> None:
    layer = _layer(_span("Perfectly good text"))
    for label in TEXT_LIKE_LABELS:
        assert decide(layer, _box_of(layer), label, "auto").text == "Perfectly good text"


def test_box_off_the_page() -> None:
    layer = _layer(_span("Text"))
    assert decide(layer, (500, 700, 900, 1000), "text", "prefer").reason == "off_page"
    assert decide(layer, (10, 10, 10, 50), "text", "auto").reason == "off_page"  # empty box


def test_box_without_text() -> None:
    layer = _layer(_span("Text"))
    assert _both(layer, (200, 200, 300, 300)) == (
        TextLayerDecision(None, "no_text"),
        TextLayerDecision(None, "no_text"),
    )


def test_font_without_tounicode_is_refused_in_both_modes() -> None:
    layer = extract_page(open_pdf(type3_without_tounicode())[0], 2.0)
    [glyph_line, text_line] = sorted(layer.lines, key=lambda ln: ln.bbox[1])
    box = (
        glyph_line.bbox[0] - 2,
        glyph_line.bbox[1] - 2,
        glyph_line.bbox[2] + 2,
        glyph_line.bbox[3] + 2,
    )
    assert _both(layer, box) == (
        TextLayerDecision(None, "unmapped_glyphs"),
        TextLayerDecision(None, "unmapped_glyphs"),
    )
    readable = (
        text_line.bbox[0] - 2,
        text_line.bbox[1] - 2,
        text_line.bbox[2] + 2,
        text_line.bbox[3] + 2,
    )
    assert decide(layer, readable, "text", "auto") == TextLayerDecision("Readable words", "ok")


@pytest.mark.parametrize("bad", ["\ufffd", "\ufffc", "\x1a"])
def test_replacement_characters_are_refused_in_both_modes(bad: str) -> None:
    layer = _layer(_span(f"Broken {bad} text"))
    auto, prefer = _both(layer, _box_of(layer))
    assert auto.reason == prefer.reason == "replacement_chars"
    assert auto.text is prefer.text is None


LONG = "of the estimator converges to the mean almost surely as the sample grows"


@pytest.mark.parametrize("bad", ["\x88", "\ufffd"])
def test_a_lone_undecodable_glyph_opening_a_paragraph_is_a_bullet(bad: str) -> None:
    # A list bullet from a bitmap font without a Unicode map (pdfTeX's Type 3 fonts).
    layer = _layer(_span(f"{bad} The variance {LONG}.", unmapped=int(bad == "\ufffd")))
    auto, prefer = _both(layer, _box_of(layer))
    assert auto == prefer == TextLayerDecision(f"\u2022 The variance {LONG}.", "ok")


def test_an_undecodable_list_marker_opens_a_short_item() -> None:
    layer = _layer(_span("\x88 Each item is short."))
    assert decide(layer, _box_of(layer), "text", "auto") == TextLayerDecision(
        "\u2022 Each item is short.", "ok"
    )


def test_checkboxes_decoded_as_two_codes_open_list_items() -> None:
    # A survey's checkbox glyph comes out as U+FFFD and a C1 control code: one glyph, and
    # every row it opens is an item of its own, not a wrapped line of the item above.
    layer = _layer(
        _span("\ufffd\x84 They coordinate appointments of lawyers", y=10.0, unmapped=1),
        _span("to legal aid cases", x=34.0, y=24.0),
        _span("\ufffd\x84 They supervise private practitioners", y=38.0, unmapped=1),
        _span("\ufffd\x84 Other (Please specify)_____", y=52.0, unmapped=1),
    )
    assert decide(layer, _box_of(layer), "text", "auto") == TextLayerDecision(
        "\u2022 They coordinate appointments of lawyers to legal aid cases\n"
        "\u2022 They supervise private practitioners\n"
        "\u2022 Other (Please specify)_____",
        "ok",
    )
    # Inside a word the codes still refuse the box.
    inside = _layer(_span(f"The vari\ufffd\x84nce {LONG}.", unmapped=1))
    assert decide(inside, _box_of(inside), "text", "auto").text is None


def test_undecodable_glyphs_inside_words_or_many_still_refuse_the_box() -> None:
    inside = _layer(_span(f"The vari\x88nce {LONG}."))
    assert decide(inside, _box_of(inside), "text", "auto").reason == "implausible_script"
    many = _layer(_span(f"\ufffd The \ufffd variance \ufffd {LONG} \ufffd.", unmapped=4))
    assert decide(many, _box_of(many), "text", "auto").reason == "unmapped_glyphs"


def test_sandwich_scan_is_refused_in_auto_and_used_in_prefer() -> None:
    layer = extract_page(open_pdf(scanned_page())[0], 2.0)
    auto, prefer = _both(layer, _box_of(layer))
    assert auto == TextLayerDecision(None, "scanned_page")
    assert prefer == TextLayerDecision("Scanned invoice total\nPaid in full", "ok")


def test_text_under_a_page_image_is_a_scan() -> None:
    layer = extract_page(open_pdf(scanned_page(text_under_image=True))[0], 2.0)
    auto, prefer = _both(layer, _box_of(layer))
    assert auto == TextLayerDecision(None, "scanned_page")
    assert prefer.text == "Scanned invoice total\nPaid in full"


def test_a_scan_whose_only_text_is_an_ocr_layer() -> None:
    # The page is then read as the scan it is (OCR, label checks on OCR lines) in auto.
    assert is_ocr_layer(extract_page(open_pdf(scanned_page())[0], 2.0))
    assert is_ocr_layer(extract_page(open_pdf(scanned_page(text_under_image=True))[0], 2.0))
    assert not is_ocr_layer(extract_page(open_pdf(slide_with_background())[0], 2.0))
    assert not is_ocr_layer(_layer(_span("Hidden words", render_mode=3)))  # no page image


def test_text_on_a_background_picture_is_born_digital() -> None:
    layer = extract_page(open_pdf(slide_with_background())[0], 2.0)
    assert decide(layer, _box_of(layer), "doc_title", "auto") == TextLayerDecision(
        "Quarterly results", "ok"
    )


def test_invisible_text_without_a_page_image() -> None:
    layer = _layer(_span("Hidden words", render_mode=3))
    assert decide(layer, _box_of(layer), "text", "auto") == TextLayerDecision(
        None, "invisible_text"
    )
    assert decide(layer, _box_of(layer), "text", "prefer").text == "Hidden words"


def test_a_few_invisible_characters_are_left_out() -> None:
    visible = _span("A long visible line of ordinary body text")
    marker = _span("xx", x=10 + 8 * 42, render_mode=3)
    layer = TextLayerPage(600, 800, (TextLine((visible, marker), visible.bbox),))
    assert decide(layer, (8, 8, 400, 24), "text", "auto") == TextLayerDecision(
        "A long visible line of ordinary body text", "ok"
    )


def test_private_use_characters() -> None:
    layer = _layer(_span("Symbol \ue000\ue001 font"))
    auto, prefer = _both(layer, _box_of(layer))
    assert auto == TextLayerDecision(None, "private_use")
    assert prefer == TextLayerDecision("Symbol \ue000\ue001 font", "ok")


def test_arabic_presentation_forms_read_as_their_letters() -> None:
    # "سلام" as shaped glyph codes (final meem, lam-alef ligature, initial seen), visual order:
    # read right to left, and each shaped form as its letter (the ligature as lam, alef).
    layer = _layer(_span("\ufee2\ufefc\ufeb3"))
    auto, prefer = _both(layer, _box_of(layer))
    assert auto == TextLayerDecision("\u0633\u0644\u0627\u0645", "ok")
    assert prefer == auto


def test_split_lam_alef_that_cannot_be_rebuilt_is_broken() -> None:
    meem = TextChar("\u0645", (10.0, 10.0, 20.0, 22.0))
    stray_alef = TextChar("\u0627", (60.0, 10.0, 60.0, 22.0))  # zero width, over nothing
    span = TextSpan(
        "\u0645\u0627", (10.0, 10.0, 60.0, 22.0), "Test", 10.0, chars=(meem, stray_alef)
    )
    layer = TextLayerPage(600, 800, (TextLine((span,), span.bbox),))
    assert decide(layer, (5, 5, 65, 25), "text", "auto").reason == "broken_presentation_forms"


@pytest.mark.skipif(not DEJAVU.exists(), reason=f"needs an Arabic font at {DEJAVU}")
def test_pdf_with_shaped_arabic_glyph_codes_reads_as_its_words() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=200)
    css = f"@font-face {{font-family: dv; src: url({DEJAVU.name});}} p {{font-family: dv}}"
    page.insert_htmlbox(
        pymupdf.Rect(20, 20, 380, 100),
        "<p dir='rtl'>السلام عليكم</p>",
        css=css,
        archive=pymupdf.Archive(str(DEJAVU.parent)),
    )
    layer = extract_page(page, 1.0)
    # MuPDF's HTML writer maps each shaped glyph to its presentation-form code point.
    assert any(
        0xFE70 <= ord(c.c) <= 0xFEFE for line in layer.lines for s in line.spans for c in s.chars
    )
    assert decide(layer, _box_of(layer), "text", "auto") == TextLayerDecision(
        "\u0627\u0644\u0633\u0644\u0627\u0645 \u0639\u0644\u064a\u0643\u0645", "ok")


@pytest.mark.parametrize(
    "text",
    [
        "Caf\u00c3\u00a9 cr\u00c3\u00a8me br\u00c3\u00bbl\u00c3\u00a9e",  # UTF-8 read as cp1252
        "It\u00e2\u20ac\u2122s broken",  # ’ as cp1252 mojibake
        "Latin\x07letters\x01with controls",
        "\u00e8\u00dc\u2022\u00dc\u00e1\u00dc\u00a7\u00ea \u2020\u00b0\u00ea\u00a3\u00dc\u2022\u00ee\u2020\u00fc\u00a7",  # codes shifted into Latin-1
        "Mixed \u0441\u0441ript w\u043erds ev\u0435rywh\u0435re",  # Cyrillic inside Latin words
        "\u2022\u2022\u2022 \u00a7\u00a7 \u2020\u2020 \u00b6\u00b6 ab",  # mostly symbols
    ],
)
def test_implausible_text_is_refused_in_auto(text: str) -> None:
    assert implausible(text)
    layer = _layer(_span(text))
    auto, prefer = _both(layer, _box_of(layer))
    assert auto == TextLayerDecision(None, "implausible_script")
    assert prefer.text is not None


@pytest.mark.parametrize(
    "text",
    [
        "INFORMA\u00c7\u00c3O sobre a na\u00e7\u00e3o",
        "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u",
        "AT&T, R&D, don\u2019t, 50% and $5 in \u201cquotes\u201d",
        "\u03b2-catenin and \u0394G values",
        "PDF\u30d5\u30a1\u30a4\u30eb\u3092\u958b\u304f",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645 IBM 2024",
        "x+y=z where f(x) \u2264 2",
    ],
)
def test_real_text_is_plausible(text: str) -> None:
    assert not implausible(text)


def test_box_mostly_empty_of_text_is_refused_in_auto() -> None:
    # A figure box holding one short label: the text layer cannot hold the picture.
    layer = _layer(_span("Axis label", x=20, y=300))
    box: Box = (10, 10, 500, 500)
    auto, prefer = _both(layer, box, "figure_title")
    assert auto == TextLayerDecision(None, "low_coverage")
    assert prefer == TextLayerDecision("Axis label", "ok")


def test_sparse_row_still_counts_as_covered() -> None:
    # "Total ........ $4.11": two words at the ends of a wide row.
    layer = _layer(_span("Total", x=10), _span("$4.11", x=400))
    assert decide(layer, (8, 8, 442, 24), "text", "auto") == TextLayerDecision("Total $4.11", "ok")


def test_table_of_contents_with_dot_leaders_is_trusted_one_entry_per_line() -> None:
    entries = [("Notices", "vii"), ("Trademarks", "viii"), ("1.1 Security fundamentals", "2"),
               ("1.2 Current state of IBM i security", "2")]
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=400)
    for i, (title, number) in enumerate(entries):
        page.insert_text((60, 100 + 14 * i), title + " " + ". " * 30, fontsize=10)
        page.insert_text((400, 100 + 14 * i), number, fontsize=10)
    layer = extract_page(page, 2.0)
    decision = decide(layer, _box_of(layer), "reference_content", "auto")
    assert decision.reason == "ok"
    assert decision.text is not None
    lines = decision.text.split("\n")
    assert [ln.split(" .")[0] for ln in lines] == [t for t, _ in entries]
    assert [ln.rsplit(" ", 1)[1] for ln in lines] == [n for _, n in entries]
