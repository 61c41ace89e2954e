"""Reading order of the text-layer lines selected for one box (pure, no I/O).

Lines are ordered with a recursive XY-cut: column gutters first (lines crossing a gutter,
such as a heading over two columns, cut the box into stretches), then horizontal gaps, then
visual rows. Columns run right to left when the box's text is mostly right-to-left. Rows
lining up across a wide gap are a form or table and are read row by row. Lines repeated by
fake bold (text printed twice with a small offset) are dropped here, repeated letters by
:func:`docparse.textlayer.chars.row_text`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from docparse.geometry import Box
from docparse.textlayer.chars import Glyph


@dataclass
class Piece:
    """The selected glyphs of one text-layer line, in the reading frame."""

    glyphs: list[Glyph]
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def order_pieces(pieces: list[Piece], unit: float, rtl: bool) -> list[list[Piece]]:
    """Rows (lists of pieces sharing a baseline) in reading order; ``unit`` is the typical
    line height, ``rtl`` puts right columns first.

    >>> a = Piece([], 0, 0, 100, 10)
    >>> b = Piece([], 0, 20, 100, 30)
    >>> order_pieces([b, a], 10.0, False) == [[a], [b]]
    True
    """
    return _order(pieces, unit, rtl)


def _order(pieces: list[Piece], unit: float, rtl: bool) -> list[list[Piece]]:
    """Rows (lists of pieces sharing a baseline) in reading order."""
    if len(pieces) <= 1:
        return [pieces] if pieces else []
    split = _column_split(pieces, unit)
    if split is not None:
        left, right, crossing = split
        if not crossing:
            first, second = (right, left) if rtl else (left, right)
            return _order(first, unit, rtl) + _order(second, unit, rtl)
        return _cut_at_separators(pieces, crossing, unit, rtl)
    bands = _row_bands(pieces)
    if len(bands) > 1:
        return [row for band in bands for row in _order(band, unit, rtl)]
    return _rows(pieces)


def _column_split(
    pieces: list[Piece], unit: float
) -> tuple[list[Piece], list[Piece], list[Piece]] | None:
    """The gutter crossed by the fewest pieces (at most a quarter of them), at least
    ``0.8 * unit`` wide and the widest at that depth, with a real column on both sides."""
    limit = len(pieces) // 4
    xs = sorted({p.x0 for p in pieces} | {p.x1 for p in pieces})
    # Depth of each elementary strip between consecutive edges: pieces covering it.
    starts = sorted(p.x0 for p in pieces)
    ends = sorted(p.x1 for p in pieces)
    # Consecutive edges: a piece covers the strip iff it starts at or before ``a`` and has
    # not ended by ``a``.
    strips = [
        (a, b, bisect.bisect_right(starts, a) - bisect.bisect_right(ends, a))
        for a, b in itertools.pairwise(xs)
    ]
    for allowed in range(limit + 1):
        best: tuple[float, float] | None = None
        start: float | None = None
        for a, _b, depth in [*strips, (xs[-1], xs[-1], len(pieces) + 1)]:
            if depth <= allowed:
                start = a if start is None else start
                continue
            if start is not None and start > xs[0] and a < xs[-1] and a - start >= 0.8 * unit:
                if best is None or a - start > best[1] - best[0]:
                    best = (start, a)
            start = None
        if best is not None:
            found = _sides(pieces, best, unit)
            if found is not None:
                return found
    return None


def _sides(
    pieces: list[Piece], gutter: tuple[float, float], unit: float
) -> tuple[list[Piece], list[Piece], list[Piece]] | None:
    g0, g1 = gutter
    left = [p for p in pieces if p.x1 <= g0]
    right = [p for p in pieces if p.x0 >= g1]
    crossing = [p for p in pieces if p.x1 > g0 and p.x0 < g1]
    if not left or not right:
        return None
    # A column is at least three units wide and two rows tall: a wide space inside one row
    # (after "Table 1.") or a narrow run of page numbers is not a column.
    # A list of short items ("• I1") may be narrower.
    for side in (left, right):
        height = max(p.y1 for p in side) - min(p.y0 for p in side)
        narrow = _span(side) < (1.5 if _starts_lists(side) else 3) * unit
        if narrow or height < 1.5 * unit:
            return None
    # Rows that line up across a wide gap are a form or table ("Invoice Number:   42183017"),
    # read row by row; text columns have a narrow gutter (or do not line up).
    # Side-by-side lists (slides, cards) line up too, but there the right side's rows start
    # with bullets or numbers, which a form's values do not.
    if g1 - g0 > 2.5 * unit and _rows_line_up(left, right) and not _starts_lists(right):
        return None
    return left, right, crossing


#: A bullet or an item number followed by a space (or nothing: a bullet drawn on its own).
_LIST_START = re.compile(r"(?:[\u2022\u00b7\u25cf\u25cb\u25e6\u25a0\u25aa\u2023\u2043*\u2013-]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])(?:\s|$)")


def _starts_lists(side: Sequence[Piece]) -> bool:
    """Most visual rows of ``side`` begin with a list marker."""
    rows = _rows(sorted(side, key=lambda p: p.x0))
    starts = 0
    for row in rows:
        first = min(row, key=lambda p: p.x0)
        starts += bool(_LIST_START.match("".join(g.c for g in first.glyphs).strip()))
    return len(rows) >= 2 and starts >= 0.6 * len(rows)


def _rows_line_up(left: Sequence[Piece], right: Sequence[Piece]) -> bool:
    """Most pieces of the shorter side share a baseline with a piece of the other side."""
    fewer, more = (left, right) if len(left) <= len(right) else (right, left)
    paired = sum(
        1
        for p in fewer
        if any(min(p.y1, q.y1) - max(p.y0, q.y0) >= 0.7 * min(p.height, q.height) for q in more)
    )
    return paired >= 0.8 * len(fewer)


def _span(pieces: Sequence[Piece]) -> float:
    return max(p.x1 for p in pieces) - min(p.x0 for p in pieces)


def _cut_at_separators(
    pieces: list[Piece], crossing: list[Piece], unit: float, rtl: bool
) -> list[list[Piece]]:
    """Pieces crossing the gutter split the box into stretches ordered on their own."""
    ids = {id(p) for p in crossing}
    ordered: list[list[Piece]] = []
    stretch: list[Piece] = []
    for p in sorted(pieces, key=lambda p: p.y0):
        if id(p) in ids:
            ordered += _order(stretch, unit, rtl)
            ordered.append([p])
            stretch = []
        else:
            stretch.append(p)
    return ordered + _order(stretch, unit, rtl)


def _row_bands(pieces: list[Piece]) -> list[list[Piece]]:
    """Split where no piece covers a horizontal strip (each piece shrunk by 15% of its
    height: character boxes of consecutive lines touch)."""
    spans = sorted((p.y0 + 0.15 * p.height, p.y1 - 0.15 * p.height) for p in pieces)
    cuts: list[float] = []
    reach = spans[0][1]
    for top, bottom in spans[1:]:
        if top > reach:
            cuts.append((reach + top) / 2)
        reach = max(reach, bottom)
    if not cuts:
        return [pieces]
    bands: list[list[Piece]] = [[] for _ in range(len(cuts) + 1)]
    for p in pieces:
        centre = (p.y0 + p.y1) / 2
        bands[sum(1 for cut in cuts if centre > cut)].append(p)
    return [band for band in bands if band]


def _rows(pieces: list[Piece]) -> list[list[Piece]]:
    """Visual rows top to bottom. A piece joins a row when it overlaps the row's first piece
    by half the smaller height; a drop cap (:func:`drop_caps`) goes to the first line beside
    it."""
    caps = drop_caps(pieces)
    rows: list[list[Piece]] = []
    for p in sorted((p for p in pieces if not any(p is c for c in caps)),
                    key=lambda p: (p.y0 + p.y1) / 2):
        if rows:
            ref = rows[-1][0]
            overlap = min(ref.y1, p.y1) - max(ref.y0, p.y0)
            # Pieces overlapping side by side are separate text (layered labels, cells),
            # not parts of one line: merging them would interleave their letters.
            if overlap >= 0.5 * min(ref.height, p.height) and (
                not any(_x_overlap(q, p) for q in rows[-1]) or _overprints(p, rows[-1])
            ):
                rows[-1].append(p)
                continue
        rows.append([p])
    for cap in caps:
        # The first line beside it: a drop cap stands level with its paragraph's first line
        # and reaches down over the next ones.
        beside = [row for row in rows if cap.y0 - 0.5 * row[0].height <= row[0].y0 < cap.y1
                  and row[0].x0 >= cap.x1 - 0.5 * row[0].height]
        if beside:
            beside[0].insert(0, cap)
        else:
            rows.append([cap])
            rows.sort(key=lambda row: row[0].y0)
    return rows


#: A drop cap is this many times as tall as the lines beside it.
_DROP_CAP = 2.5


def drop_caps(pieces: Sequence[Piece]) -> list[Piece]:
    """Drop caps: a paragraph's first letter set large over several of its lines, alone on
    its text-layer line, with lines of text right of it. Its centre lies by the second or
    third line, so it would join that line instead of the first ("Opressure")."""
    caps: list[Piece] = []
    if not pieces:
        return caps
    # A cap is this much taller than every piece beside it, so than the page's smallest:
    # a map's thousands of one-letter labels are no candidates, and the scan below stays
    # short (it looks at every piece for each candidate).
    smallest = min(q.height for q in pieces)
    tallest = max(q.height for q in pieces)
    by_top = sorted(pieces, key=lambda q: q.y0)
    tops = [q.y0 for q in by_top]
    for p in pieces:
        if p.height < _DROP_CAP * smallest:
            continue
        letters = "".join(g.c for g in p.glyphs if not g.c.isspace())
        if not (1 <= len(letters) <= 2 and letters.isalpha()):
            continue
        # Only pieces whose top lies in the cap's rows can be beside it.
        near = by_top[bisect.bisect_left(tops, p.y0 - 0.5 * tallest):bisect.bisect_left(tops, p.y1)]
        beside = [q for q in near if q is not p and q.x0 >= p.x1 - 0.5 * q.height
                  and p.y0 - 0.5 * q.height <= q.y0 < p.y1]
        if len(beside) >= 2 and p.height >= _DROP_CAP * max(q.height for q in beside):
            caps.append(p)
    return caps


def _x_overlap(a: Piece, b: Piece) -> bool:
    # More than about half a character: neighbouring words of one line never overlap so much.
    inter = min(a.x1, b.x1) - max(a.x0, b.x0)
    return inter > 0.3 * min(a.height, b.height, a.x1 - a.x0, b.x1 - b.x0)


def _overprints(piece: Piece, row: Sequence[Piece]) -> bool:
    """The piece and the row repeat each other in place (fake bold, possibly only some
    letters drawn twice): most glyphs of one have a twin in the other, or all of both that
    stand where the other does. :func:`row_text` then drops the repeats."""
    others = [g for q in row for g in q.glyphs if not g.c.isspace()]
    own = [g for g in piece.glyphs if not g.c.isspace()]
    if _twin_share(own, others) >= 0.8 or _twin_share(others, own) >= 0.8:
        return True
    # Copies cut into runs at different places ("披露日期：2012" over "2012 年3 月27"): where
    # they overlap, they repeat each other.
    own_in = [g for g in own if any(q.x0 <= g.cx <= q.x1 for q in row)]
    others_in = [g for g in others if piece.x0 <= g.cx <= piece.x1]
    return (min(len(own_in), len(others_in)) >= 2 and _twin_share(own_in, others) >= 0.8
            and _twin_share(others_in, own) >= 0.8)


def _twin_share(glyphs: Sequence[Glyph], pool: Sequence[Glyph]) -> float:
    if not glyphs:
        return 0.0
    twins = sum(
        1
        for g in glyphs
        if any(o.c == g.c and abs(o.cx - g.cx) < 0.5 * max(g.width, 1e-6) for o in pool)
    )
    return twins / len(glyphs)


def without_duplicates(pieces: list[Piece]) -> list[Piece]:
    """Drop a piece that repeats another one's text at (almost) the same place: fake bold
    draws whole lines twice with a small offset."""
    kept: list[Piece] = []
    if not pieces:
        return kept
    # Only a piece of the same text that overlaps it can be a twin: kept pieces are filed
    # by text and by every cell of a grid (two line heights square) their box touches, and
    # each piece is compared with those filed in the cells its own box touches. The check
    # stays linear on a map's or a plan's thousands of pieces (one-letter labels by the
    # hundred); it was quadratic.
    cell = max(1.0, 2 * sorted(q.height for q in pieces)[len(pieces) // 2])

    def cells(q: Piece) -> list[tuple[int, int]]:
        return [(cx, cy) for cx in range(int(q.x0 // cell), int(q.x1 // cell) + 1)
                for cy in range(int(q.y0 // cell), int(q.y1 // cell) + 1)]

    filed: dict[tuple[str, int, int], list[Piece]] = {}
    for p in pieces:
        text = "".join(g.c for g in p.glyphs)
        where = cells(p)
        near = {id(k): k for cx, cy in where for k in filed.get((text, cx, cy), ())}
        twin = any(
            _clipped_area((k.x0, k.y0, k.x1, k.y1), (p.x0, p.y0, p.x1, p.y1))
            >= 0.5 * (p.x1 - p.x0) * p.height
            for k in near.values()
        )
        if not twin:
            kept.append(p)
            for cx, cy in where:
                filed.setdefault((text, cx, cy), []).append(p)
    return kept


def _clipped_area(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0
