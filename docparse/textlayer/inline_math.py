"""Inline math in a paragraph's text as ``$...$`` LaTeX, from the PDF's own glyphs (pure).

A paper's running text carries math ("the spectrum is the multiset {λg}g∈R", "then
λg = λg′"). Read as plain characters the structure is lost: ``λg`` is a lambda subscript g,
``AnnR(xi)`` is Ann with subscript R applied to x sub i. A recognition server writes such
math as ``$...$`` inside the paragraph; so does this, for text the PDF's text layer gives,
with the same reader of sizes and baselines as displayed formulas (:mod:`.math`).

What is math in a row of running text, word by word (glyphs a space apart):

* prose: a run of letters set upright in a text font, or three or more in any text font,
  or four or more in a math font (a name set in Fraktur), Greek letters aside (TeX sets its
  capitals upright), that is not an operator name and not set right against an argument or
  a subscript ("AnnR(x)" is a name applied, "the" is prose, "results¹" a word and its
  footnote mark); a common two-letter word ("if", "is") in italics too (theorems set their
  prose in italics, as their variables);
* math: a word holding a glyph only formulas have (a math font's letter or symbol, a Greek
  letter, a relation such as "∈");
* neutral: single italic letters, numbers, signs, brackets and words with scripts (``xi``),
  which join the math they stand next to ("g′ = ug": a prime, an equals sign, two letters)
  but make no formula alone: a word processor's "X² + Y₂" or "¹⁄₄ inch" set in a text font
  stays text, as its readers' references keep it.

A run of math and neutral words holding at least one math word is a span; it ends after a
word ending in sentence punctuation ("(e, i, π, 1, 0)" lists constants, "150. s(t) = ..."
numbers an exercise); that punctuation and unbalanced brackets at its edges stay text. A
span opening or ending with a relation or operator ("CV = 0": the variable is a word),
holding no letter or digit (a "⋆" footnote mark), or a lone glyph with no prose on its row
(an affiliation's "β") stays text. The span's
characters are found in the paragraph's text (in reading order, spaces aside) and replaced
by its LaTeX. Rows in Greek (more than half their letters, five or more) are left alone:
there Greek letters are words, not variables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from docparse.geometry import Box
from docparse.textlayer.math import (
    Glyph,
    glyphs_in_box,
    is_bullet,
    is_greek,
    is_italic_font,
    is_math_font,
    is_math_glyph,
    is_operator_name,
    is_script,
    may_hold_math,
    row_latex,
    row_line,
    rows_of,
)
from docparse.textlayer.model import TextLayerPage

#: Labels whose text may hold inline math: paragraphs, abstracts, captions and footnotes.
INLINE_MATH_LABELS = frozenset({"text", "abstract", "footnote", "vision_footnote", "figure_title"})
#: Glyphs further apart than this share of the row's size stand in different words.
_WORD_GAP = 0.2
#: Letters in a row in a math font this many or more are a name set in it, not variables.
_MATH_FONT_WORD = 4
#: Two-letter words of prose that theorems set in italics like their variables.
_SHORT_WORDS = frozenset({
    "if", "is", "in", "on", "of", "to", "at", "as", "be", "by", "we", "or", "an", "it", "so",
    "no", "do", "up", "us", "he", "me", "my", "am", "go", "ie", "eg", "vs", "et", "al",
})
#: A row is Greek prose when Greek letters are more than this share of its letters, and
#: at least this many (a row of math may hold a few Greek variables and little else).
_GREEK_SHARE = 0.5
_GREEK_WORDS = 5
_TRAILING_PUNCTUATION = frozenset(".,;:")
#: Math-font glyphs that make no formula: punctuation, and the marks footnotes use.
_PUNCTUATION = frozenset(".,;:!?()[]{}'\"/|⋆∗*†‡§¶★")
#: Relations and operators, which need something on both sides.
_BINARY = frozenset("=<>≤≥≠≈≡∼≃≅∝∈∉∋⊂⊃⊆⊇→←↔⇒⇐⇔↦+−-×÷±∓·⋅∗/%:")
_NEUTRAL, _MATH, _PROSE = 0, 1, 2


def with_inline_math(
    layer: TextLayerPage, box: Sequence[float], text: str, exclude: Sequence[Box] = ()
) -> str:
    """``text`` (the text layer's reading of ``box``) with its inline math as ``$...$``.

    Example:
        >>> from docparse.textlayer.model import TextChar, TextLine, TextSpan
        >>> def span(s, x, font, size, base):
        ...     chars = tuple(TextChar(c, (x + 6.0 * i, base - size, x + 6.0 * i + 6, base + 2))
        ...                   for i, c in enumerate(s))
        ...     return TextSpan(s, (x, base - size, x + 6.0 * len(s), base + 2), font, size,
        ...                     chars=chars, baseline=base)
        >>> spans = (span("Then ", 0, "Times-Roman", 10, 20), span("λ", 30, "CMMI10", 10, 20),
        ...          span("g", 36, "CMMI7", 7, 22), span(" > 0.", 42, "CMR10", 10, 20))
        >>> page = TextLayerPage(200, 40, (TextLine(spans, (0, 10, 72, 22)),))
        >>> with_inline_math(page, (0, 0, 200, 40), "Then λg > 0.")
        'Then $\\\\lambda_{g}>0$.'
    """
    glyphs = [g for g in glyphs_in_box(layer, box)
              if not any(e[0] <= g.cx <= e[2] and e[1] <= g.cy <= e[3] for e in exclude)]
    # Most paragraphs have no math glyph and one size of type: nothing to look for.
    if not glyphs or not (may_hold_math(glyphs) or len({round(g.size, 1) for g in glyphs}) > 1):
        return text
    spans = [s for row in rows_of(glyphs) for s in inline_spans(row)]
    if not spans:
        return text
    # Non-space characters of the text and where each stands.
    where = [i for i, c in enumerate(text) if not c.isspace()]
    out: list[str] = []
    cursor = 0  # index into ``where``: spans are matched in reading order
    done = 0  # index into ``text`` copied so far
    for span in spans:
        found = _find(text, where, cursor, Counter(g.c for g in span))
        if found is None:
            continue
        first, last = found
        latex = row_latex(span)
        if not latex:
            continue
        out.append(text[done:where[first]])
        out.append(f"${latex}$")
        done = where[last] + 1
        cursor = last + 1
    out.append(text[done:])
    return "".join(out)


def _find(text: str, where: Sequence[int], cursor: int, chars: Counter[str]) -> tuple[int, int] | None:
    """First window of ``len(chars)`` non-space characters from ``cursor`` holding exactly
    ``chars`` (the text's order of a script and its base may differ from the glyphs'), with
    no letter or digit right before or after it."""
    n = sum(chars.values())
    for first in range(cursor, len(where) - n + 1):
        if text[where[first]] not in chars:
            continue
        start, end = where[first], where[first + n - 1]
        # A span is whole words: the "f" of "If" is not the variable f after it.
        if (start > 0 and text[start - 1].isalnum()) or (end + 1 < len(text) and text[end + 1].isalnum()):
            continue
        window = Counter(text[where[k]] for k in range(first, first + n))
        if window == chars:
            return first, first + n - 1
    return None


def inline_spans(row: Sequence[Glyph]) -> list[list[Glyph]]:
    """The inline-math spans of one row of running text, left to right (see the module)."""
    glyphs = sorted((g for g in row if not is_bullet(g.c)), key=lambda g: g.x0)
    letters = [g for g in glyphs if g.c.isalpha()]
    greek = sum(1 for g in letters if is_greek(g.c))
    if not letters or (greek >= _GREEK_WORDS and greek > _GREEK_SHARE * len(letters)):
        return []
    size, base = row_line(glyphs)
    words = _words(glyphs, size)
    kinds = [_kind(w, size, base) for w in words]
    spans: list[list[Glyph]] = []
    k = 0
    while k < len(words):
        if kinds[k] == _PROSE:
            k += 1
            continue
        j = k
        while j < len(words) and kinds[j] != _PROSE:
            j += 1
            # Sentence punctuation after a word ends the formula: "(e, i, π, 1, 0)" lists
            # constants, "150. s(t) = ..." numbers an exercise.
            # (A colon standing alone is a relation: "f : R → R".)
            if len(words[j - 1]) > 1 and words[j - 1][-1].c in _TRAILING_PUNCTUATION:
                break
        if _MATH in kinds[k:j]:
            span = _trimmed([g for w in words[k:j] for g in w])
            # A lone glyph is math in running text ("mean μ and"); alone on its row it is
            # a mark (an affiliation's "β" beside an author list).
            if span and not _half_formula(span, size, base) and (len(span) > 1 or _PROSE in kinds):
                spans.append(span)
        k = j
    return spans


def _half_formula(span: Sequence[Glyph], size: float, base: float) -> bool:
    """Whether ``span`` opens or ends with a relation or operator on its line: its other side
    is a word of prose ("CV = 0") or a formula the row does not hold ("PrecisionAVG = ",
    over a fraction set apart); half a formula as LaTeX reads worse than the text."""
    line = [g for g in span if not is_script(g, size, base)]
    return bool(line) and (line[0].c in _BINARY or line[-1].c in _BINARY)


def _words(glyphs: Sequence[Glyph], size: float) -> list[list[Glyph]]:
    words: list[list[Glyph]] = []
    right = float("-inf")
    for g in glyphs:
        if words and g.x0 - right <= _WORD_GAP * size:
            words[-1].append(g)
        else:
            words.append([g])
            right = float("-inf")
        right = max(right, g.x1)
    return words


def _kind(word: Sequence[Glyph], size: float, base: float) -> int:
    if _has_prose(word, size, base):
        return _PROSE
    return _MATH if any(map(_anchors, word)) else _NEUTRAL


def _anchors(g: Glyph) -> bool:
    """A glyph only formulas have that can make one: a math font's letter or symbol, not its
    digits, punctuation and marks (footnote numbers "(1904),¹⁴" and "⋆" are set in math
    fonts too)."""
    return is_math_glyph(g) and g.c not in _PUNCTUATION


def _has_prose(word: Sequence[Glyph], size: float, base: float) -> bool:
    """A run of letters that reads as a word of prose (see the module)."""
    run: list[Glyph] = []
    for g in [*word, None]:
        if g is not None and g.c.isalpha() and not is_greek(g.c) and not is_script(g, size, base):
            run.append(g)
            continue
        if run:
            text = "".join(x.c for x in run)
            # A name applied to an argument or a subscript ("Var(X)", "AnnR"); a raised
            # mark after a word is a footnote's.
            applied = g is not None and (g.c in "([{" or (is_script(g, size, base) and g.baseline > base))
            if not is_operator_name(text) and not applied and _is_word(text, run):
                return True
            run = []
    return False


def _is_word(text: str, run: Sequence[Glyph]) -> bool:
    if any(is_math_font(g.font) for g in run):
        # A name set in a math font ("Jacc" in Fraktur); a formula's letters stand alone.
        return len(text) >= _MATH_FONT_WORD
    upright = not any(is_italic_font(g.font) for g in run)
    return len(text) >= 3 or upright or text.lower() in _SHORT_WORDS


def _trimmed(span: list[Glyph]) -> list[Glyph]:
    """``span`` without sentence punctuation at its end and unbalanced brackets at its edges."""
    changed = True
    while span and changed:
        changed = False
        if span[-1].c in _TRAILING_PUNCTUATION:
            span = span[:-1]
            changed = True
        elif span and span[0].c in "([" and _unbalanced(span, "([", ")]") > 0:
            span = span[1:]
            changed = True
        elif span and span[-1].c in ")]" and _unbalanced(span, "([", ")]") < 0:
            span = span[:-1]
            changed = True
    # A lone sign or bracket is no formula (a "⋆" footnote mark).
    if not any(g.c.isalnum() for g in span):
        return []
    return span


def _unbalanced(span: Sequence[Glyph], opening: str, closing: str) -> int:
    return sum(1 for g in span if g.c in opening) - sum(1 for g in span if g.c in closing)

