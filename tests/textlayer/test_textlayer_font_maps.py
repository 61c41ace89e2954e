"""Fonts whose ToUnicode map contradicts the glyph names they draw by: parsing, the
judgement (pure), and the extraction that believes the names."""

# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

import pymupdf
from textlayer_pdfs import open_pdf, polish_subset_page

from docparse.textlayer.extract import extract_page
from docparse.textlayer.font_maps import contradicted, differences, to_unicode


def _text(data: bytes) -> str:
    page = open_pdf(data)[0]
    layer = extract_page(page, 2.0)
    return " ".join("".join(s.text for s in line.spans) for line in layer.lines)


def test_another_fonts_map_gives_way_to_the_glyph_names() -> None:
    # The map says ". - 6" where the font draws ł, ą and ś (pymupdf alone reads
    # "T.oczenie ci6nienia sum-").
    assert _text(polish_subset_page()) == "Tłoczenie ciśnienia sumą"


def test_a_map_that_agrees_with_the_names_is_kept() -> None:
    doc = open_pdf(polish_subset_page(mapped=("ł", "ą", "ś")))
    extract_page(doc[0], 2.0)
    assert doc.xref_get_key(6, "ToUnicode") == ("xref", "7 0 R")


def test_a_map_dropping_the_accents_is_kept() -> None:
    # Sloppy but the same letters: the map stays and is read as the producer wrote it.
    assert _text(polish_subset_page(mapped=("l", "a", "s"))) == "Tloczenie cisnienia suma"


def _named(*names: str) -> dict[int, str]:
    """Codes from 33 on -> what their glyph names stand for, as the extraction resolves them
    (MuPDF's glyph list)."""
    return {33 + i: chr(u) for i, name in enumerate(names)
            if (u := pymupdf.mupdf.fz_unicode_from_glyph_name(name))}


def test_the_verdict_needs_every_letter_to_disagree() -> None:
    named = _named("lslash", "aogonek", "sacute")
    assert contradicted(named, {33: ".", 34: "-", 35: "6"})
    assert contradicted(named, {33: "J", 34: "S", 35: "i"})  # other letters, all of them
    assert not contradicted(named, {33: "ł", 34: "-", 35: "6"})  # one agrees
    assert not contradicted(_named("lslash"), {33: "J"})  # one letter for another: too little
    assert contradicted(_named("lslash"), {33: "3"})  # one letter for a digit
    assert not contradicted(_named("ordfeminine", "aleph"), {33: "ª", 34: "ℵ"})
    assert not contradicted(_named("fi", "fl"), {33: "i", 34: "l"})  # ligatures not judged
    assert not contradicted(_named("g12", "cid7"), {33: "x", 34: "y"})  # private names
    assert not contradicted(_named("a.sc", "b.sc"), {33: "A", 34: "B"})  # small capitals
    # A symbol font's bullets under plain letters' names (the Federal Register's
    # ZapfDingbats): the map is right.
    assert not contradicted(_named("I"), {33: "■"})
    assert not contradicted(_named("n", "l", "u"), {33: "■", 34: "●", 35: "◆"})
    assert not contradicted(named, {})


def test_differences_and_maps_are_parsed_as_pdf_writes_them() -> None:
    assert differences("[ 33 /lslash /zdot\n 65 /A#42 ]") == {33: "lslash", 34: "zdot",
                                                             65: "AB"}
    assert differences("[300 /x 1 /a]") == {1: "a"}  # codes of a simple font only
    cmap = (b"2 beginbfchar <21> <0142> <0022> <017C> endbfchar "
            b"2 beginbfrange <30> <32> <0061> <40> <41> [<0062> <0063>] endbfrange "
            b"1 beginbfrange <FE> <0101> <0041> endbfrange")
    assert to_unicode(cmap) == {33: "ł", 34: "ż", 48: "a", 49: "b", 50: "c", 64: "b", 65: "c",
                                254: "A", 255: "B"}
    assert to_unicode(b"garbage") == {}
