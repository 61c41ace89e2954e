"""Tables that run over page breaks: decide which fragments belong together, merge their rows.

Baseline is the official rule set (``paddlex .../layout_parsing/merge_table.py``): the last table
of a page and the first table of the next page merge when their widths differ by under 10%, only
furniture or footnotes lie between them, and their column counts match (or the last row of the
first matches the first data row of the second); up to five repeated header rows are dropped.

Where that fails in practice docparse differs:

* widths are compared relative to each page's width (pages of one PDF may differ in size);
* columns are counted on the grid, colspans and rowspans included;
* between the fragments docparse also allows blocks relabelled or skipped as furniture, side
  notes, and text that only says "continued" or gives a page number (upstream's keyword test
  reads attributes its blocks never have, so it never fires);
* notes under the first fragment (``*``, ``†``, ``¹``, ``a)``, "Note:", "Source:" …) may stand
  before the break whatever the layout model called them: small models have no footnote class
  and call them text or references;
* a second fragment whose first row looks like a header of its own (``<th>``/``<thead>``, or
  text where the columns below hold numbers) and differs from the first fragment's header is a
  new table, not a continuation;
* chains of three or more fragments merge into one table, each header repeat dropped.

Every fragment keeps its own page, box and content; each gets a ``merged_table`` link and the
merged HTML lives once in ``Document.merged_tables``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docparse.assemble.refs import merged_table_ref, reading_order, without_links
from docparse.assemble.table_html import (
    Row,
    Table,
    append_rows,
    is_numeric,
    parse_table,
    row_key,
    row_widths,
)
from docparse.document import Block, Document, FragmentRef, Link, MergedTable, Page
from docparse.labels import TEXT_LIKE_LABELS

#: Relative width difference above which two fragments are different tables (official 10%).
WIDTH_TOLERANCE = 0.1
MAX_HEADER_ROWS = 5

_AFTER_FIRST_OK = frozenset(
    {"footer", "footer_image", "vision_footnote", "number", "footnote", "seal", "aside_text"}
)
_BEFORE_NEXT_OK = frozenset({"header", "header_image", "number", "seal", "aside_text"})
_CONTINUED = re.compile(r"\bcontinue[ds]?\b|\bcont['’‘]?d\b|续|續", re.I)
_PAGE_NUMBER = re.compile(r"^\W*(page\s*)?\d+(\s*(of|/)\s*\d+)?\W*$", re.I)
_NOTE_MARK = re.compile(
    r"^\s*(?:[*†‡§¶※]|[¹²³⁴⁵⁶⁷⁸⁹⁰]|\(?[a-z]\)\s|\(\d{1,2}\)\s"
    r"|(?:notes?|sources?|n\.\s?b\.|注|资料来源|来源)\s*[:.：])",
    re.I,
)
#: Longest text that still counts as a note under a table (longer is body text).
MAX_NOTE = 600


@dataclass(frozen=True)
class _Fragment:
    page_pos: int
    block: Block
    table: Table


def merge_tables(doc: Document) -> Document:
    """``doc`` with cross-page tables merged into ``doc.merged_tables`` and fragments linked.

    Running it again recomputes the merges from scratch (old ``merged_table`` links dropped).
    """
    groups = find_table_groups(doc)
    merged: list[MergedTable] = []
    links: dict[tuple[int, int], Link] = {}
    for table_id, group in enumerate(groups):
        merged.append(
            MergedTable(
                id=table_id,
                html=group.html,
                fragments=tuple(
                    FragmentRef(
                        page_index=doc.pages[f.page_pos].page_index, block_id=f.block.block_id
                    )
                    for f in group.fragments
                ),
            )
        )
        for f in group.fragments:
            links[(f.page_pos, f.block.block_id)] = Link(
                kind="merged_table", ref=merged_table_ref(table_id)
            )
    pages = tuple(_relink_page(page, pos, links) for pos, page in enumerate(doc.pages))
    return doc.model_copy(update={"pages": pages, "merged_tables": tuple(merged)})


def _relink_page(page: Page, pos: int, links: dict[tuple[int, int], Link]) -> Page:
    drop = frozenset({"merged_table"})
    blocks = []
    changed = False
    for b in page.parsing_res_list:
        new_links = without_links(b, drop)
        link = links.get((pos, b.block_id))
        if link is not None:
            new_links = (*new_links, link)
        if new_links != b.links:
            changed = True
            b = b.model_copy(update={"links": new_links})
        blocks.append(b)
    return page.model_copy(update={"parsing_res_list": tuple(blocks)}) if changed else page


#: Rows of the merged table kept for comparisons (header repeats, header-looking rows).
_HEAD_SAMPLE = 30


@dataclass
class _Group:
    """A table being merged: its fragments and the rows they add after the first one."""

    fragments: list[_Fragment]
    added: list[Row]
    head: list[Row]
    columns: int

    @classmethod
    def start(cls, frag: _Fragment) -> _Group:
        t = frag.table
        return cls([frag], [], list(t.rows[:_HEAD_SAMPLE]), t.total_columns)

    @property
    def head_table(self) -> Table:
        return Table(html="", rows=tuple(self.head))

    @property
    def html(self) -> str:
        # Spliced once at the end: appending per fragment rescans the growing HTML.
        return append_rows(self.fragments[0].table.html, self.added)

    def add(self, frag: _Fragment) -> None:
        rows = list(frag.table.rows[_header_rows(self.head_table, frag.table) :])
        self.added.extend(rows)
        self.head.extend(rows[: _HEAD_SAMPLE - len(self.head)])
        self.columns = max(self.columns, frag.table.total_columns)
        self.fragments.append(frag)


def find_table_groups(doc: Document) -> list[_Group]:
    """Chains of table fragments, in page order, that form one table (two or more each)."""
    groups: list[_Group] = []
    current: _Group | None = None
    for pos in range(len(doc.pages) - 1):
        prev_page, curr_page = doc.pages[pos], doc.pages[pos + 1]
        prev = _edge_table(prev_page, pos, last=True)
        curr = _edge_table(curr_page, pos + 1, last=False)
        if current is None or prev is None or _key(current.fragments[-1]) != _key(prev):
            if current is not None and len(current.fragments) > 1:
                groups.append(current)
            current = _Group.start(prev) if prev else None
        if current is None or prev is None or curr is None or not _adjacent(prev_page, curr_page):
            continue
        if can_merge(prev_page, prev, current.head_table, current.columns, curr_page, curr):
            current.add(curr)
    if current is not None and len(current.fragments) > 1:
        groups.append(current)
    return groups


def _key(frag: _Fragment) -> tuple[int, int]:
    return frag.page_pos, frag.block.block_id


def _edge_table(page: Page, pos: int, *, last: bool) -> _Fragment | None:
    tables = [b for b in reading_order(page) if b.block_label == "table"]
    if not tables:
        return None
    block = tables[-1] if last else tables[0]
    if block.status != "ok" or not block.block_content.strip():
        return None
    table = parse_table(block.block_content)
    return _Fragment(pos, block, table) if table else None


def _adjacent(prev: Page, curr: Page) -> bool:
    if prev.page_index is None or curr.page_index is None:
        return True
    return curr.page_index == prev.page_index + 1


def can_merge(
    prev_page: Page,
    prev: _Fragment,
    so_far: Table,
    columns: int,
    curr_page: Page,
    curr: _Fragment,
) -> bool:
    """True when ``curr`` (first table of its page) continues ``prev`` (last of the page before).

    ``so_far`` holds the first rows of the table merged up to ``prev`` (its header first) and
    ``columns`` that table's grid width.
    """
    if not _similar_width(prev_page, prev.block, curr_page, curr.block):
        return False
    order_prev = reading_order(prev_page)
    after = order_prev[order_prev.index(prev.block) + 1 :]
    if not all(_may_separate(b, _AFTER_FIRST_OK) or _is_table_note(b, prev.block) for b in after):
        return False
    order_curr = reading_order(curr_page)
    before = order_curr[: order_curr.index(curr.block)]
    if not all(_may_separate(b, _BEFORE_NEXT_OK) for b in before):
        return False
    skip = _header_rows(so_far, curr.table)
    if skip == 0 and _starts_own_table(curr.table, so_far):
        return False
    if columns == curr.table.total_columns:
        return True
    # Upstream's fallback: the rows meeting at the break have the same width.
    prev_widths = row_widths(prev.table)
    curr_widths = row_widths(curr.table)
    return skip < len(curr_widths) and prev_widths[-1] == curr_widths[skip]


def _similar_width(prev_page: Page, a: Block, curr_page: Page, b: Block) -> bool:
    wa = (a.block_bbox[2] - a.block_bbox[0]) / max(prev_page.width, 1)
    wb = (b.block_bbox[2] - b.block_bbox[0]) / max(curr_page.width, 1)
    if wa <= 0 or wb <= 0:
        return False
    return abs(wa - wb) / min(wa, wb) < WIDTH_TOLERANCE


def _may_separate(block: Block, labels: frozenset[str]) -> bool:
    """Whether ``block`` may stand between two fragments of one table."""
    if block.block_label in labels or block.status in ("skipped", "merged"):
        return True
    if block.block_label in TEXT_LIKE_LABELS:
        text = block.block_content.strip()
        return bool(text) and (
            bool(_PAGE_NUMBER.match(text)) or (len(text) < 80 and bool(_CONTINUED.search(text)))
        )
    return False


def _is_table_note(block: Block, table: Block) -> bool:
    """Whether ``block`` reads as a note to ``table``: marked text below it."""
    if block.block_label not in TEXT_LIKE_LABELS or block.status != "ok":
        return False
    text = block.block_content.strip()
    below = block.block_bbox[1] >= (table.block_bbox[1] + table.block_bbox[3]) / 2
    return below and 0 < len(text) <= MAX_NOTE and bool(_NOTE_MARK.match(text))


def _header_rows(so_far: Table, curr: Table) -> int:
    """How many leading rows of ``curr`` repeat the first rows of ``so_far`` (at most five)."""
    n = 0
    for a, b in zip(so_far.rows[:MAX_HEADER_ROWS], curr.rows[:MAX_HEADER_ROWS], strict=False):
        if row_key(a) != row_key(b) or not any(c.text for c in a.cells):
            break
        n += 1
    return n


def _starts_own_table(curr: Table, so_far: Table) -> bool:
    """True when ``curr``'s first row is a header that differs from ``so_far``'s."""
    first = curr.rows[0]
    if row_key(first) == row_key(so_far.rows[0]):
        return False
    if first.in_thead or (first.cells and all(c.is_th for c in first.cells)):
        return True
    texts = [c.text for c in first.cells]
    if not any(texts) or any(is_numeric(t) for t in texts if t):
        return False
    # A text-only row above columns that hold numbers (in either fragment's body) is a header.
    for body in (curr.rows[1:], so_far.rows[1:]):
        if _numeric_under_text(first, body):
            return True
    return False


def _numeric_under_text(head: Row, body: Sequence[Row]) -> bool:
    aligned = [r for r in body if len(r.cells) == len(head.cells)]
    if not aligned:
        return False
    for j, cell in enumerate(head.cells):
        if not cell.text:
            continue
        values = [r.cells[j].text for r in aligned if r.cells[j].text]
        if values and sum(is_numeric(v) for v in values) * 2 > len(values):
            return True
    return False
