"""Table structure from recognised line positions: rows, columns, colspans, then HTML.

Pure: :class:`~docparse.recognize.line_order.OcrLine` values in, an HTML string out, in the
shape the official pipeline produces (``<table><tr><td>..</td></tr></table>``, text
HTML-escaped, no ``<thead>``/``<th>``).

How the grid is found:

* A table that rules every cell's border (:mod:`~docparse.recognize.table_lattice`) is read
  from its rules: the lines inside a ruled cell are that cell's text, however many rows
  they make (wrapped text, paragraphs, a list, a nested table). Not when its cells' words
  stand in columns of their own (rules parting the columns in the header only, or not at
  all) or a band of it holds columns of values level row by row: the rules then draw rows,
  not cells. The steps below read every other table, from the positions of its lines.
* Rows: lines overlapping vertically form one row. A row whose filled columns are a subset of
  the row above and that sits much closer to it than rows usually do is a wrapped cell's
  continuation and is merged into it; so is a line of one column that starts in lower case
  under that column's line above, when that line had no room left for its first word.
* Columns: gutters are vertical strips no line covers. A line that alone hides a gutter
  (removing it reveals a strip with content on both sides within its span) is a spanning
  line: a colspan header, or two cells the OCR read as one line. The second case is split at
  the space that lies in the gutter; otherwise the line gets a ``colspan``.
* Rules (optional, from the page image: :mod:`docparse.recognize.table_rules`): in a table
  that rules most of its row boundaries (drawn rules, or fills meeting in a table tiled by
  filled cells), lines between two rules are one row, and a column that a row boundary's
  rule does not cross holds one cell across it (a ``rowspan``: a tall explanation beside
  one-line ratings, a group label beside its rows). Where the table separates its columns,
  a line crossing a gutter with no separator beside it is one merged cell (a ``colspan``),
  not two cells read as one line.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from docparse.geometry import Box
from docparse.recognize.line_order import OcrLine, group_rows, median_height
from docparse.recognize.table_lattice import Lattice, LatticeCell, find_lattice
from docparse.recognize.table_rules import TableRules
from docparse.textlayer.chars import is_rtl_text, joins_at_line_break
from docparse.textlayer.pieces import BULLETS


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    colspan: int
    text: str
    rowspan: int = 1


@dataclass(frozen=True)
class _Piece:
    """A line, or the part of one that falls in one column after a split."""

    line: OcrLine
    text: str
    col: int
    colspan: int = 1


#: A bullet glyph opening a cell (slides draw one before every cell's text): decoration that
#: an HTML cell does not need; numbers ("1.") are content and stay.
#: A bullet opening a cell: the usual glyphs, or one the PDF has no character for (U+FFFD,
#: or a raw code in the C1 range from a font without a Unicode map).
_CELL_BULLET = re.compile(r"^[\u2022\u25cf\u25cb\u25e6\u25aa\u25a0\u2023\u2043\u00b7\uf0b7\ufffd\x80-\x9f]\s+(?=\S)")


def lines_to_table_html(
    lines: Sequence[OcrLine], rules: TableRules | None = None
) -> str:
    """HTML table of the lines of one table box ("" when there is no text); ``rules``: what
    the box's image shows (rules, fills, separators), in the lines' coordinates, if known."""
    n_cols, cells = build_grid(lines, rules)
    if not cells:
        return ""
    if _right_to_left(cells):
        # A right-to-left table's first column is its rightmost: HTML lists cells in reading
        # order, so the columns are written mirrored.
        cells = sorted((dataclasses.replace(c, col=n_cols - c.col - c.colspan) for c in cells),
                       key=lambda c: (c.row, c.col))
    n_rows = max(cell.row for cell in cells) + 1
    by_pos = {(cell.row, cell.col): cell for cell in cells}
    # Slots a cell from a row above covers (rowspan): no <td> of their own.
    below = {(cell.row + k, cell.col) for cell in cells for k in range(1, cell.rowspan)}
    out = ["<table>"]
    for r in range(n_rows):
        out.append("<tr>")
        c = 0
        while c < n_cols:
            if (r, c) in below:
                c += next(x.colspan for x in cells if x.col == c and x.row < r < x.row + x.rowspan)
                continue
            cell = by_pos.get((r, c))
            if cell is None:
                out.append("<td></td>")
                c += 1
                continue
            span = f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
            span += f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
            text = _CELL_BULLET.sub("", cell.text)
            out.append(f"<td{span}>{html.escape(text, quote=False)}</td>")
            c += cell.colspan
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _right_to_left(cells: Sequence[GridCell]) -> bool:
    """Whether the table is written right to left (Arabic, Persian, Hebrew)."""
    return is_rtl_text("".join(c.text for c in cells))


def build_grid(
    lines: Sequence[OcrLine], rules: TableRules | None = None
) -> tuple[int, list[GridCell]]:
    """(column count, cells) of the table the lines form; cells sorted by row then column.
    ``rules``: what the box's image shows, in the lines' coordinates, if known."""
    lines = [line for line in lines if line.text.strip()]
    if not lines:
        return 0, []
    unit = median_height(lines)
    if rules is not None and (ruled := _lattice_grid(lines, rules, unit)) is not None:
        return ruled
    lines = [_ink(line) for line in lines]
    gutters, spanners = _find_gutters(lines, unit)
    x_min = min(line.bbox[0] for line in lines)
    x_max = max(line.bbox[2] for line in lines)
    edges = [x_min, *[(a + b) / 2 for a, b in gutters], x_max]
    n_cols = len(edges) - 1
    pieces: list[_Piece] = []
    extents: dict[int, tuple[float, float]] = {}
    for line in lines:
        if id(line) not in spanners:
            col = _column_of((line.bbox[0] + line.bbox[2]) / 2, edges)
            pieces.append(_Piece(line, line.text.strip(), col))
            lo, hi = extents.get(col, (line.bbox[0], line.bbox[2]))
            extents[col] = (min(lo, line.bbox[0]), max(hi, line.bbox[2]))
    verticals = rules.verticals if rules else ()
    for line in lines:
        if id(line) in spanners:
            pieces += _place_spanner(line, gutters, edges, extents, verticals)
    rows = _merge_wrapped_rows(group_rows(lines), pieces, unit, rules or TableRules())
    pieces = _centre_header_spans(rows, pieces, edges)
    if rules is not None:
        pieces = _ruled_header_spans(rows, pieces, extents, rules)
    rows, open_cols = _rows_between_rules(rows, extents, rules or TableRules())
    cells = _cells(rows, pieces, n_cols)
    spanned = any(open_cols)
    if spanned:
        cells = _span_unruled(cells, open_cols, n_cols, len(rows))
    n_cols, cells = _fold_currency_columns(n_cols, cells)
    n_cols, cells = _fold_header_columns(n_cols, cells)
    # Every cell inside the grid and at least one column wide, whatever the steps above did
    # with odd input (prose the model called a table): the HTML writer walks the columns.
    cells = [c if c.colspan >= 1 else GridCell(c.row, c.col, 1, c.text, c.rowspan) for c in cells]
    n_cols = max([n_cols, *(c.col + c.colspan for c in cells)])
    # Where the rules told which cells span rows, the guess from empty header slots is moot.
    return n_cols, cells if spanned else _header_rowspans(cells, n_cols)


#: A row rule through the middle of a text line (this share of the line's height at its top
#: and at its bottom excepted) is no border: it is a stroke of the letters, or the noise of a
#: tinted fill around them that reads as ink (a scanned header row in grey).
_THROUGH_TEXT = 0.2


def _clear_of_text(rules: TableRules, lines: Sequence[OcrLine]) -> TableRules:
    """``rules`` without the row rules and fill edges that run through a text line."""
    boxes = [line.bbox for line in lines]

    def through(segment: tuple[float, float, float, float]) -> bool:
        y = segment[1]
        return any(
            b[1] + _THROUGH_TEXT * (b[3] - b[1]) < y < b[3] - _THROUGH_TEXT * (b[3] - b[1])
            and min(segment[2], b[2]) > max(segment[0], b[0])
            for b in boxes)

    kept = tuple(r for r in rules.lines if not through(r))
    edges = tuple(r for r in rules.band_edges if not through(r))
    if len(kept) == len(rules.lines) and len(edges) == len(rules.band_edges):
        return rules
    return dataclasses.replace(rules, lines=kept, band_edges=edges)


def _lattice_grid(
    lines: Sequence[OcrLine], rules: TableRules, unit: float
) -> tuple[int, list[GridCell]] | None:
    """The grid of a table that rules every cell's border (see
    :mod:`~docparse.recognize.table_lattice`): the lines inside each ruled cell are its
    text, however many rows they make. None when the rules draw no such lattice, when text
    stands beside it (the rules frame only part of the table), or when its cells are not
    the table's (see :func:`_rules_its_rows` and :func:`_holds_grid`)."""
    lattice = find_lattice(_clear_of_text(rules, lines), unit)
    if lattice is None:
        return None
    fx0, fy0, fx1, fy1 = lattice.frame
    slots: dict[int, list[OcrLine]] = {}
    above: list[OcrLine] = []
    below: list[OcrLine] = []
    for line in lines:
        cx, cy = (line.bbox[0] + line.bbox[2]) / 2, (line.bbox[1] + line.bbox[3]) / 2
        if cy < fy0:
            above.append(line)
        elif cy > fy1:
            below.append(line)
        elif not fx0 - unit <= cx <= fx1 + unit:
            return None  # text beside the rules: they frame only part of the table
        else:
            k = min(range(len(lattice.cells)),
                    key=lambda i: _distance(lattice.cells[i].box, cx, cy))
            slots.setdefault(k, []).append(line)
    if not _rules_its_rows(lattice, slots):
        return None
    # Cells whose words stand in columns of their own: the rules part the columns only in
    # the header, or not at all (a report's table ruled between every row, with column
    # rules in its header band alone or none), and every body row would be one cell of
    # run-together values.
    gapped = [cell for k, cell in enumerate(lattice.cells)
              if _gapped_rows(slots.get(k, []), unit, values_only=True)
              and not _rules_inside(cell.box, rules, unit)]
    if (len(gapped) >= _GAPPED_CELLS
            or sum(1 for cell in gapped if cell.colspan >= 2) >= _GAPPED_SPANNING_CELLS):
        return None
    for k, cell in enumerate(lattice.cells):
        # A cell holding rows of words with column gaps and no rules of its own is the
        # body of a table boxed and ruled only at its header (an invoice's item lines):
        # its lines are the rows. A nested table inside a cell draws its own rules.
        if _holds_grid(slots.get(k, []), unit) and not _rules_inside(cell.box, rules, unit):
            return None
    # Empty cells too: the rules drew them, and a merged empty cell is one cell, not several.
    # Text above or below the rules (a heading, a note under the table) is a row of its own
    # across the table.
    top = group_rows(above)
    cells = [GridCell(r, 0, lattice.n_cols, _cell_text(row, unit)) for r, row in enumerate(top)]
    cells += [
        GridCell(len(top) + cell.row, cell.col, cell.colspan,
                 _cell_text(slots.get(k, []), unit), cell.rowspan)
        for k, cell in enumerate(lattice.cells)
    ]
    foot = len(top) + lattice.n_rows
    cells += [GridCell(foot + r, 0, lattice.n_cols, _cell_text(row, unit))
              for r, row in enumerate(group_rows(below))]
    return lattice.n_cols, cells


