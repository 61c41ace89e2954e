"""Cells of a fully ruled table: the rectangles its drawn rules enclose.

Pure: :class:`~docparse.recognize.table_rules.TableRules` in, cell rectangles out; no I/O.

Why: positioned words alone cannot tell a cell whose text wraps over three lines from three
rows, nor two paragraphs or a list inside one cell from rows of their own. A table that draws
every cell's border tells it: the lines between two rules are one cell. Forms, Word and
LibreOffice exports and government reports rule their tables this way; a word-position grid
read their wrapped cells as rows of fragments.

How: the table's frame is the rectangle its outermost rules enclose. A region is cut at the
rules that cross it from edge to edge, rows first, then columns, and each part is cut again
the same way (a guillotine cut, as merged cells leave it). A rule that stops short of the
region's edges does not cut: a nested table inside a cell, a strikethrough or an underline
stays inside the cell it is in. The parts left are the cells; their edges give the grid's
row and column lines, and a cell covering several grid rows or columns spans them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from docparse.geometry import Box
from docparse.recognize.table_rules import TableRules


@dataclass(frozen=True)
class LatticeCell:
    """One cell of a ruled table: its grid position and its rectangle (page pixels)."""

    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box


@dataclass(frozen=True)
class Lattice:
    """A fully ruled table: its frame and cells, sorted by row then column."""

    frame: Box
    n_rows: int
    n_cols: int
    cells: tuple[LatticeCell, ...]


#: Rules meet within this many line heights (a joint drawn with a pen width's overlap or
#: gap); a nested table sits further inside its cell than this.
_JOINT_UNITS = 0.15
#: ... and never closer than this many pixels (anti-aliasing of a hairline).
_JOINT_MIN_PX = 3.0
#: Row rules may run on past a side rule by this many joint tolerances.
_SIDE_SNAP = 2.0


def find_lattice(rules: TableRules, unit: float) -> Lattice | None:
    """The lattice the rules draw, or None when they do not rule a table's cells: no rule
    above and below it, or no column rule from its top to its bottom (a booktabs table, a
    table ruled between rows only: the word grid reads those)."""
    tol = max(_JOINT_MIN_PX, _JOINT_UNITS * unit)
    # A fill's edges close a cell as a rule does (a coloured header row, striped rows).
    horizontal = _merged([(r[1], r[0], r[2]) for r in (*rules.lines, *rules.band_edges)], tol)
    vertical = _merged([(r[0], min(r[1], r[3]), max(r[1], r[3])) for r in rules.verticals], tol)
    if len(horizontal) < 2 or not vertical:
        return None
    # The frame: from the first rule to the last, as wide as the widest of them. Its sides
    # may be open (tables ruled between columns but not at the page side of the first
    # and last), so only its top and bottom must be drawn.
    top, bottom = horizontal[0][0], horizontal[-1][0]
    left = min(min(r[1::2]) for r in horizontal)
    right = max(max(r[2::2]) for r in horizontal)
    # A side drawn as a rule is the frame's side, though the row rules run on past it (a
    # thick or shadowed border, anti-aliasing): a few pixels beyond it would make a column of
    # their own, which every stroke reaching that far would cut into rows.
    sides = [r[0] for r in vertical if _crosses([r], r[0], top, bottom, tol)]
    left = min((x for x in sides if left <= x <= left + _SIDE_SNAP * tol), default=left)
    right = max((x for x in sides if right - _SIDE_SNAP * tol <= x <= right), default=right)
    frame = (left, top, right, bottom)
    if not (
        _crosses(horizontal, top, left, right, tol)
        and _crosses(horizontal, bottom, left, right, tol)
        and (
            (_crosses(vertical, left, top, bottom, tol)
             and _crosses(vertical, right, top, bottom, tol))
            or any(left + tol < r[0] < right - tol and _crosses([r], r[0], top, bottom, tol)
                   for r in vertical)
        )
    ):
        return None
    leaves: list[Box] = []
    _cut(frame, horizontal, vertical, tol, leaves, depth=0)
    if len(leaves) < 2:
        return None
    ys = _levels([b[1] for b in leaves] + [b[3] for b in leaves], tol)
    xs = _levels([b[0] for b in leaves] + [b[2] for b in leaves], tol)
    cells = []
    for box in leaves:
        r0, r1 = _index(ys, box[1]), _index(ys, box[3])
        c0, c1 = _index(xs, box[0]), _index(xs, box[2])
        cells.append(LatticeCell(r0, c0, max(1, r1 - r0), max(1, c1 - c0), box))
    cells.sort(key=lambda c: (c.row, c.col))
    return Lattice(frame, len(ys) - 1, len(xs) - 1, tuple(cells))


#: A segment: (position across, start along, end along).
_Segment = tuple[float, float, float]


def _merged(segments: Sequence[_Segment], tol: float) -> list[list[float]]:
    """Segments grouped by position (the two sides of one drawn rule are one rule), each
    group ``[position, start, end, start, end, ...]`` with touching pieces joined; sorted by
    position."""
    groups: list[tuple[float, list[tuple[float, float]]]] = []
    for pos, a, b in sorted(segments):
        if groups and pos - groups[-1][0] <= tol:
            groups[-1][1].append((a, b))
        else:
            groups.append((pos, [(a, b)]))
    out: list[list[float]] = []
    for pos, pieces in groups:
        joined: list[list[float]] = []
        for a, b in sorted(pieces):
            if joined and a <= joined[-1][1] + tol:
                joined[-1][1] = max(joined[-1][1], b)
            else:
                joined.append([a, b])
        out.append([pos, *(v for piece in joined for v in piece)])
    return out


def _crosses(rules: Sequence[list[float]], pos: float, a: float, b: float, tol: float) -> bool:
    """Whether a rule at ``pos`` runs from ``a`` to ``b`` without a break."""
    for rule in rules:
        if abs(rule[0] - pos) <= tol:
            spans = rule[1:]
            if any(spans[i] <= a + tol and spans[i + 1] >= b - tol for i in range(0, len(spans), 2)):
                return True
    return False


def _cut(
    region: Box,
    horizontal: Sequence[list[float]],
    vertical: Sequence[list[float]],
    tol: float,
    leaves: list[Box],
    depth: int,
) -> None:
    """Cut ``region`` at the rules crossing it from edge to edge, rows first; the parts that
    no rule crosses go to ``leaves``."""
    x0, y0, x1, y1 = region
    if depth < 64:
        if rows := _crossing(horizontal, (y0, y1), (x0, x1), tol):
            for a, b in pairwise([y0, *rows, y1]):
                _cut((x0, a, x1, b), horizontal, vertical, tol, leaves, depth + 1)
            return
        if cols := _crossing(vertical, (x0, x1), (y0, y1), tol):
            for a, b in pairwise([x0, *cols, x1]):
                _cut((a, y0, b, y1), horizontal, vertical, tol, leaves, depth + 1)
            return
    leaves.append(region)


def _crossing(
    rules: Sequence[list[float]], across: tuple[float, float], along: tuple[float, float],
    tol: float,
) -> list[float]:
    """Positions of the rules strictly inside ``across`` that run the whole of ``along``."""
    return [r[0] for r in rules if across[0] + tol < r[0] < across[1] - tol
            and _crosses([r], r[0], along[0], along[1], tol)]


def _levels(values: Sequence[float], tol: float) -> list[float]:
    """Distinct grid lines among cell edges (edges within ``tol`` are one line)."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(levels: Sequence[float], value: float) -> int:
    """Index of the grid line nearest ``value``."""
    return min(range(len(levels)), key=lambda i: abs(levels[i] - value))
