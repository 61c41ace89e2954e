"""Text-layer words grouped into cell-sized pieces, for building table grids (pure).

A piece is a run of visible characters on one line with no wide gap inside: table cells are
separated by gaps far wider than a word space, so each piece is (part of) one cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Sequence
from itertools import pairwise

from docparse.geometry import Box, union
from docparse.textlayer.chars import (
    WORD_GAP,
    between_words,
    is_arabic_presentation_form,
    is_rtl_text,
)
from docparse.textlayer.model import TextChar, TextLayerPage

#: A gap wider than this many font sizes ends a piece (a word space is ~0.25-0.35).
GAP = 0.8
#: Across a span boundary the gap must be narrower: a proportional font's word space (TeX
#: sets 0.33 em). Cells of a dense table set apart by little more (0.39-0.43 em in Arial
#: and Tahoma reports, each cell its own span) stay apart.
SPAN_GAP = 0.38
#: Bullet glyphs, and how far (in font sizes) one may stand from the text it marks.
BULLETS = frozenset("\u2022\u25cf\u25cb\u25e6\u25aa\u25a0\u2023\u2043\u00b7\uf0b7")
BULLET_GAP = 3.0


def _centre_inside(c: TextChar, box: Box) -> bool:
    x = (c.bbox[0] + c.bbox[2]) / 2
    y = (c.bbox[1] + c.bbox[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def pieces_in_box(layer: TextLayerPage, box: Sequence[float]) -> list[tuple[str, Box]]:
    """``(text, bbox)`` pieces of the visible horizontal text whose characters lie in ``box``."""
    b: Box = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    out: list[tuple[str, Box]] = []
    for line in layer.lines:
        start = len(out)
        fonts: list[tuple[float, bool]] = []
        # A piece runs on across the line's spans of one font: MuPDF ends a span wherever a
        # character's flags change, so in a PDF that sets words apart without space glyphs
        # (TeX) every word, and the space MuPDF puts between them, is a span of its own
        # ("Mean", " ", "Loss"), and a two-word header cell would be two pieces, two columns.
        run: list[TextChar] = []
        run_font, run_face = (0.0, False), ""
        # Characters with a space glyph before them: condensed type (Korean set tight)
        # leaves a word space narrower than any gap rule would take for one.
        spaced: set[int] = set()
        space: TextChar | None = None
        for span in line.spans:
            if span.render_mode == 3 or abs(span.direction[1]) > 0.2:
                continue
            font = (span.size, _is_dingbats(span.font))
            if run and span.font != run_face:
                # Only a span of the same font runs on: a word set apart in another face is
                # often a cell of its own ("Subtotal" in bold beside "$ 112.00"; a symbol
                # font's glyph is joined, or not, by _dingbats_joined), and the lines of
                # one cell come together in the table's grid anyway.
                out.append(_piece(run, run_font[0], spaced))
                fonts.append(run_font)
                run = []
            if not run:
                run_font, run_face = font, span.font
            fresh = True  # the run's last character is from an earlier span
            for c in _tails_after_hosts([c for c in span.chars if _centre_inside(c, b)], span.size):
                if c.c.isspace():
                    # Space glyphs make no gap of their own: some PDFs stretch them across
                    # a cell gap, which must still split the pieces.
                    space = c
                    continue
                # Across a span boundary only a proportional font's word space joins: a
                # monospaced table sets its columns one space apart (0.6 em) and MuPDF
                # makes each column's value a span of its own.
                limit = SPAN_GAP if fresh else GAP
                if run and _gap(run[-1], c) > limit * min(span.size, run_font[0]):
                    out.append(_piece(run, run_font[0], spaced))
                    fonts.append(run_font)
                    run = []
                    run_font, run_face = font, span.font
                elif run and space is not None and _between(space, run[-1], c):
                    spaced.add(id(c))
                space = None
                run.append(c)
                fresh = False
        if run:
            out.append(_piece(run, run_font[0], spaced))
            fonts.append(run_font)
        out[start:] = _dingbats_joined(out[start:], fonts)
    return _bullets_joined([p for p in out if p[0]])


#: Pieces of one line this close (in font sizes) touch.
_TOUCHING = 0.1
#: Fonts of symbols whose codes are letters ("y" in Wingdings is a bullet).
_DINGBATS = re.compile(r"wingding|webding|dingbat", re.IGNORECASE)


def _is_dingbats(font: str) -> bool:
    return _DINGBATS.search(font) is not None


def _dingbats_joined(pieces: list[tuple[str, Box]], fonts: Sequence[tuple[float, bool]]) -> list[tuple[str, Box]]:
    """A line's pieces, a dingbat (a bullet or box from a symbol font) joined to the piece
    it touches: set flush against a glyph of the text font, the span boundary between them
    is no gap, and would part one cell into two. Only dingbats: a TeX line's words and
    symbols are spans of their own that touch too, and stay apart."""
    out: list[tuple[str, Box]] = []
    prev_font = (0.0, False)
    for (text, box), font in zip(pieces, fonts, strict=True):
        if out and (font[1] or prev_font[1]):
            prev_text, prev = out[-1]
            gap = max(box[0] - prev[2], prev[0] - box[2])
            overlap = min(box[3], prev[3]) - max(box[1], prev[1])
            if gap <= _TOUCHING * min(font[0], prev_font[0]) and overlap > 0.5 * min(
                    box[3] - box[1], prev[3] - prev[1]):
                out[-1] = (prev_text + text, union(prev, box))
                prev_font = font
                continue
        out.append((text, box))
        prev_font = font
    return out


def _tails_after_hosts(chars: list[TextChar], size: float) -> list[TextChar]:
    """The characters with each ligature's tail after its first letter. A mapped ligature
    gives its first letter the glyph's advance and the rest zero width at the glyph's
    start; in right-to-left text the extraction lists that tail before the letter
    ("کاال" for "کالا", the lam-alef ligature), as it does for the text blocks
    (:func:`docparse.textlayer.chars._host`)."""
    out = list(chars)
    tol = 0.05 * size
    for i in range(len(out) - 1):
        tail, host = out[i], out[i + 1]
        if (tail.bbox[2] - tail.bbox[0] <= tol and tail.c.isalpha() and host.c.isalpha()
                and host.bbox[2] - host.bbox[0] > tol and abs(host.bbox[2] - tail.bbox[0]) <= tol
                and is_rtl_text(host.c)):
            out[i], out[i + 1] = host, tail
    return out


def _bullets_joined(pieces: list[tuple[str, Box]]) -> list[tuple[str, Box]]:
    """A bullet drawn apart from its text ("●   True" in a slide's table cell, often a line
    of its own in the PDF) joins the nearest piece right of it on its row: one cell."""
    bullets = [i for i, (t, _) in enumerate(pieces) if t in BULLETS]
    if not bullets:
        return pieces
    joined: dict[int, int] = {}  # text piece -> its bullet
    for i in bullets:
        b = pieces[i][1]
        height = max(b[3] - b[1], 1.0)
        best: tuple[float, int] | None = None
        for j, (t, box) in enumerate(pieces):
            if j == i or t in BULLETS or j in joined:
                continue
            gap = box[0] - b[2]
            overlap = min(b[3], box[3]) - max(b[1], box[1])
            if -0.2 * height <= gap <= BULLET_GAP * max(height, box[3] - box[1]) and overlap > 0.3 * height:
                # A bullet from a symbol font may stand in a box two lines tall (its font's
                # ascent) over the text it marks: the line it sits on shares its foot.
                key = gap + abs(box[3] - b[3])
                if best is None or key < best[0]:
                    best = (key, j)
        if best is not None:
            joined[best[1]] = i
    out: list[tuple[str, Box]] = []
    for j, (t, box) in enumerate(pieces):
        if j in joined.values():
            continue
        if j in joined:
            bt, bb = pieces[joined[j]]
            t = f"{bt} {t}"
            # The text's height: the bullet's tall box would reach into the lines above.
            box = (min(bb[0], box[0]), box[1], max(bb[2], box[2]), box[3])
        out.append((t, box))
    return out


def _between(space: TextChar, a: TextChar, b: TextChar) -> bool:
    """Does the space glyph stand between the two characters (whichever way the line runs)?"""
    mid = (space.bbox[0] + space.bbox[2]) / 2
    lo, hi = sorted(((a.bbox[0] + a.bbox[2]) / 2, (b.bbox[0] + b.bbox[2]) / 2))
    return lo < mid < hi


def _gap(prev: TextChar, c: TextChar) -> float:
    """The blank between two characters next to each other in the text, whichever way the
    line runs: right-to-left text (Arabic, Persian, Hebrew) lists them leftwards."""
    return max(c.bbox[0] - prev.bbox[2], prev.bbox[0] - c.bbox[2])


def _piece(chars: Sequence[TextChar], size: float, spaced: Container[int] = frozenset()) -> tuple[str, Box]:
    parts = [chars[0].c]
    anchor = chars[0]  # gaps are measured from the last glyph with a width, not a tail
    for prev, c in pairwise(chars):
        # As in chars.WORD_GAP: words set apart without space glyphs.
        word_gap = (WORD_GAP if between_words(prev.c, c.c) else 0.15) * size
        parts.append((" " if id(c) in spaced or _gap(anchor, c) > word_gap else "") + c.c)
        if c.bbox[2] - c.bbox[0] > 0.05 * size:
            anchor = c
    # Latin ligature glyphs ("ﬁ") and Arabic shaped forms spelt out, as in text blocks.
    text = "".join(parts)
    if any(_spelt_out(ch) for ch in text):
        text = "".join(unicodedata.normalize("NFKC", ch) if _spelt_out(ch) else ch for ch in text)
    return text, (
        min(c.bbox[0] for c in chars),
        min(c.bbox[1] for c in chars),
        max(c.bbox[2] for c in chars),
        max(c.bbox[3] for c in chars),
    )


def _spelt_out(ch: str) -> bool:
    """A Latin ligature glyph ("ﬁ") or an Arabic shaped form, which NFKC spells out."""
    return "\ufb00" <= ch <= "\ufb06" or is_arabic_presentation_form(ch)


def rotated_pieces(layer: TextLayerPage, box: Sequence[float]) -> list[tuple[str, Box]]:
    """``(text, bbox)`` of each visible rotated span inside ``box`` (a table's slanted or
    vertical column headers), placed where the word starts: a header set at 45° or 90°
    starts over its own column and leans over the next ones, so the box is its first
    character's width and the span's height."""
    b: Box = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    out: list[tuple[str, Box]] = []
    for line in layer.lines:
        for span in line.spans:
            if span.render_mode == 3 or abs(span.direction[1]) <= 0.2 or not span.chars:
                continue
            chars = [c for c in span.chars if not c.c.isspace()]
            # Its first character and its middle inside: a slanted header's end may reach
            # above a box drawn to the row under it.
            sx0, sy0, sx1, sy1 = span.bbox
            middle = TextChar("", (sx0, sy0, sx1, sy1))
            if not chars or not (_centre_inside(chars[0], b) and _centre_inside(middle, b)):
                continue
            first = chars[0].bbox
            text = " ".join(span.text.split())
            out.append((text, (first[0], span.bbox[1], first[2], span.bbox[3])))
    return out
