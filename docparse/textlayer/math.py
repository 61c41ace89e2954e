"""LaTeX for display formulas from a PDF's own glyphs (pure).

Born-digital PDFs typeset formulas in math fonts (TeX's cmmi/cmsy/cmex, KaTeX's, Cambria
Math, STIX, ...) and place every glyph where the formula's structure puts it: superscripts
smaller and raised, subscripts smaller and lowered, a fraction's numerator and denominator
stacked above and below the line. So without a formula recogniser the built-in pipeline can
still give LaTeX for them: the structure is read back from sizes and baselines.

What is read:

* rows: a formula block may hold several equations, one per row (rows are separated by a
  blank vertical gap), written in a ``gathered`` environment (``gather`` when they carry
  equation numbers);
* the row's main size (the largest size at least two glyphs share: scripts may outnumber
  their line) and main baseline (of the baselines its main-size glyphs sit on, the one
  spanning the widest stretch: a numerator may hold more glyphs than the line);
* scripts: a glyph under 0.88 of the main size whose baseline is raised (``^``) or lowered
  (``_``) belongs to the glyph, word or fraction before it, or to the big operator or
  ``lim`` it stands over or under; its own content is read the same way, so scripts nest;
* fractions: main-size glyphs stacked above and below the line with nothing on the line
  between their edges (display style), or script-size stacks centred on each other after
  a gap or a relation (text style: a superscript over a subscript starts at its base);
* big operators sit on the line when centred on TeX's math axis (a sum inside a
  denominator stands on what it sums); large delimiters always do (their glyph boxes are
  the font's, not the sign's);
* radicals take the items under the bar drawn from their right edge (``\\sqrt{...}``;
  without a bar, the sign stays ``\\surd``); accents over a letter (``\\bar{X}``);
* symbols: Greek letters and operators become their commands, U+2212 becomes ``-``;
  alphabets by font (``\\mathbf``, ``\\mathbb``, ``\\mathcal``, ``\\mathfrak``); upright
  multi-letter words known operators (``\\sin``) or ``\\mathrm``;
* an equation number far right of the row (``(3)``, ``(2.1a)``) becomes ``\\tag``.

Not read: matrices and arrays (their cells come out in a row), inline math inside a
paragraph (it stays text), glyphs a font maps to no character (TeX's extension font is
named by its codes at extraction). A row that is not math by its fonts and symbols
(:func:`is_math_row`) is never turned into LaTeX.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from docparse.geometry import Box
from docparse.textlayer.model import TextLayerPage

#: Font names of math fonts (TeX, KaTeX, MathJax, Word, STIX and friends).
_MATH_FONT = re.compile(
    r"cmmi|cmsy|cmex|cmbsy|cmmib|msam|msbm|eufm|rsfs|esint|wasy|stmary|"
    r"math|katex|mathjax|symbol|mt ?extra|stix|xits|asana|euclid|"
    r"txsy|txex|txmi|pxsy|pxex|pxmi|rtxmi|mtmi|mtsy|mtex|lmmi|lmsy|lmex",
    re.IGNORECASE,
)
#: Fonts of big operators and large delimiters: their glyphs hang from the baseline.
_BIG_FONT = re.compile(r"cmex|size[1-4]|lmex|txex|pxex|mtex|stixsize|symbolsize", re.IGNORECASE)
_BLACKBOARD_FONT = re.compile(r"msbm|bbm|bbold|dsrom|doublestruck", re.IGNORECASE)
_FRAKTUR_FONT = re.compile(r"eufm|eufb|fraktur", re.IGNORECASE)
#: TeX's symbol fonts hold the calligraphic capitals (``\\mathcal``).
_CALLIGRAPHIC_FONT = re.compile(r"cmsy|cmbsy|lmsy|rsfs|eusm|calligraph", re.IGNORECASE)
_ITALIC_FONT = re.compile(r"ital|oblique|cmmi|lmmi|txmi|pxmi|rtxmi|mtmi|-it\b|mathit", re.IGNORECASE)
_BOLD_FONT = re.compile(r"bold|cmbx|cmmib|cmbsy|-bd\b|black|heavy", re.IGNORECASE)

_BIG_OPERATORS = {
    "∫": r"\int", "∬": r"\iint", "∭": r"\iiint", "∮": r"\oint", "∑": r"\sum", "∏": r"\prod",
    "∐": r"\coprod", "⋃": r"\bigcup", "⋂": r"\bigcap", "⨁": r"\bigoplus", "⨂": r"\bigotimes",
}
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ϖ": "varpi",
    "ρ": "rho", "ϱ": "varrho", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon",
    "φ": "varphi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma",
    "Δ": "Delta", "∆": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "\u2126": "Omega",
}
_SYMBOLS = {
    "−": "-", "∗": "*", "×": r"\times", "÷": r"\div", "⋅": r"\cdot", "·": r"\cdot",
    "∙": r"\cdot", "±": r"\pm", "∓": r"\mp", "∇": r"\nabla", "∂": r"\partial",
    "∞": r"\infty", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx",
    "≡": r"\equiv", "∼": r"\sim", "≃": r"\simeq", "≅": r"\cong", "∝": r"\propto",
    "→": r"\rightarrow", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto", "∈": r"\in",
    "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊃": r"\supset", "⊆": r"\subseteq",
    "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap", "∧": r"\wedge", "∨": r"\vee",
    "¬": r"\neg", "∀": r"\forall", "∃": r"\exists", "∅": r"\emptyset", "⊕": r"\oplus",
    "⊗": r"\otimes", "∘": r"\circ", "°": r"^{\circ}", "′": "'", "″": "''", "ℏ": r"\hbar",
    "ℓ": r"\ell", "⟨": r"\langle", "⟩": r"\rangle", "‖": r"\|", "∥": r"\|", "…": r"\ldots",
    "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "√": r"\surd", "⊥": r"\perp",
    "≪": r"\ll", "≫": r"\gg", "⊤": r"\top", "ℝ": r"\mathbb{R}",
    "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}",
    "{": r"\{", "}": r"\}", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "_": r"\_",
    "∣": "|", "|": "|",
}
_OPERATOR_NAMES = frozenset({
    "sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth", "arcsin",
    "arccos", "arctan", "log", "ln", "lg", "exp", "lim", "liminf", "limsup", "max", "min",
    "sup", "inf", "det", "arg", "deg", "dim", "ker", "gcd", "hom", "Pr",
})
#: Characters that mark a row as math whatever its font.
_STRONG_SYMBOLS = frozenset(_BIG_OPERATORS) | frozenset(_GREEK) | frozenset(
    "∇∂∞≤≥≠≈≡∝∈∉⊂⊃⊆⊇∪∩∀∃±∓×÷√⇒⇔→↦∑∏"
)
_RADICALS = frozenset("√∛∜")
_PRIMES = {"′": 1, "″": 2, "‴": 3, "'": 1}
#: Accent glyphs as TeX fonts set them over a letter (spacing forms and their ASCII kin).
_ACCENTS = {
    "¯": "bar", "ˉ": "bar", "ˆ": "hat", "^": "hat", "˜": "tilde", "~": "tilde", "˙": "dot",
    "¨": "ddot", "ˇ": "check", "˘": "breve", "´": "acute", "`": "grave", "⃗": "vec",
}
_DELIMITERS = frozenset("()[]{}|‖⟨⟩⌈⌉⌊⌋/\\∣")
_BULLETS = frozenset("•●○◦▪■‣⁃·\uf0b7")
_TAG = re.compile(r"\(\d+(?:\.\d+)*[a-z]?\)")
#: Zero-width characters some renderers (KaTeX) leave as struts.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")

#: A script is smaller than this share of the row's main size.
_SCRIPT_SIZE = 0.88
#: Baselines within this share of the main size are the same line.
_SAME_BASE = 0.2
#: A script's baseline is at least this share of the main size off the line.
_SCRIPT_SHIFT = 0.05


@dataclass(frozen=True)
class Glyph:
    """One visible character of a formula, in page pixels."""

    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float
    size: float
    font: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def glyphs_in_box(layer: TextLayerPage, box: Sequence[float]) -> list[Glyph]:
    """The visible horizontal characters whose centre lies in ``box`` (spaces left out)."""
    out: list[Glyph] = []
    for line in layer.lines:
        for span in line.spans:
            if span.render_mode == 3 or abs(span.direction[1]) > 0.2 or span.size <= 0:
                continue
            base = span.baseline if span.baseline is not None else span.bbox[3] - 0.2 * span.size
            for ch in span.chars:
                if ch.c.isspace() or ch.c in _INVISIBLE:
                    continue
                x0, y0, x1, y1 = ch.bbox
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                if box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                    out.append(Glyph(ch.c, x0, y0, x1, y1, base, span.size, span.font))
    return out


def rows_of(glyphs: Sequence[Glyph], trim: float = 0.08) -> list[list[Glyph]]:
    """Glyphs split into rows at blank horizontal gaps (each glyph's box trimmed by ``trim``
    of its height, so touching ascenders and descenders of tight lines of text do not join
    them). A row of script-size glyphs close to a row of larger ones (the limits over and
    under a displayed sum) joins it."""
    items = sorted(glyphs, key=lambda g: g.y0)
    rows: list[list[Glyph]] = []
    bottom = float("-inf")
    share = trim
    for g in items:
        trim = share * (g.y1 - g.y0)
        top, low = g.y0 + trim, g.y1 - trim
        if rows and top < bottom:
            rows[-1].append(g)
            bottom = max(bottom, low)
        else:
            rows.append([g])
            bottom = low
    merged: list[list[Glyph]] = []
    for row in rows:
        if merged and _limits_of(merged[-1], row):
            merged[-1] = merged[-1] + row
        elif merged and _limits_of(row, merged[-1]):
            merged[-1] = merged[-1] + row
        else:
            merged.append(row)
    return [sorted(r, key=lambda g: g.x0) for r in merged]


def _limits_of(main: Sequence[Glyph], small: Sequence[Glyph]) -> bool:
    """Whether ``small`` is a row of scripts hanging over or under ``main``'s big operator."""
    size = _main_size(main)
    bigs = [g for g in main if _is_big(g)]
    if not bigs or max(g.size for g in small) >= _SCRIPT_SIZE * size:
        return False
    gap = max(min(g.y0 for g in small) - max(g.y1 for g in main),
              min(g.y0 for g in main) - max(g.y1 for g in small))
    return gap < 0.5 * size and any(
        b.x0 - size <= g.cx <= b.x1 + size for b in bigs for g in small
    )