def _distance(box: Box, x: float, y: float) -> float:
    """How far ``(x, y)`` lies outside ``box`` (0 inside)."""
    return max(box[0] - x, 0.0, x - box[2]) + max(box[1] - y, 0.0, y - box[3])


def _rules_its_rows(lattice: Lattice, slots: dict[int, list[OcrLine]]) -> bool:
    """Whether the lattice's rows are the table's rows. A table ruled only above and below
    its header and at its foot, with column rules, is a lattice of two or three bands whose
    body band holds many rows of cells standing level across the columns; a ruled cell
    holding a list beside another list looks the same, so only a table that rules at least
    two of its body rows apart is trusted with cells of several level rows, unless those
    rows are list items (each opening with a bullet or number). Nor is a band, however many
    rows the lattice has, whose cells hold columns of short values level row by row (see
    :func:`_level_value_columns`)."""
    for row in range(lattice.n_rows):
        in_row = [(c, slots.get(k, [])) for k, c in enumerate(lattice.cells) if c.row == row]
        if lattice.n_rows >= 3:
            # However many rows it rules, a band where columns of short values stand level
            # row by row (a body ruled only at its header and total) holds rows, not cells.
            if _level_value_columns(in_row):
                return False
            continue
        stacked = [g for _, g in in_row if len(group_rows(g)) >= 2]
        if len(stacked) >= 2 and not all(map(_list_of_items, stacked)):
            return False
    return True


#: A column of values: five rows or more (a header's cells stack a few lines of a phrase
#: level with each other), its lines' median width at most this share of its cell's width
#: (wrapped text fills its cell).
_VALUE_ROWS = 5
_VALUE_WIDTH = 0.5


def _level_value_columns(cells: Sequence[tuple[LatticeCell, Sequence[OcrLine]]]) -> bool:
    """Whether two cells or more of one lattice band hold columns of short values whose rows
    stand level with each other (most rows of the shorter column beside a row of the other)."""
    columns = []
    for cell, lines in cells:
        rows = group_rows(lines)
        width = cell.box[2] - cell.box[0]
        if (len(rows) >= _VALUE_ROWS and width > 0 and not _list_of_items(lines)
                and statistics.median(ln.bbox[2] - ln.bbox[0] for ln in lines) <= _VALUE_WIDTH * width):
            columns.append([(min(ln.bbox[1] for ln in r), max(ln.bbox[3] for ln in r)) for r in rows])
    for a, b in itertools.combinations(columns, 2):
        short, other = (a, b) if len(a) <= len(b) else (b, a)
        level = sum(1 for y0, y1 in short
                    if any(min(y1, v1) - max(y0, v0) > 0.5 * (y1 - y0) for v0, v1 in other))
        if level >= 0.8 * len(short):
            return True
    return False


