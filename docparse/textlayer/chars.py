"""Characters of one visual text row into clean logical-order text (pure, no I/O).

PDF text layers hand out glyphs, not text. The row is rebuilt from per-character boxes:

* Order: glyphs are sorted by position (visual order), then turned into logical order with
  the Unicode bidi classes, so right-to-left runs (Arabic, Hebrew) read correctly whether
  the PDF stored them visually or logically. Numbers and Latin inside an RTL row keep their
  left-to-right order.
* Marks: combining marks and zero-width glyphs belong to the glyph whose box holds them.
  Some PDFs split each Arabic lam-alef ligature into the lam plus a zero-width alef; placing
  the alef after its host (in logical order) restores the word. A zero-width letter with no
  host is counted as broken.
* TeX spacing accents (``´`` drawn over ``a``) become combining marks when the accent's box
  overlaps a letter's box, so ``´a`` turns into ``á``; a lone accent stays as it is.
* Ligatures of the Alphabetic Presentation Forms block (U+FB00–U+FB4F: ﬁ, ﬂ, ﬀ, ...) are
  expanded with NFKC, and so are Arabic Presentation Forms (U+FB50–U+FDFF, U+FE70–U+FEFE):
  PDFs whose producer shaped Arabic or Persian itself (older word processors, MuPDF's HTML
  writer) store the shaped glyph codes, in visual order; sorted and reordered as above they
  read as the words, and NFKC gives their letters (a lam-alef ligature becomes lam, alef).
  Other compatibility characters are kept: NFKC elsewhere would also rewrite superscripts
  and fractions.
* Typographic quotes and dashes are kept as the author set them (they are real text, and
  the VLM path returns them too); only whitespace is normalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Spacing accents that TeX and old word processors draw over (or under) a separate letter,
#: mapped to the combining mark they stand for.
SPACING_ACCENTS: dict[str, str] = {
    "\u00b4": "\u0301",  # acute
    "`": "\u0300",
    "\u00a8": "\u0308",  # diaeresis
    "\u02c6": "\u0302",  # circumflex
    "^": "\u0302",
    "\u02dc": "\u0303",  # tilde
    "~": "\u0303",
    "\u00af": "\u0304",  # macron
    "\u02c9": "\u0304",
    "\u02d8": "\u0306",  # breve
    "\u02d9": "\u0307",  # dot above
    "\u02da": "\u030a",  # ring
    "\u02dd": "\u030b",  # double acute
    "\u02c7": "\u030c",  # caron
    "\u00b8": "\u0327",  # cedilla
    "\u02db": "\u0328",  # ogonek
}
_DOTLESS = {"\u0131": "i", "\u0237": "j"}  # TeX puts accents on dotless i/j
_RTL_CLASSES = frozenset({"R", "AL"})
_NUMBER_CLASSES = frozenset({"EN", "AN"})
_NUMBER_JOINERS = frozenset({"CS", "ES", "ET"})  # 1,000.5  +5  5%
#: Removed everywhere: zero-width space, byte order mark / zero-width no-break space. Soft
#: hyphens are removed too, except at the row's end where they mark a split word.
_DROP = frozenset("\u200b\ufeff")
_SHY = "\u00ad"
_CJK_RANGES = (
    (0x3000, 0x30FF),
    (0x3400, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
#: The CJK ranges as the body of a regex character class, for patterns built elsewhere.
CJK_CLASS = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _CJK_RANGES)
#: CJK enumerators opening an item ("二、", "（1）", "①", "4．"), as a regex alternation.
#: CJK text sets no space after them: the item shows by the CJK character that follows.
CJK_ENUMERATOR = (
    r"[（(][\d一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、．]|\d{1,3}[.．、]"
    r"|[\u2460-\u2473]"
)
#: What a glyph decodes to when its font has no Unicode map: the replacement characters and
#: the control codes but tab and newline (a survey's checkbox reads U+FFFD and a C1 code), as
#: the body of a regex character class.
UNDECODABLE_CLASS = "\ufffd\ufffc\x00-\x08\x0b-\x1f\x7f-\x9f"
_UNDECODABLE = re.compile(f"[{UNDECODABLE_CLASS}]")


def is_undecodable(ch: str) -> bool:
    return _UNDECODABLE.match(ch) is not None


@dataclass
class Glyph:
    """One character with its box in the row's reading frame (x grows along the text)."""

    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    marks: list[str] = field(default_factory=list)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass(frozen=True)