def row_line(glyphs: Sequence[Glyph]) -> tuple[float, float]:
    """A row's main size and the baseline of its own line (see :func:`_main_size`)."""
    size = _main_size(glyphs)
    return size, _main_baseline(glyphs, size)


def is_script(g: Glyph, size: float, base: float) -> bool:
    """A glyph smaller than the row's size set off its line: a super- or subscript."""
    return g.size < _SCRIPT_SIZE * size and abs(g.baseline - base) > _SCRIPT_SHIFT * size


def is_greek(c: str) -> bool:
    return c in _GREEK


def is_italic_font(font: str) -> bool:
    return bool(_ITALIC_FONT.search(font))


def is_operator_name(word: str) -> bool:
    """``sin``, ``log``, ``max``...: words formulas set upright as operators."""
    return word in _OPERATOR_NAMES


def is_bullet(c: str) -> bool:
    return c in _BULLETS


def is_math_font(font: str) -> bool:
    return bool(_MATH_FONT.search(font))


def is_math_glyph(g: Glyph) -> bool:
    """A glyph only formulas have: in a math font (digits aside) or a math symbol."""
    return g.c not in _BULLETS and (
        g.c in _STRONG_SYMBOLS or (is_math_font(g.font) and not g.c.isdigit())
    )


def is_math_row(row: Sequence[Glyph]) -> bool:
    """Whether a row of glyphs is a displayed formula: math fonts or math symbols, and next
    to no prose. Words (three letters or more set in a text font, other than an operator
    name) may be names in a formula ("Var(X)", "softmax(z)"): one or two set right against
    their argument are allowed among many math glyphs; a word followed by a space is prose."""
    glyphs = [g for g in row if g.c not in _BULLETS]
    if len(glyphs) < 2:
        return False
    math = sum(1 for g in glyphs if is_math_glyph(g)) or _italic_variables(glyphs)
    if not math or _stacked_lines(glyphs):
        return False
    # Text set in a math font (a sample of Fraktur or Euler script) is words, not variables:
    # a formula's letters stand alone or in short names.
    long_runs = [w for w, _ in _text_words(glyphs, math_fonts=True)
                 if len(w) >= 4 and w not in _OPERATOR_NAMES]
    if len(long_runs) >= 3:
        return False
    words = [(w, applied) for w, applied in _text_words(glyphs)
             if len(w) >= 3 and w not in _OPERATOR_NAMES]
    return not words or (
        all(applied for _, applied in words) and len(words) <= 2 and math >= 3 * len(words)
    )