def _list_of_items(lines: Sequence[OcrLine]) -> bool:
    """Whether a cell's rows are the items of a list: each opens with a bullet or number
    (a list in each cell is no row of the table)."""
    return all(_ITEM_MARKER.match(row[0].text.strip().split(" ", 1)[0])
               for row in group_rows(lines))


#: Words in one row further apart than this many line heights stand in different columns.
_COLUMN_GAP = 1.0


#: Lattice cells with words in columns of their own (a row each): this many say the rules
#: do not part the table's columns; fewer where the cells span the lattice's columns (a
#: column rule drawn only part of the way).
_GAPPED_CELLS = 3
_GAPPED_SPANNING_CELLS = 2


def _holds_grid(lines: Sequence[OcrLine], unit: float) -> bool:
    """Whether the lines form rows of several columns: two rows or more, each with a gap
    wider than a word space."""
    return _gapped_rows(lines, unit) >= 2


def _gapped_rows(lines: Sequence[OcrLine], unit: float, *, values_only: bool = False) -> int:
    """How many of the lines' rows have a gap wider than a word space between two words;
    with ``values_only``, not beside a currency sign (flush left of its amount in a cell)."""
    gapped = 0
    for row in group_rows(lines):
        # A list item's marker stands apart from its text (an indent, not a column).
        if _ITEM_MARKER.match(row[0].text.strip()):
            row = row[1:]
        if any(b.bbox[0] - a.bbox[2] > _COLUMN_GAP * unit
               and not (values_only and _CURRENCY & {a.text.strip(), b.text.strip()})
               for a, b in pairwise(row)):
            gapped += 1
    return gapped


def _rules_inside(box: Box, rules: TableRules, unit: float) -> bool:
    """Whether rules are drawn inside ``box``, clear of its borders (a nested table)."""
    pad = max(3.0, 0.15 * unit)
    x0, y0, x1, y1 = box[0] + pad, box[1] + pad, box[2] - pad, box[3] - pad
    return any(
        x0 < r[0] < x1 and x0 < r[2] < x1 and y0 < r[1] < y1 for r in rules.lines
    ) or any(x0 < r[0] < x1 and y0 < r[1] and r[3] < y1 for r in rules.verticals)


def _cell_text(lines: Sequence[OcrLine], unit: float) -> str:
    """A ruled cell's text: its visual rows top to bottom, words in reading order (right to
    left in a right-to-left cell). Pieces that touch (a superscript, a comma set in another
    weight) join without a space."""
    text = ""
    for row in group_rows(lines):
        if is_rtl_text("".join(ln.text for ln in row)):
            row = row[::-1]
            gaps = [0.0, *(a.bbox[0] - b.bbox[2] for a, b in pairwise(row))]
        else:
            gaps = [0.0, *(b.bbox[0] - a.bbox[2] for a, b in pairwise(row))]
        for i, (line, gap) in enumerate(zip(row, gaps, strict=True)):
            piece = line.text.strip()
            if i == 0:
                piece = _UNMAPPED_BULLET.sub("\u2022", piece)
            if i and gap < _TOUCHING * unit:
                text += piece
            else:
                text = _join_cell(text, piece)
    return text


#: A list item's marker on its own: a bullet, a dash, an unmapped glyph, "3." or "b)".
_ITEM_MARKER = re.compile(rf"^(?:[{''.join(sorted(BULLETS))}\ufffd\x80-\x9f\u2013\u2014-]"
                          r"|\(?\w{1,3}[.)])$")
#: A glyph the PDF has no character for, opening a row of a cell: a list item's bullet.
_UNMAPPED_BULLET = re.compile(r"^[\ufffd\x80-\x9f](?=\s|$)")
#: Pieces closer than this many line heights touch (no word space between them).
_TOUCHING = 0.1


#: A table rules "most" of its row boundaries when this share of them has a rule.
_RULED_SHARE = 0.6
#: A table is tiled by filled cells when this share of its box is tinted.
_TILED = 0.8


def _rows_between_rules(
    rows: list[list[OcrLine]], extents: dict[int, tuple[float, float]], rules: TableRules
) -> tuple[list[list[OcrLine]], list[set[int]]]:
    """Rows regrouped by the rules, and for each boundary between consecutive rows the
    columns whose cell runs on across it (empty sets when the rules say nothing).

    In a table that draws rules at most row boundaries (at least three), a boundary with
    no rule or band edge at all is no boundary (the lines there are one cell's wrapped
    text), and a column that a boundary's rule leaves out runs on across it. Elsewhere only
    header boundaries (above the first rule across every column) tell that: a group
    heading's rule lets the stub heading beside it span; a total's rule under the amounts
    alone does not join the labels beside it. Band edges (a coloured header row, shaded
    cells) stop a cell; they rule a boundary when they cross the whole table, or half of
    it in a table tiled by filled cells."""
    if not (rules.lines or rules.band_edges) or len(rows) < 2:
        return rows, []
    drawn = _ruled_columns(rows, extents, rules.lines)
    edged = _ruled_columns(rows, extents, rules.band_edges)
    # Fill edges across the whole table (a coloured header row, striped rows) rule their
    # boundary; in a table tiled by filled cells, edges across half of it do too (a row
    # label's fill runs on beside the rows). Shaded value cells on paper do not.
    tiled = rules.filled >= _TILED

    def ruled(a: set[int], b: set[int]) -> bool:
        return bool(a) or b >= set(extents) or (tiled and 2 * len(b) >= len(extents))

    count = sum(1 for a, b in zip(drawn, edged, strict=True) if ruled(a, b))
    if count >= 3 and count >= _RULED_SHARE * len(drawn):
        if any(not (a or b) for a, b in zip(drawn, edged, strict=True)):
            merged = [rows[0]]
            for row, a, b in zip(rows[1:], drawn, edged, strict=True):
                if a or b:
                    merged.append(row)
                else:
                    merged[-1] = merged[-1] + row
            rows = merged
            drawn = _ruled_columns(rows, extents, rules.lines)
            edged = _ruled_columns(rows, extents, rules.band_edges)
        # A column that a ruled boundary's rules and fill edges leave out runs on across
        # it (a row label's fill running on beside two rows whose fills stop), unless a new
        # entry starts in it there: a stub column the row rules do not reach, with a
        # capitalised label level with each row ("Salaries (a)" over "Fringe Benefits").
        return rows, [
            {col for col in set(extents) - a - b
             if not _new_entry(rows[i], rows[i + 1], extents[col])} if ruled(a, b) else set()
            for i, (a, b) in enumerate(zip(drawn, edged, strict=True))
        ]
    telling = next((b for b, cols in enumerate(drawn) if cols >= set(extents)), 0)
    return rows, [
        set(extents) - a - b if a and i < telling else set()
        for i, (a, b) in enumerate(zip(drawn, edged, strict=True))
    ]


