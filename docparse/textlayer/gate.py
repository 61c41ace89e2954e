"""Decide whether a layout block's text can come from the PDF's text layer (pure, no I/O).

A wrong text layer is worse than a recognition request: it silently puts garbage in the
output. So the gate accepts only what it can check, and gives the reason for every refusal:

==============================  ===============================================  ========
reason                          refused when                                     prefer
==============================  ===============================================  ========
``not_text_label``              tables, formulas, charts, images                 refused
``off_page``                    less than half the box lies on the page          refused
``no_text``                     no character in the box                          refused
``unmapped_glyphs``             glyphs without Unicode (font lacks ToUnicode)     refused
``replacement_chars``           U+FFFD, U+FFFC or SUB in the text                 refused
``scanned_page``                invisible text on a page covered by an image     accepted
``invisible_text``              over 10% of the characters drawn invisibly       accepted
``private_use``                 private-use characters (symbol fonts)            accepted
``broken_presentation_forms``   a split lam-alef's alef with no letter           accepted
``implausible_script``          control characters, mojibake (``Ã©``), letters   accepted
                                mixing scripts inside words, mostly symbols
``low_coverage``                the text rows cover under 20% of the box         accepted
==============================  ===============================================  ========

``auto`` applies every row; ``prefer`` (the user trusts the file, e.g. a scan with a good
OCR layer) applies only the rows marked "refused". Text drawn under a page-sized image is
reported as invisible by the extractor, so it is treated like an OCR layer. A few invisible
characters on a born-digital page (hidden markers) are left out rather than refusing the box.

Coverage compares the area of the character boxes (ascender to descender, so a paragraph's
lines tile its box) with the box area: a box mostly empty of text holds a picture or
rasterised text that the text layer does not have.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from docparse.geometry import intersection
from docparse.labels import TEXT_LIKE_LABELS
from docparse.textlayer.block_text import BoxText, text_in_box
from docparse.textlayer.chars import is_undecodable
from docparse.textlayer.model import TextLayerPage

#: Share of invisible characters above which a box counts as an OCR layer.
INVISIBLE_SHARE = 0.1
#: Image coverage from which a page with invisible text is reported as a scan.
SCAN_IMAGE_COVERAGE = 0.9
#: Character-box area over box area below which the box is refused.
MIN_COVERAGE = 0.2
#: Share of words mixing scripts above which the text is implausible.
MIXED_WORD_SHARE = 0.2
#: Share of letters and digits among visible characters below which text is implausible.
MIN_ALNUM_SHARE = 0.5

#: Share of accented letters among Latin ones above which text is implausible (Vietnamese, the
#: most accented Latin orthography, stays well below).
MAX_ACCENTED_SHARE = 0.6

#: Symbols that do not occur between two letters of a real word. Most punctuation does
#: (``AT&T``, ``don't``, Catalan ``l·l``) and so do maths signs (``x+y``), so only these
#: categories and a few typographic marks count.
_WORD_BREAKING = frozenset({"So", "Sc", "Sk", "Co"})
_WORD_BREAKING_MARKS = frozenset("•†‡§¶")
_REPLACEMENT = frozenset("\ufffd\ufffc\x1a")
_MOJIBAKE_LEADS = frozenset(chr(c) for c in range(0xC2, 0xF5))
#: Scripts that legitimately share words (β-catenin, ΔG-value).
_COMPATIBLE_SCRIPTS = frozenset({"LATIN", "GREEK"})
#: Writing systems without spaces between words mix scripts within a "word" (``PDFファイル``),
#: so words holding them are not judged; nor are modifier letters (ʼ, ʻ).
_UNJUDGED_SCRIPTS = frozenset(
    {
        "CJK",
        "HIRAGANA",
        "KATAKANA",
        "HANGUL",
        "FULLWIDTH",
        "HALFWIDTH",
        "BOPOMOFO",
        "IDEOGRAPHIC",
        "THAI",
        "LAO",
        "KHMER",
        "MYANMAR",
        "TIBETAN",
        "MODIFIER",
    }
)


@dataclass(frozen=True)
class TextLayerDecision:
    """``text`` is the block's content when the text layer is trusted, else None."""

    text: str | None
    reason: str