_ITALIC = re.compile(r"italic|oblique|-it\b|-ital", re.IGNORECASE)
_RELATIONS = frozenset("=<>≤≥≠≈")


def _italic_variables(glyphs: Sequence[Glyph]) -> int:
    """Math set in a text font (a word processor's or a web page's equation in Times):
    letters standing alone in italics, as variables are set, in a row with a relation sign
    ("a² + b² = c²"). Their count, or 0 when the row has no relation or fewer than two."""
    if not any(g.c in _RELATIONS for g in glyphs):
        return 0
    single = [w for w, _ in _text_words(glyphs, math_fonts=True) if len(w) <= 2]
    italic = sum(1 for g in glyphs if g.c.isalpha() and _ITALIC.search(g.font))
    return italic if italic >= 2 and len(single) >= 2 else 0


def may_hold_math(glyphs: Sequence[Glyph]) -> bool:
    """Whether any formula can be among ``glyphs``: a math glyph, or a relation sign and
    letters in italics (math set in a text font). Most pages of prose have neither."""
    if any(map(is_math_glyph, glyphs)):
        return True
    return any(g.c in _RELATIONS for g in glyphs) and any(
        g.c.isalpha() and _ITALIC.search(g.font) for g in glyphs)


def is_prose_row(row: Sequence[Glyph]) -> bool:
    """Whether a row holds a word of prose: three letters or more in a text font, not an
    operator name, not set against an argument; or lines of text run together. A row that
    is neither math nor prose ("K" over a product, "k=1" under it, an equation number) goes
    with its neighbours."""
    return not is_math_row(row) and (_stacked_lines(row) or any(
        len(w) >= 3 and w not in _OPERATOR_NAMES and not applied for w, applied in _text_words(row)
    ))