class RowText:
    """Logical-order text of a row and the number of zero-width letters without a host."""

    text: str
    orphans: int
    rtl: bool


def is_cjk(ch: str) -> bool:
    """True for Han, kana, Hangul and full-width forms (joined without spaces)."""
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _CJK_RANGES)


def joins_at_line_break(left: str, right: str) -> bool:
    """Whether a line ending in ``left`` and the next starting with ``right`` (characters)
    join without a space: Chinese and Japanese break lines between any two characters and
    set no spaces. Korean sets spaces between words and word processors break its lines
    there by default, so a break beside a Hangul syllable is a space."""
    return bool(left and right) and is_cjk(left) and is_cjk(right) and not (
        _is_hangul(left) or _is_hangul(right))


def _is_hangul(ch: str) -> bool:
    return 0xAC00 <= ord(ch) <= 0xD7AF or 0x1100 <= ord(ch) <= 0x11FF or 0x3130 <= ord(ch) <= 0x318F


def is_rtl_text(text: str) -> bool:
    """True when strong right-to-left letters outnumber left-to-right ones."""
    rtl = ltr = 0
    for ch in text:
        cls = unicodedata.bidirectional(ch)
        if cls in _RTL_CLASSES:
            rtl += 1
        elif cls == "L":
            ltr += 1
    return rtl > ltr


def row_text(glyphs: Sequence[Glyph]) -> RowText:
    """Text of one visual row from its glyphs (any order), cleaned as the module doc says.

    >>> g = [Glyph("b", 10, 0, 20, 10, 10), Glyph("a", 0, 0, 10, 10, 10)]
    >>> row_text(g).text
    'ab'
    """
    bases, orphans = _attach_marks(_without_overprint(glyphs))
    bases = _compose_accents(bases)
    clusters = _with_spaces(bases)
    rtl = is_rtl_text("".join(c for c in clusters))
    if any(unicodedata.bidirectional(c[:1]) in _RTL_CLASSES for c in clusters if c):
        if rtl:
            clusters = _latin_word_spaces(clusters)
        clusters = visual_to_logical(clusters, rtl=rtl)
    return RowText(clean_text("".join(clusters)), orphans, rtl)


def _latin_word_spaces(clusters: Sequence[str]) -> list[str]:
    """A right-to-left row (visual order) with the space typed after a Latin word put back
    after it.

    The bidi algorithm shows a space typed between a Latin word and the Arabic word after it
    on the Latin word's right, next to the Arabic letter before it (``وPython ميزات`` is
    drawn ``ميزات|Python |و``): read back as drawn, the two words after it touch. A Latin
    word does not run into the Arabic word after it, while an Arabic prefix (the
    conjunction و) does cling to the Latin word before it; so where a Latin word touches an
    Arabic letter on its left and has a space on its right before another Arabic letter, the
    space goes to its left.

    >>> "".join(_latin_word_spaces(list("تازيمPython و")))
    'تازيم Pythonو'
    """
    items = list(clusters)
    kinds = ["L" if c[:1].isalpha() and unicodedata.bidirectional(c[:1]) == "L"
             else "R" if unicodedata.bidirectional(c[:1]) in _RTL_CLASSES
             else " " if c.isspace() else "n" for c in items]
    i = 1
    while i < len(items):
        if kinds[i] == "L" and kinds[i - 1] == "R":
            j = i
            while j < len(items) and kinds[j] == "L":
                j += 1
            if j + 1 < len(items) and kinds[j] == " " and kinds[j + 1] == "R":
                items.insert(i, items.pop(j))
                kinds.insert(i, kinds.pop(j))
            i = j + 1
            continue
        i += 1
    return items