def decide(
    layer: TextLayerPage,
    bbox: Sequence[float],
    label: str,
    mode: Literal["auto", "prefer"],
    *,
    exclude: Sequence[Sequence[float]] = (),
) -> TextLayerDecision:
    """Whether the text layer may replace recognition for one block, and why.

    Args:
        layer: the page's text layer (page pixels).
        bbox: the block's ``(x0, y0, x1, y1)`` in page pixels.
        label: the block's layout label.
        mode: ``"auto"`` checks everything; ``"prefer"`` only the hard failures.
        exclude: boxes of other blocks that own the characters inside them.

    Example:
        >>> from docparse.textlayer.model import TextChar, TextLine, TextSpan
        >>> chars = tuple(TextChar(c, (8.0 * i, 0.0, 8.0 * i + 8, 12.0)) for i, c in enumerate("Hello"))
        >>> span = TextSpan("Hello", (0, 0, 40, 12), "Helvetica", 10.0, chars=chars)
        >>> page = TextLayerPage(100, 100, (TextLine((span,), (0, 0, 40, 12)),))
        >>> decide(page, (0, 0, 42, 13), "text", "auto")
        TextLayerDecision(text='Hello', reason='ok')
        >>> decide(page, (0, 0, 42, 13), "table", "auto").reason
        'not_text_label'
    """
    if label not in TEXT_LIKE_LABELS:
        return TextLayerDecision(None, "not_text_label")
    x0, y0, x1, y1 = (float(v) for v in bbox)
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    on_page = max(0.0, min(x1, layer.width) - max(x0, 0.0)) * max(
        0.0, min(y1, layer.height) - max(y0, 0.0)
    )
    if area <= 0 or on_page < 0.5 * area:
        return TextLayerDecision(None, "off_page")
    owned = [(float(e[0]), float(e[1]), float(e[2]), float(e[3])) for e in exclude]
    found = _stray_glyphs_dropped(text_in_box(layer, (x0, y0, x1, y1), exclude=owned))
    hard = _hard_failure(found)
    if hard is not None:
        return TextLayerDecision(None, hard)
    if mode == "prefer":
        return TextLayerDecision(found.text, "ok")
    if found.invisible > INVISIBLE_SHARE * found.chars:
        scan = layer.image_coverage >= SCAN_IMAGE_COVERAGE
        return TextLayerDecision(None, "scanned_page" if scan else "invisible_text")
    if found.invisible:
        found = _stray_glyphs_dropped(text_in_box(layer, (x0, y0, x1, y1), visible_only=True,
                                                      exclude=owned))
        hard = _hard_failure(found)
        if hard is not None:
            return TextLayerDecision(None, hard)
    soft = _soft_failure(found.text, found.orphans)
    if soft is not None:
        return TextLayerDecision(None, soft)
    # Only the part of the box no other block owns has this block's text to cover.
    own_area = max(area - sum(intersection((x0, y0, x1, y1), e) for e in owned), 0.1 * area)
    if found.row_area < MIN_COVERAGE * own_area:
        return TextLayerDecision(None, "low_coverage")
    return TextLayerDecision(found.text, "ok")


def is_ocr_layer(layer: TextLayerPage) -> bool:
    """Whether the page is a scan whose only text is an invisible OCR layer: a raster image
    covers the page and (nearly) every character is drawn invisibly. ``auto`` refuses such
    text box by box (``scanned_page``); the page is then read as the scan it is."""
    if layer.image_coverage < SCAN_IMAGE_COVERAGE:
        return False
    total = invisible = 0
    for line in layer.lines:
        for span in line.spans:
            n = sum(1 for c in span.text if not c.isspace())
            total += n
            invisible += n if span.render_mode == 3 else 0
    return total > 0 and invisible > (1 - INVISIBLE_SHARE) * total


#: Stray undecodable glyphs a box may hold and still be read: at most this many, and this
#: share of its characters.
MAX_STRAY = 3
MAX_STRAY_SHARE = 0.02


def _stray_glyphs_dropped(found: BoxText) -> BoxText:
    """The box's text without a few undecodable glyphs standing alone between spaces.

    A list bullet or a math symbol from a font without a Unicode map (TeX's bitmap Type 3
    fonts) is one glyph set apart from the words; refusing the whole paragraph for it would
    send text the PDF spells out exactly to OCR. A checkbox or bullet may decode to a short
    run of such codes (U+FFFD and a control code): the run is one glyph. Undecodable glyphs
    inside words, or more than a few in running text, still refuse the box (the font's words
    are unreadable too); one opening a line is a list marker, whatever the box's length, and
    becomes a bullet (``•``)."""
    text = found.text
    bad = [i for i, ch in enumerate(text) if is_undecodable(ch)]
    if not bad:
        return found
    runs: list[list[int]] = []
    for i in bad:
        if runs and i == runs[-1][-1] + 1 and len(runs[-1]) < _MAX_RUN:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        before = text[run[0] - 1] if run[0] > 0 else " "
        after = text[run[-1] + 1] if run[-1] + 1 < len(text) else " "
        if not (before.isspace() and after.isspace()):
            return found
    # A glyph opening a line is a list marker, whatever the box's length.
    inside = [run for run in runs if run[0] > 0 and text[run[0] - 1] != "\n"]
    if len(inside) > min(MAX_STRAY, MAX_STRAY_SHARE * found.chars):
        return found
    # A marker keeps its place as a bullet: the line stays a list item.
    markers = {run[0] for run in runs if run[0] == 0 or text[run[0] - 1] == "\n"}
    dropped = set(bad)
    kept = "".join("\u2022" if i in markers else ch for i, ch in enumerate(text)
                   if i not in dropped or i in markers)
    kept = re.sub(r"[ \t]+", " ", re.sub(r"(?m)^[ \t]+", "", kept))
    return dataclasses.replace(found, text=kept, chars=found.chars - len(bad), unmapped=0)