def _stacked_lines(glyphs: Sequence[Glyph]) -> bool:
    """Lines of text that ran together into one row (fonts with tall ascenders and deep
    descenders give boxes that overlap from line to line): two baselines, each holding
    several glyphs of the text size, at least 1.1 sizes apart. A formula's stacks (numerator,
    line, denominator) sit closer, about 0.7 sizes from the line."""
    size = _main_size(glyphs)
    levels: list[list[float]] = []
    for b in sorted(g.baseline for g in glyphs if g.size >= _SCRIPT_SIZE * size and not _is_big(g)):
        if levels and b - levels[-1][-1] <= _SAME_BASE * size:
            levels[-1].append(b)
        else:
            levels.append([b])
    # Neighbouring levels only: a fraction's numerator and denominator are 1.4 sizes apart,
    # but the line between them (however few glyphs it has) stands in the middle.
    return any(
        len(a) >= 3 and len(b) >= 3 and b[0] - a[-1] >= 1.1 * size
        for a, b in itertools.pairwise(levels)
    )


def _text_words(glyphs: Sequence[Glyph], *, math_fonts: bool = False) -> list[tuple[str, bool]]:
    """Runs of adjacent letters set in text fonts (in any font with ``math_fonts``), each
    with whether it is applied: set right against an opening bracket or a script, as a name
    in a formula is ("Var(X)", "softmax(z)"), where a word of prose has a space after it."""
    ordered = sorted(glyphs, key=lambda g: g.x0)
    words: list[tuple[str, bool]] = []
    run: list[Glyph] = []

    def close(nxt: Glyph | None) -> None:
        if not run:
            return
        last = run[-1]
        applied = nxt is not None and nxt.x0 - last.x1 < 0.2 * last.size and (
            nxt.c in "([{" or nxt.size < _SCRIPT_SIZE * last.size
        )
        words.append(("".join(x.c for x in run), applied))

    for g in ordered:
        letter = g.c.isalpha() and len(g.c) == 1 and (math_fonts or not is_math_font(g.font))
        if letter and run and g.x0 - run[-1].x1 < 0.15 * g.size and abs(g.baseline - run[-1].baseline) < 0.1 * g.size:
            run.append(g)
            continue
        close(g)
        run = [g] if letter else []
    close(None)
    return words


def formula_latex(glyphs: Sequence[Glyph], rules: Sequence[Box] = ()) -> str:
    """LaTeX of a formula block's glyphs: one row as is, several in ``gathered``. ``rules``
    are the thin bars drawn near them (:attr:`TextLayerPage.rules`): radicals' bars."""
    # Untrimmed boxes: a fraction's denominator sits close under its line (the glyph boxes
    # are the font's, ascender to descender), and equations of one block stand further apart.
    rows = [row_latex(r, rules) for r in rows_of(glyphs, trim=0.0)]
    rows = [r for r in rows if r]
    if len(rows) <= 1:
        return rows[0] if rows else ""
    # One row per line, as LaTeX sources are written; numbered rows need ``gather`` (its
    # rows may carry a ``\tag``, ``gathered``'s may not).
    env = "gather" if any("\\tag{" in r for r in rows) else "gathered"
    return f"\\begin{{{env}}}" + "\\\\\n".join(rows) + f"\\end{{{env}}}"


def row_latex(row: Sequence[Glyph], rules: Sequence[Box] = ()) -> str:
    """LaTeX of one row, with an equation number far to its right as ``\\tag``."""
    items = sorted(row, key=lambda g: g.x0)
    tag = ""
    if len(items) > 3:
        size = _main_size(items)
        # The number is set apart by a wide gap; find the last such gap.
        for k in range(len(items) - 1, 0, -1):
            if items[k].x0 - items[k - 1].x1 > 1.5 * size:
                number = "".join(g.c for g in items[k:])
                if _TAG.fullmatch(number):
                    tag = f" \\tag{{{number[1:-1]}}}"
                    items = items[:k]
                break
    return _latex(_accents_placed(_radicals_seated(items)), 0, tuple(rules)) + tag


def _accents_placed(glyphs: Sequence[Glyph]) -> list[Glyph]:
    """An accent glyph over a letter becomes that letter's accent (``\\bar{X}``): the font
    sets it on a raised baseline over the letter, so read alone it would be a stray glyph
    or a superscript."""
    accents = [g for g in glyphs if g.c in _ACCENTS]
    if not accents:
        return list(glyphs)
    out = [g for g in glyphs if g.c not in _ACCENTS]
    for a in accents:
        under = [
            (min(a.x1, g.x1) - max(a.x0, g.x0), k) for k, g in enumerate(out)
            if g.c.isalnum() and len(g.c) == 1 and min(a.x1, g.x1) - max(a.x0, g.x0) > 0.3 * (a.x1 - a.x0)
            and a.baseline <= g.baseline + 0.05 * g.size
        ]
        if not under:
            out.append(a)
            continue
        _, k = max(under)
        g = out[k]
        out[k] = replace(g, c=f"\\{_ACCENTS[a.c]}{{{_symbol(g)}}}")
    return out