def _new_entry(upper: Sequence[OcrLine], lower: Sequence[OcrLine], extent: tuple[float, float]) -> bool:
    """Whether both rows have text in the column ``extent`` and the lower row's starts a new
    entry there, rather than carrying the text above on: it starts with a capital letter and
    stands level with the row's other cells (a tall cell's wrapped lines keep their own
    pitch, not the rows')."""
    def inside(ln: OcrLine) -> bool:
        return extent[0] <= (ln.bbox[0] + ln.bbox[2]) / 2 <= extent[1]

    below = sorted((ln for ln in lower if inside(ln)), key=lambda ln: ln.bbox[0])
    beside = [ln for ln in lower if not inside(ln)]
    if not below or not beside or not any(inside(ln) for ln in upper):
        return False
    # A capital letter only: a wrapped line may start with a number, and CJK text, which
    # wraps anywhere, has no capitals.
    first = below[0]
    row_centre = statistics.median((ln.bbox[1] + ln.bbox[3]) / 2 for ln in beside)
    level = abs((first.bbox[1] + first.bbox[3]) / 2 - row_centre) <= _LEVEL * first.height
    return first.text.strip()[:1].isupper() and level


#: A label stands level with its row when their centres lie this many line heights apart.
_LEVEL = 0.25


def _ruled_columns(
    rows: list[list[OcrLine]], extents: dict[int, tuple[float, float]], rules: Sequence[Box]
) -> list[set[int]]:
    """Per boundary between consecutive rows: the columns a rule between the two rows'
    centres crosses (under three quarters of the column's text or more: slanted headings
    reach past the table's edge)."""
    centres = [statistics.median((ln.bbox[1] + ln.bbox[3]) / 2 for ln in row) for row in rows]
    out: list[set[int]] = []
    for r, (upper, lower) in enumerate(pairwise(centres)):
        near = _text_near(rows, r, extents)
        cols: set[int] = set()
        for x0, y, x1, _ in rules:
            if upper < y < lower:
                cols.update(_columns_under(x0, x1, near))
        out.append(cols)
    return out


def _text_near(rows: list[list[OcrLine]], r: int, extents: dict[int, tuple[float, float]]
               ) -> dict[int, tuple[float, float]]:
    """Each column's text in rows ``r`` and ``r + 1``, else all of it (a header wider than
    the column's values would otherwise hide the rules under each value)."""
    return {col: _span_of(rows[r] + rows[r + 1], lo, hi) or (lo, hi)
            for col, (lo, hi) in extents.items()}


def _columns_under(x0: float, x1: float, near: dict[int, tuple[float, float]]) -> list[int]:
    """The columns a rule from ``x0`` to ``x1`` runs under (three quarters of their text or
    more: slanted headings reach past the table's edge), left to right."""
    return sorted(col for col, (lo, hi) in near.items()
                  if min(x1, hi) - max(x0, lo) >= 0.75 * (hi - lo))


def _span_of(lines: Sequence[OcrLine], lo: float, hi: float) -> tuple[float, float] | None:
    """x-extent of the lines centred within ``lo..hi`` (None when there are none)."""
    inside = [ln for ln in lines if lo <= (ln.bbox[0] + ln.bbox[2]) / 2 <= hi]
    if not inside:
        return None
    return min(ln.bbox[0] for ln in inside), max(ln.bbox[2] for ln in inside)


def _join_cell(left: str, right: str) -> str:
    """One cell's pieces joined: a space between words, none between CJK characters."""
    if not left:
        return right
    return left + right if joins_at_line_break(left[-1], right[:1]) else left + " " + right


def _span_unruled(
    cells: list[GridCell], open_cols: list[set[int]], n_cols: int, n_rows: int
) -> list[GridCell]:
    """Cells of a column joined across each boundary it runs on across (``open_cols``): one
    cell with a ``rowspan``, its text in order. Cells spanning columns stay."""
    by_pos = {(c.row, c.col): c for c in cells}
    covered = {(c.row, k) for c in cells for k in range(c.col + 1, c.col + c.colspan)}
    wide = [c for c in cells if c.colspan > 1]

    def free(r: int, col: int) -> bool:
        cell = by_pos.get((r, col))
        return (r, col) not in covered and (cell is None or cell.colspan == 1)

    out = list(wide)
    for col in range(n_cols):
        r = 0
        while r < n_rows:
            if not free(r, col):
                r += 1
                continue
            end = r
            while end + 1 < n_rows and col in open_cols[end] and free(end + 1, col):
                end += 1
            text = ""
            for k in range(r, end + 1):
                if (k, col) in by_pos:
                    text = _join_cell(text, by_pos[(k, col)].text)
            if text:
                out.append(GridCell(r, col, 1, text, end - r + 1))
            r = end + 1
    return sorted(out, key=lambda c: (c.row, c.col))


def _header_rowspans(cells: list[GridCell], n_cols: int) -> list[GridCell]:
    """Column headings under a row of group headings, with nothing above them ("#" and
    "Topic" left of "ReACT" over three metric columns), span the header rows: left in the
    lower row, the empty slot above would be their heading. Only when the group headings
    stand alone in their rows (under half the columns) and the row below is words, not
    data (a row label under "Year Ended" is a body row)."""
    rows: dict[int, list[GridCell]] = {}
    for cell in cells:
        rows.setdefault(cell.row, []).append(cell)
    first = next((r for r in sorted(rows) if len(rows[r]) >= n_cols / 2), None)
    if not first or any(_is_numeric(c.text) for c in rows[first]):
        return cells

    def free(r: int, cell: GridCell) -> bool:
        return not any(o.col < cell.col + cell.colspan and cell.col < o.col + o.colspan
                       for o in rows.get(r, ()))

    # Only the stub columns left of every group heading: a column between two groups is
    # more likely one the heading to its left should have spanned.
    stub_end = min((c.col for r in rows if r < first for c in rows[r]), default=0)
    # The same entries in the row below (a checkbox matrix's marks, row after row): the row
    # is the body's first, its label no heading.
    below = {c.col: c.text for c in rows.get(first + 1, ())}
    later = [c for c in rows[first] if c.col >= stub_end]
    if later and all(below.get(c.col) == c.text for c in later):
        return cells
    out: list[GridCell] = []
    for cell in cells:
        if cell.row == first and cell.col + cell.colspan <= stub_end:
            top = first
            while top > 0 and free(top - 1, cell):
                top -= 1
            if top < first:
                cell = GridCell(top, cell.col, cell.colspan, cell.text, first - top + 1)
        out.append(cell)
    return sorted(out, key=lambda c: (c.row, c.col))


def _is_numeric(text: str) -> bool:
    chars = [ch for ch in text if not ch.isspace()]
    return bool(chars) and sum(ch.isdigit() for ch in chars) >= 0.5 * len(chars)


