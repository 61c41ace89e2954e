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


def test_the_space_after_a_latin_word_in_arabic_text_goes_back_after_it() -> None:
    # "... R وPython ميزات" as Word draws it (docling-parse's right_to_left.pdf): the space
    # typed after "Python" is shown on its right, next to the conjunction "و" that clings to
    # it, and "ميزات" touches its "P". Read as drawn: "R و Pythonميزات".
    visual = [*((c, 5.0) for c in "تازيم"), *((c, 6.0) for c in "Python"), (" ", 3.0),
              ("و", 5.0), (" ", 3.0), ("R", 8.0), (" ", 3.0), *((c, 5.0) for c in "نم")]
    assert row_text(_row(*visual)).text == "من R وPython ميزات"
    # Spaced on both sides, or a number against the next word ("2020م"), nothing moves.
    visual = [*((c, 5.0) for c in "تازيم"), (" ", 3.0), *((c, 6.0) for c in "Python"),
              (" ", 3.0), *((c, 5.0) for c in "نم")]
    assert row_text(_row(*visual)).text == "من Python ميزات"
    visual = [("م", 5.0), *((c, 6.0) for c in "2020"), (" ", 3.0), *((c, 5.0) for c in "يف")]
    assert row_text(_row(*visual)).text == "في 2020م"