def _radicals_seated(glyphs: Sequence[Glyph]) -> list[Glyph]:
    """A radical sign takes the baseline of its radicand's first glyph: fonts hang it from
    its bar (TeX sets its top on the rule), so neither its baseline nor its box says where
    it stands. The radicand starts right at its right edge, at about its height or below."""
    out = list(glyphs)
    for k, g in enumerate(out):
        if g.c not in _RADICALS:
            continue
        after = [h for h in out if h.c not in _RADICALS and h.x0 >= g.x1 - 0.3 * g.size
                 and g.y0 - 0.5 * g.size <= h.cy <= g.y1 + g.size]
        if after:
            nxt = min(after, key=lambda h: (abs(h.x0 - g.x1), -h.size))
            out[k] = replace(g, baseline=nxt.baseline, size=nxt.size)
    return out


def _seated_on_next(g: Glyph, glyphs: Sequence[Glyph], size: float) -> Glyph:
    after = [h for h in glyphs if h.x0 >= g.x1 - 0.1 * size and h.size >= _SCRIPT_SIZE * size
             and not _is_big(h) and abs(h.cy - g.cy) <= 0.6 * size]
    if not after:
        return g
    return replace(g, baseline=min(after, key=lambda h: h.x0).baseline)


def _main_size(glyphs: Sequence[Glyph]) -> float:
    """The row's text size: the largest size at least two glyphs (or 15% of them) have, big
    operators left out. Not the most common: scripts may outnumber the line they hang on."""
    sized = [g for g in glyphs if not _is_big(g)] or list(glyphs)
    counts = Counter(round(g.size * 2) / 2 for g in sized)
    common = [s for s, n in counts.items() if n >= 2 or n >= 0.15 * len(sized)]
    return max(common or counts)


def _main_baseline(glyphs: Sequence[Glyph], size: float) -> float:
    """The baseline of the formula's own line: of the baselines main-size glyphs (big
    operators left out) sit on, the one spanning the widest stretch of the row. A fraction's
    numerator may hold more glyphs than the line, but the line runs on both sides of it."""
    candidates = [g for g in glyphs if g.size >= _SCRIPT_SIZE * size and not _is_big(g)]
    if not candidates:
        candidates = list(glyphs)
    best, best_key = candidates[0].baseline, (-1.0, 0)
    for g in candidates:
        level = [h for h in candidates if abs(h.baseline - g.baseline) <= _SAME_BASE * size]
        key = (max(h.x1 for h in level) - min(h.x0 for h in level), len(level))
        if key > best_key:
            best, best_key = g.baseline, key
    return best


def _is_big(g: Glyph) -> bool:
    """Big operators, and delimiters set in a big font (``\\left(``): they stand on the line
    wherever their baseline is."""
    return g.c in _BIG_OPERATORS or (g.c in _DELIMITERS and bool(_BIG_FONT.search(g.font)))


#: Operators whose scripts stand over and under them in display style.
_LIMIT_WORDS = frozenset({"lim", "liminf", "limsup", "max", "min", "sup", "inf", "det", "gcd", "Pr"})
#: Glyphs that take no scripts: a stack right after one is a fraction.
_RELATIONS = frozenset("=+-−×÷±∓≤≥<>≈≠≡→←⇒⇔∈∼:")


@dataclass
class _Item:
    """One thing on the main line: a glyph, a word or a fraction, with its scripts."""

    x0: float
    x1: float
    glyph: Glyph | None = None
    latex: str = ""
    limits: bool = False
    sup: list[Glyph] = field(default_factory=list)
    sub: list[Glyph] = field(default_factory=list)


def _latex(glyphs: Sequence[Glyph], depth: int, rules: tuple[Box, ...] = ()) -> str:
    if not glyphs:
        return ""
    if depth > 6:
        return "".join(_symbol(g) for g in sorted(glyphs, key=lambda g: g.x0))
    size = _main_size(glyphs)
    base = _main_baseline(glyphs, size)
    on_line: list[Glyph] = []
    scripts: list[Glyph] = []
    off: list[Glyph] = []
    axis = base - 0.25 * size  # TeX's math axis: where fraction bars and big operators centre
    for g in glyphs:
        if _is_big(g):
            # Delimiters are always on the line (their glyph boxes are the font's, not the
            # sign's: a tall \left( looks raised).
            if g.c not in _BIG_OPERATORS or abs(g.cy - axis) <= 0.6 * size:
                on_line.append(g)
            else:
                # Inside a fraction's numerator or denominator: it stands on the baseline of
                # what it sums (its font hangs it from its own).
                off.append(_seated_on_next(g, glyphs, size))
        elif g.size < _SCRIPT_SIZE * size:
            shift = g.baseline - base
            (scripts if abs(shift) > _SCRIPT_SHIFT * size else on_line).append(g)
        elif abs(g.baseline - base) <= _SAME_BASE * size:
            on_line.append(g)
        else:
            off.append(g)
    fractions, loose, claimed = _display_fractions(off, scripts, on_line, base, depth, rules)
    # Main-size glyphs off the line that form no fraction (an accent, a lone limit) are read
    # in place.
    items = _words([_Item(g.x0, g.x1, glyph=g, limits=_is_big(g)) for g in on_line + loose])
    items = sorted(items + fractions, key=lambda it: (it.x0, it.x1))
    rest = [g for g in scripts if id(g) not in claimed]
    stacked, claimed = _script_fractions(rest, items, base, size, depth, rules)
    items = sorted(items + stacked, key=lambda it: (it.x0, it.x1))
    limit_of = _limit_runs([g for g in rest if id(g) not in claimed], items, base, size)
    for g in sorted(rest, key=lambda g: g.x0):
        if id(g) in claimed:
            continue
        owner = limit_of.get(id(g)) or _owner(items, g, size)
        if owner is None:
            owner = _Item(g.x0, g.x0, latex="{}")
            items.append(owner)
            items.sort(key=lambda it: (it.x0, it.x1))
        (owner.sup if g.baseline < base else owner.sub).append(g)
    return _join(_with_radicals(items, depth, rules))