def is_arabic_presentation_form(ch: str) -> bool:
    """Arabic Presentation Forms-A/-B: the shaped glyph codes (initial, medial, final and
    isolated forms, lam-alef ligatures) some producers write instead of base letters."""
    o = ord(ch)
    return 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFE


def clean_text(text: str) -> str:
    """Ligatures and Arabic shaped forms expanded to their letters, invisible format
    characters dropped, whitespace collapsed, paired single quotes made one double quote, NFC."""
    out: list[str] = []
    for ch in text:
        if ch in _DROP:
            continue
        if 0xFB00 <= ord(ch) <= 0xFB4F or is_arabic_presentation_form(ch):
            out.append(unicodedata.normalize("NFKC", ch))
        elif ch.isspace() or unicodedata.category(ch) == "Zs":
            out.append(" ")
        else:
            out.append(ch)
    text = " ".join("".join(out).split())
    # TeX sets a double quote as two single ones (``quote''): one mark to a reader.
    text = text.replace("\u2018\u2018", "\u201c").replace("\u2019\u2019", "\u201d")
    trailing = _SHY if text.endswith(_SHY) else ""
    return unicodedata.normalize("NFC", text.replace(_SHY, "")) + trailing


def _without_overprint(glyphs: Sequence[Glyph]) -> list[Glyph]:
    """Drop glyphs drawn again over themselves: fake bold prints each character two or more
    times with a small offset, which would read ``EENNAABBLLEE``."""
    kept: list[Glyph] = []
    for g in sorted(glyphs, key=lambda g: g.cx):
        twin = False
        for k in kept[-4:]:
            if k.c == g.c:
                inter = min(k.x1, g.x1) - max(k.x0, g.x0)
                if inter >= 0.5 * max(min(k.width, g.width), 1e-6) and inter > 0:
                    twin = True
                    break
        if not twin:
            kept.append(g)
    return kept


def _is_mark(g: Glyph) -> bool:
    if g.c.isspace():
        return False
    return (
        unicodedata.combining(g.c) > 0
        or unicodedata.category(g.c) in ("Mn", "Me")
        or (g.width <= 0.02 * g.size)
    )


def _attach_marks(glyphs: Sequence[Glyph]) -> tuple[list[Glyph], int]:
    """Base glyphs in visual order, each carrying the marks whose position it covers."""
    bases = sorted((g for g in glyphs if not _is_mark(g)), key=lambda g: g.cx)
    orphans = 0
    for g in glyphs:
        if not _is_mark(g):
            continue
        host = _host(bases, g)
        if host is not None:
            host.marks.append(g.c)
            continue
        if unicodedata.category(g.c).startswith("L"):
            orphans += 1
        # No host: keep it where it stands, as a base of its own.
        bases.append(Glyph(g.c, g.x0, g.y0, g.x1, g.y1, g.size))
        bases.sort(key=lambda b: b.cx)
    return bases, orphans


