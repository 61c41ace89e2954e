"""Just enough of an HTML table reader to compare and join table fragments.

The recognisers emit flat ``<table><tr><td colspan=..>`` HTML (OTSL → HTML, or the built-in
OCR's cell grid), never nested tables, so a regex scan over ``<tr>``/``<td>`` is exact for them
and keeps the source text of every row for splicing without re-serialising it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

_ROW = re.compile(r"<tr\b[^>]*>.*?</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_SPAN = re.compile(r"""\b(colspan|rowspan)\s*=\s*["']?(\d+)""", re.I)
_TAG = re.compile(r"<[^>]+>")
_THEAD = re.compile(r"<thead\b.*?</thead\s*>", re.S | re.I)
_NUMERIC = re.compile(r"^[\s$€£¥%+\-−–(),.\d*]*\d[\s$€£¥%+\-−–(),.\d*]*$")


@dataclass(frozen=True)
class Cell:
    text: str
    colspan: int
    rowspan: int
    is_th: bool


@dataclass(frozen=True)
class Row:
    #: The row's source HTML, ``<tr>`` … ``</tr>``.
    source: str
    cells: tuple[Cell, ...]
    in_thead: bool


@dataclass(frozen=True)
class Table:
    html: str
    rows: tuple[Row, ...]

    @property
    def total_columns(self) -> int:
        """Grid width, counting colspans and cells pushed right by rowspans from above."""
        return max(row_widths(self), default=0)


def parse_table(source: str) -> Table | None:
    """The rows of the first-level table in ``source``, or None when it has no rows."""
    thead_spans = [(m.start(), m.end()) for m in _THEAD.finditer(source)]
    rows: list[Row] = []
    for m in _ROW.finditer(source):
        cells = tuple(
            Cell(
                text=cell_text(c.group(3)),
                colspan=_span(c.group(2), "colspan"),
                rowspan=_span(c.group(2), "rowspan"),
                is_th=c.group(1).lower() == "th",
            )
            for c in _CELL.finditer(m.group(0))
        )
        in_thead = any(a <= m.start() < b for a, b in thead_spans)
        rows.append(Row(source=m.group(0), cells=cells, in_thead=in_thead))
    if not rows:
        return None
    return Table(html=source, rows=tuple(rows))


def cell_text(inner: str) -> str:
    """Visible text of a cell: tags dropped, entities decoded, full-width folded, spaces squeezed."""
    text = html.unescape(_TAG.sub(" ", inner))
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _span(attrs: str, name: str) -> int:
    for m in _SPAN.finditer(attrs):
        if m.group(1).lower() == name:
            return max(1, int(m.group(2)))
    return 1


def row_widths(table: Table) -> list[int]:
    """Occupied grid columns of every row, rowspans from earlier rows included."""
    occupied: dict[int, set[int]] = {}
    widths: list[int] = []
    for r, row in enumerate(table.rows):
        taken = occupied.setdefault(r, set())
        col = 0
        for cell in row.cells:
            while col in taken:
                col += 1
            for rr in range(r, r + cell.rowspan):
                occupied.setdefault(rr, set()).update(range(col, col + cell.colspan))
            col += cell.colspan
        widths.append(len(occupied[r]))
    return widths


def row_key(row: Row) -> tuple[tuple[str, int], ...]:
    """What makes two rows "the same row": spacing-free text and colspan of every cell."""
    return tuple(("".join(c.text.split()).lower(), c.colspan) for c in row.cells)


def is_numeric(text: str) -> bool:
    """True for amounts, counts, percentages, dates written with digits only."""
    return bool(_NUMERIC.match(text))


def append_rows(base_html: str, rows: list[Row]) -> str:
    """``base_html`` with ``rows`` added after its last row (inside the same ``<tbody>``)."""
    if not rows:
        return base_html
    last = next(reversed(list(_ROW.finditer(base_html))), None)
    extra = "".join(r.source for r in rows)
    if last is None:
        # No row to anchor on: fall back to the end of the table element.
        end = base_html.lower().rfind("</table")
        cut = end if end >= 0 else len(base_html)
        return base_html[:cut] + extra + base_html[cut:]
    cut = last.end()
    closing_thead = re.match(r"\s*</thead\s*>", base_html[cut:], re.I)
    if closing_thead:
        # The last row is a header row (a header-only fragment): new rows start a <tbody>.
        cut += closing_thead.end()
        extra = "<tbody>" + extra + "</tbody>"
    return base_html[:cut] + extra + base_html[cut:]