def _words(items: list[_Item]) -> list[_Item]:
    """Runs of adjacent upright letters as one item: operator names (``\\sin``) or words."""
    items = sorted(items, key=lambda it: it.x0)
    out: list[_Item] = []
    k = 0
    while k < len(items):
        run = [items[k]]
        while (
            k + len(run) < len(items)
            and (g := items[k + len(run)].glyph) is not None
            and (p := run[-1].glyph) is not None
            and _is_upright_letter(g) and _is_upright_letter(p)
            and g.x0 - p.x1 <= 0.15 * g.size
        ):
            run.append(items[k + len(run)])
        if len(run) == 1:
            out.append(run[0])
        else:
            text = "".join(it.glyph.c for it in run if it.glyph is not None)
            latex = f"\\{text}" if text in _OPERATOR_NAMES else f"\\mathrm{{{text}}}"
            out.append(_Item(run[0].x0, run[-1].x1, latex=latex, limits=text in _LIMIT_WORDS))
        k += len(run)
    return out


def _display_fractions(
    off: Sequence[Glyph], scripts: Sequence[Glyph], on_line: Sequence[Glyph], base: float,
    depth: int, rules: tuple[Box, ...],
) -> tuple[list[_Item], list[Glyph], set[int]]:
    """Stacks of main-size glyphs above and below the line, overlapping in x with nothing on
    the line between their edges: ``\\frac{above}{below}``. Scripts inside a stack's x range
    belong to it. Returns the fractions, the off-line glyphs that form none, and the ids of
    the scripts the fractions took."""
    fractions: list[_Item] = []
    loose: list[Glyph] = []
    claimed: set[int] = set()
    for cl in _x_clusters(off, bridges=scripts):
        above = [g for g in cl if g.baseline < base]
        below = [g for g in cl if g.baseline > base]
        x0, x1 = min(g.x0 for g in cl), max(g.x1 for g in cl)
        if not above or not below or any(x0 < g.cx < x1 for g in on_line):
            loose.extend(cl)
            continue
        # Scripts that start inside the stack (or just past its end: the square of the last
        # letter) and stand at its height belong to it.
        top, bottom = min(g.y0 for g in cl), max(g.y1 for g in cl)
        members = cl + [g for g in scripts if x0 <= g.x0 < x1 + 0.3 * g.size
                        and top - 0.3 * g.size <= g.cy <= bottom + 0.3 * g.size]
        fractions.append(_Item(x0, x1, latex=_frac(members, above, below, depth, rules)))
        claimed.update(id(g) for g in members)
    return fractions, loose, claimed


def _script_fractions(
    scripts: Sequence[Glyph], items: Sequence[_Item], base: float, size: float, depth: int,
    rules: tuple[Box, ...],
) -> tuple[list[_Item], set[int]]:
    """Text-style fractions: a stack of script-size glyphs above and below the line.

    A superscript over a subscript stacks the same way; they are told apart by where the
    stack stands. Scripts start together at their base's right edge; a fraction's two parts
    are centred on each other, and it follows a gap or a relation (scripts on "=" or "-" do
    not occur). Stacks by a big operator or ``lim`` are its limits."""
    out: list[_Item] = []
    claimed: set[int] = set()
    for cl in _x_clusters(scripts):
        up = [g for g in cl if g.baseline < base]
        down = [g for g in cl if g.baseline > base]
        if not up or not down:
            continue
        x0, x1 = min(g.x0 for g in cl), max(g.x1 for g in cl)
        if any(it.limits and it.x0 - 0.5 * size <= (x0 + x1) / 2 <= it.x1 + 0.5 * size for it in items):
            continue
        ux0, ux1 = min(g.x0 for g in up), max(g.x1 for g in up)
        dx0, dx1 = min(g.x0 for g in down), max(g.x1 for g in down)
        # Centred on each other; a radical's bar is a stroke, not a glyph, so allow a quarter
        # of the wider part.
        if abs((ux0 + ux1) / 2 - (dx0 + dx1) / 2) > max(0.2 * size, 0.25 * max(ux1 - ux0, dx1 - dx0)):
            continue
        before = [it for it in items if it.x1 <= x0 + 0.1 * size]
        prev = max(before, key=lambda it: it.x1) if before else None
        gap = x0 - prev.x1 if prev is not None else float("inf")
        relation = prev is not None and prev.glyph is not None and prev.glyph.c in _RELATIONS
        if abs(ux0 - dx0) <= 0.15 * size and gap <= 0.15 * size and not relation:
            continue  # a superscript over a subscript
        out.append(_Item(x0, x1, latex=_frac(cl, up, down, depth, rules)))
        claimed.update(id(g) for g in cl)
    return out, claimed