def _host(bases: Sequence[Glyph], mark: Glyph) -> Glyph | None:
    tol = 0.05 * mark.size
    best: Glyph | None = None
    for b in bases:
        if b.c.isspace():
            continue
        if b.x0 - tol <= mark.cx <= b.x1 + tol and (
            best is None or abs(b.cx - mark.cx) < abs(best.cx - mark.cx)
        ):
            best = b
    if best is not None and _trailing_mark(mark, tol) and not _is_rtl_glyph(best):
        # A zero-width mark is drawn where the pen stands after its base (Thai vowels and
        # tone marks, a combining accent), which is also the next glyph's left edge: it belongs
        # to the glyph ending there, however narrow its neighbours are ("สิทธิเว", not "สิทธเิว").
        ending = [b for b in bases if not b.c.isspace() and abs(b.x1 - mark.cx) <= tol
                  and not _is_rtl_glyph(b)]
        if ending:
            best = min(ending, key=lambda b: abs(b.x1 - mark.cx))
    if best is not None and _ligature_tail(mark):
        # A ligature glyph ("fi") mapped to several letters gives its whole advance to the
        # first and zero width to the rest, placed at its right edge, which is also the next
        # glyph's left edge: the letter continues the glyph ending there ("con-fi-dence",
        # not "conf-di-ence"), whichever centre is nearer.
        ending = [b for b in bases if not b.c.isspace() and abs(b.x1 - mark.cx) <= tol]
        if ending:
            best = min(ending, key=lambda b: abs(b.x1 - mark.cx))
    return best


def _trailing_mark(mark: Glyph, tol: float) -> bool:
    """A combining mark with no advance of its own."""
    return unicodedata.category(mark.c) in ("Mn", "Me") and mark.x1 - mark.x0 <= tol


def _is_rtl_glyph(g: Glyph) -> bool:
    # Right-to-left runs advance the other way: their marks are not placed at the right edge.
    return unicodedata.bidirectional(g.c[:1]) in _RTL_CLASSES


def _ligature_tail(mark: Glyph) -> bool:
    """A zero-width letter: what a mapped ligature leaves after its first letter."""
    return unicodedata.category(mark.c).startswith("L") and unicodedata.combining(mark.c) == 0


def _compose_accents(bases: list[Glyph]) -> list[Glyph]:
    """Fold spacing accents into the neighbouring letter they overlap by at least half the
    narrower of the two boxes."""
    out: list[Glyph] = []
    pending: list[tuple[int, str]] = []  # (index in bases of the letter, combining mark)
    skip: set[int] = set()
    for i, g in enumerate(bases):
        mark = SPACING_ACCENTS.get(g.c)
        if mark is None:
            continue
        # TeX centres the accent over its letter: of the overlapping neighbours, take the
        # one whose centre is nearest.
        near = [
            j
            for j in (i - 1, i + 1)
            if 0 <= j < len(bases)
            and j not in skip
            and bases[j].c.isalpha()
            and _overlap(g, bases[j]) >= 0.5 * min(g.width, bases[j].width)
        ]
        if near:
            best = min(near, key=lambda j: abs(bases[j].cx - g.cx))
            pending.append((best, mark))
            skip.add(i)
    for j, mark in pending:
        bases[j].marks.insert(0, mark)
    out = [g for i, g in enumerate(bases) if i not in skip]
    for g in out:
        if g.marks and g.c in _DOTLESS and any(m in SPACING_ACCENTS.values() for m in g.marks):
            g.c = _DOTLESS[g.c]
    return out


def _overlap(a: Glyph, b: Glyph) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


#: A gap (in font sizes) that is a space between any two glyphs.
SPACE_GAP = 0.25
#: Between two letters or digits a smaller gap already is: some PDFs draw no space glyphs
#: and set words 0.12-0.15 em apart ("CompositionofthepretrainingdataforOLMo2"); letters of
#: a word stand at most a few hundredths apart, and punctuation keeps the wider test (math
#: and "word ." spacing would otherwise open up). pdfminer's word margin is 0.1 em.
WORD_GAP = 0.12


def between_words(a: str, b: str) -> bool:
    """Whether a gap of :data:`WORD_GAP` between ``a`` and ``b`` is a word space: both
    letters or digits, neither a CJK character (CJK text sets Latin words apart by its own
    spacing, and has no spaces between its own characters)."""
    return a.isalnum() and b.isalnum() and not (is_cjk(a) or is_cjk(b))


