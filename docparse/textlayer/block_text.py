"""The text-layer words inside one layout box, in reading order (pure, no I/O).

Selection: a word (characters between spaces of one text-layer line) belongs to the box
when at least ``min_overlap`` of its characters have their centre inside the box, so words
are never cut at a loose box edge.

Order: the box's characters are turned into the frame of their dominant writing direction
(vertical and rotated text become ordinary rows), text-layer lines are put in reading order
by :mod:`docparse.textlayer.row_order` (columns, rows), and each row is rebuilt from its
glyph boxes by :func:`docparse.textlayer.chars.row_text` (bidi, marks, accents, ligatures).

Joining, to match the built-in OCR and the Markdown renderer (every ``\\n`` in a text
block becomes a paragraph break): wrapped rows of a paragraph are joined with a space (none
between CJK characters); a line-end hyphen or soft hyphen is removed when the next row
starts with a lowercase letter (``exam-``/``ple`` → ``example``); ``\\n`` starts a new
paragraph after a vertical gap clearly above the block's line pitch, before a list marker,
at an indented first line, or after a sentence that ended early on its row.
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from docparse.geometry import Box, askew, same_direction
from docparse.textlayer.chars import (
    CJK_CLASS,
    CJK_ENUMERATOR,
    UNDECODABLE_CLASS,
    Glyph,
    is_cjk,
    is_rtl_text,
    joins_at_line_break,
    row_text,
)
from docparse.textlayer.model import TextLayerPage, TextLine
from docparse.textlayer.row_order import Piece, drop_caps, order_pieces, without_duplicates

_UNMAPPED = frozenset("\ufffd\x00")
_HYPHENS = ("-", "\u2010", "\u00ad")
_LIST_MARKER = re.compile(
    rf"^(?:(?:[^\w\s]|[{UNDECODABLE_CLASS}]{{1,3}}|\(?\d{{1,3}}[.)]|\(?[a-zA-Z][.)]|\[\d+\])\s"
    f"|(?:{CJK_ENUMERATOR})\\s*(?=[{CJK_CLASS}]))"
)


@dataclass(frozen=True)
class BoxText:
    """Text of a box plus what the gate needs to judge it."""

    text: str
    #: Non-space characters selected.
    chars: int = 0
    #: Of those, characters drawn invisibly (render mode 3).
    invisible: int = 0
    #: U+FFFD / NUL characters from spans that reported glyphs without Unicode.
    unmapped: int = 0
    #: Zero-width letters that sit on no glyph (e.g. a split lam-alef that cannot be rebuilt).
    orphans: int = 0
    #: Visual rows of text.
    rows: int = 0
    #: Area of the selected non-space character boxes, clipped to the box (page pixels²).
    ink_area: float = 0.0
    #: Area of the rows' boxes (first to last glyph, ascender to descender), clipped to the
    #: box: unlike ``ink_area`` it does not shrink for sparse rows ("Total ....... $4.11").
    row_area: float = 0.0
    #: Union of the selected characters' boxes (page pixels), None without text.
    text_bbox: Box | None = None


@dataclass(frozen=True)
class _Row:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    rtl: bool


def text_in_box(
    layer: TextLayerPage,
    bbox: Sequence[float],
    *,
    min_overlap: float = 0.5,
    visible_only: bool = False,
    exclude: Sequence[Box] = (),
) -> BoxText:
    """Words of ``layer`` inside ``bbox`` (page pixels), cleaned and in reading order.

    Args:
        layer: the page's text layer.
        bbox: ``(x0, y0, x1, y1)`` of the layout block.
        min_overlap: share of a word's characters that must have their centre in the box.
        visible_only: leave out characters drawn invisibly (render mode 3).
        exclude: boxes whose characters belong to other blocks: a character centred in one
            of them does not count as inside ``bbox``.

    Example:
        >>> from docparse.textlayer.model import TextChar, TextLine, TextSpan
        >>> chars = tuple(TextChar(c, (10.0 * i, 0.0, 10.0 * i + 10, 12.0)) for i, c in enumerate("Hi"))
        >>> span = TextSpan("Hi", (0, 0, 20, 12), "Helvetica", 10.0, chars=chars)
        >>> page = TextLayerPage(100, 100, (TextLine((span,), (0, 0, 20, 12)),))
        >>> text_in_box(page, (0, 0, 50, 50)).text
        'Hi'
    """
    bx0, by0, bx1, by1 = (float(v) for v in bbox)
    selected: list[tuple[tuple[float, float], list[tuple[str, Box, float, bool, bool]]]] = []
    for line in layer.lines:
        lx0, ly0, lx1, ly1 = line.bbox
        if lx1 < bx0 or lx0 > bx1 or ly1 < by0 or ly0 > by1:
            continue
        chars = _select(line, (bx0, by0, bx1, by1), min_overlap, visible_only, exclude)
        if chars:
            selected.append((line.spans[0].direction, chars))
    if not selected:
        return BoxText("")
    # Lines askew to most of the box's text (a stamp's date laid across paragraphs) are read
    # after it, each direction in its own frame: turned into the main frame they would cut
    # its rows glyph by glyph. Lines along the page's other axis stay with the box's text (a
    # table's column header set on its side is read where it stands). Directions are few
    # (one, mostly): weighed once each, not once per line.
    count: dict[tuple[float, float], int] = {}
    for direction, chars in selected:
        count[direction] = count.get(direction, 0) + len(chars)
    weight = {d: sum(n for e, n in count.items() if same_direction(d, e)) for d in count}
    frames: list[tuple[float, float]] = []
    frame_of: dict[tuple[float, float], int] = {}
    for direction in sorted(count, key=lambda d: (-weight[d], -count[d])):
        for k, known in enumerate(frames):
            if same_direction(known, direction) or not (askew(direction) or askew(known)):
                frame_of[direction] = k
                break
        else:
            frame_of[direction] = len(frames)
            frames.append(direction)
    groups: list[list[list[tuple[str, Box, float, bool, bool]]]] = [[] for _ in frames]
    for direction, chars in selected:  # each group keeps the layer's line order
        groups[frame_of[direction]].append(chars)
    parts = [_assembled(members, frame, (bx0, by0, bx1, by1))
             for frame, members in zip(frames, groups, strict=True)]
    parts = [part for part in parts if part.chars]
    if not parts:
        return BoxText("")
    if len(parts) == 1:
        return parts[0]
    boxes = [part.text_bbox for part in parts if part.text_bbox is not None]
    return BoxText(
        text="\n".join(part.text for part in parts if part.text),
        chars=sum(part.chars for part in parts),
        invisible=sum(part.invisible for part in parts),
        unmapped=sum(part.unmapped for part in parts),
        orphans=sum(part.orphans for part in parts),
        rows=sum(part.rows for part in parts),
        ink_area=sum(part.ink_area for part in parts),
        row_area=sum(part.row_area for part in parts),
        text_bbox=(min(b[0] for b in boxes), min(b[1] for b in boxes),
                   max(b[2] for b in boxes), max(b[3] for b in boxes)),
    )


def _assembled(
    selected: Sequence[Sequence[tuple[str, Box, float, bool, bool]]],
    direction: tuple[float, float],
    bbox: Box,
) -> BoxText:
    """The lines ``selected`` (their characters), all written in about ``direction``, as
    the text of the box ``bbox``."""
    bx0, by0, bx1, by1 = bbox
    pieces: list[Piece] = []
    counts = [0, 0, 0]  # chars, invisible, unmapped
    ink = 0.0
    hull = [bx1, by1, bx0, by0]
    for chars in selected:
        glyphs: list[Glyph] = []
        for c, box, size, invisible, unmapped in chars:
            glyphs.append(_to_frame(c, box, size, direction))
            if c.isspace():
                continue
            counts[0] += 1
            counts[1] += invisible
            counts[2] += unmapped
            ink += _clipped_area(box, (bx0, by0, bx1, by1))
            hull = [
                min(hull[0], box[0]),
                min(hull[1], box[1]),
                max(hull[2], box[2]),
                max(hull[3], box[3]),
            ]
        pieces.append(
            Piece(
                glyphs,
                min(g.x0 for g in glyphs),
                min(g.y0 for g in glyphs),
                max(g.x1 for g in glyphs),
                max(g.y1 for g in glyphs),
            )
        )
    if counts[0] == 0:
        return BoxText("")
    pieces = without_duplicates(pieces)
    rtl = is_rtl_text("".join(g.c for p in pieces for g in p.glyphs))
    unit = max(1.0, statistics.median(p.height for p in pieces))
    rows: list[_Row] = []
    orphans = 0
    frame_box = _to_frame("", (bx0, by0, bx1, by1), 0.0, direction)
    clip = (frame_box.x0, frame_box.y0, frame_box.x1, frame_box.y1)
    caps = drop_caps(pieces)
    for row in order_pieces(pieces, unit, rtl):
        glyphs = [g for p in row for g in p.glyphs]
        built = row_text(glyphs)
        orphans += built.orphans
        if built.text:
            # The row's place is its line's, not its drop cap's: the lines beside the cap
            # are not indented paragraphs, and the row does not reach down over them.
            own = [p for p in row if not any(p is c for c in caps)] or row
            rows.append(
                _Row(
                    built.text,
                    min(p.x0 for p in own),
                    min(p.y0 for p in own),
                    max(p.x1 for p in own),
                    max(p.y1 for p in own),
                    statistics.median(g.size for g in glyphs),
                    built.rtl,
                )
            )
    return BoxText(
        text=join_rows(rows),
        chars=counts[0],
        invisible=counts[1],
        unmapped=counts[2],
        orphans=orphans,
        rows=len(rows),
        ink_area=ink,
        row_area=sum(_clipped_area((r.x0, r.y0, r.x1, r.y1), clip) for r in rows),
        text_bbox=(hull[0], hull[1], hull[2], hull[3]),
    )


def _select(
    line: TextLine, box: Box, min_overlap: float, visible_only: bool,
    exclude: Sequence[Box] = (),
) -> list[tuple[str, Box, float, bool, bool]]:
    """Characters of the line's words that lie in ``box`` and in none of ``exclude``:
    (char, bbox, size, invisible, unmapped)."""
    out: list[tuple[str, Box, float, bool, bool]] = []
    word: list[tuple[str, Box, float, bool, bool]] = []
    inside = 0

    def flush() -> None:
        nonlocal inside
        if word and inside >= min_overlap * len(word) and inside > 0:
            out.extend(word)
        word.clear()
        inside = 0

    for span in line.spans:
        invisible = span.render_mode == 3
        if visible_only and invisible:
            flush()
            continue
        for ch in span.chars:
            x0, y0, x1, y1 = ch.bbox
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            centred = box[0] <= cx <= box[2] and box[1] <= cy <= box[3] and not any(
                e[0] <= cx <= e[2] and e[1] <= cy <= e[3] for e in exclude)
            if ch.c.isspace():
                flush()
                if centred:
                    out.append((ch.c, ch.bbox, span.size, invisible, False))
                continue
            unmapped = span.unmapped > 0 and ch.c in _UNMAPPED
            word.append((ch.c, ch.bbox, span.size, invisible, unmapped))
            inside += centred
    flush()
    return out


def _to_frame(c: str, box: Box, size: float, direction: tuple[float, float]) -> Glyph:
    """Rotate a page box so that ``direction`` points along +x (rows stack along +y)."""
    cos, sin = direction
    if cos == 1.0 and sin == 0.0:
        return Glyph(c, box[0], box[1], box[2], box[3], size)
    # Glyph boxes of askew text are upright hulls of the turned glyphs: turned back whole,
    # neighbours would overlap and read as doubled glyphs. The glyph's own width and height
    # follow from its hull's (W = w|cos| + h|sin|, H = w|sin| + h|cos|) away from 45 degrees.
    ac, as_ = abs(cos), abs(sin)
    det = ac * ac - as_ * as_
    if min(ac, as_) > 1e-3 and abs(det) > 0.3:
        big_w, big_h = box[2] - box[0], box[3] - box[1]
        w, h = (big_w * ac - big_h * as_) / det, (big_h * ac - big_w * as_) / det
        if w > 0 and h > 0:
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            fx, fy = cos * cx + sin * cy, -sin * cx + cos * cy
            return Glyph(c, fx - w / 2, fy - h / 2, fx + w / 2, fy + h / 2, size)
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        xs.append(cos * x + sin * y)
        ys.append(-sin * x + cos * y)
    return Glyph(c, min(xs), min(ys), max(xs), max(ys), size)


def _clipped_area(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


# --- joining -----------------------------------------------------------------------------


#: Dot leaders and a page number: the end of a table-of-contents entry.
_TOC_ENTRY_END = re.compile(r"(?:\.\s?){3,}\s*[0-9ivxlcdmIVXLCDM]{1,6}$")


def join_rows(rows: Sequence[_Row]) -> str:
    """Rows in reading order into paragraphs (see the module docstring)."""
    if not rows:
        return ""
    pitch = _typical_pitch(rows)
    paragraphs: list[str] = []
    current = rows[0].text
    for prev, row in itertools.pairwise(rows):
        if _starts_paragraph(prev, row, rows, pitch):
            paragraphs.append(current)
            current = row.text
        else:
            current = _glue(current, row.text)
    paragraphs.append(current)
    return "\n".join(p.removesuffix("\u00ad") for p in paragraphs if p)


#: Line pitch of running text, in font sizes: Western type is set at 1.1-1.4; Korean and
#: Japanese reports often at 1.6-1.8, which counts where no row of the block is set tighter.
_PITCH = (0.9, 1.6)
_WIDE_PITCH = 2.0
_WRAPPED_CHARS = 15
_INDENT = 0.75


def _typical_pitch(rows: Sequence[_Row]) -> float:
    """Median distance between consecutive row centres that look like one paragraph's lines."""
    steps = [((b.y0 + b.y1 - a.y0 - a.y1) / 2, a.size) for a, b in itertools.pairwise(rows)]
    pitches = [d for d, size in steps if _PITCH[0] * size <= d <= _PITCH[1] * size]
    if not pitches and _wrapped(rows):
        # Only without a tighter step (a heading's gap in a short block is as wide), and in
        # wrapped text (an infobox's labels stand as far apart, one to a row).
        pitches = [d for d, size in steps if _PITCH[0] * size <= d <= _WIDE_PITCH * size]
    if pitches:
        return float(statistics.median(pitches))
    return 1.2 * statistics.median(r.size for r in rows)


