"""Fonts whose text is not what they draw: found by reading a sample of each, and refused.

A PDF font without a ToUnicode map gives its text by the names of its codes (a standard
encoding, or a Differences list), and nothing ties those names to the shapes the embedded
font draws. Usually they agree. Sometimes they do not, and the whole text layer is fluent
garbage that no rule on the text alone can tell from real words:

* a font whose codes are all named one letter off ("sgd Rbhdmbd ne KZmftZfd Lncdkr" for
  "the Science of Language Models": olmOCR's gnarly olmo and dolma pages; pymupdf reads the
  same), tried in session 22 by the share of vowels, which a math italic font and a German
  table of abbreviations share;
* a TrueType subset with no map and no encoding, whose codes are glyph numbers that happen
  to be printable ('"7+%-' for "Phone": OCRmyPDF's truetype_font_nomapping).

So each embedded font without a ToUnicode map (:attr:`TextLayerPage.unverified_fonts`) is
read where it draws a run of Latin text (unless its text on the page already holds two
different common words of a European language, "the" and "and", "der" and "und": a font
named off by a letter or not at all does not write them; this spares the reading of most
body fonts), and one read as something else is read once more on another line. A font whose
readings are confident and share almost nothing with its text is a liar: its glyphs become U+FFFD, glyphs without Unicode,
which the gate refuses like any other (the box is read by OCR). Only Latin runs are sampled:
the liars' codes are ASCII, and the line recogniser cannot read every script (a Cyrillic
font named right would read as Latin look-alikes and be called a liar). Pure: choosing the
samples and judging the readings; the reading is :mod:`docparse.preprocess.fonts`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from docparse.geometry import Box, union
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

#: A sample is a run of at least this many glyphs (spaces included) ...
MIN_SAMPLE = 5
#: ... and at most this many (the longest stretch of a span, from its start).
MAX_SAMPLE = 28
#: ... at least this many page pixels tall (smaller type is not read reliably).
MIN_HEIGHT = 8.0
#: Samples read per font (from different lines when it has them).
SAMPLES_PER_FONT = 2
#: A reading counts from this confidence up ...
MIN_SCORE = 0.8
#: ... and calls the font a liar when its similarity with the text is at most this
#: (difflib ratio of the two, case and spaces folded; misread honest fonts stay above 0.6).
MAX_LIAR_SIMILARITY = 0.35
#: Fonts checked per page at most (the ones with the most glyphs).
MAX_FONTS = 12


#: Frequent short words of the European languages written in Latin script: two different
#: ones in a font's text show its codes are named right.
_COMMON_WORDS = frozenset(
    "the and for with that this from are was were not you your our which will can has have "
    "der die das und für mit den des ist von nicht ein eine auf dem sich oder "
    "les une pour dans par sur est que qui pas avec aux "
    "los las del por con para una como "
    "della delle che non sono "
    "het een van voor met niet zijn aan ook "
    "uma com não dos das".split()
)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class FontSample:
    """A run of one unverified font's glyphs to read: its text and its box in page pixels."""

    font: str
    text: str
    box: Box


def font_samples(layer: TextLayerPage, judged: Collection[str] = ()) -> list[FontSample]:
    """Up to :data:`SAMPLES_PER_FONT` samples of each unverified font not ``judged`` yet
    (on an earlier page of the document): the longest Latin runs of its visible, level
    spans, one per line."""
    wanted = set(layer.unverified_fonts) - set(judged)
    if not wanted:
        return []
    by_font: dict[str, list[tuple[int, int, FontSample]]] = {}
    glyphs: dict[str, int] = {}
    words: dict[str, set[str]] = {}
    for index, line in enumerate(layer.lines):
        for span in line.spans:
            if span.font not in wanted or span.render_mode == 3:
                continue
            words.setdefault(span.font, set()).update(_COMMON_WORDS.intersection(
                _WORD.findall(span.text.casefold())))
            if not _level(span):
                continue
            glyphs[span.font] = glyphs.get(span.font, 0) + len(span.chars)
            sample = _sample(span)
            if sample is not None:
                by_font.setdefault(span.font, []).append((len(sample.text.strip()), index, sample))
    fonts = sorted((f for f in by_font if len(words.get(f, ())) < 2),
                   key=lambda f: -glyphs[f])[:MAX_FONTS]
    out: list[FontSample] = []
    for font in fonts:
        lines_used: set[int] = set()
        for _, index, sample in sorted(by_font[font], key=lambda t: (-t[0], t[1])):
            if index in lines_used:
                continue
            lines_used.add(index)
            out.append(sample)
            if len(lines_used) == SAMPLES_PER_FONT:
                break
    return out


