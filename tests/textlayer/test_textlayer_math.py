"""LaTeX from a PDF's formula glyphs (docparse.textlayer.math).

The glyph rows below are laid out the way TeX and KaTeX set them (scripts at 0.7 of the text
size, raised or lowered; display fractions stacked at full size, text fractions at script
size), with the fonts those renderers use. One test reads a generated PDF end to end.
"""

# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest

from docparse.layout import LayoutEvidence, Region
from docparse.layout.builtin_refine import formulas_from_text
from docparse.recognize import RecognitionTask
from docparse.recognize.builtin import structures_from_text_layer
from docparse.sources import PageImage
from docparse.textlayer.extract import extract_page
from docparse.textlayer.math import (
    Glyph,
    formula_latex,
    glyphs_in_box,
    is_math_row,
    row_latex,
    rows_of,
)

MATH = "KaTeX_Math-Italic"
MAIN = "KaTeX_Main-Regular"
BOLD = "KaTeX_Main-Bold"
TEXT = "Times-Roman"


def run(text: str, x: float, base: float, size: float = 14.0, font: str = MATH,
        advance: float = 0.6) -> list[Glyph]:
    """Glyphs of ``text`` from ``x`` on baseline ``base`` (spaces advance without a glyph)."""
    out: list[Glyph] = []
    for c in text:
        if c != " ":
            out.append(Glyph(c, x, base - 0.75 * size, x + 0.5 * size, base + 0.25 * size,
                             base, size, font))
        x += advance * size
    return out


def right(glyphs: list[Glyph]) -> float:
    return max(g.x1 for g in glyphs)


def test_superscripts_and_symbols() -> None:
    e = run("e", 100, 200)
    sup = run("iπ", right(e), 194, size=10)
    rest = run("+1=0", right(sup) + 3, 200, font=MAIN)
    assert row_latex(e + sup + rest) == r"e^{i\pi}+1=0"


def test_subscript_and_superscript_on_one_base() -> None:
    alpha = run("α", 100, 200)
    sub = run("i,j", right(alpha), 203, size=10)
    sup = run("2", right(alpha), 194, size=10, font=MAIN)
    beta = run("+β", right(sub) + 3, 200)
    assert row_latex(alpha + sup + sub + beta) == r"\alpha_{i,j}^{2}+\beta"


def test_display_fraction_with_bold_vectors_and_a_subscripted_denominator() -> None:
    # KaTeX's display style: numerator and denominator at full size, above and below.
    left = run("∇⋅", 100, 200, font=MAIN) + run("E", 118, 200, font=BOLD) + run("=", 130, 200, font=MAIN)
    num = run("ρ", 150, 190)
    den = run("ε", 148, 212) + run("0", 156, 215, size=10, font=MAIN)
    assert row_latex(left + num + den) == r"\nabla\cdot\mathbf{E}=\frac{\rho}{\varepsilon_{0}}"


def test_minus_sign_and_nested_fraction_parts() -> None:
    left = run("∇×", 100, 200, font=MAIN) + run("E", 118, 200, font=BOLD) + run("=−", 130, 200, font=MAIN)
    num = run("∂", 152, 190, font=MAIN) + run("B", 160, 190, font=BOLD)
    den = run("∂t", 153, 212, font=MAIN)
    assert row_latex(left + num + den) == r"\nabla\times\mathbf{E}=-\frac{\partial\mathbf{B}}{\partial t}"


def test_text_style_fraction_after_a_sum_with_limits() -> None:
    # Inline style: the sum's limits are scripts, the fraction's parts are script size.
    sigma = run("∑", 100, 200, font="KaTeX_Size1-Regular")
    upper = run("n", 102, 192, size=10)
    lower = run("i=1", 96, 206, size=10)
    rest = run("i", 112, 200) + run("=", 120, 200, font=MAIN)
    num = run("n(n+1)", 132, 195, size=10)
    den = run("2", 147, 206, size=10, font=MAIN)
    assert row_latex(sigma + upper + lower + rest + num + den) == r"\sum_{i=1}^{n}i=\frac{n(n+1)}{2}"