def _with_spaces(bases: Sequence[Glyph]) -> list[str]:
    """Cluster strings in visual order, with a space where glyphs stand apart.

    MuPDF already inserts spaces inside its lines; gaps appear where the row was built from
    several pieces. A drop cap (a letter at least twice the size of its neighbour) is glued
    to the word it starts."""
    out: list[str] = []
    prev: Glyph | None = None
    for g in bases:
        cluster = g.c + "".join(g.marks)
        if prev is not None and not prev.c.isspace() and not g.c.isspace():
            gap = g.x0 - prev.x1
            size = min(prev.size, g.size)
            drop_cap = len(out) == 1 and prev.size >= 2 * g.size and prev.c.isalpha()
            space = WORD_GAP if between_words(prev.c, g.c) else SPACE_GAP
            if gap > space * size and not drop_cap and not (is_cjk(prev.c) and is_cjk(g.c)):
                out.append(" ")
        out.append(cluster)
        prev = g
    return out


def _direction_classes(clusters: Sequence[str]) -> list[str]:
    return [unicodedata.bidirectional(c[0]) if c else "ON" for c in clusters]


def visual_to_logical(clusters: Sequence[str], *, rtl: bool) -> list[str]:
    """Logical order of clusters given left-to-right visual order.

    A two-level inverse of the bidi algorithm (exact inversion is impossible: different
    logical strings can look the same). In a right-to-left row everything is reversed except
    runs of Latin letters and numbers; in a left-to-right row only runs of right-to-left
    letters are reversed, and numbers inside them keep their order.

    >>> "".join(visual_to_logical(list("12 םולש"), rtl=True))
    'שלום 12'
    """
    classes = _direction_classes(clusters)
    items = list(clusters)
    if rtl:
        for a, b in _ltr_runs(classes):
            items[a:b] = items[a:b][::-1]
        return items[::-1]
    for a, b in _rtl_runs(classes):
        segment = items[a:b][::-1]
        seg_classes = classes[a:b][::-1]
        for na, nb in _number_runs(seg_classes):
            segment[na:nb] = segment[na:nb][::-1]
        items[a:b] = segment
    return items


def _kind(cls: str) -> str:
    if cls == "L":
        return "L"
    if cls in _NUMBER_CLASSES:
        return "N"
    return "R" if cls in _RTL_CLASSES else "n"


def _ltr_runs(classes: Sequence[str]) -> list[tuple[int, int]]:
    """Runs shown left to right inside a right-to-left row: Latin words and numbers.

    Neutrals join two Latin items, or a Latin item and a number after it; two numbers join
    only across number punctuation (``1,000``), not across a space (separate runs)."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    last = -1
    for i, cls in enumerate(classes):
        kind = _kind(cls)
        if kind == "n":
            continue
        if kind == "R":
            if start is not None:
                runs.append((start, last + 1))
            start = None
            continue
        if start is not None and i > last + 1:
            between = classes[last + 1 : i]
            prev = _kind(classes[last])
            joins = (prev == "L") or (kind == "N" and all(c in _NUMBER_JOINERS for c in between))
            if not joins:
                runs.append((start, last + 1))
                start = None
        if start is None:
            start = i
        last = i
    if start is not None:
        runs.append((start, last + 1))
    return runs


def _rtl_runs(classes: Sequence[str]) -> list[tuple[int, int]]:
    """Runs of right-to-left letters (with whatever but Latin between them)."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    last = -1
    for i, cls in enumerate(classes):
        kind = _kind(cls)
        if kind == "R":
            if start is None:
                start = i
            last = i
        elif kind == "L" and start is not None:
            runs.append((start, last + 1))
            start = None
    if start is not None:
        runs.append((start, last + 1))
    return runs


def _number_runs(classes: Sequence[str]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    last = -1
    for i, cls in enumerate(classes):
        if cls in _NUMBER_CLASSES:
            if start is None:
                start = i
            last = i
        elif start is not None and cls not in _NUMBER_JOINERS:
            runs.append((start, last + 1))
            start = None
    if start is not None:
        runs.append((start, last + 1))
    return runs