def _x_clusters(glyphs: Sequence[Glyph], bridges: Sequence[Glyph] = ()) -> list[list[Glyph]]:
    """Stacks: runs of glyphs on one baseline (gaps under half their size: "sin x" is one run)
    grouped where runs overlap in x. Smaller glyphs (scripts of these glyphs) join the stack
    they stand in or just right of, so "b^2" does not cut "-b+b^2-4ac" in two; ``bridges``
    (scripts, when stacking main-size glyphs) only close such gaps."""
    if not glyphs:
        return []
    top = max(g.size for g in glyphs)
    primary = [g for g in glyphs if g.size >= _SCRIPT_SIZE * top]
    secondary = [g for g in glyphs if g.size < _SCRIPT_SIZE * top]
    gaps = secondary + list(bridges)
    runs: list[list[Glyph]] = []
    for g in sorted(primary, key=lambda g: (round(g.baseline / max(0.1 * g.size, 0.5)), g.x0)):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and abs(g.baseline - last.baseline) <= 0.1 * g.size
            and _bridged(last.x1, g.x0, gaps, 0.5 * g.size)
        ):
            runs[-1].append(g)
        else:
            runs.append([g])
    clusters: list[list[Glyph]] = []
    right = float("-inf")
    for run in sorted(runs, key=lambda r: r[0].x0):
        x0, x1 = run[0].x0, max(g.x1 for g in run)
        if clusters and x0 < right + 0.1 * run[0].size:
            clusters[-1].extend(run)
            right = max(right, x1)
        else:
            clusters.append(list(run))
            right = x1
    for g in secondary:
        home = [c for c in clusters
                if min(h.x0 for h in c) <= g.x0 <= max(h.x1 for h in c) + 0.5 * top]
        if home:
            home[0].append(g)
        else:
            clusters.append([g])
    return clusters


def _bridged(start: float, end: float, bridges: Sequence[Glyph], tolerance: float) -> bool:
    """Whether the stretch from ``start`` to ``end`` has no gap over ``tolerance`` once the
    ``bridges`` (scripts: the limits after a sum, the square of a letter) fill it."""
    reach = start
    for b in sorted(bridges, key=lambda b: b.x0):
        if b.x1 <= reach:
            continue
        if b.x0 - reach > tolerance or b.x0 >= end:
            break
        reach = b.x1
    return end - reach <= tolerance


def _frac(
    members: Sequence[Glyph], above: Sequence[Glyph], below: Sequence[Glyph], depth: int,
    rules: tuple[Box, ...],
) -> str:
    # Split by baseline, not box: a radical's box says nothing of where it stands.
    split = (sum(g.baseline for g in above) / len(above) + sum(g.baseline for g in below) / len(below)) / 2
    num = [g for g in members if g.baseline < split]
    den = [g for g in members if g.baseline >= split]
    return f"\\frac{{{_latex(num, depth + 1, rules)}}}{{{_latex(den, depth + 1, rules)}}}"


def _limit_runs(scripts: Sequence[Glyph], items: Sequence[_Item], base: float,
                size: float) -> dict[int, _Item]:
    r"""id of a script glyph → the operator whose limit it is part of. A limit is a run of
    scripts under (or over) the operator, letters next to each other with nothing on the
    line between them; a long one (``\sum_{s, Rs = I_i}``) reaches past the operator on
    both sides, where its end glyphs would otherwise be read as scripts of their neighbours."""
    out: dict[int, _Item] = {}
    for side in (True, False):
        run: list[Glyph] = []
        for g in sorted((g for g in scripts if (g.baseline < base) is side), key=lambda g: g.x0):
            if run and (g.x0 - run[-1].x1 > 0.3 * g.size or any(
                    not it.limits and run[-1].x1 <= (it.x0 + it.x1) / 2 <= g.x0 for it in items)):
                _claim(run, items, size, out)
                run = []
            run.append(g)
        _claim(run, items, size, out)
    return out


def _claim(run: Sequence[Glyph], items: Sequence[_Item], size: float,
           out: dict[int, _Item]) -> None:
    """The run is the limit of the operator (a big operator or ``lim``; a big delimiter
    takes none) one of its glyphs stands under or over: the one nearest its middle."""
    if not run:
        return
    ops = [it for it in items
           if it.limits and (it.glyph is None or it.glyph.c in _BIG_OPERATORS)
           and any(it.x0 - 0.5 * size <= g.cx <= it.x1 + 0.5 * size for g in run)]
    if ops:
        middle = (run[0].x0 + run[-1].x1) / 2
        op = min(ops, key=lambda it: abs((it.x0 + it.x1) / 2 - middle))
        out.update((id(h), op) for h in run)
        return
    # Any other run of scripts is one script of the item its first glyph belongs to: a
    # superscript "ψ(gs)" whose ")" ends past the left edge of a tall bracket after it.
    owner = _owner(items, run[0], size)
    if owner is not None:
        out.update((id(h), owner) for h in run)


