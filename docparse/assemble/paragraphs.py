"""Paragraphs cut by a column or page break: link the parts so Markdown can join them.

PaddleOCR-VL has no such pass. docparse walks the text flow of the whole document in reading
order, skipping what floats beside it (furniture, footnotes, side notes, pictures, tables,
captions, and short text lying mostly inside a picture or table box: labels drawn in a figure,
or a caption the layout model cut off a table), and links two consecutive body-text blocks when
all of these hold:

* the first does not end a sentence (``.``, ``!``, ``?``, ``:``, ``;`` and CJK equivalents);
* the second reads as the middle of a sentence: it starts lower-case, or the first ends with a
  hyphen, a comma or a function word ("of", "the", …), or both sides are CJK text and the
  first is paragraph-long (20 CJK characters or more); and it does not start like a list item
  (a bullet, "1.", "a)", or a CJK enumerator: "二、", "（三）", "①");
* both have about the same font size, estimated from box area per character (the text of a
  VLM block rarely keeps its line breaks, so bbox height ÷ lines is not available).

The first block gets ``Link(kind="continues_on", ref="pages/P/blocks/B")`` and the second
``continued_from``; both blocks keep their own content and box.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import pairwise

from docparse.assemble.refs import block_ref, reading_order, without_links
from docparse.document import Block, Document, Link, Page
from docparse.labels import FURNITURE_LABELS

#: Labels whose blocks can be joined (to a block of the same label).
JOINABLE_LABELS = frozenset({"text", "reference_content"})
#: Blocks the text flows around: they never end a paragraph.
FLOW_SKIP_LABELS = FURNITURE_LABELS | frozenset(
    {
        "footnote",
        "vision_footnote",
        "aside_text",
        "image",
        "chart",
        "table",
        "figure_title",
        "seal",
        "formula_number",
    }
)
#: Text whose box lies this much (share of its area) inside one of these is not running text,
#: unless it is this many characters long (spaces aside): a figure's labels are short, and a
#: column of a newspaper page the model boxed whole as a picture is running text.
_CONTAINERS = frozenset({"image", "chart", "table", "seal"})
INSIDE_SHARE = 0.5
RUNNING_CHARS = 150
#: Largest ratio between the two parts' estimated font sizes (loose: a short last line inflates
#: the estimate of a two-line block by up to ~1.35).
FONT_RATIO = 1.5

_CLOSERS = "\"'”’»)]}）」』】"
_SENTENCE_END = frozenset(".!?:;…。！？：；")
_OPENERS = "\"'“‘«([{（「『【"
#: CJK item numbers: "二、", "（三）", "4、", "①" (no space follows them).
_CJK_ITEM = r"[（(][\d一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、．]|\d{1,3}[、．]|[\u2460-\u2473]"
_LIST_ITEM = re.compile(rf"^\s*(?:[•●▪■◦‣∙·*–—-]\s|\(?\d{{1,3}}[.)]\s|\(?[a-zA-Z][.)]\s|{_CJK_ITEM})")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at by for from with without into onto and or nor but as than that "
    "which who whose whom where when while is are was were be been being has have had not "
    "its their our your his her this these those such per via".split()
)
_LINKS = frozenset({"continues_on", "continued_from"})
#: A CJK block this many characters long at least may run on into the next one (a line of a
#: column holds 15 to 40).
_CJK_PARAGRAPH = 20


def join_paragraphs(doc: Document) -> Document:
    """``doc`` with ``continues_on``/``continued_from`` links between the parts of split text.

    Running it again recomputes the links from scratch.
    """
    flow = _text_flow(doc)
    links: dict[tuple[int, int], list[Link]] = {}
    for (pa, a), (pb, b) in pairwise(flow):
        if is_continuation(a, _box(doc.pages[pa], a), b, _box(doc.pages[pb], b)):
            links.setdefault((pa, a.block_id), []).append(
                Link(kind="continues_on", ref=block_ref(pb, b.block_id))
            )
            links.setdefault((pb, b.block_id), []).append(
                Link(kind="continued_from", ref=block_ref(pa, a.block_id))
            )
    pages = tuple(_relink(page, pos, links) for pos, page in enumerate(doc.pages))
    return doc.model_copy(update={"pages": pages})


def _relink(page: Page, pos: int, links: dict[tuple[int, int], list[Link]]) -> Page:
    blocks = []
    for b in page.parsing_res_list:
        new = (*without_links(b, _LINKS), *links.get((pos, b.block_id), ()))
        blocks.append(b.model_copy(update={"links": new}) if new != b.links else b)
    return page.model_copy(update={"parsing_res_list": tuple(blocks)})


def _text_flow(doc: Document) -> list[tuple[int, Block]]:
    """Every block that takes part in the running text, in document reading order."""
    flow: list[tuple[int, Block]] = []
    for pos, page in enumerate(doc.pages):
        containers = [b.block_bbox for b in page.parsing_res_list if b.block_label in _CONTAINERS]
        for b in reading_order(page):
            if b.block_label in FLOW_SKIP_LABELS or b.status in ("skipped", "merged"):
                continue
            if b.status == "ok" and not b.block_content.strip():
                continue
            if (any(_inside_share(b.block_bbox, c) >= INSIDE_SHARE for c in containers)
                    and len(b.block_content) - b.block_content.count(" ") < RUNNING_CHARS):
                continue
            flow.append((pos, b))
    return flow


def _inside_share(box: Sequence[int], container: Sequence[int]) -> float:
    """Share of ``box``'s area that lies inside ``container``."""
    w = min(box[2], container[2]) - max(box[0], container[0])
    h = min(box[3], container[3]) - max(box[1], container[1])
    area = max(box[2] - box[0], 1) * max(box[3] - box[1], 1)
    return 0.0 if w <= 0 or h <= 0 else w * h / area


