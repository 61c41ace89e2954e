"""Fonts whose ToUnicode map contradicts the names of the glyphs they draw.

A simple Type1 font draws each code with the glyph its encoding names (a /Differences list
over a base encoding): the renderer looks the glyph up by that name, so the name is what the
page shows. The ToUnicode map, which text extraction prefers, is written separately by the
producer and nothing checks it. Usually the two agree. Some producers write the map of
another font into a subset, and then every letter the subset draws comes out as something
else: docling-parse's Polish pump manuals (case_07, text_as_lines_01/02), whose accented
letters live in small subsets named ``/lslash /zdot /sacute ...`` and mapped to ``. 2 6``
("u2yteczno6ci" for "użyteczności", "T.oczenie" for "Tłoczenie"; pymupdf, pdfplumber and
pdftotext read the same), or the math fonts of olmOCR's gnarly olmo and dolma pages, whose
maps are one Greek letter off (``alpha`` mapped to "β").

Across the 392 real PDFs of the development, second, sweep and ICDAR 2013 sets (220 Type1
fonts with both), every font whose /Differences names some letter and whose map gives that
code agrees on at least one such letter, but those: there, none agrees. So a map that agrees with no letter its font's names
give, and disagrees on two or on one it maps to a non-letter, is the producer's mistake,
and the names are believed (:func:`contradicted`). One lone letter mapped to another letter
is left as mapped: one code is too little to overrule the map on. Only letters beyond ASCII
are judged: a symbol font names its glyphs as plain letters and draws bullets (the Federal
Register's ZapfDingbats "I", a square, mapped to "■"), where the map is right.

Pure: parsing the /Differences array and the CMap, and the judgement; the PDF objects are
read, the glyph names resolved (by MuPDF's glyph list, as its text extraction resolves them
once the map is gone) and the map dropped in :mod:`docparse.textlayer.extract`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

#: Codes of a simple font are one byte.
_SIMPLE_CODES = 256
_TOKEN = re.compile(rb"/([^\s/\[\]()<>{}%]*)|(-?\d+)")
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_BLOCK = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)
_RANGE = re.compile(rb"<([0-9A-Fa-f\s]+)>\s*<([0-9A-Fa-f\s]+)>\s*(<[0-9A-Fa-f\s]*>|\[[^\]]*\])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def differences(array: str) -> dict[int, str]:
    """Code -> glyph name of a /Differences array as pymupdf gives it (``[33/lslash/zdot]``).

    >>> differences("[33/lslash/zdot 40 /a#20b]")
    {33: 'lslash', 34: 'zdot', 40: 'a b'}
    """
    out: dict[int, str] = {}
    code = 0
    for name, number in _TOKEN.findall(array.encode("latin-1", "replace")):
        if number:
            code = int(number)
            continue
        if 0 <= code < _SIMPLE_CODES:
            raw = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
            out[code] = raw.decode("latin-1")
        code += 1
    return out


def to_unicode(cmap: bytes) -> dict[int, str]:
    """Code -> text of a ToUnicode CMap's ``bfchar`` and ``bfrange`` entries (codes of a
    simple font only: below 256).

    >>> to_unicode(b"1 beginbfchar <21> <0142> endbfchar "
    ...            b"2 beginbfrange <30> <31> <0061> <40> <41> [<0062> <00660069>] endbfrange")
    {33: 'ł', 48: 'a', 49: 'b', 64: 'b', 65: 'fi'}
    """
    out: dict[int, str] = {}
    for kind, body in _BLOCK.findall(cmap):
        if kind == b"bfchar":
            values = _HEX.findall(body)
            for src, dst in zip(values[::2], values[1::2], strict=False):
                code = _number(src)
                if code is not None and code < _SIMPLE_CODES and (text := _text(dst)):
                    out[code] = text
            continue
        for lo_hex, hi_hex, dst in _RANGE.findall(body):
            lo, hi = _number(lo_hex), _number(hi_hex)
            if lo is None or hi is None or lo >= _SIMPLE_CODES:
                continue
            hi = min(hi, _SIMPLE_CODES - 1)
            if dst.startswith(b"["):
                for offset, each in enumerate(_HEX.findall(dst)[: hi - lo + 1]):
                    if text := _text(each):
                        out[lo + offset] = text
            elif (first := _text(dst[1:-1])):
                for offset in range(hi - lo + 1):
                    last = ord(first[-1]) + offset
                    if last <= 0x10FFFF:
                        out[lo + offset] = first[:-1] + chr(last)
    return out


def _number(hex_digits: bytes) -> int | None:
    digits = b"".join(hex_digits.split())
    return int(digits, 16) if digits else None


def _text(hex_digits: bytes) -> str:
    digits = b"".join(hex_digits.split())
    if not digits or len(digits) % 4:
        return ""
    return bytes.fromhex(digits.decode("ascii")).decode("utf-16-be", "replace")


def _letter(text: str) -> str:
    """``text`` (what a glyph name stands for) when it is one letter beyond ASCII, else ""
    ("/", a space, a ligature: "fi" names U+FB01, which producers map variously). A symbol
    font draws its bullets and arrows under plain letters' names (ZapfDingbats' "I" is a
    square, mapped to "■" rightly); an accented or Greek letter's name is the letter."""
    if (ord(text[0]) > 0x7F and len(unicodedata.normalize("NFKC", text)) == 1
            and unicodedata.category(text)[0] == "L"):
        return text
    return ""


def _agrees(letter: str, mapped: str) -> bool:
    # Compatibility forms agree ("ª" for ordfeminine, "ℵ" for aleph's Hebrew letter).
    if _folded(mapped) == _folded(letter):
        return True
    # A map that drops the accent ("a" for aacute) is sloppy, not another font's; "S" for
    # sacute is another font's (case kept here: small caps are matched above).
    return unicodedata.normalize("NFKD", letter)[0] == mapped


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def contradicted(named: Mapping[int, str], mapped: Mapping[int, str]) -> bool:
    """Whether the map ``mapped`` (code -> text) gives none of the letters the font's glyph
    names stand for (``named``: code -> the text of the /Differences name, as the Adobe
    Glyph List resolves it), and differs on two codes or on one it maps to a non-letter.

    >>> contradicted({33: "ł", 34: "ż"}, {33: ".", 34: "2"})
    True
    >>> contradicted({33: "ł"}, {33: "3"})
    True
    >>> contradicted({33: "ł", 34: "ż"}, {33: "ł", 34: "2"})
    False
    >>> contradicted({33: "Ł"}, {33: "a"})
    False
    >>> contradicted({33: "ś", 34: "ę"}, {33: "S", 34: "i"})
    True
    >>> contradicted({33: "ś", 34: "ę"}, {33: "s", 34: "i"})
    False
    >>> contradicted({33: "/", 34: "\ufb01"}, {33: "x", 34: "y"})
    False
    >>> contradicted({2: "I", 3: "n"}, {2: "■", 3: "●"})
    False
    """
    differ: list[str] = []
    for code, named_text in named.items():
        letter = _letter(named_text)
        text = mapped.get(code)
        if not letter or not text:
            continue
        if _agrees(letter, text):
            return False
        differ.append(text)
    return len(differ) >= 2 or any(not text.isalpha() for text in differ)