def test_operator_names_and_limits_under_a_word() -> None:
    lim = run("lim", 100, 200, font=MAIN, advance=0.5)
    under = run("x→0", 100, 206, size=10)
    frac = run("sin x", 125, 195, size=10, font=MAIN, advance=0.5) + run("x", 130, 206, size=10)
    rest = run("=1", 160, 200, font=MAIN)
    assert row_latex(lim + under + frac + rest) == r"\lim_{x\rightarrow0}\frac{\sin x}{x}=1"
    sin = run("sin", 100, 200, font=MAIN, advance=0.5) + run("2", 121, 194, size=10, font=MAIN)
    theta = run("θ", 127, 200)
    assert row_latex(sin + theta) == r"\sin^{2}\theta"


def test_an_integral_takes_its_limits_and_an_equation_number_becomes_a_tag() -> None:
    integral = [Glyph("∫", 100, 180, 110, 215, 210, 14.0, "KaTeX_Size2-Regular")]
    lower = run("a", 108, 212, size=10)
    upper = run("b", 114, 186, size=10)
    body = run("f(x)dx", 124, 200) + run("=F(b)−F(a)", 170, 200, font=MAIN)
    number = run("(3)", 400, 200, font=TEXT)
    assert row_latex(integral + lower + upper + body + number) == (
        r"\int_{a}^{b}f(x)dx=F(b)-F(a) \tag{3}"
    )


def test_several_rows_are_gathered() -> None:
    one = run("a", 100, 200) + run("2", 108, 194, size=10, font=MAIN) + run("=1", 115, 200, font=MAIN)
    two = run("b", 100, 240) + run("=0", 110, 240, font=MAIN)
    assert [len(r) for r in rows_of(one + two)] == [4, 3]
    assert formula_latex(one + two) == "\\begin{gathered}a^{2}=1\\\\\nb=0\\end{gathered}"


def test_what_counts_as_a_math_row() -> None:
    assert is_math_row(run("x", 100, 200) + run("=5", 110, 200, font=MAIN))
    # Prose, even with a Greek letter in it, is not.
    assert not is_math_row(run("the angle θ is small", 100, 200, font=TEXT, advance=0.5))
    # Digits alone are not math, nor is a bullet in a symbol font.
    assert not is_math_row(run("12", 100, 200, font=TEXT))
    assert not is_math_row(run("•", 100, 200, font="Symbol") + run("Item", 110, 200, font=TEXT))
    # Operator names are words a formula may hold.
    assert is_math_row(run("sin", 100, 200, font=TEXT, advance=0.5) + run("x", 120, 200))


def _formula_page() -> pymupdf.Document:
    """A paragraph and, under it, an indented formula: italic letters, a raised smaller "2"
    and a Greek letter from a symbol font (as a word processor sets them)."""
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=300)
    writer = pymupdf.TextWriter(page.rect)
    roman, italic, symbol = pymupdf.Font("tiro"), pymupdf.Font("tiit"), pymupdf.Font("symbol")
    writer.append((40, 60), "The energy of a body at rest is given by the famous relation", font=roman, fontsize=11)
    writer.append((40, 75), "that every student of physics learns early on.", font=roman, fontsize=11)
    y = 110
    for x, text, font, size, rise in [
        (150, "E", italic, 14, 0), (162, "=", roman, 14, 0), (175, "mc", italic, 14, 0),
        (190, "2", roman, 10, 6), (198, "+", roman, 14, 0), (210, "π", symbol, 14, 0),
    ]:
        writer.append((x, y - rise), text, font=font, fontsize=size)
    writer.append((40, 140), "which holds in every inertial frame of reference.", font=roman, fontsize=11)
    writer.write_text(page)
    return doc


def test_a_formula_boxed_with_its_paragraph_is_cut_out_and_read_as_latex() -> None:
    doc = _formula_page()
    layer = extract_page(doc[0], 2.0)
    text_box = Region("text", (70, 100, 740, 300), 0.9, 1)
    regions = formulas_from_text([text_box], LayoutEvidence(800, 600, layer, True))
    assert [r.label for r in regions] == ["text", "display_formula", "text"]
    formula = regions[1]
    assert formula.bbox[1] > 160 and formula.bbox[3] < 240
    x0, y0, x1, y1 = (round(v) for v in formula.bbox)
    task = RecognitionTask(block_id=0, label="display_formula", kind="formula", bbox=(x0, y0, x1, y1))
    page = PageImage("f.pdf", 0, 1, np.zeros((600, 800, 3), np.uint8), 2.0, layer)
    result = structures_from_text_layer(page, [task])
    assert result[0].content == r" $$ E=mc^{2}+\pi $$ "
    assert result[0].source == "text-layer"