def _wrapped(rows: Sequence[_Row]) -> bool:
    """Whether most rows but the last run to the block's far edge, and are long: wrapped
    running text."""
    if len(rows) < 3 or statistics.median(len(r.text) for r in rows) < _WRAPPED_CHARS:
        return False
    if rows[0].rtl:
        left = min(r.x0 for r in rows)
        full = sum(1 for r in rows[:-1] if r.x0 <= left + 2 * r.size)
    else:
        right = max(r.x1 for r in rows)
        full = sum(1 for r in rows[:-1] if r.x1 >= right - 2 * r.size)
    return full >= 0.5 * (len(rows) - 1)


#: A row in type this much larger than the next one, ending early, is a heading over it.
_HEADING_SIZE = 1.12


def _wordy(text: str) -> bool:
    """Words, not math: no mathematical symbol, and letters for most of the characters (a
    formula's row is larger for its radicals and operators, not for being a heading).

    >>> _wordy("AGL 2013 Financial Calendar"), _wordy("1 −ᾱt"), _wordy("U ⊆ V")
    (True, False, False)
    """
    visible = [ch for ch in text if not ch.isspace()]
    if not visible or any(unicodedata.category(ch) == "Sm" for ch in visible):
        return False
    return _lettered(text)


def _lettered(text: str) -> bool:
    """Letters for most of the characters: the row under a heading is text, not a formula's
    smaller-set rest ("Dann heißt" over "z1−z4").

    >>> _lettered("FY = Financial Year ending March 31"), _lettered("z1−z4")
    (True, False)
    """
    visible = [ch for ch in text if not ch.isspace()]
    return bool(visible) and sum(ch.isalpha() for ch in visible) >= 0.6 * len(visible)


