"""Does a region's own text look like a table? (pure)

The built-in layout model often calls a born-digital table ``text``, ``reference_content`` or
even ``image`` (a ruled invoice table read as a figure). The PDF's characters settle it: a
table's rows split into several cells at gaps far wider than a word space, row after row.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

Piece = tuple[str, tuple[float, float, float, float]]

#: Rows with at least this many cells count as table rows.
MIN_CELLS = 2
#: At least this many table rows, making up at least this share of the rows.
MIN_TABLE_ROWS = 3
MIN_SHARE = 0.6
#: Rows this long in words, mostly alphabetic, are prose however they are spaced.
PROSE_WORDS_PER_ROW = 8
PROSE_ALPHA_SHARE = 0.75
#: List markers: bullets (including glyphs without Unicode), "1.", "a)", "(iv)".
_LIST_MARKER = re.compile(r"[•·●○◦■□▪▫‣⁃–—\-*\ufffd\uf0b7]{1,3}|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,4}[.)]")

#: The median later cell of a table row has at most this many words.
MAX_CELL_WORDS = 5


def rows_of(pieces: Sequence[Piece]) -> list[list[Piece]]:
    """Pieces grouped into rows by vertical overlap (top to bottom, left to right)."""
    rows: list[list[Piece]] = []
    # The last row's extent, kept as it grows (recomputing it made long rows quadratic).
    ly1 = ly2 = 0.0
    for piece in sorted(pieces, key=lambda p: ((p[1][1] + p[1][3]) / 2, p[1][0])):
        y1, y2 = piece[1][1], piece[1][3]
        if rows:
            overlap = min(y2, ly2) - max(y1, ly1)
            if overlap > 0.5 * min(y2 - y1, ly2 - ly1):
                rows[-1].append(piece)
                ly1, ly2 = min(ly1, y1), max(ly2, y2)
                continue
        rows.append([piece])
        ly1, ly2 = y1, y2
    return [sorted(r, key=lambda p: p[1][0]) for r in rows]


def looks_like_table(pieces: Sequence[Piece], *, min_table_rows: int = MIN_TABLE_ROWS) -> bool:
    """Several rows split into cells, and those rows are most of the region."""
    rows = rows_of(pieces)
    if not rows or _prose(rows):
        return False
    multi = [r for r in rows if len(r) >= MIN_CELLS]
    if len(multi) < min_table_rows or len(multi) < MIN_SHARE * len(rows):
        return False
    # A bullet or number, a gap, then the item: a list, however neatly it lines up.
    markers = sum(1 for r in multi if _LIST_MARKER.fullmatch(r[0][0].strip()))
    if markers >= MIN_SHARE * len(multi):
        return False
    if _contents_list(multi):
        return False
    # Cells after the first are short (amounts, dates, names); a long second piece is a list
    # item's text after its number, not a cell.
    later = sorted(word_count(p[0]) for r in multi for p in r[1:])
    if later[len(later) // 2] > MAX_CELL_WORDS:
        return False
    # Cells must line up: some column edge (left, or right for right-aligned numbers) is
    # shared by the later cells of most table rows.
    height = sorted(p[1][3] - p[1][1] for r in multi for p in r)[len(multi) // 2]
    tolerance = 1.5 * height
    edges = [(side, p[1][side]) for r in multi for p in r[1:] for side in (0, 2)]
    best = 0
    for side, anchor in edges:
        hits = sum(1 for r in multi if any(abs(p[1][side] - anchor) < tolerance for p in r[1:]))
        best = max(best, hits)
    return best >= max(min_table_rows, MIN_SHARE * len(multi))


_PAGE_NUMBER = re.compile(r"[.\s·…]*(\d{1,4}|[ivxlcdm]{1,7})", re.IGNORECASE)
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


#: CJK text sets no spaces between words; a word is this many characters on average.
_CJK_WORD_CHARS = 2


def word_count(text: str) -> int:
    """Words in ``text``: its space-separated tokens, a run of CJK characters counting as
    one word per two characters (CJK sets no spaces, so a whole CJK line would otherwise be
    one "word" and prose would pass for short cells)."""
    from docparse.textlayer.chars import is_cjk

    count = 0
    for token in text.split():
        cjk = sum(1 for c in token if is_cjk(c))
        count += max(1, round(cjk / _CJK_WORD_CHARS)) if cjk else 1
    return count


def _contents_list(rows: Sequence[Sequence[Piece]]) -> bool:
    """Entries and their page numbers (a table of contents whose dot leaders were not read
    as text): most rows end in a page number, and the numbers never go down the page, but
    do go up (the same "x" or "1" in every row is a column of marks or counts)."""
    numbers: list[tuple[bool, int]] = []
    for r in rows:
        m = _PAGE_NUMBER.fullmatch(r[-1][0].strip())
        if m is None:
            continue
        value = m.group(1).lower()
        numbers.append((value.isdigit(), int(value) if value.isdigit() else _roman(value)))
    if len(numbers) < max(MIN_TABLE_ROWS, MIN_SHARE * len(rows)):
        return False
    # Roman-numbered front matter comes first; each kind's numbers never go down.
    for arabic in (False, True):
        seq = [n for kind, n in numbers if kind is arabic]
        if any(b < a for a, b in itertools.pairwise(seq)):
            return False
    return len({n for _, n in numbers}) > 1


def _roman(text: str) -> int:
    total = 0
    for a, b in zip(text, text[1:] + " ", strict=True):
        v = _ROMAN[a]
        total += -v if b != " " and _ROMAN[b] > v else v
    return total


_CITATION_PUNCTUATION = ",;:.()[]'\""


def _prose(rows: Sequence[Sequence[Piece]]) -> bool:
    """Long rows of words: justified prose, whose stretched word gaps look like cell gaps."""
    words = [w for r in rows for p in r for w in p[0].split()]
    if not words:
        return True
    # Punctuation left between citation links ("(", ",", ")."): not words of either kind.
    # Dashes stay: tables print them in empty cells.
    words = [w for w in words if w.strip(_CITATION_PUNCTUATION)] or words
    per_row = sum(word_count(w) for w in words) / len(rows)
    alphabetic = sum(1 for w in words if w.strip(".,;:()'\"").isalpha()) / len(words)
    return per_row >= PROSE_WORDS_PER_ROW and alphabetic >= PROSE_ALPHA_SHARE


def bands_of(pieces: Sequence[Piece], *, gap: float = 1.2) -> list[list[Piece]]:
    """Rows grouped into bands separated by vertical gaps wider than ``gap`` row heights."""
    rows = rows_of(pieces)
    if not rows:
        return []
    heights = sorted(max(p[1][3] for p in r) - min(p[1][1] for p in r) for r in rows)
    unit = heights[len(heights) // 2]
    bands: list[list[Piece]] = [list(rows[0])]
    prev_bottom = max(p[1][3] for p in rows[0])
    for row in rows[1:]:
        top = min(p[1][1] for p in row)
        if top - prev_bottom > gap * unit:
            bands.append([])
        bands[-1].extend(row)
        prev_bottom = max(p[1][3] for p in row)
    return bands


def columns_of(pieces: Sequence[Piece], *, gutter: float = 1.5, min_rows: int = 2) -> list[list[Piece]]:
    """Pieces split at vertical gutters that run through all of them: blank strips at least
    ``gutter`` row heights wide, with at least ``min_rows`` rows of text on each side.
    Left to right; one group when there is no such gutter."""
    rows = rows_of(pieces)
    if len(rows) < 2 * min_rows:
        return [list(pieces)]
    # The unit is a line's height, not a row's: a row joins the lines of side-by-side columns,
    # which rarely line up, and would be as tall as two lines (OCR line boxes are also taller
    # than the glyphs) and hide a gutter of two lines' height.
    heights = sorted(p[1][3] - p[1][1] for p in pieces)
    min_gap = gutter * heights[len(heights) // 2]
    spans = sorted((p[1][0], p[1][2]) for p in pieces)
    cuts: list[float] = []
    right = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - right >= min_gap:
            cuts.append((x0 + right) / 2)
        right = max(right, x1)
    groups: list[list[Piece]] = [[] for _ in range(len(cuts) + 1)]
    for piece in pieces:
        centre = (piece[1][0] + piece[1][2]) / 2
        groups[sum(1 for c in cuts if centre > c)].append(piece)
    if any(len(rows_of(g)) < min_rows for g in groups):
        return [list(pieces)]
    return groups


def hull(pieces: Sequence[Piece]) -> tuple[float, float, float, float]:
    return (
        min(p[1][0] for p in pieces),
        min(p[1][1] for p in pieces),
        max(p[1][2] for p in pieces),
        max(p[1][3] for p in pieces),
    )


def clearly_not_table(pieces: Sequence[Piece]) -> bool:
    """A box called a table whose rows never split into cells, or split only after a list
    marker (a bullet or number, then a sentence)."""
    rows = rows_of(pieces)
    if len(rows) < MIN_TABLE_ROWS or looks_like_table(pieces):
        return False
    multi = [r for r in rows if len(r) >= MIN_CELLS]
    if len(multi) <= 1:
        return True
    later = sorted(len(p[0].split()) for r in multi for p in r[1:])
    firsts = [len(r[0][0]) for r in multi]
    return later[len(later) // 2] > MAX_CELL_WORDS and max(firsts) <= 3


#: Pieces of a row closer than this many row heights are one run of text (a word space, a
#: font change); a cell gap is wider.
_RUN_GAP = 1.0


def _one_run(row: Sequence[Piece]) -> bool:
    height = max(p[1][3] for p in row) - min(p[1][1] for p in row)
    return all(b[1][0] - a[1][2] < _RUN_GAP * height for a, b in itertools.pairwise(row))


def prose_margins(pieces: Sequence[Piece]) -> tuple[list[Piece], list[Piece], list[Piece]]:
    """A grid's pieces split into the paragraph set right above it, the grid, and the
    paragraph right below it, with no blank line between (the question over a survey's
    checkbox matrix, a sentence introducing a table, a note under it).

    Such a paragraph is at least two rows, each one run of text with no cell gap, long rows
    of words (prose), and the grid without it still looks like a table. A table's own header
    rows have cell gaps, and a spanning header is one short row: both stay in the grid.
    Empty margins when there is no such paragraph."""
    rows = rows_of(pieces)
    # Where the grid's second column starts: a caption's or note's line reaches past it, a
    # first column's wrapped label does not.
    second = min((r[1][1][0] for r in rows if len(r) >= MIN_CELLS), default=float("inf"))

    def paragraph(part: Sequence[Sequence[Piece]]) -> bool:
        return (len(part) >= 2 and _prose(part)) or (
            bool(part) and all(_note_line(r, second) for r in part))

    k = 0
    while k < len(rows) and _one_run(rows[k]):
        k += 1
    head: list[list[Piece]] = rows[:k] if paragraph(rows[:k]) else _lines_before_grid(rows)
    body = rows[len(head):]
    j = len(body)
    while j > 0 and _one_run(body[j - 1]):
        j -= 1
    tail: list[list[Piece]] = (body[j:] if paragraph(body[j:])
                               else _lines_before_grid(body[::-1])[::-1])
    grid = body[: len(body) - len(tail)]
    flat = [p for r in grid for p in r]
    if (not head and not tail) or not looks_like_table(flat):
        return [], list(pieces), []
    return [p for r in head for p in r], flat, [p for r in tail for p in r]


#: Lines of text over a grid, each one piece across its middle (a receipt's shop name,
#: address and "TAX INVOICE" over its items and totals): at least this many, this share of
#: the rows before the grid's first two split rows in a row.
_LINES_BEFORE_GRID = 3
_LINES_BEFORE_GRID_SHARE = 0.75


def _lines_before_grid(rows: Sequence[list[Piece]]) -> list[list[Piece]]:
    """The rows before the first two rows in a row that split into cells, when nearly all of
    them are one piece across the middle of the rows ([] when the grid starts at once): a
    letterhead's lines, centred over the grid, which the grid's columns cannot hold (a line
    across its gutters leaves the grid one column). A table's spanning header is one row or
    two; the last entries of an index's left column, with none beside them, are no lines
    across it."""
    start = next((i for i in range(len(rows) - 1)
                  if len(rows[i]) >= MIN_CELLS and len(rows[i + 1]) >= MIN_CELLS), None)
    if start is None:
        return []
    middle = (min(p[1][0] for r in rows for p in r) + max(p[1][2] for r in rows for p in r)) / 2
    lines = sum(1 for r in rows[:start] if len(r) == 1 and r[0][1][0] < middle < r[0][1][2])
    if lines >= _LINES_BEFORE_GRID and lines >= _LINES_BEFORE_GRID_SHARE * start:
        return list(rows[:start])
    return []


#: A caption's or note's line: "Table 2: ...", "Source: ...", "Note: ...".
_NOTE_START = re.compile(
    r"(?:tables?|tab\.|tabelle|tableau|tabla|tabella|tabel|figure|fig\.|source|sources|note|notes"
    r"|quelle|quellen|anmerkung|remarque|fuente|fonte|bron|资料来源|来源|注|表)"
    r"\s*(?-i:[A-Z]{1,3}[-.]?)?(?:\d|[:.：]|(?-i:[IVX]+\b))",
    re.IGNORECASE)
#: ... or a sentence: at least this many words, ending in a full stop.
_NOTE_WORDS = 4


def caption_start(text: str) -> bool:
    """Whether ``text`` opens as a table's caption or note does ("Table 2:", "Source:")."""
    return _NOTE_START.match(text.strip()) is not None