def _box(page: Page, block: Block) -> tuple[int, int, int, int]:
    """The block's box, grown to its merge group's members (the leader holds all their text)."""
    x0, y0, x1, y1 = block.block_bbox
    for m in page.parsing_res_list:
        if m.group_id == block.block_id and m.block_id != block.block_id:
            mx0, my0, mx1, my1 = m.block_bbox
            x0, y0, x1, y1 = min(x0, mx0), min(y0, my0), max(x1, mx1), max(y1, my1)
    return x0, y0, x1, y1


def is_continuation(
    a: Block,
    box_a: Sequence[int],
    b: Block,
    box_b: Sequence[int],
) -> bool:
    """True when text block ``b`` carries on the sentence that text block ``a`` leaves open."""
    if a.block_label not in JOINABLE_LABELS or b.block_label != a.block_label:
        return False
    if a.status != "ok" or b.status != "ok":
        return False
    first, second = a.block_content.strip(), b.block_content.strip()
    if not first or not second or not open_ending(first):
        return False
    if not starts_mid_sentence(first, second):
        return False
    fa, fb = font_size(box_a, first), font_size(box_b, second)
    # A box no wider than two lines of the other's type and three times as tall holds text
    # running up the margin ("Downloaded from ... on 24 October 2020"), no paragraph's part.
    if _vertical(box_a, fb) or _vertical(box_b, fa):
        return False
    return max(fa, fb) <= FONT_RATIO * min(fa, fb)


def _vertical(box: Sequence[int], size: float) -> bool:
    width, height = box[2] - box[0], box[3] - box[1]
    return width < 2 * size and height > 3 * width


def open_ending(text: str) -> bool:
    """True when ``text`` stops before its sentence ends."""
    tail = text.rstrip().rstrip(_CLOSERS)
    return bool(tail) and tail[-1] not in _SENTENCE_END


def starts_mid_sentence(first: str, second: str) -> bool:
    """True when ``second`` reads as the rest of a sentence that ``first`` leaves open."""
    if _LIST_ITEM.match(second):
        return False
    head = second.lstrip(_OPENERS)
    if not head:
        return False
    last = first.rstrip()[-1]
    if _CJK.match(last) and _CJK.match(head[0]):
        # CJK sets no spaces and no case: only length tells a paragraph cut at the column's
        # foot from a label over a value ("股价：7.15元") or a short heading.
        return len(_CJK.findall(first)) >= _CJK_PARAGRAPH
    if head[0].islower():
        return True
    if last in "-,":
        return True
    # In lower case: "... heading level 2: A" ends on a label, not on the article.
    words = first.split()
    return bool(words) and words[-1] in _FUNCTION_WORDS


def font_size(box: Sequence[int], text: str) -> float:
    """Estimated font size in pixels: glyphs ~0.5 em wide (CJK 1 em), lines 1.2 em apart."""
    area = max(box[2] - box[0], 1) * max(box[3] - box[1], 1)
    ems = sum(1.0 if _CJK.match(ch) else 0.5 for ch in text if not ch.isspace())
    ems += 0.25 * sum(1 for ch in text if ch == " ")
    return math.sqrt(area / (1.2 * max(ems, 0.5)))