@pytest.mark.parametrize("label", ["paragraph_title", "table"])
def test_only_text_boxes_are_searched_for_formulas(label: str) -> None:
    layer = extract_page(_formula_page()[0], 2.0)
    box = Region(label, (70, 100, 740, 300), 0.9, 1)
    assert formulas_from_text([box], LayoutEvidence(800, 600, layer, True)) == [box]


def test_accents_alphabets_and_names_in_a_formula() -> None:
    bar = Glyph("¯", 100, 185, 107, 192, 194, 14.0, "CMR10")
    x = run("X", 100, 200)
    n = run("n", 108, 203, size=10)
    rest = [*run("=", 120, 200, font="CMR10"), Glyph("E", 135, 190, 142, 200, 200, 14.0, "MSBM10")]
    rest += [Glyph("L", 145, 190, 152, 200, 200, 14.0, "CMSY10")]
    assert row_latex([bar, *x, *n, *rest]) == r"\bar{X}_{n}=\mathbb{E}\mathcal{L}"
    # Upright names beside many math glyphs are part of the formula.
    var = run("Var", 100, 200, font="CMR10", advance=0.5) + run("(X)=σ", 121, 200)
    var += run("2", 194, 194, size=10, font="CMR10")
    assert is_math_row(var)
    assert row_latex(var) == r"\mathrm{Var}(X)=\sigma^{2}"


def test_each_sum_takes_the_limits_under_it() -> None:
    first = [Glyph("∑", 100, 185, 114, 215, 210, 14.0, "CMEX10")]
    second = [Glyph("∑", 120, 185, 134, 215, 210, 14.0, "CMEX10")]
    under = run("i=1", 101, 222, size=8, advance=0.55) + run("j=1", 121, 222, size=8, advance=0.55)
    rest = run("x=1", 140, 200)
    assert row_latex(first + second + under + rest) == r"\sum_{i=1}\sum_{j=1}x=1"


def test_a_limit_wider_than_its_sum_stays_whole() -> None:
    # TeX centres a long limit under the sum; both its ends reach past the sign, where they
    # were taken for scripts of the "=" before it and of the "x" after it.
    left = run("λ=", 80, 200)
    total = [Glyph("∑", 120, 185, 134, 215, 210, 14.0, "CMEX10")]
    under = run("s,Rs=Iab", 109.6, 222, size=8, advance=0.55)
    after = run("x", 150, 200)
    assert row_latex(left + total + under + after) == r"\lambda=\sum_{s,Rs=Iab}x"


def test_a_superscript_run_stays_with_its_base_beside_a_tall_bracket() -> None:
    # "ζ^{ψ(gs)}]": the bracket is set in a big font whose glyph box starts left of the
    # superscript's last character.
    open_ = [Glyph("[", 90, 180, 98, 220, 210, 14.0, "CMEX10")]
    zeta = run("ζ", 100, 200)
    sup = run("ψ(gs)", right(zeta), 194, size=8, advance=0.55)
    close = [Glyph("]", right(sup) - 3, 180, right(sup) + 5, 220, 210, 14.0, "CMEX10")]
    assert row_latex(open_ + zeta + sup + close) == r"[\zeta^{\psi(gs)}]"


def test_a_radical_covers_what_is_under_its_bar() -> None:
    root = [Glyph("√", 100, 186, 110, 200, 200, 14.0, "CMSY10")]
    radicand = run("b", 110, 210) + run("2", 118, 204, size=10, font="CMR10") + run("−4", 126, 210, font="CMR10")
    after = run("+1", 150, 210, font="CMR10")
    bar = (110.0, 192.0, 146.0, 193.0)
    assert row_latex(root + radicand + after, [bar]) == r"\sqrt{b^{2}-4}+1"
    # Without a bar (a renderer drew the sign as a path) the sign is left as it is.
    assert row_latex(root + radicand + after) == r"\surd b^{2}-4+1"