def _ink(line: OcrLine) -> OcrLine:
    """The line with its detection box trimmed horizontally towards the glyphs: rapidocr
    dilates boxes by about a third of their height per side, which closes narrow column
    gaps. Heights stay as detected; row grouping is tuned to them."""
    trim = min(0.2 * line.height, 0.25 * line.width)
    x0, y0, x1, y1 = line.bbox
    return OcrLine(line.text, (x0 + trim, y0, x1 - trim, y1), line.score)


def _find_gutters(lines: list[OcrLine], unit: float) -> tuple[list[tuple[float, float]], set[int]]:
    """Gutters as (x_start, x_end) in page pixels, and the ids of spanning lines."""
    x0 = min(line.bbox[0] for line in lines)
    width = int(max(line.bbox[2] for line in lines) - x0) + 2
    min_gap = max(2, int(0.12 * unit))

    def span(line: OcrLine) -> slice:
        return slice(int(line.bbox[0] - x0), int(line.bbox[2] - x0) + 1)

    cover = np.zeros(width, dtype=np.int32)
    for line in lines:
        cover[span(line)] += 1
    spanners: set[int] = set()
    cover = _spanners_out(lines, cover, span, x0, min_gap, spanners)
    after = _section_rows_out(lines, cover.copy(), span, min_gap, spanners)
    if not np.array_equal(after, cover):
        # Section rows hid gutters a group heading above them hides too ("Year of data" over
        # the years, with "Enrollment, in thousands" under them): with the section rows
        # out, the heading stands alone over its gutters.
        cover = _spanners_out(lines, after, span, x0, min_gap, spanners)
    gutters = [(x0 + a, x0 + b) for a, b in _zero_runs(cover, min_gap)]
    return gutters, spanners


def _spanners_out(
    lines: list[OcrLine],
    cover: np.ndarray,
    span: Callable[[OcrLine], slice],
    x0: float,
    min_gap: int,
    spanners: set[int],
) -> np.ndarray:
    """``cover`` without the lines that alone hide a gutter, each added to ``spanners``."""
    for cand in sorted(lines, key=lambda ln: ln.width, reverse=True):
        if id(cand) in spanners:
            continue
        trial = cover.copy()
        trial[span(cand)] -= 1
        before = _zero_runs(cover, min_gap)
        rest = [ln for ln in lines if ln is not cand and id(ln) not in spanners]
        for start, end in _zero_runs(trial, min_gap):
            gx0, gx1 = x0 + start, x0 + end
            if gx1 <= cand.bbox[0] or gx0 >= cand.bbox[2]:
                continue
            # Removing a wide cell only widens the gutter next to it (one old gutter inside
            # the new one). A spanning line either hid a gutter completely (none inside) or
            # sat between two gutters as an island above the columns (two or more).
            inside = sum(1 for a, b in before if start <= a and b <= end)
            if inside == 1:
                continue
            # A narrow island is the only entry of a sparse column, not a header over two.
            if inside >= 2 and cand.width < 0.5 * (end - start):
                continue
            left = any(ln.bbox[2] <= gx0 + 1 for ln in rest)
            right = any(ln.bbox[0] >= gx1 - 1 for ln in rest)
            if left and right:
                spanners.add(id(cand))
                cover = trial
                break
    return cover


def _section_rows_out(
    lines: list[OcrLine],
    cover: np.ndarray,
    span: Callable[[OcrLine], slice],
    min_gap: int,
    spanners: set[int],
) -> np.ndarray:
    """Section rows ("Proteomics", "Chemistry", ...: a label or two in a row where the body
    rows have many cells) and the labels of short rows ("Average (Easy)" across "#" and
    "Topic") hide a gutter together, so no one of them reveals it when taken out alone.
    Taken out all at once, the gutters they hid appear; each of their lines that crosses
    one is then a spanning line."""
    rows = group_rows([ln for ln in lines if id(ln) not in spanners])
    if len(rows) < 4:
        return cover
    typical = statistics.median(len(row) for row in rows)
    # Body rows only (group headings above the first row holding half the usual lines are
    # placed later), and a pattern: two section rows at least.
    start = next(i for i, row in enumerate(rows) if len(row) >= 0.5 * typical)
    section_rows = [row for row in rows[start:] if len(row) <= min(2, 0.4 * typical)]
    if len(section_rows) < 2:
        return cover
    sections = [ln for row in section_rows for ln in row]
    # Row labels of short rows ("Average (Easy)" across "#" and "Topic") hide it too.
    sections += [row[0] for row in rows[start:] if min(2, 0.4 * typical) < len(row) < typical]
    trial = cover.copy()
    for ln in sections:
        trial[span(ln)] -= 1
    before = _zero_runs(cover, min_gap)
    found = [(a, b) for a, b in _zero_runs(trial, min_gap)
             if not any(a <= a0 and b0 <= b for a0, b0 in before)]
    if not found:
        return cover
    for ln in sections:
        s = span(ln)
        if any(s.start < a and b < s.stop for a, b in found):
            spanners.add(id(ln))
            cover[s] -= 1
    return cover


