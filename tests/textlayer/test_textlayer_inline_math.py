"""Inline math in running text as ``$...$`` (docparse.textlayer.inline_math).

Rows are built glyph by glyph the way pdfTeX and a LaTeX class with Palladio set them: the
prose and the theorem's italics in a text font, variables in the same italic, Greek letters
and symbols in math fonts, scripts at 0.7 of the size on a raised or lowered baseline. The
text each row is matched in is what the text layer's reader gives for it.
"""

from __future__ import annotations

from docparse.textlayer.inline_math import with_inline_math
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

ROMAN = "URWPalladioL-Roma"
ITALIC = "URWPalladioL-Ital"
MATH = "PazoMath-Italic"
SYMBOLS = "CMSY10"
UPRIGHT_MATH = "CMR10"
SIZE = 20.0


class Row:
    """A row of text set left to right on one baseline, piece by piece."""

    def __init__(self, base: float = 100.0) -> None:
        self.base = base
        self.x = 10.0
        self.spans: list[TextSpan] = []

    def add(self, text: str, font: str = ROMAN, *, script: float = 0.0) -> Row:
        """``text`` in ``font``; ``script`` > 0 lowers it as a subscript, < 0 raises it."""
        size = SIZE * (0.7 if script else 1.0)
        base = self.base + script * SIZE
        advance = 0.5 * size
        chars = []
        for c in text:
            chars.append(TextChar(c, (self.x, base - 0.75 * size, self.x + advance, base + 0.25 * size)))
            self.x += advance
        self.spans.append(TextSpan(text, (chars[0].bbox[0], base - 0.75 * size, self.x, base + 0.25 * size),
                                   font, size, chars=tuple(chars), baseline=base))
        return self

    def space(self) -> Row:
        self.x += 0.3 * SIZE
        return self

    def page(self) -> TextLayerPage:
        box = (self.spans[0].bbox[0], min(s.bbox[1] for s in self.spans), self.x,
               max(s.bbox[3] for s in self.spans))
        return TextLayerPage(1000, 300, (TextLine(tuple(self.spans), box),))


def latex_of(row: Row, text: str) -> str:
    return with_inline_math(row.page(), (0, 0, 1000, 300), text)


def test_a_theorem_s_variables_in_its_italic_prose() -> None:
    # "Suppose that g′ = ug for some u ∈ R×. Then λg = λg′." (the theorem's prose and its
    # variables share one italic font; the prime, the relation and λ come from math fonts)
    row = (Row().add("Suppose", ITALIC).space().add("that", ITALIC).space()
           .add("g", ITALIC).add("′", SYMBOLS, script=-0.4).space().add("=", UPRIGHT_MATH).space()
           .add("ug", ITALIC).space().add("for", ITALIC).space().add("some", ITALIC).space()
           .add("u", ITALIC).space().add("∈", SYMBOLS).space().add("R", ITALIC)
           .add("×", SYMBOLS, script=-0.4).add(".").space().add("Then", ITALIC).space()
           .add("λ", MATH).add("g", ITALIC, script=0.2).space().add("=", UPRIGHT_MATH).space()
           .add("λ", MATH).add("g", ITALIC, script=0.2).add("′", SYMBOLS, script=-0.1).add("."))
    text = "Suppose that g′ = ug for some u ∈ R×. Then λg = λg′."
    assert latex_of(row, text) == (
        "Suppose that $g'=ug$ for some $u\\in R^{\\times}$. Then $\\lambda_{g}=\\lambda_{g}'$.")


def test_a_name_applied_to_a_subscripted_argument() -> None:
    # "where u ∈ (R/AnnR(xi))× and": an upright name right against its subscript is part of
    # the formula, and so are the brackets around it.
    row = (Row().add("where").space().add("u", ITALIC).space().add("∈", SYMBOLS).space()
           .add("(", UPRIGHT_MATH).add("R", ITALIC).add("/", UPRIGHT_MATH).add("Ann")
           .add("R", ITALIC, script=0.2).add("(", UPRIGHT_MATH).add("x", ITALIC)
           .add("i", ITALIC, script=0.2).add("))", UPRIGHT_MATH).add("×", SYMBOLS, script=-0.4)
           .space().add("and"))
    assert latex_of(row, "where u ∈ (R/AnnR(xi))× and") == (
        "where $u\\in(R/\\mathrm{Ann}_{R}(x_{i}))^{\\times}$ and")


