"""Markdown in PaddleOCR-VL's conventions (reference §4.2), per page or for the whole document.

Per label exactly as ``paddlex .../markdown_format_funcs.py`` with ``PaddleOCRVLResult``'s
handlers: titles as ``#`` headings, every text line a paragraph, tables as styled HTML, pictures
as centred ``<img>`` tags, ignore labels dropped, blocks joined by a blank line. docparse adds:

* blocks without own content emit nothing (``merged`` group members, ``failed``, ``skipped``);
* a cross-page table (``Document.merged_tables``) appears once, whole, at its first fragment;
* a paragraph continued over a column or page break (``continues_on`` links) is one paragraph,
  de-hyphenated when the first part ends with a hyphen. Blocks that stood between the parts
  (a figure, a table, the next page's header) follow the joined paragraph.
* an unlevelled ``paragraph_title`` takes its level from its numbering prefix only (upstream
  counts every ``.`` of the title, so ``1. Intro`` became ``###``).
* a paragraph that opens with a bullet glyph (``■``, ``◦``, ``–``, a Symbol-font bullet...)
  is a Markdown list item, ``- ``: Markdown readers, renderers and the peers' output know a
  list by its marker, not by the glyph the document's font drew. The JSON keeps the glyph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docparse.assemble.refs import first_link, reading_order, resolve_block, resolve_merged_table
from docparse.document import Block, Document, Page
from docparse.labels import MARKDOWN_IGNORE_LABELS
from docparse.textlayer.pieces import BULLETS

_CENTER_DIV = '<div style="text-align: center;">{}</div>\n'
_TITLE_NUMBERING = re.compile(
    r"^\s*("
    r"[1-9][0-9]*(?:\.[1-9][0-9]*)*[\.、]?"
    r"|[\(\（](?:[1-9][0-9]*|[一二三四五六七八九十百千万亿零壹贰叁肆伍陆柒捌玖拾]+)[\)\）]"
    r"|[一二三四五六七八九十百千万亿零壹贰叁肆伍陆柒捌玖拾]+[、\.]?"
    r"|(?:I|II|III|IV|V|VI|VII|VIII|IX|X)(?:\.|\s)"
    r")(\s*)(.*)$",
    re.S,
)
#: Labels whose content is running text, rendered one paragraph per line and joinable across
#: breaks.
PARAGRAPH_LABELS = frozenset(
    {"text", "ocr", "vertical_text", "reference_content", "vision_footnote"}
)
_IMAGE_LIKE = frozenset({"image", "header_image", "footer_image"})
_ABSTRACT_HEAD = re.compile(r"^\s*(abstract|摘要)(?=$|[\s:：.—–-])[:：.—–-]*\s*", re.I)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
#: A bullet glyph and its space at the start of a paragraph: the text layer's bullets, plus
#: empty squares, arrowheads, the en dash of slides and the Wingdings bullets (U+F0A7,
#: U+F0D8) of Office exports. Hyphens and "*" already are Markdown markers; an em dash is
#: left alone (it opens dialogue and attributions).
_BULLETS = "".join(sorted(
    BULLETS | frozenset("\u25a1\u25ab\u2219\u2013\u27a2\u27a4\u25ba\u25b8\uf0a7\uf0d8")
))
_BULLET_START = re.compile(f"^[{re.escape(_BULLETS)}][ \t]+(?=\\S)", re.M)
#: Sources whose text is the page's own characters, never Markdown: the text layer and the
#: built-in OCR. A line of such text that opens with "#" ("# of layers", "#1 priority") or
#: ">" ("> 50 cases") is escaped, or a Markdown reader makes it a heading or a quote. A
#: recognition server's text is Markdown already (its headings are meant) and is left as the
#: official client leaves it.
_LITERAL_SOURCES = frozenset({"text-layer", "builtin-ocr"})
_BLOCK_MARKUP_START = re.compile(r"^([ \t]{0,3})(#{1,6}(?=[ \t]|$)|>)", re.M)


@dataclass(frozen=True)
class MarkdownParams:
    """How to render: where pictures live, HTML styling, labels to leave out."""

    image_dir: str = "imgs"
    pretty: bool = True
    ignore_labels: tuple[str, ...] = MARKDOWN_IGNORE_LABELS
    show_formula_number: bool = False


def render_page(page: Page, params: MarkdownParams, doc: Document | None = None) -> str:
    """One page's Markdown.

    With ``doc`` (the document holding ``page``), a cross-page table is rendered whole at its
    first fragment and left out at the later ones, as the official per-page Markdown after
    ``restructure_pages``, and paragraphs continued within the page are joined. Without it
    (links cannot be resolved) every block renders on its own.
    """
    pos = _page_position(doc, page) if doc is not None else None
    pages = [(pos if pos is not None else 0, page)]
    return "\n\n".join(_render_stream(pages, params, doc if pos is not None else None))


def render_pages(doc: Document, params: MarkdownParams) -> list[str]:
    """One Markdown string per page of ``doc`` (see :func:`render_page`)."""
    return ["\n\n".join(_render_stream([(i, p)], params, doc)) for i, p in enumerate(doc.pages)]


def render_document(doc: Document, params: MarkdownParams) -> str:
    """The whole document as one Markdown string (merged tables once, split paragraphs joined)."""
    return "\n\n".join(_render_stream(list(enumerate(doc.pages)), params, doc))


def _page_position(doc: Document, page: Page) -> int | None:
    for i, p in enumerate(doc.pages):
        if p is page:
            return i
    for i, p in enumerate(doc.pages):
        if p == page:
            return i
    return None


def _render_stream(
    pages: Sequence[tuple[int, Page]], params: MarkdownParams, doc: Document | None
) -> list[str]:
    """The non-empty Markdown pieces of ``pages`` in reading order."""
    in_scope = {pos for pos, _ in pages}
    absorbed: set[tuple[int, int]] = set()
    pieces: list[str] = []
    for pos, page in pages:
        blocks = reading_order(page)
        for i, block in enumerate(blocks):
            if (pos, block.block_id) in absorbed:
                continue
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            piece = _render_block(block, page, params, nxt, doc)
            if piece and block.block_label in PARAGRAPH_LABELS:
                piece = _join_continuations(piece, block, params, doc, in_scope, absorbed)
            if piece:
                pieces.append(piece)
    return pieces


def _join_continuations(
    piece: str,
    block: Block,
    params: MarkdownParams,
    doc: Document | None,
    in_scope: set[int],
    absorbed: set[tuple[int, int]],
) -> str:
    """``piece`` with the text of every block it ``continues_on`` (a chain) appended."""
    parts = [piece]
    current = block
    while doc is not None:
        link = first_link(current, "continues_on")
        target = resolve_block(doc, link.ref) if link else None
        if target is None:
            break
        t_pos, t_block = target
        if t_pos not in in_scope or (t_pos, t_block.block_id) in absorbed:
            break
        rest = _render_block(t_block, doc.pages[t_pos], params, None, doc)
        if not rest or t_block.block_label not in PARAGRAPH_LABELS:
            break
        # Only the seam between the last part and the next changes, so long chains stay linear.
        parts[-1], joined = _seam(parts[-1], rest)
        parts.append(joined)
        absorbed.add((t_pos, t_block.block_id))
        current = t_block
    return "".join(parts)


def join_text(first: str, second: str) -> str:
    """Two parts of one paragraph as one: de-hyphenated, or joined by a space (none for CJK)."""
    a, b = _seam(first, second)
    return a + b


def _seam(first: str, second: str) -> tuple[str, str]:
    """``first`` and ``second`` trimmed so that their concatenation is the joined paragraph."""
    a, b = first.rstrip(), second.lstrip()
    if not a or not b:
        return a, b
    if a.endswith("-") and len(a) > 1 and a[-2].isalpha() and b[0].islower():
        # A compound already hyphenated ("state-of-the-") keeps its hyphen at the break.
        return (a, b) if "-" in a.split()[-1][:-1] else (a[:-1], b)
    if _CJK.match(a[-1]) and _CJK.match(b[0]):
        return a, b
    return a, " " + b


def _render_block(
    block: Block, page: Page, params: MarkdownParams, nxt: Block | None, doc: Document | None
) -> str:
    if block.status != "ok" or block.block_label in params.ignore_labels:
        return ""
    label = block.block_label
    if label == "table":
        return _render_table(block, params, page, doc)
    if label in _IMAGE_LIKE or label == "seal":
        return _render_image(block, page, params)
    if label == "chart":
        if "|" in block.block_content:
            # A recognised chart is a pipe table (upstream's "Chart Recognition:" output).
            from docparse.recognize.vlm.postprocess import chart_to_html

            return chart_to_html(block.block_content)
        return _render_image(block, page, params)
    if label in ("display_formula", "inline_formula", "formula"):
        if params.show_formula_number and nxt is not None and nxt.block_label == "formula_number":
            formula = block.block_content.replace("$$", "")
            return f"$${formula} \\tag*{{{nxt.block_content}}}$$"
        return block.block_content
    handler = _TEXT_HANDLERS.get(label)
    if handler is None or not block.block_content.strip():
        return ""
    return handler(block, params)


def _render_table(block: Block, params: MarkdownParams, page: Page, doc: Document | None) -> str:
    html = block.block_content
    if doc is not None:
        link = first_link(block, "merged_table")
        merged = resolve_merged_table(doc, link.ref) if link else None
        if merged is not None and merged.fragments:
            head = merged.fragments[0]
            if (head.page_index, head.block_id) != (page.page_index, block.block_id):
                return ""
            html = merged.html
    if not html.strip():
        return ""
    if params.pretty:
        html = (
            html.replace("<table>", "<table border=1 style='margin: auto; word-wrap: break-word;'>")
            .replace("<th>", "<th style='text-align: center; word-wrap: break-word;'>")
            .replace("<td>", "<td style='text-align: center; word-wrap: break-word;'>")
        )
        return "\n" + html
    for tag in ("<html>", "</html>", "<body>", "</body>"):
        html = html.replace(tag, "")
    return "\n\n" + html


def _render_image(block: Block, page: Page, params: MarkdownParams) -> str:
    if block.image is None:
        return ""
    path = _collapse(f"{params.image_dir}/{block.image}" if params.image_dir else block.image)
    text = block.block_content.strip()
    if not params.pretty:
        tag = f"![]({path})"
        return tag + (f"\n\n{text}\n\n" if text else "")
    width = block.block_bbox[2] - block.block_bbox[0]
    pct = int(width / page.width * 100) if page.width else 100
    tag = f'<img src="{path}" alt="Image" width="{pct}%" />'
    if text:
        # Recognised text under a picture (seals): kept as separate lines, as upstream does.
        return _CENTER_DIV.format(tag + "\n\n" + text + "\n\n")
    return _CENTER_DIV.format(tag)


# ------------------------------------------------------------------------------ text labels


def _collapse(s: str) -> str:
    """Soft-hyphen line breaks removed, other line breaks made spaces (upstream's rule)."""
    return s.replace("-\n", "").replace("\n", " ")


def _paragraphs(block: Block, _: MarkdownParams) -> str:
    text = block.block_content
    if block.source in _LITERAL_SOURCES:
        text = _BLOCK_MARKUP_START.sub(r"\1\\\2", text)
    text = _BULLET_START.sub("- ", text)
    return text.replace("\n\n", "\n").replace("\n", "\n\n")


def _doc_title(block: Block, _: MarkdownParams) -> str:
    return _collapse(f"# {block.block_content}")


def _paragraph_title(block: Block, _: MarkdownParams) -> str:
    if block.title_level is not None:
        level = max(1, min(block.title_level, 5))
        return _collapse(f"{'#' * (level + 1)} {block.block_content}")
    return title_from_numbering(block.block_content)


def title_from_numbering(title: str) -> str:
    """An unlevelled section title as a heading whose depth its numbering prefix gives.

    ``2 Methods`` → ``## 2 Methods``; ``1.2 Foo`` → ``### 1.2 Foo``; unnumbered → ``##``.
    """
    level = 1
    m = _TITLE_NUMBERING.match(title)
    if m:
        numbering = m.group(1).strip()
        title = numbering + " " + m.group(3).lstrip()
        level = numbering.rstrip(".、").count(".") + 1
    title = title.rstrip(".")
    return _collapse(f"{'#' * (min(level, 5) + 1)} {title}")


def _abstract(block: Block, _: MarkdownParams) -> str:
    content = block.block_content
    words = content.split(" ")
    for i, word in enumerate(words):
        if not word.strip():
            continue
        if word.lower() in ("摘要", "abstract"):
            # Upstream's exact rule: the first space-separated word becomes a heading line.
            words[i] = f"## {word}\n"
            return " ".join(words)
        break
    # docparse also takes "Abstract:", "Abstract—" and "Abstract\n" openings.
    m = _ABSTRACT_HEAD.match(content)
    if m:
        return f"## {m.group(1)}\n" + content[m.end() :]
    return content


def _reference(block: Block, _: MarkdownParams) -> str:
    lines = block.block_content.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.strip().lower() in ("参考文献", "references"):
            lines[i] = f"## {line.strip()}"
        break
    return "\n".join(lines)


def _figure_title(block: Block, params: MarkdownParams) -> str:
    if params.pretty:
        return _CENTER_DIV.format(_collapse(block.block_content))
    return block.block_content


def _plain(block: Block, _: MarkdownParams) -> str:
    return block.block_content


def _toc(block: Block, _: MarkdownParams) -> str:
    return block.block_content.replace("-\n", "  \n").replace("\n", "  \n")


def _algorithm(block: Block, _: MarkdownParams) -> str:
    return block.block_content.strip("\n")


_TEXT_HANDLERS: dict[str, Callable[[Block, MarkdownParams], str]] = {
    "doc_title": _doc_title,
    "paragraph_title": _paragraph_title,
    "abstract": _abstract,
    "reference": _reference,
    "content": _toc,
    "algorithm": _algorithm,
    "figure_title": _figure_title,
    **dict.fromkeys(PARAGRAPH_LABELS, _paragraphs),
    **dict.fromkeys(("spotting", "number", "footnote", "header", "footer", "aside_text"), _plain),
}
