"""Addressing blocks: the reference strings ``Link.ref`` carries, and reading order.

``pages/P/blocks/B`` follows JSON-pointer intent: ``P`` is the position of the page in
``Document.pages`` (not ``Page.page_index``, which is None for single images and offset when a
page range was parsed); ``B`` is the block's ``block_id``. ``merged_tables/N`` names the
``MergedTable`` whose ``id`` is ``N``.
"""

from __future__ import annotations

import re

from docparse.document import Block, Document, Link, MergedTable, Page

_BLOCK_REF = re.compile(r"^pages/(\d+)/blocks/(\d+)$")
_TABLE_REF = re.compile(r"^merged_tables/(\d+)$")


def block_ref(page_pos: int, block_id: int) -> str:
    """The ``Link.ref`` naming block ``block_id`` of ``doc.pages[page_pos]``."""
    return f"pages/{page_pos}/blocks/{block_id}"


def parse_block_ref(ref: str) -> tuple[int, int] | None:
    """``(page_pos, block_id)`` of a block reference, or None when ``ref`` is not one."""
    m = _BLOCK_REF.match(ref)
    return (int(m.group(1)), int(m.group(2))) if m else None


def merged_table_ref(table_id: int) -> str:
    """The ``Link.ref`` naming merged table ``table_id``."""
    return f"merged_tables/{table_id}"


def parse_merged_table_ref(ref: str) -> int | None:
    """The merged-table id of a reference, or None when ``ref`` is not one."""
    m = _TABLE_REF.match(ref)
    return int(m.group(1)) if m else None


def resolve_block(doc: Document, ref: str) -> tuple[int, Block] | None:
    """``(page_pos, block)`` that ``ref`` points at, or None when it points nowhere."""
    parsed = parse_block_ref(ref)
    if parsed is None:
        return None
    page_pos, block_id = parsed
    if page_pos >= len(doc.pages):
        return None
    for block in doc.pages[page_pos].parsing_res_list:
        if block.block_id == block_id:
            return page_pos, block
    return None


def resolve_merged_table(doc: Document, ref: str) -> MergedTable | None:
    """The merged table that ``ref`` names, or None."""
    table_id = parse_merged_table_ref(ref)
    if table_id is None:
        return None
    return next((t for t in doc.merged_tables if t.id == table_id), None)


def first_link(block: Block, kind: str) -> Link | None:
    """The block's first link of ``kind``."""
    return next((link for link in block.links if link.kind == kind), None)


def without_links(block: Block, kinds: frozenset[str]) -> tuple[Link, ...]:
    """The block's links minus those of ``kinds`` (so passes can run again idempotently)."""
    return tuple(link for link in block.links if link.kind not in kinds)


def reading_order(page: Page) -> list[Block]:
    """The page's blocks sorted by docparse's full reading order."""
    return sorted(page.parsing_res_list, key=lambda b: (b.order, b.block_id))