PDFTEX = Path(__file__).parent / "data" / "tex_formulas.pdf"


def test_formulas_of_a_real_pdftex_paper() -> None:
    """tests/textlayer/data/tex_formulas.pdf: its .tex source beside it, made with pdfTeX
    (TeX Live 2022): Computer Modern fonts, the math extension font without a Unicode map,
    fraction and radical bars drawn as rules."""
    layer = extract_page(pymupdf.open(PDFTEX)[0], 2.0)
    glyphs = [g for g in glyphs_in_box(layer, (0, 0, layer.width, layer.height))]
    found = [row_latex(r, layer.rules) for r in rows_of(glyphs) if is_math_row(r)]
    assert found == [
        r"\mathcal{L}(\theta)=-\frac{1}{N}\sum_{i=1}^{N}\log p_{\theta}(x_{i}|y_{i})+\lambda\|\theta\|_{2}^{2}. \tag{1}",
        r"\nabla_{\theta}\mathcal{L}=-\frac{1}{N}\sum_{i=1}^{N}\frac{\partial\log p_{\theta}(x_{i})}{\partial\theta}+2\lambda\theta \tag{2}",
        r"p(x)=\frac{1}{\sqrt{2\pi\sigma^{2}}}\exp(-\frac{(x-\mu)^{2}}{2\sigma^{2}})",
        r"x=\frac{-b\pm\sqrt{b^{2}-4ac}}{2a},e^{i\pi}+1=0.",
        r"\int_{0}^{\infty}e^{-x^{2}}dx=\frac{\sqrt{\pi}}{2} \tag{3}",
        r"a^{2}+b^{2}=c^{2} \tag{4}",
        r"\alpha_{i,j}^{(k)}\leq\beta^{k+1}\cdot\gamma \tag{5}",
    ]


def test_the_builtin_default_writes_the_paper_s_formulas_as_latex(tmp_path: Path) -> None:
    """End to end with the built-in layout model: formula boxes cut out of the paragraphs
    they were boxed with, radical signs above their box taken in, equation numbers boxed
    apart joined as tags, and prose around them left as paragraphs."""
    import docparse

    md = docparse.parse(PDFTEX).to_markdown()
    assert " $$ x=\\frac{-b\\pm\\sqrt{b^{2}-4ac}}{2a},e^{i\\pi}+1=0. $$ " in md
    assert " $$ \\int_{0}^{\\infty}e^{-x^{2}}dx=\\frac{\\sqrt{\\pi}}{2} \\tag{3} $$ " in md
    assert "\\begin{gather}a^{2}+b^{2}=c^{2} \\tag{4}\\\\\n\\alpha_{i,j}^{(k)}" in md
    assert "The gradient of this loss with respect to the parameters is then" in md
    assert "\n(3)\n" not in md and "√" not in md


def test_a_formula_box_holding_only_prose_is_text() -> None:
    layer = extract_page(_formula_page()[0], 2.0)
    box = Region("display_formula", (70, 100, 740, 160), 0.9, 5)
    out = formulas_from_text([box], LayoutEvidence(800, 600, layer, True))
    assert [r.label for r in out if r.bbox == box.bbox] == ["text"]
    # The page's formula, which the box left out, is found among the glyphs no box holds.
    (formula,) = [r for r in out if r.bbox != box.bbox]
    assert formula.label == "display_formula"
    assert row_latex(glyphs_in_box(layer, formula.bbox)) == r"E=mc^{2}+\pi"


def test_an_equation_number_boxed_apart_joins_its_formula() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=200)
    writer = pymupdf.TextWriter(page.rect)
    writer.append((150, 100), "α", font=pymupdf.Font("symbol"), fontsize=14)
    writer.append((165, 100), "= 1", font=pymupdf.Font("tiro"), fontsize=14)
    writer.append((350, 100), "(7)", font=pymupdf.Font("tiro"), fontsize=11)
    writer.write_text(page)
    layer = extract_page(doc[0], 2.0)
    regions = [Region("display_formula", (290, 170, 420, 210), 0.9, 5),
               Region("text", (690, 175, 740, 205), 0.9, 1)]
    out = formulas_from_text(regions, LayoutEvidence(800, 400, layer, True))
    assert [r.label for r in out] == ["display_formula"]
    assert out[0].bbox[2] >= 740
    assert row_latex(glyphs_in_box(layer, out[0].bbox)) == r"\alpha=1 \tag{7}"