def _heading_over(prev: _Row, row: _Row) -> bool:
    """Whether ``prev`` is set in larger type than ``row``, in words over words."""
    return prev.size >= _HEADING_SIZE * row.size and _wordy(prev.text) and _lettered(row.text)


def _starts_paragraph(prev: _Row, row: _Row, rows: Sequence[_Row], pitch: float) -> bool:
    size = min(prev.size, row.size)
    centre_step = (row.y0 + row.y1 - prev.y0 - prev.y1) / 2
    if _LIST_MARKER.match(row.text) or _TOC_ENTRY_END.search(prev.text):
        return True  # a new item, also at the top of the next column; a contents entry ends
    if centre_step < -0.5 * size:
        # Jumped up into the next column: a paragraph usually runs on, a list item does not
        # (short items, one per row).
        return bool(_LIST_MARKER.match(prev.text))
    if centre_step > pitch + 0.4 * size:
        return True
    # Margins come from the other rows of the column: with only two rows, a label beside a
    # title ("Chapter 1." left of it) would look like an indent.
    mates = [
        r
        for r in rows
        if r is not prev and r is not row and min(r.x1, row.x1) - max(r.x0, row.x0) > 0
    ]
    if not mates:
        # Two rows: no margin to see an early end against, but a first row in larger type
        # over a row of words is still a heading over its line ("Page 2 Heading" over "Body
        # text.").
        return _heading_over(prev, row)
    left, right = min(r.x0 for r in mates), max(r.x1 for r in mates)
    # Indentation and early line ends are mirrored for right-to-left text.
    if row.rtl:
        start_row, start_prev = right - row.x1, right - prev.x1
    else:
        start_row, start_prev = row.x0 - left, prev.x0 - left
    # A first-line indent is at least one full-width space (a CJK character is ~0.9 of its
    # size wide); Latin indents are wider.
    if start_row > _INDENT * size and start_prev < 0.3 * size and not _LIST_MARKER.match(prev.text):
        return True
    end_gap = prev.x0 - left if row.rtl else right - prev.x1
    # CJK breaks a line between any two characters: its next "word" is one character.
    first_word = row.text[:1] if is_cjk(row.text[:1] or " ") else row.text.split(" ", 1)[0]
    char_w = (prev.x1 - prev.x0) / max(1, len(prev.text))
    ends_early = end_gap > (len(first_word) + 2) * char_w
    # A line in larger type that ends early is a heading run into the box ("About A-PDF
    # Watermark" over its paragraph): a sentence's end is no test, headings have none.
    if ends_early and _heading_over(prev, row):
        return True
    return prev.text[-1:] in ".!?:;。！？：；" and ends_early


def _glue(left: str, right: str) -> str:
    """Join two rows of one paragraph: no space between Chinese or Japanese characters
    (:func:`~docparse.textlayer.chars.joins_at_line_break`); a line-end hyphen
    (or soft hyphen) after a letter is dropped when the next row starts lowercase."""
    if left.endswith("\u00ad"):
        return left[:-1] + right
    if (
        len(left) >= 2
        and left.endswith(_HYPHENS)
        and left[-2].isalpha()
        and right[:1].isalpha()
        and right[:1].islower()
    ):
        return left[:-1] + right
    if left and right and joins_at_line_break(left[-1], right[0]):
        return left + right
    return left + " " + right