#: Undecodable codes in a row, between spaces, that still are one glyph.
_MAX_RUN = 3


def _hard_failure(found: BoxText) -> str | None:
    if found.chars == 0 or not found.text.strip():
        return "no_text"
    if found.unmapped:
        return "unmapped_glyphs"
    if any(ch in _REPLACEMENT for ch in found.text):
        return "replacement_chars"
    return None


def _soft_failure(text: str, orphans: int) -> str | None:
    if any(is_private_use(ch) for ch in text):
        return "private_use"
    if orphans:
        return "broken_presentation_forms"
    if implausible(text):
        return "implausible_script"
    return None


def is_private_use(ch: str) -> bool:
    """Private-use code points (BMP and planes 15-16), typical of symbol-font text layers."""
    return unicodedata.category(ch) == "Co"


def implausible(text: str) -> bool:
    """Text that no author wrote: control characters, UTF-8 read as Windows-1252 (``Ã©``),
    many words mixing scripts or holding symbols between letters, Latin text made mostly of
    accented letters (a font's codes shifted into Latin-1), or mostly symbols.

    >>> implausible("Caf\u00c3\u00a9 cr\u00c3\u00a8me")
    True
    >>> implausible("INFORMA\u00c7\u00c3O na\u00efve caf\u00e9")
    False
    """
    if any(unicodedata.category(ch) in ("Cc", "Cn", "Cs") and ch not in "\n\t" for ch in text):
        return True
    words = text.split()
    if any(_is_mojibake(w) for w in words if any(ch in _MOJIBAKE_LEADS for ch in w)):
        return True
    lettered = [w for w in words if sum(ch.isalpha() for ch in w) >= 2]
    mixed = sum(1 for w in lettered if _mixes_scripts(w))
    if lettered and mixed > MIXED_WORD_SHARE * len(lettered):
        return True
    if lettered and sum(1 for w in lettered if _symbol_inside(w)) > MIXED_WORD_SHARE * len(
        lettered
    ):
        return True
    latin = [ch for ch in text if ch.isalpha() and ord(ch) < 0x250]
    if len(latin) >= 6 and sum(1 for ch in latin if ord(ch) > 0x7F) > MAX_ACCENTED_SHARE * len(
        latin
    ):
        return True
    # Dot leaders (tables of contents, forms) are punctuation an author did write.
    visible = [ch for ch in _LEADERS.sub(" ", text) if not ch.isspace()]
    if len(visible) >= 8:
        alnum = sum(1 for ch in visible if ch.isalnum())
        return alnum < MIN_ALNUM_SHARE * len(visible)
    return False


_LEADERS = re.compile(r"(?:[.\u00b7\u2024\u2026_\-]\s?){3,}")


def _is_mojibake(word: str) -> bool:
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = word.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return fixed != word and any(ord(ch) > 0x7F for ch in fixed)
    return False


def _symbol_inside(word: str) -> bool:
    """Symbols between two letters (``èÜ•ÜáÜ§ê``): glyphs decoded with the wrong encoding."""
    breaking = [
        ch in _WORD_BREAKING_MARKS or unicodedata.category(ch) in _WORD_BREAKING for ch in word
    ]
    for i, ch in enumerate(word):
        if breaking[i] or not ch.isalpha():
            continue
        j = i + 1
        while j < len(word) and breaking[j]:
            j += 1
        if j > i + 1 and j < len(word) and word[j].isalpha():
            return True
    return False


def _mixes_scripts(word: str) -> bool:
    scripts = set()
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            scripts.add(name.split(" ", 1)[0] if name else "UNKNOWN")
    if scripts & _UNJUDGED_SCRIPTS:
        return False
    return len(scripts) > 1 and not scripts <= _COMPATIBLE_SCRIPTS