PROSE_MATH = Path(__file__).parent / "data" / "tex_prose_math.pdf"


def test_a_latex_paragraph_with_inline_math_is_prose_not_a_table() -> None:
    """tests/textlayer/data/tex_prose_math.pdf (pdfTeX): inline math and font changes cut
    the lines into pieces that line up like cells; its glyphs run on without a cell gap."""
    from docparse.layout.builtin_refine import tables_from_text
    from docparse.textlayer.pieces import pieces_in_box
    from docparse.textlayer.tables import looks_like_table

    layer = extract_page(pymupdf.open(PROSE_MATH)[0], 2.0)
    paragraph = (266.0, 416.0, 958.0, 566.0)
    assert looks_like_table(pieces_in_box(layer, paragraph))  # what the pieces alone say
    evidence = LayoutEvidence(1224, 1584, layer, True)
    for label in ("text", "table"):
        out = tables_from_text([Region(label, paragraph, 0.9, 1)], evidence)
        assert [r.label for r in out] == ["text"]
    # The real table under it stays a table.
    table = (475.0, 606.0, 752.0, 676.0)
    assert [r.label for r in tables_from_text([Region("text", table, 0.9, 1)], evidence)] == ["table"]


def test_the_builtin_default_reads_a_latex_page_with_inline_math(tmp_path: Path) -> None:
    import docparse

    md = docparse.parse(PROSE_MATH).to_markdown()
    assert "converges to µ almost surely" in md
    assert "<td>converges" not in md and "converges</td>" not in md
    assert "Method</td>" in md and "14.1</td>" in md
    assert "\\mathrm{Var}(\\bar{X}_{n})=\\frac{\\sigma^{2}}{n}, \\tag{1}" in md
    # Inline math is LaTeX, as a recognition server writes it; prose around it stays text.
    assert "- Each $\\alpha_{k}\\geq0$ and $\\sum_{k}\\alpha_{k}=1$." in md
    assert "a parameter $\\theta\\in\\Theta\\subset\\mathbb{R}^{d}$ and show" in md
    assert "Theorem 1. If $f$ is L-smooth then $f(y)\\leq f(x)" in md and "for all $x,y$." in md
    assert "Hence the rate is $n^{-1/2}$ in probability." in md
    assert "- The map $f:\\mathbb{R}\\rightarrow\\mathbb{R}$ is convex." in md


TWO_COLUMN = Path(__file__).parent / "data" / "tex_two_column.pdf"


def test_a_two_column_latex_paper_in_column_order_with_its_equations() -> None:
    """tests/textlayer/data/tex_two_column.pdf (pdfTeX, twocolumn article): columns set 10 pt
    apart, a section break shared by both columns wider than that; a fraction with a sum in
    its denominator; an equation the model boxed in two pieces."""
    import docparse

    md = docparse.parse(TWO_COLUMN).to_markdown()
    order = [md.index(h) for h in ("1 Introduction", "2 Method", "3 Experiments", "4 Conclusion")]
    assert order == sorted(order)
    assert (" $$ \\mathrm{Attn}(Q,K,V)=\\mathrm{softmax}(\\frac{QK^{\\top}}{\\sqrt{d_{k}}})V."
            " \\tag{1} $$ ") in md
    assert ("a_{ij}=\\frac{\\exp(q_{i}^{\\top}k_{j}/\\sqrt{d})}"
            "{\\sum_{l\\in S_{i}}\\exp(q_{i}^{\\top}k_{l}/\\sqrt{d})},j\\in S_{i}. \\tag{2}") in md


