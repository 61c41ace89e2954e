"""Which runs of an unverified font are read, what the readings prove, and what refusing a
font does to the text layer (pure: readings are given)."""

from __future__ import annotations

from textlayer_pdfs import open_pdf, shifted_font_page

from docparse.textlayer.extract import extract_page
from docparse.textlayer.font_check import (
    FontSample,
    font_samples,
    judge_fonts,
    refuse_fonts,
    similarity,
)
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan


def _span(text: str, font: str = "F", y: float = 100.0, size: float = 20.0,
          direction: tuple[float, float] = (1.0, 0.0), render_mode: int = 0) -> TextSpan:
    chars = tuple(TextChar(c, (10.0 + 10 * i, y, 20.0 + 10 * i, y + size))
                  for i, c in enumerate(text))
    return TextSpan(text=text, bbox=(10.0, y, 10.0 + 10 * len(text), y + size), font=font,
                    size=size, chars=chars, direction=direction, render_mode=render_mode)


def _layer(*spans: TextSpan, unverified: tuple[str, ...] = ("F",)) -> TextLayerPage:
    lines = tuple(TextLine(spans=(s,), bbox=s.bbox) for s in spans)
    return TextLayerPage(width=1000, height=1000, lines=lines, unverified_fonts=unverified)


def test_the_longest_latin_runs_are_sampled_one_per_line() -> None:
    layer = _layer(_span("Short"), _span("A longer line of text", y=200),
                   _span("The longest line of them all", y=300),
                   _span("Another line", font="G", y=400))
    samples = font_samples(layer)
    assert [s.text for s in samples] == ["The longest line of them all", "A longer line of text"]
    assert samples[0].box == (10.0, 300.0, 290.0, 320.0)


def test_runs_that_cannot_be_read_fairly_are_not_sampled() -> None:
    layer = _layer(
        _span("Tiny type here", size=6),  # under eight pixels tall
        _span("Turned text here", y=200, direction=(0.0, -1.0)),
        _span("Invisible OCR layer", y=300, render_mode=3),
        _span("Привет мир", y=400),  # the recogniser would read Cyrillic as Latin look-alikes
        _span("x = y", y=500),  # too few glyphs
    )
    assert font_samples(layer) == []


def test_fonts_judged_on_an_earlier_page_are_not_sampled_again() -> None:
    layer = _layer(_span("Words in F"), _span("Words in G", font="G", y=200),
                   unverified=("F", "G"))
    assert [s.font for s in font_samples(layer, judged={"F"})] == ["G"]


def test_a_liar_is_read_confidently_as_something_else_on_every_sample() -> None:
    f1, f2 = FontSample("F", "sgd pthbj", (0, 0, 1, 1)), FontSample("F", "aqnvm enw", (0, 0, 1, 1))
    g = FontSample("G", "Readable", (0, 0, 1, 1))
    verdicts = judge_fonts([f1, f2, g], [("the quick", 0.99), ("brown fox", 0.97),
                                         ("Readab1e", 0.95)])
    assert verdicts == {"F": True, "G": False}


def test_doubt_or_one_agreeing_sample_is_no_evidence_against_the_text() -> None:
    f1, f2 = FontSample("F", "sgd pthbj", (0, 0, 1, 1)), FontSample("F", "Readable", (0, 0, 1, 1))
    assert judge_fonts([f1], [("the quick", 0.5)]) == {"F": False}  # unsure
    assert judge_fonts([f1, f2], [("the quick", 0.99), ("Readable", 0.99)]) == {"F": False}
    assert judge_fonts([f1], [("", 0.99)]) == {"F": False}  # nothing read


def test_similarity_folds_case_and_spaces() -> None:
    assert similarity("Small Caps", "SMALLCAPS") == 1.0
    assert similarity('"7+%-', "Phone") == 0.0


def test_a_refused_font_keeps_its_boxes_and_spaces_and_loses_its_letters() -> None:
    layer = _layer(_span("sgd fox"), _span("Kept", font="G", y=200), unverified=("F", "G"))
    refused = refuse_fonts(layer, {"F": True, "G": False})
    first, kept = refused.lines
    assert first.spans[0].text == "\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd"
    assert [c.bbox for c in first.spans[0].chars] == [c.bbox for c in layer.lines[0].spans[0].chars]
    assert first.spans[0].unmapped == 6
    assert kept == layer.lines[1]
    assert refuse_fonts(layer, {"F": False}) is layer


def test_embedded_fonts_without_a_map_are_listed_by_their_span_name() -> None:
    page = open_pdf(shifted_font_page(b"sgd pthbj aqnvm enw"))[0]
    layer = extract_page(page, 2.0)
    assert layer.unverified_fonts == ("Shifted",)  # Helvetica, not embedded, is not listed
    assert {s.font for line in layer.lines for s in line.spans} == {"Shifted", "Helvetica"}


def test_fonts_with_a_map_are_not_listed() -> None:
    doc = open_pdf(shifted_font_page(b"Mapped words", shift=0))
    font = next(f[0] for f in doc[0].get_fonts(full=True) if f[3].endswith("Shifted"))
    cmap = doc.get_new_xref()
    doc.update_object(cmap, "<<>>")
    doc.update_stream(cmap, b"begincmap 1 beginbfrange <20> <7a> <0020> endbfrange endcmap")
    doc.xref_set_key(font, "ToUnicode", f"{cmap} 0 R")
    layer = extract_page(open_pdf(bytes(doc.tobytes()))[0], 2.0)
    assert layer.lines[0].spans[0].text == "Mapped words"
    assert layer.unverified_fonts == ()


def test_a_font_writing_common_words_is_not_read() -> None:
    # "the" and "and": its codes are named right; one common word is not enough.
    layer = _layer(_span("the cat and the hat"), _span("Only the title", font="G", y=200),
                   unverified=("F", "G"))
    assert [s.font for s in font_samples(layer)] == ["G"]