def test_an_exercise_number_and_a_list_of_constants_stay_outside() -> None:
    row = (Row().add("150.").space().add("s", MATH).add("(", UPRIGHT_MATH).add("t", MATH).add(")", UPRIGHT_MATH).space()
           .add("=", UPRIGHT_MATH).space().add("2").add("t", MATH).add("3", script=-0.4))
    assert latex_of(row, "150. s(t) = 2t3") == "150. $s(t)=2t^{3}$"
    row = (Row().add("constants").space().add("(e,", ITALIC).space().add("i,", ITALIC).space()
           .add("π,", MATH).space().add("1,").space().add("0)"))
    assert latex_of(row, "constants (e, i, π, 1, 0)") == "constants (e, i, $\\pi$, 1, 0)"


def test_prose_marks_and_numbers_stay_text() -> None:
    # A footnote mark after a word, an ordinal, a registered mark and a year are no math;
    # neither is the "f" of "If" when a variable f follows.
    row = (Row().add("results").add("1", script=-0.4).space().add("in").space().add("the").space()
           .add("1").add("st", script=-0.4).space().add("DB2").add("®", script=-0.4).space()
           .add("release").space().add("of").space().add("2010").space().add("If").space()
           .add("f", MATH).space().add("holds"))
    text = "results1 in the 1st DB2® release of 2010 If f holds"
    assert latex_of(row, text) == "results1 in the 1st DB2® release of 2010 If $f$ holds"


def test_scripts_in_a_text_font_make_no_formula_alone() -> None:
    # A word processor's "X² + Y₂ = Z", "¹⁄₄ inch" and "10⁵ steps" set in a text font stay
    # text, as their readers' references keep them; "x ≤ y" has a math symbol.
    row = (Row().add("X").add("2", script=-0.4).space().add("+").space().add("Y")
           .add("2", script=0.2).space().add("=").space().add("Z").space().add("1", script=-0.4)
           .add("⁄").add("4", script=0.2).space().add("inch").space().add("10").add("5", script=-0.4)
           .space().add("steps,").space().add("and").space().add("x", ITALIC).space()
           .add("≤", SYMBOLS).space().add("y", ITALIC).add(","))
    assert latex_of(row, "X2 + Y2 = Z 1⁄4 inch 105 steps, and x ≤ y,") == (
        "X2 + Y2 = Z 1⁄4 inch 105 steps, and $x\\leq y$,")


def test_greek_prose_and_text_the_glyphs_do_not_spell_are_left_alone() -> None:
    greek = Row().add("Η").space().add("μελέτη").space().add("δείχνει").space().add("ότι").space().add("α")
    assert latex_of(greek, "Η μελέτη δείχνει ότι α") == "Η μελέτη δείχνει ότι α"
    row = Row().add("then").space().add("λ", MATH).add("g", ITALIC, script=0.2)
    # The reader's text spells the accent or ligature otherwise: nothing is replaced.
    assert latex_of(row, "then λ̂g") == "then λ̂g"


def test_half_formulas_and_marks_in_math_fonts_stay_text() -> None:
    # "constant (CV = 0)": the variable is an upright word, so "= 0" alone would be half a
    # formula; "(1904),¹⁴" (its brackets and footnote number) and "⋆ Thanks" set their
    # marks in a math font.
    row = (Row().add("constant").space().add("(CV").space().add("=", MATH).space().add("0)")
           .space().add("Lang").space().add("(", MATH).add("1904").add("),", MATH).add("14", MATH, script=-0.4).space()
           .add("found").space().add("⋆", SYMBOLS).space().add("Thanks"))
    text = "constant (CV = 0) Lang (1904),14 found ⋆ Thanks"
    assert latex_of(row, text) == text


def test_a_name_set_in_a_math_font_and_a_lone_mark_stay_text() -> None:
    # "Jacc,² ... LALR(k) grammars, for any k ≥ 1": a system's name set in Fraktur is a word;
    # a name applied to a variable, and the relation after it, are math.
    row = (Row().add("of").space().add("Jacc", "EUFM10").add(",").add("2", script=-0.4).space()
           .add("gives").space().add("LALR", "EUFM10").add("(", UPRIGHT_MATH).add("k", MATH)
           .add(")", UPRIGHT_MATH).space().add("for").space().add("k", MATH).space()
           .add("≥", SYMBOLS).space().add("1.", UPRIGHT_MATH))
    assert latex_of(row, "of Jacc,2 gives LALR(k) for k ≥ 1.") == (
        "of Jacc,2 gives $\\mathrm{LALR}(k)$ for $k\\geq1$.")
    # A letter in a math font's upright alphabet is a variable, not a word.
    row = Row().add("let").space().add("x", MATH).space().add("∈", SYMBOLS).space().add("R", "MSBM10")
    assert latex_of(row, "let x ∈ R") == "let $x\\in\\mathbb{R}$"
    # An affiliation mark alone on its row (a block of its own beside an author list).
    assert latex_of(Row().add("β", MATH), "β") == "β"