def test_accents_primes_products_and_a_sum_over_brackets_from_pdftex() -> None:
    """tests/textlayer/data/tex_constructs.pdf (pdfTeX). The product's limits stand in rows
    of their own (neither math nor prose: they go with the formula); accents and primes read
    as the gate's 'symbols inside words', which must not send a formula to OCR."""
    import docparse

    md = docparse.parse(Path(__file__).parent / "data" / "tex_constructs.pdf").to_markdown()
    assert " $$ \\hat{y}=\\tilde{x}+f'(x)+\\prod_{k=1}^{K}(1-p_{k}) \\tag{2} $$ " in md
    assert ("\\mathcal{L}=\\sum_{i,j}[y_{ij}\\log\\hat{y}_{ij}+(1-y_{ij})\\log(1-\\hat{y}_{ij})]"
            " \\tag{4}") in md


def test_lines_of_text_run_together_are_not_a_formula() -> None:
    # A paragraph in a font whose boxes overlap from line to line ends up as one "row"; one
    # asterisk from a math font must not make it a formula, nor Fraktur text set in a math
    # font.
    lines = [run(t, 100, 200 + 17 * i, font="LMRoman10-Regular", advance=0.5)
             for i, t in enumerate(["TheAMSFonts", "collectionof", "symbolfonts"])]
    star = [Glyph("∗", 300, 190, 306, 198, 196, 8.0, "LatinModernMath-Regular")]
    merged = [g for line in lines for g in line] + star
    assert not is_math_row(merged)
    fraktur = [*run("Fraktur", 100, 200, font="EUFM10", advance=0.5),
               *run("letters", 160, 200, font="EUFM10", advance=0.5),
               *run("sample", 220, 200, font="EUFM10", advance=0.5)]
    assert not is_math_row(fraktur)
    # A display fraction's numerator and denominator sit closer to the line.
    frac = run("x=", 100, 200) + run("abc", 130, 190) + run("def", 130, 210)
    assert is_math_row(frac)


def test_equations_no_box_holds_are_found_in_a_text_font() -> None:
    # Two cards side by side, each with its equation set in Times (italic variables, roman
    # operators and raised digits) and left unboxed by the model; a line of prose with an
    # italic variable and "=" in it is no formula.
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=400)
    writer = pymupdf.TextWriter(page.rect)
    roman, italic = pymupdf.Font("tiro"), pymupdf.Font("tiit")
    for x0 in (60, 360):
        for dx, text, font, size, rise in [(0, "a", italic, 14, 0), (8, "2", roman, 10, 6),
                                           (16, "+", roman, 14, 0), (28, "b", italic, 14, 0),
                                           (36, "2", roman, 10, 6), (44, "=", roman, 14, 0),
                                           (56, "c", italic, 14, 0), (63, "2", roman, 10, 6)]:
            writer.append((x0 + dx, 120 - rise), text, font=font, fontsize=size)
    writer.append((60, 200), "We set the value of ", font=roman, fontsize=11)
    writer.append((160, 200), "x", font=italic, fontsize=11)
    writer.append((168, 200), "= 5 in every run of the study.", font=roman, fontsize=11)
    writer.write_text(page)
    layer = extract_page(doc[0], 2.0)
    out = formulas_from_text([Region("text", (50, 40, 1150, 80), 0.9, 1)], LayoutEvidence(1200, 800, layer, True))
    formulas = [r for r in out if r.label == "display_formula"]
    assert len(formulas) == 2
    assert [row_latex(glyphs_in_box(layer, r.bbox)) for r in formulas] == ["a^{2}+b^{2}=c^{2}"] * 2
    assert all(r.bbox[3] < 300 for r in formulas)  # the prose line is not one


def test_dot_leaders_in_a_math_font_are_no_formula() -> None:
    # A table of contents whose leaders TeX set in its math font, the entry's title boxed
    # by the model and the leaders and page number left loose.
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=400)
    writer = pymupdf.TextWriter(page.rect)
    writer.append((60, 120), "5 Path searching", font=pymupdf.Font("tiro"), fontsize=11)
    writer.append((160, 120), ". " * 30, font=pymupdf.Font("symbol"), fontsize=11)
    writer.append((520, 120), "7", font=pymupdf.Font("tiro"), fontsize=11)
    writer.write_text(page)
    layer = extract_page(doc[0], 2.0)
    title = Region("text", (110, 220, 300, 250), 0.9, 1)
    out = formulas_from_text([title], LayoutEvidence(1200, 800, layer, True))
    assert [r.label for r in out] == ["text"]