def _owner(items: Sequence[_Item], g: Glyph, size: float) -> _Item | None:
    """The item a script belongs to: an operator it stands over or under (limits), else the
    last item starting left of it."""
    limits = [it for it in items if it.limits and it.x0 - 0.5 * size <= g.cx <= it.x1 + 0.5 * size]
    if limits:
        return min(limits, key=lambda it: abs((it.x0 + it.x1) / 2 - g.cx))
    owner = None
    for it in items:
        if it.x0 <= g.x0 + 0.01:
            owner = it
    return owner


def _item_latex(it: _Item, depth: int, rules: tuple[Box, ...]) -> str:
    text = it.latex if it.glyph is None else _symbol(it.glyph)
    if it.sub:
        text += f"_{{{_latex(it.sub, depth + 1, rules)}}}"
    if it.sup and all(g.c in _PRIMES for g in it.sup):
        text += "'" * sum(_PRIMES[g.c] for g in it.sup)  # f' as written, not f^{\prime}
    elif it.sup:
        text += f"^{{{_latex(it.sup, depth + 1, rules)}}}"
    return text


def _with_radicals(items: Sequence[_Item], depth: int, rules: tuple[Box, ...]) -> list[str]:
    """Items' LaTeX, a radical and the items under its bar as ``\\sqrt{...}``. The bar is
    the rule starting at the radical's right edge (TeX draws it there); without one (the
    renderer drew the whole sign as a path) the sign stays ``\\surd``."""
    out: list[str] = []
    k = 0
    while k < len(items):
        it = items[k]
        g = it.glyph
        bar = _radical_bar(g, rules) if g is not None and g.c in _RADICALS else None
        if g is None or bar is None:
            out.append(_item_latex(it, depth, rules))
            k += 1
            continue
        under: list[_Item] = []
        j = k + 1
        while j < len(items) and items[j].x1 <= bar[2] + 0.3 * g.size:
            under.append(items[j])
            j += 1
        root = "\\sqrt" if g.c == "√" else "\\sqrt[3]" if g.c == "∛" else "\\sqrt[4]"
        out.append(root + "{" + _join(_with_radicals(under, depth, rules)) + "}")
        k = j
    return out


def _radical_bar(g: Glyph, rules: Sequence[Box]) -> Box | None:
    near = [r for r in rules
            if abs(r[0] - g.x1) <= 0.3 * g.size and r[2] > g.x1
            and g.y0 - 1.5 * g.size <= (r[1] + r[3]) / 2 <= g.y1 + 0.5 * g.size]
    return min(near, key=lambda r: abs(r[0] - g.x1)) if near else None


def _is_upright_letter(g: Glyph) -> bool:
    c = unicodedata.normalize("NFKC", g.c)
    return (
        len(c) == 1 and c.isascii() and c.isalpha()
        and not _ITALIC_FONT.search(g.font) and not _BOLD_FONT.search(g.font)
        and "ITALIC" not in unicodedata.name(g.c, "")
    )


def _symbol(g: Glyph) -> str:
    c = g.c
    name = unicodedata.name(c, "") if len(c) == 1 else ""
    bold = bool(_BOLD_FONT.search(g.font)) or "BOLD" in name
    plain = unicodedata.normalize("NFKC", c) if name.startswith("MATHEMATICAL") else c
    if plain in _BIG_OPERATORS:
        return _BIG_OPERATORS[plain]
    if plain in _GREEK:
        cmd = f"\\{_GREEK[plain]}"
        return f"\\boldsymbol{{{cmd}}}" if bold else cmd
    if plain in _SYMBOLS:
        return _SYMBOLS[plain]
    if plain.isascii() and plain.isalpha() and len(plain) == 1:
        if _BLACKBOARD_FONT.search(g.font) or "DOUBLE-STRUCK" in name:
            return f"\\mathbb{{{plain}}}"
        if _FRAKTUR_FONT.search(g.font) or "FRAKTUR" in name:
            return f"\\mathfrak{{{plain}}}"
        if (_CALLIGRAPHIC_FONT.search(g.font) and plain.isupper()) or "SCRIPT" in name:
            return f"\\mathcal{{{plain}}}"
    if bold and plain.isalnum():
        return f"\\mathbf{{{plain}}}"
    return plain


def _join(parts: Sequence[str]) -> str:
    """Concatenate, with a space only where a command would run into a letter."""
    out = ""
    for p in parts:
        if not p:
            continue
        if out and re.search(r"\\[A-Za-z]+$", out) and p[0].isalpha():
            out += " "
        out += p
    return out