def _zero_runs(cover: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """Interior runs of zero coverage at least ``min_gap`` wide, as half-open index ranges."""
    mask = np.concatenate(([0], (cover == 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(mask))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    nonzero = np.flatnonzero(cover)
    if nonzero.size == 0:
        return []
    first, last = int(nonzero[0]), int(nonzero[-1])
    return [(a, b) for a, b in runs if a > first and b <= last and b - a >= min_gap]


def _column_of(x: float, edges: list[float]) -> int:
    for i in range(len(edges) - 1):
        if x < edges[i + 1]:
            return i
    return len(edges) - 2


def _place_spanner(
    line: OcrLine,
    gutters: list[tuple[float, float]],
    edges: list[float],
    extents: dict[int, tuple[float, float]],
    verticals: Sequence[Box] = (),
) -> list[_Piece]:
    """Split a line at the spaces lying in the gutters it crosses when every piece then sits
    over its column's text (two cells read as one line); otherwise give it a colspan. Where
    the table separates its columns (``verticals``: the separators its image shows) and no
    separator crosses the line at any gutter it crosses, it is one merged cell."""
    text = line.text.strip()
    char_w = line.width / max(1, len(text))
    first = _column_of(line.bbox[0] + char_w, edges)
    last = _column_of(line.bbox[2] - char_w, edges)
    if last > first and all(
        _unseparated(line, gutter, verticals, char_w) for gutter in gutters[first:last]
    ):
        return [_Piece(line, text, first, last - first + 1)]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cuts: list[int] = []
    for gx0, gx1 in gutters[first:last]:
        if not spaces:
            break
        centre = (gx0 + gx1) / 2
        best = min(spaces, key=lambda i: abs(line.bbox[0] + (i + 0.5) * char_w - centre))
        x = line.bbox[0] + (best + 0.5) * char_w
        if not (gx0 - 1.5 * char_w <= x <= gx1 + 1.5 * char_w) or (cuts and best <= cuts[-1]):
            break
        cuts.append(best)
    if last > first and len(cuts) == last - first:
        bounds = [0, *cuts, len(text)]
        pieces = []
        for k, (a, b) in enumerate(pairwise(bounds)):
            part = text[a:b]
            a += len(part) - len(part.lstrip())  # the part's own characters, not the space
            b -= len(part) - len(part.rstrip())
            x_a, x_b = line.bbox[0] + a * char_w, line.bbox[0] + b * char_w
            extent = extents.get(first + k)
            # Each part must lie mostly over its column's text: "Average (Easy)" across a
            # narrow "#" column and "Topic" is one label, not "Average" | "(Easy)".
            inside = 0.0 if extent is None else min(x_b, extent[1]) - max(x_a, extent[0])
            if not part.strip() or inside < 0.5 * (x_b - x_a):
                break
            pieces.append(_Piece(line, part.strip(), first + k))
        else:
            return pieces
    return [_Piece(line, text, first, last - first + 1)]


def _unseparated(
    line: OcrLine, gutter: tuple[float, float], verticals: Sequence[Box], char_w: float
) -> bool:
    """True when the table draws separators in ``gutter`` but none beside ``line``."""
    lo, hi = gutter[0] - char_w, gutter[1] + char_w
    here = [v for v in verticals if lo <= v[0] <= hi]
    if not here:
        return False
    return not any(
        min(v[3], line.bbox[3]) - max(v[1], line.bbox[1]) >= 0.5 * line.height for v in here
    )


def _merge_wrapped_rows(
    rows: list[list[OcrLine]], pieces: list[_Piece], unit: float, rules: TableRules
) -> list[list[OcrLine]]:
    if len(rows) < 2:
        return rows
    cols_of: dict[int, set[int]] = {}
    for piece in pieces:
        cols_of.setdefault(id(piece.line), set()).update(
            range(piece.col, piece.col + piece.colspan)
        )

    def filled(row: list[OcrLine]) -> set[int]:
        return set().union(*(cols_of[id(line)] for line in row))

    def gap(upper: list[OcrLine], lower: list[OcrLine]) -> float:
        return min(ln.bbox[1] for ln in lower) - max(ln.bbox[3] for ln in upper)

    def straddles(row: list[OcrLine], upper: list[OcrLine]) -> bool:
        # Cells centred between two rows (rowspan) overlap the row above; they belong to it
        # when they fill columns it leaves empty.
        bottom = statistics.median(ln.bbox[3] for ln in upper)
        return all(ln.bbox[1] < bottom - 0.25 * ln.height for ln in row) and not (
            filled(row) & filled(upper)
        )

    def stacked(row: list[OcrLine], upper: list[OcrLine]) -> bool:
        # A row of two stacked lines ("OTSL" over "HTML", each value cell likewise) prints
        # its single-line cells centred between the lines: such a cell lies lower than the
        # upper line's other cells and reaches into the lower line. The lower line then
        # continues the row when it leaves the key column empty, adds no column of its own
        # (each of its cells sits under one of the upper line) and follows at line spacing.
        # Top-aligned group labels give no such sign: their sub-rows stay rows.
        if 0 in filled(row) or gap(upper, row) > 0.5 * unit:
            return False
        if not all(
            any(min(a.bbox[2], b.bbox[2]) > max(a.bbox[0], b.bbox[0]) for a in upper) for b in row
        ):
            return False
        anchors = [ln for ln in upper if not (cols_of[id(ln)] & filled(row))]
        rest = [ln for ln in upper if cols_of[id(ln)] & filled(row)]
        if not anchors or not rest:
            return False
        rest_centre = statistics.median((ln.bbox[1] + ln.bbox[3]) / 2 for ln in rest)
        row_top = statistics.median(ln.bbox[1] for ln in row)
        return all(
            (ln.bbox[1] + ln.bbox[3]) / 2 > rest_centre + 0.25 * ln.height
            and ln.bbox[3] > row_top + 0.2 * ln.height
            for ln in anchors
        )

    # The left and right edges of each column's text (single-column pieces).
    left_of: dict[int, float] = {}
    right_of: dict[int, float] = {}
    for piece in pieces:
        if piece.colspan == 1:
            x0, _, x1, _ = piece.line.bbox
            left_of[piece.col] = min(left_of.get(piece.col, x0), x0)
            right_of[piece.col] = max(right_of.get(piece.col, x1), x1)

    def ruled_between(a: OcrLine, b: OcrLine) -> bool:
        lo, hi = (a.bbox[1] + a.bbox[3]) / 2, (b.bbox[1] + b.bbox[3]) / 2
        return any(lo < r[1] < hi and min(r[2], b.bbox[2]) > max(r[0], b.bbox[0])
                   for r in (*rules.lines, *rules.band_edges))

    def continues(line: OcrLine, col: int, upper: list[OcrLine]) -> OcrLine | None:
        # The last line of ``col`` in the row above, when ``line`` may carry its text on:
        # ``line`` starts in lower case where that line starts, at line spacing, and that
        # line ends no sentence and has no rule under it.
        above = [ln for ln in upper if col in cols_of[id(ln)]]
        if not above or col not in right_of:
            return None
        last = max(above, key=lambda ln: ln.bbox[3])
        text = line.text.strip()
        if not text[:1].islower() or gap(upper, [line]) > 1.5 * max(typical, 0.0) + 0.2 * unit:
            return None
        if last.text.rstrip()[-1:] in ".?!:;" or ruled_between(last, line):
            return None  # a finished sentence, or a rule under it: the next line is a row
        char_w = last.width / max(1, len(last.text.replace(" ", "")))
        return last if abs(line.bbox[0] - last.bbox[0]) <= 1.5 * char_w else None

    def no_room(line: OcrLine, last: OcrLine, col: int) -> bool:
        # Whether the first word of ``line`` would not have fitted at the end of ``last``.
        # A letter's width, spaces left out (they are narrower than letters).
        char_w = last.width / max(1, len(last.text.replace(" ", "")))
        needed = (len(line.text.strip().split(" ", 1)[0]) + 1) * char_w
        # Room up to the next column's text (two characters of it are the cells' padding,
        # and the boxes were trimmed towards their ink on both sides: see _ink); in the last
        # column, up to its widest line, when that is a line of words.
        if col + 1 in left_of:
            room = left_of[col + 1] - last.bbox[2] - 2 * char_w - 0.4 * unit
        elif right_of[col] - left_of[col] >= 15 * char_w:
            room = right_of[col] - last.bbox[2]
        else:
            return False
        return room < needed

    def runs_on(row: list[OcrLine], upper: list[OcrLine]) -> bool:
        # A line of one column only, under that column's line of the row above, starting in
        # lower case where that line starts, whose first word would not have fitted at the
        # end of the line above: the cell's text wrapped (a table ruled at its header and
        # foot only, its description column wrapping at line spacing).
        cols = filled(row)
        if not cols <= filled(upper) or len(row) != len(cols):
            return False
        if len(cols) >= 2:
            # Several cells at once, the first column left empty, each carrying on the text
            # above it, one at least where that text had no room left: a row of wrapped
            # cells ("more of any one air toxic" beside "manufacturers, chemical"). A new row
            # starts its own stub; a row of lower-case values ("yes", "no") fits.
            if 0 in cols:
                return False
            lasts = {}
            for ln in row:
                col = next(iter(cols_of[id(ln)]))
                last = continues(ln, col, upper)
                if last is None:
                    return False
                lasts[col] = (ln, last)
            return any(no_room(ln, last, col) for col, (ln, last) in lasts.items())
        (col,) = cols
        last = continues(row[0], col, upper)
        return last is not None and no_room(row[0], last, col)

    typical = statistics.median(gap(a, b) for a, b in pairwise(rows))
    # With rows packed tightly a wrapped cell cannot be told from the next row.
    wrapped_ok = len(rows) >= 3 and typical >= 0.3 * unit

    def aligned(line: OcrLine, row: list[OcrLine]) -> bool:
        # A line of a stacked header cell lines up with the next line of its cell: their
        # left ends, right ends or centres (a group heading centred over two columns does
        # not line up with either sub-heading under it).
        below = [ln for ln in row if cols_of[id(ln)] & cols_of[id(line)]]
        tol = 0.5 * unit
        return len(below) == 1 and any(abs(a - b) <= tol for a, b in (
            (line.bbox[0], below[0].bbox[0]), (line.bbox[2], below[0].bbox[2]),
            (line.bbox[0] + line.bbox[2], below[0].bbox[0] + below[0].bbox[2])))

    header_rows = _ruled_off_header(rows, rules)
    merged = [rows[0]]
    for i, row in enumerate(rows[1:], start=1):
        upper = merged[-1]
        wrapped = wrapped_ok and gap(upper, row) < 0.5 * typical and filled(row) <= filled(upper)
        # Header cells set bottom-aligned above the rule under the header, wrapping at line
        # spacing: the tallest cells' top lines stand alone above the others ("Percentage
        # of" over "international" over "desired population" beside "Weighted school"),
        # each under a line of the row below. One header row, not five. (A row of amounts
        # under a one-line header, both above the rule, is the first body row.)
        header_stack = (i < header_rows and bool(filled(upper)) and filled(upper) <= filled(row)
                        and gap(upper, row) <= _HEADER_LINE_GAP * unit
                        and all(aligned(ln, row) for ln in upper)
                        and not any(_is_numeric(ln.text) for ln in row))
        if wrapped or header_stack or straddles(row, upper) or stacked(row, upper) or runs_on(row, upper):
            merged[-1] = upper + row
        else:
            merged.append(row)
    return merged


#: Lines of one header cell stand at most this many line heights apart.
_HEADER_LINE_GAP = 0.6
#: A rule under the header crosses at least this share of the table's width, and the
#: header above it is at most this many lines, with at least this many rows below.
_HEADER_RULE_WIDTH = 0.8
_HEADER_MAX_LINES = 6
_HEADER_BODY_ROWS = 3


def _ruled_off_header(rows: list[list[OcrLine]], rules: TableRules) -> int:
    """How many rows, from the top, lie above the first rule drawn across the table below
    its first row (the rule under a header); 0 when there is no such rule or what it rules
    off is no header (one row, more than a few, or most of the table)."""
    x0 = min(ln.bbox[0] for row in rows for ln in row)
    x1 = max(ln.bbox[2] for row in rows for ln in row)
    top = min(ln.bbox[1] for ln in rows[0])
    bottom = max(ln.bbox[3] for ln in rows[0])
    across = sorted(r[1] for r in (*rules.lines, *rules.band_edges)
                    if min(r[2], x1) - max(r[0], x0) >= _HEADER_RULE_WIDTH * (x1 - x0)
                    and r[1] > (top + bottom) / 2)
    if not across:
        return 0
    k = sum(1 for row in rows if statistics.median((ln.bbox[1] + ln.bbox[3]) / 2 for ln in row) < across[0])
    return k if 2 <= k <= _HEADER_MAX_LINES and len(rows) - k >= _HEADER_BODY_ROWS else 0


def _centre_header_spans(
    rows: list[list[OcrLine]], pieces: list[_Piece], edges: list[float]
) -> list[_Piece]:
    """A heading centred above several columns ("Year Ended" over three years, "ReACT" over
    its three metrics beside "Plan+Execute" over the next three) spans them, as far as the
    row's other headings leave them free. Header rows (those above the first row filling
    half the columns): a row of group headings, or of single headings each centred over
    columns of its own ("2007" over "N" and "% Pos"); below them, a section heading alone in
    its row that crosses a gutter already."""
    n_cols = len(edges) - 1
    by_line: dict[int, list[_Piece]] = {}
    for piece in pieces:
        by_line.setdefault(id(piece.line), []).append(piece)
    changed: dict[int, _Piece] = {}
    # Columns of currency signs alone ("$" flush left of the amounts).
    signs: dict[int, bool] = {}
    for piece in pieces:
        if piece.colspan == 1:
            signs[piece.col] = signs.get(piece.col, True) and piece.text in _CURRENCY
    currency = {c for c, only in signs.items() if only}
    header = True
    for row in rows:
        row_pieces = [p for line in row for p in by_line[id(line)]]
        if len({p.col for p in row_pieces}) >= n_cols / 2:
            header = False
        # Beside other headings in a row of group headings (one of them spans already), or
        # in a row of headings each centred over columns of its own (below).
        grouped = len(row_pieces) == 1 or any(p.colspan > 1 for p in row_pieces)
        if not header:
            # Below the header, a section heading alone in its row and spanning already
            # ("Enrollment, in thousands" centred over the years); a lone value stays put.
            grouped = len(row_pieces) == 1 and row_pieces[0].colspan > 1
        proposed: dict[int, _Piece] = {}
        for piece in row_pieces if grouped or header else ():
            # A heading already spanning the columns it crosses ("Lead time (years)" over
            # ten narrow columns crosses the two in its middle) spans on as far as centred.
            if piece.col == 0:
                continue
            taken = {c for p in row_pieces if p is not piece
                     for c in range(p.col, p.col + p.colspan)}
            centre = (piece.line.bbox[0] + piece.line.bbox[2]) / 2
            best: tuple[int, int] | None = None
            for a in range(1, piece.col + 1):
                for b in range(piece.col + piece.colspan - 1, n_cols):
                    if taken & set(range(a, b + 1)):
                        continue
                    width = edges[b + 1] - edges[a]
                    if abs(centre - (edges[a] + edges[b + 1]) / 2) > 0.1 * width:
                        continue
                    if best is None or b - a > best[1] - best[0]:
                        best = (a, b)
            if best is not None and best[1] - best[0] + 1 > piece.colspan:
                proposed[id(piece)] = _Piece(piece.line, piece.text, best[0],
                                             best[1] - best[0] + 1)
        if not grouped:
            # A row of single headings spans only when every one of them stands centred over
            # columns of its own ("2007" over "N" and "% Pos", "2006" over the next two), and
            # none over a column of currency signs (those are folded into their amounts).
            heads = [p for p in row_pieces if p.col > 0]
            spans = [proposed.get(id(p)) for p in heads]
            covered = [c for q in spans if q is not None for c in range(q.col, q.col + q.colspan)]
            if (len(heads) < 2 or any(q is None for q in spans) or len(covered) != len(set(covered))
                    or currency & set(covered)):
                proposed = {}
        changed.update(proposed)
    return [changed.get(id(p), p) for p in pieces]


def _ruled_header_spans(
    rows: list[list[OcrLine]], pieces: list[_Piece], extents: dict[int, tuple[float, float]],
    rules: TableRules,
) -> list[_Piece]:
    """A heading over a rule that stops short of the table's width spans the columns that
    rule covers: a group heading's underline (LaTeX's ``\\cmidrule``: "% Recovery ± RSD",
    set flush left, over "Soxtec", "Soxhlet" and "PLE"), which its centre or width alone
    would give two columns. Only in the header, above the first rule across every column:
    below it a partial rule marks a total, not a group. The heading must be the only one of
    its row over the rule, and the columns it takes must hold no other heading of its row."""
    if not rules.lines or len(rows) < 2 or not extents:
        return pieces
    drawn = _ruled_columns(rows, extents, rules.lines)
    header_end = next((b for b, cols in enumerate(drawn) if cols >= set(extents)), None)
    if header_end is None:
        return pieces
    centres = [statistics.median((ln.bbox[1] + ln.bbox[3]) / 2 for ln in row) for row in rows]
    row_of = {id(line): r for r, row in enumerate(rows) for line in row}
    changed: dict[int, _Piece] = {}
    for b in range(header_end):
        row_pieces = [p for p in pieces if row_of.get(id(p.line)) == b]
        near = _text_near(rows, b, extents)
        for x0, y, x1, _ in rules.lines:
            if not centres[b] < y < centres[b + 1]:
                continue
            over = [p for p in row_pieces
                    if x0 <= (p.line.bbox[0] + p.line.bbox[2]) / 2 <= x1]
            cols = _columns_under(x0, x1, near)
            if len(over) != 1 or not cols or set(cols) >= set(extents):
                continue
            piece = over[0]
            if not any(p.col == piece.col and p is not piece for p in pieces):
                # A heading in a column of its own, between the columns it heads ("Grade"
                # centred over grades 7 to 12): folded into them later, not spanned here.
                continue
            taken = {c for p in row_pieces if p is not piece
                     for c in range(p.col, p.col + p.colspan)}
            own = set(range(piece.col, piece.col + piece.colspan))
            if (cols != list(range(cols[0], cols[-1] + 1)) or not own <= set(cols)
                    or taken & set(cols) or len(cols) <= piece.colspan):
                continue
            changed[id(piece)] = _Piece(piece.line, piece.text, cols[0], len(cols))
    return [changed.get(id(p), p) for p in pieces]


_CURRENCY = frozenset("$€£¥₹₩")


def _fold_currency_columns(n_cols: int, cells: list[GridCell]) -> tuple[int, list[GridCell]]:
    """Financial tables print the currency sign flush left of a right-aligned amount, so it
    forms a column of its own; fold each such column into the amounts on its right
    ("$ 178"), as the printed cell reads."""
    for col in range(n_cols - 2, -1, -1):
        own = [c for c in cells if c.col == col]
        if not own or any(c.colspan > 1 or c.text not in _CURRENCY for c in own):
            continue
        signs = {c.row: c.text for c in own}
        folded: list[GridCell] = []
        for c in cells:
            if c.col == col:
                if not any(o.row == c.row and o.col == col + 1 for o in cells):
                    folded.append(GridCell(c.row, col, 1, c.text, c.rowspan))
                continue
            text = f"{signs[c.row]} {c.text}" if c.col == col + 1 and c.row in signs else c.text
            if c.col > col:
                folded.append(GridCell(c.row, c.col - 1, c.colspan, text, c.rowspan))
            elif c.col + c.colspan > col:
                folded.append(GridCell(c.row, c.col, c.colspan - 1, text, c.rowspan))
            else:
                folded.append(c)
        cells = sorted(folded, key=lambda c: (c.row, c.col))
        n_cols -= 1
    return n_cols, cells


def _fold_header_columns(n_cols: int, cells: list[GridCell]) -> tuple[int, list[GridCell]]:
    """A column holding only a header cell, beside a column holding everything but one,
    is one column: a spreadsheet sets its text left in the cell and its numbers right, so
    "Year" over the right-aligned "2019", "2020", ... overlaps none of them and made a
    column of its own. The two never hold text in the same row. So is a label alone in the
    last row beside the labels' column ("Total" set flush right)."""
    first = min((c.row for c in cells), default=0)
    last = max((c.row for c in cells), default=0)
    col = 0
    while col < n_cols - 1:
        left = [c for c in cells if c.col == col or c.col < col < c.col + c.colspan]
        right = [c for c in cells if c.col == col + 1 or c.col < col + 1 < c.col + c.colspan]
        header, body = (left, right) if len(left) == 1 else (right, left)
        # The same with a label in the last row set right in the labels' column ("Total"
        # flush right under left-aligned labels): a word, not an amount.
        at = header[0].row if len(header) == 1 else -1
        if (len(header) != 1 or len(body) < 2
                or not (at == first or (at == last and not _is_numeric(header[0].text)))
                or any(c.row == at for c in body)
                or any(c.colspan > 1 or c.rowspan > 1 for c in (*header, *body))):
            col += 1
            continue
        folded: list[GridCell] = []
        for c in cells:
            if c.col > col:
                folded.append(GridCell(c.row, c.col - 1, c.colspan, c.text, c.rowspan))
            elif c.col + c.colspan > col + 1:  # spans both: one column less
                folded.append(GridCell(c.row, c.col, c.colspan - 1, c.text, c.rowspan))
            else:
                folded.append(c)
        cells = sorted(folded, key=lambda c: (c.row, c.col))
        n_cols -= 1
    return n_cols, cells


def _cells(rows: list[list[OcrLine]], pieces: list[_Piece], n_cols: int) -> list[GridCell]:
    row_of = {id(line): r for r, row in enumerate(rows) for line in row}
    slots: dict[tuple[int, int], list[_Piece]] = {}
    for piece in pieces:
        slots.setdefault((row_of[id(piece.line)], piece.col), []).append(piece)
    cells: list[GridCell] = []
    for (r, c), group in sorted(slots.items()):
        # Visual lines top to bottom, left to right within each: sorting by top edge alone
        # puts "(SQL statement)" before "SET CURRENT DEGREE" on the same line (a
        # parenthesis rises above capitals).
        unique = list({id(p.line): p.line for p in group}.values())
        rank = {id(ln): i for i, ln in enumerate(ln for row in group_rows(unique) for ln in row)}
        group.sort(key=lambda p: rank[id(p.line)])
        span = max(p.colspan for p in group)
        # A span never covers a column that holds its own text in the same row.
        for k in range(1, span):
            if (r, c + k) in slots:
                span = k
                break
        span = max(1, min(span, n_cols - c))
        text = ""
        for p in group:
            text = _join_cell(text, p.text)
        cells.append(GridCell(r, c, span, text))
    return cells
