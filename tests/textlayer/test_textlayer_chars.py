"""Rows rebuilt from glyph boxes (docparse.textlayer.chars): where zero-width marks go."""

from __future__ import annotations

from docparse.textlayer.chars import Glyph, row_text


def _row(*glyphs: tuple[str, float]) -> list[Glyph]:
    """Glyphs laid out left to right with the given advances (0: a mark at the pen)."""
    out, x = [], 0.0
    for c, advance in glyphs:
        out.append(Glyph(c, x, 0.0, x + advance, 40.0, 30.0))
        x += advance
    return out


def test_thai_vowel_marks_stay_on_the_consonant_before_them() -> None:
    # "สิทธิเวคิน" as a PDF draws it: each SARA I has no advance and stands where its
    # consonant ended, which is also where a narrow vowel sign (SARA E) begins.
    glyphs = _row(("ส", 35), ("\u0e34", 0), ("ท", 35), ("ธ", 30.5), ("\u0e34", 0), ("เ", 17.8),
                  ("ว", 28.8), ("ค", 35.7), ("\u0e34", 0), ("น", 35))
    assert row_text(glyphs).text == "สิทธิเวคิน"


def test_a_combining_accent_with_no_advance_joins_the_letter_before_it() -> None:
    # "Zoë l" with the diaeresis drawn after "e" at the pen position, before a narrow "l".
    glyphs = _row(("Z", 18), ("o", 15), ("e", 15), ("\u0308", 0), (" ", 7), ("l", 6))
    assert row_text(glyphs).text == "Zoë l"
    glyphs = _row(("e", 15), ("\u0301", 0), ("l", 6), ("e", 15))
    assert row_text(glyphs).text == "éle"
