"""Build small Documents by hand for the assemble tests, and read Markdown back as tokens."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from docparse.document import Block, Document, Page

PAGE_W, PAGE_H = 1000, 1400


def block(
    block_id: int,
    label: str,
    content: str = "",
    bbox: tuple[int, int, int, int] = (100, 100, 900, 200),
    **extra: Any,
) -> Block:
    """A block whose order, group and running index follow its id."""
    fields: dict[str, Any] = {
        "block_label": label,
        "block_content": content,
        "block_bbox": bbox,
        "block_id": block_id,
        "block_order": block_id + 1,
        "group_id": block_id,
        "order": block_id,
        "source": "vlm",
    }
    fields.update(extra)
    return Block(**fields)


def page(index: int | None, *blocks: Block, count: int | None = None) -> Page:
    return Page(
        input_path="doc.pdf",
        page_index=index,
        page_count=count,
        width=PAGE_W,
        height=PAGE_H,
        parsing_res_list=tuple(blocks),
    )


def document(*pages: Page) -> Document:
    n = len(pages)
    fixed = tuple(p.model_copy(update={"page_count": n}) for p in pages)
    return Document(input_path="doc.pdf", page_count=n, pages=fixed)


def table_html(*rows: tuple[str, ...]) -> str:
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table>{body}</table>"


def tokens(md: str) -> list[Any]:
    return list(MarkdownIt("commonmark").enable("table").parse(md))


def headings(md: str) -> list[tuple[str, str]]:
    """(tag, text) of every heading, in order."""
    toks = tokens(md)
    return [(t.tag, toks[i + 1].content) for i, t in enumerate(toks) if t.type == "heading_open"]


def paragraphs(md: str) -> list[str]:
    toks = tokens(md)
    return [toks[i + 1].content for i, t in enumerate(toks) if t.type == "paragraph_open"]


def html_blocks(md: str) -> list[str]:
    return [t.content for t in tokens(md) if t.type == "html_block"]