def _note_line(row: Sequence[Piece], second_column: float) -> bool:
    """One line of a table's caption or note set flush against its grid ("and the average
    loss are reported.", "Source: SAVE 2009, data is weighted."): one run of text that opens
    as a caption or note does, or is a sentence reaching past the start of the grid's second
    column (a first column's wrapped label stays in it)."""
    if not _one_run(row):
        return False
    text = " ".join(p[0] for p in row).strip()
    if caption_start(text):
        return True
    if max(p[1][2] for p in row) <= second_column:
        return False
    words = text.split()
    alphabetic = sum(1 for w in words if w.strip(".,;:()'\"").isalpha())
    return (word_count(text) >= _NOTE_WORDS and text.endswith(".")
            and alphabetic >= PROSE_ALPHA_SHARE * len(words))


#: A table's gutter: an upright line between two of its columns that at most this share of
#: its rows cross, or one row (a title or a note across the table, a cell spanning columns).
GUTTER_CROSSING = 0.25
#: Only a grid of this many rows at least is judged by its gutters.
GUTTER_MIN_ROWS = 6


def has_gutter(pieces: Sequence[Piece]) -> bool:
    """Whether some upright line just right of a piece runs between cells in at least
    :data:`MIN_TABLE_ROWS` rows, twice as many as it runs through, and through at most
    :data:`GUTTER_CROSSING` of the rows (or one), or through none and between cells in two
    rows: the grid has two columns at least. A receipt's lines, centred and of every
    length, leave no such line (its "table" came out one column); a table's columns do,
    however ragged. Grids of fewer than :data:`GUTTER_MIN_ROWS` rows pass: a header and a
    row or two tell too little.

    >>> cells = [(label, (0, 20 * i, 60, 20 * i + 10)) for i, label in
    ...          enumerate(["Total", "Cash", "Change", "Rounding", "Points"])]
    >>> cells += [(f"{i}.00", (80, 20 * i, 120, 20 * i + 10)) for i in range(5)]
    >>> has_gutter(cells), has_gutter(cells + [("THANK YOU FOR SHOPPING", (0, 100, 120, 110))])
    (True, True)
    >>> has_gutter(cells + [("GOODS SOLD ARE NOT RETURNABLE", (0, 100 + 20 * i, 120, 110 + 20 * i))
    ...                     for i in range(4)])
    False
    """
    rows = rows_of(pieces)
    if len(rows) < GUTTER_MIN_ROWS:
        return True  # a small table's few rows tell too little (a header and one row)
    import numpy as np

    row = np.array([i for i, r in enumerate(rows) for _ in r])
    x1 = np.array([p[1][0] for r in rows for p in r])
    x2 = np.array([p[1][2] for r in rows for p in r])
    n = len(rows)
    for x in np.unique(x2):
        # Per row: a piece through the line, a piece left of it, a piece right of it.
        crossing = np.bincount(row, weights=(x1 < x) & (x < x2), minlength=n) > 0
        left = np.bincount(row, weights=x2 <= x, minlength=n) > 0
        right = np.bincount(row, weights=x1 >= x, minlength=n) > 0
        through = int(crossing.sum())
        split = int((left & right & ~crossing).sum())
        # Rows split there outnumber those crossing it twice over: a line that a few rows
        # of a receipt happen to leave clear (its right-aligned amounts) is no gutter. A line
        # no row crosses is one where two rows split (an invoice's one item, its description
        # wrapped over many lines left of its amounts, under the header).
        if through == 0 and split >= 2:
            return True
        if split >= max(MIN_TABLE_ROWS, 2 * through) and through <= max(1.0, GUTTER_CROSSING * n):
            return True
    return False