def _level(span: TextSpan) -> bool:
    dx, dy = span.direction
    return dx > 0.99 and abs(dy) < 0.05


def _sample(span: TextSpan) -> FontSample | None:
    """The span's first :data:`MAX_SAMPLE` glyphs, trimmed of spaces, when they are Latin
    (printable, below U+0250) and long and tall enough to read."""
    chars = list(span.chars[:MAX_SAMPLE])
    while chars and not chars[0].c.strip():
        chars.pop(0)
    while chars and not chars[-1].c.strip():
        chars.pop()
    text = "".join(c.c for c in chars)
    if len(text.replace(" ", "")) < MIN_SAMPLE or not all(_latin(ch) for ch in text):
        return None
    box = functools.reduce(union, (c.bbox for c in chars))
    if box[3] - box[1] < MIN_HEIGHT:
        return None
    return FontSample(span.font, text, box)


def _latin(ch: str) -> bool:
    return ch == " " or (ord(ch) < 0x250 and unicodedata.category(ch)[0] in "LNPS")


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def similarity(text: str, reading: str) -> float:
    """How much of the two strings agree, case and spaces folded (0 to 1).

    >>> round(similarity("sgd Rbhdmbd ne", "the Science of"), 2)
    0.08
    >>> similarity("Introduction", "INTRODUCTION")
    1.0
    """
    a, b = _folded(text), _folded(reading)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def judge_fonts(samples: Sequence[FontSample], readings: Sequence[tuple[str, float]]
                ) -> dict[str, bool]:
    """Each sampled font's verdict, True for a liar: every sample of it was read with
    confidence as something else. A font with one sample read unsure, or read as its own
    text, is believed: OCR's doubt is no evidence against the text layer."""
    votes: dict[str, list[bool]] = {}
    for sample, (reading, score) in zip(samples, readings, strict=True):
        liar = (score >= MIN_SCORE and len(_folded(reading)) >= 3
                and similarity(sample.text, reading) <= MAX_LIAR_SIMILARITY)
        votes.setdefault(sample.font, []).append(liar)
    return {font: all(v) for font, v in votes.items()}


def refuse_fonts(layer: TextLayerPage, verdicts: Mapping[str, bool]) -> TextLayerPage:
    """``layer`` with every glyph of the fonts ``verdicts`` call liars, but spaces, as
    U+FFFD (a glyph without Unicode)."""
    fonts = frozenset(f for f in layer.unverified_fonts if verdicts.get(f))
    if not fonts:
        return layer
    lines = tuple(_refused_line(line, fonts) for line in layer.lines)
    return dataclasses.replace(layer, lines=lines)


def _refused(ch: str) -> str:
    return ch if not ch.strip() else "\ufffd"


def _refused_line(line: TextLine, fonts: frozenset[str]) -> TextLine:
    if not any(s.font in fonts for s in line.spans):
        return line
    spans = tuple(
        dataclasses.replace(
            span,
            text="".join(_refused(c) for c in span.text),
            chars=tuple(TextChar(_refused(c.c), c.bbox) for c in span.chars),
            unmapped=sum(1 for c in span.text if c.strip()),
        ) if span.font in fonts else span
        for span in line.spans
    )
    return dataclasses.replace(line, spans=spans)