#: A grid set inside running text with no blank line around it: at least this many rows
#: in a run, each split into this many cells at least (two cells a row are as often a
#: form's labels and values, which read well as text).
INNER_GRID_ROWS = 3
INNER_GRID_CELLS = 3
#: ... and with at least this many lines of running text around it, this many characters
#: long.
INNER_GRID_LINES = 3
INNER_GRID_LINE_CHARS = 12


def grid_inside(pieces: Sequence[Piece]) -> tuple[list[Piece], list[Piece], list[Piece]] | None:
    """A block's pieces split into the text above a grid, the grid, and the text below it,
    where the block's longest run of rows of three cells or more looks like a table on its
    own and the whole block does not, among lines of running text (a small table in
    handwritten notes, set between their lines with no blank line around it); None when
    there is no such grid."""
    rows = rows_of(pieces)
    best: tuple[int, int] | None = None
    start = 0
    for end in range(len(rows) + 1):
        if end < len(rows) and len(rows[end]) >= INNER_GRID_CELLS:
            continue
        if end - start >= INNER_GRID_ROWS and (best is None or end - start > best[1] - best[0]):
            best = (start, end)
        start = end + 1
    if best is None:
        return None
    first, last = best
    grid = [p for r in rows[first:last] for p in r]
    if not looks_like_table(grid):
        return None
    # Running text around it: lines of one run, a sentence long (a chart's tick labels
    # around a grid of numbers are no text).
    if sum(1 for r in rows[:first] + rows[last:]
           if len(r) == 1 and len(r[0][0].replace(" ", "")) >= INNER_GRID_LINE_CHARS) < INNER_GRID_LINES:
        return None
    if looks_like_table(pieces):
        return None  # the whole block is the table: the caller's rule
    return [p for r in rows[:first] for p in r], grid, [p for r in rows[last:] for p in r]
